// Codex's token refresh against a real authorization server (oidc-provider, rotating refresh
// tokens) and MCP servers validating JWTs (test/helpers/real-as.ts). Every scenario asserts the
// doctor's cause, that a passive check sent no refresh request, and agreement with the startup
// verdict of real Codex (the oracle) given the same stored credentials — checked AFTER the doctor,
// since Codex's refresh consumes the refresh token.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { askCodex, codexAvailable, resolveCodex } from './helpers/codex-oracle.ts';
import { checkJson } from './helpers/cli.ts';
import {
  codexConfigToml,
  codexLogin,
  entryFor,
  mintTokens,
  readCodexCredential,
  refreshTokens,
  startMcpResource,
  startRealAs,
  tempCodexHome,
  type TempCodexHome,
  writeCodexCredentials,
  type CodexEntry,
  type McpResource,
  type RealAs,
  type RealAsOptions,
} from './helpers/real-as.ts';

const oracle = codexAvailable();
const NAME = 'rs';

function codexHome(mcp: McpResource, entry?: CodexEntry): TempCodexHome {
  return tempCodexHome(NAME, mcp.url, { entry });
}

const finding = (s: any, code: string) => s.findings.find((f: any) => f.code === code);
const codes = (s: any) => s.findings.map((f: any) => `${f.severity}:${f.code}`).join(', ');

/** Runs the passive doctor, then Codex with the same store; returns both. */
async function doctorAndCodex(as: RealAs, mcp: McpResource, home: TempCodexHome, extra: string[] = []) {
  const before = as.tokenRequests.length;
  const r = await checkJson(['--config', home.config, ...extra], { env: { CODEX_HOME: home.dir }, timeoutMs: 60_000 });
  const s = r.report.servers[0];
  const doctorRefreshes = as.tokenRequests.slice(before).filter((t) => t.grantType === 'refresh_token');
  const codex = oracle ? await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() }) : undefined;
  return { r, s, doctorRefreshes, codex: codex?.servers[NAME], codexRefreshes: as.tokenRequests.slice(before + doctorRefreshes.length).filter((t) => t.grantType === 'refresh_token') };
}

function assertAgrees(s: any, codex: { connected: boolean; error?: string } | undefined): void {
  if (!codex) return;
  assert.equal(s.status === 'fail', !codex.connected, `doctor ${s.status} (${codes(s)}) vs Codex ${codex.connected ? 'connected' : `failed: ${codex.error}`}`);
}

function withAs(opts: RealAsOptions, body: (as: RealAs, mcp: McpResource, other: McpResource) => void): void {
  let as: RealAs;
  let mcp: McpResource;
  let other: McpResource;
  before(async () => {
    as = await startRealAs(opts);
    mcp = await startMcpResource(as);
    other = await startMcpResource(as, { path: '/other' });
  });
  after(async () => {
    await mcp?.close();
    await other?.close();
    await as?.close();
  });
  body(
    new Proxy({} as RealAs, { get: (_t, k) => (as as any)[k] }),
    new Proxy({} as McpResource, { get: (_t, k) => (mcp as any)[k] }),
    new Proxy({} as McpResource, { get: (_t, k) => (other as any)[k] }),
  );
}

const EXPIRED = () => Date.now() - 60_000;

