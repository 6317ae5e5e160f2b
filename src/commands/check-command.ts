import { Chalk } from 'chalk';
import { arch, release, type as osType } from 'node:os';
import { codexOAuthGlobals } from '../config/oauth-globals.ts';
import { createLoginSettings, loginBudgetMs, type LoginArgs } from '../auth/login/login-options.ts';
import { refreshSettingsFrom } from '../auth/refresh-session.ts';
import { CliOverrideError, parseCliOverride, type CliOverride } from '../config/cli-overrides.ts';
import { profileNameError } from '../config/layer-stack.ts';
import { adHocCommandConfig, adHocUrlConfig, loadConfig } from '../config/load-config.ts';
import type { LoadedConfig } from '../config/server-config.ts';
import { addCodexOpinion, askCodexAbout } from '../codex/codex-check.ts';
import { distance } from '../config/did-you-mean.ts';
import { recordConfigReads, runFixStep } from './fix-command.ts';
import type { CheckOptions, Deps } from '../pipeline/context.ts';
import { runChecks } from '../pipeline/run-checks.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import { buildReport, exitCodeFor } from '../report/build-report.ts';
import { renderJson } from '../report/render-json.ts';
import { renderMarkdown, type MarkdownEnvironment } from '../report/render-markdown.ts';
import { renderText } from '../report/render-text.ts';
import { createProgress } from '../report/progress.ts';
import { createHttpPlan } from '../stages/http-plan.ts';
import { createStdioPlan } from '../stages/stdio-plan.ts';
import type { Format, Report } from '../types.ts';

export interface CheckArgs {
  names: string[];
  config?: string;
  /** -c key=value, as given (Codex's session flags). */
  overrides?: string[];
  /** --profile NAME. */
  profile?: string;
  format: Format;
  timeout?: number;
  verbose: boolean;
  /** --deep: the spec-conformance probes too (CheckOptions.deep). */
  deep?: boolean;
  strict: boolean;
  color: boolean;
  url?: string;
  headers: string[];
  bearerEnv?: string;
  command?: string[];
  concurrency: number;
  /** --fix, --fix --write, --verify-fixes (src/commands/fix-command.ts). */
  fix?: boolean;
  write?: boolean;
  verifyFixes?: boolean;
  /** --codex / --codex-bin: ask the installed Codex too (src/codex/codex-check.ts). */
  codex?: boolean;
  codexBin?: string;
  /** --login and its flags (src/auth/login/login-options.ts). */
  login?: LoginArgs;
  /** --refresh: perform Codex's refresh of stored OAuth tokens and store the result (src/auth/refresh-session.ts). */
  refresh?: boolean;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export class UsageError extends Error {}

/** Header flags are `K: V`; anything else is a usage error (exit 2). */
export function parseHeaderFlags(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const index = value.indexOf(':');
    if (index <= 0) throw new UsageError(`--header expects "Name: value", got "${value}"`);
    headers[value.slice(0, index).trim()] = value.slice(index + 1).trim();
  }
  return headers;
}

/**
 * Variables people forward with `env_vars` whose values are paths and settings, not secrets;
 * registering them would blank every path in the report.
 */
const NOT_SECRET_VARIABLES = new Set([
  'HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'TZ', 'PWD', 'NODE_ENV', 'NODE_OPTIONS',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'XDG_CONFIG_HOME',
  'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR', 'DISPLAY', 'EDITOR', 'VISUAL', 'JAVA_HOME', 'GOPATH', 'PYTHONPATH',
]);

/** Every value a config names as a secret, so that redaction knows it before anything is captured. */
export function collectSecrets(config: LoadedConfig, env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [...(config.secrets ?? [])];
  for (const { config: server } of config.servers) {
    if (server.bearerTokenEnvVar) secrets.push(env[server.bearerTokenEnvVar] ?? '');
    for (const variable of Object.values(server.envHttpHeaders)) secrets.push(env[variable] ?? '');
    for (const value of Object.values(server.httpHeaders)) secrets.push(value);
    for (const value of Object.values(server.env)) secrets.push(value);
    for (const ref of server.envVars) if (!NOT_SECRET_VARIABLES.has(ref.name.toUpperCase())) secrets.push(env[ref.name] ?? '');
    const inline = server.raw.bearer_token;
    if (typeof inline === 'string') secrets.push(inline);
  }
  return secrets.filter((s) => s.length > 0);
}

