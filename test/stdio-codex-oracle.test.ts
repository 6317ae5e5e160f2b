// mcp-doctor's stdio verdicts against real Codex (the @openai/codex devDependency): every stdio
// fixture is started by `codex app-server` and by `mcp-doctor check` from the same config, and a
// server must `fail` in mcp-doctor exactly when Codex does not connect to it (contract §5: error
// means the current Codex cannot start or use the server). Servers expected to time out get a
// tight startup_timeout_sec; the healthy ones in the same run are the control.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { checkJson, tempConfig, ROOT } from './helpers/cli.ts';
import { STDIO_FIXTURE, fixture } from './helpers/stdio-check.ts';
import { CODEX } from '../src/codex/codex-version.ts';

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';
const TIGHT = 3;

const node = JSON.stringify(process.execPath);
const SERVERS: Array<[name: string, args: string[], extra?: string]> = [
  ['healthy', [STDIO_FIXTURE, 'healthy']],
  ['banner', [STDIO_FIXTURE, 'banner']],
  ['banner_glued', [STDIO_FIXTURE, 'banner-glued'], `startup_timeout_sec = ${TIGHT}`],
  ['pretty_json', [STDIO_FIXTURE, 'pretty-json'], `startup_timeout_sec = ${TIGHT}`],
  ['crlf', [STDIO_FIXTURE, 'crlf']],
  ['exit_early', [STDIO_FIXTURE, 'exit-early']],
  ['needs_env', [STDIO_FIXTURE, 'needs-env']],
  ['needs_env_forwarded', [STDIO_FIXTURE, 'needs-env'], 'env_vars = ["MY_API_KEY"]'],
  ['tools_invalid_name', [STDIO_FIXTURE, 'tools-invalid-name']],
  ['jsonrpc_error_init', [STDIO_FIXTURE, 'jsonrpc-error-init']],
  ['version_rejected', [STDIO_FIXTURE, 'version-rejected']],
  ['ignore_eof', [STDIO_FIXTURE, 'ignore-eof']],
  ['slow_2s', [STDIO_FIXTURE, 'slow', '--delay', '2000'], 'startup_timeout_sec = 1'],
  ['json_log', [fixture('quirks.mjs'), 'json-log']],
  ['blank_lines', [fixture('quirks.mjs'), 'blank-lines']],
  ['glued_after', [fixture('quirks.mjs'), 'glued-after'], `startup_timeout_sec = ${TIGHT}`],
  ['exit_after_init', [fixture('quirks.mjs'), 'exit-after-init']],
  ['unknown_version', [fixture('quirks.mjs'), 'unknown-version']],
  ['no_server_info', [fixture('quirks.mjs'), 'no-server-info']],
  ['paginated', [fixture('quirks.mjs'), 'paginated']],
  ['cursor_loop', [fixture('quirks.mjs'), 'cursor-loop']],
  ['tools_error', [fixture('quirks.mjs'), 'tools-error']],
  ['tools_invalid', [fixture('quirks.mjs'), 'tools-invalid']],
  ['early_ping', [fixture('quirks.mjs'), 'server-request', '--methods', 'ping'], `startup_timeout_sec = ${TIGHT}`],
  ['early_roots', [fixture('quirks.mjs'), 'server-request', '--methods', 'ping,roots/list'], `startup_timeout_sec = ${TIGHT}`],
  ['picky', [fixture('picky-env.mjs'), '--need', 'ACME_TOKEN']],
  ['lazy_key', [fixture('quirks.mjs'), 'lazy-key']],
  ['lazy_key_forwarded', [fixture('quirks.mjs'), 'lazy-key'], 'env_vars = ["LAZY_API_KEY"]'],
];
const TOML = SERVERS.map(([name, args, extra]) => `[mcp_servers.${name}]\ncommand = ${node}\nargs = ${JSON.stringify(args)}\n${extra ?? ''}\n`).join('\n');
const ENV = { MY_API_KEY: 'sk-oracle-0123456789abcdef', ACME_TOKEN: 'acme-oracle-token', LAZY_API_KEY: 'lazy-oracle-key' };

before(() => {
  if (!skip) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
});

/**
 * Servers on which Codex itself is not deterministic. early_ping: Codex 0.171 answered a ping sent
 * before the handshake completes in 7 of 7 runs on a quiet machine, but not in a CI run under load
 * (it timed out), so its verdict is not compared; mcp-doctor answers the ping, as Codex usually does,
 * and must not fail the server (test/stdio-plan.test.ts).
 */
const RACY_IN_CODEX: Record<string, string> = { early_ping: 'Codex answers an early ping only when its reader is already running' };

describe(`stdio verdicts match ${CODEX}`, { skip }, () => {
  test('fail exactly when Codex does not connect; same tool counts when it does', { timeout: 120_000 }, async () => {
    const cfg = tempConfig(TOML);
    try {
      const [codex, doctor] = await Promise.all([
        askCodex(TOML, { env: ENV, timeoutMs: 90_000 }),
        checkJson(['--config', cfg.path], { env: ENV, timeoutMs: 90_000 }),
      ]);
      const healthy = codex.servers.healthy;
      assert.ok(healthy?.connected, `the control server must connect: ${healthy?.error}`);
      const mismatches: string[] = [];
      for (const [name] of SERVERS) {
        const verdict = codex.servers[name];
        const report = doctor.report.servers.find((s: any) => s.name === name);
        assert.ok(verdict && report, `${name} in both`);
        const failed = report.status === 'fail';
        if (RACY_IN_CODEX[name]) {
          assert.notEqual(report.status, 'fail', `${name}: ${RACY_IN_CODEX[name]}`);
          continue;
        }
        if (failed === verdict.connected) {
          mismatches.push(`${name}: Codex ${verdict.connected ? 'connected' : `failed (${verdict.errorSummary ?? verdict.error})`}, mcp-doctor ${report.status} [${report.findings.map((f: any) => `${f.severity} ${f.code}`).join(', ')}]`);
        }
        if (verdict.connected && report.tools) {
          assert.equal(report.tools.count, verdict.toolCount, `${name}: tool count`);
        }
      }
      assert.deepEqual(mismatches, []);
    } finally {
      cfg.cleanup();
    }
  });
});
