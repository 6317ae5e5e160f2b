import { Chalk } from 'chalk';
import { release, type as osType } from 'node:os';
import { adHocCommandConfig, adHocUrlConfig, loadConfig } from '../config/load-config.ts';
import type { LoadedConfig } from '../config/server-config.ts';
import { distance } from '../findings/explain.ts';
import type { CheckOptions, Deps } from '../pipeline/context.ts';
import { runChecks } from '../pipeline/run-checks.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import { buildReport, exitCodeFor } from '../report/build-report.ts';
import { renderJson } from '../report/render-json.ts';
import { renderMarkdown } from '../report/render-markdown.ts';
import { renderText } from '../report/render-text.ts';
import { createProgress } from '../report/progress.ts';
import { createHttpPlan } from '../stages/http-plan.ts';
import { createStdioPlan } from '../stages/stdio-plan.ts';
import type { Format, Report } from '../types.ts';

export interface CheckArgs {
  names: string[];
  config?: string;
  format: Format;
  timeout?: number;
  verbose: boolean;
  strict: boolean;
  color: boolean;
  url?: string;
  headers: string[];
  bearerEnv?: string;
  command?: string[];
  concurrency: number;
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

/** Every value a config names as a secret, so that redaction knows it before anything is captured. */
export function collectSecrets(config: LoadedConfig, env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  for (const { config: server } of config.servers) {
    if (server.bearerTokenEnvVar) secrets.push(env[server.bearerTokenEnvVar] ?? '');
    for (const variable of Object.values(server.envHttpHeaders)) secrets.push(env[variable] ?? '');
    for (const value of Object.values(server.httpHeaders)) secrets.push(value);
    for (const value of Object.values(server.env)) secrets.push(value);
    for (const ref of server.envVars) secrets.push(env[ref.name] ?? '');
    const inline = server.raw.bearer_token;
    if (typeof inline === 'string') secrets.push(inline);
  }
  return secrets.filter((s) => s.length > 0);
}

export async function runCheckCommand(args: CheckArgs, io: Io, deps: Deps): Promise<number> {
  const adHoc = args.url !== undefined || (args.command !== undefined && args.command.length > 0);
  let config: LoadedConfig;
  if (args.url !== undefined) {
    config = adHocUrlConfig(args.url, parseHeaderFlags(args.headers), args.bearerEnv);
  } else if (args.command && args.command.length > 0) {
    config = adHocCommandConfig(args.command[0]!, args.command.slice(1));
  } else {
    config = await loadConfig({ configPath: args.config, deps });
  }

  const redact: Redactor = createRedactor(collectSecrets(config, deps.env));

  if (config.fatal) {
    const report = buildReport({ configPath: config.path, files: config.files, findings: redact.value(config.findings), servers: [] });
    io.stdout.write(render(report, args, redact, io));
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

  const options: CheckOptions = {
    timeoutMs: args.timeout !== undefined ? Math.round(args.timeout * 1000) : undefined,
    verbose: args.verbose,
    concurrency: args.concurrency,
  };
  const progress = createProgress({ enabled: args.format === 'text' && io.stderr.isTTY === true, stream: io.stderr });
  let servers;
  try {
    servers = await runChecks({
      config,
      selected: adHoc ? [] : args.names,
      deps,
      options,
      redact,
      plans: { stdio: createStdioPlan, streamable_http: createHttpPlan },
      progress,
    });
  } finally {
    progress.stop();
  }
  const report = buildReport({
    configPath: adHoc ? null : config.path,
    files: adHoc ? undefined : config.files,
    findings: redact.value(config.findings),
    servers,
  });
  io.stdout.write(render(report, args, redact, io));
  return exitCodeFor(report, args.strict);
}

export function render(report: Report, args: Pick<CheckArgs, 'format' | 'verbose' | 'color'>, _redact: Redactor, io: Io): string {
  switch (args.format) {
    case 'json':
      return renderJson(report, { verbose: args.verbose });
    case 'markdown':
      return renderMarkdown(report, { os: `${osType()} ${release()}`, node: process.version });
    default: {
      const useColor = args.color && io.stdout.isTTY === true;
      const chalk = new Chalk({ level: useColor ? 1 : 0 });
      return renderText(report, { chalk, verbose: args.verbose, width: io.stdout.columns ?? 100 });
    }
  }
}
