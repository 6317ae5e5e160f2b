import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse } from 'smol-toml';
import { startFixtureServer, type FixtureServer, type ScenarioName } from '../fixtures/http/scenarios.ts';
import { checkJson, runCli, tempConfig, ROOT } from './helpers/cli.ts';
import { EMPTY_CODEX_HOME } from './helpers/http-check.ts';

/** No test reads the machine's own stored logins. */
const HOME = { CODEX_HOME: EMPTY_CODEX_HOME };

const T = { timeout: 60_000 };

before(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
});

async function withServers<T>(names: ScenarioName[], fn: (servers: FixtureServer[]) => Promise<T>): Promise<T> {
  const servers: FixtureServer[] = [];
  try {
    for (const name of names) servers.push(await startFixtureServer(name));
    return await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

function allFixes(report: any): any[] {
  return report.servers.flatMap((s: any) => s.findings).filter((f: any) => f.fix?.toml);
}

describe('check over Streamable HTTP (built CLI)', () => {
  test('`check --url`: a healthy server exits 0 with its tools and transport', T, async () => {
    await withServers(['healthy-json'], async ([server]) => {
      const { code, report } = await checkJson(['--url', server!.url], { env: HOME });
      assert.equal(code, 0);
      const s = report.servers[0];
      assert.equal(s.transport, 'streamable_http');
      assert.equal(s.status, 'ok');
      assert.equal(s.server.httpTransport, 'streamable');
      assert.equal(s.server.era, 'legacy');
      assert.deepEqual({ count: s.tools?.count, names: s.tools?.names }, { count: 3, names: ['echo', 'add', 'get_time'] });
      assert.deepEqual(s.stages.map((st: any) => st.status), ['pass', 'pass', 'pass', 'pass', 'pass']);
    });
  });

  test('a config of broken servers: exit 1, each with its code, every fix parses as TOML', T, async () => {
    await withServers(['healthy-sse', 'sse-only', 'oauth-protected', 'status-502', 'html-page', 'redirect-slash'], async (s) => {
      const names = ['good', 'legacy', 'oauth', 'gateway', 'page', 'slash'];
      const cfg = tempConfig(names.map((n, i) => `[mcp_servers.${n}]\nurl = ${JSON.stringify(s[i]!.url)}\n`).join('\n'));
      try {
        const { code, report } = await checkJson(['--config', cfg.path, '--timeout', '10'], { env: HOME });
        assert.equal(code, 1);
        // The first finding is the cause; the auth forensics may add lesser notes after it.
        const byName = Object.fromEntries(report.servers.map((x: any) => [x.name, { status: x.status, cause: x.findings[0]?.code ?? null }]));
        assert.deepEqual(byName, {
          good: { status: 'ok', cause: null },
          legacy: { status: 'fail', cause: 'transport.sse-only' },
          oauth: { status: 'fail', cause: 'auth.login-required' },
          gateway: { status: 'fail', cause: 'http.unexpected-status' },
          page: { status: 'fail', cause: 'http.not-mcp-endpoint' },
          slash: { status: 'warn', cause: 'http.redirect' },
        });
        for (const f of allFixes(report)) assert.doesNotThrow(() => parse(f.fix.toml), f.fix.toml);
        assert.equal(report.servers.find((x: any) => x.name === 'oauth').findings[0].fix.command, 'codex mcp login oauth');
      } finally {
        cfg.cleanup();
      }
    });
  });

  test('a warning alone exits 0, and 1 with --strict', T, async () => {
    await withServers(['stale-session-401'], async ([server]) => {
      const cfg = tempConfig(`[mcp_servers.stale]\nurl = ${JSON.stringify(server!.url)}\n`);
      try {
        const plain = await checkJson(['--config', cfg.path], { env: HOME });
        assert.equal(plain.code, 0);
        assert.equal(plain.report.servers[0].status, 'warn');
        const strict = await runCli(['check', '--config', cfg.path, '--strict', '--json'], { env: HOME });
        assert.equal(strict.code, 1);
      } finally {
        cfg.cleanup();
      }
    });
  });

  test('no secret from the config reaches JSON, verbose text or markdown', T, async () => {
    const token = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
    const headerSecret = 'x-secret-value-7d1e0c9b2a';
    const envHeaderSecret = 'env-header-secret-55aa11bb';
    await withServers(['bearer-no-oauth', 'sse-only', 'healthy-json'], async (s) => {
      const table = (name: string, url: string) =>
        `[mcp_servers.${name}]\nurl = ${JSON.stringify(url)}\nbearer_token_env_var = "DOCTOR_TEST_TOKEN"\n` +
        `http_headers = { "X-Api-Key" = ${JSON.stringify(headerSecret)} }\nenv_http_headers = { "X-Team" = "DOCTOR_TEST_TEAM" }\n`;
      const cfg = tempConfig([table('api', s[0]!.url), table('legacy', s[1]!.url), table('fine', s[2]!.url)].join('\n'));
      const env = { ...HOME, DOCTOR_TEST_TOKEN: token, DOCTOR_TEST_TEAM: envHeaderSecret };
      try {
        const runs = await Promise.all([
          runCli(['check', '--config', cfg.path, '--json', '--verbose'], { env }),
          runCli(['check', '--config', cfg.path, '--verbose'], { env }),
          runCli(['check', '--config', cfg.path, '--format', 'markdown', '--verbose'], { env }),
        ]);
        for (const run of runs) {
          for (const secret of [token, headerSecret, envHeaderSecret]) {
            assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `secret leaked:\n${run.stdout.slice(0, 2000)}`);
          }
        }
        const report = JSON.parse(runs[0]!.stdout);
        // The token was accepted (the secrets were really in play), and the transcript is there.
        const api = report.servers.find((x: any) => x.name === 'api');
        assert.equal(api.status, 'fail', 'bearer-no-oauth accepts only good-token');
        assert.ok(api.transcript.length > 0);
        assert.ok(s[0]!.requests.some((r) => r.headers.authorization === `Bearer ${token}` && r.headers['x-team'] === envHeaderSecret));
      } finally {
        cfg.cleanup();
      }
    });
  });
});
