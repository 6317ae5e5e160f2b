import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'smol-toml';
import type { ServerReport } from '../src/types.ts';
import { checkHttp, codes, findingOf, stageStatuses } from './helpers/http-check.ts';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { MCP_REMOTE_PROXY, startEverything, startSdkExample, type RealServer, type SdkExample } from './helpers/real-servers.ts';

const T = { timeout: 90_000 };

/**
 * Runs the bridge a fix proposes (`npx -y mcp-remote ARGS`) with the mcp-remote installed here,
 * and returns the tools it serves over stdio: proof that the fix works, not only that it parses.
 */
async function toolsThroughBridge(table: { command: string; args: string[] }, env: Record<string, string> = {}): Promise<string[]> {
  assert.equal(table.command, 'npx');
  assert.deepEqual(table.args.slice(0, 2), ['-y', 'mcp-remote']);
  const configDir = mkdtempSync(join(tmpdir(), 'mcp-doctor-bridge-'));
  const child = spawn(process.execPath, [MCP_REMOTE_PROXY, ...table.args.slice(2)], {
    env: { ...process.env, ...env, MCP_REMOTE_CONFIG_DIR: configDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bridge gave no tools within 20 s:\n${stderr.slice(-2000)}`)), 20_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        let m: any;
        try {
          m = JSON.parse(line);
        } catch {
          return;
        }
        if (m.id === 0) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
        } else if (m.id === 1) {
          clearTimeout(timer);
          resolve((m.result?.tools ?? []).map((t: any) => t.name));
        }
      });
      send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '0' } } });
    });
  } finally {
    child.kill('SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
  }
}

async function checkReal(server: RealServer, path: string, opts: { deep?: boolean } = {}): Promise<ServerReport> {
  try {
    return await checkHttp({ url: `${server.origin}${path}` }, { timeoutMs: 20_000, deep: opts.deep });
  } finally {
    await server.close();
  }
}

function sseOnlyFix(report: ServerReport) {
  const f = findingOf(report, 'transport.sse-only');
  assert.ok(f, codes(report).join(', '));
  assert.deepEqual(stageStatuses(report), { config: 'pass', discovery: 'fail', auth: 'skipped', initialize: 'skipped', tools: 'skipped' });
  return (parse(f.fix!.toml!) as any).mcp_servers.srv;
}

describe('legacy SSE endpoint on another origin', () => {
  test('the bridge is pointed at the origin the endpoint names, and it works', T, async () => {
    const server = await startFixtureServer('sse-cross-origin-endpoint');
    try {
      const report = await checkHttp({ url: server.url }, { timeoutMs: 20_000 });
      const f = findingOf(report, 'transport.sse-only')!;
      assert.match(f.message, /another origin/);
      const table = sseOnlyFix(report);
      const localhost = server.url.replace('127.0.0.1', 'localhost');
      assert.ok(table.args.includes(localhost), JSON.stringify(table.args));
      assert.ok((await toolsThroughBridge(table)).includes('echo'));
    } finally {
      await server.close();
    }
  });
});

describe('server-everything', () => {
  // The unknown-session probe is sent with or without --deep; the deep probes find nothing more.
  for (const deep of [false, true]) {
    test(`streamableHttp${deep ? ' --deep' : ''}: every stage passes, 15 tools; its 400 for an unknown session is reported`, T, async () => {
      const report = await checkReal(await startEverything('streamableHttp'), '/mcp', { deep });
      assert.equal(report.tools?.count, 15, codes(report).join(', '));
      assert.ok(report.tools?.names.includes('echo'));
      assert.equal(report.server.httpTransport, 'streamable');
      assert.equal(report.server.name, 'mcp-servers/everything');
      // Its transport answers an unknown Mcp-Session-Id with 400 "No valid session ID provided"
      // (dist/transports/streamableHttp.js): after a server restart Codex never re-initializes.
      // It also takes requests from any Origin (no DNS rebinding protection): info only.
      assert.deepEqual(codes(report), ['session.stale-not-404:warning', 'http.origin-not-checked:info']);
      assert.equal(findingOf(report, 'session.stale-not-404')?.evidence?.status, 400);
      assert.equal(report.status, 'warn');
      assert.deepEqual(stageStatuses(report), { config: 'pass', discovery: 'pass', auth: 'pass', initialize: 'warn', tools: 'pass' });
    });
  }

  test('sse: transport.sse-only, and the mcp-remote bridge it proposes serves the tools', T, async () => {
    const server = await startEverything('sse');
    try {
      const report = await checkHttp({ url: `${server.origin}/sse` }, { timeoutMs: 20_000 });
      const table = sseOnlyFix(report);
      assert.equal(report.server.httpTransport, 'sse');
      // Through the bridge the tool set depends on the capabilities mcp-remote declares.
      const tools = await toolsThroughBridge(table);
      assert.ok(tools.includes('echo'), tools.join(', '));
    } finally {
      await server.close();
    }
  });
});

describe('MCP SDK example servers', () => {
  // The examples enable no DNS rebinding protection: a foreign Origin gets in (info only).
  const healthy: Array<[SdkExample, number]> = [
    ['simpleStreamableHttp', 7],
    ['sseAndStreamableHttpCompatibleServer', 1],
    ['simpleStatelessStreamableHttp', 1],
  ];
  for (const [name, count] of healthy) {
    test(`${name}: ok with ${count} tools`, T, async (t) => {
      const server = await startSdkExample(name);
      if ('skip' in server) return t.skip(server.skip);
      const report = await checkReal(server, '/mcp');
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.equal(report.tools?.count, count);
      assert.deepEqual(codes(report), ['http.origin-not-checked:info']);
    });

    test(`${name} --deep: ok; every session and protocol-version probe gets the spec's answer`, T, async (t) => {
      const server = await startSdkExample(name);
      if ('skip' in server) return t.skip(server.skip);
      const report = await checkReal(server, '/mcp', { deep: true });
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.equal(report.tools?.count, count);
      assert.deepEqual(codes(report), ['http.origin-not-checked:info']);
    });
  }

  test('jsonResponseStreamableHttp: ok with 2 tools by default: Codex ignores the answer to its DELETE, so the check does too', T, async (t) => {
    const server = await startSdkExample('jsonResponseStreamableHttp');
    if ('skip' in server) return t.skip(server.skip);
    const report = await checkReal(server, '/mcp');
    assert.equal(report.tools?.count, 2);
    assert.deepEqual(codes(report), ['http.origin-not-checked:info']);
    assert.equal(report.status, 'ok');
  });

  test('jsonResponseStreamableHttp --deep: it has no DELETE route (Express\'s 404 while the session lives on): session.delete-invalid', T, async (t) => {
    const server = await startSdkExample('jsonResponseStreamableHttp');
    if ('skip' in server) return t.skip(server.skip);
    const report = await checkReal(server, '/mcp', { deep: true });
    assert.equal(report.tools?.count, 2);
    // The SDK's own client throws on it in terminateSession(); Codex ignores the answer.
    assert.deepEqual(codes(report), ['http.origin-not-checked:info', 'session.delete-invalid:warning']);
    const f = findingOf(report, 'session.delete-invalid')!;
    assert.equal(f.evidence?.status, 404);
    assert.equal(f.evidence?.sdkTolerates, false);
    assert.equal(report.status, 'warn');
  });

  test('simpleSseServer: transport.sse-only with a working mcp-remote bridge', T, async (t) => {
    const server = await startSdkExample('simpleSseServer');
    if ('skip' in server) return t.skip(server.skip);
    try {
      const report = await checkHttp({ url: `${server.origin}/mcp` }, { timeoutMs: 20_000 });
      const table = sseOnlyFix(report);
      assert.ok(table.args.includes('sse-only'));
      assert.ok((await toolsThroughBridge(table)).length > 0);
    } finally {
      await server.close();
    }
  });

  test('sseAndStreamableHttpCompatibleServer at /sse: the fix is its /mcp endpoint', T, async (t) => {
    const server = await startSdkExample('sseAndStreamableHttpCompatibleServer');
    if ('skip' in server) return t.skip(server.skip);
    const origin = server.origin;
    const report = await checkReal(server, '/sse');
    assert.equal(sseOnlyFix(report).url, `${origin}/mcp`);
  });
});
