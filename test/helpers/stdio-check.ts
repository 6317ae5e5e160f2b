import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../../src/config/server-config.ts';
import type { Deps } from '../../src/pipeline/context.ts';
import { defaultDeps } from '../../src/pipeline/default-deps.ts';
import { runServer } from '../../src/pipeline/run-server.ts';
import { createRedactor } from '../../src/redact.ts';
import { createHttpPlan } from '../../src/stages/http-plan.ts';
import { createStdioPlan } from '../../src/stages/stdio-plan.ts';
import type { ServerReport } from '../../src/types.ts';
import { ROOT } from './cli.ts';

export const STDIO_FIXTURE = join(ROOT, 'fixtures', 'stdio', 'server.mjs');
export const fixture = (name: string) => join(ROOT, 'fixtures', 'stdio', name);

/** A stdio server table as the config loader would produce it. */
export function stdioServer(name: string, command: string, args: string[], extra: Partial<ServerConfig> = {}): ServerConfig {
  return {
    name,
    source: 'test',
    transport: 'stdio',
    raw: { command, args },
    enabled: true,
    required: false,
    command,
    args,
    env: {},
    envVars: [],
    httpHeaders: {},
    envHttpHeaders: {},
    startupTimeoutSec: 30,
    startupTimeoutExplicit: false,
    ...extra,
  };
}

/** `node fixtures/stdio/server.mjs MODE ...` */
export function fixtureServer(mode: string, extra: Partial<ServerConfig> = {}, more: string[] = []): ServerConfig {
  return stdioServer(mode, process.execPath, [STDIO_FIXTURE, mode, ...more], extra);
}

/**
 * Runs one server through the real pipeline (runner + stdio plan), as `check` does, with the
 * config's secrets known to the redactor.
 */
export async function checkServer(
  config: ServerConfig,
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number; deps?: Partial<Deps> } = {},
): Promise<ServerReport> {
  const env = opts.env ?? { ...process.env };
  const deps = defaultDeps({ env, ...opts.deps });
  const secrets = [...Object.values(config.env), ...config.envVars.map((v) => env[v.name])];
  return runServer({
    entry: { config, findings: [] },
    deps,
    options: { timeoutMs: opts.timeoutMs, verbose: true, concurrency: 1 },
    redact: createRedactor(secrets),
    selected: true,
    plans: { stdio: createStdioPlan, streamable_http: createHttpPlan },
  });
}

/** The pid from the discovery summary ("spawned /usr/bin/node (pid 123)"). */
export function spawnedPid(report: ServerReport): number | undefined {
  const match = /\(pid (\d+)\)/.exec(report.stages.find((s) => s.name === 'discovery')?.summary ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Alive and not a zombie (orphans are not always reaped in containers). */
export function isAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = `/proc/${pid}/stat`;
    if (!existsSync(stat)) return false;
    try {
      const text = readFileSync(stat, 'utf8');
      const state = text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const codes = (report: ServerReport) => report.findings.map((f) => `${f.severity} ${f.code}`);
export const stage = (report: ServerReport, name: string) => report.stages.find((s) => s.name === name)!;
