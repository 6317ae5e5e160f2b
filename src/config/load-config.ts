import { join, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { makeFinding } from '../findings/make-finding.ts';
import type { ConfigDeps } from './config-deps.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { isTable, typeName } from './check-context.ts';
import {
  DEFAULT_PROJECT_ROOT_MARKERS,
  findProjectRoot,
  findRepoRoot,
  mergeToml,
  normalizeDirKey,
  projectDirs,
  serverOrder,
  trustDecision,
  type ConfigLayer,
} from './config-layers.ts';
import { bareVarReference, isSecretCarrier, secretShape } from './env-checks.ts';
import type { LoadedConfig, ServerEntry } from './server-config.ts';
import { tomlKey, tomlValue } from './toml-snippet.ts';
import { checkTopLevel } from './top-level-checks.ts';
import { normalizeServer, sanitizeServerName, validateServer } from './validate-server.ts';

export { normalizeServer };

export interface LoadConfigInput {
  /** --config; default `$CODEX_HOME/config.toml`. */
  configPath?: string;
  deps: ConfigDeps;
}

/** smol-toml turns integers beyond 2^53 into a parse error by default; Codex (i64) accepts them. */
const PARSE_OPTIONS = { integersAsBigInt: 'asNeeded' } as const;

type Parsed = { ok: true; document: Record<string, unknown>; text: string } | { ok: false; finding: Finding } | { ok: false; missing: true; reason: string };

/**
 * A TOML excerpt may hold secrets (the line that failed could be `bearer_token = "..."`); values
 * of secret-looking keys are blanked before it becomes evidence.
 */
function redactExcerpt(excerpt: string, redact: Redactor): string {
  return excerpt
    .split('\n')
    .map((line) => line.replace(/^(\s*(?:\d+:)?\s*[^=\n]*(?:token|secret|password|passwd|key|authorization|auth|bearer|cookie)[^=\n]*=\s*)(.+)$/i, '$1<redacted>'))
    .map((line) => redact.text(line))
    .join('\n');
}

function parseErrorHint(reason: string, text: string, line: number): string | undefined {
  const source = text.split(/\r?\n/)[line - 1] ?? '';
  if (/redefine/i.test(reason)) return 'the same table or key is defined twice';
  if (/escape/i.test(reason) || /"[A-Za-z]:\\/.test(source)) return 'a Windows path in "double quotes" needs \\\\ for each backslash, or \'single quotes\'';
  if (/=\s*[A-Za-z@./~][^"'\s[{]*\s*$/.test(source) && !/=\s*(?:true|false|inf|nan)\s*$/.test(source)) return 'a string value must be quoted';
  return undefined;
}

async function readLayer(path: string, deps: LoadConfigInput['deps'], redact: Redactor): Promise<Parsed> {
  let text: string;
  try {
    if (!(await deps.fileExists(path))) return { ok: false, missing: true, reason: 'does not exist' };
    text = await deps.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, missing: true, reason: code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (error as Error).message})` };
  }
  try {
    return { ok: true, document: parse(text, PARSE_OPTIONS) as Record<string, unknown>, text };
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    const column = error instanceof TomlError ? error.column : undefined;
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
    const hint = line !== undefined ? parseErrorHint(reason, text, line) : undefined;
    return {
      ok: false,
      finding: makeFinding('config.parse-error', {
        message: `${path}${line !== undefined ? `, line ${line}, column ${column}` : ''}: ${redact.text(reason)}. Codex cannot load this file, so it refuses to start at all.`,
        evidence: {
          file: path,
          ...(line !== undefined ? { line, column } : {}),
          ...(error instanceof TomlError && error.codeblock ? { excerpt: redactExcerpt(error.codeblock, redact) } : {}),
        },
        fix: { summary: `Correct the TOML at line ${line ?? '?'}, column ${column ?? '?'}${hint ? `: ${hint}` : ''}.` },
      }),
    };
  }
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
 * Reads the Codex config the way Codex composes it and validates every server table.
 *
 * Project layers: with the default path (`$CODEX_HOME/config.toml`, also when `--config` names
 * that same file) the trusted `.codex/config.toml` files between the project root and the cwd are
 * merged on top, as Codex does. An explicit `--config` naming another file means "check exactly
 * this file": that is what a bug report, a CI lint of a config, or a config under construction
 * wants, and the trust table that gates project layers lives in the real user config anyway —
 * mixing a foreign file with this directory's project layers would describe a config Codex never
 * sees.
 */
export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const { deps } = input;
  const defaultPath = join(deps.codexHome, 'config.toml');
  const path = input.configPath !== undefined ? resolve(deps.cwd, input.configPath) : defaultPath;
  const useProjectLayers = normalizeDirKey(path) === normalizeDirKey(resolve(defaultPath));
  const bootstrap = createRedactor();

  const user = await readLayer(path, deps, bootstrap);
  if (!user.ok && 'missing' in user) {
    const envHome = deps.env.CODEX_HOME;
    return {
      path,
      files: [],
      servers: [],
      document: {},
      fatal: 'not-found',
      findings: [
        makeFinding('config.not-found', {
          message: `The config file ${path} ${user.reason}${input.configPath === undefined ? ` (CODEX_HOME is ${envHome ? `set to ${envHome}` : 'not set, so ~/.codex is used'})` : ''}.`,
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
  if (!user.ok) return { path, files: [path], servers: [], document: {}, fatal: 'parse-error', findings: [user.finding] };

  const layers: ConfigLayer[] = [{ file: path, kind: 'user', document: user.document, serverOrder: serverOrder(user.text, user.document) }];
  const fileFindings: Finding[] = [];
  const untrusted: Array<{ file: string; servers: string[]; decisionKey: string; level?: string; parsed: boolean }> = [];

  if (useProjectLayers) {
    const markersValue = user.document.project_root_markers;
    const markers = Array.isArray(markersValue) && markersValue.every((m) => typeof m === 'string') ? (markersValue as string[]) : DEFAULT_PROJECT_ROOT_MARKERS;
    const projectRoot = await findProjectRoot(deps.cwd, markers, deps.fileExists);
    const repoRoot = await findRepoRoot(deps.cwd, deps.fileExists);
    const codexHomeKey = normalizeDirKey(resolve(deps.codexHome));
    for (const dir of projectDirs(deps.cwd, projectRoot)) {
      const dotCodex = join(dir, '.codex');
      // Running from $HOME: ~/.codex is CODEX_HOME, not a project layer.
      if (normalizeDirKey(dotCodex) === codexHomeKey) continue;
      const file = join(dotCodex, 'config.toml');
      if (!(await deps.fileExists(file))) continue;
      const decision = trustDecision(user.document.projects, dir, projectRoot, repoRoot);
      const layer = await readLayer(file, deps, bootstrap);
      if (decision.trusted) {
        if (!layer.ok && 'missing' in layer) continue;
        // Codex fails to start on a trusted project config that does not parse.
        if (!layer.ok) return { path, files: [...layers.map((l) => l.file), file], servers: [], document: {}, fatal: 'parse-error', findings: [layer.finding] };
        layers.push({ file, kind: 'project', document: layer.document, serverOrder: serverOrder(layer.text, layer.document) });
      } else if (layer.ok) {
        const servers = isTable(layer.document.mcp_servers) ? Object.keys(layer.document.mcp_servers) : [];
        if (servers.length) untrusted.push({ file, servers: serverOrder(layer.text, layer.document), decisionKey: decision.key, level: decision.level, parsed: true });
      } else if (!('missing' in layer)) {
        untrusted.push({ file, servers: [], decisionKey: decision.key, level: decision.level, parsed: false });
      }
    }
  }

  for (const entry of untrusted) {
    const snippet = `[projects.${tomlKey(entry.decisionKey)}]\ntrust_level = "trusted"`;
    fileFindings.push(
      makeFinding('config.project-untrusted', {
        message: entry.parsed
          ? `${entry.file} defines ${entry.servers.length === 1 ? 'the server' : 'the servers'} ${entry.servers.join(', ')}, but Codex drops ${entry.servers.length === 1 ? 'it' : 'them'}: ${entry.decisionKey} is ${entry.level === 'untrusted' ? 'marked untrusted' : 'not a trusted project'} in ${path}.`
          : `${entry.file} is ignored by Codex: ${entry.decisionKey} is ${entry.level === 'untrusted' ? 'marked untrusted' : 'not a trusted project'} in ${path} (the file does not parse either).`,
        evidence: { file: entry.file, project: entry.decisionKey, trustLevel: entry.level ?? null, droppedServers: entry.servers },
        fix: {
          summary: `Trust the project in ${path} (or accept Codex's trust prompt in that directory), or move the servers to ${path}.`,
          toml: snippet,
        },
      }),
    );
  }

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
    const source = files[files.length - 1]!;
    const table = tables[name];
    if (!isTable(table)) return notATable(name, table, source, redact);
    return validateServer({
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
  });

  return { path, files: layers.map((l) => l.file), findings: fileFindings, servers, document, secrets };
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
