/**
 * The official SDK's OAuth demo as a real authorization server (shared/reference/peers.md §3.7):
 * PRM only at the path-aware URL, the AS on another port, auto-approving. It listens on every
 * interface by default, so fixtures/http/loopback.cjs is preloaded to keep it on 127.0.0.1.
 * Skipped when the SDK example is missing or the ports cannot be bound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codexAuthorizationFor, diagnoseAuth } from '../src/auth/diagnose-auth.ts';
import type { ServerConfig } from '../src/config/server-config.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { createRedactor } from '../src/redact.ts';
import { credentialsDocument } from '../fixtures/oauth/oauth-fixtures.ts';
import { startSdkOAuthDemo, type SdkOAuthDemo } from './helpers/real-servers.ts';

let demo: SdkOAuthDemo | undefined;
let skip: string | false = false;
let mcpUrl = '';
let asOrigin = '';
const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-sdk-demo-'));

before(async () => {
  const started = await startSdkOAuthDemo();
  if ('skip' in started) {
    skip = started.skip;
    return;
  }
  demo = started;
  ({ mcpUrl, asOrigin } = started);
});

after(async () => {
  await demo?.stop();
  rmSync(home, { recursive: true, force: true });
});

function server(): ServerConfig {
  return {
    name: 'demo',
    source: '/tmp/config.toml',
    transport: 'streamable_http',
    raw: { url: mcpUrl },
    enabled: true,
    required: false,
    args: [],
    env: {},
    envVars: [],
    url: mcpUrl,
    httpHeaders: {},
    envHttpHeaders: {},
    startupTimeoutSec: 30,
    startupTimeoutExplicit: false,
  };
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } });

async function post(authorization?: string) {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) },
    body: INIT,
    signal: AbortSignal.timeout(5000),
  });
  const bodyText = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), bodyText };
}

/** The demo AS auto-approves: DCR, authorize with PKCE + resource, token — as a client would, headless. */
async function loginHeadless(): Promise<{ accessToken: string; clientId: string; refreshToken?: string }> {
  const redirect = 'http://127.0.0.1:1/callback/x';
  const reg = (await (
    await fetch(`${asOrigin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'mcp-doctor-test', redirect_uris: [redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
      signal: AbortSignal.timeout(5000),
    })
  ).json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${asOrigin}/authorize`);
  authorize.search = new URLSearchParams({ response_type: 'code', client_id: reg.client_id, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256', resource: mcpUrl, state: 's' }).toString();
  const redirected = await fetch(authorize, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  const code = new URL(redirected.headers.get('location')!).searchParams.get('code')!;
  const tok = (await (
    await fetch(`${asOrigin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: reg.client_id, redirect_uri: redirect, resource: mcpUrl }),
      signal: AbortSignal.timeout(5000),
    })
  ).json()) as { access_token: string; refresh_token?: string };
  return { accessToken: tok.access_token, clientId: reg.client_id, refreshToken: tok.refresh_token };
}

describe('the official SDK OAuth demo as a real authorization server', () => {
  test('not logged in: auth.login-required, PRM from the challenge, AS metadata on the other port', async (t) => {
    if (skip) return t.skip(skip);
    const redact = createRedactor();
    const deps = defaultDeps({ codexHome: home, env: {}, platform: 'linux' });
    const first = await post();
    assert.equal(first.status, 401);
    const d = await diagnoseAuth({ server: server(), first, sent: { source: 'none' }, deps, redact, nowMs: Date.now(), globals: { credentialsStore: 'file' }, requestTimeoutMs: 3000 });
    assert.equal(d.cause, 'auth.login-required');
    const prm = d.evidence.protectedResource as any;
    assert.equal(prm.location, 'header');
    assert.equal(prm.resource, mcpUrl);
    assert.equal(prm.resourceMatch, 'exact');
    const as = d.evidence.authorizationServer as any;
    assert.equal(as.metadataUrl, `${asOrigin}/.well-known/oauth-authorization-server`);
    assert.equal(as.pkce, 'S256');
    assert.deepEqual(as.registration, { dcr: true, cimd: false });
    assert.equal((d.evidence.codex as any).predictedAuthStatus, 'not_logged_in');
    // The demo sends error="invalid_token" without a token: an RFC 6750 SHOULD NOT, info only.
    assert.equal(d.findings.find((f) => f.code === 'auth.challenge-nonstandard')?.severity, 'info');
    assert.ok(!d.findings.some((f) => f.severity === 'error' && f.code !== 'auth.login-required'));
  });

  test('after a headless login the stored token is what Codex sends, and the demo accepts it', async (t) => {
    if (skip) return t.skip(skip);
    const login = await loginHeadless();
    writeFileSync(
      join(home, '.credentials.json'),
      credentialsDocument([{ name: 'demo', url: mcpUrl, accessToken: login.accessToken, clientId: login.clientId, refreshToken: login.refreshToken ?? null, expiresAt: Date.now() + 3_600_000, issuer: `${asOrigin}/` }]),
    );
    const redact = createRedactor();
    const deps = defaultDeps({ codexHome: home, env: {}, platform: 'linux' });
    const auth = await codexAuthorizationFor({ server: server(), deps, redact, nowMs: Date.now(), mode: 'file' });
    assert.equal(auth.source, 'oauth');
    assert.equal(redact.text(auth.authorization!), 'Bearer <redacted>');
    const res = await post(auth.authorization);
    assert.equal(res.status, 200);
  });

  test('the same login, expired with no refresh token: auth.token-expired; the token never shows', async (t) => {
    if (skip) return t.skip(skip);
    const login = await loginHeadless();
    writeFileSync(
      join(home, '.credentials.json'),
      credentialsDocument([{ name: 'demo', url: mcpUrl, accessToken: login.accessToken, clientId: login.clientId, refreshToken: null, expiresAt: Date.now() - 120_000, issuer: `${asOrigin}/` }]),
    );
    const redact = createRedactor();
    const deps = defaultDeps({ codexHome: home, env: {}, platform: 'linux' });
    const auth = await codexAuthorizationFor({ server: server(), deps, redact, nowMs: Date.now(), mode: 'file' });
    assert.equal(auth.authorization, undefined, 'an expired token is not sent');
    const d = await diagnoseAuth({ server: server(), first: await post(), sent: auth, deps, redact, nowMs: Date.now(), globals: { credentialsStore: 'file' }, requestTimeoutMs: 3000 });
    assert.equal(d.cause, 'auth.token-expired');
    assert.ok(!JSON.stringify(d).includes(login.accessToken));
  });
});
