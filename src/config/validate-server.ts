import type { Redactor } from '../redact.ts';
import type { Finding, Fix, Transport } from '../types.ts';
import { addFinding, envVarsWith, isTable, keyInProject, where, type ServerCheckContext } from './check-context.ts';
import { BUILT_IN_SERVERS, FORBIDDEN_FIELDS, RENAMED_SERVER_KEYS, type ServerTransport } from './codex-keys.ts';
import { checkEnvReferences, checkUnexpandedVars } from './env-findings.ts';
import { exportCommand, suggestedVarName } from './env-checks.ts';
import { CODEX_DEFAULT_STARTUP_TIMEOUT_SEC, type EnvVarRef, type ServerConfig, type ServerEntry } from './server-config.ts';
import { serverHeader, serverSnippet, serverTableKey, tomlValue } from './toml-snippet.ts';
import { checkUnknownKeys } from './unknown-keys.ts';
import { checkValues } from './value-checks.ts';

/** `validate_mcp_server_name` in codex-mcp until 2026, and what other clients accept. */
export const SERVER_NAME = /^[a-zA-Z0-9_-]+$/;
/** The pattern Codex 0.169 checks (measured): `:`, `@`, `/` and `.` are allowed too. */
export const CURRENT_SERVER_NAME = /^[a-zA-Z0-9_:@/.-]+$/;

export interface ValidateServerInput {
  name: string;
  table: Record<string, unknown>;
  /** The file that defined the table last. */
  source: string;
  /** Every file that contributed to the merged table, lowest layer first. */
  definedIn?: string[];
  /** The project `.codex/config.toml` files among the layers. */
  projectFiles?: string[];
  /** The environment Codex would be launched with; undefined skips the environment checks. */
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  redact: Redactor;
  /** Names of the other servers, for hints about mis-keyed sub-tables. */
  siblings?: string[];
  /** For a table merged from several layers: the file that set each top-level key last. */
  keyFiles?: Record<string, string>;
}

/** Codex's transport inference: `command` wins, then `url`, else "invalid transport". */
export function inferTransport(table: Record<string, unknown>): Transport {
  if (table.command !== undefined) return 'stdio';
  if (table.url !== undefined) return 'streamable_http';
  return 'unknown';
}

function isLocal(table: Record<string, unknown>): boolean {
  const env = table.environment_id;
  return env === undefined || env === 'local' || typeof env !== 'string';
}

/** A name Codex accepts, derived from one it rejects (`@scope/pkg` → `scope_pkg`). */
export function sanitizeServerName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return cleaned === '' ? 'server' : cleaned;
}

/** Validates one merged `[mcp_servers.NAME]` table as Codex would, and normalises it. */
export function validateServer(input: ValidateServerInput): ServerEntry {
  const { name, table } = input;
  const transport = inferTransport(table);
  const findings: Finding[] = [];
  const ctx: ServerCheckContext = {
    name,
    table,
    transport,
    source: input.source,
    projectFiles: input.projectFiles ?? [],
    env: input.env,
    platform: input.platform,
    local: isLocal(table),
    redact: input.redact,
    findings,
    keyFiles: input.keyFiles,
  };

  checkName(ctx);
  if (transport === 'unknown') checkMissingTransport(ctx, input.siblings ?? []);
  const forbidden = checkForbiddenFields(ctx);
  checkInlineBearer(ctx);
  // A mis-keyed sub-table (`[mcp_servers."x.env"]`) holds env entries, not server keys: one finding says so.
  if (!(transport === 'unknown' && misKeyedSubTable(name, input.siblings ?? []))) checkUnknownKeys(ctx);
  checkValues(ctx, forbidden);
  checkLegacyKeys(ctx);
  if (transport !== 'unknown') {
    checkEnvReferences(ctx);
    checkUnexpandedVars(ctx);
  }
  if (table.enabled === false) {
    addFinding(ctx, 'config.server-disabled', {
      message: `${where(ctx)} has \`enabled = false\`: Codex does not start it, and mcp-doctor does not probe it.`,
      fix: { summary: 'Set `enabled = true` (or delete the line) to use it.', toml: serverSnippet(name, [['enabled', true]]) },
    });
  }

  const config = normalizeServer(name, table, input.source);
  if (input.definedIn && input.definedIn.length > 1) config.definedIn = input.definedIn;
  return { config, findings };
}

