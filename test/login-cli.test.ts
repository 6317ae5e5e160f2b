/**
 * `check --login` end to end through the built CLI (`npm run build` first), against the OAuth
 * fixtures (fixtures/oauth): a fresh login continues the pipeline to initialize and tools/list,
 * and the report proves where auth breaks — the stored token (not resource-bound, or stale) or
 * the server (it rejects a freshly issued token) — with no token in any output.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsDocument, fakeJwt, startOAuthFixture, type OAuthFixture, type OAuthFixtureOptions } from '../fixtures/oauth/oauth-fixtures.ts';
import { startStepUpServer } from '../fixtures/oauth/step-up-server.ts';
import { spawn } from 'node:child_process';
import { CLI, ROOT, checkJson, runCli } from './helpers/cli.ts';

const homes: string[] = [];
after(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** A CODEX_HOME with a config for one server (and, optionally, stored credentials). */
function codexHome(url: string, stored?: Parameters<typeof credentialsDocument>[0]): { home: string; config: string } {
  const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-login-'));
  homes.push(home);
  const config = join(home, 'config.toml');
  writeFileSync(config, `[mcp_servers.fx]\nurl = "${url}"\n`);
  if (stored) writeFileSync(join(home, '.credentials.json'), credentialsDocument(stored));
  return { home, config };
}

async function withFixture<T>(opts: OAuthFixtureOptions, fn: (f: OAuthFixture) => Promise<T>): Promise<T> {
  const f = await startOAuthFixture(opts);
  try {
    return await fn(f);
  } finally {
    await f.close();
  }
}

const codesOf = (server: any): string[] => server.findings.map((f: any) => f.code);
const finding = (server: any, code: string) => server.findings.find((f: any) => f.code === code);
const stages = (server: any) => Object.fromEntries(server.stages.map((s: any) => [s.name, s.status]));

/** Every token value the fixture knows, stored or freshly issued, must be absent from every output. */
function assertNoTokens(outputs: string[], tokens: Array<string | undefined>) {
  for (const t of tokens) {
    if (!t) continue;
    for (const out of outputs) {
      assert.ok(!out.includes(t), `a token leaked: ${t.slice(0, 12)}…`);
      // A JWT's signature alone would be a leak too.
      const sig = t.split('.')[2];
      if (sig) assert.ok(!out.includes(sig), 'a token signature leaked');
    }
  }
}

