// Unit tests of the claims-first causes (token-claims.ts, claims-findings.ts), the issuing-AS
// check (issuer-check.ts: only ever the AS that issued the token), Codex 0.171's login scopes
// (codex-scopes.ts), the authorization server's error page (authorization-error.ts) and --login's
// revision of a rejected opaque stored token.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseToml } from 'smol-toml';
import { claimsFinding } from '../src/auth/claims-findings.ts';
import { codexLoginScopes, loginScopeFinding } from '../src/auth/codex-scopes.ts';
import { checkWithIssuer } from '../src/auth/issuer-check.ts';
import { isRedirectUriError, readAuthorizationError } from '../src/auth/login/authorization-error.ts';
import { reviseAfterSuccess } from '../src/auth/login/login-findings.ts';
import type { LoginFlowResult } from '../src/auth/login/login-flow.ts';
import { claimsCause, readToken, sameResource } from '../src/auth/token-claims.ts';
import type { ServerConfig } from '../src/config/server-config.ts';
import { makeFinding } from '../src/findings/make-finding.ts';
import { createRedactor } from '../src/redact.ts';

const URL_ = 'https://mcp.example.com/mcp';
const ISSUER = 'https://auth.example.com';
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

function jwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'at+jwt' }): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part(header)}.${part(claims)}.c2lnbmF0dXJlLXNlY3JldC1ieXRlcw`;
}

function server(over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    name: 'ex',
    source: '/tmp/config.toml',
    transport: 'streamable_http',
    raw: { url: URL_ },
    enabled: true,
    required: false,
    args: [],
    env: {},
    envVars: [],
    url: URL_,
    httpHeaders: {},
    envHttpHeaders: {},
    startupTimeoutSec: 30,
    startupTimeoutExplicit: false,
    ...over,
  } as ServerConfig;
}

function read(token: string, extra: Partial<Parameters<typeof readToken>[0]> = {}) {
  const redact = createRedactor([token]);
  return { redact, reading: readToken({ token, nowMs: NOW, resource: URL_, configuredUrl: URL_, issuer: ISSUER, requiredScopes: ['mcp:tools'], redact, ...extra }) };
}

describe('token claims: the cause, most decisive first', () => {
  test('RFC 8707 comparison: case of scheme and host, default port, fragment, a trailing slash', () => {
    assert.ok(sameResource('HTTPS://MCP.example.com:443/mcp', URL_));
    assert.ok(sameResource(`${URL_}/`, URL_));
    assert.ok(sameResource(`${URL_}#x`, URL_));
    assert.ok(!sameResource('https://mcp.example.com/MCP', URL_), 'the path is case-sensitive');
    assert.ok(!sameResource('https://mcp.example.com:8443/mcp', URL_));
  });

  test('expired comes first, even when the audience is wrong too', () => {
    const { reading } = read(jwt({ iss: ISSUER, aud: 'https://other.example/mcp', exp: NOW / 1000 - 60, scope: 'mcp:tools' }));
    assert.equal(claimsCause(reading), 'expired');
  });

  test('audience: the client id means `resource` was left out; another URL means it was sent for another server; a name is another API', () => {
    assert.equal(read(jwt({ iss: ISSUER, aud: 'client-1', client_id: 'client-1', exp: NOW / 1000 + 60, scope: 'mcp:tools' })).reading.audience.kind, 'no-resource');
    assert.equal(read(jwt({ iss: ISSUER, aud: ISSUER, exp: NOW / 1000 + 60 })).reading.audience.kind, 'no-resource');
    assert.equal(read(jwt({ iss: ISSUER, aud: 'https://other.example/mcp', exp: NOW / 1000 + 60 })).reading.audience.kind, 'other-resource');
    assert.equal(read(jwt({ iss: ISSUER, aud: 'api://default', exp: NOW / 1000 + 60 })).reading.audience.kind, 'other-audience');
    assert.equal(read(jwt({ iss: ISSUER, aud: ['x', 'https://MCP.example.com/mcp/'], exp: NOW / 1000 + 60, scope: 'mcp:tools' })).reading.audience.kind, 'bound');
  });

  test('issuer, then scope; an RFC 9068 at+jwt without `scope` grants none; a plain JWT without it says nothing', () => {
    assert.equal(claimsCause(read(jwt({ iss: 'https://evil.example', aud: URL_, exp: NOW / 1000 + 60, scope: 'mcp:tools' })).reading), 'issuer');
    assert.equal(claimsCause(read(jwt({ iss: ISSUER, aud: URL_, exp: NOW / 1000 + 60, scope: 'openid' })).reading), 'scope');
    assert.equal(claimsCause(read(jwt({ iss: ISSUER, aud: URL_, exp: NOW / 1000 + 60 })).reading), 'scope');
    assert.equal(claimsCause(read(jwt({ iss: ISSUER, aud: URL_, exp: NOW / 1000 + 60 }, { alg: 'RS256', typ: 'JWT' })).reading), undefined);
    assert.equal(claimsCause(read(jwt({ iss: `${ISSUER}/`, aud: URL_, exp: NOW / 1000 + 60, scp: ['mcp:tools'] })).reading), undefined);
  });

  test('opaque tokens are named as such and have no cause of their own', () => {
    const { reading } = read('d712f881-33c3-4dec-af2f-3652c3e19c5c');
    assert.equal(reading.format, 'opaque');
    assert.equal(claimsCause(reading), undefined);
  });

  test('findings: the fix follows the source; the token, its signature and secret-looking claims never appear', () => {
    const token = jwt({ iss: ISSUER, aud: 'client-1', client_id: 'client-1', exp: NOW / 1000 - 5, sub: 'user@example.com', secret: 'shh-very-secret' });
    const { reading, redact } = read(token);
    const answer = { status: 401 };
    const env = claimsFinding({ server: server({ bearerTokenEnvVar: 'EX_TOKEN' }), source: 'bearer_token_env_var', reading, answer, resource: URL_, prmFound: true, redact })!;
    assert.equal(env.code, 'auth.token-expired');
    assert.match(env.message, /^The token in \$EX_TOKEN of "ex" has expired/);
    assert.match(env.fix!.summary, /export it as EX_TOKEN/);
    const stored = claimsFinding({ server: server(), source: 'oauth', reading, answer, resource: URL_, prmFound: true, redact, entry: { accessToken: token, clientId: 'client-1', scopes: [] } as never })!;
    assert.match(stored.message, /`expires_at` is null/);
    assert.equal(stored.fix!.command, 'codex mcp login ex');
    const text = JSON.stringify([env, stored]);
    assert.ok(!text.includes(token) && !text.includes(token.split('.')[2]!));
    assert.ok(!text.includes('shh-very-secret') && !text.includes('user@example.com'), 'only whitelisted claims');
  });

  test('an aud for another server: the message says `resource` was sent for another server, not that it was left out', () => {
    const { reading, redact } = read(jwt({ iss: ISSUER, aud: 'https://other.example/mcp', exp: NOW / 1000 + 60 }));
    const f = claimsFinding({ server: server(), source: 'http_headers', reading, answer: { status: 401 }, resource: URL_, prmFound: true, redact })!;
    assert.equal(f.code, 'auth.token-not-resource-bound');
    assert.match(f.message, /requested with `resource` set to another server/);
    assert.doesNotMatch(f.message, /left out/);
  });
});

