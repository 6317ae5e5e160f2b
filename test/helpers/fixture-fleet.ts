// Every fixture server at once, in ONE config: each HTTP scenario of fixtures/http/scenarios.ts,
// the HTTP extras of fixtures/http/doctor-extras.ts, each stdio mode of fixtures/stdio/server.mjs,
// and config variants (names, env references, keys Codex ignores). Used by the suites that put
// mcp-doctor and real Codex side by side (test/codex-agreement.test.ts, test/codex-fixes.test.ts).
//
// Budgets: every server gets startup_timeout_sec = BUDGET. Codex starts all of them at once (some
// 30 node processes), and at a load average of 11 on 2 cores healthy stdio servers missed a 5 s
// budget; a generous budget costs nothing for servers that answer. The ones expected to time out
// get TIGHT, which keeps the run short.
import { execFileSync } from 'node:child_process';
import { SCENARIOS, startFixtureServer, type FixtureServer, type ScenarioName } from '../../fixtures/http/scenarios.ts';
import { startExtraServer, type ExtraName, type ExtraServer } from '../../fixtures/http/doctor-extras.ts';
import { STDIO_FIXTURE } from './stdio-check.ts';

export const BUDGET = 20;
export const TIGHT = 2;

/** The environment both mcp-doctor and Codex run in. */
export const FLEET_ENV: Record<string, string | undefined> = {
  MY_API_KEY: 'sk-fleet-0123456789abcdef',
  FLEET_UNSET: undefined,
  FLEET_TOKEN: 'good-token',
  SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
};

/** Scenarios that never answer in time: a tight budget keeps the run short. */
const HANGING = new Set<string>(['hang-headers', 'hang-sse', 'slow-init']);
/**
 * Budgets of their own. init-unknown-version: its tools/list is refused with a 400 carrying no id,
 * and Codex 0.169 waits for the answer until the budget ends; mcp-doctor needs the time to get
 * that far (it stops at the first failing stage).
 */
const OWN_BUDGET: Record<string, number> = { 'init-unknown-version': 8 };

export const STDIO_MODES: Array<[name: string, args: string[], extra?: string]> = [
  ['healthy', ['healthy']],
  ['banner', ['banner']],
  // Codex times out on these; mcp-doctor needs the server up to see why (under load, more than 2 s).
  ['banner_glued', ['banner-glued'], 'startup_timeout_sec = 5'],
  ['pretty_json', ['pretty-json'], 'startup_timeout_sec = 5'],
  ['crlf', ['crlf']],
  ['exit_early', ['exit-early']],
  ['needs_env', ['needs-env']],
  ['needs_env_forwarded', ['needs-env'], 'env_vars = ["MY_API_KEY"]'],
  ['slow', ['slow', '--delay', '4000'], 'startup_timeout_sec = 1'],
  ['hang', ['hang'], `startup_timeout_sec = ${TIGHT}`],
  ['ignore_eof', ['ignore-eof']],
  ['fork_stubborn', ['fork-stubborn']],
  ['tools_invalid_name', ['tools-invalid-name']],
  ['tools_model_view', ['tools-model-view']],
  ['jsonrpc_error_init', ['jsonrpc-error-init']],
  ['version_rejected', ['version-rejected']],
  ['print_env', ['print-env']],
  // Codex keeps the CA-bundle variables in a stdio server's environment.
  ['needs_ca', ['needs-env', '--var', 'SSL_CERT_FILE']],
  // An env_vars entry naming an unset variable: Codex starts the server without it.
  ['env_vars_unset', ['healthy'], 'env_vars = ["FLEET_UNSET"]'],
  ['needs_env_vars_unset', ['needs-env', '--var', 'FLEET_UNSET'], 'env_vars = ["FLEET_UNSET"]'],
  // Keys Codex ignores with a warning: `disabled = true` does NOT disable the server.
  ['type_http', ['healthy'], 'type = "http"'],
  ['disabled_true', ['healthy'], 'disabled = true'],
];

/** Server tables whose name or keys are the point (the url/command is filled in). */
export const VARIANTS: Array<[table: string, scenario: 'healthy-json' | 'bearer-no-oauth' | 'stdio', extra: string]> = [
  ['"stdio.dotted"', 'stdio', ''],
  ['"@scope/stdio"', 'stdio', ''],
  ['"stdio with space"', 'stdio', ''],
  ['http_env_header_unset', 'healthy-json', 'env_http_headers = { "X-Api-Key" = "FLEET_UNSET" }'],
  ['http_env_auth_unset', 'bearer-no-oauth', 'env_http_headers = { Authorization = "FLEET_UNSET" }'],
  ['http_bearer_env_unset', 'healthy-json', 'bearer_token_env_var = "FLEET_UNSET"'],
  ['http_bearer_env_set', 'bearer-no-oauth', 'bearer_token_env_var = "FLEET_TOKEN"'],
];

