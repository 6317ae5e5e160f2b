// The cause a rejected token shows, against a real authorization server (oidc-provider: RFC 8707
// resource indicators, RFC 9068 JWT access tokens for resources, opaque tokens otherwise, DCR,
// PKCE) and MCP servers that validate the JWT with jose (test/helpers/real-as.ts). Each scenario
// asserts the doctor's cause (stated first), its fix, the exit code, that no token appears in any
// output format, and agreement with the startup verdict of real Codex (the oracle) given the same
// config and stored credentials; where a fix is named, it is applied and Codex connects.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { askCodex, codexAvailable, resolveCodex } from './helpers/codex-oracle.ts';
import { CLI, ROOT, checkJson, runCli } from './helpers/cli.ts';
import {
  browse,
  claimsOf,
  codexConfigToml,
  codexLogin,
  entryFor,
  mintTokens,
  registerClient,
  startMcpResource,
  startRealAs,
  tempCodexHome,
  type TempCodexHome,
  writeCodexCredentials,
  type CodexEntry,
  type McpResource,
  type McpResourceOptions,
  type RealAs,
  type RealAsOptions,
} from './helpers/real-as.ts';
import { codexCallbackId } from '../src/auth/authorization-server.ts';

const oracle = codexAvailable();
const NAME = 'rs';

function codexHome(url: string, opts: { entry?: CodexEntry; extra?: string; top?: string } = {}): TempCodexHome {
  return tempCodexHome(NAME, url, { ...opts, emptyStore: true });
}


/** A port nothing listens on right now (bound and released), for a fixed callback port. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const codes = (s: any) => s.findings.map((f: any) => `${f.severity}:${f.code}`).join(', ');
const finding = (s: any, code: string) => s.findings.find((f: any) => f.code === code);

function codexBin(): string {
  const cmd = resolveCodex()!;
  return cmd.command === process.execPath ? cmd.args[0]! : cmd.command;
}

/** The doctor (JSON, then text and markdown with --verbose), then Codex with the same home. */
async function doctorAndCodex(home: TempCodexHome, env: Record<string, string> = {}, secrets: string[] = []) {
  const fullEnv = { CODEX_HOME: home.dir, DBUS_SESSION_BUS_ADDRESS: '', ...env };
  const r = await checkJson(['--config', home.config, '-v'], { env: fullEnv, timeoutMs: 60_000 });
  const s = r.report.servers[0];
  const text = await runCli(['check', '--config', home.config, '-v', '--format', 'text'], { env: fullEnv, timeoutMs: 60_000 });
  const md = await runCli(['check', '--config', home.config, '-v', '--format', 'markdown'], { env: fullEnv, timeoutMs: 60_000 });
  for (const out of [r.stdout, r.stderr, text.stdout, text.stderr, md.stdout, md.stderr]) {
    for (const t of secrets) {
      assert.ok(!out.includes(t), `a token (${t.slice(0, 10)}…) reached the output`);
      const sig = t.split('.')[2];
      if (sig) assert.ok(!out.includes(sig), 'a JWT signature reached the output');
    }
  }
  const codex = oracle ? (await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials(), env })).servers[NAME] : undefined;
  if (codex) assert.equal(s.status === 'fail', !codex.connected, `doctor ${s.status} (${codes(s)}) vs Codex ${codex.connected ? 'connected' : `failed: ${codex.error}`}`);
  return { r, s, codex, text: text.stdout };
}


/** `check --login` in browser mode, with a scripted browser (cookies kept) following the URL it prints. */
function checkWithBrowserLogin(home: TempCodexHome): Promise<{ code: number | null; report: any; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, 'check', '--config', home.config, '--json', '-v', '--login', '--no-open', '--login-timeout', '30'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', CODEX_HOME: home.dir, DBUS_SESSION_BUS_ADDRESS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let followed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      const url = /open this URL in a browser[^\n]*\n {2}(http\S+)/.exec(stderr)?.[1];
      if (url && !followed) {
        followed = true;
        const redirect = new URL(url).searchParams.get('redirect_uri')!;
        browse(url, redirect)
          .then((back) => fetch(back, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text()))
          .catch(() => undefined);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolvePromise({ code, report: JSON.parse(stdout), stderr });
      } catch (error) {
        reject(new Error(`not JSON (exit ${code}): ${stdout}\n${stderr}`));
      }
    });
  });
}

