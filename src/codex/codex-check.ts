/**
 * `check --codex`: the installed Codex starts the same servers through `codex app-server`
 * (src/codex/server-status.ts), concurrently with mcp-doctor's own checks, and its verdict is
 * put beside mcp-doctor's. Where the two disagree the report says so (`codex.disagrees`): either
 * mcp-doctor missed what stops Codex, or it reports a failure this Codex does not have.
 */
import { parse, stringify } from 'smol-toml';
import { mergeToml } from '../config/config-layers.ts';
import type { LoadedConfig } from '../config/server-config.ts';
import { makeFinding } from '../findings/make-finding.ts';
import { setKey } from '../fix/toml-edit.ts';
import type { Deps } from '../pipeline/context.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, Report, ServerReport } from '../types.ts';
import { CodexAppServerError } from './app-server.ts';
import { CALIBRATED_CODEX_VERSION } from './codex-version.ts';
import { locateCodex } from './locate-codex.ts';
import { codexServerStatus, type CodexStatus, type CodexServerVerdict } from './server-status.ts';
import type { CodexRunReport, CodexServerOpinion } from './types.ts';

/** Codex's own boot, its OAuth probe of HTTP servers (up to 5 s on a legacy SSE URL) and initialize retries. */
const CODEX_OVERHEAD_MS = 15_000;

export interface CodexCheckInput {
  config: LoadedConfig;
  /** `--url` / `-- CMD`: no config file; a config is written for the one server. */
  adHoc: boolean;
  /** The servers mcp-doctor probes (enabled and selected). */
  names: string[];
  /** Whether names were given on the command line (otherwise every server of the config is Codex's to start). */
  selected: boolean;
  deps: Deps;
  /** `--codex-bin`. */
  bin?: string;
  /** `--timeout` in ms, when given. */
  timeoutMs?: number;
}

export interface CodexCheckOutcome {
  run: CodexRunReport;
  status?: CodexStatus;
  /** The config file Codex read, for error positions. */
  configPath?: string;
}

/** Asks Codex about the servers of `input.config`. Never throws: an unavailable Codex is a note. */
export async function askCodexAbout(input: CodexCheckInput): Promise<CodexCheckOutcome> {
  const { deps, config } = input;
  const where = await locateCodex(deps, input.bin);
  if (!where.found) return { run: { unavailable: where.reason } };
  if (input.names.length === 0) return { run: { unavailable: 'no enabled server to start', path: where.path } };

  let prepared: PreparedConfig;
  // The user's own `-c` flags go last, so they win over the ones mcp-doctor adds, as typed.
  const userOverrides = (config.loadOptions?.overrides ?? []).flatMap((o) => ['-c', o.raw]);
  try {
    prepared = input.adHoc ? { text: adHocToml(config, deps.cwd), overrides: [], inserted: [] } : sessionCwd(await userAndProfileText(config, deps), config, deps.cwd);
  } catch (error) {
    return { run: { unavailable: `cannot read ${config.path}: ${(error as Error).message}`, path: where.path } };
  }
  const budgets = config.servers.filter((s) => input.names.includes(s.config.name)).map((s) => s.config.startupTimeoutSec * 1000);
  const timeoutMs = (input.timeoutMs ?? Math.max(...budgets)) + CODEX_OVERHEAD_MS;
  try {
    const ask = (overrides: string[]) =>
      codexServerStatus({
        codex: where.codex,
        deps,
        configToml: prepared.text,
        overrides,
        // mcp-doctor's own directory, as for its checks: relative commands and args resolve the same
        // way (and trusted project configs there apply, as when Codex is started here).
        cwd: deps.cwd,
        timeoutMs,
        credentialsFrom: deps.codexHome,
        names: input.selected || input.adHoc ? input.names : undefined,
      });
    let status: CodexStatus;
    try {
      status = await ask([...prepared.overrides, ...userOverrides]);
    } catch (error) {
      // With `-c mcp_servers…` overrides Codex checks the servers as it starts and exits on a config
      // it refuses (measured); without them it says why through the list, which is worth the retry.
      if (!(error instanceof CodexAppServerError && error.kind === 'exited' && prepared.overrides.length > 0)) throw error;
      status = await ask(userOverrides);
    }
    const run: CodexRunReport = { version: status.version, calibratedVersion: CALIBRATED_CODEX_VERSION, path: where.path, durationMs: status.durationMs };
    if (status.configError) run.configError = originalPosition(status.configError, prepared.inserted);
    if (status.warnings.length) run.warnings = status.warnings;
    return { run, status, configPath: input.adHoc ? undefined : config.path };
  } catch (error) {
    if (error instanceof CodexAppServerError) return { run: { unavailable: unavailableText(error), path: where.path } };
    return { run: { unavailable: `Codex could not be asked: ${(error as Error).message}`, path: where.path } };
  }
}

