// The config reader through the built CLI (`npm run build` first): exit codes, the JSON report's
// file-level and config-stage findings, and no secret in any format. No server here reaches a
// network stage: each one fails its config stage or is disabled.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkJson, runCli, tempConfig } from './helpers/cli.ts';
import { fixture } from './helpers/config-fixtures.ts';

const BOUNDED = { timeout: 60_000 };
const TOKEN = 'lin_api_E2Efake000000000000000000000000';
const ENV = { MCP_DOCTOR_E2E_UNSET: undefined, NO_COLOR: '1' };

const BROKEN = `experimental_use_rmcp_client = true

[mcp_servers.linear]
url = "http://127.0.0.1:9/mcp"
bearer_token = "${TOKEN}"

[mcp_servers.github]
url = "http://127.0.0.1:9/mcp"
bearer_token_env_var = "MCP_DOCTOR_E2E_UNSET"

[mcp_servers.off]
command = "no-such-program"
enabled = false
type = "stdio"
`;

describe('check --config (built CLI)', () => {
  test('a parse error: exit 2, the JSON report still printed with the file-level finding', BOUNDED, async () => {
    const { code, report } = await checkJson(['--config', fixture('parse-error.toml')], { env: ENV });
    assert.equal(code, 2);
    assert.deepEqual(report.findings.map((f: { code: string }) => f.code), ['config.parse-error']);
    assert.equal(report.findings[0].evidence.line, 6);
    assert.equal(report.findings[0].evidence.column, 11);
    assert.deepEqual(report.servers, []);
    assert.ok(!JSON.stringify(report).includes('ghp_PARSEfake'), 'the token near the error is not in the excerpt');
  });

  test('a missing file: exit 2 and config.not-found', BOUNDED, async () => {
    const { code, report } = await checkJson(['--config', fixture('no-such-file.toml')], { env: ENV });
    assert.equal(code, 2);
    assert.deepEqual(report.findings.map((f: { code: string }) => f.code), ['config.not-found']);
  });

  test('config errors fail their servers (exit 1); later stages are skipped; nothing secret is printed', BOUNDED, async () => {
    const config = tempConfig(BROKEN);
    try {
      const { code, report, stdout } = await checkJson(['--config', config.path], { env: ENV });
      assert.equal(code, 1);
      assert.deepEqual(report.config.files, [config.path]);
      assert.deepEqual(report.findings.map((f: { code: string; stage: string }) => [f.code, f.stage]), [['config.obsolete-field', 'file']]);
      assert.deepEqual(
        report.servers.map((s: { name: string; status: string; findings: Array<{ code: string }> }) => [s.name, s.status, s.findings.map((f) => f.code)]),
        [
          ['linear', 'fail', ['config.inline-bearer-token']],
          ['github', 'fail', ['config.env-var-unset']],
          ['off', 'skipped', ['config.unknown-field', 'config.server-disabled']],
        ],
      );
      const linear = report.servers[0];
      assert.deepEqual(linear.stages.map((s: { name: string; status: string }) => [s.name, s.status]), [
        ['config', 'fail'],
        ['discovery', 'skipped'],
        ['auth', 'skipped'],
        ['initialize', 'skipped'],
        ['tools', 'skipped'],
      ]);
      assert.equal(linear.findings[0].fix.toml, '[mcp_servers.linear]\nbearer_token_env_var = "LINEAR_TOKEN"');
      assert.ok(!stdout.includes(TOKEN));
      for (const format of ['text', 'markdown']) {
        const out = await runCli(['check', '--format', format, '--config', config.path], { env: ENV });
        assert.equal(out.code, 1, format);
        assert.ok(!out.stdout.includes(TOKEN) && !out.stderr.includes(TOKEN), `${format} output leaks the token`);
        assert.match(out.stdout, /config\.inline-bearer-token/);
      }
    } finally {
      config.cleanup();
    }
  });

  test('file-level warnings pass (exit 0) unless --strict', BOUNDED, async () => {
    const config = tempConfig('experimental_use_rmcp_client = true\n\n[mcp_servers.off]\ncommand = "x"\nenabled = false\n');
    try {
      const plain = await checkJson(['--config', config.path], { env: ENV });
      assert.equal(plain.code, 0);
      assert.equal(plain.report.servers[0].status, 'skipped');
      const strict = await checkJson(['--strict', '--config', config.path], { env: ENV });
      assert.equal(strict.code, 1);
    } finally {
      config.cleanup();
    }
  });

  test('--url with --bearer-env naming an unset variable fails in the config stage', BOUNDED, async () => {
    const { code, report } = await checkJson(['--url', 'http://127.0.0.1:9/mcp', '--bearer-env', 'MCP_DOCTOR_E2E_UNSET'], { env: ENV });
    assert.equal(code, 1);
    assert.equal(report.config, null);
    assert.equal(report.servers[0].name, 'local');
    assert.deepEqual(report.servers[0].findings.map((f: { code: string }) => f.code), ['config.env-var-unset']);
    assert.equal(report.servers[0].stages[1].status, 'skipped');
  });
});
