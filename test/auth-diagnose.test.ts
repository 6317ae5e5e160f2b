import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { codexAuthorizationFor, diagnoseAuth, suggestedTokenVar, type AuthDiagnosis, type AuthDiagnosisInput, type CodexAuthorization } from '../src/auth/diagnose-auth.ts';
import type { ServerConfig } from '../src/config/server-config.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { createRedactor, type Redactor } from '../src/redact.ts';
import { credentialsDocument, fakeJwt, startOAuthFixture, type OAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth/oauth-fixtures.ts';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';

const open: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function serverConfig(name: string, url: string, over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    name,
    source: '/tmp/config.toml',
    transport: 'streamable_http',
    raw: { url },
    enabled: true,
    required: false,
    args: [],
    env: {},
    envVars: [],
    url,
    httpHeaders: {},
    envHttpHeaders: {},
    startupTimeoutSec: 30,
    startupTimeoutExplicit: false,
    ...over,
  };
}

function codexHome(credentials?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-auth-diag-'));
  dirs.push(dir);
  if (credentials !== undefined) writeFileSync(join(dir, '.credentials.json'), credentials);
  return dir;
}

async function fixture(opts: OAuthFixtureOptions = {}): Promise<OAuthFixture> {
  const fx = await startOAuthFixture(opts);
  open.push(fx);
  return fx;
}

/** Every secret the tests plant; none may appear in a diagnosis. */
const planted: string[] = [];
function plant(token: string): string {
  planted.push(token);
  return token;
}

function assertNoSecrets(d: AuthDiagnosis): void {
  const text = JSON.stringify(d);
  for (const secret of planted) {
    assert.ok(!text.includes(secret), `secret ${secret.slice(0, 12)}… leaked into the diagnosis`);
    const sig = secret.split('.')[2];
    if (sig) assert.ok(!text.includes(sig), 'a JWT signature leaked');
  }
}

interface RunOpts {
  home?: string;
  env?: Record<string, string>;
  server?: Partial<ServerConfig>;
  /** Send the Authorization Codex would send (default true). */
  sendAsCodex?: boolean;
  globals?: AuthDiagnosisInput['globals'];
  now?: number;
  get?: AuthDiagnosisInput['get'];
}

/**
 * What the auth stage will do: work out Codex's Authorization, POST initialize with it to the
 * MCP URL, and hand the answer to diagnoseAuth.
 */
async function run(name: string, url: string, o: RunOpts = {}): Promise<AuthDiagnosis & { redact: Redactor }> {
  const redact = createRedactor();
  const deps = defaultDeps({ codexHome: o.home ?? codexHome(), env: o.env ?? {}, platform: 'linux' });
  const server = serverConfig(name, url, o.server);
  const nowMs = o.now ?? Date.now();
  const auth: CodexAuthorization = o.sendAsCodex === false ? { source: 'none', detail: 'not sent' } : await codexAuthorizationFor({ server, deps, redact, nowMs, mode: o.globals?.credentialsStore });
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (auth.authorization) headers.authorization = auth.authorization;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } }),
    signal: AbortSignal.timeout(5000),
  });
  const bodyText = await res.text();
  const d = await diagnoseAuth({
    server,
    first: { status: res.status, headers: Object.fromEntries(res.headers), bodyText },
    sent: auth,
    deps,
    redact,
    nowMs,
    globals: o.globals ?? { credentialsStore: 'file' },
    requestTimeoutMs: 3000,
    ...(o.get ? { get: o.get } : {}),
  });
  return { ...d, redact };
}

/** Codes with severities; info findings left out unless asked for (they depend on challenge details). */
const codes = (d: AuthDiagnosis, withInfo = false) => d.findings.filter((f) => withInfo || f.severity !== 'info').map((f) => `${f.code}:${f.severity}`);