function unavailableText(error: CodexAppServerError): string {
  const tail = error.stderr.trim().split('\n').filter(Boolean).slice(-1)[0];
  switch (error.kind) {
    case 'no-such-method':
      return `this Codex's app-server cannot report MCP server status (${error.message}); Codex 0.169 or later can`;
    case 'timeout':
      return `${error.message}; its verdicts are left out`;
    default:
      return `${error.message}${tail ? ` (${tail.slice(0, 200)})` : ''}`;
  }
}

/** A config for the one ad-hoc server: its table as mcp-doctor read it (started where mcp-doctor runs). */
function adHocToml(config: LoadedConfig, cwd: string): string {
  const servers: Record<string, unknown> = {};
  for (const { config: server } of config.servers) servers[server.name] = server.transport === 'stdio' && server.cwd === undefined ? { ...server.raw, cwd } : server.raw;
  return stringify({ mcp_servers: servers });
}

/**
 * The user config as Codex is to read it. `codex app-server` takes no `--profile` (Codex 0.171:
 * "--profile only applies to runtime commands, `codex mcp`…"), so a profile file is merged into
 * the copy: it sits right above the user config, below every other layer, so the merged copy
 * composes with the rest exactly as the two files do. (Error positions then refer to the copy.)
 */
async function userAndProfileText(config: LoadedConfig, deps: Deps): Promise<string> {
  const text = await deps.readFile(config.path);
  const profile = config.layers?.find((l) => l.layer === 'profile')?.file;
  if (!profile) return text;
  const options = { integersAsBigInt: 'asNeeded' } as const;
  return stringify(mergeToml(parse(text, options) as Record<string, unknown>, parse(await deps.readFile(profile), options) as Record<string, unknown>));
}

interface PreparedConfig {
  text: string;
  overrides: string[];
  /** 1-based line numbers (in `text`) of lines added to the user's file. */
  inserted: number[];
}

const PLAIN_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * In a Codex session a stdio server without `cwd` starts in the session's directory; answering
 * `mcpServerStatus/list` without a session, Codex 0.169 starts it in CODEX_HOME instead — here a
 * temp dir (measured). So Codex is told mcp-doctor's directory for those servers, and relative
 * paths resolve as in a session started here and as in mcp-doctor's own check: a `-c` override
 * where the name allows it (the copy stays byte for byte the user's file), else a `cwd` line in
 * the copy, whose line number is taken back out of Codex's error positions. Servers from a
 * project config are left as they are.
 */
function sessionCwd(text: string, config: LoadedConfig, cwd: string): PreparedConfig {
  const out: PreparedConfig = { text, overrides: [], inserted: [] };
  for (const { config: server } of config.servers) {
    const profile = config.layers?.find((l) => l.layer === 'profile')?.file;
    if (server.transport !== 'stdio' || server.cwd !== undefined || (server.source !== config.path && server.source !== profile)) continue;
    if (PLAIN_NAME.test(server.name)) {
      // Dotted `-c` paths cannot quote a name (measured: `mcp_servers."c.d".enabled` splits at the dot).
      out.overrides.push('-c', `mcp_servers.${server.name}.cwd=${JSON.stringify(cwd)}`);
      continue;
    }
    const edited = setKey(out.text, ['mcp_servers', server.name], 'cwd', cwd);
    if (!edited.ok) continue;
    const before = out.text.split('\n');
    const after = edited.text.split('\n');
    let line = 0;
    while (line < before.length && before[line] === after[line]) line++;
    out.inserted = out.inserted.map((l) => (l > line ? l + 1 : l));
    out.inserted.push(line + 1);
    out.text = edited.text;
  }
  return out;
}

/** `config.toml:12:1: …` in the copy → the same place in the user's file. */
function originalPosition(error: string, inserted: number[]): string {
  if (inserted.length === 0) return error;
  return error.replace(/(config\.toml):(\d+):(\d+)/, (_m, file: string, line: string, col: string) => {
    const n = Number(line);
    return `${file}:${n - inserted.filter((l) => l < n).length}:${col}`;
  });
}

/**
 * Puts Codex's verdicts into the report: `report.codex`, each probed server's `codex`, and a
 * `codex.disagrees` finding where mcp-doctor and Codex differ (server statuses and the summary
 * are recomputed). Everything Codex said is redacted first.
 */
export function addCodexOpinion(report: Report, outcome: CodexCheckOutcome, redact: Redactor): void {
  const run: CodexRunReport = redact.value({ ...outcome.run });
  // Codex read a copy: name the user's file instead.
  const real = (text: string) => (outcome.configPath ? text.split('$CODEX_HOME/config.toml').join(outcome.configPath) : text);
  if (run.configError) run.configError = real(run.configError);
  if (run.warnings) run.warnings = run.warnings.map(real);
  report.codex = run;
  const status = outcome.status;
  if (!status) return;

  if (run.configError) {
    const anyError = [...report.findings, ...report.servers.flatMap((s) => s.findings)].some((f) => f.severity === 'error');
    if (!anyError) {
      report.findings.push(
        makeFinding('codex.disagrees', {
          stage: 'file',
          message: `Codex ${status.version} refuses your whole config, and mcp-doctor found no error in it: ${run.configError}. No MCP server starts in Codex until this is fixed.`,
          evidence: { codexVersion: status.version, codexConfigError: run.configError },
        }),
      );
    }
    return;
  }

  for (const server of report.servers) {
    if (server.status === 'skipped') continue;
    const verdict = status.servers[server.name];
    if (!verdict || verdict.disabled) continue;
    server.codex = opinionOf(verdict, status, redact);
    const finding = disagreement(server, server.codex, status.credentials.refreshWithheld.includes(server.name));
    if (finding) {
      server.findings.push(finding);
      server.status = statusOf(server);
    }
  }
  const summary = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const server of report.servers) summary[server.status]++;
  report.summary = summary;
}

