import { join, resolve } from 'node:path';
import { makeFinding } from '../findings/make-finding.ts';
import type { ConfigDeps } from './config-deps.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { isTable, typeName } from './check-context.ts';
import type { CliOverride } from './cli-overrides.ts';
import { mergeToml, normalizeDirKey, type ConfigLayer } from './config-layers.ts';
import { serverOrigins } from './layer-origins.ts';
import { defaultSystemDir, readLayerStack } from './layer-stack.ts';
import { applyRequirements } from './requirements-findings.ts';
import { bareVarReference, isSecretCarrier, secretShape } from './env-checks.ts';
import type { LoadedConfig, ServerEntry } from './server-config.ts';
import { tomlKey, tomlValue } from './toml-snippet.ts';
import { checkTopLevel } from './top-level-checks.ts';
import { normalizeServer, sanitizeServerName, validateServer } from './validate-server.ts';

export { normalizeServer };

export interface LoadConfigInput {
  /** --config; default `$CODEX_HOME/config.toml`. */
  configPath?: string;
  /** --profile NAME: `$CODEX_HOME/NAME.config.toml` above the user config (validated by the caller). */
  profile?: string;
  /** -c key=value, parsed (src/config/cli-overrides.ts). */
  overrides?: CliOverride[];
  /**
   * Codex's machine-wide directory (config.toml, managed_config.toml, requirements.toml); default
   * /etc/codex (Windows: %ProgramData%\OpenAI\Codex). Codex has no way to move it, so the CLI has
   * none either; tests pass a temporary directory. null: no machine-wide layers.
   */
  systemDir?: string | null;
  /** Text to read instead of a file's content (a fix tried on one layer before it is written). */
  texts?: Record<string, string>;
  deps: ConfigDeps;
}

/**
 * Values in the config that are secrets by position, collected before any finding is built so
 * that the redactor knows them (contract §4).
 */
function collectSecrets(tables: Record<string, unknown>[], env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  const fromVar = (name: unknown) => {
    if (typeof name !== 'string') return;
    if (secretShape(name)) out.push(name);
    else if (isSecretCarrier(name)) out.push(env[name] ?? '');
  };
  // `"$TOKEN"` is a reference, not a secret; blanking it would hide what the finding is about.
  const values = (table: unknown) => {
    if (isTable(table)) for (const v of Object.values(table)) if (typeof v === 'string' && bareVarReference(v) === undefined) out.push(v);
  };
  for (const table of tables) {
    for (const key of ['bearer_token', 'authorization_token']) if (typeof table[key] === 'string') out.push(table[key] as string);
    fromVar(table.bearer_token_env_var);
    if (isTable(table.env_http_headers)) Object.values(table.env_http_headers).forEach(fromVar);
    if (Array.isArray(table.env_vars)) for (const e of table.env_vars) fromVar(isTable(e) ? e.name : e);
    if (isTable(table.oauth) && typeof table.oauth.client_secret === 'string') out.push(table.oauth.client_secret);
    values(table.http_headers);
    values(table.headers);
    values(table.env);
  }
  return [...new Set(out.filter((s) => s.trim().length >= 4))];
}

function serverTablesOf(document: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const key of ['mcp_servers', 'mcpServers', 'mcp-servers', 'mcp_server', 'mcpservers']) {
    const tables = document[key];
    if (isTable(tables)) for (const t of Object.values(tables)) if (isTable(t)) out.push(t);
  }
  return out;
}

/**
 * Reads the Codex config the way Codex composes it (src/config/layer-stack.ts: system, user,
 * `--profile`, trusted project configs, `-c`, managed config, then requirements.toml) and
 * validates every server's merged table, recording which layer each effective value came from.
 *
 * With the default path (`$CODEX_HOME/config.toml`, also when `--config` names that same file)
 * every layer applies, as in Codex. An explicit `--config` naming another file means "check
 * exactly this file" (plus the `-c` and `--profile` given with it): that is what a bug report, a
 * CI lint of a config, or a config under construction wants, and the trust table that gates
 * project layers lives in the real user config anyway — mixing a foreign file with this machine's
 * and this directory's layers would describe a config Codex never sees.
 */