// ── the issuing AS, and only it ──────────────────────────────────────────────────────────────

const servers: http.Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections?.(), s.close();
});

async function listen(handler: http.RequestListener): Promise<{ origin: string; seen: Array<{ path: string; auth?: string }> }> {
  const seen: Array<{ path: string; auth?: string }> = [];
  const s = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    handler(req, res);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

describe('issuer check: a rejected token goes back only to the AS that issued it', () => {
  const opaque = 'opaque-token-value-0123456789';
  const reading = readToken({ token: opaque, nowMs: NOW, configuredUrl: URL_, redact: createRedactor([opaque]) });

  test('userinfo 200 → alive; 403 insufficient_scope → alive; 401 → rejected; the body is never kept', async () => {
    let status = 200;
    const as = await listen((_req, res) => {
      if (status === 200) return res.writeHead(200, { 'content-type': 'application/json' }).end('{"sub":"private-person","email":"p@example.com"}');
      res.writeHead(status, { 'www-authenticate': `Bearer error="${status === 403 ? 'insufficient_scope' : 'invalid_token'}"` }).end();
    });
    const metadata = { issuer: as.origin, userinfo_endpoint: `${as.origin}/me` };
    const redact = createRedactor([opaque]);
    const alive = await checkWithIssuer({ token: opaque, reading, metadata, recordedIssuer: `${as.origin}/`, redact });
    assert.equal(alive.verdict, 'alive');
    assert.ok(!JSON.stringify(alive).includes('private-person'), 'userinfo data is never kept');
    status = 403;
    assert.equal((await checkWithIssuer({ token: opaque, reading, metadata, recordedIssuer: as.origin, redact })).verdict, 'alive');
    status = 401;
    const dead = await checkWithIssuer({ token: opaque, reading, metadata, recordedIssuer: as.origin, redact });
    assert.equal(dead.verdict, 'rejected');
    assert.equal(dead.said, 'invalid_token');
    assert.equal(as.seen.filter((r) => r.auth === `Bearer ${opaque}`).length, 3);
  });

  test('never sent: userinfo on another origin, a recorded issuer that differs, no provenance at all, and never through a redirect', async () => {
    const elsewhere = await listen((_req, res) => res.writeHead(200).end('{}'));
    const as = await listen((_req, res) => res.writeHead(302, { location: `${elsewhere.origin}/me` }).end());
    const redact = createRedactor([opaque]);
    const other = await checkWithIssuer({ token: opaque, reading, metadata: { issuer: as.origin, userinfo_endpoint: `${elsewhere.origin}/me` }, recordedIssuer: as.origin, redact });
    assert.equal(other.asked, 'none');
    const differs = await checkWithIssuer({ token: opaque, reading, metadata: { issuer: as.origin, userinfo_endpoint: `${as.origin}/me` }, recordedIssuer: 'https://another-as.example', redact });
    assert.equal(differs.asked, 'none');
    const unknown = await checkWithIssuer({ token: opaque, reading, metadata: { issuer: as.origin, userinfo_endpoint: `${as.origin}/me` }, redact });
    assert.equal(unknown.asked, 'none', 'an env token with no iss: not sent anywhere');
    const redirected = await checkWithIssuer({ token: opaque, reading, metadata: { issuer: as.origin, userinfo_endpoint: `${as.origin}/me` }, recordedIssuer: as.origin, redact });
    assert.equal(redirected.verdict, 'unknown');
    assert.equal(elsewhere.seen.length, 0, 'the other origin never saw a request, let alone the token');
  });

  test('introspection when the AS opens it to public clients: active true/false decides', async () => {
    let active = true;
    const as = await listen((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        assert.match(body, /client_id=client-1/);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ active }));
      });
    });
    const metadata = { issuer: as.origin, introspection_endpoint: `${as.origin}/introspect`, introspection_endpoint_auth_methods_supported: ['none'] };
    const redact = createRedactor([opaque]);
    assert.equal((await checkWithIssuer({ token: opaque, reading, metadata, recordedIssuer: as.origin, clientId: 'client-1', redact })).verdict, 'alive');
    active = false;
    const r = await checkWithIssuer({ token: opaque, reading, metadata, recordedIssuer: as.origin, clientId: 'client-1', redact });
    assert.equal(r.asked, 'introspection');
    assert.equal(r.verdict, 'rejected');
  });
});

