// A check talks to a healthy server over one keep-alive connection, as a client should: the
// doctor answers a request only after undici has freed its connection, and reads short answers to
// the GET stream probe to the end instead of dropping the socket. A regression opens a second
// connection per server (measured: ~10% of a 50-server check; bench/RESULTS.md).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { checkJson } from './helpers/cli.ts';
import { EMPTY_CODEX_HOME } from './helpers/http-check.ts';

const ENV = { CODEX_HOME: EMPTY_CODEX_HOME, HTTP_PROXY: undefined, HTTPS_PROXY: undefined, ALL_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, all_proxy: undefined };

/** A TCP relay in front of the server that counts the connections the client opens. */
async function countingRelay(target: URL): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      relay.close(() => resolve());
    }),
  };
}

describe('connection reuse', () => {
  for (const deep of [false, true]) {
    // Codex's requests share one connection; the doctor's three probes run at once (with the
    // deadline paused, see initialize-stage.ts), so two of them may open one more each.
    test(`a healthy JSON server is checked over one connection, and at most two more for the probes that run at once${deep ? ' (--deep, 12 requests)' : ' (7 requests)'}`, { timeout: 60_000 }, async () => {
      const server = await startFixtureServer('healthy-json');
      const relay = await countingRelay(new URL(server.url));
      try {
        const { code, report } = await checkJson(['--url', relay.url, ...(deep ? ['--deep'] : [])], { env: ENV });
        assert.equal(code, 0);
        assert.equal(report.servers[0]!.status, 'ok');
        assert.equal(server.requests.length, deep ? 12 : 7);
        assert.ok(relay.connections() <= 3, `${relay.connections()} connections for ${server.requests.length} requests`);
      } finally {
        await relay.close();
        await server.close();
      }
    });
  }
});