export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const { deps } = input;
  const defaultPath = join(deps.codexHome, 'config.toml');
  const path = input.configPath !== undefined ? resolve(deps.cwd, input.configPath) : defaultPath;
  const realUserConfig = normalizeDirKey(path) === normalizeDirKey(resolve(defaultPath));
  const platform = deps.platform ?? process.platform;
  const overrides = input.overrides ?? [];
  const texts = input.texts;
  const reader = {
    readFile: (file: string) => (texts && Object.hasOwn(texts, file) ? Promise.resolve(texts[file]!) : deps.readFile(file)),
    fileExists: (file: string) => (texts && Object.hasOwn(texts, file) ? Promise.resolve(true) : deps.fileExists(file)),
  };
  const stack = await readLayerStack({
    path,
    realUserConfig,
    profile: input.profile,
    overrides,
    systemDir: !realUserConfig ? null : input.systemDir !== undefined ? input.systemDir : defaultSystemDir(platform, deps.env),
    platform,
    cwd: deps.cwd,
    codexHome: deps.codexHome,
    env: deps.env,
    reader,
    redact: createRedactor(),
  });
  const loadOptions = { configPath: input.configPath, profile: input.profile, overrides, systemDir: input.systemDir };

  if (stack.missing !== undefined) {
    const envHome = deps.env.CODEX_HOME;
    return {
      path,
      files: [],
      servers: [],
      document: {},
      fatal: 'not-found',
      loadOptions,
      findings: [
        makeFinding('config.not-found', {
          message: `The config file ${path} ${stack.missing}${input.configPath === undefined ? ` (CODEX_HOME is ${envHome ? `set to ${envHome}` : 'not set, so ~/.codex is used'})` : ''}.`,
          evidence: { path, ...(input.configPath === undefined ? { codexHome: deps.codexHome } : {}) },
          fix:
            input.configPath === undefined
              ? {
                  summary: 'Pass the file with --config PATH, set CODEX_HOME to the directory that holds config.toml, or add a server with `codex mcp add`.',
                  command: 'codex mcp add NAME -- COMMAND ARGS...',
                }
              : { summary: 'Check the path given to --config.' },
        }),
      ],
    };
  }
  if (stack.parseError) {
    return { path, files: [...stack.layers.map((l) => l.file), stack.parseError.file], servers: [], document: {}, fatal: 'parse-error', findings: [stack.parseError.finding], loadOptions };
  }

  const layers = stack.layers;
  const fileFindings: Finding[] = [...stack.findings];

  // Merge, remembering which layers define each server and the order servers first appear in.
  let document: Record<string, unknown> = {};
  const order: string[] = [];
  const definedIn = new Map<string, string[]>();
  for (const layer of layers) {
    document = mergeToml(document, layer.document);
    for (const name of layer.serverOrder) {
      if (!definedIn.has(name)) {
        definedIn.set(name, []);
        order.push(name);
      }
      definedIn.get(name)!.push(layer.file);
    }
  }

  const secrets = collectSecrets(layers.flatMap((l) => serverTablesOf(l.document)), deps.env);
  const redact = createRedactor(secrets);

  for (const layer of layers) fileFindings.push(...checkTopLevel(layer.document, layer.file, redact));

  const tables = isTable(document.mcp_servers) ? document.mcp_servers : {};
  const servers: ServerEntry[] = order.map((name) => {
    const files = definedIn.get(name)!;
    // The last file that defines the table (a `-c` flag is not a place to look the server up).
    const source = files.filter((f) => f !== '-c').pop() ?? files[files.length - 1]!;
    const table = tables[name];
    if (!isTable(table)) return notATable(name, table, source, redact);
    const entry = validateServer({
      name,
      table,
      source,
      definedIn: files,
      projectFiles: layers.filter((l) => l.kind === 'project').map((l) => l.file),
      env: deps.env,
      platform: deps.platform,
      redact,
      siblings: order,
      keyFiles: files.length > 1 ? keyFilesOf(name, layers) : undefined,
    });
    entry.config.origins = serverOrigins(name, layers, overrides);
    if (stack.policy) applyRequirements(entry, stack.policy, redact);
    return entry;
  });

  return {
    path,
    files: layers.filter((l) => l.kind !== 'cli').map((l) => l.file),
    layers: layers.map((l) => ({ layer: l.kind, file: l.file })),
    ...(stack.requirementsFile ? { requirements: stack.requirementsFile } : {}),
    ...(input.profile !== undefined ? { profile: input.profile } : {}),
    findings: fileFindings,
    servers,
    document,
    secrets,
    loadOptions,
  };
}

function keyFilesOf(name: string, layers: ConfigLayer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const layer of layers) {
    const tables = layer.document.mcp_servers;
    const table = isTable(tables) && Object.hasOwn(tables, name) ? tables[name] : undefined;
    if (isTable(table)) for (const key of Object.keys(table)) out[key] = layer.file;
  }
  return out;
}

