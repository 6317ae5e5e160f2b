import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parse } from 'smol-toml';
import { Agent } from 'undici';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { startExtraServer } from '../fixtures/http/doctor-extras.ts';
import { checkHttp, codes, findingOf, stageStatuses } from './helpers/http-check.ts';

// Certificate failures (self-signed, unknown CA, expired, other host) are tested with
// certificates made at test time: test/http-network-env.test.ts.

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function finding(report: Awaited<ReturnType<typeof checkHttp>>, code: string) {
  const f = findingOf(report, code);
  assert.ok(f, `expected ${code}; got ${codes(report).join(', ') || 'no findings'}`);
  return f;
}

describe('network failures', () => {
  test('nothing listening: net.connection-refused, after Codex\'s retries', async () => {
    const port = await freePort();
    const report = await checkHttp({ url: `http://127.0.0.1:${port}/mcp` });
    const f = finding(report, 'net.connection-refused');
    assert.equal(f.evidence?.code, 'ECONNREFUSED');
    assert.match(f.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.equal(stageStatuses(report).discovery, 'fail');
    assert.equal(stageStatuses(report).auth, 'skipped');
    assert.deepEqual(report.server, {});
  });

  test('Figma desktop address refused: the fix says to start Figma (skipped if 3845 is in use)', async (t) => {
    const probe = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(3845, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return t.skip('port 3845 is in use on this machine');
    const report = await checkHttp({ url: 'http://127.0.0.1:3845/mcp' });
    const f = finding(report, 'net.connection-refused');
    assert.match(f.message, /Figma desktop/);
    assert.match(f.fix!.summary, /Figma/);
  });

  test('host name that does not resolve: net.dns-failed', async () => {
    const dispatcher = new Agent({
      connect: {
        lookup: ((_host: string, _opts: unknown, cb: (err: Error) => void) =>
          cb(Object.assign(new Error('getaddrinfo ENOTFOUND mcp.internal.example'), { code: 'ENOTFOUND' }))) as never,
      },
    });
    try {
      const report = await checkHttp({ url: 'http://mcp.internal.example/mcp' }, { deps: { dispatcher } });
      const f = finding(report, 'net.dns-failed');
      assert.match(f.message, /mcp\.internal\.example/);
    } finally {
      await dispatcher.close();
    }
  });

  test('https:// to a plain HTTP server: net.tls-failed offering http://', async () => {
    const server = await startFixtureServer('healthy-json');
    try {
      const report = await checkHttp({ url: server.url.replace('http:', 'https:') });
      const f = finding(report, 'net.tls-failed');
      const table = (parse(f.fix!.toml!) as any).mcp_servers.srv;
      assert.equal(table.url, server.url);
    } finally {
      await server.close();
    }
  });

  test('connection closed without an answer: net.connection-reset', async () => {
    const server = await startExtraServer('reset');
    try {
      const report = await checkHttp({ url: server.url });
      finding(report, 'net.connection-reset');
      assert.equal(report.status, 'fail');
    } finally {
      await server.close();
    }
  });

  test('a URL without scheme: the fix adds http:// for a local host', async () => {
    const report = await checkHttp({ url: 'localhost:3000/mcp' });
    const f = finding(report, 'http.not-mcp-endpoint');
    assert.equal((parse(f.fix!.toml!) as any).mcp_servers.srv.url, 'http://localhost:3000/mcp');
  });

  test('a URL that is not http(s): http.not-mcp-endpoint without any request', async () => {
    const report = await checkHttp({ url: 'ws://127.0.0.1:1/mcp' });
    finding(report, 'http.not-mcp-endpoint');
    assert.equal(stageStatuses(report).discovery, 'fail');
  });
});

describe('timeouts', () => {
  test('no response headers: net.timeout saying it stalled on the headers', async () => {
    const server = await startFixtureServer('hang-headers');
    try {
      const report = await checkHttp({ url: server.url, startupTimeoutSec: 1 }, { timeoutMs: 1200 });
      const f = finding(report, 'net.timeout');
      assert.equal(f.evidence?.phase, 'headers');
      assert.match(f.message, /response headers/);
      assert.equal(stageStatuses(report).discovery, 'fail');
    } finally {
      await server.close();
    }
  });

  test('an event stream that never sends an event: net.timeout at the first event', async () => {
    const server = await startFixtureServer('hang-sse');
    try {
      const report = await checkHttp({ url: server.url, startupTimeoutSec: 1 }, { timeoutMs: 1200 });
      const f = finding(report, 'net.timeout');
      assert.equal(f.evidence?.phase, 'first-event');
    } finally {
      await server.close();
    }
  });

  test('a connection that never completes: net.timeout while connecting', async () => {
    const dispatcher = new Agent({ connect: (() => undefined) as never });
    try {
      const report = await checkHttp({ url: 'http://127.0.0.1:9/mcp', startupTimeoutSec: 1 }, { timeoutMs: 800, deps: { dispatcher } });
      const f = finding(report, 'net.timeout');
      assert.equal(f.evidence?.phase, 'connect');
    } finally {
      await dispatcher.destroy();
    }
  });

  test('slower than startup_timeout_sec but answering: timeout.startup with the measured time', async () => {
    const server = await startFixtureServer('slow-init', { delayMs: 1500 });
    try {
      const report = await checkHttp({ url: server.url, startupTimeoutSec: 1 }, { timeoutMs: 6000 });
      const f = finding(report, 'timeout.startup');
      assert.equal(f.severity, 'error');
      const measured = f.evidence?.measuredMs as number;
      assert.ok(measured >= 1500, `measured ${measured}`);
      const proposed = (parse(f.fix!.toml!) as any).mcp_servers.srv.startup_timeout_sec as number;
      assert.ok(proposed * 1000 > measured, `proposed ${proposed} s for ${measured} ms`);
      assert.equal(report.server.name, 'fixture-slow-init');
    } finally {
      await server.close();
    }
  });

  test('the same slow server within its budget is ok', async () => {
    const server = await startFixtureServer('slow-init', { delayMs: 300 });
    try {
      const report = await checkHttp({ url: server.url, startupTimeoutSec: 5 }, { timeoutMs: 6000 });
      assert.equal(report.status, 'ok', codes(report).join(', '));
    } finally {
      await server.close();
    }
  });
});
