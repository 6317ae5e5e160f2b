// The real authorization server harness itself (test/helpers/real-as.ts): oidc-provider issues
// JWT access tokens bound to the MCP resource, the resource server validates them, and both a
// scripted client and `codex mcp login` (the Codex oracle) can log in headlessly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { askCodex, codexAvailable, resolveCodex } from './helpers/codex-oracle.ts';
import { claimsOf, codexConfigToml, codexLogin, mintTokens, readCodexCredential, refreshTokens, registerClient, startMcpResource, startRealAs, type McpResource, type RealAs } from './helpers/real-as.ts';

async function initialize(url: string, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
}

describe('real authorization server harness', () => {
  let as: RealAs;
  let mcp: McpResource;
  before(async () => {
    as = await startRealAs({ offlineAccessWithoutConsent: true });
    mcp = await startMcpResource(as);
  });
  after(async () => {
    await mcp?.close();
    await as?.close();
  });

  test('a token requested with resource is a JWT for the server and is accepted', async () => {
    const t = await mintTokens(as, { resource: mcp.url });
    const c = claimsOf(t.accessToken)!;
    assert.equal(c.aud, mcp.url);
    assert.equal(c.iss, as.issuer);
    assert.ok(t.refreshToken, 'refresh token issued without offline_access consent');
    assert.equal((await initialize(mcp.url, t.accessToken)).status, 200);
  });

  test('a token requested without resource is opaque and refused with a challenge', async () => {
    const t = await mintTokens(as, { scope: 'openid mcp:tools' });
    assert.equal(claimsOf(t.accessToken), undefined);
    const res = await initialize(mcp.url, t.accessToken);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
  });

  test('refresh tokens rotate: the used one is refused afterwards', async () => {
    const t = await mintTokens(as, { resource: mcp.url });
    const t2 = await refreshTokens(as, t.clientId, t.refreshToken!, { resource: mcp.url });
    assert.notEqual(t2.refreshToken, t.refreshToken);
    await assert.rejects(refreshTokens(as, t.clientId, t.refreshToken!), /invalid_grant/);
    const last = as.tokenRequests.at(-1)!;
    assert.equal(last.grantType, 'refresh_token');
    assert.equal(last.params.refresh_token, '<present>');
  });

  test('a refresh asking for a scope the grant lacks is refused with invalid_scope', async () => {
    const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools' });
    await assert.rejects(refreshTokens(as, t.clientId, t.refreshToken!, { scope: 'mcp:tools offline_access', resource: mcp.url }), /invalid_scope: refresh token missing requested scope/);
  });

  test('codex mcp login logs in headlessly and Codex connects with the stored token', { skip: !codexAvailable() && 'Codex CLI not available' }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-real-as-'));
    try {
      const toml = codexConfigToml({ rs: { url: mcp.url } });
      writeFileSync(join(home, 'config.toml'), toml);
      const cmd = resolveCodex()!;
      const bin = cmd.args[0] && cmd.command === process.execPath ? cmd.args[0] : cmd.command;
      const login = await codexLogin(bin, home, 'rs');
      assert.equal(login.code, 0, login.stderr);
      const entry = readCodexCredential(home, 'rs', mcp.url)!;
      assert.equal(entry.issuer, as.issuer);
      assert.equal(claimsOf(entry.access_token)!.aud, mcp.url);
      const reg = as.registrations.at(-1)!;
      assert.equal(reg.body.client_name, 'Codex');
      const v = await askCodex(toml, { credentialsJson: readFileSync(join(home, '.credentials.json'), 'utf8') });
      assert.equal(v.servers.rs!.connected, true, JSON.stringify(v.servers.rs));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('real authorization server variants', () => {
  test('pre-registered client with another redirect URI: the AS refuses with invalid_redirect_uri', async () => {
    const as = await startRealAs({
      clients: [{ client_id: 'pre-registered', token_endpoint_auth_method: 'none', application_type: 'native', redirect_uris: ['http://127.0.0.1:9/registered'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }],
    });
    try {
      await assert.rejects(mintTokens(as, { clientId: 'pre-registered', redirectUri: 'http://127.0.0.1:9/other' }), /invalid_redirect_uri/);
      const ok = await mintTokens(as, { clientId: 'pre-registered', redirectUri: 'http://127.0.0.1:9/registered', scope: 'openid' });
      assert.ok(ok.accessToken);
    } finally {
      await as.close();
    }
  });

  test('no registration endpoint; strict scope list refuses a registration naming other scopes', async () => {
    const noReg = await startRealAs({ registration: false });
    const strict = await startRealAs({ scopes: ['openid', 'mcp:tools'] });
    try {
      assert.equal(noReg.metadata.registration_endpoint, undefined);
      assert.deepEqual(strict.metadata.scopes_supported, ['openid', 'mcp:tools']);
      await assert.rejects(registerClient(strict, undefined, { scope: 'mcp:tools offline_access' }), /invalid_client_metadata/);
    } finally {
      await noReg.close();
      await strict.close();
    }
  });

  test('resource indicators off: every access token is opaque', async () => {
    const as = await startRealAs({ resourceIndicators: false });
    try {
      const t = await mintTokens(as, { scope: 'openid mcp:tools' });
      assert.equal(claimsOf(t.accessToken), undefined);
    } finally {
      await as.close();
    }
  });
});
