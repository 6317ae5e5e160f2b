/**
 * The pieces of `check --login`: PKCE (RFC 7636 appendix B), the authorization response checks
 * (state, RFC 9207 iss), scope selection, and — against the OAuth fixture servers — where the
 * RFC 8707 `resource` goes, which client authentication is used, and that a login refuses to start
 * with metadata for another resource.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOAuthFixture, type OAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth/oauth-fixtures.ts';
import { checkAuthorizationResponse, parseAuthorizationResponse } from '../src/auth/login/authorization-response.ts';
import { requestedAuthMethod, secretAuthMethod, supportedAuthMethods } from '../src/auth/login/client-registration.ts';
import { callbackPlan, canonicalResource, runLoginFlow, type LoginSettings } from '../src/auth/login/login-flow.ts';
import { openerFor } from '../src/auth/login/open-browser.ts';
import { createPkce, s256Challenge } from '../src/auth/login/pkce.ts';
import { coversScopes, scopeParam, selectScopes, unionScopes } from '../src/auth/login/scopes.ts';
import type { ServerContext } from '../src/pipeline/context.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { createTranscript } from '../src/pipeline/run-server.ts';
import { createRedactor } from '../src/redact.ts';
import { EMPTY_CODEX_HOME, httpServerConfig } from './helpers/http-check.ts';

describe('PKCE', () => {
  test('S256 of the RFC 7636 appendix B verifier is the appendix B challenge', () => {
    assert.equal(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
  test('a verifier is 43 unreserved characters and its challenge is its S256', () => {
    const octets = Buffer.from([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]);
    const pkce = createPkce(() => octets);
    assert.equal(pkce.verifier, 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    assert.equal(pkce.challenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const random = createPkce();
    assert.match(random.verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(random.challenge, s256Challenge(random.verifier));
    assert.notEqual(createPkce().verifier, random.verifier);
  });
});

describe('authorization response checks', () => {
  const issuer = 'https://as.example.com/tenant1';
  const ok = { code: 'c', state: 's' };
  test('matching state, no iss, iss not advertised: accepted', () => {
    assert.deepEqual(checkAuthorizationResponse(ok, { state: 's', issuer }), { ok: true });
  });
  test('a different or missing state is refused', () => {
    assert.equal(checkAuthorizationResponse({ code: 'c', state: 'x' }, { state: 's', issuer }).problem, 'state-mismatch');
    assert.equal(checkAuthorizationResponse({ code: 'c' }, { state: 's', issuer }).problem, 'state-missing');
  });
  test('RFC 9207: iss is compared by simple string comparison whenever present', () => {
    assert.equal(checkAuthorizationResponse({ ...ok, iss: issuer }, { state: 's', issuer }).ok, true);
    assert.equal(checkAuthorizationResponse({ ...ok, iss: `${issuer}/` }, { state: 's', issuer }).problem, 'iss-mismatch');
    assert.equal(checkAuthorizationResponse({ ...ok, iss: 'https://evil.example' }, { state: 's', issuer, issParameterSupported: true }).problem, 'iss-mismatch');
  });
  test('RFC 9207: iss is required when the metadata advertises it', () => {
    assert.equal(checkAuthorizationResponse(ok, { state: 's', issuer, issParameterSupported: true }).problem, 'iss-missing');
    assert.equal(checkAuthorizationResponse({ ...ok, iss: issuer }, { state: 's', issuer, issParameterSupported: true }).ok, true);
  });
  test('an error response is reported as such, even without state; no code is refused', () => {
    const r = checkAuthorizationResponse({ error: 'access_denied', errorDescription: 'user said no' }, { state: 's' });
    assert.equal(r.problem, 'error');
    assert.match(r.detail!, /access_denied/);
    assert.equal(checkAuthorizationResponse({ state: 's' }, { state: 's' }).problem, 'no-code');
  });
  test('parameters are read from the redirect URL', () => {
    assert.deepEqual(parseAuthorizationResponse('http://127.0.0.1:1/callback/x?code=abc&state=s%20t&iss=https%3A%2F%2Fas'), { code: 'abc', state: 's t', iss: 'https://as' });
  });
});

describe('scope selection', () => {
  test('the challenge scope wins over scopes_supported', () => {
    assert.deepEqual(selectScopes({ challenge: ['mcp:basic'], scopesSupported: ['mcp:basic', 'mcp:write'] }), { scopes: ['mcp:basic'], from: 'challenge' });
  });
  test('without a challenge scope, every scopes_supported', () => {
    assert.deepEqual(selectScopes({ challenge: [], scopesSupported: ['a', 'b', 'c'] }), { scopes: ['a', 'b', 'c'], from: 'scopes_supported' });
  });
  test('neither: scope omitted', () => {
    const s = selectScopes({ challenge: [], scopesSupported: undefined });
    assert.deepEqual(s, { scopes: [], from: 'none' });
    assert.equal(scopeParam(s.scopes), undefined);
  });
  test('configured scopes only when the server names none', () => {
    assert.deepEqual(selectScopes({ challenge: [], configured: ['repo'] }).from, 'config');
    assert.deepEqual(selectScopes({ challenge: ['x'], configured: ['repo'] }).scopes, ['x']);
  });
  test('step-up takes the union, in order', () => {
    assert.deepEqual(unionScopes(['mcp:basic'], ['mcp:basic', 'mcp:write']), ['mcp:basic', 'mcp:write']);
    assert.equal(coversScopes(['a', 'b'], ['b']), true);
    assert.equal(coversScopes(['a'], ['a', 'b']), false);
  });
});

describe('client authentication choice', () => {
  test('public client when the AS allows none; else a secret method; RFC 8414 default basic', () => {
    assert.equal(requestedAuthMethod(['client_secret_post', 'none']), 'none');
    assert.equal(requestedAuthMethod(['client_secret_basic']), 'client_secret_basic');
    assert.equal(requestedAuthMethod(['client_secret_post']), 'client_secret_post');
    assert.deepEqual(supportedAuthMethods({}), ['client_secret_basic']);
    assert.equal(secretAuthMethod(['client_secret_post']), 'client_secret_post');
    assert.equal(requestedAuthMethod(undefined), 'none');
  });
});

describe('resource and redirect URI', () => {
  test('canonical resource: no fragment, no lone root slash unless written', () => {
    assert.equal(canonicalResource('https://mcp.example.com/mcp#x'), 'https://mcp.example.com/mcp');
    assert.equal(canonicalResource('http://localhost:1234'), 'http://localhost:1234');
    assert.equal(canonicalResource('http://localhost:1234/'), 'http://localhost:1234/');
  });
  test("Codex's redirect path, on the configured port (per-server wins)", () => {
    const plan = callbackPlan({ url: 'http://127.0.0.1:9/mcp', oauth: { callbackPort: 4444 } }, { callbackPort: 5555 });
    assert.ok(!('problem' in plan));
    assert.equal(plan.port, 4444);
    assert.match(plan.path, /^\/callback\/[A-Za-z0-9_-]{12}$/);
    assert.equal((callbackPlan({ url: 'http://127.0.0.1:9/mcp' }, { callbackPort: 5555 }) as { port?: number }).port, 5555);
    assert.ok('problem' in callbackPlan({ url: 'http://127.0.0.1:9/mcp' }, { callbackUrl: 'https://login.example.com/cb' }));
  });
});

describe('browser opener', () => {
  test("the platform's own opener; on Windows `start` with the URL quoted so `&` stays literal", () => {
    const url = 'https://as.example.com/authorize?a=1&b=2';
    assert.deepEqual(openerFor('linux', url), { command: 'xdg-open', args: [url] });
    assert.deepEqual(openerFor('darwin', url), { command: 'open', args: [url] });
    const win = openerFor('win32', url);
    assert.equal(win.command, 'cmd');
    assert.equal(win.args.at(-1), `start "" "${url}"`);
  });
});

// ── the flow against the OAuth fixtures ─────────────────────────────────────────────────────

function settings(over: Partial<LoginSettings> = {}): LoginSettings {
  return { auto: true, openBrowser: false, timeoutMs: 5000, maxAuthorizations: 3, notify: () => undefined, ...over };
}

function contextFor(url: string, over: Partial<Parameters<typeof httpServerConfig>[1]> = {}, redact = createRedactor()): ServerContext {
  const deps = defaultDeps({ env: {}, codexHome: EMPTY_CODEX_HOME });
  const deadline = deps.clock.now() + 15_000;
  return {
    server: httpServerConfig('srv', { url, ...over }),
    deps,
    options: { verbose: true, concurrency: 1 },
    deadline,
    codexBudgetMs: 30_000,
    signal: AbortSignal.timeout(15_000),
    redact,
    transcript: createTranscript(redact, () => deps.clock.now()),
    stderr: [],
    remainingMs: () => Math.max(0, deadline - deps.clock.now()),
  };
}

async function withFixture<T>(opts: OAuthFixtureOptions, fn: (f: OAuthFixture) => Promise<T>): Promise<T> {
  const f = await startOAuthFixture(opts);
  try {
    return await fn(f);
  } finally {
    await f.close();
  }
}

const challengeOf = (f: OAuthFixture, scopes: string[] = ['mcp:tools']) => ({ resourceMetadata: f.prmUrl, scopes });

describe('the login flow (fixture authorization server, --login-auto)', () => {
  test('resource goes into both the authorization and the token request; PKCE verifies; the token is bound', async () => {
    await withFixture({ separateAs: true }, async (f) => {
      const ctx = contextFor(f.url);
      const flow = await runLoginFlow({ ctx, settings: settings(), challenge: challengeOf(f) });
      assert.equal(flow.ok, true, flow.problem);
      const authorize = f.requests.find((r) => r.path.startsWith('/authorize'))!;
      const q = new URL(authorize.path, f.asOrigin).searchParams;
      assert.equal(q.get('resource'), f.url);
      assert.equal(q.get('code_challenge_method'), 'S256');
      assert.equal(q.get('scope'), 'mcp:tools');
      const token = new URLSearchParams(f.requests.find((r) => r.path === '/token')!.body);
      assert.equal(token.get('resource'), f.url);
      assert.equal(token.get('grant_type'), 'authorization_code');
      assert.equal(token.get('client_id'), q.get('client_id'));
      assert.equal(f.issued.length, 1, 'the fixture verified PKCE and issued a token');
      assert.equal(f.issued[0]!.resource, f.url);
      assert.equal(flow.token!.claims!.aud, f.url);
      const registration = JSON.parse(f.requests.find((r) => r.path === '/register')!.body);
      assert.equal(registration.application_type, 'native');
      assert.equal(registration.token_endpoint_auth_method, 'none');
      assert.deepEqual(registration.redirect_uris, [q.get('redirect_uri')]);
      assert.match(q.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/callback\/[A-Za-z0-9_-]{12}$/);
      // No secret in the evidence or the transcript.
      const shown = JSON.stringify(flow.steps) + JSON.stringify(ctx.transcript.entries);
      assert.ok(!shown.includes(f.issued[0]!.accessToken), 'access token leaked');
      assert.ok(!shown.includes(f.issued[0]!.refreshToken!), 'refresh token leaked');
      assert.ok(!shown.includes(token.get('code_verifier')!), 'code verifier leaked');
      assert.ok(!shown.includes(token.get('code')!), 'authorization code leaked');
    });
  });

  test('no scope parameter when neither the challenge nor the metadata names scopes', async () => {
    await withFixture({ prm: (u) => ({ resource: u.url, authorization_servers: [u.issuer] }) }, async (f) => {
      const flow = await runLoginFlow({ ctx: contextFor(f.url), settings: settings(), challenge: challengeOf(f, []) });
      assert.equal(flow.ok, true, flow.problem);
      const q = new URL(f.requests.find((r) => r.path.startsWith('/authorize'))!.path, f.asOrigin).searchParams;
      assert.equal(q.has('scope'), false);
      assert.equal(flow.scopeFrom, 'none');
    });
  });

  test('pre-registered client with a secret and client_secret_basic: Basic header, no client_id or secret in the body', async () => {
    await withFixture({ editMetadata: (m) => ((m.token_endpoint_auth_methods_supported = ['client_secret_basic']), delete m.registration_endpoint) }, async (f) => {
      const flow = await runLoginFlow({
        ctx: contextFor(f.url),
        settings: settings({ preRegistered: { clientId: 'pre client', clientSecret: 's3cr:et', source: 'conformance-context' } }),
        challenge: challengeOf(f),
      });
      assert.equal(flow.ok, true, flow.problem);
      assert.equal(f.requests.some((r) => r.path === '/register'), false, 'no registration for a pre-registered client');
      const req = f.requests.find((r) => r.path === '/token')!;
      assert.equal(req.headers.authorization, `Basic ${Buffer.from('pre+client:s3cr%3Aet').toString('base64')}`);
      const body = new URLSearchParams(req.body);
      assert.equal(body.has('client_secret'), false);
      assert.equal(body.has('client_id'), false);
      assert.ok(!JSON.stringify(flow.steps).includes('s3cr'), 'client secret leaked into evidence');
    });
  });

  test('client_secret_post when that is all the AS takes', async () => {
    await withFixture({ editMetadata: (m) => ((m.token_endpoint_auth_methods_supported = ['client_secret_post']), delete m.registration_endpoint) }, async (f) => {
      const flow = await runLoginFlow({
        ctx: contextFor(f.url),
        settings: settings({ preRegistered: { clientId: 'pre', clientSecret: 'sekret-value', source: 'config' } }),
        challenge: challengeOf(f),
      });
      assert.equal(flow.ok, true, flow.problem);
      const req = f.requests.find((r) => r.path === '/token')!;
      assert.equal(req.headers.authorization, undefined);
      const body = new URLSearchParams(req.body);
      assert.equal(body.get('client_secret'), 'sekret-value');
      assert.equal(body.get('client_id'), 'pre');
    });
  });

  test('metadata for another resource: no authorization request is made', async () => {
    await withFixture({ prm: (u) => ({ resource: 'https://evil.example.com/mcp', authorization_servers: [u.issuer] }) }, async (f) => {
      const flow = await runLoginFlow({ ctx: contextFor(f.url), settings: settings(), challenge: challengeOf(f) });
      assert.equal(flow.ok, false);
      assert.equal(flow.failedAt, 'discovery');
      assert.match(flow.problem!, /does not match/);
      assert.equal(f.requests.some((r) => r.path.startsWith('/authorize') || r.path === '/register'), false);
    });
  });

  test('RFC 9207: an AS that advertises iss but leaves it out is refused before the token request', async () => {
    await withFixture({ editMetadata: (m) => (m.authorization_response_iss_parameter_supported = true) }, async (f) => {
      const flow = await runLoginFlow({ ctx: contextFor(f.url), settings: settings(), challenge: challengeOf(f) });
      assert.equal(flow.ok, false);
      assert.equal(flow.failedAt, 'callback');
      assert.match(flow.problem!, /iss/);
      assert.equal(f.requests.some((r) => r.path === '/token'), false);
    });
  });

  test('no registration endpoint and no CIMD: fails at registration and says what is needed', async () => {
    await withFixture({ editMetadata: (m) => delete m.registration_endpoint }, async (f) => {
      const flow = await runLoginFlow({ ctx: contextFor(f.url), settings: settings(), challenge: challengeOf(f) });
      assert.equal(flow.failedAt, 'registration');
      assert.match(flow.problem!, /pre-registered client/);
    });
  });

  test('CIMD: the metadata document URL is the client_id when the AS supports it', async () => {
    await withFixture({ editMetadata: (m) => ((m.client_id_metadata_document_supported = true), delete m.registration_endpoint) }, async (f) => {
      const url = 'https://client.example.com/mcp-doctor.json';
      const flow = await runLoginFlow({ ctx: contextFor(f.url), settings: settings({ clientMetadataUrl: url }), challenge: challengeOf(f) });
      assert.equal(flow.ok, true, flow.problem);
      const q = new URL(f.requests.find((r) => r.path.startsWith('/authorize'))!.path, f.asOrigin).searchParams;
      assert.equal(q.get('client_id'), url);
    });
  });

  test('browser mode times out with a clear message when nobody comes back', async () => {
    await withFixture({}, async (f) => {
      const lines: string[] = [];
      const flow = await runLoginFlow({ ctx: contextFor(f.url), settings: settings({ auto: false, timeoutMs: 300, notify: (l) => lines.push(l) }), challenge: challengeOf(f) });
      assert.equal(flow.failedAt, 'authorization');
      assert.match(flow.problem!, /within 0 s \(--login-timeout\)|within \d+ s \(--login-timeout\)/);
      assert.match(lines.join('\n'), /open this URL in a browser/);
      assert.match(lines.join('\n'), /\/authorize\?/);
    });
  });

  test('browser mode: an authorization URL that repeats a secret of the server URL is printed redacted', async () => {
    const secret = 'sekretvalue1234';
    await withFixture({ prm: (u) => ({ resource: `${u.url}?key=${secret}`, authorization_servers: [u.issuer] }) }, async (f) => {
      const lines: string[] = [];
      const ctx = contextFor(`${f.url}?key=${secret}`, {}, createRedactor([secret]));
      const flow = await runLoginFlow({ ctx, settings: settings({ auto: false, timeoutMs: 200, notify: (l) => lines.push(l) }), challenge: challengeOf(f) });
      assert.equal(flow.failedAt, 'authorization');
      const out = lines.join('\n');
      assert.ok(!out.includes(secret), out);
      assert.match(out, /shown redacted/);
      assert.ok(!JSON.stringify(flow.steps).includes(secret));
    });
  });

  test('browser mode: the loopback listener receives the redirect', async () => {
    await withFixture({}, async (f) => {
      const flow = await runLoginFlow({
        ctx: contextFor(f.url),
        // A stand-in for the browser: follows the printed URL (the fixture AS redirects straight back).
        settings: settings({
          auto: false,
          notify: (line) => {
            const url = /\n {2}(\S+)$/.exec(line)?.[1];
            if (url) void fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(5000) }).then((r) => r.text()).catch(() => undefined);
          },
        }),
        challenge: challengeOf(f),
      });
      assert.equal(flow.ok, true, flow.problem);
      assert.equal(f.issued.length, 1);
    });
  });
});
