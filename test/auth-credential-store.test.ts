import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  codexAuthorizationFor,
  codexStoreKey,
  inspectStoredCredentials,
  matchCredentials,
  missingScopes,
  parseCredentialsFile,
  readCredentialsFile,
  readKeyring,
  tokenState,
  type StoredCredential,
} from '../src/auth/credential-store.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { createRedactor } from '../src/redact.ts';
import { credentialsDocument, fakeJwt } from '../fixtures/oauth/oauth-fixtures.ts';
import type { Deps } from '../src/pipeline/context.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function codexHome(credentials?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-auth-creds-'));
  dirs.push(dir);
  if (credentials !== undefined) writeFileSync(join(dir, '.credentials.json'), credentials, { mode: 0o600 });
  return dir;
}

const cred = (over: Partial<StoredCredential> = {}): StoredCredential => ({
  source: 'file',
  serverName: 'linear',
  serverUrl: 'https://mcp.linear.app/mcp',
  clientId: 'c1',
  issuer: 'https://mcp.linear.app/',
  accessToken: 'at-secret-1234',
  refreshToken: 'rt-secret-5678',
  expiresAt: NOW + 3_600_000,
  scopes: ['read'],
  ...over,
});

/**
 * A `spawn` whose children are small node scripts standing in for secret-tool / security: real
 * processes (so timeouts and kills are real), no keyring touched.
 */
function fakeSpawn(script: (cmd: string, args: string[]) => string, calls: Array<{ cmd: string; args: string[] }> = []): Deps['spawn'] {
  return ((cmd: string, args: string[], opts: object) => {
    calls.push({ cmd, args });
    return spawn(process.execPath, ['-e', script(cmd, args)], opts);
  }) as unknown as Deps['spawn'];
}

describe('codexStoreKey', () => {
  test('matches the keys codex 0.169.0 wrote (declared key order, URL as written)', () => {
    assert.equal(codexStoreKey('demo', 'http://localhost:43103/mcp'), 'demo|bceef630c9945259');
    assert.equal(codexStoreKey('fx', 'http://127.0.0.1:38795'), 'fx|1b08cd13490aa92a');
    assert.notEqual(codexStoreKey('demo', 'http://localhost:43103/mcp', 'sorted'), 'demo|bceef630c9945259');
  });
});

describe('the credentials file', () => {
  test('parsing registers every token with the redactor before anything else', () => {
    const redact = createRedactor();
    const at = 'opaque-access-token-value';
    const { entries } = parseCredentialsFile(credentialsDocument([{ name: 'x', url: 'https://x/mcp', accessToken: at, refreshToken: 'opaque-refresh-value' }]), redact);
    assert.equal(entries.length, 1);
    assert.equal(redact.text(`token=${at} and opaque-refresh-value`), 'token=<redacted> and <redacted>');
  });

  test('absent, not JSON (content never echoed), and valid files', async () => {
    const redact = createRedactor();
    const absent = await readCredentialsFile(defaultDeps({ codexHome: codexHome() }), redact);
    assert.equal(absent.state, 'absent');
    const broken = await readCredentialsFile(defaultDeps({ codexHome: codexHome('{"x": "secret-value-abc" ') }), redact);
    assert.equal(broken.state, 'invalid');
    assert.ok(!broken.error!.includes('secret-value-abc'));
    const ok = await readCredentialsFile(defaultDeps({ codexHome: codexHome(credentialsDocument([{ name: 'a', url: 'https://a/mcp', accessToken: 't-abcdef' }])) }), redact);
    assert.equal(ok.state, 'ok');
    assert.equal(ok.entries[0]!.serverName, 'a');
    assert.equal(ok.entries[0]!.storeKey, codexStoreKey('a', 'https://a/mcp'));
  });

  test('entries match by name and exact URL; other URLs and names are orphans', () => {
    const entries = [cred(), cred({ serverUrl: 'https://mcp.linear.app/mcp/' }), cred({ serverName: 'linear-old' })];
    const m = matchCredentials(entries, 'linear', 'https://mcp.linear.app/mcp');
    assert.equal(m.exact, entries[0]);
    assert.deepEqual(m.sameNameOtherUrl, [entries[1]]);
    assert.deepEqual(m.sameUrlOtherName, [entries[2]]);
  });
});