describe('diagnoseAuth: not logged in', () => {
  test('oauth-protected (shared HTTP fixture), no credentials: auth.login-required first', async () => {
    const srv = await startFixtureServer('oauth-protected');
    open.push(srv);
    const d = await run('notes', srv.url);
    assert.equal(d.cause, 'auth.login-required');
    assert.equal(d.findings[0]!.fix!.command, 'codex mcp login notes');
    assert.equal(d.summary, '401: not logged in');
    assert.deepEqual(
      d.evidence.urlsTried.slice(0, 2).map((u) => u.status),
      [200, 200],
    );
    assert.ok(srv.requests.filter((r) => r.method === 'GET').every((r) => r.headers.authorization === undefined));
  });

  test('a login for the same name at another URL: login-required, then credentials-orphaned', async () => {
    const fx = await fixture({});
    const home = codexHome(credentialsDocument([{ name: 'fx', url: `${fx.url}/`, accessToken: plant('orphan-token-abcdef123') }]));
    const d = await run('fx', fx.url, { home });
    assert.deepEqual(codes(d), ['auth.login-required:error', 'auth.credentials-orphaned:warning']);
    assert.match(d.findings[0]!.message, /URL changed since the login/);
    assertNoSecrets(d);
  });

  test('a login for this URL under another name: the rename is named, with the logout command', async () => {
    const fx = await fixture({});
    const home = codexHome(credentialsDocument([{ name: 'old-name', url: fx.url, accessToken: plant('renamed-token-abcdef123') }]));
    const d = await run('fx', fx.url, { home });
    assert.equal(d.cause, 'auth.login-required');
    const orphan = d.findings.find((f) => f.code === 'auth.credentials-orphaned')!;
    assert.match(orphan.fix!.summary, /codex mcp logout old-name/);
    assertNoSecrets(d);
  });

  test('no dynamic registration: login-required, then registration-unavailable with the redirect URI', async () => {
    const srv = await startFixtureServer('oauth-no-registration');
    open.push(srv);
    const d = await run('box', srv.url);
    assert.deepEqual(codes(d), ['auth.login-required:error', 'auth.registration-unavailable:warning']);
    assert.match(d.findings[1]!.fix!.summary, /http:\/\/127\.0\.0\.1:\d+\/callback\/[A-Za-z0-9_-]{12}/);
  });

  test('authorization server on another origin: login-required only (no codex-discovery-differs noise)', async () => {
    const fx = await fixture({ separateAs: true });
    const d = await run('fx', fx.url);
    assert.deepEqual(codes(d, true), ['auth.login-required:error']);
    assert.equal((d.evidence.authorizationServer as any).metadataUrl, `${fx.asOrigin}/.well-known/oauth-authorization-server`);
  });

  test('an OIDC-only authorization server without registration (oauth2-mock-server-like)', async () => {
    const fx = await fixture({
      separateAs: true,
      asMetadataAt: ['oidc-insert'],
      editMetadata: (m, u) => {
        delete m.registration_endpoint;
        m.jwks_uri = `${u.asOrigin}/jwks`;
        m.subject_types_supported = ['public'];
        m.id_token_signing_alg_values_supported = ['RS256'];
      },
    });
    const d = await run('fx', fx.url);
    assert.deepEqual(codes(d), ['auth.login-required:error', 'auth.registration-unavailable:warning']);
    assert.equal((d.evidence.authorizationServer as any).kind, 'oidc');
    // PRM, AS metadata (RFC 8414 404, OIDC 200), Codex's GET probe; no own-origin probe of older releases.
    assert.deepEqual((d.findings[0]!.evidence as any).discovery.map((l: string) => l.split(' ')[0]), ['200', '404', '200', '401']);
  });

  test('no metadata, only the 2025-03-26 endpoints: login-required and a warning that codex mcp list says Unsupported', async () => {
    const fx = await fixture({ prmPaths: () => [], asMetadataAt: [], challenge: () => 'Bearer realm="x"' });
    const d = await run('fx', fx.url);
    assert.deepEqual(codes(d), ['auth.login-required:error', 'auth.codex-discovery-differs:warning']);
    assert.equal((d.evidence.codex as any).predictedAuthStatus, 'unsupported');
  });
});