function withAs(opts: RealAsOptions, mcpOpts: McpResourceOptions, body: (as: RealAs, mcp: McpResource, other: McpResource) => void): void {
  let as: RealAs;
  let mcp: McpResource;
  let other: McpResource;
  before(async () => {
    as = await startRealAs(opts);
    mcp = await startMcpResource(as, mcpOpts);
    other = await startMcpResource(as, { ...mcpOpts, path: '/other' });
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

for (const terse of [false, true]) {
  describe(`seed 002 against a real AS: the token request left out \`resource\`${terse ? ' (terse 401s)' : ''}`, () => {
    withAs({}, { terse }, (as, mcp) => {
      test('an opaque stored token the AS still accepts: token-not-resource-bound first (resource binding, not revocation); Codex fails too, and the named fix lets it connect', async () => {
        const t = await mintTokens(as, { scope: 'openid mcp:tools' });
        assert.equal(claimsOf(t.accessToken), undefined, 'oidc-provider issues an opaque token without resource');
        const home = codexHome(mcp.url, { entry: entryFor(as, NAME, mcp.url, t, { refreshToken: null }) });
        try {
          const { r, s, codex } = await doctorAndCodex(home, {}, [t.accessToken]);
          assert.equal(r.code, 1);
          assert.equal(s.findings[0].code, 'auth.token-not-resource-bound', codes(s));
          const f = s.findings[0];
          assert.match(f.message, /alive but not bound to this server/);
          assert.match(f.message, /RFC 8707 `resource` parameter/);
          assert.doesNotMatch(f.message, /revoked, or issued/);
          assert.equal(f.evidence.issuerCheck.verdict, 'alive');
          assert.match(f.evidence.issuerCheck.url, new RegExp(`^${as.origin}/`), 'only ever the issuing AS');
          assert.equal(f.fix.command, `codex mcp login ${NAME}`);
          if (codex) {
            assert.equal(codex.connected, false);
            // The fix: Codex 0.171 logs in with `resource`, and connects.
            const login = await codexLogin(codexBin(), home.dir, NAME);
            assert.equal(login.code, 0, login.stderr);
            const v = await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() });
            assert.equal(v.servers[NAME]!.connected, true, JSON.stringify(v.servers[NAME]));
          }
        } finally {
          home.cleanup();
        }
      });

      test('with check --login (browser, real AS): the fresh token obtained with `resource` is accepted, which confirms resource binding; still failed for Codex', async () => {
        const t = await mintTokens(as, { scope: 'openid mcp:tools' });
        const home = codexHome(mcp.url, { entry: entryFor(as, NAME, mcp.url, t, { refreshToken: null }) });
        try {
          const r = await checkWithBrowserLogin(home);
          const s = r.report.servers[0];
          assert.equal(r.code, 1, codes(s));
          const f = s.findings[0];
          assert.equal(f.code, 'auth.token-not-resource-bound', codes(s));
          assert.doesNotMatch(f.message, /stored credentials are the problem/);
          assert.match(f.message, /Confirmed: a token requested just now with resource=/);
          assert.equal(f.evidence.confirmedByLogin.freshTokenClaims.aud, mcp.url);
          assert.ok(finding(s, 'auth.login-succeeded'), codes(s));
          assert.ok(!JSON.stringify(r.report).includes(t.accessToken) && !r.stderr.includes(t.accessToken));
        } finally {
          home.cleanup();
        }
      });

      test('a token the issuing AS itself rejects (revoked): token-rejected saying so, not resource binding', async () => {
        const t = await mintTokens(as, { scope: 'openid mcp:tools' });
        await fetch(as.metadata.revocation_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.accessToken, client_id: t.clientId }) });
        const home = codexHome(mcp.url, { entry: entryFor(as, NAME, mcp.url, t, { refreshToken: null }) });
        try {
          const { s } = await doctorAndCodex(home, {}, [t.accessToken]);
          assert.equal(s.findings[0].code, 'auth.token-rejected', codes(s));
          assert.match(s.findings[0].message, /rejects it too/);
          assert.match(s.findings[0].message, /revoked or has expired/);
        } finally {
          home.cleanup();
        }
      });
    });
  });

  describe(`claims first, for every token the doctor can read${terse ? ' (terse 401s)' : ''}`, () => {
    withAs({ accessTokenTtl: 1 }, { terse }, (as, mcp, other) => {
      test('bearer_token_env_var with an expired JWT: token-expired first, not the five-way list', async () => {
        const t = await mintTokens(as, { resource: mcp.url });
        await sleep(2100);
        const home = codexHome(mcp.url, { extra: 'bearer_token_env_var = "RS_TOKEN"\n' });
        try {
          const { r, s } = await doctorAndCodex(home, { RS_TOKEN: t.accessToken }, [t.accessToken]);
          assert.equal(r.code, 1);
          assert.equal(s.findings[0].code, 'auth.token-expired', codes(s));
          assert.match(s.findings[0].message, /`exp` claim is \d{4}-\d\d-\d\dT/);
          assert.doesNotMatch(s.findings[0].message, /invalid, expired, revoked/);
          assert.match(s.findings[0].fix.summary, /export it as RS_TOKEN/);
        } finally {
          home.cleanup();
        }
      });

      test('a stored Codex token with expires_at null whose JWT exp passed: token-expired, consistent with its evidence', async () => {
        const t = await mintTokens(as, { resource: mcp.url });
        await sleep(2100);
        const home = codexHome(mcp.url, { entry: entryFor(as, NAME, mcp.url, t, { expiresAt: null, refreshToken: null }) });
        try {
          const { s } = await doctorAndCodex(home, {}, [t.accessToken]);
          const f = s.findings[0];
          assert.equal(f.code, 'auth.token-expired', codes(s));
          assert.match(f.message, /`expires_at` is null/);
          assert.equal(f.evidence.storedExpiresAt, null);
          assert.ok(f.evidence.tokenClaims.expIso, 'the claim that proves it');
          assert.equal(f.fix.command, `codex mcp login ${NAME}`);
        } finally {
          home.cleanup();
        }
      });
    });

    withAs({}, { terse }, (as, mcp, other) => {
      test('http_headers Authorization with a JWT for another server: token-not-resource-bound naming the other resource (resource sent, for another server)', async () => {
        const t = await mintTokens(as, { resource: other.url });
        const home = codexHome(mcp.url, { extra: `http_headers = { Authorization = "Bearer ${t.accessToken}" }\n` });
        try {
          const { s } = await doctorAndCodex(home, {}, [t.accessToken]);
          const f = s.findings[0];
          assert.equal(f.code, 'auth.token-not-resource-bound', codes(s));
          assert.match(f.message, /another resource: the token was requested with `resource` set to another server/);
          assert.doesNotMatch(f.message, /left out/);
          assert.equal(f.evidence.audience, 'other-resource');
        } finally {
          home.cleanup();
        }
      });

      test('env_http_headers Authorization with a JWT lacking the required scope: insufficient-scope first', async () => {
        const t = await mintTokens(as, { resource: mcp.url, scope: 'openid' });
        assert.doesNotMatch(String(claimsOf(t.accessToken)!.scope ?? ''), /mcp:tools/);
        const home = codexHome(mcp.url, { extra: 'env_http_headers = { Authorization = "RS_AUTH" }\n' });
        try {
          const { s } = await doctorAndCodex(home, { RS_AUTH: `Bearer ${t.accessToken}` }, [t.accessToken]);
          // RFC 9068 (`typ: at+jwt`): no `scope` claim grants no scope; the challenge names mcp:tools.
          assert.equal(s.findings[0].code, 'auth.insufficient-scope', codes(s));
          assert.match(s.findings[0].message, /missing: mcp:tools/);
          assert.match(s.findings[0].fix.summary, /grants mcp:tools/);
        } finally {
          home.cleanup();
        }
      });

      test('a JWT from another authorization server: token-issuer-mismatch first', async () => {
        const as2 = await startRealAs({});
        try {
          as2.addResource(mcp.url);
          const t = await mintTokens(as2, { resource: mcp.url });
          const home = codexHome(mcp.url, { extra: 'bearer_token_env_var = "RS_TOKEN"\n' });
          try {
            const { s } = await doctorAndCodex(home, { RS_TOKEN: t.accessToken }, [t.accessToken]);
            assert.equal(s.findings[0].code, 'auth.token-issuer-mismatch', codes(s));
            assert.ok(s.findings[0].message.includes(as2.issuer) && s.findings[0].message.includes(as.issuer));
            // No token was sent to either AS: the claims say it all.
          } finally {
            home.cleanup();
          }
        } finally {
          await as2.close();
        }
      });
    });
  });
}

