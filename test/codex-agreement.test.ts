// Real Codex as the judge: EVERY HTTP fixture scenario (fixtures/http/scenarios.ts, plus the
// extras in fixtures/http/doctor-extras.ts) and EVERY stdio fixture mode (fixtures/stdio/server.mjs)
// in ONE config, checked once by the built mcp-doctor and once by `codex app-server` (the
// @openai/codex devDependency, through the oracle). Contract §5: `error` means the current Codex
// cannot start or use the server, so for every server mcp-doctor says `fail` exactly when Codex
// does not connect. A disagreement is a bug in mcp-doctor, unless it is listed in EXCEPTIONS below
// and in docs/codex-behaviour.md with the reason.
//
// Config-level cases that make Codex refuse the WHOLE config are separate configs: mcp-doctor must
// report an error for them, and Codex's configError must appear.
//
// Budgets: every server gets startup_timeout_sec = BUDGET (a healthy node server starts within it
// under a load average of 10 on 2 cores); the ones expected to time out get TIGHT, which only
// shortens the run. Codex and mcp-doctor run one after the other, not at once: stateful fixtures
// (transient-503) are restarted on the same port in between so that each sees a fresh server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SCENARIOS, startFixtureServer, type FixtureServer, type ScenarioName } from '../fixtures/http/scenarios.ts';
import { startExtraServer, type ExtraName, type ExtraServer } from '../fixtures/http/doctor-extras.ts';
import { askCodex, codexAvailable, type CodexVerdict } from './helpers/codex-oracle.ts';
import { checkJson, tempConfig, ROOT } from './helpers/cli.ts';
import { STDIO_FIXTURE } from './helpers/stdio-check.ts';

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';
const BUDGET = 5;
const TIGHT = 2;
/** Marks every stdio server of this run, to find leftovers with ps. */
const MARK = `mcp-doctor-agreement-${process.pid}`;
const ENV = { MY_API_KEY: 'sk-agreement-0123456789abcdef', AGREEMENT_UNSET: undefined, AGREEMENT_TOKEN: 'good-token', SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' };

/** Scenarios that never answer in time: a tight budget keeps the run short. */
const HANGING = new Set<string>(['hang-headers', 'hang-sse', 'slow-init']);
const STDIO_MODES: Array<[name: string, args: string[], extra?: string]> = [
  ['healthy', ['healthy']],
  ['banner', ['banner']],
  ['banner_glued', ['banner-glued'], `startup_timeout_sec = ${TIGHT}`],
  ['pretty_json', ['pretty-json'], `startup_timeout_sec = ${TIGHT}`],
  ['crlf', ['crlf']],
  ['exit_early', ['exit-early']],
  ['needs_env', ['needs-env']],
  ['needs_env_forwarded', ['needs-env'], 'env_vars = ["MY_API_KEY"]'],
  ['slow', ['slow', '--delay', '4000'], 'startup_timeout_sec = 1'],
  ['hang', ['hang'], `startup_timeout_sec = ${TIGHT}`],
  ['ignore_eof', ['ignore-eof']],
  ['fork_stubborn', ['fork-stubborn']],
  ['tools_invalid_name', ['tools-invalid-name']],
  ['jsonrpc_error_init', ['jsonrpc-error-init']],
  ['version_rejected', ['version-rejected']],
  ['print_env', ['print-env']],
  // Codex keeps the CA-bundle variables in a stdio server's environment.
  ['needs_ca', ['needs-env', '--var', 'SSL_CERT_FILE']],
  // An env_vars entry naming an unset variable: Codex starts the server without it.
  ['env_vars_unset', ['healthy'], 'env_vars = ["AGREEMENT_UNSET"]'],
  ['needs_env_vars_unset', ['needs-env', '--var', 'AGREEMENT_UNSET'], 'env_vars = ["AGREEMENT_UNSET"]'],
  // Keys Codex ignores with a warning: `disabled = true` does NOT disable the server.
  ['type_http', ['healthy'], 'type = "http"'],
  ['disabled_true', ['healthy'], 'disabled = true'],
];
/** Server tables whose name or keys are the point (the url/command is filled in). */
const VARIANTS: Array<[table: string, scenario: 'healthy-json' | 'bearer-no-oauth' | 'stdio', extra: string]> = [
  ['"stdio.dotted"', 'stdio', ''],
  ['"@scope/stdio"', 'stdio', ''],
  ['"stdio with space"', 'stdio', ''],
  ['http_env_header_unset', 'healthy-json', 'env_http_headers = { "X-Api-Key" = "AGREEMENT_UNSET" }'],
  ['http_env_auth_unset', 'bearer-no-oauth', 'env_http_headers = { Authorization = "AGREEMENT_UNSET" }'],
  ['http_bearer_env_unset', 'healthy-json', 'bearer_token_env_var = "AGREEMENT_UNSET"'],
  ['http_bearer_env_set', 'bearer-no-oauth', 'bearer_token_env_var = "AGREEMENT_TOKEN"'],
];
const EXTRAS: ExtraName[] = ['redirect-302', 'initialized-204', 'tools-cursor-cycle', 'sse-priming', 'html-root-mcp-sibling', 'not-acceptable', 'reset'];

/**
 * Deliberate disagreements, by server name (each is documented in docs/codex-behaviour.md).
 * `doctor` is the status mcp-doctor reports, `codex` whether Codex connects.
 */
const EXCEPTIONS: Record<string, { doctor: string; codex: boolean; why: string }> = {};

const key = (s: string) => s.replace(/-/g, '_');
const http = new Map<string, FixtureServer | ExtraServer>();

function configToml(): string {
  const out: string[] = [];
  for (const [name, args, extra] of STDIO_MODES) {
    out.push(`[mcp_servers.stdio_${name}]`, `command = ${JSON.stringify(process.execPath)}`, `args = ${JSON.stringify([STDIO_FIXTURE, ...args, MARK])}`);
    out.push(extra?.startsWith('startup_timeout_sec') ? extra : `startup_timeout_sec = ${BUDGET}`);
    if (extra && !extra.startsWith('startup_timeout_sec')) out.push(extra);
    out.push('');
  }
  for (const [name, server] of http) {
    const scenario = name.replace(/^(http|extra)_/, '').replace(/_/g, '-');
    out.push(`[mcp_servers.${name}]`, `url = ${JSON.stringify(server.url)}`, `startup_timeout_sec = ${HANGING.has(scenario) ? TIGHT : BUDGET}`, '');
  }
  for (const [table, scenario, extra] of VARIANTS) {
    out.push(`[mcp_servers.${table}]`);
    if (scenario === 'stdio') out.push(`command = ${JSON.stringify(process.execPath)}`, `args = ${JSON.stringify([STDIO_FIXTURE, 'healthy', MARK])}`);
    else out.push(`url = ${JSON.stringify(http.get(`http_${key(scenario)}`)!.url)}`);
    out.push(`startup_timeout_sec = ${BUDGET}`, extra, '');
  }
  return out.join('\n');
}
const variantName = (table: string) => table.replace(/^"(.*)"$/, '$1');

function leftovers(): string[] {
  const ps = execFileSync('ps', ['-A', '-o', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(MARK) && !l.includes('ps -A'));
}

describe('mcp-doctor fails a server exactly when Codex cannot start it', { skip }, () => {
  let toml = '';
  let codex: CodexVerdict;
  let doctor: any;

  before(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
    for (const name of Object.keys(SCENARIOS) as ScenarioName[]) http.set(`http_${key(name)}`, await startFixtureServer(name, { delayMs: 4000 }));
    for (const name of EXTRAS) http.set(`extra_${key(name)}`, await startExtraServer(name));
    toml = configToml();
    codex = await askCodex(toml, { env: ENV, timeoutMs: 60_000 });
    // A fresh transient-503 (its first two POSTs fail) for mcp-doctor, on the same port.
    const transient = http.get('http_transient_503') as FixtureServer;
    await transient.close();
    http.set('http_transient_503', await startFixtureServer('transient-503', { port: Number(new URL(transient.url).port) }));
    const cfg = tempConfig(toml);
    try {
      const run = await checkJson(['--config', cfg.path, '--concurrency', '100'], { env: ENV, timeoutMs: 60_000 });
      doctor = run.report;
    } finally {
      cfg.cleanup();
    }
  });

  after(async () => {
    await Promise.all([...http.values()].map((s) => s.close()));
    // fork-stubborn's grandchild ignores SIGTERM: the pids mcp-doctor saw left behind are ours to end.
    for (const server of doctor?.servers ?? []) {
      for (const f of server.findings) for (const pid of (f.evidence?.leftoverPids as number[] | undefined) ?? []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  test('the config is accepted by both, and the healthy controls connect', () => {
    assert.equal(codex.configError, undefined, codex.configError);
    assert.ok(codex.servers.stdio_healthy?.connected, codex.servers.stdio_healthy?.error);
    assert.ok(codex.servers.http_healthy_json?.connected, codex.servers.http_healthy_json?.error);
    assert.equal(doctor.servers.find((s: any) => s.name === 'stdio_healthy')?.status, 'ok');
    assert.equal(doctor.servers.find((s: any) => s.name === 'http_healthy_json')?.status, 'ok');
  });

  test('every server: fail exactly when Codex does not connect (documented exceptions aside)', () => {
    const mismatches: string[] = [];
    const names = [...STDIO_MODES.map(([n]) => `stdio_${n}`), ...http.keys(), ...VARIANTS.map(([t]) => variantName(t))];
    for (const name of names) {
      const verdict = codex.servers[name];
      const report = doctor.servers.find((s: any) => s.name === name);
      assert.ok(verdict && report, `${name} is in both reports`);
      const exception = EXCEPTIONS[name];
      if (exception) {
        assert.equal(report.status, exception.doctor, `${name} (documented exception): ${exception.why}`);
        assert.equal(verdict.connected, exception.codex, `${name} (documented exception): ${exception.why}`);
        continue;
      }
      if ((report.status === 'fail') === verdict.connected) {
        mismatches.push(
          `${name}: Codex ${verdict.connected ? 'connected' : `failed (${verdict.errorSummary ?? verdict.error})`}, mcp-doctor ${report.status} [${report.findings.map((f: any) => `${f.severity} ${f.code}`).join(', ')}]`,
        );
      }
      if (verdict.connected && report.tools) assert.equal(report.tools.count, verdict.toolCount, `${name}: tool count`);
    }
    assert.deepEqual(mismatches, []);
  });

  test('nothing either of them started is left running', () => {
    assert.deepEqual(leftovers(), []);
  });
});

/** Configs Codex refuses as a whole: one per case, each with a healthy server beside the culprit. */
const REFUSED: Record<string, { toml: string; code: string; reason: RegExp }> = {
  'inline bearer_token': {
    toml: '[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nbearer_token = "agreement-inline-token-1"\n',
    code: 'config.inline-bearer-token',
    reason: /bearer_token is not supported for streamable_http$/,
  },
  'neither command nor url': { toml: '[mcp_servers.x]\nstartup_timeout_sec = 5\n', code: 'config.missing-transport', reason: /: invalid transport$/ },
  'args on a url server': { toml: '[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nargs = ["--x"]\n', code: 'config.unsupported-field', reason: /args is not supported for streamable_http$/ },
  'url on a command server': { toml: '[mcp_servers.s]\ncommand = "true"\nurl = "http://127.0.0.1:9/mcp"\n', code: 'config.unsupported-field', reason: /url is not supported for stdio$/ },
  'env on a url server': { toml: '[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nenv = { A = "1" }\n', code: 'config.unsupported-field', reason: /env is not supported for streamable_http$/ },
  'bearer_token_env_var on a command server': {
    toml: '[mcp_servers.s]\ncommand = "true"\nbearer_token_env_var = "X"\n',
    code: 'config.unsupported-field',
    reason: /bearer_token_env_var is not supported for stdio$/,
  },
  'negative startup_timeout_sec': { toml: '[mcp_servers.s]\ncommand = "true"\nstartup_timeout_sec = -1\n', code: 'config.invalid-value', reason: /value is negative$/ },
};

describe('configs Codex refuses as a whole: mcp-doctor reports an error', { skip, concurrency: 2 }, () => {
  const healthy = `[mcp_servers.fine]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([STDIO_FIXTURE, 'healthy', MARK])}\n\n`;
  for (const [name, c] of Object.entries(REFUSED)) {
    test(name, { timeout: 60_000 }, async () => {
      const toml = healthy + c.toml;
      const cfg = tempConfig(toml);
      try {
        const [verdict, run] = await Promise.all([askCodex(toml, { timeoutMs: 30_000 }), checkJson(['--config', cfg.path], { timeoutMs: 30_000 })]);
        assert.match(verdict.configError ?? '', /^failed to reload config: \$CODEX_HOME\/config\.toml:\d+:\d+: /);
        assert.match(verdict.configError!, c.reason);
        assert.deepEqual(verdict.servers, {}, 'Codex starts no server');
        const findings = [...run.report.findings, ...run.report.servers.flatMap((s: any) => s.findings)];
        const finding = findings.find((f: any) => f.code === c.code);
        assert.ok(finding, `mcp-doctor reports ${c.code}: ${JSON.stringify(findings.map((f: any) => f.code))}`);
        assert.equal(finding.severity, 'error');
        assert.match(finding.message, /refuses the whole config|whole config/i, finding.message);
        assert.equal(run.code, 1);
      } finally {
        cfg.cleanup();
      }
    });
  }
});