function checkName(ctx: ServerCheckContext): void {
  if (SERVER_NAME.test(ctx.name)) return;
  const better = sanitizeServerName(ctx.name);
  const keep: Array<[string, unknown]> = [];
  if (typeof ctx.table.command === 'string') keep.push(['command', ctx.table.command]);
  else if (typeof ctx.table.url === 'string') keep.push(['url', ctx.redact.url(ctx.table.url)]);
  const tolerated = CURRENT_SERVER_NAME.test(ctx.name);
  addFinding(ctx, 'config.invalid-server-name', {
    // Codex 0.169 widened the pattern to ^[a-zA-Z0-9_:@/.-]+$ (measured with the Codex oracle), so
    // `@scope/pkg` or `a.b` start there: a warning, since older releases and other clients refuse them.
    severity: tolerated ? 'warning' : 'error',
    message: tolerated
      ? `The server name ${JSON.stringify(ctx.name)} does not match ^[a-zA-Z0-9_-]+$. Current Codex accepts it (it exposes the tools as mcp__${ctx.name.replace(/[^a-zA-Z0-9_-]/g, '_')}), but older Codex releases fail to start it ("Invalid MCP server name '${ctx.name}': must match pattern ^[a-zA-Z0-9_-]+$").`
      : `The server name ${JSON.stringify(ctx.name)} has characters Codex rejects, so Codex fails to start it ("Invalid MCP server name '${ctx.name}': must match pattern ^[a-zA-Z0-9_:@/.-]+$"; older releases allow only ^[a-zA-Z0-9_-]+$).`,
    evidence: { name: ctx.name, file: ctx.source },
    fix: {
      summary: `Rename the table to ${serverHeader(better)}, keeping its keys${ctx.transport === 'streamable_http' ? `; if it uses OAuth, run \`codex mcp login ${better}\` again (credentials are stored by name)` : ''}.`,
      toml: [serverHeader(better), `# the keys of ${serverHeader(ctx.name)}, unchanged`, ...keep.map(([k, v]) => `${k} = ${tomlValue(v)}`)].join('\n'),
      // Moving a whole table is not a key edit: shown, never applied.
      template: true,
    },
  });
}

function misKeyedSubTable(name: string, siblings: string[]): string | undefined {
  const dot = name.indexOf('.');
  const parent = dot > 0 ? name.slice(0, dot) : undefined;
  return parent && siblings.includes(parent) ? parent : undefined;
}

function checkMissingTransport(ctx: ServerCheckContext, siblings: string[]): void {
  const hints: string[] = [];
  const summary = 'Add `command = "..."` (a local stdio server) or `url = "https://.../mcp"` (a Streamable HTTP server), or delete the table.';
  const foreignUrl = ['serverUrl', 'httpUrl', 'endpoint', 'uri'].find((k) => typeof ctx.table[k] === 'string');
  const parent = misKeyedSubTable(ctx.name, siblings);
  const dot = ctx.name.indexOf('.');
  const builtIn = Object.hasOwn(BUILT_IN_SERVERS, ctx.name) ? BUILT_IN_SERVERS[ctx.name] : undefined;
  const optionKeys = Object.keys(ctx.table);
  let fix: Fix | undefined;
  if (builtIn) {
    hints.push(`"${ctx.name}" is ${builtIn}; a table that only adjusts options for it still needs a transport`);
    fix = {
      summary:
        ctx.name === 'codex_apps'
          ? 'Delete the table: the built-in server cannot be configured this way. To turn it off instead, set `apps = false` under [features].'
          : 'Delete the table; the desktop app provides this server itself.',
      table: 'mcp_servers',
      remove: [ctx.name],
    };
  } else if (foreignUrl) {
    hints.push(`it has \`${foreignUrl}\`, which is another client's name for \`url\``);
    fix = {
      summary: `Rename \`${foreignUrl}\` to \`url\`.`,
      toml: serverSnippet(ctx.name, [['url', ctx.redact.url(ctx.table[foreignUrl] as string)]]),
      remove: [foreignUrl],
    };
  } else if (parent) {
    const sub = ctx.name.slice(dot + 1);
    hints.push(`the quoted key "${ctx.name}" makes a separate server, not the \`${sub}\` sub-table of ${serverHeader(parent)}`);
    fix = {
      summary: `Write the sub-table with a dotted, unquoted key: ${serverHeader(parent, ...sub.split('.'))}.`,
      toml: `${serverHeader(parent, ...sub.split('.'))}\n# the entries of ${serverHeader(ctx.name)}, unchanged`,
      template: true,
    };
  } else if (optionKeys.length > 0 && optionKeys.every((k) => !['args', 'env', 'cwd'].includes(k))) {
    hints.push('a table that only sets options is valid only if another config layer supplies `command` or `url` for the same name');
  }
  addFinding(ctx, 'config.missing-transport', {
    message: `${where(ctx)} has neither \`command\` nor \`url\`, so Codex refuses the whole config ("invalid transport" in \`mcp_servers.${ctx.name}\`)${hints.length ? `: ${hints.join('; ')}` : ''}.`,
    evidence: { keys: optionKeys, file: ctx.source },
    fix: fix ?? { summary },
  });
}

