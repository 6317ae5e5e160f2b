import { addFinding, isTable, typeName, where, type ServerCheckContext } from './check-context.ts';
import { APPROVAL_MODES, AUTH_MODES, ENV_VAR_SOURCES, TOOL_SURFACES } from './codex-keys.ts';
import { serverSnippet } from './toml-snippet.ts';
import { isFloatLiteral } from './float-literals.ts';

/**
 * Type checks of known keys, as Codex deserializes them (`RawMcpServerConfig`). A value serde
 * cannot deserialize makes Codex refuse the whole config, not only this server.
 */
type Kind =
  | 'string'
  | 'command'
  | 'cwd'
  | 'url'
  | 'bool'
  | 'seconds'
  | 'millis'
  | 'strings'
  | 'args'
  | 'string-table'
  | 'env-vars'
  | 'oauth'
  | 'tools'
  | 'approval'
  | 'auth'
  | 'surfaces'
  | 'helper';

const KINDS: Record<string, Kind> = {
  command: 'command',
  args: 'args',
  env: 'string-table',
  env_vars: 'env-vars',
  cwd: 'cwd',
  url: 'url',
  bearer_token_env_var: 'string',
  http_headers: 'string-table',
  env_http_headers: 'string-table',
  http_headers_helper: 'helper',
  oauth_resource: 'string',
  oauth: 'oauth',
  auth: 'auth',
  scopes: 'strings',
  enabled: 'bool',
  required: 'bool',
  supports_parallel_tool_calls: 'bool',
  startup_timeout_sec: 'seconds',
  tool_timeout_sec: 'seconds',
  startup_timeout_ms: 'millis',
  enabled_tools: 'strings',
  disabled_tools: 'strings',
  omit_tools_from: 'surfaces',
  environment_id: 'string',
  experimental_environment: 'string',
  default_tools_approval_mode: 'approval',
  tools: 'tools',
  name: 'string',
};

interface Problem {
  /** What Codex expects, e.g. "a number of seconds". */
  expected: string;
  /** Replaces the default "is X; Codex expects Y" sentence. */
  detail?: string;
  /** A corrected value for the fix snippet, when one can be inferred safely. */
  suggestion?: unknown;
  /** A sub-table the suggestion belongs to (`[mcp_servers.NAME.env]`). */
  suggestionTable?: string;
  /** False when Codex loads the config and only this server fails. */
  refusesConfig?: boolean;
  /** Replaces both the consequence sentence and the default severity, for values that break less. */
  consequence?: string;
  severity?: 'warning';
}

function isInteger(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

function numberFromText(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds)?\s*$/i.exec(value);
  return match ? Number(match[1]) : undefined;
}

function boolFromText(value: unknown): boolean | undefined {
  if (value === 1 || value === 'true' || value === 'yes' || value === 'on' || value === '1') return true;
  if (value === 0 || value === 'false' || value === 'no' || value === 'off' || value === '0') return false;
  return undefined;
}

function checkEnum(value: unknown, allowed: readonly string[], expected: string): Problem | undefined {
  if (typeof value === 'string' && allowed.includes(value)) return undefined;
  const lower = typeof value === 'string' ? value.toLowerCase() : undefined;
  return {
    expected,
    detail: typeof value === 'string' ? `is "${value}", which Codex does not accept (expected ${expected})` : undefined,
    suggestion: lower && allowed.includes(lower) ? lower : undefined,
  };
}

function checkStrings(value: unknown, splitWords: boolean): Problem | undefined {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return undefined;
  if (typeof value === 'string') {
    const words = splitWords ? value.split(/\s+/).filter(Boolean) : [value];
    return { expected: 'an array of strings', suggestion: words };
  }
  if (Array.isArray(value)) {
    const fixable = value.every((v) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'string');
    return {
      expected: 'an array of strings',
      detail: 'is an array with entries that are not strings; Codex expects an array of strings',
      suggestion: fixable ? value.map(String) : undefined,
    };
  }
  return { expected: 'an array of strings' };
}

