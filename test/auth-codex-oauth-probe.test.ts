import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverAuthorizationServer } from '../src/auth/authorization-server.ts';
import { analyzeChallenge } from '../src/auth/challenge.ts';
import { compareCodexDiscovery, legacyCodexProbeUrls, predictCodexAuthStatus, probeLikeOlderCodex } from '../src/auth/codex-oauth-probe.ts';
import { createHttpGet } from '../src/auth/http-get.ts';
import { discoverProtectedResource } from '../src/auth/protected-resource.ts';
import { createRedactor } from '../src/redact.ts';
import { startOAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth/oauth-fixtures.ts';

const get = createHttpGet({ timeoutMs: 3000 });
const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
});

/** Runs PRM + AS discovery the way diagnose-auth does, then Codex's verdict. */
async function chain(opts: OAuthFixtureOptions) {
  const fx = await startOAuthFixture(opts);
  open.push(fx);
  const redact = createRedactor();
  const res = await fetch(fx.url, { method: 'POST', body: '{}' });
  await res.arrayBuffer();
  const ch = analyzeChallenge(res.headers.get('www-authenticate') ?? undefined);
  const prm = await discoverProtectedResource({ serverName: 'fx', serverUrl: fx.url, headerUrl: ch.resourceMetadata, sdkHeaderUrl: ch.sdk.resourceMetadataUrl, get, redact });
  const as = await discoverAuthorizationServer({ serverName: 'fx', serverUrl: fx.url, issuer: prm.found?.check.authorizationServers[0], get, redact });
  return { fx, prm, as, ch, redact };
}

describe('the older own-origin probe (codex-config §4.1)', () => {
  test('candidate URLs', () => {
    assert.deepEqual(legacyCodexProbeUrls('https://h.example/mcp/'), [
      'https://h.example/.well-known/oauth-authorization-server/mcp',
      'https://h.example/mcp/.well-known/oauth-authorization-server',
      'https://h.example/.well-known/oauth-authorization-server',
    ]);
    assert.deepEqual(legacyCodexProbeUrls('https://h.example'), ['https://h.example/.well-known/oauth-authorization-server']);
  });

  test('same-origin metadata: supported; another origin: not', async () => {
    const same = await startOAuthFixture({});
    const other = await startOAuthFixture({ separateAs: true });
    open.push(same, other);
    assert.equal((await probeLikeOlderCodex(same.url, get, createRedactor())).supported, true);
    const r = await probeLikeOlderCodex(other.url, get, createRedactor());
    assert.equal(r.supported, false);
    assert.equal(r.urlsTried.length, 3);
    assert.ok(other.requests.every((q) => q.headers['mcp-protocol-version'] === '2024-11-05' && !q.headers.authorization));
  });
});

describe('predictCodexAuthStatus (0.169, measured outcomes)', () => {
  test('usable metadata → not_logged_in', async () => {
    const { prm, as } = await chain({});
    assert.equal(predictCodexAuthStatus({ prm, as }).status, 'not_logged_in');
  });
  test('PRM resource with a trailing slash → unknown', async () => {
    const { prm, as } = await chain({ prm: (u) => ({ resource: `${u.url}/`, authorization_servers: [u.issuer] }) });
    assert.equal(predictCodexAuthStatus({ prm, as }).status, 'unknown');
  });
  test('issuer mismatch → unknown', async () => {
    const { prm, as } = await chain({ editMetadata: (m, u) => (m.issuer = `${u.origin}/other`) });
    assert.equal(predictCodexAuthStatus({ prm, as }).status, 'unknown');
  });
  test('no metadata at all → unsupported', async () => {
    const { prm, as } = await chain({ prmPaths: () => [], asMetadataAt: [], challenge: () => 'Bearer realm="x"' });
    assert.equal(predictCodexAuthStatus({ prm, as }).status, 'unsupported');
  });
});

describe('compareCodexDiscovery', () => {
  test('AS on another origin: Codex 0.171 finds it, so nothing is reported (no info noise on every 401)', async () => {
    const { fx, prm, as, ch, redact } = await chain({ separateAs: true });
    const r = await compareCodexDiscovery({ serverName: 'fx', serverUrl: fx.url, prm, as, postHeaderUrl: ch.resourceMetadata, oauthWorks: true, loggedIn: false, get, redact });
    assert.equal(r.codex.status, 'not_logged_in');
    assert.deepEqual(r.findings, []);
    assert.ok(!r.urlsTried.some((u) => /oauth-authorization-server/.test(u.url) && u.url.startsWith(fx.origin)), 'no own-origin probe of older releases');
  });

  test('no metadata, only the 2025-03-26 endpoints: Codex 0.169 says Unsupported although login works — warning', async () => {
    const { fx, prm, as, ch, redact } = await chain({ prmPaths: () => [], asMetadataAt: [], challenge: () => 'Bearer realm="x"' });
    const r = await compareCodexDiscovery({ serverName: 'fx', serverUrl: fx.url, prm, as, postHeaderUrl: ch.resourceMetadata, oauthWorks: false, loggedIn: false, get, redact });
    assert.equal(r.codex.status, 'unsupported');
    const f = r.findings.find((x) => x.code === 'auth.codex-discovery-differs');
    assert.equal(f?.severity, 'warning');
    assert.match(f!.message, /Unsupported/);
  });

  test('same-origin metadata: no finding', async () => {
    const { fx, prm, as, ch, redact } = await chain({});
    const r = await compareCodexDiscovery({ serverName: 'fx', serverUrl: fx.url, prm, as, postHeaderUrl: ch.resourceMetadata, oauthWorks: true, loggedIn: false, get, redact });
    assert.deepEqual(r.findings, []);
    assert.equal(r.getChallengeDiffers, undefined);
  });
});