/** `[mcp_servers] github = "npx ..."`: Codex cannot deserialize the server and refuses the config. */
function notATable(name: string, value: unknown, source: string, redact: Redactor): ServerEntry {
  const config = normalizeServer(name, {}, source);
  return {
    config,
    findings: [
      makeFinding('config.invalid-value', {
        message: redact.text(`\`mcp_servers.${name}\` in ${source} is ${typeName(value)}, not a table; Codex expects [mcp_servers.${name}] with \`command\` or \`url\` and refuses the whole config.`),
        evidence: { key: `mcp_servers.${name}`, got: typeName(value), file: source },
        fix: typeof value === 'string' && value.trim() !== ''
          ? {
              summary: `Write the server as a table with \`command\` (and \`args\`) or \`url\`.`,
              // The string is replaced in place by a table: one key of [mcp_servers] is set.
              toml: `[mcp_servers]\n${tomlKey(name)} = ${tomlValue(
                /^https?:\/\//i.test(value.trim())
                  ? { url: redact.url(value.trim()) }
                  : { command: value.trim().split(/\s+/)[0]!, args: value.trim().split(/\s+/).slice(1).map((a) => redact.text(a)) },
              )}`,
            }
          : { summary: `Write the server as a table: [mcp_servers.${name}] with \`command = "..."\` or \`url = "..."\`.` },
      }),
    ],
  };
}

function adHocEntry(name: string, table: Record<string, unknown>, source: string, env: Record<string, string | undefined> | undefined, platform?: NodeJS.Platform): LoadedConfig {
  const secrets = collectSecrets([table], env ?? {});
  const entry = validateServer({ name, table, source, env, platform, redact: createRedactor(secrets) });
  return { path: '', files: [], findings: [], document: {}, servers: [entry], secrets };
}

const GENERIC_HOST_LABELS = new Set(['mcp', 'www', 'api', 'app', 'server', 'servers', 'remote', 'gateway']);

/** A readable server name for `--url`: `https://mcp.linear.app/mcp` → `linear`. */
export function nameForUrl(url: string): string {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return 'url';
  }
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[')) return 'local';
  const labels = host.split('.').filter(Boolean);
  const meaningful = labels.slice(0, Math.max(1, labels.length - 1)).filter((l) => !GENERIC_HOST_LABELS.has(l.toLowerCase()));
  return sanitizeServerName(meaningful[meaningful.length - 1] ?? labels[0] ?? 'url');
}

const LAUNCHERS = new Set(['npx', 'bunx', 'uvx', 'pnpx', 'pipx', 'node', 'python', 'python3', 'deno', 'bun', 'uv', 'pnpm', 'yarn', 'docker', 'tsx']);

/** A readable server name for `-- CMD ARGS`: `npx -y @scope/server-github` → `server-github`. */
export function nameForCommand(command: string, args: string[]): string {
  const base = (p: string) => p.split(/[\\/]/).pop() ?? p;
  const program = base(command).replace(/\.(?:exe|cmd|bat)$/i, '');
  if (LAUNCHERS.has(program)) {
    const target = args.find((a) => !a.startsWith('-') && !['run', 'dlx', 'exec', 'x', 'tool'].includes(a));
    if (target) {
      // `@scope/pkg@1.2.3` → `pkg`; `./server.mjs` → `server`.
      const at = target.indexOf('@', target.startsWith('@') ? 1 : 0);
      const spec = at > 0 ? target.slice(0, at) : target;
      return sanitizeServerName(base(spec).replace(/\.(?:m?[jt]s|cjs|py)$/i, ''));
    }
  }
  return sanitizeServerName(program);
}

/**
 * `check --url URL`: one HTTP server with no config file. Without `env` the environment checks
 * (is `--bearer-env` set?) are skipped.
 */
export function adHocUrlConfig(url: string, headers: Record<string, string>, bearerEnv?: string, env?: Record<string, string | undefined>, platform?: NodeJS.Platform): LoadedConfig {
  const table: Record<string, unknown> = { url };
  if (Object.keys(headers).length) table.http_headers = headers;
  if (bearerEnv) table.bearer_token_env_var = bearerEnv;
  return adHocEntry(nameForUrl(url), table, '--url', env, platform);
}

/** `check -- CMD ARGS`: one stdio server with no config file. */
export function adHocCommandConfig(command: string, args: string[], env?: Record<string, string | undefined>, platform?: NodeJS.Platform): LoadedConfig {
  return adHocEntry(nameForCommand(command, args), { command, args }, '--', env, platform);
}