describe('tokenState (Codex 0.169 behaviour, measured)', () => {
  test('usable, refreshable, expired, expired without issuer, 30 s skew, no access token', () => {
    assert.equal(tokenState(cred(), NOW), 'usable');
    assert.equal(tokenState(cred({ expiresAt: undefined }), NOW), 'usable');
    assert.equal(tokenState(cred({ expiresAt: NOW - 1000 }), NOW), 'refreshable');
    assert.equal(tokenState(cred({ expiresAt: NOW - 1000, issuer: undefined }), NOW), 'expired-refresh-without-issuer');
    assert.equal(tokenState(cred({ expiresAt: NOW - 1000, refreshToken: undefined }), NOW), 'expired');
    assert.equal(tokenState(cred({ expiresAt: NOW + 10_000, refreshToken: undefined }), NOW), 'expired', 'within the 30 s skew');
    assert.equal(tokenState(cred({ accessToken: undefined }), NOW), 'no-access-token');
    assert.equal(tokenState(cred({ clientId: '' }), NOW), 'usable', 'Codex still sends a token with an empty client_id');
  });

  test('missing scopes: the challenge wins over scopes_supported', () => {
    assert.deepEqual(missingScopes(['read'], ['read', 'write'], ['admin'])?.missing, ['write']);
    assert.deepEqual(missingScopes(['read'], [], ['read', 'admin'])?.missing, ['admin']);
    assert.equal(missingScopes(['read'], [], undefined), undefined);
  });
});

describe('readKeyring (read-only, bounded, never prompting)', () => {
  const redact = () => createRedactor();

  test('Linux without a D-Bus session: not inspected, nothing spawned', async () => {
    const calls: Array<{ cmd: string; args: string[] }> = [];
    const r = await readKeyring({ spawn: fakeSpawn(() => '', calls), env: {}, platform: 'linux' }, 'a', 'https://a/mcp', redact());
    assert.equal(r.state, 'unavailable');
    assert.match(r.detail, /D-Bus/);
    assert.equal(calls.length, 0);
  });

  test('Linux: secret-tool lookup with the store key; the JSON value is read and its tokens registered', async () => {
    const calls: Array<{ cmd: string; args: string[] }> = [];
    const r0 = redact();
    const value = JSON.stringify({
      server_name: 'a',
      url: 'https://a/mcp',
      client_id: 'c',
      token_response: { access_token: 'keyring-access-token-1', refresh_token: 'keyring-refresh-token-1', scope: 'read write' },
      expires_at: NOW + 1000_000,
    });
    const r = await readKeyring(
      { spawn: fakeSpawn(() => `process.stdout.write(${JSON.stringify(value)})`, calls), env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, platform: 'linux' },
      'a',
      'https://a/mcp',
      r0,
    );
    assert.equal(r.state, 'found');
    assert.equal(r.entry!.accessToken, 'keyring-access-token-1');
    assert.deepEqual(r.entry!.scopes, ['read', 'write']);
    assert.deepEqual(calls[0], { cmd: 'secret-tool', args: ['lookup', 'service', 'Codex MCP Credentials', 'account', codexStoreKey('a', 'https://a/mcp')] });
    assert.equal(r0.text('keyring-access-token-1 keyring-refresh-token-1'), '<redacted> <redacted>');
    assert.ok(!r.detail.includes('keyring-access-token-1'));
  });

  test('Linux: both key orders are tried before "not found"', async () => {
    const calls: Array<{ cmd: string; args: string[] }> = [];
    const r = await readKeyring({ spawn: fakeSpawn(() => 'process.exit(1)', calls), env: { DBUS_SESSION_BUS_ADDRESS: 'x' }, platform: 'linux' }, 'a', 'https://a/mcp', redact());
    assert.equal(r.state, 'not-found');
    assert.equal(calls.length, 2);
    assert.equal(calls[1]!.args[4], codexStoreKey('a', 'https://a/mcp', 'sorted'));
  });

  test('a command that hangs (a prompt) is killed after the timeout', async () => {
    const r = await readKeyring(
      { spawn: fakeSpawn(() => 'setTimeout(() => {}, 60000)'), env: { DBUS_SESSION_BUS_ADDRESS: 'x' }, platform: 'linux' },
      'a',
      'https://a/mcp',
      redact(),
      300,
    );
    assert.equal(r.state, 'unavailable');
    assert.match(r.detail, /no answer within 300 ms/);
  });

  test('a missing command says so', async () => {
    const missing = ((cmd: string, args: string[], opts: object) => spawn('/nonexistent/secret-tool-xyz', args, opts)) as unknown as Deps['spawn'];
    const r = await readKeyring({ spawn: missing, env: { DBUS_SESSION_BUS_ADDRESS: 'x' }, platform: 'linux' }, 'a', 'https://a/mcp', redact());
    assert.equal(r.state, 'unavailable');
    assert.match(r.detail, /not installed/);
  });

  test('macOS: presence only — `security` is never asked for the secret (-w would prompt)', async () => {
    const calls: Array<{ cmd: string; args: string[] }> = [];
    const r = await readKeyring({ spawn: fakeSpawn(() => 'process.exit(0)', calls), env: {}, platform: 'darwin' }, 'a', 'https://a/mcp', redact());
    assert.equal(r.state, 'present-unread');
    assert.equal(calls[0]!.cmd, 'security');
    assert.ok(!calls[0]!.args.includes('-w'));
  });

  test('Windows: not inspected', async () => {
    const calls: Array<{ cmd: string; args: string[] }> = [];
    const r = await readKeyring({ spawn: fakeSpawn(() => '', calls), env: {}, platform: 'win32' }, 'a', 'https://a/mcp', redact());
    assert.equal(r.state, 'unavailable');
    assert.equal(calls.length, 0);
  });
});

