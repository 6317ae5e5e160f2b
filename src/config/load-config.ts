// PLACEHOLDER: minimal loader; the config-reader work replaces this with full Codex validation.
import { parse } from 'smol-toml';
import { join } from 'node:path';
import { makeFinding } from '../findings/make-finding.ts';
import type { Deps } from '../pipeline/context.ts';
import type { Finding } from '../types.ts';
import { CODEX_DEFAULT_STARTUP_TIMEOUT_SEC, type LoadedConfig, type ServerConfig, type ServerEntry } from './server-config.ts';

export interface LoadConfigInput {
  /** --config; default `$CODEX_HOME/config.toml`. */
  configPath?: string;
  deps: Pick<Deps, 'env' | 'cwd' | 'codexHome' | 'readFile' | 'fileExists'>;
}

export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const path = input.configPath ?? join(input.deps.codexHome, 'config.toml');
  if (!(await input.deps.fileExists(path))) {
    return {
      path,
      files: [],
      servers: [],
      document: {},
      fatal: 'not-found',
      findings: [makeFinding('config.not-found', { message: `No config file at ${path}.` })],
    };
  }
  const text = await input.deps.readFile(path);
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (error) {
    return {
      path,
      files: [path],
      servers: [],
      document: {},
      fatal: 'parse-error',
      findings: [makeFinding('config.parse-error', { message: String((error as Error).message) })],
    };
  }
  const tables = (document.mcp_servers ?? {}) as Record<string, Record<string, unknown>>;
  const servers: ServerEntry[] = Object.entries(tables).map(([name, table]) => ({
    config: normalizeServer(name, table, path),
    findings: [],
  }));
  return { path, files: [path], findings: [], servers, document };
}

export function normalizeServer(name: string, table: Record<string, unknown>, source: string): ServerConfig {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const dict = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {};
  const transport = str(table.command) !== undefined ? 'stdio' : str(table.url) !== undefined ? 'streamable_http' : 'unknown';
  const timeout = typeof table.startup_timeout_sec === 'number' ? table.startup_timeout_sec : undefined;
  return {
    name,
    source,
    transport,
    raw: table,
    enabled: table.enabled !== false,
    required: table.required === true,
    command: str(table.command),
    args: strs(table.args),
    env: dict(table.env),
    envVars: strs(table.env_vars).map((n) => ({ name: n, source: 'local' as const })),
    cwd: str(table.cwd),
    url: str(table.url),
    bearerTokenEnvVar: str(table.bearer_token_env_var),
    httpHeaders: dict(table.http_headers),
    envHttpHeaders: dict(table.env_http_headers),
    startupTimeoutSec: timeout ?? CODEX_DEFAULT_STARTUP_TIMEOUT_SEC,
    startupTimeoutExplicit: timeout !== undefined,
    enabledTools: Array.isArray(table.enabled_tools) ? strs(table.enabled_tools) : undefined,
    disabledTools: Array.isArray(table.disabled_tools) ? strs(table.disabled_tools) : undefined,
  };
}

/** `check --url URL`: one HTTP server with no config file. */
export function adHocUrlConfig(url: string, headers: Record<string, string>, bearerEnv?: string): LoadedConfig {
  const table: Record<string, unknown> = { url };
  if (Object.keys(headers).length) table.http_headers = headers;
  if (bearerEnv) table.bearer_token_env_var = bearerEnv;
  const findings: Finding[] = [];
  return { path: '', files: [], findings, document: {}, servers: [{ config: normalizeServer('server', table, '--url'), findings: [] }] };
}

/** `check -- CMD ARGS`: one stdio server with no config file. */
export function adHocCommandConfig(command: string, args: string[]): LoadedConfig {
  const table = { command, args };
  return { path: '', files: [], findings: [], document: {}, servers: [{ config: normalizeServer('server', table, '--'), findings: [] }] };
}