/** `throw_if_set`: one finding per field the inferred transport rejects. */
function checkForbiddenFields(ctx: ServerCheckContext): Set<string> {
  const reported = new Set<string>();
  if (ctx.transport === 'unknown') return reported;
  const transport: ServerTransport = ctx.transport;
  for (const field of FORBIDDEN_FIELDS[transport]) {
    if (ctx.table[field] === undefined) continue;
    reported.add(field);
    let why = transport === 'stdio' ? `${where(ctx)} has \`command\`, so Codex treats it as a stdio server` : `${where(ctx)} has \`url\` and no \`command\`, so Codex treats it as a Streamable HTTP server`;
    let fix: Fix = {
      summary: `Delete \`${field}\`${transport === 'stdio' ? ' (stdio servers get settings from their command line and environment)' : ''}.`,
      table: serverTableKey(ctx.name),
      remove: [field],
    };
    if (field === 'url') {
      why = `${where(ctx)} has both \`command\` and \`url\`: \`command\` wins, so Codex treats it as a stdio server`;
      // Which transport the user meant is theirs to say: no edit is proposed.
      fix = { summary: 'Keep one transport: delete `url` to launch the command, or delete `command` (and `args`, `env`, `env_vars`, `cwd`) to connect to the URL.' };
    } else if (field === 'bearer_token_env_var' && typeof ctx.table.bearer_token_env_var === 'string') {
      fix = {
        summary: 'A stdio server reads credentials from its environment: delete `bearer_token_env_var` and forward the variable with `env_vars` (under the name the server expects).',
        toml: serverSnippet(ctx.name, [['env_vars', envVarsWith(ctx, [ctx.table.bearer_token_env_var])]]),
        remove: [field],
      };
    } else if (transport === 'streamable_http' && (field === 'env' || field === 'env_vars')) {
      fix.summary = `Delete \`${field}\`: Codex starts no process for an HTTP server, so there is no environment to set. Send credentials with \`bearer_token_env_var\` or \`env_http_headers\`.`;
    }
    addFinding(ctx, 'config.unsupported-field', {
      message: `${why} and refuses the whole config: "${field} is not supported for ${transport}".`,
      evidence: { key: field, transport, file: ctx.source },
      fix,
    });
  }
  return reported;
}

function checkInlineBearer(ctx: ServerCheckContext): void {
  if (ctx.table.bearer_token === undefined) return;
  const transport = ctx.transport === 'stdio' ? 'stdio' : 'streamable_http';
  const variable = typeof ctx.table.bearer_token_env_var === 'string' ? ctx.table.bearer_token_env_var : suggestedVarName(ctx.name);
  const already = typeof ctx.table.bearer_token_env_var === 'string';
  const rotate = keyInProject(ctx, 'bearer_token') ? ' This file is a project config and may be committed: rotate the token.' : '';
  const fix: Fix =
    ctx.transport === 'stdio'
      ? {
          summary: `Delete \`bearer_token\`: a stdio server reads credentials from its environment. Export the token under the name the server expects and forward it with \`env_vars\`.${rotate}`,
          toml: serverSnippet(ctx.name, [['env_vars', envVarsWith(ctx, [variable])]]),
          remove: ['bearer_token'],
          command: exportCommand(variable, '<your token>', ctx.platform),
        }
      : already
        ? { summary: `Delete the \`bearer_token\` line; \`bearer_token_env_var\` already names ${variable}.${rotate}`, table: serverTableKey(ctx.name), remove: ['bearer_token'] }
        : {
            summary: `Delete the \`bearer_token\` line, put the token in the environment variable ${variable} and name it with \`bearer_token_env_var\`.${rotate}`,
            toml: serverSnippet(ctx.name, [['bearer_token_env_var', variable]]),
            remove: ['bearer_token'],
            command: exportCommand(variable, '<your token>', ctx.platform),
          };
  addFinding(ctx, 'config.inline-bearer-token', {
    message: `${where(ctx)} has an inline \`bearer_token\`. Codex refuses the whole config ("bearer_token is not supported for ${transport}"), so every Codex session fails to start, not only this server.`,
    evidence: { key: 'bearer_token', file: ctx.source },
    fix,
  });
}

/**
 * `startup_timeout_ms` still works (Codex reads it when `startup_timeout_sec` is unset), so alone
 * it is only worth knowing: info. Next to `startup_timeout_sec` it is silently ignored, and the
 * user's value has no effect: warning, like an unknown key.
 */
