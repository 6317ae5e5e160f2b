// The era ladder against a real 2026-07-28 server nobody on this team wrote: the official
// TypeScript SDK v2 (`@modelcontextprotocol/server` 2.4.0) `createMcpHandler`, in both of its
// legacy postures (test/helpers/sdk-v2-server.ts). Measured answers (2.4.0):
//   both modes, POST server/discover (2026-07-28 envelope) → 200 application/json
//     {"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"listChanged":true}},
//      "resultType":"complete","ttlMs":0,"cacheScope":"private","_meta":{serverInfo}}
//   legacy: 'reject',    POST initialize (2025-06-18) → 400 application/json -32022
//     "Unsupported protocol version: 2025-06-18", data {supported:["2026-07-28"],requested:"2025-06-18"}
//   legacy: 'stateless', POST initialize → 200 text/event-stream, one `message` event with an
//     InitializeResult for 2025-06-18 and no Mcp-Session-Id; tools/list likewise.
//   both modes, GET → 405 -32000 "Method not allowed."
// The built CLI (`npm run build` first) gives the exit codes; Codex 0.169.0 (the oracle) must agree.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { checkJson } from './helpers/cli.ts';
import { checkHttp } from './helpers/http-check.ts';
import { startSdkV2Server, SDK_V2_SERVER_INFO, SDK_V2_TOOLS, type SdkV2Server } from './helpers/sdk-v2-server.ts';

const T = { timeout: 60_000 };
const NO_PROXY_ENV = { HTTP_PROXY: undefined, HTTPS_PROXY: undefined, ALL_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, all_proxy: undefined };