describe('refresh at startup: an expired stored token with a refresh token (AS lists offline_access, issues refresh tokens without it)', () => {
  withAs({ offlineAccessWithoutConsent: true }, (as, mcp, other) => {
    test('grant without offline_access: Codex adds it to the refresh, the AS refuses (invalid_scope); doctor fails with auth.refresh-will-fail, no refresh sent', async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() }));
      try {
        const { r, s, doctorRefreshes, codex, codexRefreshes } = await doctorAndCodex(as, mcp, home);
        assert.equal(doctorRefreshes.length, 0, 'a passive check never uses the refresh token');
        assert.equal(r.code, 1);
        const f = finding(s, 'auth.refresh-will-fail');
        assert.ok(f, codes(s));
        assert.equal(s.findings[0].code, 'auth.refresh-will-fail', 'the cause comes first');
        assert.match(f.message, /invalid_scope/);
        assert.match(f.message, /offline_access missing/);
        assert.equal(f.evidence.codexRefreshRequest.form.scope, 'mcp:tools offline_access');
        assert.equal(f.evidence.codexRefreshRequest.form.refresh_token, '<redacted>');
        assert.ok(!r.stdout.includes(t.refreshToken!), 'the refresh token never appears');
        // Not in the wire transcript either (the introspection request carries it as `token`).
        const verbose = await checkJson(['--config', home.config, '-v'], { env: { CODEX_HOME: home.dir } });
        for (const secret of [t.refreshToken!, t.accessToken, t.accessToken.split('.')[2]!]) assert.ok(!verbose.stdout.includes(secret) && !verbose.stderr.includes(secret), 'no token in the -v report');
        assert.ok(verbose.report.servers[0].transcript.some((e: any) => /introspection/.test(e.text ?? '')), 'the introspection request is in the transcript');
        assertAgrees(s, codex);
        if (codex) {
          assert.match(codex.error ?? '', /invalid_scope: refresh token missing requested scope/);
          // The model is Codex's request, parameter for parameter.
          assert.deepEqual(codexRefreshes[0]!.params, { ...f.evidence.codexRefreshRequest.form, refresh_token: '<present>' });
        }
      } finally {
        home.cleanup();
      }
    });

    test('the fix the finding names (codex mcp login) lets Codex connect', { skip: !oracle && 'Codex CLI not available' }, async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() }));
      try {
        const r = await checkJson(['--config', home.config], { env: { CODEX_HOME: home.dir } });
        assert.equal(finding(r.report.servers[0], 'auth.refresh-will-fail').fix.command, `codex mcp login ${NAME}`);
        const cmd = resolveCodex()!;
        const login = await codexLogin(cmd.command === process.execPath ? cmd.args[0]! : cmd.command, home.dir, NAME);
        assert.equal(login.code, 0, login.stderr);
        const v = await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() });
        assert.equal(v.servers[NAME]!.connected, true, JSON.stringify(v.servers[NAME]));
      } finally {
        home.cleanup();
      }
    });

    test('grant with offline_access: introspection confirms the grant covers the refresh; doctor does not fail, Codex refreshes and connects', async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools offline_access', prompt: 'consent' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() }));
      try {
        const { r, s, doctorRefreshes, codex, codexRefreshes } = await doctorAndCodex(as, mcp, home);
        assert.equal(doctorRefreshes.length, 0);
        assert.equal(r.code, 0, codes(s));
        assert.equal(finding(s, 'auth.refresh-expected')?.severity, 'info', codes(s));
        assertAgrees(s, codex);
        if (codex) assert.equal(codexRefreshes[0]?.status, 200);
      } finally {
        home.cleanup();
      }
    });

    test('grant bound to another resource: Codex refreshes for this one and is refused; doctor fails before Codex does', async () => {
      const t = await mintTokens(as, { resource: other.url, scope: 'mcp:tools offline_access', prompt: 'consent' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() }));
      try {
        const { s, doctorRefreshes, codex } = await doctorAndCodex(as, mcp, home);
        assert.equal(doctorRefreshes.length, 0);
        const f = finding(s, 'auth.refresh-will-fail');
        assert.ok(f, codes(s));
        assert.match(f.message, /invalid_target/);
        assertAgrees(s, codex);
      } finally {
        home.cleanup();
      }
    });
  });
});

describe('refresh at startup: an authorization server that does not list offline_access', () => {
  withAs({ offlineAccessWithoutConsent: true, scopes: ['openid', 'mcp:tools'] }, (as, mcp) => {
    test('Codex asks only for the stored scopes; the refresh is expected to work and Codex connects', async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() }));
      try {
        const { s, doctorRefreshes, codex, codexRefreshes } = await doctorAndCodex(as, mcp, home);
        assert.equal(doctorRefreshes.length, 0);
        const f = finding(s, 'auth.refresh-expected');
        assert.ok(f, codes(s));
        assert.equal(f.evidence.codexRefreshRequest.form.scope, 'mcp:tools');
        assertAgrees(s, codex);
        if (codex) assert.equal(codexRefreshes[0]?.params.scope, 'mcp:tools');
      } finally {
        home.cleanup();
      }
    });
  });
});

