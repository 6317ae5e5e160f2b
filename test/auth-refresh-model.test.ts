// The refresh model's pure parts (src/auth/refresh-model.ts) and the write-back of check --refresh
// (src/auth/refresh-exchange.ts), without a network: the rules measured against Codex 0.171.0 and
// oidc-provider (test/auth-refresh-real-as.test.ts), one case each.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { StoredCredential } from '../src/auth/credential-store.ts';
import type { OAuthHttp } from '../src/auth/login/oauth-http.ts';
import { performCodexRefresh } from '../src/auth/refresh-exchange.ts';
import { codexRefreshRequest, predictRefresh, refreshedEntry, type CodexRefreshRequest } from '../src/auth/refresh-model.ts';
import { createRedactor } from '../src/redact.ts';

const RESOURCE = 'https://mcp.example.com/mcp';
const META = { issuer: 'https://as.example.com', token_endpoint: 'https://as.example.com/token', scopes_supported: ['openid', 'offline_access', 'mcp:tools'] };

function entry(over: Partial<StoredCredential> = {}): StoredCredential {
  return { source: 'file', serverName: 'rs', serverUrl: RESOURCE, clientId: 'c1', issuer: META.issuer, accessToken: 'at-1', refreshToken: 'rt-1', scopes: ['mcp:tools'], ...over };
}

const req = (e: StoredCredential, meta: Record<string, unknown> = META) => codexRefreshRequest(e, meta, RESOURCE) as CodexRefreshRequest;

describe("Codex's refresh request", () => {
  test('stored scopes plus offline_access when the AS lists it; resource; client_id; no secret', () => {
    const r = req(entry());
    assert.deepEqual(r.form, { grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: 'c1', scope: 'mcp:tools offline_access', resource: RESOURCE });
    assert.equal(r.shown.refresh_token, '<redacted>');
    assert.equal(r.tokenEndpoint, META.token_endpoint);
  });
  test('no offline_access when the AS does not list it; no duplicate when stored', () => {
    assert.equal(req(entry(), { ...META, scopes_supported: ['mcp:tools'] }).form.scope, 'mcp:tools');
    assert.equal(req(entry({ scopes: ['mcp:tools', 'offline_access'] })).form.scope, 'mcp:tools offline_access');
  });
  test('no scope parameter at all when nothing is stored', () => {
    assert.equal('scope' in req(entry({ scopes: [] })).form, false);
  });
  test('no refresh without a refresh token, an issuer or a token endpoint', () => {
    assert.ok('unavailable' in codexRefreshRequest(entry({ refreshToken: undefined }), META, RESOURCE));
    assert.ok('unavailable' in codexRefreshRequest(entry({ issuer: undefined }), META, RESOURCE));
    assert.ok('unavailable' in codexRefreshRequest(entry(), { issuer: META.issuer }, RESOURCE));
  });
});

describe('the prediction', () => {
  const bound = { aud: RESOURCE, scope: 'mcp:tools' };
  test('introspection: inactive → refused (invalid_grant)', () => {
    const p = predictRefresh({ request: req(entry()), entry: entry(), asMetadata: META, accessClaims: bound, introspection: { status: 200, active: false } });
    assert.equal(p.verdict, 'refused');
    assert.equal(p.error, 'invalid_grant');
  });
  test('introspection scope lacks offline_access that Codex adds → refused (invalid_scope), named', () => {
    const p = predictRefresh({ request: req(entry()), entry: entry(), asMetadata: META, accessClaims: bound, introspection: { status: 200, active: true, scope: 'mcp:tools' } });
    assert.equal(p.verdict, 'refused');
    assert.equal(p.error, 'invalid_scope');
    assert.match(p.reasons[0]!, /offline_access missing/);
  });
  test('grant covers the request and the token is bound here → expected', () => {
    const p = predictRefresh({ request: req(entry()), entry: entry(), asMetadata: META, accessClaims: bound, introspection: { status: 200, active: true, scope: 'mcp:tools offline_access', clientId: 'c1' } });
    assert.equal(p.verdict, 'expected');
  });
  test('a token bound to another resource URL → refused (invalid_target); an audience naming no resource → unverified', () => {
    const intro = { status: 200, active: true, scope: 'mcp:tools offline_access' };
    assert.equal(predictRefresh({ request: req(entry()), entry: entry(), asMetadata: META, accessClaims: { aud: 'https://other.example.com/mcp' }, introspection: intro }).error, 'invalid_target');
    assert.equal(predictRefresh({ request: req(entry()), entry: entry(), asMetadata: META, accessClaims: { aud: 'client-1' }, introspection: intro }).verdict, 'unverified');
  });
  test('no refresh_token grant in the metadata → refused', () => {
    const meta = { ...META, grant_types_supported: ['authorization_code'] };
    assert.equal(predictRefresh({ request: req(entry(), meta), entry: entry(), asMetadata: meta, accessClaims: bound }).error, 'unsupported_grant_type');
  });
  test('nothing to go on (no introspection, opaque token) → unverified, never expected', () => {
    const p = predictRefresh({ request: req(entry()), entry: entry(), asMetadata: META, introspection: { status: 0, unusable: 'no endpoint' } });
    assert.equal(p.verdict, 'unverified');
    assert.ok(p.reasons.some((r) => /offline_access/.test(r)), p.reasons.join('; '));
  });
});