/** `-c` and `--profile`, checked as Codex checks them (a usage error, exit 2, like Codex's). */
export function layerFlags(args: Pick<CheckArgs, 'overrides' | 'profile' | 'url' | 'command'>): { overrides: CliOverride[] } {
  const adHoc = args.url !== undefined || (args.command !== undefined && args.command.length > 0);
  const given = (args.overrides?.length ?? 0) > 0 || args.profile !== undefined;
  if (adHoc && given) throw new UsageError('-c and --profile change the Codex config; they cannot be used with --url or -- CMD');
  if (args.profile !== undefined) {
    const error = profileNameError(args.profile);
    if (error) throw new UsageError(error);
  }
  try {
    return { overrides: (args.overrides ?? []).map(parseCliOverride) };
  } catch (error) {
    if (error instanceof CliOverrideError) throw new UsageError(error.message);
    throw error;
  }
}

export async function runCheckCommand(args: CheckArgs, io: Io, deps: Deps): Promise<number> {
  if (args.fix || args.verifyFixes) deps = recordConfigReads(deps);
  const adHoc = args.url !== undefined || (args.command !== undefined && args.command.length > 0);
  layerFlags(args);
  let config: LoadedConfig;
  if (args.url !== undefined) {
    config = adHocUrlConfig(args.url, parseHeaderFlags(args.headers), args.bearerEnv, deps.env, deps.platform);
  } else if (args.command && args.command.length > 0) {
    config = adHocCommandConfig(args.command[0]!, args.command.slice(1), deps.env, deps.platform);
  } else {
    config = await loadConfig({ configPath: args.config, profile: args.profile, overrides: layerFlags(args).overrides, deps });
  }

  const redact: Redactor = createRedactor(collectSecrets(config, deps.env));

  // `codex --version` runs while the servers are checked; it is bounded, and only markdown needs it.
  const environment = args.format === 'markdown' ? markdownEnvironment(deps) : undefined;

  if (config.fatal) {
    const report = buildReport({ configPath: config.path, files: config.files, findings: redact.value(config.findings), servers: [] });
    io.stdout.write(render(report, args, redact, io, await environment));
    return 2;
  }

  if (!adHoc && args.names.length > 0) {
    const known = config.servers.map((s) => s.config.name);
    const unknown = args.names.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      const hints = unknown.map((n) => {
        const close = known.filter((k) => distance(n.toLowerCase(), k.toLowerCase()) <= 2);
        return `no server named "${n}" in ${config.path}${close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(', ')}?)` : ''}`;
      });
      throw new UsageError(`${hints.join('; ')}. Servers: ${known.join(', ') || '(none)'}`);
    }
  }

  const login = args.login
    ? createLoginSettings(args.login, { config, env: deps.env, redact, notify: (line) => io.stderr.write(`${line}\n`) })
    : undefined;
  // A browser login takes a person: one server at a time, no spinner over the printed URL.
  const browserLogin = login !== undefined && !login.auto;
  const options: CheckOptions = {
    timeoutMs: args.timeout !== undefined ? Math.round(args.timeout * 1000) : login ? loginBudgetMs(config, login) : undefined,
    verbose: args.verbose,
    deep: args.deep === true,
    concurrency: browserLogin ? 1 : args.concurrency,
    codexGlobals: codexOAuthGlobals(config.document),
  };
  const probed = config.servers.filter((s) => s.config.enabled && (adHoc || args.names.length === 0 || args.names.includes(s.config.name)));
  // Codex starts the same servers at the same time; its answer is merged after mcp-doctor's own.
  const codexAsked = args.codex
    ? askCodexAbout({ config, adHoc, names: probed.map((s) => s.config.name), selected: !adHoc && args.names.length > 0, deps, bin: args.codexBin, timeoutMs: options.timeoutMs })
    : undefined;
  const progress = createProgress({
    enabled: args.format === 'text' && io.stderr.isTTY === true && !browserLogin,
    stream: io.stderr,
    total: probed.length,
    color: args.color,
  });
  let servers;
  try {
    servers = await runChecks({
      config,
      selected: adHoc ? [] : args.names,
      deps,
      options,
      redact,
      plans: { stdio: createStdioPlan, streamable_http: login ? (ctx) => createHttpPlan(ctx, { login }) : args.refresh ? (ctx) => createHttpPlan(ctx, { refresh: refreshSettingsFrom(config) }) : createHttpPlan },
      progress,
    });
  } finally {
    progress.stop();
  }
  const report = buildReport({
    configPath: adHoc ? null : config.path,
    files: adHoc ? undefined : config.files,
    layers: config.layers,
    profile: config.profile,
    requirements: config.requirements,
    findings: redact.value(config.findings),
    servers,
    deep: options.deep === true,
  });
  if (codexAsked) addCodexOpinion(report, await codexAsked, redact);
  if (args.fix || args.verifyFixes) {
    const env = await environment;
    const plans = { stdio: createStdioPlan, streamable_http: createHttpPlan };
    return runFixStep({ args, io, deps, config, report, options, redact, plans, render: (r) => render(r, args, redact, io, env) });
  }
  io.stdout.write(render(report, args, redact, io, await environment));
  return exitCodeFor(report, args.strict);
}

/** Text wraps to the terminal, but no wider than this: long lines are hard to read. */
const MAX_TEXT_WIDTH = 120;
const CODEX_VERSION_TIMEOUT_MS = 2000;

/**
 * Renders the report in the chosen format. Renderers are pure; `environment` (markdown only) is
 * collected by the caller, and without it the markdown report leaves Codex's version out.
 */
export function render(
  report: Report,
  args: Pick<CheckArgs, 'format' | 'verbose' | 'color'>,
  _redact: Redactor,
  io: Io,
  environment?: MarkdownEnvironment,
): string {
  switch (args.format) {
    case 'json':
      return renderJson(report, { verbose: args.verbose });
    case 'markdown':
      return renderMarkdown(report, environment ?? baseEnvironment());
    default: {
      const useColor = args.color && io.stdout.isTTY === true;
      const chalk = new Chalk({ level: useColor ? 1 : 0 });
      return renderText(report, { chalk, verbose: args.verbose, width: Math.min(io.stdout.columns ?? 100, MAX_TEXT_WIDTH) });
    }
  }
}

function baseEnvironment(): MarkdownEnvironment {
  return { os: `${osType()} ${release()} (${arch()})`, node: process.version };
}

/** What the markdown report's Environment section says, including `codex --version` when Codex is on the PATH. */
export async function markdownEnvironment(deps: Pick<Deps, 'spawn' | 'env' | 'platform'>): Promise<MarkdownEnvironment> {
  return { ...baseEnvironment(), codexVersion: await codexVersion(deps) };
}

/**
 * `codex --version`, bounded by two seconds. Null when Codex is not on the PATH (or fails);
 * a note when it does not answer in time.
 */
export function codexVersion(deps: Pick<Deps, 'spawn' | 'env' | 'platform'>, timeoutMs = CODEX_VERSION_TIMEOUT_MS): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    let output = '';
    let timer: NodeJS.Timeout | undefined;
    const settle = (value: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    let child: ReturnType<Deps['spawn']>;
    try {
      // On Windows `codex` is a .cmd shim, which only a shell resolves.
      child = deps.spawn('codex', ['--version'], { env: deps.env, stdio: ['ignore', 'pipe', 'ignore'], shell: deps.platform === 'win32', windowsHide: true });
    } catch {
      settle(null);
      return;
    }
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(`unknown (codex --version did not answer within ${timeoutMs / 1000} s)`);
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (output.length < 1000) output += chunk.toString('utf8');
    });
    child.on('error', () => settle(null));
    child.on('close', (code) => {
      const line = output.trim().split('\n')[0]?.trim() ?? '';
      settle(code === 0 && line ? line.slice(0, 100) : null);
    });
  });
}