describe('refresh not verifiable: no introspection endpoint', () => {
  withAs({ offlineAccessWithoutConsent: true, introspection: false }, (as, mcp) => {
    test('warn with "refresh not verified", never ok, never fail; check --refresh then proves it, stores the rotated token, and Codex connects', async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools offline_access', prompt: 'consent' });
      const entry = entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() });
      const home = codexHome(mcp, entry);
      try {
        const before = as.tokenRequests.length;
        const r = await checkJson(['--config', home.config], { env: { CODEX_HOME: home.dir } });
        const s = r.report.servers[0];
        assert.equal(as.tokenRequests.length, before, 'no token request at all');
        assert.equal(s.status, 'warn', codes(s));
        const f = finding(s, 'auth.refresh-unverified');
        assert.match(f.message, /Refresh not verified/);
        assert.equal(f.fix.command, `mcp-doctor check --refresh ${NAME}`);

        // The fix: --refresh performs Codex's exact refresh and writes the rotated token back.
        const rr = await checkJson(['--config', home.config, '--refresh', NAME], { env: { CODEX_HOME: home.dir } });
        const rs = rr.report.servers[0];
        assert.equal(rr.code, 0, codes(rs));
        assert.ok(finding(rs, 'auth.refreshed'), codes(rs));
        assert.ok(!finding(rs, 'auth.refresh-unverified'), 'the prediction is replaced by the result');
        assert.deepEqual(rs.tools.names, ['whoami']);
        const sent = as.tokenRequests.slice(before).filter((x) => x.grantType === 'refresh_token');
        assert.equal(sent.length, 1);
        assert.deepEqual(sent[0]!.params, { grant_type: 'refresh_token', refresh_token: '<present>', client_id: t.clientId, scope: 'mcp:tools offline_access', resource: mcp.url });
        const stored = readCodexCredential(home.dir, NAME, mcp.url)!;
        assert.notEqual(stored.refresh_token, t.refreshToken, 'the rotated refresh token is stored');
        assert.ok(stored.expires_at > Date.now());
        assert.equal(stored.issuer, as.issuer);
        assert.equal(stored.client_id, t.clientId);
        assert.deepEqual(Object.keys(stored).sort(), ['access_token', 'client_id', 'expires_at', 'issuer', 'refresh_token', 'scopes', 'server_name', 'server_url']);
        for (const secret of [t.refreshToken!, stored.refresh_token, stored.access_token]) assert.ok(!rr.stdout.includes(secret), 'no token in the report');
        if (oracle) {
          const v = await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() });
          assert.equal(v.servers[NAME]!.connected, true, JSON.stringify(v.servers[NAME]));
        }
        // Rotation: the stored refresh token works, the spent one does not (checked in that order:
        // replaying a spent token makes oidc-provider revoke the whole grant).
        await refreshTokens(as, t.clientId, stored.refresh_token, { resource: mcp.url });
        await assert.rejects(refreshTokens(as, t.clientId, t.refreshToken!), /invalid_grant/);
      } finally {
        home.cleanup();
      }
    });

    test('check --refresh when the AS refuses: auth.refresh-failed with the AS\'s words, store untouched', async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: EXPIRED() }));
      try {
        const before = home.credentials();
        const r = await checkJson(['--config', home.config, '--refresh'], { env: { CODEX_HOME: home.dir } });
        const s = r.report.servers[0];
        assert.equal(r.code, 1);
        const f = finding(s, 'auth.refresh-failed');
        assert.ok(f, codes(s));
        assert.match(f.message, /invalid_scope: refresh token missing requested scope/);
        assert.equal(home.credentials(), before, 'nothing written on a refusal');
      } finally {
        home.cleanup();
      }
    });
  });
});