async function withServer<R>(legacy: 'stateless' | 'reject', fn: (s: SdkV2Server) => Promise<R>, responseMode?: 'auto' | 'sse'): Promise<R> {
  const server = await startSdkV2Server({ legacy, responseMode });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

const codesOf = (report: any): string[] => report.findings.map((f: any) => `${f.code}(${f.severity})`);
const rpcMethods = (s: SdkV2Server) => s.requests.filter((r) => r.method === 'POST').map((r) => r.rpcMethod);

describe('SDK v2 createMcpHandler, a real 2026-era server', () => {
  test("legacy: 'reject' → transport.modern-only (error) naming the supported versions, era modern, exit 1", T, async () => {
    await withServer('reject', async (server) => {
      const { code, report } = await checkJson(['--url', server.url], { env: { ...NO_PROXY_ENV }, timeoutMs: 45_000 });
      assert.equal(code, 1, JSON.stringify(report.servers[0]?.findings, null, 1));
      const s = report.servers[0];
      assert.equal(s.status, 'fail');
      assert.equal(s.server.era, 'modern');
      assert.equal(s.server.httpTransport, 'streamable');
      assert.equal(s.tools, null);
      assert.deepEqual(
        s.stages.map((st: any) => [st.name, st.status]),
        [['config', 'pass'], ['discovery', 'fail'], ['auth', 'skipped'], ['initialize', 'skipped'], ['tools', 'skipped']],
      );
      // The only finding: nothing else (auth, HTTP status, ...) is blamed for the SDK's answer.
      assert.deepEqual(codesOf(s), ['transport.modern-only(error)']);
      const f = s.findings[0];
      assert.equal(f.stage, 'discovery');
      assert.match(f.message, /server\/discover lists 2026-07-28/);
      assert.match(f.message, /HTTP 400, JSON-RPC -32022 "Unsupported protocol version: 2025-06-18"/);
      assert.deepEqual(f.evidence.supportedVersions, ['2026-07-28']);
      assert.equal(f.evidence.status, 400);
      assert.deepEqual(f.evidence.error, {
        code: -32022,
        message: 'Unsupported protocol version: 2025-06-18',
        data: { supported: ['2026-07-28'], requested: '2025-06-18' },
      });
      assert.match(f.evidence.requests[0], /^POST .*\/mcp \(initialize\) → HTTP 400 application\/json/);
      assert.match(f.evidence.requests[1], /^POST .*\/mcp \(modern-era probe \(server\/discover\)\) → HTTP 200 application\/json/);
      assert.match(f.fix.toml, /mcp-remote/);
      // What the server saw: initialize, then the modern probe; nothing after the verdict.
      assert.deepEqual(rpcMethods(server), ['initialize', 'server/discover']);
      const discover = server.requests.find((r) => r.rpcMethod === 'server/discover')!;
      assert.equal(discover.headers['mcp-protocol-version'], '2026-07-28');
      assert.equal(discover.headers['mcp-method'], 'server/discover');
      // The SDK accepted the probe (no rejection reported for it) and rejected only initialize.
      assert.deepEqual(
        server.errors.map((e) => e.message),
        ['Rejected 2025-era request on a modern-only endpoint (modern-only-missing-envelope): Unsupported protocol version: 2025-06-18'],
      );
    });
  });

  test("legacy: 'stateless' --deep → ok, transport.dual-era (info), 2 tools, exit 0", T, async () => {
    await withServer('stateless', async (server) => {
      const { code, report } = await checkJson(['--deep', '--url', server.url], { env: { ...NO_PROXY_ENV }, timeoutMs: 45_000 });
      const s = report.servers[0];
      assert.equal(code, 0, JSON.stringify(s?.findings, null, 1));
      assert.equal(s.status, 'ok', codesOf(s).join(', '));
      assert.deepEqual(s.stages.map((st: any) => st.status), ['pass', 'pass', 'pass', 'pass', 'pass']);
      assert.deepEqual(s.server, {
        httpTransport: 'streamable',
        era: 'legacy', // what Codex speaks to it; the modern side is the dual-era finding
        protocolVersion: '2025-06-18',
        name: SDK_V2_SERVER_INFO.name,
        version: SDK_V2_SERVER_INFO.version,
      });
      assert.deepEqual({ count: s.tools?.count, names: s.tools?.names }, { count: 2, names: [...SDK_V2_TOOLS] });
      // Only infos. dual-era, and origin-not-checked, which is right: createMcpHandler is
      // "deliberately validation-free" (its docs ask the mounter to put Origin/Host validation
      // in front), and this fixture mounts it bare on 127.0.0.1.
      assert.deepEqual(codesOf(s).sort(), ['http.origin-not-checked(info)', 'transport.dual-era(info)']);
      const dual = s.findings.find((f: any) => f.code === 'transport.dual-era');
      assert.equal(dual.stage, 'discovery');
      assert.deepEqual(dual.evidence.supportedVersions, ['2026-07-28']);
      assert.match(dual.message, /server\/discover lists 2026-07-28/);
      assert.match(dual.evidence.requests[0], /\(initialize\) → HTTP 200 text\/event-stream, 1 event \(matched\)/);
      // The SDK's stateless legacy leg issues no session id, and the doctor did not invent one.
      const posts = server.requests.filter((r) => r.method === 'POST');
      assert.ok(posts.every((r) => r.headers['mcp-session-id'] === undefined));
      assert.ok(rpcMethods(server).includes('server/discover'));
      assert.ok(rpcMethods(server).includes('tools/list'));
      assert.deepEqual(server.errors, []);
    });
  });

  test("legacy: 'stateless' without --deep → ok, 2 tools, exit 0; no server/discover sent, so no dual-era finding", T, async () => {
    await withServer('stateless', async (server) => {
      const { code, report } = await checkJson(['--url', server.url], { env: { ...NO_PROXY_ENV }, timeoutMs: 45_000 });
      const s = report.servers[0];
      assert.equal(code, 0, JSON.stringify(s?.findings, null, 1));
      assert.equal(s.status, 'ok', codesOf(s).join(', '));
      assert.equal(s.server.era, 'legacy');
      assert.deepEqual({ count: s.tools?.count, names: s.tools?.names }, { count: 2, names: [...SDK_V2_TOOLS] });
      // Codex speaks only the initialize-based protocol, so whether the server also speaks the
      // 2026 one is a --deep question.
      assert.deepEqual(codesOf(s), ['http.origin-not-checked(info)']);
      assert.ok(!rpcMethods(server).includes('server/discover'), rpcMethods(server).join(', '));
      assert.ok(rpcMethods(server).includes('tools/list'));
      assert.deepEqual(server.errors, []);
    });
  });
  // responseMode: 'sse' frames every modern answer, server/discover included, as an event
  // stream (200 text/event-stream, one `message` event): the ladder must read it there too.
  // A refused initialize is explained by server/discover on every check; a served one asks
  // server/discover only with --deep.
  for (const [legacy, code, status, era] of [
    ['reject', 'transport.modern-only', 'fail', 'modern'],
    ['stateless', 'transport.dual-era', 'ok', 'legacy'],
  ] as const) {
    test(`responseMode 'sse', legacy: '${legacy}'${legacy === 'stateless' ? ' --deep' : ''} → ${code} from an SSE-framed DiscoverResult`, T, async () => {
      await withServer(
        legacy,
        async (server) => {
          const report = await checkHttp({ url: server.url }, { timeoutMs: 15_000, deep: legacy === 'stateless' });
          assert.equal(report.status, status, codesOf(report).join(', '));
          assert.equal(report.server.era, era);
          const f = report.findings.find((x) => x.code === code);
          assert.ok(f, codesOf(report).join(', '));
          assert.deepEqual(f.evidence?.supportedVersions, ['2026-07-28']);
          assert.ok(
            (f.evidence?.requests as string[]).some((l) => /\(modern-era probe \(server\/discover\)\) → HTTP 200 text\/event-stream, 1 event \(matched\)/.test(l)),
            JSON.stringify(f.evidence?.requests),
          );
          if (legacy === 'stateless') assert.equal(report.tools?.count, 2);
        },
        'sse',
      );
    });
  }
});

describe('Codex 0.169.0 agrees on the SDK v2 server', { skip: codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed' }, () => {
  test("Codex fails on 'reject' (the same -32022) and connects to 'stateless' with the same 2 tools", T, async () => {
    const reject = await startSdkV2Server({ legacy: 'reject' });
    const stateless = await startSdkV2Server({ legacy: 'stateless' });
    try {
      const toml = [`[mcp_servers.reject]\nurl = "${reject.url}"\nstartup_timeout_sec = 10\n`, `[mcp_servers.stateless]\nurl = "${stateless.url}"\nstartup_timeout_sec = 10\n`].join('\n');
      const codex = await askCodex(toml, { timeoutMs: 45_000, env: NO_PROXY_ENV });
      assert.equal(codex.configError, undefined);

      const r = codex.servers.reject;
      assert.ok(r, 'Codex did not report the reject-mode server');
      assert.equal(r.connected, false);
      assert.match(r.error ?? '', /handshaking with MCP server failed: JSON-RPC error: -32022: Unsupported protocol version: 2025-06-18/);
      assert.match(r.error ?? '', /"supported":\["2026-07-28"\]/);

      const ok = codex.servers.stateless;
      assert.ok(ok, 'Codex did not report the stateless-mode server');
      assert.equal(ok.connected, true, ok.error);
      assert.equal(ok.toolCount, 2);
      assert.deepEqual([...(ok.tools ?? [])].sort(), [...SDK_V2_TOOLS].sort());

      // Codex speaks only the initialize-based protocol: it never sent server/discover.
      assert.ok(!rpcMethods(reject).includes('server/discover'));
      assert.ok(!rpcMethods(stateless).includes('server/discover'));
    } finally {
      await reject.close();
      await stateless.close();
    }
  });
});