// ── Codex 0.171's login scopes ───────────────────────────────────────────────────────────────

describe('codex mcp login scopes (measured: fixtures/oauth/measure-codex-oauth.ts scope-* variants)', () => {
  test('configured > challenge > PRM scopes_supported > AS scopes_supported, + offline_access when the AS lists it', () => {
    assert.deepEqual(codexLoginScopes({ challenge: ['mcp:tools'], asScopesSupported: ['mcp:tools'] }).scopes, ['mcp:tools']);
    assert.deepEqual(codexLoginScopes({ prmScopesSupported: ['mcp:tools', 'mcp:admin'], asScopesSupported: ['mcp:tools'] }).scopes, ['mcp:tools', 'mcp:admin']);
    assert.deepEqual(codexLoginScopes({ challenge: ['mcp:tools'], asScopesSupported: ['openid', 'mcp:tools', 'offline_access'] }).scopes, ['mcp:tools', 'offline_access']);
    assert.deepEqual(codexLoginScopes({ asScopesSupported: ['openid', 'mcp:tools', 'offline_access'] }).scopes, ['openid', 'mcp:tools', 'offline_access']);
    assert.deepEqual(codexLoginScopes({ configured: ['mcp:read'], challenge: ['mcp:tools'], asScopesSupported: ['mcp:tools'] }).scopes, ['mcp:read']);
    assert.deepEqual(codexLoginScopes({ configured: ['mcp:tools'], asScopesSupported: ['openid', 'mcp:tools', 'offline_access'] }).scopes, ['mcp:tools', 'offline_access']);
  });

  test('a scope the server requires but the AS does not offer: a server-side fix; an extra one: `scopes = [...]`; none when the AS lists no scopes', () => {
    const required = loginScopeFinding({ server: server(), challenge: ['mcp:tools'], asMetadata: { scopes_supported: ['openid', 'offline_access'] }, loggedIn: false })!;
    assert.equal(required.code, 'auth.login-scope-unsupported');
    assert.equal(required.severity, 'error');
    assert.match(required.fix!.summary, /server-side fix/);
    assert.equal(required.fix!.toml, undefined);
    const extra = loginScopeFinding({ server: server(), challenge: [], prmScopesSupported: ['mcp:tools', 'mcp:admin'], asMetadata: { scopes_supported: ['mcp:tools', 'offline_access'] }, loggedIn: false })!;
    assert.deepEqual((parseToml(extra.fix!.toml!) as any).mcp_servers.ex.scopes, ['mcp:tools']);
    assert.equal(extra.fix!.command, 'codex mcp login ex');
    assert.equal(loginScopeFinding({ server: server(), challenge: ['mcp:tools'], asMetadata: {}, loggedIn: false }), undefined);
    assert.equal(loginScopeFinding({ server: server(), challenge: ['mcp:tools'], asMetadata: { scopes_supported: ['mcp:tools'] }, loggedIn: false }), undefined);
    assert.equal(loginScopeFinding({ server: server(), challenge: ['mcp:tools'], asMetadata: { scopes_supported: ['x'] }, loggedIn: true })!.severity, 'warning');
  });
});

