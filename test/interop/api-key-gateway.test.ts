/**
 * API-key gateways (issue 16, item 3), against the real `mcp-proxy --apiKey` (npm, pinned) in
 * front of the official memory server, and a gateway that names its own header in the 401 body.
 * A 401 without OAuth metadata whose answer asks for a key is not a login: the doctor must not
 * propose `codex mcp login` (Codex: "Dynamic registration failed: HTTP 401") nor
 * `bearer_token_env_var` (the key would go in Authorization), but the header. One config, one
 * doctor run, one Codex run; then the doctor's fixes are applied and Codex must connect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codexAvailable, type CodexVerdict } from '../helpers/codex-oracle.ts';
import { MCP_REMOTE_PROXY, freePort, startServer, type InteropServer } from './interop-servers.ts';
import { POPULAR, applyFixToml, assertAgrees, codesOf, codex, configToml, doctor, type DoctorRun, type Table } from './popular.ts';

const skip = codexAvailable() ? false : 'the Codex oracle is not installed';
const KEY = `gw-key-${process.pid}-b7f1`;
const HEADER_KEY = `svc-key-${process.pid}-09ac`;
const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-apikey-home-'));
const env = { GW_KEY: KEY, GW_BAD: 'not-the-key', SVC_TOKEN: HEADER_KEY, HOME: home, MCP_REMOTE_CONFIG_DIR: undefined };
const secrets = [KEY, HEADER_KEY];

describe('API-key gateways: the key goes in a header, not an OAuth login', { skip, timeout: 170_000 }, () => {
  let gateway: InteropServer;
  let named: Server;
  let tables: Record<string, Table>;
  let before1: DoctorRun;
  let codex1: CodexVerdict;

  before(async () => {
    const port = await freePort();
    gateway = await startServer(
      { args: [POPULAR.mcpProxy(), '--port', String(port), '--host', '127.0.0.1', '--apiKey', KEY, '--', process.execPath, POPULAR.memory()], waitFor: [port] },
      40_000,
    );
    // A gateway that names its header: 401 without WWW-Authenticate and `missing or invalid
    // X-Service-Key header` for anything else; with the header it forwards to mcp-proxy.
    named = createServer((req, res) => {
      if (req.headers['x-service-key'] !== HEADER_KEY) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"missing or invalid X-Service-Key header"}');
        return;
      }
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, 'x-api-key': KEY, host: `127.0.0.1:${port}` };
      delete headers['x-service-key'];
      const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => named.listen(0, '127.0.0.1', r));
    const gw = `http://127.0.0.1:${port}/mcp`;
    const svc = `http://127.0.0.1:${(named.address() as AddressInfo).port}/mcp`;
    tables = {
      'gw-no-key': { url: gw },
      'gw-bearer': { url: gw, bearer_token_env_var: 'GW_KEY' },
      'gw-wrong-key': { url: gw, env_http_headers: { 'X-API-Key': 'GW_BAD' } },
      'svc-no-key': { url: svc },
      'svc-bearer': { url: svc, bearer_token_env_var: 'SVC_TOKEN' },
      // mcp-remote in front of the gateway without the key: it takes the 401 for an OAuth
      // sign-in and waits on a browser (BROWSER=true: one "opens", nobody signs in).
      'bridge-no-key': { command: process.execPath, args: [MCP_REMOTE_PROXY, gw], env: { BROWSER: 'true' }, startup_timeout_sec: 12 },
    };
    const toml = configToml(tables);
    [before1, codex1] = await Promise.all([doctor(toml, env), codex(toml, env)]);
  });

  after(async () => {
    rmSync(home, { recursive: true, force: true });
    await gateway?.close();
    if (named) {
      named.closeAllConnections();
      await new Promise((r) => named.close(r));
    }
  });

  test('each setup: the doctor names the header, Codex fails the same servers, no key in the output', () => {
    const expect: Record<string, { code: string; header: string }> = {
      'gw-no-key': { code: 'auth.api-key-required', header: 'X-API-Key' },
      'gw-bearer': { code: 'auth.api-key-wrong-header', header: 'X-API-Key' },
      'gw-wrong-key': { code: 'auth.api-key-rejected', header: 'X-API-Key' },
      'svc-no-key': { code: 'auth.api-key-required', header: 'X-Service-Key' },
      'svc-bearer': { code: 'auth.api-key-wrong-header', header: 'X-Service-Key' },
    };
    const bridged = before1.byName('bridge-no-key');
    assert.equal(bridged.status, 'fail', codesOf(bridged).join(', '));
    assert.ok(bridged.findings.some((x: any) => x.code === 'bridge.api-key-required'), codesOf(bridged).join(', '));
    assertAgrees('bridge-no-key', bridged, codex1);
    for (const [name, e] of Object.entries(expect)) {
      const s = before1.byName(name);
      assert.equal(s.status, 'fail', `${name}: ${codesOf(s).join(', ')}`);
      const f = s.findings.find((x: any) => x.code === e.code);
      assert.ok(f, `${name}: expected ${e.code}, got ${codesOf(s).join(', ')}`);
      assert.equal(f.evidence.header, e.header);
      assert.equal(f.evidence.headerNamedByServer, name.startsWith('svc'));
      assert.ok(!s.findings.some((x: any) => x.code === 'auth.login-required' || x.code === 'auth.oauth-unsupported' || x.code === 'auth.codex-discovery-differs'), `${name}: no login advice: ${codesOf(s).join(', ')}`);
      assert.doesNotMatch(JSON.stringify(f.fix), /codex mcp login|bearer_token_env_var = /);
      assertAgrees(name, s, codex1);
    }
    const all = JSON.stringify(before1.report);
    for (const secret of secrets) assert.equal(all.includes(secret), false, 'a key leaked into the report');
  });

  test('the fixes (env_http_headers under the named header; bearer_token_env_var removed) make Codex connect', async () => {
    const fixed: Record<string, Table> = {};
    for (const name of ['gw-no-key', 'gw-bearer', 'svc-no-key', 'svc-bearer', 'bridge-no-key']) {
      const f = before1.byName(name).findings.find((x: any) => x.severity === 'error' && x.fix?.toml);
      assert.ok(f?.fix?.toml, `${name}: a TOML fix`);
      let table = applyFixToml(tables[name]!, name, f.fix.toml);
      // The fix's summary says so for a key sent as a bearer token.
      if (/remove bearer_token_env_var/.test(f.fix.summary)) table = { ...table, bearer_token_env_var: undefined };
      fixed[name] = table;
    }
    // The fix names GW_NO_KEY_API_KEY / SVC_NO_KEY_API_KEY: export the keys under those names.
    const fixEnv: Record<string, string | undefined> = { ...env };
    for (const name of ['gw-no-key', 'svc-no-key']) {
      const variable = Object.values(fixed[name]!.env_http_headers as Record<string, string>)[0]!;
      fixEnv[variable] = name.startsWith('gw') ? KEY : HEADER_KEY;
    }
    for (const variable of fixed['bridge-no-key']!.env_vars as string[]) fixEnv[variable] = KEY;
    const toml = configToml(fixed);
    const after1 = await doctor(toml, fixEnv);
    const codex2 = await codex(toml, fixEnv);
    for (const name of Object.keys(fixed)) {
      assert.equal(codex2.servers[name]?.connected, true, `${name}: Codex after the fix: ${codex2.servers[name]?.errorSummary}`);
      assert.notEqual(after1.byName(name).status, 'fail', `${name}: ${codesOf(after1.byName(name)).join(', ')}`);
      assertAgrees(name, after1.byName(name), codex2);
    }
  });
});