describe('codex mcp login predicted to fail for the scope it names', () => {
  withAs({ offlineAccessWithoutConsent: true, scopes: ['openid', 'offline_access'] }, {}, (as, mcp) => {
    test('the server requires a scope its AS does not offer: login-scope-unsupported first, a server-side fix; Codex\'s login is refused the same way', async () => {
      const home = codexHome(mcp.url);
      try {
        const { r, s } = await doctorAndCodex(home);
        assert.equal(r.code, 1);
        const f = s.findings[0];
        assert.equal(f.code, 'auth.login-scope-unsupported', codes(s));
        assert.match(f.message, /`mcp:tools offline_access`/);
        assert.match(f.fix.summary, /server-side fix/);
        assert.match(finding(s, 'auth.login-required').message, /will fail until auth\.login-scope-unsupported/);
        if (oracle) {
          const login = await codexLogin(codexBin(), home.dir, NAME);
          assert.notEqual(login.code, 0);
          assert.match(login.stderr, /Registration failed.*invalid_client_metadata/);
          assert.equal(as.registrations.at(-1)!.body.scope, f.evidence.codexScopes.join(' '), 'the doctor predicted the exact scope Codex sends');
        }
      } finally {
        home.cleanup();
      }
    });
  });

  withAs({ offlineAccessWithoutConsent: true, scopes: ['openid', 'offline_access'] }, {}, (as, mcp) => {
    test('with check --login: the registration is refused the same way, and the prediction stays first', async () => {
      const home = codexHome(mcp.url);
      try {
        const r = await checkJson(['--config', home.config, '--login', '--login-auto'], { env: { CODEX_HOME: home.dir }, timeoutMs: 60_000 });
        const s = r.report.servers[0];
        assert.equal(r.code, 1);
        assert.equal(s.findings[0].code, 'auth.login-scope-unsupported', codes(s));
        const failed = finding(s, 'auth.login-failed');
        assert.ok(failed, codes(s));
        assert.equal(failed.evidence.failedAt, 'registration');
        assert.match(failed.message, /invalid_client_metadata/);
        assert.match(failed.fix.summary, /scopes = \[\.\.\.\]/);
        assert.equal(as.registrations.at(-1)!.error, 'invalid_client_metadata');
      } finally {
        home.cleanup();
      }
    });
  });

  withAs({ offlineAccessWithoutConsent: true, scopes: ['openid', 'offline_access', 'mcp:tools'] }, { requiredScope: '', scopesSupported: ['mcp:tools', 'mcp:admin'] }, (as, mcp) => {
    test('an extra scope from the metadata the AS does not offer: the fix is `scopes = [...]`, and applied, Codex logs in and connects', async () => {
      const home = codexHome(mcp.url);
      try {
        const { s } = await doctorAndCodex(home);
        const f = s.findings[0];
        assert.equal(f.code, 'auth.login-scope-unsupported', codes(s));
        assert.deepEqual(f.evidence.unsupported, ['mcp:admin']);
        assert.deepEqual((parseToml(f.fix.toml) as any).mcp_servers[NAME].scopes, ['mcp:tools']);
        if (oracle) {
          const refused = await codexLogin(codexBin(), home.dir, NAME);
          assert.notEqual(refused.code, 0, 'without the fix Codex\'s registration is refused');
          writeFileSync(home.config, codexConfigToml({ [NAME]: { url: mcp.url, extra: 'scopes = ["mcp:tools"]\n' } }));
          const login = await codexLogin(codexBin(), home.dir, NAME);
          assert.equal(login.code, 0, login.stderr);
          const v = await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() });
          assert.equal(v.servers[NAME]!.connected, true, JSON.stringify(v.servers[NAME]));
          // And the doctor, run again, has nothing left to say about scopes.
          const again = await checkJson(['--config', home.config], { env: { CODEX_HOME: home.dir } });
          assert.equal(again.code, 0, codes(again.report.servers[0]));
        }
      } finally {
        home.cleanup();
      }
    });
  });
});