describe('refresh after a 401: the server rejects the stored token, Codex refreshes and retries', () => {
  withAs({ offlineAccessWithoutConsent: true, accessTokenTtl: 3 }, (as, mcp, other) => {
    for (const terse of [false, true]) {
      test(`${terse ? 'terse 401: ' : ''}token expired by its own exp (expires_at unknown), grant covers the refresh: not a failure, Codex connects`, async () => {
        const server = terse ? await startMcpResource(as, { path: '/terse', terse: true }) : mcp;
        const t = await mintTokens(as, { resource: server.url, scope: 'mcp:tools offline_access', prompt: 'consent' });
        await sleep(3500);
        const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-refresh-'));
        const home: TempCodexHome = { dir, config: join(dir, 'config.toml'), credentials: () => readFileSync(join(dir, '.credentials.json'), 'utf8'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
        writeFileSync(home.config, codexConfigToml({ [NAME]: { url: server.url } }));
        writeCodexCredentials(dir, [entryFor(as, NAME, server.url, t, { expiresAt: null })]);
        try {
          const { s, doctorRefreshes, codex } = await doctorAndCodex(as, server, home);
          assert.equal(doctorRefreshes.length, 0);
          assert.notEqual(s.status, 'fail', codes(s));
          assert.equal(s.findings[0].code, 'auth.refresh-expected', codes(s));
          assert.match(s.findings[0].message, /refused the stored token with 401/);
          assert.ok(!s.findings.some((f: any) => f.severity === 'error'), codes(s));
          assertAgrees(s, codex);
          if (codex) assert.equal(codex.connected, true);
        } finally {
          home.cleanup();
          if (terse) await server.close();
        }
      });
    }

    test('check --refresh after a 401: refreshes as Codex would after it, stores the rotated token, initialize accepts the new one; Codex then connects from the store', async () => {
      const t = await mintTokens(as, { resource: mcp.url, scope: 'mcp:tools offline_access', prompt: 'consent' });
      await sleep(3500);
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: null }));
      try {
        const before = as.tokenRequests.length;
        const r = await checkJson(['--config', home.config, '--refresh'], { env: { CODEX_HOME: home.dir } });
        const s = r.report.servers[0];
        assert.equal(r.code, 0, codes(s));
        const f = finding(s, 'auth.refreshed');
        assert.match(f.message, /initialize then answered HTTP 200/);
        assert.ok(!s.findings.some((x: any) => x.severity === 'error'), codes(s));
        const sent = as.tokenRequests.slice(before).filter((x) => x.grantType === 'refresh_token');
        assert.equal(sent.length, 1);
        assert.equal(sent[0]!.params.resource, mcp.url);
        const stored = readCodexCredential(home.dir, NAME, mcp.url)!;
        assert.notEqual(stored.refresh_token, t.refreshToken);
        if (oracle) {
          const v = await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() });
          assert.equal(v.servers[NAME]!.connected, true, JSON.stringify(v.servers[NAME]));
        }
      } finally {
        home.cleanup();
      }
    });

    test('token and grant for another resource: the refresh asks for this one and is refused; fail, as in Codex', async () => {
      const t = await mintTokens(as, { resource: other.url, scope: 'mcp:tools offline_access', prompt: 'consent' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: Date.now() + 3_600_000 }));
      try {
        const { s, doctorRefreshes, codex } = await doctorAndCodex(as, mcp, home);
        assert.equal(doctorRefreshes.length, 0);
        assert.equal(s.status, 'fail');
        const f = finding(s, 'auth.refresh-will-fail');
        assert.ok(f, codes(s));
        assert.match(f.message, /invalid_target/);
        assertAgrees(s, codex);
      } finally {
        home.cleanup();
      }
    });

    test('opaque token from a request without resource, grant without offline_access: fail, as in Codex', async () => {
      const t = await mintTokens(as, { scope: 'openid mcp:tools' });
      const home = codexHome(mcp, entryFor(as, NAME, mcp.url, t, { expiresAt: Date.now() + 3_600_000 }));
      try {
        const { s, codex } = await doctorAndCodex(as, mcp, home);
        assert.equal(s.status, 'fail');
        assert.equal(s.findings[0].code, 'auth.refresh-will-fail', codes(s));
        assertAgrees(s, codex);
      } finally {
        home.cleanup();
      }
    });
  });
});
