/**
 * Plants a distinct secret in every place a config or a server can carry one and asserts that none
 * of them reaches any output: text, JSON and markdown, each with --verbose (wire transcript,
 * stderr tails, evidence), plus stderr of the CLI itself.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFixtureServer, type FixtureServer } from '../fixtures/http/scenarios.ts';
import { credentialsDocument } from '../fixtures/oauth/oauth-fixtures.ts';
import { ROOT, runCli, tempConfig } from './helpers/cli.ts';

const jwtPart = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const JWT_SIGNATURE = 'U0VDUkVULUpXVC1TSUdOQVRVUkUtcGxhbnRlZC14eXo';
const STORED_JWT = `${jwtPart({ alg: 'RS256', typ: 'JWT' })}.${jwtPart({ aud: 'https://elsewhere.example', exp: 4102444800 })}.${JWT_SIGNATURE}`;

const SECRETS = {
  bearerEnvValue: 'planted-bearer-value-7f3a9c1e',
  httpHeaderValue: 'planted-header-value-2b8d4e6f',
  envHttpHeaderValue: 'planted-envheader-value-5c1a7b3d',
  queryValue: 'planted-query-value-9e2f4a6c',
  argValue: 'planted-arg-value-3d7b1f9a',
  envTableValue: 'planted-env-table-value-8a4c2e6b',
  forwardedValue: 'planted-forwarded-value-1f5d9b3c',
  inlineBearer: 'planted-inline-bearer-6e2a8c4d',
  pastedToken: 'ghp_PlantedPastedToken0123456789abcdefAB',
  storedRefresh: 'planted-refresh-token-4b9e1d7f',
  jwtSignature: JWT_SIGNATURE,
} as const;

describe('no planted secret reaches any output', () => {
  const servers: FixtureServer[] = [];
  let config: ReturnType<typeof tempConfig>;
  let env: Record<string, string>;

  before(async () => {
    const bearer = await startFixtureServer('oauth-protected', { token: 'not-the-planted-one' });
    const headers = await startFixtureServer('healthy-json');
    const stored = await startFixtureServer('oauth-protected');
    servers.push(bearer, headers, stored);
    const leaky = join(ROOT, 'fixtures', 'stdio', 'leaky-server.mjs');
    const toml = `
[mcp_servers.bearer_env]
url = "${bearer.url}?api_key=${SECRETS.queryValue}"
bearer_token_env_var = "PLANTED_BEARER"
startup_timeout_sec = 10

[mcp_servers.headers]
url = "${headers.url}"
http_headers = { "X-Api-Key" = "${SECRETS.httpHeaderValue}" }
env_http_headers = { Authorization = "PLANTED_AUTH_HEADER" }
startup_timeout_sec = 10

[mcp_servers.stored_login]
url = "${stored.url}"
startup_timeout_sec = 10

[mcp_servers.leaky_stdio]
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(leaky)}, "--exit", "--var", "LEAKY_SECRET", "--api-key=${SECRETS.argValue}"]
env = { LEAKY_SECRET = "${SECRETS.envTableValue}" }
env_vars = ["PLANTED_FORWARDED"]
startup_timeout_sec = 10

[mcp_servers.leaky_forwarded]
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(leaky)}, "--var", "PLANTED_FORWARDED"]
env_vars = ["PLANTED_FORWARDED"]
startup_timeout_sec = 10

[mcp_servers.pasted_token]
url = "${headers.url}"
bearer_token_env_var = "${SECRETS.pastedToken}"
`;
    config = tempConfig(toml);
    writeFileSync(
      join(config.dir, '.credentials.json'),
      credentialsDocument([{ name: 'stored_login', url: stored.url, accessToken: STORED_JWT, refreshToken: SECRETS.storedRefresh }]),
    );
    env = {
      CODEX_HOME: config.dir,
      PLANTED_BEARER: SECRETS.bearerEnvValue,
      PLANTED_AUTH_HEADER: `Bearer ${SECRETS.envHttpHeaderValue}`,
      PLANTED_FORWARDED: SECRETS.forwardedValue,
    };
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    config?.cleanup();
  });

  const assertClean = (label: string, output: string) => {
    for (const [name, secret] of Object.entries(SECRETS)) {
      assert.ok(!output.includes(secret), `${label}: the planted ${name} leaked`);
    }
  };

  for (const format of ['text', 'json', 'markdown'] as const) {
    test(`--format ${format} --verbose`, async () => {
      const result = await runCli(['check', '--config', config.path, '--format', format, '--verbose'], { env, timeoutMs: 90_000 });
      assert.equal(result.code, 1, `a failing config exits 1 (stderr: ${result.stderr})`);
      assert.ok(result.stdout.length > 200, 'the report was printed');
      assertClean(`${format} stdout`, result.stdout);
      assertClean(`${format} stderr`, result.stderr);
      // The secrets really travelled: the servers received them, so a clean output is redaction's doing.
      const [bearer, headers] = servers;
      assert.ok(bearer!.requests.some((r) => String(r.headers.authorization ?? '').includes(SECRETS.bearerEnvValue)), 'bearer sent');
      assert.ok(headers!.requests.some((r) => r.headers['x-api-key'] === SECRETS.httpHeaderValue), 'static header sent');
      assert.ok(headers!.requests.some((r) => String(r.headers.authorization ?? '').includes(SECRETS.envHttpHeaderValue)), 'env header sent');
      if (format === 'json') {
        const report = JSON.parse(result.stdout);
        const leaky = report.servers.find((s: { name: string }) => s.name === 'leaky_stdio');
        // The redaction must not simply drop the evidence: the stderr tail is there, blanked.
        assert.ok(JSON.stringify(leaky).includes('<redacted>'), 'the leaky server evidence is present and redacted');
        assert.ok(report.servers.some((s: { transcript?: unknown[] }) => (s.transcript ?? []).length > 0), 'transcripts recorded');
      }
    });
  }

  test('a config that Codex refuses (inline bearer_token) is reported without the token', async () => {
    const refused = tempConfig(`[mcp_servers.inline]\nurl = "http://127.0.0.1:9/mcp"\nbearer_token = "${SECRETS.inlineBearer}"\n`);
    try {
      for (const format of ['text', 'json', 'markdown']) {
        const result = await runCli(['check', '--config', refused.path, '--format', format, '--verbose', '--fix'], { env: { CODEX_HOME: refused.dir } });
        assert.ok(result.stdout.includes('config.inline-bearer-token'), `${format}: the finding is reported`);
        assertClean(`${format} (inline)`, result.stdout + result.stderr);
      }
    } finally {
      refused.cleanup();
    }
  });

  test('check --url with a bearer variable and headers', async () => {
    const server = servers[0]!;
    const result = await runCli(
      ['check', '--url', `${server.url}?token=${SECRETS.queryValue}`, '--bearer-env', 'PLANTED_BEARER', '--header', `X-Api-Key: ${SECRETS.httpHeaderValue}`, '--verbose', '--format', 'markdown'],
      { env },
    );
    assert.ok(result.stdout.length > 100);
    assertClean('--url markdown', result.stdout + result.stderr);
  });
});