export const HTTP_EXTRAS: ExtraName[] = ['redirect-302', 'initialized-204', 'tools-cursor-cycle', 'sse-priming', 'html-root-mcp-sibling', 'not-acceptable', 'reset'];

/** Configs Codex refuses as a whole: one per case, each with a healthy server beside the culprit. */
export const REFUSED_CONFIGS: Record<string, { toml: string; code: string; reason: RegExp }> = {
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

const key = (s: string) => s.replace(/-/g, '_');
const unquote = (table: string) => table.replace(/^"(.*)"$/, '$1');

export interface Fleet {
  /** The one config.toml naming every server. */
  toml: string;
  /** Every server name in it. */
  names: string[];
  http: Map<string, FixtureServer | ExtraServer>;
  /** Restarts the fixtures that keep state between requests (transient-503), on the same ports. */
  refresh(): Promise<void>;
  close(): Promise<void>;
  /** stdio servers of this fleet still running (matched by the fleet's marker argument). */
  leftovers(): string[];
}

export async function startFleet(): Promise<Fleet> {
  const mark = `mcp-doctor-fleet-${process.pid}-${Date.now()}`;
  const http = new Map<string, FixtureServer | ExtraServer>();
  for (const name of Object.keys(SCENARIOS) as ScenarioName[]) http.set(`http_${key(name)}`, await startFixtureServer(name, { delayMs: 4000 }));
  for (const name of HTTP_EXTRAS) http.set(`extra_${key(name)}`, await startExtraServer(name));

  const out: string[] = [];
  for (const [name, args, extra] of STDIO_MODES) {
    out.push(`[mcp_servers.stdio_${name}]`, `command = ${JSON.stringify(process.execPath)}`, `args = ${JSON.stringify([STDIO_FIXTURE, ...args, mark])}`);
    out.push(extra?.startsWith('startup_timeout_sec') ? extra : `startup_timeout_sec = ${BUDGET}`);
    if (extra && !extra.startsWith('startup_timeout_sec')) out.push(extra);
    out.push('');
  }
  for (const [name, server] of http) {
    const scenario = name.replace(/^(http|extra)_/, '').replace(/_/g, '-');
    out.push(`[mcp_servers.${name}]`, `url = ${JSON.stringify(server.url)}`, `startup_timeout_sec = ${OWN_BUDGET[scenario] ?? (HANGING.has(scenario) ? TIGHT : BUDGET)}`, '');
  }
  for (const [table, scenario, extra] of VARIANTS) {
    out.push(`[mcp_servers.${table}]`);
    if (scenario === 'stdio') out.push(`command = ${JSON.stringify(process.execPath)}`, `args = ${JSON.stringify([STDIO_FIXTURE, 'healthy', mark])}`);
    else out.push(`url = ${JSON.stringify(http.get(`http_${key(scenario)}`)!.url)}`);
    out.push(`startup_timeout_sec = ${BUDGET}`, extra, '');
  }

  return {
    toml: out.join('\n'),
    names: [...STDIO_MODES.map(([n]) => `stdio_${n}`), ...http.keys(), ...VARIANTS.map(([t]) => unquote(t))],
    http,
    async refresh() {
      const transient = http.get('http_transient_503') as FixtureServer;
      await transient.close();
      http.set('http_transient_503', await startFixtureServer('transient-503', { port: Number(new URL(transient.url).port) }));
    },
    async close() {
      await Promise.all([...http.values()].map((s) => s.close()));
    },
    leftovers() {
      const ps = execFileSync('ps', ['-A', '-o', 'pid=,args='], { encoding: 'utf8' });
      return ps.split('\n').filter((l) => l.includes(mark) && !l.includes('ps -A'));
    },
  };
}

/** fork-stubborn's grandchild ignores SIGTERM: the pids mcp-doctor saw left behind are ours to end. */
export function killLeftoverPids(report: any): void {
  for (const server of report?.servers ?? []) {
    for (const f of server.findings) {
      for (const pid of (f.evidence?.leftoverPids as number[] | undefined) ?? []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
}