describe('inspectStoredCredentials and codexAuthorizationFor', () => {
  const url = 'https://mcp.example.com/mcp';
  const server = { name: 'ex', url, httpHeaders: {}, envHttpHeaders: {} } as const;

  test('file store: the exact entry, its state, and orphans', async () => {
    const home = codexHome(
      credentialsDocument([
        { name: 'ex', url, accessToken: 'tok-exact-123456', expiresAt: NOW - 5000, refreshToken: null },
        { name: 'ex', url: `${url}/`, accessToken: 'tok-orphan-123456' },
      ]),
    );
    const c = await inspectStoredCredentials({ deps: defaultDeps({ codexHome: home, env: {} }), redact: createRedactor(), serverName: 'ex', serverUrl: url, mode: 'file', nowMs: NOW });
    assert.equal(c.entry?.serverUrl, url);
    assert.equal(c.state, 'expired');
    assert.equal(c.orphans.length, 1);
    assert.equal(c.keyring, undefined);
  });

  test('Codex\'s order: bearer_token_env_var, then http_headers, then env_http_headers, then stored OAuth', async () => {
    const jwt = fakeJwt({ aud: url, exp: NOW / 1000 + 3600 });
    const home = codexHome(credentialsDocument([{ name: 'ex', url, accessToken: jwt, expiresAt: NOW + 3_600_000 }]));
    const deps = defaultDeps({ codexHome: home, env: { EX_TOKEN: 'env-token-abcdef', EX_AUTH: 'Bearer hdr-env-abcdef' }, platform: 'linux' });
    const redact = createRedactor();
    const a = await codexAuthorizationFor({ server: { ...server, bearerTokenEnvVar: 'EX_TOKEN' }, deps, redact, nowMs: NOW });
    assert.deepEqual([a.source, a.authorization], ['bearer_token_env_var', 'Bearer env-token-abcdef']);
    const b = await codexAuthorizationFor({ server: { ...server, httpHeaders: { authorization: 'Bearer literal-abcdef' } }, deps, redact, nowMs: NOW });
    assert.equal(b.source, 'http_headers');
    const c = await codexAuthorizationFor({ server: { ...server, envHttpHeaders: { Authorization: 'EX_AUTH' } }, deps, redact, nowMs: NOW });
    assert.deepEqual([c.source, c.authorization], ['env_http_headers', 'Bearer hdr-env-abcdef']);
    const d = await codexAuthorizationFor({ server: { ...server, envHttpHeaders: { Authorization: 'UNSET_VAR' } }, deps, redact, nowMs: NOW });
    assert.deepEqual([d.source, d.authorization], ['oauth', `Bearer ${jwt}`], 'an unset env_http_headers variable is skipped');
    for (const secret of ['env-token-abcdef', 'literal-abcdef', 'hdr-env-abcdef']) assert.equal(redact.text(secret), '<redacted>');
    assert.ok(!redact.text(jwt).includes(jwt.split('.')[2]!), 'the stored JWT\'s signature is redacted');
  });

  test('an expired stored token is not sent (Codex refreshes or fails first); an unset variable sends nothing', async () => {
    const home = codexHome(credentialsDocument([{ name: 'ex', url, accessToken: 'tok-expired-123456', expiresAt: NOW - 60_000, refreshToken: 'rt-123456', issuer: 'https://as/' }]));
    const deps = defaultDeps({ codexHome: home, env: {}, platform: 'linux' });
    const a = await codexAuthorizationFor({ server, deps, redact: createRedactor(), nowMs: NOW });
    assert.deepEqual([a.source, a.authorization, a.tokenState], ['oauth', undefined, 'refreshable']);
    const b = await codexAuthorizationFor({ server: { ...server, bearerTokenEnvVar: 'NOPE' }, deps, redact: createRedactor(), nowMs: NOW });
    assert.deepEqual([b.source, b.authorization], ['none', undefined]);
  });
});