function checkKind(kind: Kind, value: unknown, ctx: ServerCheckContext): Problem | undefined {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : { expected: 'a string', suggestion: typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined };
    case 'cwd':
      if (typeof value !== 'string') return { expected: 'a string (a directory)' };
      // Codex starts the server in "" as given, and the start fails (measured with 0.171.0:
      // "No such file or directory (os error 2)"; found by blind testing).
      if (value === '') return { expected: 'a directory', detail: 'is empty: Codex starts the server in no directory at all and the start fails ("No such file or directory (os error 2)")', refusesConfig: false };
      return undefined;
    case 'command':
      if (typeof value !== 'string') return { expected: 'a string (the program to run)' };
      if (value.trim() === '') return { expected: 'a program name or path', detail: 'is empty, so Codex has nothing to start', refusesConfig: false };
      return undefined;
    case 'url': {
      if (typeof value !== 'string') return { expected: 'a string (the http:// or https:// endpoint)' };
      if (/^https?:\/\/[^/\s]/i.test(value)) {
        try {
          new URL(value);
          return undefined;
        } catch {
          return { expected: 'a valid http:// or https:// URL', detail: 'is not a valid URL, so Codex cannot connect to it', refusesConfig: false };
        }
      }
      const schemeless = /^(?![a-z][a-z0-9+.-]*:\/\/)[^\s/]+(?::\d+)?(?:\/\S*)?$/i.test(value) && !value.includes('://');
      const local = /^(?:localhost|127\.|\[::1\]|0\.0\.0\.0)/i.test(value);
      return {
        expected: 'an http:// or https:// URL',
        detail: /^(?:wss?|sse):/i.test(value)
          ? 'uses a scheme Codex does not speak: Streamable HTTP endpoints are http:// or https://'
          : 'is not an http:// or https:// URL, so Codex cannot connect to it',
        suggestion: schemeless && value !== '' ? `${local ? 'http' : 'https'}://${value}` : undefined,
        refusesConfig: false,
      };
    }
    case 'bool':
      return typeof value === 'boolean' ? undefined : { expected: 'true or false', suggestion: boolFromText(value) };
    case 'seconds': {
      if (typeof value === 'bigint') return value < 0n ? { expected: 'a non-negative number of seconds', detail: 'is negative; Codex expects a non-negative number of seconds' } : undefined;
      if (typeof value === 'number') {
        if (Number.isNaN(value) || !Number.isFinite(value)) return { expected: 'a finite number of seconds', detail: `is ${value}; Codex expects a finite, non-negative number of seconds` };
        if (value < 0) return { expected: 'a non-negative number of seconds', detail: 'is negative; Codex expects a non-negative number of seconds' };
        // Codex makes a Duration of it, which holds at most 2^64 − 1 seconds ("cannot convert float
        // seconds to Duration", measured with 0.171.0 for 2e19 and 1e300; found by blind testing).
        if (value >= 2 ** 64) return { expected: 'a number of seconds below 2^64', detail: `is ${value}, more seconds than Codex can hold ("cannot convert float seconds to Duration: value is either too big or NaN")` };
        return undefined;
      }
      return { expected: 'a number of seconds (e.g. 60)', suggestion: typeof value === 'string' ? numberFromText(value) : undefined };
    }
    case 'millis': {
      if (isInteger(value) && value >= 0 && !isFloatLiteral(ctx.table, 'startup_timeout_ms')) return undefined;
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
        return { expected: 'a whole number of milliseconds', detail: `is written as a float (${String(value)}.0 or with an exponent); Codex reads startup_timeout_ms as a whole number and refuses a float ("invalid type: floating point, expected u64")`, suggestion: value <= Number.MAX_SAFE_INTEGER ? value : undefined };
      }
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
        return { expected: 'a whole number of milliseconds', detail: 'is a float; Codex expects a whole number of milliseconds', suggestion: Math.round(value) };
      }
      return { expected: 'a non-negative whole number of milliseconds', suggestion: typeof value === 'string' ? numberFromText(value) : undefined };
    }
    case 'strings':
      return checkStrings(value, false);
    case 'args':
      return checkStrings(value, true);
    case 'string-table': {
      if (!isTable(value)) return { expected: 'a table of strings (e.g. { KEY = "value" })' };
      const bad = Object.entries(value).filter(([, v]) => typeof v !== 'string');
      if (bad.length === 0) return undefined;
      const scalar = bad.every(([, v]) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint');
      return {
        expected: 'a table of strings',
        detail: `has values that are not strings (${bad.map(([k, v]) => `${k} is ${typeName(v)}`).join(', ')}); Codex expects every value to be a quoted string`,
        // Only the offending entries: the others may be secrets and are not repeated.
        suggestion: scalar ? Object.fromEntries(bad.map(([k, v]) => [k, String(v)])) : undefined,
        suggestionTable: 'self',
      };
    }
    case 'env-vars': {
      if (!Array.isArray(value)) {
        return { expected: 'an array of variable names', suggestion: typeof value === 'string' ? [value] : undefined };
      }
      for (const entry of value) {
        if (typeof entry === 'string') continue;
        if (!isTable(entry)) return { expected: 'an array of names or { name = "X", source = "local" } tables', detail: `has an entry that is ${typeName(entry)}; each entry must be a variable name or { name = "X", source = "local" | "remote" }` };
        const extra = Object.keys(entry).filter((k) => k !== 'name' && k !== 'source');
        if (typeof entry.name !== 'string' || extra.length > 0) {
          return {
            expected: '{ name = "X", source = "local" | "remote" }',
            detail: extra.length > 0 ? `has an entry with unexpected keys (${extra.join(', ')}); an entry is { name = "X", source = "local" | "remote" } and nothing else` : 'has a table entry without a string `name`',
          };
        }
        if (entry.source !== undefined && !(typeof entry.source === 'string' && (ENV_VAR_SOURCES as readonly string[]).includes(entry.source))) {
          return {
            expected: 'source = "local" or "remote"',
            detail: `has an entry with source ${typeof entry.source === 'string' ? `\`${entry.source}\`` : typeName(entry.source)}: Codex says "unsupported env_vars source \`${String(entry.source)}\`; expected \`local\` or \`remote\`"`,
          };
        }
        if (entry.source === 'remote' && ctx.local) {
          return {
            expected: 'source = "local" for a server Codex starts locally',
            detail: `has entry \`${entry.name}\` with source "remote", which only works when the server runs in a remote environment: Codex fails to start it ("env_vars entry \`${entry.name}\` uses source \`remote\`, which requires remote MCP stdio")`,
            refusesConfig: false,
          };
        }
      }
      return undefined;
    }
    case 'oauth': {
      if (!isTable(value)) return { expected: 'a table { client_id = "...", callback_url = "...", callback_port = 1234 }' };
      if (value.client_id !== undefined && typeof value.client_id !== 'string') return { expected: 'client_id as a string', detail: `has client_id as ${typeName(value.client_id)}; Codex expects a string` };
      if (value.callback_url !== undefined && !(typeof value.callback_url === 'string' && /^https?:\/\/\S+$/i.test(value.callback_url))) {
        return { expected: 'callback_url as an http(s) URL', detail: 'has a callback_url that is not an http(s) URL' };
      }
      const port = value.callback_port;
      // Measured: 0 deserializes (u16) and only the login refuses it; anything outside u16 fails the load.
      if (port !== undefined && isInteger(port) && Number(port) === 0) {
        return {
          expected: 'callback_port between 1 and 65535',
          detail: 'has callback_port 0',
          consequence: 'Codex loads the config, but `codex mcp login` fails ("invalid MCP OAuth callback port `0`: port must be between 1 and 65535").',
          severity: 'warning',
        };
      }
      if (port !== undefined && !(isInteger(port) && port >= 1 && port <= 65535)) {
        return { expected: 'callback_port between 1 and 65535', detail: `has callback_port ${isInteger(port) ? String(port) : typeName(port)}; Codex expects a port between 1 and 65535` };
      }
      return undefined;
    }
    case 'tools': {
      if (!isTable(value)) return { expected: 'a table of per-tool tables ([mcp_servers.NAME.tools.TOOL])' };
      for (const [tool, config] of Object.entries(value)) {
        if (!isTable(config)) return { expected: 'a table per tool', detail: `has tools.${tool} as ${typeName(config)}; each tool takes a table such as { approval_mode = "prompt" }` };
        if (config.approval_mode !== undefined && !(typeof config.approval_mode === 'string' && (APPROVAL_MODES as readonly string[]).includes(config.approval_mode))) {
          return { expected: `approval_mode ${APPROVAL_MODES.map((m) => `"${m}"`).join(' | ')}`, detail: `has tools.${tool}.approval_mode ${JSON.stringify(config.approval_mode)}, which Codex does not accept` };
        }
        const limit = config.output_token_limit;
        if (limit !== undefined && !(isInteger(limit) && limit > 0)) {
          return { expected: 'output_token_limit as a positive integer', detail: `has tools.${tool}.output_token_limit as ${typeName(limit)}; Codex expects a positive integer` };
        }
      }
      return undefined;
    }
    case 'approval':
      return checkEnum(value, APPROVAL_MODES, APPROVAL_MODES.map((m) => `"${m}"`).join(' | '));
    case 'auth':
      return checkEnum(value, AUTH_MODES, AUTH_MODES.map((m) => `"${m}"`).join(' | '));
    case 'surfaces': {
      const strings = checkStrings(value, false);
      if (strings) return { ...strings, expected: `an array of ${TOOL_SURFACES.map((m) => `"${m}"`).join(' | ')}` };
      const bad = (value as string[]).filter((v) => !(TOOL_SURFACES as readonly string[]).includes(v));
      if (bad.length === 0) return undefined;
      return {
        expected: `an array of ${TOOL_SURFACES.map((m) => `"${m}"`).join(' | ')}`,
        detail: `names ${bad.map((b) => `"${b}"`).join(', ')}, which Codex does not accept (surfaces: ${TOOL_SURFACES.join(', ')})`,
      };
    }
    case 'helper':
      if (typeof value !== 'string') return { expected: 'a string (a shell command printing a JSON object of headers)' };
      if (value.trim() === '') return { expected: 'a non-empty command', detail: 'is blank: Codex says "http_headers_helper must not be empty"' };
      if (!ctx.local) return { expected: 'a local server', detail: 'is set on a server with a remote environment_id: Codex says "http_headers_helper is only supported for local MCP servers"' };
      return undefined;
  }
}

