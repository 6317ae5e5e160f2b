// Hostile peers and secrets: a server that echoes the token it was sent, redirects to another
// origin (Codex refuses; the doctor must neither follow nor send credentials there), redirects
// past reqwest's limit, or names internal addresses for its OAuth metadata. Each case keeps the
// hostile invariants in text, JSON and markdown, names the real cause, and agrees with Codex.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkAllFormats } from '../helpers/hostile.ts';
import { serveJsonRpc } from '../helpers/jsonrpc-http.ts';
import { askCodex, codexAvailable } from '../helpers/codex-oracle.ts';
import { FOREIGN_SECRET, startHostileHttp } from '../../fixtures/hostile/http-hostile.mjs';

const TOKEN = 'hostile-Tok3n-5ecret-9f8e7d6c5b4a';
const TIMEOUT_S = 10;
const noCodex = codexAvailable() ? false : 'the Codex CLI is not installed (set CODEX_ORACLE_BIN)';
let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'mcp-doctor-hostile-home-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

const env = () => ({ CODEX_HOME: home, HOSTILE_TOK: TOKEN });
const args = (url: string) => ['--url', url, '--bearer-env', 'HOSTILE_TOK', '--timeout', String(TIMEOUT_S), '--verbose'];
const codes = (report: any): string[] => report.servers[0].findings.map((f: any) => f.code);

async function codexSays(url: string) {
  const v = await askCodex(`[mcp_servers.h]\nurl = "${url}"\nbearer_token_env_var = "HOSTILE_TOK"\nstartup_timeout_sec = ${TIMEOUT_S}\n`, {
    env: { HOSTILE_TOK: TOKEN },
    timeoutMs: 40_000,
  });
  return v.servers.h!;
}

