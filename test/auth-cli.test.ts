/**
 * Auth forensics through the built CLI (`npm run build` first): one config, one CODEX_HOME with
 * planted tokens, every output format — the right cause per server, and no token anywhere.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkJson, runCli, tempConfig } from './helpers/cli.ts';
import { credentialsDocument, fakeJwt, startOAuthFixture, type OAuthFixture } from '../fixtures/oauth/oauth-fixtures.ts';

let fixtures: OAuthFixture[] = [];
let cfg: ReturnType<typeof tempConfig>;
const secrets: string[] = [];
const plant = (s: string) => (secrets.push(s), s);
let env: Record<string, string>;

before(async () => {
  const [orphaned, expired, unbound, envToken] = await Promise.all([
    startOAuthFixture({}),
    startOAuthFixture({ separateAs: true }),
    startOAuthFixture({}),
    startOAuthFixture({}),
  ]);
  fixtures = [orphaned, expired, unbound, envToken];
  const now = Date.now();
  const jwt = plant(fakeJwt({ iss: unbound.issuer, aud: 'client-42', scope: 'mcp:tools', exp: Math.floor(now / 1000) + 3600 }));
  cfg = tempConfig(
    [
      'mcp_oauth_credentials_store = "file"',
      `[mcp_servers.orphaned]\nurl = "${orphaned.url}"`,
      `[mcp_servers.expired]\nurl = "${expired.url}"`,
      `[mcp_servers.unbound]\nurl = "${unbound.url}"`,
      `[mcp_servers.envtoken]\nurl = "${envToken.url}"\nbearer_token_env_var = "ENVTOKEN_TOKEN"`,
    ].join('\n'),
  );
  writeFileSync(
    join(cfg.dir, '.credentials.json'),
    credentialsDocument([
      { name: 'orphaned', url: `${orphaned.url}/`, accessToken: plant('orphaned-access-token-0001'), refreshToken: plant('orphaned-refresh-token-0001') },
      { name: 'expired', url: expired.url, accessToken: plant('expired-access-token-0002'), expiresAt: now - 3_600_000 },
      { name: 'unbound', url: unbound.url, accessToken: jwt, clientId: 'client-42', issuer: unbound.issuer, expiresAt: now + 3_600_000, refreshToken: plant('unbound-refresh-token-0003') },
    ]),
  );
  env = { CODEX_HOME: cfg.dir, ENVTOKEN_TOKEN: plant('env-configured-token-0004'), DBUS_SESSION_BUS_ADDRESS: '' };
});

after(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  cfg?.cleanup();
});

function assertNoSecrets(out: string): void {
  for (const s of secrets) {
    assert.ok(!out.includes(s), `a planted secret (${s.slice(0, 10)}…) reached the output`);
    const sig = s.split('.')[2];
    if (sig) assert.ok(!out.includes(sig), 'a JWT signature reached the output');
  }
}

describe('mcp-doctor check: auth forensics end to end', () => {
  test('each server gets its own cause, in JSON', async () => {
    const { code, report, stdout } = await checkJson(['--config', cfg.path], { env, timeoutMs: 60_000 });
    assert.equal(code, 1);
    const first = Object.fromEntries(report.servers.map((s: any) => [s.name, s.findings.find((f: any) => f.stage === 'auth')?.code]));
    assert.deepEqual(first, {
      orphaned: 'auth.login-required',
      expired: 'auth.token-expired',
      unbound: 'auth.token-not-resource-bound',
      envtoken: 'auth.token-rejected',
    });
    const orphaned = report.servers.find((s: any) => s.name === 'orphaned');
    assert.ok(orphaned.findings.some((f: any) => f.code === 'auth.credentials-orphaned'));
    const expired = report.servers.find((s: any) => s.name === 'expired');
    assert.ok(!expired.findings.some((f: any) => f.code === 'auth.codex-discovery-differs'), 'AS on another origin: Codex 0.171 finds it, nothing to report');
    assertNoSecrets(stdout);
  });

  test('no planted token in text or markdown output, even with --verbose', async () => {
    for (const format of ['text', 'markdown']) {
      const r = await runCli(['check', '--config', cfg.path, '--format', format, '--verbose'], { env, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /auth\.token-not-resource-bound/);
      assertNoSecrets(r.stdout + r.stderr);
    }
  });
});