describe('what Codex stores after a refresh', () => {
  test('rotated refresh token, scopes from the answer, expires_at from expires_in, the rest kept', () => {
    const raw = { server_name: 'rs', server_url: RESOURCE, issuer: META.issuer, client_id: 'c1', access_token: 'old', expires_at: 1, refresh_token: 'rt-1', scopes: ['mcp:tools'] };
    assert.deepEqual(refreshedEntry(raw, { accessToken: 'new', refreshToken: 'rt-2', expiresIn: 60, scope: 'mcp:tools' }, 1000), { ...raw, access_token: 'new', refresh_token: 'rt-2', expires_at: 61_000, scopes: ['mcp:tools'] });
    assert.deepEqual(refreshedEntry(raw, { accessToken: 'new' }, 1000), { ...raw, access_token: 'new', refresh_token: 'rt-1', expires_at: null, scopes: ['mcp:tools'] });
  });

  const store = (rt: string) => ({ 'rs|0123456789abcdef': { server_name: 'rs', server_url: RESOURCE, issuer: META.issuer, client_id: 'c1', access_token: 'at-1', expires_at: 1, refresh_token: rt, scopes: ['mcp:tools'] }, 'other|fedcba9876543210': { server_name: 'other', server_url: 'https://x/mcp', client_id: 'c9', access_token: 'keep', expires_at: null, refresh_token: null, scopes: [] } });
  const http = (body: unknown, status = 200): OAuthHttp & { sent: Array<Record<string, string>> } => {
    const sent: Array<Record<string, string>> = [];
    return { sent, postForm: async (_u, form) => (sent.push(form), { status, headers: {}, bodyText: JSON.stringify(body) }), postJson: async () => ({ status: 0, headers: {}, bodyText: '' }), getManual: async () => ({ status: 0, headers: {}, bodyText: '' }) };
  };

  test('check --refresh writes the rotated tokens into the file store, other entries untouched, 0600', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-refresh-unit-'));
    try {
      writeFileSync(join(home, '.credentials.json'), JSON.stringify(store('rt-1')));
      const h = http({ access_token: 'at-second-0123456789', refresh_token: 'rt-second-0123456789', expires_in: 3600, scope: 'mcp:tools', token_type: 'Bearer' });
      const redact = createRedactor();
      const r = await performCodexRefresh({ entry: entry(), request: req(entry()), http: h, deps: { readFile: (p) => readFile(p, 'utf8'), codexHome: home }, redact, nowMs: 5000 });
      assert.ok(r.ok && r.rotated && r.stored === 'written');
      const doc = JSON.parse(readFileSync(join(home, '.credentials.json'), 'utf8'));
      assert.equal(doc['rs|0123456789abcdef'].refresh_token, 'rt-second-0123456789');
      assert.equal(doc['rs|0123456789abcdef'].access_token, 'at-second-0123456789');
      assert.deepEqual(h.sent, [req(entry()).form]);
      assert.equal(doc['rs|0123456789abcdef'].expires_at, 5000 + 3_600_000);
      assert.deepEqual(doc['other|fedcba9876543210'], store('x')['other|fedcba9876543210']);
      if (process.platform !== 'win32') {
        const { statSync } = await import('node:fs');
        assert.equal(statSync(join(home, '.credentials.json')).mode & 0o777, 0o600);
      }
      const shown = redact.text('at-second-0123456789 rt-second-0123456789');
      assert.ok(!shown.includes('at-second') && !shown.includes('rt-second'), `the new tokens are registered with the redactor: ${shown}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('an entry another refresh already replaced is left alone (its newer tokens win)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-refresh-unit-'));
    try {
      writeFileSync(join(home, '.credentials.json'), JSON.stringify(store('rt-codex-rotated')));
      const before = readFileSync(join(home, '.credentials.json'), 'utf8');
      const r = await performCodexRefresh({ entry: entry(), request: req(entry()), http: http({ access_token: 'at-2', refresh_token: 'rt-2' }), deps: { readFile: (p) => readFile(p, 'utf8'), codexHome: home }, redact: createRedactor(), nowMs: 0 });
      assert.ok(r.ok && r.stored === 'superseded');
      assert.equal(readFileSync(join(home, '.credentials.json'), 'utf8'), before);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('a refusal writes nothing and reports the AS\'s error and description', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-refresh-unit-'));
    try {
      writeFileSync(join(home, '.credentials.json'), JSON.stringify(store('rt-1')));
      const before = readFileSync(join(home, '.credentials.json'), 'utf8');
      const r = await performCodexRefresh({ entry: entry(), request: req(entry()), http: http({ error: 'invalid_scope', error_description: 'refresh token missing requested scope' }, 400), deps: { readFile: (p) => readFile(p, 'utf8'), codexHome: home }, redact: createRedactor(), nowMs: 0 });
      assert.deepEqual(r, { ok: false, status: 400, error: 'invalid_scope', description: 'refresh token missing requested scope', stored: 'untouched' });
      assert.equal(readFileSync(join(home, '.credentials.json'), 'utf8'), before);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('introspection sends the refresh token only to its own issuer', () => {
  const calls: string[] = [];
  const http: OAuthHttp = {
    postForm: async (u) => (calls.push(u), { status: 200, headers: {}, bodyText: '{"active":true,"scope":"mcp:tools offline_access"}' }),
    postJson: async () => ({ status: 0, headers: {}, bodyText: '' }),
    getManual: async () => ({ status: 0, headers: {}, bodyText: '' }),
  };
  const meta = { ...META, introspection_endpoint: 'https://as.example.com/introspect' };
  test('same issuer, metadata and endpoint on its origin: asked', async () => {
    const { introspectRefreshToken } = await import('../src/auth/refresh-diagnosis.ts');
    calls.length = 0;
    const r = await introspectRefreshToken(http, entry(), meta, 'https://as.example.com/.well-known/oauth-authorization-server');
    assert.equal(r.active, true);
    assert.deepEqual(calls, ['https://as.example.com/introspect']);
  });
  test('metadata from another origin, an endpoint elsewhere, or another issuer: never sent', async () => {
    const { introspectRefreshToken } = await import('../src/auth/refresh-diagnosis.ts');
    calls.length = 0;
    const cases: Array<[Record<string, unknown>, string]> = [
      [meta, 'https://evil.example.net/.well-known/oauth-authorization-server'],
      [{ ...meta, introspection_endpoint: 'https://evil.example.net/introspect' }, 'https://as.example.com/.well-known/oauth-authorization-server'],
      [{ ...meta, issuer: 'https://other-as.example.com' }, 'https://as.example.com/.well-known/oauth-authorization-server'],
    ];
    for (const [m, url] of cases) {
      const r = await introspectRefreshToken(http, entry(), m, url);
      assert.equal(r.active, undefined);
      assert.match(r.unusable ?? '', /not sent/);
    }
    assert.deepEqual(calls, []);
  });
});

test('concurrent write-backs (servers are checked in parallel) keep every rotated token', async () => {
  const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-refresh-unit-'));
  try {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const doc: Record<string, unknown> = {};
    for (const n of names) doc[`${n}|0000000000000000`] = { server_name: n, server_url: `https://${n}.example/mcp`, issuer: META.issuer, client_id: 'c1', access_token: `at-${n}`, expires_at: 1, refresh_token: `rt-old-${n}`, scopes: [] };
    writeFileSync(join(home, '.credentials.json'), JSON.stringify(doc));
    // A slow reader makes the read-modify-write windows overlap.
    const deps = { codexHome: home, readFile: async (p: string) => { const t = await readFile(p, 'utf8'); await new Promise((r) => setTimeout(r, 5)); return t; } };
    await Promise.all(
      names.map((n) => {
        const e = entry({ serverName: n, serverUrl: `https://${n}.example/mcp`, refreshToken: `rt-old-${n}`, scopes: [] });
        const h: OAuthHttp = { postForm: async () => ({ status: 200, headers: {}, bodyText: JSON.stringify({ access_token: `at-new-${n}-0123456789`, refresh_token: `rt-new-${n}-0123456789`, expires_in: 60 }) }), postJson: async () => ({ status: 0, headers: {}, bodyText: '' }), getManual: async () => ({ status: 0, headers: {}, bodyText: '' }) };
        return performCodexRefresh({ entry: e, request: req(e), http: h, deps, redact: createRedactor(), nowMs: 0 });
      }),
    );
    const after = JSON.parse(readFileSync(join(home, '.credentials.json'), 'utf8'));
    for (const n of names) assert.equal(after[`${n}|0000000000000000`].refresh_token, `rt-new-${n}-0123456789`, n);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