describe('check --login with a pre-registered client whose redirect URI does not match', () => {
  withAs({ offlineAccessWithoutConsent: true }, {}, (as, mcp) => {
    let port = 0;
    before(async () => {
      port = await freePort();
    });
    const codexUri = () => `http://127.0.0.1:${port}/callback/${codexCallbackId(mcp.url)}`;
    for (const mode of [['--login-auto'], ['--no-open', '--login-timeout', '30']]) {
      test(`${mode[0]}: the AS's invalid_redirect_uri is read and named (auth.redirect-uri-rejected), with Codex's redirect URI to register`, async () => {
        // A client registered by hand with another callback URL.
        const clientId = await registerClient(as, 'http://127.0.0.1:9/elsewhere');
        const home = codexHome(mcp.url, { extra: `[mcp_servers.${NAME}.oauth]\nclient_id = "${clientId}"\n`, top: `mcp_oauth_callback_port = ${port}\n` });
        try {
          const started = Date.now();
          const r = await checkJson(['--config', home.config, '--login', ...mode], { env: { CODEX_HOME: home.dir }, timeoutMs: 60_000 });
          const s = r.report.servers[0];
          assert.equal(r.code, 1);
          const f = finding(s, 'auth.redirect-uri-rejected');
          assert.ok(f, codes(s));
          assert.equal(f.severity, 'error');
          assert.match(f.message, /invalid_redirect_uri/);
          assert.doesNotMatch(f.message, /does not approve without a person/);
          assert.equal(f.evidence.codexRedirectUri, codexUri());
          assert.ok(f.fix.summary.includes(codexUri()));
          assert.ok(Date.now() - started < 25_000, 'no wait for a browser that cannot come back');
        } finally {
          home.cleanup();
        }
      });
    }

    test('the fix applied (the client lists Codex\'s redirect URI): codex mcp login works and Codex connects', { skip: !oracle && 'Codex CLI not available' }, async () => {
      const clientId = await registerClient(as, codexUri());
      const home = codexHome(mcp.url, { extra: `[mcp_servers.${NAME}.oauth]\nclient_id = "${clientId}"\n`, top: `mcp_oauth_callback_port = ${port}\n` });
      try {
        const login = await codexLogin(codexBin(), home.dir, NAME);
        assert.equal(login.code, 0, login.stderr);
        const v = await askCodex(readFileSync(home.config, 'utf8'), { credentialsJson: home.credentials() });
        assert.equal(v.servers[NAME]!.connected, true, JSON.stringify(v.servers[NAME]));
      } finally {
        home.cleanup();
      }
    });
  });
});

describe('the auth stage reads the Codex config\'s top-level settings', () => {
  withAs({}, {}, (as, mcp) => {
    test('mcp_oauth_credentials_store = "file" is shown as file, and an authorization server on another origin adds no codex-discovery-differs', async () => {
      const home = codexHome(mcp.url);
      try {
        const r = await checkJson(['--config', home.config, '-v'], { env: { CODEX_HOME: home.dir } });
        const s = r.report.servers[0];
        assert.equal(s.findings[0].code, 'auth.login-required', codes(s));
        assert.equal(s.findings[0].evidence.credentialsStore, 'file');
        assert.ok(!finding(s, 'auth.codex-discovery-differs'), codes(s));
      } finally {
        home.cleanup();
      }
    });
  });
});
