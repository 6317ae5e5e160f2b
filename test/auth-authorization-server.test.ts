import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseToml } from 'smol-toml';
import {
  asMetadataCandidates,
  checkAsMetadata,
  codexAsCandidates,
  codexCallbackId,
  codexRedirectUri,
  compareIssuer,
  discoverAuthorizationServer,
  SUGGESTED_CALLBACK_PORT,
  type DiscoverAsInput,
} from '../src/auth/authorization-server.ts';
import { createHttpGet } from '../src/auth/http-get.ts';
import { createRedactor } from '../src/redact.ts';
import { METADATA_LAYOUTS, startOAuthFixture, type OAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth/oauth-fixtures.ts';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';

const get = createHttpGet({ timeoutMs: 3000 });
const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
});

async function fixture(opts: OAuthFixtureOptions = {}): Promise<OAuthFixture> {
  const fx = await startOAuthFixture(opts);
  open.push(fx);
  return fx;
}

function discover(fx: { url: string }, issuer: string | undefined, extra: Partial<DiscoverAsInput> = {}) {
  return discoverAuthorizationServer({ serverName: 'fx', serverUrl: fx.url, issuer, get, redact: createRedactor(), ...extra });
}

const COMPLETE = {
  issuer: 'https://auth.example.com/',
  authorization_endpoint: 'https://auth.example.com/authorize',
  token_endpoint: 'https://auth.example.com/token',
  registration_endpoint: 'https://auth.example.com/register',
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
};

describe('metadata URL order', () => {
  test('issuer with a path: RFC 8414 insertion, OIDC insertion, OIDC appended (MCP 2025-11-25)', () => {
    assert.deepEqual(
      asMetadataCandidates('https://auth.example.com/tenant1').map((c) => `${c.kind} ${c.url}`),
      [
        'oauth https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
        'oidc https://auth.example.com/.well-known/openid-configuration/tenant1',
        'oidc https://auth.example.com/tenant1/.well-known/openid-configuration',
      ],
    );
  });
  test('issuer without a path; Codex adds the root RFC 8414 URL only for issuers with a path', () => {
    assert.deepEqual(
      asMetadataCandidates('https://auth.example.com/').map((c) => c.url),
      ['https://auth.example.com/.well-known/oauth-authorization-server', 'https://auth.example.com/.well-known/openid-configuration'],
    );
    assert.equal(codexAsCandidates('https://auth.example.com/').length, 2);
    assert.equal(codexAsCandidates('https://auth.example.com/t/').at(-1)!.url, 'https://auth.example.com/.well-known/oauth-authorization-server');
  });
});

describe('checkAsMetadata', () => {
  const problems = (edit: (m: Record<string, unknown>) => void, kind: 'oauth' | 'oidc' = 'oauth', issuer = COMPLETE.issuer) => {
    const m: Record<string, unknown> = structuredClone(COMPLETE);
    edit(m);
    return checkAsMetadata(m, issuer, kind).problems.map((p) => `${p.severity} ${p.field}`);
  };

  test('complete metadata has no problems', () => {
    assert.deepEqual(problems(() => {}), []);
  });
  test('PKCE: absent is a warning (Codex and the SDK proceed), present without S256 an error', () => {
    assert.deepEqual(problems((m) => delete m.code_challenge_methods_supported), ['warning code_challenge_methods_supported']);
    assert.deepEqual(problems((m) => (m.code_challenge_methods_supported = ['plain'])), ['error code_challenge_methods_supported']);
  });
  test('response types: absent is a warning, without "code" an error', () => {
    assert.deepEqual(problems((m) => delete m.response_types_supported), ['warning response_types_supported']);
    assert.deepEqual(problems((m) => (m.response_types_supported = ['token'])), ['error response_types_supported']);
  });
  test('missing endpoints and insecure endpoints', () => {
    assert.deepEqual(problems((m) => delete m.token_endpoint), ['error token_endpoint']);
    assert.deepEqual(problems((m) => (m.authorization_endpoint = 'http://auth.example.com/authorize')), ['warning authorization_endpoint']);
  });
  test('issuer: trailing slash tolerated, other path or origin an error, missing an error', () => {
    assert.deepEqual(problems(() => {}, 'oauth', 'https://auth.example.com'), []);
    assert.deepEqual(problems((m) => (m.issuer = 'https://auth.example.com/other')), ['error issuer']);
    assert.deepEqual(problems((m) => (m.issuer = 'https://evil.example.com/')), ['error issuer']);
    assert.deepEqual(problems((m) => delete m.issuer), ['error issuer']);
    assert.equal(compareIssuer('https://a/x/', 'https://a/x'), 'trailing-slash');
  });
  test('OIDC documents also need jwks_uri, subject types and signing algorithms (a warning: Codex proceeds)', () => {
    assert.deepEqual(problems(() => {}, 'oidc'), ['warning jwks_uri, subject_types_supported, id_token_signing_alg_values_supported']);
  });
  test('registration paths', () => {
    const m: Record<string, unknown> = structuredClone(COMPLETE);
    delete m.registration_endpoint;
    assert.deepEqual(checkAsMetadata(m, COMPLETE.issuer, 'oauth').registration, { dcr: false, cimd: false });
    m.client_id_metadata_document_supported = true;
    assert.deepEqual(checkAsMetadata(m, COMPLETE.issuer, 'oauth').registration, { dcr: false, cimd: true });
  });
});