describe('diagnoseAuth: login would fail', () => {
  test('PRM resource with a trailing slash: resource-mismatch first (Codex refuses), then login-required', async () => {
    const fx = await fixture({ prm: (u) => ({ resource: `${u.url}/`, authorization_servers: [u.issuer] }) });
    const d = await run('fx', fx.url);
    assert.deepEqual(codes(d).slice(0, 2), ['auth.resource-mismatch:error', 'auth.login-required:error']);
    assert.match(d.summary, /login would fail/);
    assert.match(d.findings[1]!.message, /will fail until auth\.resource-mismatch/);
    const toml = parseToml(d.findings[0]!.fix!.toml!) as any;
    assert.equal(toml.mcp_servers.fx.url, `${fx.url}/`);
  });

  test('PKCE without S256: metadata-invalid first', async () => {
    const fx = await fixture({ editMetadata: (m) => (m.code_challenge_methods_supported = ['plain']) });
    const d = await run('fx', fx.url);
    assert.equal(d.cause, 'auth.metadata-invalid');
    assert.equal(d.findings[0]!.severity, 'error');
  });

  test('the PRM names an authorization server without metadata: metadata-invalid, no login-required', async () => {
    const fx = await fixture({ separateAs: true, asMetadataAt: [] });
    const d = await run('fx', fx.url);
    assert.equal(d.cause, 'auth.metadata-invalid');
    assert.ok(!d.findings.some((f) => f.code === 'auth.login-required'));
  });

  test('the PRM is an HTML page: protected-resource-invalid first', async () => {
    const fx = await fixture({ prmRaw: { status: 200, contentType: 'text/html', body: '<html></html>' }, asMetadataAt: [], endpoints: false });
    const d = await run('fx', fx.url);
    assert.equal(d.cause, 'auth.protected-resource-invalid');
  });
});

describe('diagnoseAuth: stored credentials', () => {
  test('expired without a refresh token: token-expired', async () => {
    const fx = await fixture({});
    const home = codexHome(credentialsDocument([{ name: 'fx', url: fx.url, accessToken: plant('expired-token-abcdef123'), expiresAt: Date.now() - 60_000 }]));
    const d = await run('fx', fx.url, { home });
    assert.equal(d.cause, 'auth.token-expired');
    assert.match(d.findings[0]!.message, /no refresh token/);
    assert.equal(d.findings[0]!.fix!.command, 'codex mcp login fx');
    assertNoSecrets(d);
  });

  test('expired, refresh token but no issuer (older Codex entry): token-expired, with the reason', async () => {
    const fx = await fixture({});
    const home = codexHome(
      credentialsDocument([{ name: 'fx', url: fx.url, accessToken: plant('expired-token-xyz987654'), refreshToken: plant('refresh-token-xyz987654'), expiresAt: Date.now() - 60_000 }]),
    );
    const d = await run('fx', fx.url, { home });
    assert.equal(d.cause, 'auth.token-expired');
    assert.match(d.findings[0]!.message, /no authorization server issuer/);
    assertNoSecrets(d);
  });

  test('expired with a refresh token and an issuer: Codex refreshes it, and a passive check cannot verify that (refresh not verified, a warning)', async () => {
    const fx = await fixture({});
    const home = codexHome(
      credentialsDocument([
        { name: 'fx', url: fx.url, accessToken: plant('expired-token-refreshable1'), refreshToken: plant('refresh-token-refreshable1'), expiresAt: Date.now() - 60_000, issuer: fx.issuer },
      ]),
    );
    const d = await run('fx', fx.url, { home });
    assert.equal(d.cause, 'auth.refresh-unverified');
    assert.equal(d.findings[0]!.severity, 'warning');
    assert.match(d.summary, /refresh not verified/);
    assertNoSecrets(d);
  });

  test('a stored token issued without `resource` (aud = client id) is sent and rejected: token-not-resource-bound', async () => {
    const fx = await fixture({});
    const jwt = plant(fakeJwt({ iss: fx.issuer, aud: 'client-123', scope: 'mcp:tools', exp: Math.floor(Date.now() / 1000) + 3600 }));
    const home = codexHome(credentialsDocument([{ name: 'fx', url: fx.url, accessToken: jwt, clientId: 'client-123', issuer: fx.issuer, expiresAt: Date.now() + 3_600_000 }]));
    const d = await run('fx', fx.url, { home });
    assert.equal(d.cause, 'auth.token-not-resource-bound');
    const f = d.findings[0]!;
    assert.equal((f.evidence as any).tokenClaims.aud, 'client-123');
    assert.match(f.message, /answered 401 invalid_token/);
    // The client id as audience: `resource` was left out of the token request (not "another server").
    assert.match(f.message, /left out the RFC 8707 `resource`/);
    assert.doesNotMatch(f.message, /another resource/);
    // Codex 0.171 sends the PRM's resource itself: logging in again is the whole fix.
    assert.equal(f.fix!.command, 'codex mcp login fx');
    assert.equal(f.fix!.toml, undefined);
    assertNoSecrets(d);
  });

  test('an opaque stored token the server rejects: token-rejected with the login command', async () => {
    const fx = await fixture({});
    const home = codexHome(credentialsDocument([{ name: 'fx', url: fx.url, accessToken: plant('opaque-revoked-token-123'), issuer: fx.issuer, expiresAt: Date.now() + 3_600_000 }]));
    const d = await run('fx', fx.url, { home });
    assert.equal(d.cause, 'auth.token-rejected');
    assert.equal(d.findings[0]!.fix!.command, 'codex mcp login fx');
    assertNoSecrets(d);
  });

  test('stored login with narrower scopes than the challenge asks for: scopes-narrower', async () => {
    const fx = await fixture({ challenge: (u) => `Bearer resource_metadata="${u.prmUrl}", scope="mcp:tools files:write"` });
    const home = codexHome(
      credentialsDocument([{ name: 'fx', url: fx.url, accessToken: plant('narrow-scope-token-123'), scopes: ['mcp:tools'], issuer: fx.issuer, expiresAt: Date.now() + 3_600_000 }]),
    );
    // As if the stage had not sent the token: the challenge to a token-less request names the scopes.
    const d = await run('fx', fx.url, { home, sendAsCodex: false });
    assert.match(d.summary, /look usable/);
    const f = d.findings.find((x) => x.code === 'auth.scopes-narrower');
    assert.ok(f);
    assert.deepEqual((f.evidence as any).missing, ['files:write']);
    assert.deepEqual((parseToml(f.fix!.toml!) as any).mcp_servers.fx.scopes, ['mcp:tools', 'files:write']);
  });

  test('insufficient-scope (shared HTTP fixture): 403 with the scopes to request', async () => {
    const srv = await startFixtureServer('insufficient-scope');
    open.push(srv);
    const home = codexHome(credentialsDocument([{ name: 'files', url: srv.url, accessToken: plant('scope-test-token-abc123'), scopes: ['mcp:tools'], expiresAt: Date.now() + 3_600_000, issuer: `${srv.origin}/` }]));
    const d = await run('files', srv.url, { home });
    assert.equal(d.cause, 'auth.insufficient-scope');
    const toml = parseToml(d.findings[0]!.fix!.toml!) as any;
    assert.deepEqual(toml.mcp_servers.files.scopes, ['mcp:tools', 'files:read', 'files:write']);
    assert.deepEqual((d.findings[0]!.evidence as any).storedScopes, ['mcp:tools']);
    assertNoSecrets(d);
  });
});

