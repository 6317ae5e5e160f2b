import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseToml } from 'smol-toml';
import { createHttpGet } from '../src/auth/http-get.ts';
import { compareResource, discoverProtectedResource, prmCandidates, type ResourceMatch } from '../src/auth/protected-resource.ts';
import { analyzeChallenge } from '../src/auth/challenge.ts';
import { createRedactor } from '../src/redact.ts';
import { startOAuthFixture, METADATA_LAYOUTS, type OAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth/oauth-fixtures.ts';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { CODEX } from '../src/codex/codex-version.ts';

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

/** The challenge the fixture sends, read as the auth stage would. */
async function challengeOf(url: string) {
  const res = await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  await res.arrayBuffer();
  return analyzeChallenge(res.headers.get('www-authenticate') ?? undefined);
}

async function discover(fx: { url: string }, serverUrl = fx.url) {
  const ch = await challengeOf(fx.url);
  return discoverProtectedResource({
    serverName: 'fx',
    serverUrl,
    headerUrl: ch.resourceMetadata,
    sdkHeaderUrl: ch.sdk.resourceMetadataUrl,
    get,
    redact: createRedactor(),
  });
}

describe('prmCandidates', () => {
  test('path-aware (query kept, RFC 9728 §3.1), Codex variants, then root', () => {
    assert.deepEqual(
      prmCandidates('https://h.example/a/mcp/?t=1').map((c) => `${c.kind} ${c.url}`),
      [
        'path-aware https://h.example/.well-known/oauth-protected-resource/a/mcp?t=1',
        'path-aware-no-query https://h.example/.well-known/oauth-protected-resource/a/mcp',
        'path-appended https://h.example/a/mcp/.well-known/oauth-protected-resource',
        'root https://h.example/.well-known/oauth-protected-resource',
      ],
    );
  });

  test('an endpoint at the root has only the root URL; a header URL comes first', () => {
    assert.deepEqual(
      prmCandidates('https://h.example/', 'https://h.example/custom.json').map((c) => c.kind),
      ['header', 'root'],
    );
  });
});

describe('compareResource', () => {
  const cases: Array<[string, unknown, string, ResourceMatch, boolean]> = [
    // [label, PRM resource, configured URL, class, Codex 0.169 accepts (measured)]
    ['identical', 'https://h.example/mcp', 'https://h.example/mcp', 'exact', true],
    ['identical but for a fragment', 'https://h.example/mcp', 'https://h.example/mcp#x', 'exact', true],
    ['resource has the slash', 'https://h.example/mcp/', 'https://h.example/mcp', 'trailing-slash-only', false],
    ['URL has the slash', 'https://h.example/mcp', 'https://h.example/mcp/', 'trailing-slash-only', true],
    ['origin as resource', 'https://h.example', 'https://h.example/mcp', 'path-prefix', true],
    ['parent path', 'https://h.example/v1', 'https://h.example/v1/mcp', 'path-prefix', true],
    ['query in the URL only', 'https://h.example/mcp', 'https://h.example/mcp?tenant=a', 'query-string-in-url', true],
    ['other path', 'https://h.example/api', 'https://h.example/mcp', 'different-path', false],
    ['prefix without a segment boundary', 'https://h.example/mc', 'https://h.example/mcp', 'different-path', false],
    ['other origin', 'https://auth.example/', 'https://h.example/mcp', 'different-origin', false],
    ['other port', 'https://h.example:8443/mcp', 'https://h.example/mcp', 'different-origin', false],
    ['URN', 'urn:example:mcp', 'https://h.example/mcp', 'non-url', false],
    ['not a string', 42, 'https://h.example/mcp', 'non-url', false],
  ];
  for (const [label, resource, url, match, codex] of cases) {
    test(`${label} → ${match}`, () => {
      const c = compareResource(resource, url);
      assert.equal(c.match, match);
      assert.equal(c.codexAccepts, codex);
      assert.equal(c.sdkAccepts, codex, 'Codex 0.169 and the SDK apply the same prefix rule');
      assert.equal(c.strictAccepts, match === 'exact');
    });
  }
});

describe('discoverProtectedResource', () => {
  test('oauth-protected (shared HTTP fixture): header URL, exact resource, no findings', async () => {
    const srv = await startFixtureServer('oauth-protected');
    open.push(srv);
    const d = await discover(srv);
    assert.equal(d.found?.kind, 'header');
    assert.equal(d.resource?.match, 'exact');
    assert.deepEqual(d.findings, []);
    assert.deepEqual(d.found?.check.authorizationServers, [`${srv.origin}/`]);
    assert.deepEqual(d.urlsTried.map((u) => u.status), [200]);
    assert.ok(srv.requests.every((r) => r.headers.authorization === undefined), 'discovery sends no credentials');
  });

  test('oauth-resource-mismatch (shared HTTP fixture): different-path is an error with a URL fix that parses', async () => {
    const srv = await startFixtureServer('oauth-resource-mismatch');
    open.push(srv);
    const d = await discover(srv);
    const f = d.findings.find((x) => x.code === 'auth.resource-mismatch');
    assert.ok(f);
    assert.equal(f.severity, 'error');
    assert.equal((f.evidence as any).class, 'different-path');
    const toml = parseToml(f.fix!.toml!) as any;
    assert.equal(toml.mcp_servers.fx.url, `${srv.origin}/api`);
    assert.equal(f.fix!.command, 'codex mcp login fx');
  });

  const severities: Array<[string, (u: { url: string; origin: string; issuer: string }) => string, 'error' | 'warning', ResourceMatch]> = [
    ['trailing slash on the resource', (u) => `${u.url}/`, 'error', 'trailing-slash-only'],
    ['origin as resource', (u) => u.origin, 'warning', 'path-prefix'],
    ['another origin', () => 'https://auth.example.com/', 'error', 'different-origin'],
    ['a URN', () => 'urn:mcp:fixture', 'error', 'non-url'],
  ];
  for (const [label, resource, severity, match] of severities) {
    test(`resource mismatch, ${label}: ${severity}`, async () => {
      const fx = await fixture({ prm: (u) => ({ resource: resource(u), authorization_servers: [u.issuer] }) });
      const d = await discover(fx);
      const f = d.findings.find((x) => x.code === 'auth.resource-mismatch');
      assert.ok(f, 'a finding');
      assert.equal(f.severity, severity);
      assert.equal((f.evidence as any).class, match);
      if (f.fix?.toml) parseToml(f.fix.toml);
    });
  }

  test('the configured URL has a query the PRM resource lacks: a warning (older Codex #37387)', async () => {
    const fx = await fixture({});
    const d = await discover(fx, `${fx.url}?tenant=t1`);
    const f = d.findings.find((x) => x.code === 'auth.resource-mismatch');
    assert.equal(f?.severity, 'warning');
    assert.equal((f?.evidence as any).class, 'query-string-in-url');
    assert.match(f!.fix!.summary, /codex mcp -c 'mcp_servers\.fx\.url=/);
  });

  test('oauth_resource naming another resource than the PRM: a warning (Codex sends both, measured)', async () => {
    const fx = await fixture({});
    const ch = await challengeOf(fx.url);
    const d = await discoverProtectedResource({
      serverName: 'fx',
      serverUrl: fx.url,
      headerUrl: ch.resourceMetadata,
      get,
      redact: createRedactor(),
      config: { oauthResource: `${fx.origin}/other` },
    });
    const f = d.findings.find((x) => (x.evidence as any)?.class === 'oauth_resource-differs');
    assert.equal(f?.severity, 'warning');
    assert.equal((parseToml(f!.fix!.toml!) as any).mcp_servers.fx.oauth_resource, fx.url);
  });

  test('metadata-var2 layout: PRM only at the root, no header URL — every reader finds it', async () => {
    const fx = await fixture(METADATA_LAYOUTS['metadata-var2']);
    const d = await discover(fx);
    assert.equal(d.views.spec.kind, 'root');
    assert.equal(d.views.sdk.kind, 'root');
    assert.equal(d.views.codex.kind, 'root');
    assert.equal(d.found?.check.document?.resource, fx.url);
    assert.ok(d.differences.some((x) => x.includes('AUTH-07')));
    assert.deepEqual(
      d.urlsTried.map((u) => [u.purpose.replace(/.*\((.*)\)/, '$1'), u.status]),
      [
        ['path-aware', 404],
        ['root', 200],
        ['path-appended', 404],
      ],
    );
  });

  test('metadata-var3 layout: custom PRM location named in the challenge', async () => {
    const fx = await fixture(METADATA_LAYOUTS['metadata-var3']);
    const d = await discover(fx);
    assert.equal(d.found?.kind, 'header');
    assert.equal(d.found?.url, `${fx.origin}/custom/metadata/location.json`);
    assert.equal(d.urlsTried.length, 1, 'nothing else is fetched when the header URL works');
  });

  test('metadata-default layout: the root PRM is a trap nobody reaches', async () => {
    const fx = await fixture(METADATA_LAYOUTS['metadata-default']);
    const d = await discover(fx);
    assert.equal(d.found?.kind, 'header');
    assert.ok(!fx.requests.some((r) => r.path === '/.well-known/oauth-protected-resource'));
  });

  test('PRM only at <path>/.well-known/…: Codex finds it, the spec and the SDK do not', async () => {
    const fx = await fixture({ challenge: () => 'Bearer scope="mcp:tools"', prmPaths: () => ['/mcp/.well-known/oauth-protected-resource'] });
    const d = await discover(fx);
    assert.equal(d.views.codex.kind, 'path-appended');
    assert.equal(d.views.spec.url, undefined);
    assert.equal(d.views.sdk.url, undefined);
    assert.ok(d.differences.some((x) => x.includes(`${CODEX}: path-appended`)));
    assert.equal(d.found?.kind, 'path-appended');
  });

  test('a query in the URL: the SDK keeps it in the PRM URL and misses, Codex drops it and finds the PRM', async () => {
    const fx = await fixture({ challenge: () => 'Bearer scope="mcp:tools"', prmMatchQuery: true });
    const d = await discover(fx, `${fx.url}?tenant=t1`);
    assert.equal(d.views.codex.kind, 'path-aware-no-query');
    assert.equal(d.views.sdk.url, undefined);
    assert.ok(fx.requests.some((r) => r.path === '/.well-known/oauth-protected-resource/mcp?tenant=t1'));
  });

  test('the header names a URL that 404s while the well-known one works', async () => {
    const fx = await fixture({ challenge: (u) => `Bearer resource_metadata="${u.origin}/wrong/prm.json", scope="mcp:tools"` });
    const d = await discover(fx);
    assert.equal(d.views.spec.url, undefined);
    assert.ok(d.differences.some((x) => x.includes('does not answer 2xx') && x.includes('/.well-known/oauth-protected-resource/mcp')));
  });

  test('PRM that is an HTML page: auth.protected-resource-invalid (error)', async () => {
    const fx = await fixture({ prmRaw: { status: 200, contentType: 'text/html', body: '<html>login</html>' } });
    const d = await discover(fx);
    const f = d.findings.find((x) => x.code === 'auth.protected-resource-invalid');
    assert.equal(f?.severity, 'error');
    assert.match(f!.message, /not a JSON object/);
    assert.equal(d.found, undefined);
  });

  test('PRM with an empty authorization_servers list: error', async () => {
    const fx = await fixture({ prm: (u) => ({ resource: u.url, authorization_servers: [] }) });
    const d = await discover(fx);
    const f = d.findings.find((x) => x.code === 'auth.protected-resource-invalid');
    assert.equal(f?.severity, 'error');
    assert.match(f!.message, /authorization_servers/);
  });

  test('no PRM anywhere: nothing found, every candidate recorded with its status', async () => {
    const fx = await fixture({ challenge: () => 'Bearer realm="x"', prmPaths: () => [] });
    const d = await discover(fx);
    assert.equal(d.found, undefined);
    assert.equal(d.invalid, undefined);
    assert.deepEqual(d.findings, []);
    assert.deepEqual(new Set(d.urlsTried.map((u) => u.status)), new Set([404]));
    assert.equal(d.urlsTried.length, 3);
  });

  test('an unreachable metadata host is recorded with no status and an error', async () => {
    const d = await discoverProtectedResource({
      serverName: 'fx',
      serverUrl: 'http://127.0.0.1:9/mcp',
      get,
      redact: createRedactor(),
    });
    assert.ok(d.urlsTried.length > 0);
    assert.ok(d.urlsTried.every((u) => u.status === null && typeof u.error === 'string'));
  });
});