describe('Codex redirect URIs', () => {
  test('callback id = base64url(SHA-256(parsed URL))[0..9 bytes] (values measured with codex 0.169.0)', () => {
    assert.equal(codexCallbackId('http://localhost:43103/mcp'), '2rA-_116M0WN');
    // Codex hashes the parsed URL: a bare origin gets its "/".
    assert.equal(codexCallbackId('http://127.0.0.1:32787'), 'j_c7XUb11Tud');
    assert.equal(codexCallbackId('http://localhost:43103/mcp#frag'), '2rA-_116M0WN');
  });
  test('port form, callback URL form, ephemeral port', () => {
    assert.equal(codexRedirectUri('http://localhost:43103/mcp', { callbackPort: 43999 }), 'http://127.0.0.1:43999/callback/2rA-_116M0WN');
    assert.equal(codexRedirectUri('http://localhost:43103/mcp', { callbackUrl: 'https://dev.example/cb/' }), 'https://dev.example/cb/2rA-_116M0WN');
    assert.equal(codexRedirectUri('http://localhost:43103/mcp', {}), undefined);
  });
});

describe('discoverAuthorizationServer', () => {
  test('oauth-protected (shared HTTP fixture): RFC 8414 at the root, no findings', async () => {
    const srv = await startFixtureServer('oauth-protected');
    open.push(srv);
    const d = await discover(srv, `${srv.origin}/`);
    assert.equal(d.found?.kind, 'oauth');
    assert.deepEqual(d.findings, []);
    assert.deepEqual(d.urlsTried.map((u) => u.status), [200]);
  });

  test('oauth-no-pkce (shared HTTP fixture): a warning that names the strict clients', async () => {
    const srv = await startFixtureServer('oauth-no-pkce');
    open.push(srv);
    const d = await discover(srv, `${srv.origin}/`);
    const f = d.findings.find((x) => x.code === 'auth.metadata-invalid');
    assert.equal(f?.severity, 'warning');
    assert.match(f!.message, /C# SDK/);
  });

  test('oauth-no-registration (shared HTTP fixture): client_id snippet with a fixed port and the exact redirect URI', async () => {
    const srv = await startFixtureServer('oauth-no-registration');
    open.push(srv);
    const d = await discover(srv, `${srv.origin}/`);
    const f = d.findings.find((x) => x.code === 'auth.registration-unavailable');
    assert.equal(f?.severity, 'warning');
    const toml = parseToml(f!.fix!.toml!) as any;
    assert.equal(toml.mcp_servers.fx.oauth.client_id, '<your client id>');
    assert.equal(toml.mcp_servers.fx.oauth.callback_port, SUGGESTED_CALLBACK_PORT);
    const redirect = `http://127.0.0.1:${SUGGESTED_CALLBACK_PORT}/callback/${codexCallbackId(srv.url)}`;
    assert.equal((f!.evidence as any).redirectUri, redirect);
    assert.ok(f!.fix!.summary.includes(redirect));
  });

  test('a configured callback port and client id are respected', async () => {
    const fx = await fixture({ editMetadata: (m) => delete m.registration_endpoint });
    const withPort = await discover(fx, fx.issuer, { globals: { callbackPort: 40001 } });
    const f = withPort.findings.find((x) => x.code === 'auth.registration-unavailable')!;
    assert.equal((f.evidence as any).redirectUri, `http://127.0.0.1:40001/callback/${codexCallbackId(fx.url)}`);
    assert.equal((parseToml(f.fix!.toml!) as any).mcp_servers.fx.oauth.callback_port, undefined);
    const withClient = await discover(fx, fx.issuer, { config: { oauth: { clientId: 'abc' }, url: fx.url } });
    assert.equal(withClient.findings.find((x) => x.code === 'auth.registration-unavailable'), undefined);
  });

  test('CIMD without DCR is enough (Codex 0.169 logs in with its own client metadata document)', async () => {
    const fx = await fixture({
      editMetadata: (m) => {
        delete m.registration_endpoint;
        m.client_id_metadata_document_supported = true;
      },
    });
    const d = await discover(fx, fx.issuer);
    assert.deepEqual(d.findings, []);
  });

  test('metadata-var1 layout: OpenID discovery only', async () => {
    const fx = await fixture(METADATA_LAYOUTS['metadata-var1']);
    const d = await discover(fx, fx.issuer);
    assert.equal(d.found?.kind, 'oidc');
    assert.deepEqual(d.urlsTried.map((u) => u.status), [404, 200]);
    assert.deepEqual(d.findings, []);
  });

  test('metadata-var2 layout: issuer /tenant1, RFC 8414 path insertion; the root trap is never fetched', async () => {
    const fx = await fixture(METADATA_LAYOUTS['metadata-var2']);
    const d = await discover(fx, fx.issuer);
    assert.equal(d.found?.url, `${fx.origin}/.well-known/oauth-authorization-server/tenant1`);
    assert.deepEqual(d.findings, []);
    assert.ok(!fx.requests.some((r) => r.path === '/.well-known/oauth-authorization-server'));
  });

  test('metadata-var3 layout: issuer /tenant1, OpenID appended form is the third URL', async () => {
    const fx = await fixture(METADATA_LAYOUTS['metadata-var3']);
    const d = await discover(fx, fx.issuer);
    assert.equal(d.found?.url, `${fx.origin}/tenant1/.well-known/openid-configuration`);
    assert.deepEqual(d.urlsTried.map((u) => u.status), [404, 404, 200]);
  });

  test('authorization server on another origin', async () => {
    const fx = await fixture({ separateAs: true });
    const d = await discover(fx, fx.issuer);
    assert.equal(new URL(d.found!.url).origin, fx.asOrigin);
    assert.notEqual(fx.asOrigin, fx.origin);
    assert.deepEqual(d.findings, []);
  });

  test('issuer on another path: error', async () => {
    const fx = await fixture({ editMetadata: (m, u) => (m.issuer = `${u.origin}/other`) });
    const d = await discover(fx, fx.issuer);
    const f = d.findings.find((x) => x.code === 'auth.metadata-invalid');
    assert.equal(f?.severity, 'error');
    assert.match(f!.message, /issuer/);
  });

  test('no PKCE S256 and no code response type: one error finding listing both', async () => {
    const fx = await fixture({
      editMetadata: (m) => {
        m.code_challenge_methods_supported = ['plain'];
        m.response_types_supported = ['token'];
      },
    });
    const d = await discover(fx, fx.issuer);
    const errors = d.findings.filter((x) => x.code === 'auth.metadata-invalid');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /S256/);
    assert.match(errors[0]!.message, /"code"/);
  });

  test('the PRM names an AS that publishes nothing: error with every URL tried', async () => {
    const fx = await fixture({ separateAs: true, asMetadataAt: [], issuerPath: '/t1' });
    const d = await discover(fx, fx.issuer);
    const f = d.findings.find((x) => x.code === 'auth.metadata-invalid');
    assert.equal(f?.severity, 'error');
    assert.equal(d.urlsTried.length, 4, 'three spec URLs and Codex\'s root URL');
    assert.ok(d.urlsTried.every((u) => u.status === 404));
  });

  test('no PRM, metadata at the origin root (legacy mode): found, Codex\'s path-first order recorded', async () => {
    const fx = await fixture({ prmPaths: () => [] });
    const d = await discover(fx, undefined);
    assert.equal(d.source, 'legacy');
    assert.equal(d.found?.url, `${fx.origin}/.well-known/oauth-authorization-server`);
    assert.deepEqual(
      d.urlsTried.map((u) => new URL(u.url).pathname),
      ['/.well-known/oauth-authorization-server/mcp', '/.well-known/openid-configuration/mcp', '/mcp/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'],
    );
  });

  test('no metadata at all (2025-03-26 defaults): /authorize answers, nothing is registered', async () => {
    const fx = await fixture({ prmPaths: () => [], asMetadataAt: [] });
    const d = await discover(fx, undefined);
    assert.equal(d.found, undefined);
    assert.equal(d.legacy?.authorizeStatus, 400);
    assert.deepEqual(d.findings, []);
    assert.ok(!fx.requests.some((r) => r.method === 'POST'), 'no registration or token request');
  });

  test('no metadata and no endpoints: /authorize is 404', async () => {
    const fx = await fixture({ prmPaths: () => [], asMetadataAt: [], endpoints: false });
    const d = await discover(fx, undefined);
    assert.equal(d.legacy?.authorizeStatus, 404);
  });
});