describe('check --login --login-auto', () => {
  test('no stored login: a fresh login works and the pipeline reaches tools, yet the server stays failed for Codex (nothing stored), with the proof that codex mcp login works', async () => {
    await withFixture({ separateAs: true }, async (f) => {
      const { home, config } = codexHome(f.url);
      const r = await checkJson(['--config', config, '--login', '--login-auto', '-v'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      assert.equal(r.code, 1, r.stderr + codesOf(s).join(','));
      assert.equal(s.status, 'fail');
      // A stage after a failed one is skipped (contract); the proof is the login's own evidence.
      assert.deepEqual(stages(s), { config: 'pass', discovery: 'pass', auth: 'fail', initialize: 'skipped', tools: 'skipped' });
      const required = finding(s, 'auth.login-required');
      assert.equal(required.severity, 'error');
      assert.match(required.message, /`codex mcp login fx` will work/);
      assert.ok(required.evidence.confirmedByLogin, 'the proof is in the evidence');
      const ok = finding(s, 'auth.login-succeeded');
      assert.ok(ok, codesOf(s).join(','));
      const requests: string[] = ok.evidence.logins[0].requests;
      assert.ok(requests.some((l) => /^registration: POST .*\/register → 201$/.test(l)), requests.join('\n'));
      assert.ok(requests.some((l) => /^token: POST .*\/token → 200$/.test(l)), requests.join('\n'));
      assert.ok(requests.some((l) => /^discovery: GET .*\/\.well-known\/oauth-protected-resource\/mcp → 200$/.test(l)), requests.join('\n'));
      assert.ok(requests.includes('callback: code received, state matches, iss absent'), requests.join('\n'));
      const tokenStep = ok.evidence.logins[0].steps.find((x: any) => x.step === 'token');
      assert.equal(tokenStep.params.resource, f.url);
      assert.equal(tokenStep.params.code, '<redacted>');
      assert.equal(tokenStep.params.code_verifier, '<redacted>');
      assert.equal(f.issued.length, 1);
      assertNoTokens([r.stdout, r.stderr], f.issued.flatMap((t) => [t.accessToken, t.refreshToken]));
      // The fresh token went to the MCP endpoint only, and never to the AS.
      assert.ok(f.requests.some((q) => q.server === 'mcp' && q.headers.authorization === `Bearer ${f.issued[0]!.accessToken}`));
      assert.ok(!f.requests.some((q) => q.server === 'as' && q.headers.authorization?.startsWith('Bearer')));
    });
  });

  test('stored token without the audience: --login proves the cause (stored fails, fresh resource-bound token works); no token in any format', async () => {
    await withFixture({}, async (f) => {
      const stored = fakeJwt({ iss: f.issuer, aud: 'client-old', client_id: 'client-old', scope: 'mcp:tools', exp: Math.floor(Date.now() / 1000) + 3600 });
      // No refresh token: with one, Codex would refresh after the 401 and the verdict would hang on
      // that refresh (test/auth-refresh-real-as.test.ts covers it against a real AS).
      const { home, config } = codexHome(f.url, [{ name: 'fx', url: f.url, accessToken: stored, issuer: f.issuer, scopes: ['mcp:tools'] }]);
      const env = { CODEX_HOME: home };
      const r = await checkJson(['--config', config, '--login', '--login-auto', '-v'], { env, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      assert.equal(r.code, 1, 'the stored token still breaks Codex: exit 1');
      const cause = finding(s, 'auth.token-not-resource-bound');
      assert.ok(cause, codesOf(s).join(','));
      assert.equal(cause.severity, 'error');
      assert.equal(cause.evidence.tokenClaims.aud, 'client-old');
      assert.equal(cause.evidence.confirmedByLogin.resource, f.url);
      assert.equal(cause.evidence.confirmedByLogin.freshTokenClaims.aud, f.url);
      assert.match(cause.message, /Confirmed: a token requested just now with resource=/);
      assert.match(finding(s, 'auth.login-succeeded').message, /initialize: HTTP 200/);
      // Codex still fails at auth with the stored token: the contract skips the later stages.
      assert.equal(stages(s).auth, 'fail');
      assert.equal(stages(s).tools, 'skipped');
      const text = await runCli(['check', '--config', config, '--login', '--login-auto', '-v', '--format', 'text'], { env, timeoutMs: 60_000 });
      const md = await runCli(['check', '--config', config, '--login', '--login-auto', '-v', '--format', 'markdown'], { env, timeoutMs: 60_000 });
      assert.match(text.stdout, /auth\.token-not-resource-bound/);
      assertNoTokens([r.stdout, r.stderr, text.stdout, text.stderr, md.stdout, md.stderr], [stored, ...f.issued.flatMap((t) => [t.accessToken, t.refreshToken])]);
      // Nothing was written to Codex's credential store.
      const { readFileSync } = await import('node:fs');
      assert.equal(readFileSync(join(home, '.credentials.json'), 'utf8'), credentialsDocument([{ name: 'fx', url: f.url, accessToken: stored, issuer: f.issuer, scopes: ['mcp:tools'] }]));
    });
  });

  test('stored token bound to the resource but unknown to the server: auth.stored-token-stale', async () => {
    await withFixture({}, async (f) => {
      const stored = fakeJwt({ iss: f.issuer, aud: f.url, client_id: 'client-old', scope: 'mcp:tools', exp: Math.floor(Date.now() / 1000) + 3600 });
      const { home, config } = codexHome(f.url, [{ name: 'fx', url: f.url, accessToken: stored, issuer: f.issuer, scopes: ['mcp:tools'] }]);
      const r = await checkJson(['--config', config, '--login', '--login-auto'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      assert.equal(r.code, 1);
      const cause = finding(s, 'auth.stored-token-stale');
      assert.ok(cause, codesOf(s).join(','));
      assert.equal(cause.fix.command, 'codex mcp login fx');
      assert.equal(finding(s, 'auth.token-rejected'), undefined, 'replaced by the proven cause');
      assertNoTokens([r.stdout, r.stderr], [stored, ...f.issued.map((t) => t.accessToken)]);
    });
  });

  test('the server rejects a freshly issued token: auth.fresh-token-rejected with the exchange as evidence', async () => {
    // The PRM names the origin (a path prefix the SDK and Codex accept), so the token is issued for
    // the origin, and this server only takes tokens for its /mcp URL.
    await withFixture({ prm: (u) => ({ resource: u.origin, authorization_servers: [u.issuer] }) }, async (f) => {
      const { home, config } = codexHome(f.url);
      const r = await checkJson(['--config', config, '--login', '--login-auto'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      assert.equal(r.code, 1);
      const rejected = finding(s, 'auth.fresh-token-rejected');
      assert.ok(rejected, codesOf(s).join(','));
      assert.equal(rejected.evidence.answer.status, 401);
      assert.equal(rejected.evidence.answer.error, 'invalid_token');
      assert.equal(rejected.evidence.freshTokenClaims.aud, f.origin);
      assert.equal(finding(s, 'auth.login-required').severity, 'error', 'not downgraded: the login does not help');
      assert.equal(stages(s).initialize, 'skipped');
      assertNoTokens([r.stdout, r.stderr], f.issued.map((t) => t.accessToken));
    });
  });

  test('the login itself fails: auth.login-failed names the step', async () => {
    await withFixture({ editMetadata: (m) => delete m.registration_endpoint }, async (f) => {
      const { home, config } = codexHome(f.url);
      const r = await checkJson(['--config', config, '--login', '--login-auto'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      assert.equal(r.code, 1);
      const failed = finding(s, 'auth.login-failed');
      assert.ok(failed, codesOf(s).join(','));
      assert.equal(failed.evidence.failedAt, 'registration');
      assert.equal(failed.severity, 'error');
    });
  });

  test('an authorization server that shows a login page: --login-auto says to use a browser', async () => {
    await withFixture({ separateAs: true, editMetadata: (m, u) => (m.authorization_endpoint = `${u.origin}/login-page`) }, async (f) => {
      const { home, config } = codexHome(f.url);
      const r = await checkJson(['--config', config, '--login', '--login-auto'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
      const failed = finding(r.report.servers[0], 'auth.login-failed');
      assert.ok(failed);
      assert.equal(failed.evidence.failedAt, 'authorization');
      assert.match(failed.message, /without --login-auto/);
    });
  });

  test('step-up: 401 at tools/list logs in; 403 insufficient_scope at tools/call re-authorizes with the union of scopes', async () => {
    const srv = await startStepUpServer();
    try {
      const r = await checkJson(['--url', srv.url, '--login', '--login-auto', '--call-tool', 'write-note'], { env: { CODEX_HOME: mkdtempSync(join(tmpdir(), 'mcp-doctor-login-')) }, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      // `--url` names no server of a Codex config: the working login is the answer (a warning, exit 0).
      assert.equal(r.code, 0, codesOf(s).join(','));
      assert.equal(finding(s, 'auth.login-required').severity, 'warning');
      const scopesAsked = srv.as.requests.filter((q) => q.path.startsWith('/authorize')).map((q) => new URL(q.path, srv.as.asOrigin).searchParams.get('scope'));
      assert.deepEqual(scopesAsked, ['mcp:basic', 'mcp:basic mcp:write']);
      assert.deepEqual(srv.calls.filter((c) => c.method === 'tools/call').map((c) => c.status), [403, 200]);
      assertNoTokens([r.stdout, r.stderr], srv.as.issued.map((t) => t.accessToken));
    } finally {
      await srv.close();
    }
  });

  test('a server that never grants enough scope: a bounded number of authorizations, then auth.insufficient-scope', async () => {
    const srv = await startStepUpServer({ stubborn: true });
    try {
      const r = await checkJson(['--url', srv.url, '--login', '--login-auto'], { env: { CODEX_HOME: mkdtempSync(join(tmpdir(), 'mcp-doctor-login-')) }, timeoutMs: 60_000 });
      const s = r.report.servers[0];
      assert.equal(r.code, 1);
      assert.ok(finding(s, 'auth.insufficient-scope'), codesOf(s).join(','));
      const authorizations = srv.as.requests.filter((q) => q.path.startsWith('/authorize')).length;
      assert.ok(authorizations >= 1 && authorizations <= 3, `${authorizations} authorizations`);
    } finally {
      await srv.close();
    }
  });

  test('usage errors: login flags without --login, --login with a stdio command', async () => {
    const a = await runCli(['check', '--url', 'http://127.0.0.1:9/mcp', '--login-auto']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--login-auto needs --login/);
    const b = await runCli(['check', '--login', '--', 'node', '-e', '0']);
    assert.equal(b.code, 2);
    const c = await runCli(['check', '--url', 'http://127.0.0.1:9/mcp', '--login', '--client-metadata-url', 'http://x/y.json']);
    assert.equal(c.code, 2);
  });
});

describe('check --login in a browser (no --login-auto)', () => {
  /** Runs the CLI and, like a person with a browser, follows the URL it prints to stderr. */
  function runFollowingPrintedUrl(args: string[], env: Record<string, string>, follow: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let followed = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString('utf8');
        const url = /\n {2}(http\S+\/authorize\S*)/.exec(stderr)?.[1];
        if (follow && url && !followed) {
          followed = true;
          // The fixture AS redirects straight back to the loopback listener; fetch follows it there.
          void fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text()).catch(() => undefined);
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr });
      });
    });
  }

  test('the URL is printed to stderr, the loopback listener receives the redirect, the check goes on', async () => {
    await withFixture({ separateAs: true }, async (f) => {
      const { home, config } = codexHome(f.url);
      const r = await runFollowingPrintedUrl(['check', '--config', config, '--login', '--no-open', '--json'], { CODEX_HOME: home }, true);
      assert.match(r.stderr, /to log in to "fx", open this URL in a browser/);
      assert.match(r.stderr, /redirect to http:\/\/127\.0\.0\.1:\d+\/callback\//);
      const s = JSON.parse(r.stdout).servers[0];
      assert.equal(r.code, 1, 'nothing is stored for Codex: still failed for Codex');
      assert.equal(finding(s, 'auth.login-succeeded').evidence.logins[0].steps.find((x: any) => x.step === 'authorization').detail.mode, 'browser');
      assertNoTokens([r.stdout, r.stderr], f.issued.flatMap((t) => [t.accessToken, t.refreshToken]));
    });
  });

  test('nobody comes back: a clear message after --login-timeout, and the login stays required', async () => {
    await withFixture({}, async (f) => {
      const { home, config } = codexHome(f.url);
      const r = await runFollowingPrintedUrl(['check', '--config', config, '--login', '--no-open', '--login-timeout', '1', '--json'], { CODEX_HOME: home }, false);
      const s = JSON.parse(r.stdout).servers[0];
      assert.equal(r.code, 1);
      const failed = finding(s, 'auth.login-failed');
      assert.ok(failed, s.findings.map((x: any) => x.code).join(', '));
      assert.equal(failed.severity, 'warning', 'nobody completing the page proves nothing about the server');
      assert.match(failed.message, /within 1 s \(--login-timeout\)/);
      assert.equal(finding(s, 'auth.login-required').severity, 'error');
      assert.equal(f.issued.length, 0);
    });
  });
});