function opinionOf(verdict: CodexServerVerdict, status: CodexStatus, redact: Redactor): CodexServerOpinion {
  const opinion: CodexServerOpinion = {
    version: status.version,
    connected: verdict.connected,
    tools: verdict.connected ? (verdict.toolCount ?? 0) : null,
    error: verdict.connected ? null : redact.text(verdict.errorSummary ?? verdict.error ?? 'failed without an error message'),
  };
  if (verdict.authStatus) opinion.authStatus = verdict.authStatus;
  return opinion;
}

function disagreement(server: ServerReport, codex: CodexServerOpinion, refreshWithheld: boolean): Finding | undefined {
  const doctorFails = server.status === 'fail';
  if (doctorFails === !codex.connected) return undefined;
  if (!codex.connected && refreshWithheld) {
    // Codex saw the stored token expired and was not given the refresh token (app-server.ts).
    codex.note = 'the stored token has expired; your Codex would refresh it first, which mcp-doctor does not let it do (a refresh can replace your refresh token)';
    return undefined;
  }
  const evidence = { codexVersion: codex.version, codexConnected: codex.connected, ...(codex.error ? { codexError: codex.error } : {}), doctorStatus: server.status };
  if (!codex.connected) {
    return makeFinding('codex.disagrees', {
      severity: 'error',
      message: `Codex ${codex.version} cannot start "${server.name}" ("${codex.error}"), although mcp-doctor found nothing that stops it. Codex's verdict is the one that counts; mcp-doctor missed the cause.`,
      evidence,
      fix: { summary: 'Look at Codex\'s error above. Please also report the difference to mcp-doctor with the output of `mcp-doctor check --codex --format markdown --verbose`.' },
    });
  }
  return makeFinding('codex.disagrees', {
    severity: 'warning',
    message: `Codex ${codex.version} started "${server.name}" and got ${codex.tools} tool${codex.tools === 1 ? '' : 's'}, although mcp-doctor reports it as failing. The errors above may not apply to this Codex version (other clients or other Codex versions may still fail).`,
    evidence,
    fix: { summary: 'Please report the difference to mcp-doctor with the output of `mcp-doctor check --codex --format markdown --verbose`.' },
  });
}

function statusOf(server: ServerReport): ServerReport['status'] {
  if (server.findings.some((f) => f.severity === 'error')) return 'fail';
  if (server.findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'ok';
}