describe('diagnoseAuth: configured tokens and no OAuth', () => {
  test('bearer-no-oauth (shared HTTP fixture): oauth-unsupported with a bearer_token_env_var fix', async () => {
    const srv = await startFixtureServer('bearer-no-oauth');
    open.push(srv);
    const d = await run('internal-api', srv.url);
    assert.equal(d.cause, 'auth.oauth-unsupported');
    const toml = parseToml(d.findings[0]!.fix!.toml!) as any;
    assert.equal(toml.mcp_servers['internal-api'].bearer_token_env_var, 'INTERNAL_API_TOKEN');
    const tried = (d.findings[0]!.evidence as any).urlsTried as string[];
    assert.ok(tried.some((l) => l.startsWith('404 ') && l.endsWith('/.well-known/oauth-protected-resource/mcp')));
    assert.ok(tried.some((l) => l.startsWith('404 ') && l.endsWith('/.well-known/oauth-authorization-server')));
    assert.equal(suggestedTokenVar('9lives'), 'MCP_9LIVES_TOKEN');
  });

  test('a token from bearer_token_env_var that the server rejects: token-rejected, value never shown', async () => {
    const srv = await startFixtureServer('bearer-no-oauth');
    open.push(srv);
    const secret = plant('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    const d = await run('api', srv.url, { env: { API_TOKEN: secret }, server: { bearerTokenEnvVar: 'API_TOKEN' } });
    assert.equal(d.cause, 'auth.token-rejected');
    assert.match(d.findings[0]!.message, /\$API_TOKEN/);
    assertNoSecrets(d);
  });

  test('a rejected configured token on a server that supports OAuth: the message says Codex skips OAuth', async () => {
    const fx = await fixture({});
    const d = await run('fx', fx.url, { env: { FX_TOKEN: plant('wrong-configured-token-1') }, server: { bearerTokenEnvVar: 'FX_TOKEN' } });
    assert.equal(d.cause, 'auth.token-rejected');
    assert.match(d.findings[0]!.message, /Codex skips while a token is configured/);
  });

  test('HTTP Basic challenge: oauth-unsupported with an env_http_headers fix', async () => {
    const fx = await fixture({ challenge: () => 'Basic realm="intranet"', prmPaths: () => [], asMetadataAt: [], endpoints: false });
    const d = await run('intranet', fx.url);
    assert.equal(d.cause, 'auth.oauth-unsupported');
    const toml = parseToml(d.findings[0]!.fix!.toml!) as any;
    assert.equal(toml.mcp_servers.intranet.env_http_headers.Authorization, 'INTRANET_AUTHORIZATION');
  });

  test('GitHub Copilot MCP: personal access token, no discovery requests at all', async () => {
    let fetched = 0;
    const d = await diagnoseAuth({
      server: serverConfig('github', 'https://api.githubcopilot.com/mcp/'),
      first: { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_request"' } },
      sent: { source: 'none' },
      deps: defaultDeps({ codexHome: codexHome(), env: {} }),
      redact: createRedactor(),
      nowMs: Date.now(),
      get: async (url) => {
        fetched++;
        return { url, status: 0, headers: {}, bodyText: '', error: 'must not be called' };
      },
    });
    assert.equal(d.cause, 'auth.oauth-unsupported');
    assert.equal(fetched, 0);
    assert.equal((parseToml(d.findings[0]!.fix!.toml!) as any).mcp_servers.github.bearer_token_env_var, 'CODEX_GITHUB_PERSONAL_ACCESS_TOKEN');
  });
});

describe('diagnoseAuth: the challenge itself', () => {
  test('DPoP before Bearer: the SDK-hostile layout is a warning next to the real cause', async () => {
    const fx = await fixture({ challenge: (u) => `DPoP algs="ES256", Bearer resource_metadata="${u.prmUrl}", scope="mcp:tools"` });
    const d = await run('fx', fx.url);
    assert.equal(d.cause, 'auth.login-required');
    const f = d.findings.find((x) => x.code === 'auth.challenge-nonstandard');
    assert.equal(f?.severity, 'warning');
    assert.match(f!.message, /official TypeScript SDK/);
  });

  test('the challenge evidence keeps its parameters through another redaction pass', async () => {
    const fx = await fixture({});
    const d = await run('fx', fx.url);
    const again = createRedactor().value(d.evidence.challenge) as any;
    assert.equal(again.challenges[0].scheme, 'Bearer');
    assert.equal(again.challenges[0].params.resource_metadata, fx.prmUrl);
    assert.equal(again.challenges[0].params.scope, 'mcp:tools');
  });

  test('no scope in the challenge: info only', async () => {
    const fx = await fixture({ challenge: (u) => `Bearer resource_metadata="${u.prmUrl}"` });
    const d = await run('fx', fx.url);
    assert.equal(d.findings.find((x) => x.code === 'auth.challenge-nonstandard')?.severity, 'info');
  });

  test('not a 401/403: nothing to say', async () => {
    const d = await diagnoseAuth({
      server: serverConfig('x', 'http://127.0.0.1:9/mcp'),
      first: { status: 200, headers: {} },
      sent: { source: 'none' },
      deps: defaultDeps({ codexHome: codexHome(), env: {} }),
      redact: createRedactor(),
      nowMs: Date.now(),
    });
    assert.deepEqual(d.findings, []);
  });
});

describe('safety', () => {
  test('a token is only ever sent to the MCP URL, and every discovery GET is credential-free', async () => {
    const fx = await fixture({ separateAs: true });
    const jwt = plant(fakeJwt({ aud: 'client-x', exp: Math.floor(Date.now() / 1000) + 3600 }));
    const home = codexHome(credentialsDocument([{ name: 'fx', url: fx.url, accessToken: jwt, issuer: fx.issuer, expiresAt: Date.now() + 3_600_000 }]));
    const d = await run('fx', fx.url, { home });
    const withAuth = fx.requests.filter((r) => r.headers.authorization !== undefined);
    assert.ok(withAuth.length >= 1);
    assert.ok(withAuth.every((r) => r.server === 'mcp' && r.method === 'POST' && r.path === '/mcp'));
    assert.ok(fx.requests.filter((r) => r.server === 'as').every((r) => r.method === 'GET'), 'no registration or token request');
    assertNoSecrets(d);
  });
});