describe('hostile: secrets never leave', { timeout: 180_000 }, () => {
  test('a server echoing the bearer token in WWW-Authenticate and its body: the token is in no format, auth.token-rejected', async () => {
    const s = await startHostileHttp('echo-token');
    try {
      const { report } = await checkAllFormats(args(s.url), { timeoutS: TIMEOUT_S, secrets: [TOKEN] }, { env: env() });
      assert.ok(s.requests.some((r) => r.authorization === `Bearer ${TOKEN}`), 'the token was sent (so the echo happened)');
      assert.equal(report.servers[0].status, 'fail');
      assert.ok(codes(report).includes('auth.token-rejected'), codes(report).join(', '));
      if (!noCodex) {
        const codex = await codexSays(s.url);
        assert.equal(codex.connected, false);
        assert.doesNotMatch(JSON.stringify(codex), new RegExp(TOKEN), 'the oracle run is no leak either (sanity)');
      }
    } finally {
      await s.close();
    }
  });

  for (const mode of ['redirect-cross-origin', 'redirect-cross-origin-302'] as const) {
    test(`${mode}: not followed, nothing reaches the other origin, http.redirect-cross-origin quoting Codex; Codex fails too`, { skip: noCodex }, async () => {
      const s = await startHostileHttp(mode);
      try {
        const { report, text } = await checkAllFormats(args(s.url), { timeoutS: TIMEOUT_S, secrets: [TOKEN] }, { env: env() });
        assert.deepEqual(s.other!.requests, [], 'no request to the other origin');
        assert.equal(report.servers[0].status, 'fail');
        assert.deepEqual(codes(report), ['http.redirect-cross-origin']);
        assert.match(text.stdout, /MCP HTTP redirect to a different origin is not allowed/);
        assert.match(text.stdout, new RegExp(`url = "${s.other!.origin}/mcp"`), 'the fix names the final URL');
        const codex = await codexSays(s.url);
        assert.equal(codex.connected, false);
        assert.match(codex.error ?? '', /redirect to a different origin is not allowed/);
        assert.deepEqual(s.other!.requests, [], 'Codex sends nothing there either');
      } finally {
        await s.close();
      }
    });
  }

  test('a server echoing the token encoded (base64, base64url, URL, hex, inside Basic), as a tool name and as a schema key: in no format', async () => {
    const server = await serveJsonRpc((msg, req, res) => {
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const b = Buffer.from(token);
      const echoed = [b.toString('base64'), b.toString('base64url'), encodeURIComponent(token), b.toString('hex'), Buffer.from(`user:${token}`).toString('base64')].join(' | ');
      const result =
        msg.method === 'initialize'
          ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: `srv ${echoed}`, version: '1' }, instructions: echoed }
          : msg.method === 'tools/list'
            ? { tools: [{ name: `use ${token}`, description: echoed, inputSchema: { type: 'object', properties: { [token]: { type: 'string', description: echoed } } } }] }
            : {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
    try {
      const { report } = await checkAllFormats(args(server.url), { timeoutS: TIMEOUT_S, secrets: [TOKEN] }, { env: env() });
      assert.equal(report.servers[0].tools?.count, 1);
    } finally {
      server.close();
    }
  });

  test('a 50-hop same-origin chain: http.too-many-redirects (not a loop, not a protocol error); 10 hops connect; Codex agrees on both', { skip: noCodex }, async () => {
    const long = await startHostileHttp('redirect-chain', { hops: 50 });
    const ten = await startHostileHttp('redirect-chain', { hops: 10 });
    try {
      const { report } = await checkAllFormats(args(long.url), { timeoutS: TIMEOUT_S, secrets: [TOKEN] }, { env: env() });
      assert.deepEqual(codes(report), ['http.too-many-redirects']);
      assert.ok(long.requests.length <= 11 * 3, `at most 11 requests per check, got ${long.requests.length} over three`);
      const { report: ok } = await checkAllFormats(args(ten.url), { timeoutS: TIMEOUT_S, secrets: [TOKEN] }, { env: env() });
      assert.notEqual(ok.servers[0].status, 'fail', JSON.stringify(ok.servers[0].findings.map((f: any) => f.code)));
      assert.ok(codes(ok).includes('http.redirect'));
      const [codexLong, codexTen] = [await codexSays(long.url), await codexSays(ten.url)];
      assert.equal(codexLong.connected, false);
      assert.match(codexLong.error ?? '', /exceeded the redirect limit/);
      assert.equal(codexTen.connected, true, codexTen.error);
    } finally {
      await long.close();
      await ten.close();
    }
  });

  test('a same-origin redirect keeps the credentials and is followed, as Codex does', { skip: noCodex }, async () => {
    const s = await startHostileHttp('redirect-same-origin');
    try {
      const { report } = await checkAllFormats(args(s.url), { timeoutS: TIMEOUT_S, secrets: [TOKEN] }, { env: env() });
      assert.notEqual(report.servers[0].status, 'fail');
      assert.ok(s.requests.some((r) => r.path === '/real/mcp' && r.authorization === `Bearer ${TOKEN}`));
      assert.equal((await codexSays(s.url)).connected, true);
    } finally {
      await s.close();
    }
  });

  test('metadata on origins the server chose: their bodies are never echoed (text, JSON, markdown, verbose)', async () => {
    const s = await startHostileHttp('prm-foreign');
    try {
      const run = await checkAllFormats(['--url', s.url, '--timeout', String(TIMEOUT_S), '--verbose'], { timeoutS: TIMEOUT_S, secrets: [FOREIGN_SECRET, 'ASIAFOREIGN'] }, { env: { CODEX_HOME: home } });
      for (const out of [run.text.stdout, run.json.stdout, run.markdown.stdout]) {
        assert.doesNotMatch(out, /AccessKeyId|SecretAccessKey|ASIAFOREIGN|bPxRfiCY/, 'no field of a body from an origin the server chose');
      }
      assert.equal(run.report.servers[0].status, 'fail');
    } finally {
      await s.close();
    }
  });

  for (const [mode, expected] of [['prm-link-local', /169\.254\.169\.254 is a link-local address/], ['prm-private', /10\.0\.0\.1 is a private address/]] as const)
  test(`${mode}: not fetched (a recording proxy sees nothing), auth.metadata-address-refused`, async () => {
    const s = await startHostileHttp(mode);
    // Every request that leaves loopback would go through this proxy (the doctor applies
    // HTTP_PROXY as Codex does, loopback exempt): a regression shows up here, not on the network.
    const proxy = await startHostileHttp('recording-proxy');
    try {
      const run = await checkAllFormats(['--url', s.url, '--timeout', String(TIMEOUT_S), '--verbose'], { timeoutS: TIMEOUT_S }, { env: { CODEX_HOME: home, HTTP_PROXY: proxy.origin, http_proxy: proxy.origin, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
      assert.deepEqual(proxy.requests.map((r) => r.path), []);
      const f = run.report.servers[0].findings.find((x: any) => x.code === 'auth.metadata-address-refused');
      assert.ok(f, codes(run.report).join(', '));
      assert.match(f.message, expected);
      assert.equal(run.report.servers[0].status, 'fail');
      if (!noCodex) {
        const codex = await askCodex(`[mcp_servers.h]\nurl = "${s.url}"\nstartup_timeout_sec = ${TIMEOUT_S}\n`, { timeoutMs: 40_000 });
        assert.equal(codex.servers.h!.connected, false, 'Codex cannot use it either (Auth required)');
      }
    } finally {
      await s.close();
      await proxy.close();
    }
  });
});
