/**
 * `check --codex`: the installed Codex starts the same servers through `codex app-server`
 * (src/codex/server-status.ts), concurrently with mcp-doctor's own checks, and its verdict is
 * put beside mcp-doctor's. Where the two disagree the report says so (`codex.disagrees`): either
 * mcp-doctor missed what stops Codex, or it reports a failure this Codex does not have.
 */
import { stringify } from 'smol-toml';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/server-config.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Deps } from '../pipeline/context.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, Report, ServerReport } from '../types.ts';
import { CodexAppServerError } from './app-server.ts';
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

  let configToml: string;
  try {
    configToml = input.adHoc ? adHocToml(config) : await deps.readFile(config.path);
  } catch (error) {
    return { run: { unavailable: `cannot read ${config.path}: ${(error as Error).message}`, path: where.path } };
  }
  const budgets = config.servers.filter((s) => input.names.includes(s.config.name)).map((s) => s.config.startupTimeoutSec * 1000);
  const timeoutMs = (input.timeoutMs ?? Math.max(...budgets)) + CODEX_OVERHEAD_MS;
  // Codex reads trusted project configs from its working directory, as mcp-doctor does for the default config.
  const projectLayers = !input.adHoc && config.path === join(deps.codexHome, 'config.toml');
  try {
    const status = await codexServerStatus({
      codex: where.codex,
      deps,
      configToml,
      cwd: projectLayers ? deps.cwd : undefined,
      timeoutMs,
      credentialsFrom: deps.codexHome,
      names: input.selected || input.adHoc ? input.names : undefined,
    });
    const run: CodexRunReport = { version: status.version, path: where.path, durationMs: status.durationMs };
    if (status.configError) run.configError = status.configError;
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

/** A config for the one ad-hoc server: its table as mcp-doctor read it. */
function adHocToml(config: LoadedConfig): string {
  const servers: Record<string, unknown> = {};
  for (const { config: server } of config.servers) servers[server.name] = server.raw;
  return stringify({ mcp_servers: servers });
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