function checkLegacyKeys(ctx: ServerCheckContext): void {
  for (const [old, successor] of Object.entries(RENAMED_SERVER_KEYS)) {
    if (ctx.table[old] === undefined) continue;
    const both = ctx.table[successor] !== undefined;
    addFinding(ctx, 'config.obsolete-field', {
      message: `\`${old}\` in ${where(ctx)} is the earlier name of \`${successor}\`; current Codex ignores it ("\`mcp_servers.${ctx.name}.${old}\` is ignored")${both ? `, and \`${successor}\` is set anyway` : ''}.`,
      evidence: { key: old, file: ctx.source },
      fix: both
        ? { summary: `Delete \`${old}\`.`, table: serverTableKey(ctx.name), remove: [old] }
        : { summary: `Rename \`${old}\` to \`${successor}\`.`, table: serverTableKey(ctx.name), rename: { [old]: successor } },
    });
  }
  const ms = ctx.table.startup_timeout_ms;
  if (ms === undefined || !(typeof ms === 'number' || typeof ms === 'bigint')) return;
  const sec = ctx.table.startup_timeout_sec;
  if (sec !== undefined) {
    addFinding(ctx, 'config.obsolete-field', {
      severity: 'warning',
      message: `${where(ctx)} sets both \`startup_timeout_sec\` and the legacy \`startup_timeout_ms\`; Codex ignores \`startup_timeout_ms\` (${String(ms)} ms) and uses \`startup_timeout_sec\`.`,
      evidence: { key: 'startup_timeout_ms', file: ctx.source },
      fix: { summary: 'Delete `startup_timeout_ms`; `startup_timeout_sec` is the one Codex uses.', table: serverTableKey(ctx.name), remove: ['startup_timeout_ms'] },
    });
    return;
  }
  const seconds = Math.max(1, Math.ceil(Number(ms) / 1000));
  addFinding(ctx, 'config.obsolete-field', {
    severity: 'info',
    message: `${where(ctx)} uses the legacy \`startup_timeout_ms\` (${String(ms)} ms); Codex still honours it, but \`startup_timeout_sec\` is the documented key.`,
    evidence: { key: 'startup_timeout_ms', file: ctx.source },
    fix: { summary: 'Replace `startup_timeout_ms` with `startup_timeout_sec`.', toml: serverSnippet(ctx.name, [['startup_timeout_sec', seconds]]), remove: ['startup_timeout_ms'] },
  });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function stringTable(value: unknown): Record<string, string> {
  if (!isTable(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * The effective settings of one table, as the later stages use them. Values of the wrong type
 * fall back to Codex's defaults; the config stage has reported them, and the server is not probed.
 */
export function normalizeServer(name: string, table: Record<string, unknown>, source: string): ServerConfig {
  const transport = inferTransport(table);
  const sec = seconds(table.startup_timeout_sec);
  const ms = table.startup_timeout_sec === undefined ? seconds(table.startup_timeout_ms) : undefined;
  const startup = sec ?? (ms !== undefined ? ms / 1000 : undefined);
  const envVars: EnvVarRef[] = Array.isArray(table.env_vars)
    ? table.env_vars.flatMap((entry): EnvVarRef[] => {
        if (typeof entry === 'string') return [{ name: entry, source: 'local' }];
        if (isTable(entry) && typeof entry.name === 'string') return [{ name: entry.name, source: entry.source === 'remote' ? 'remote' : 'local' }];
        return [];
      })
    : [];
  const oauth = isTable(table.oauth)
    ? {
        clientId: str(table.oauth.client_id),
        callbackUrl: str(table.oauth.callback_url),
        callbackPort: typeof table.oauth.callback_port === 'number' ? table.oauth.callback_port : undefined,
      }
    : undefined;
  const environment = str(table.environment_id);
  return {
    name,
    source,
    transport,
    raw: table,
    enabled: table.enabled !== false,
    required: table.required === true,
    command: str(table.command),
    args: strings(table.args),
    env: stringTable(table.env),
    envVars,
    cwd: str(table.cwd),
    url: str(table.url),
    bearerTokenEnvVar: str(table.bearer_token_env_var),
    httpHeaders: stringTable(table.http_headers),
    envHttpHeaders: stringTable(table.env_http_headers),
    httpHeadersHelper: str(table.http_headers_helper),
    oauthResource: str(table.oauth_resource),
    oauth,
    auth: table.auth === 'chatgpt' ? 'chatgpt' : table.auth === 'oauth' ? 'oauth' : undefined,
    scopes: Array.isArray(table.scopes) ? strings(table.scopes) : undefined,
    environmentId: environment,
    startupTimeoutSec: startup ?? CODEX_DEFAULT_STARTUP_TIMEOUT_SEC,
    startupTimeoutExplicit: startup !== undefined,
    toolTimeoutSec: seconds(table.tool_timeout_sec),
    enabledTools: Array.isArray(table.enabled_tools) ? strings(table.enabled_tools) : undefined,
    disabledTools: Array.isArray(table.disabled_tools) ? strings(table.disabled_tools) : undefined,
  };
}
