import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODEX_DEFAULT_STARTUP_TIMEOUT_SEC, type ServerConfig } from '../../src/config/server-config.ts';
import type { Deps } from '../../src/pipeline/context.ts';
import { defaultDeps } from '../../src/pipeline/default-deps.ts';
import { runServer } from '../../src/pipeline/run-server.ts';
import { createRedactor } from '../../src/redact.ts';
import { createHttpPlan } from '../../src/stages/http-plan.ts';
import type { Finding, ServerReport } from '../../src/types.ts';

/** One `[mcp_servers.NAME]` table for a Streamable HTTP server, as the config loader would give it. */
export interface HttpTable {
  url: string;
  bearerTokenEnvVar?: string;
  httpHeaders?: Record<string, string>;
  envHttpHeaders?: Record<string, string>;
  startupTimeoutSec?: number;
  enabledTools?: string[];
  disabledTools?: string[];
}

export function httpServerConfig(name: string, table: HttpTable): ServerConfig {
  return {
    name,
    source: 'test',
    transport: 'streamable_http',
    raw: { url: table.url },
    enabled: true,
    required: false,
    args: [],
    env: {},
    envVars: [],
    url: table.url,
    bearerTokenEnvVar: table.bearerTokenEnvVar,
    httpHeaders: table.httpHeaders ?? {},
    envHttpHeaders: table.envHttpHeaders ?? {},
    startupTimeoutSec: table.startupTimeoutSec ?? CODEX_DEFAULT_STARTUP_TIMEOUT_SEC,
    startupTimeoutExplicit: table.startupTimeoutSec !== undefined,
    enabledTools: table.enabledTools,
    disabledTools: table.disabledTools,
  };
}

/** An empty CODEX_HOME, so that no test reads the machine's own stored logins. */
export const EMPTY_CODEX_HOME = mkdtempSync(join(tmpdir(), 'mcp-doctor-http-home-'));

/**
 * Runs one HTTP server through the real pipeline in-process (no CLI build needed), with the
 * secrets of its table registered for redaction as the check command does. Verbose, so the
 * report keeps its transcript; `deep` is `check --deep` (the spec-conformance probes).
 */
export async function checkHttp(
  table: HttpTable,
  opts: { name?: string; env?: Record<string, string>; timeoutMs?: number; deps?: Partial<Deps>; deep?: boolean } = {},
): Promise<ServerReport> {
  const config = httpServerConfig(opts.name ?? 'srv', table);
  const env = opts.env ?? {};
  const deps = defaultDeps({ env, codexHome: EMPTY_CODEX_HOME, ...opts.deps });
  const secrets = [
    config.bearerTokenEnvVar ? env[config.bearerTokenEnvVar] : undefined,
    ...Object.values(config.httpHeaders),
    ...Object.values(config.envHttpHeaders).map((v) => env[v]),
  ];
  return runServer({
    entry: { config, findings: [] },
    deps,
    options: { verbose: true, deep: opts.deep === true, concurrency: 1, timeoutMs: opts.timeoutMs ?? 15_000 },
    redact: createRedactor(secrets),
    selected: true,
    plans: {
      streamable_http: createHttpPlan,
      stdio: () => {
        throw new Error('not an HTTP server');
      },
    },
  });
}

export function stageStatuses(report: ServerReport): Record<string, string> {
  return Object.fromEntries(report.stages.map((s) => [s.name, s.status]));
}

export function findingOf(report: ServerReport, code: string): Finding | undefined {
  return report.findings.find((f) => f.code === code);
}

export function codes(report: ServerReport): string[] {
  return report.findings.map((f) => `${f.code}:${f.severity}`);
}