// ── the error page an AS shows instead of redirecting ───────────────────────────────────────

describe('authorization error pages', () => {
  test("oidc-provider's default HTML page, a JSON body, an error redirect", () => {
    const html =
      '<!DOCTYPE html><head><title>oops! something went wrong</title></head><body><div><h1>oops! something went wrong</h1>' +
      '<pre><strong>error</strong>: invalid_redirect_uri</pre><pre><strong>error_description</strong>: redirect_uri did not match any of the client&#39;s registered redirect_uris</pre>' +
      '<pre><strong>iss</strong>: http://127.0.0.1:1</pre></div></body></html>';
    const e = readAuthorizationError({ status: 400, headers: { 'content-type': 'text/html' }, bodyText: html })!;
    assert.deepEqual(e, { error: 'invalid_redirect_uri', description: "redirect_uri did not match any of the client's registered redirect_uris", from: 'html' });
    assert.ok(isRedirectUriError(e));
    const json = readAuthorizationError({ status: 400, headers: {}, bodyText: '{"error":"invalid_request","error_description":"redirect_uri is not registered"}' })!;
    assert.ok(isRedirectUriError(json));
    const loc = readAuthorizationError({ status: 302, headers: { location: '/error?error=invalid_request&error_description=bad+redirect_uri' }, bodyText: '' }, 'https://as.example/authorize')!;
    assert.equal(loc.from, 'location');
    assert.ok(isRedirectUriError(loc));
  });

  test('a login page, an unknown word, or another error is not a redirect URI problem', () => {
    assert.equal(readAuthorizationError({ status: 200, headers: {}, bodyText: '<form><input name="password"></form>' }), undefined);
    assert.equal(readAuthorizationError({ status: 400, headers: {}, bodyText: 'error: <script>alert(1)</script>' }), undefined);
    assert.ok(!isRedirectUriError(readAuthorizationError({ status: 400, headers: {}, bodyText: '{"error":"invalid_scope"}' })));
  });
});

// ── --login's revision of a rejected opaque stored token ────────────────────────────────────

describe('check --login: a rejected opaque stored token, a fresh resource-bound JWT accepted', () => {
  const passive = (issuerVerdict?: string) =>
    makeFinding('auth.token-rejected', {
      message: '"ex" rejected Codex\'s stored OAuth token with 401.',
      evidence: { tokenSource: 'oauth', tokenFormat: 'opaque (not a JWT: no claims to read)', ...(issuerVerdict ? { issuerCheck: { verdict: issuerVerdict } } : {}) },
    });
  const flow = {
    ok: true,
    steps: [],
    target: { resource: URL_, resourceFrom: 'protected-resource-metadata', authorizationEndpoint: `${ISSUER}/auth`, tokenEndpoint: `${ISSUER}/token`, issParameterSupported: false, pkce: 'S256', legacy: false },
    token: { accessToken: 'x', tokenType: 'Bearer', requested: ['mcp:tools'], hasRefreshToken: true, claims: { aud: URL_, iss: ISSUER } },
  } as unknown as LoginFlowResult;

  test('says the stored token is not bound to the resource, and why (resource left out of the token request)', () => {
    const [f] = reviseAfterSuccess([passive()], server(), flow, createRedactor([]));
    assert.equal(f!.code, 'auth.token-not-resource-bound');
    assert.match(f!.message, /`resource` left out of the token request/);
    assert.equal(f!.fix!.command, 'codex mcp login ex');
  });

  test('when its own AS said it is dead, it stays "stale" (revoked), not resource binding', () => {
    const [f] = reviseAfterSuccess([passive('rejected')], server(), flow, createRedactor([]));
    assert.equal(f!.code, 'auth.stored-token-stale');
  });
});