/** Type-checks each known key present in the table, skipping the ones `skip` names (already reported). */
export function checkValues(ctx: ServerCheckContext, skip: ReadonlySet<string>): void {
  for (const [key, value] of Object.entries(ctx.table)) {
    const kind = KINDS[key];
    if (!kind || skip.has(key)) continue;
    const problem = checkKind(kind, value, ctx);
    if (!problem) continue;
    const refuses = problem.refusesConfig !== false && problem.consequence === undefined;
    const what = problem.detail ?? `is ${typeName(value)}; Codex expects ${problem.expected}`;
    const consequence = problem.consequence ?? (refuses ? 'Codex refuses the whole config until it is fixed.' : 'Codex loads the config but cannot start this server.');
    let toml: string | undefined;
    if (problem.suggestion !== undefined) {
      const suggestion = ctx.redact.value(problem.suggestion);
      toml =
        problem.suggestionTable === 'self'
          ? serverSnippet(ctx.name, Object.entries(suggestion as Record<string, unknown>), [key])
          : serverSnippet(ctx.name, [[key, suggestion]]);
    }
    addFinding(ctx, 'config.invalid-value', {
      ...(problem.severity ? { severity: problem.severity } : {}),
      message: `\`${key}\` in ${where(ctx)} ${what}. ${consequence}`,
      evidence: { key, expected: problem.expected, got: typeName(value), file: ctx.source },
      fix: toml ? { summary: `Write \`${key}\` as ${problem.expected}.`, toml } : { summary: `Write \`${key}\` as ${problem.expected}.` },
    });
  }
}
