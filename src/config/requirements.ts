import { isTable } from './check-context.ts';

/**
 * The MCP part of `requirements.toml`, the administrator's allow-list (Codex 0.171.0,
 * codex-rs/config/src/mcp_requirements.rs; confirmed with the Codex oracle):
 *
 *   [mcp_servers.docs.identity]          exact: the server's `command` (stdio) or `url` (HTTP)
 *   command = "npx"                       must equal this string as written
 *
 *   [mcp_servers.api]                     matchers: `{ match = "exact" | "prefix", value }` or
 *   identity = { url = { match = "prefix", value = "https://mcp.example.com/" } }
 *                                         `{ match = "regex", expression }` (a full match)
 *   identity = { command = { executable = "uvx", args = [{ match = "exact", value = "pkg" }] } }
 *                                         (executable equal, as many args as matchers, each matching)
 *
 * Once the file has an `mcp_servers` table, every configured server that is not named there, or
 * whose identity does not match, is disabled: Codex sets `enabled = false` and lists it as
 * `disabled: requirements (/etc/codex/requirements.toml)` (`mcp_servers = {}` disables all).
 * Nothing fails; the server is simply not started. A malformed entry stops Codex from loading at
 * all ("failed to parse requirements layer …").
 */

type ValueMatcher = { match: 'exact' | 'prefix'; value: string } | { match: 'regex'; expression: string };

export type McpRequirement =
  | { kind: 'command'; command: string }
  | { kind: 'url'; url: string }
  | { kind: 'command-matcher'; executable: string; args: ValueMatcher[] }
  | { kind: 'url-matcher'; url: ValueMatcher };

export interface McpPolicy {
  /** The requirements file, as Codex names it in `disabled: requirements (<file>)`. */
  file: string;
  servers: Map<string, McpRequirement>;
}

export type PolicyParse = { ok: true; policy?: McpPolicy } | { ok: false; key: string; reason: string };

function valueMatcher(value: unknown): ValueMatcher | string {
  if (!isTable(value)) return 'a matcher must be a table with `match`';
  const keys = Object.keys(value).sort().join(',');
  if ((value.match === 'exact' || value.match === 'prefix') && typeof value.value === 'string' && keys === 'match,value') return { match: value.match, value: value.value };
  if (value.match === 'regex' && typeof value.expression === 'string' && keys === 'expression,match') {
    try {
      fullMatch(value.expression);
    } catch (error) {
      return `invalid regex \`${value.expression}\`: ${(error as Error).message}`;
    }
    return { match: 'regex', expression: value.expression };
  }
  return 'expected { match = "exact" | "prefix", value = "…" } or { match = "regex", expression = "…" }';
}

function identityOf(identity: unknown): McpRequirement | string {
  if (!isTable(identity)) return 'missing field `identity`';
  // Exact identities come first, as in Codex's untagged enum (extra keys are ignored there).
  if (typeof identity.command === 'string') return { kind: 'command', command: identity.command };
  if (typeof identity.url === 'string') return { kind: 'url', url: identity.url };
  if (isTable(identity.command) && Object.keys(identity).length === 1) {
    const m = identity.command;
    if (typeof m.executable !== 'string' || !Array.isArray(m.args) || Object.keys(m).some((k) => k !== 'executable' && k !== 'args')) {
      return 'a command matcher is { executable = "…", args = [matchers] }';
    }
    const args: ValueMatcher[] = [];
    for (const [index, arg] of m.args.entries()) {
      const parsed = valueMatcher(arg);
      if (typeof parsed === 'string') return `invalid argument matcher at index ${index}: ${parsed}`;
      args.push(parsed);
    }
    return { kind: 'command-matcher', executable: m.executable, args };
  }
  if (isTable(identity.url) && Object.keys(identity).length === 1) {
    const parsed = valueMatcher(identity.url);
    return typeof parsed === 'string' ? parsed : { kind: 'url-matcher', url: parsed };
  }
  return 'data did not match any variant of untagged enum RawMcpServerIdentity';
}

/** Reads the `mcp_servers` allow-list of a parsed requirements.toml. No table: no policy. */
export function mcpPolicyOf(document: Record<string, unknown>, file: string): PolicyParse {
  const table = document.mcp_servers;
  if (table === undefined) return { ok: true };
  if (!isTable(table)) return { ok: false, key: 'mcp_servers', reason: 'expected a table of servers' };
  const servers = new Map<string, McpRequirement>();
  for (const [name, entry] of Object.entries(table)) {
    if (!isTable(entry)) return { ok: false, key: `mcp_servers.${name}`, reason: 'expected a table with `identity`' };
    const parsed = identityOf(entry.identity);
    if (typeof parsed === 'string') return { ok: false, key: `mcp_servers.${name}${entry.identity === undefined ? '' : '.identity'}`, reason: parsed };
    servers.set(name, parsed);
  }
  return { ok: true, policy: { file, servers } };
}

/** `\A(?:expr)\z`: Rust's regex anchors; JavaScript's `$` without the m flag is the end of input too. */
function fullMatch(expression: string): RegExp {
  return new RegExp(`^(?:${expression})$`, 'u');
}

function matches(m: ValueMatcher, candidate: string): boolean {
  if (m.match === 'regex') return fullMatch(m.expression).test(candidate);
  return m.match === 'exact' ? candidate === m.value : candidate.startsWith(m.value);
}

export interface ServerIdentity {
  transport: 'stdio' | 'streamable_http' | 'unknown';
  command?: string;
  args: string[];
  url?: string;
}

/** Why Codex disables the server under this policy; undefined when it is allowed. */
export function disallowedReason(policy: McpPolicy, name: string, server: ServerIdentity): string | undefined {
  const requirement = policy.servers.get(name);
  if (!requirement) {
    return policy.servers.size === 0 ? `${policy.file} allows no MCP server (\`mcp_servers = {}\`)` : `${policy.file} does not list \`${name}\` among the allowed MCP servers (it allows ${[...policy.servers.keys()].join(', ')})`;
  }
  const stdio = server.transport === 'stdio';
  const http = server.transport === 'streamable_http';
  switch (requirement.kind) {
    case 'command':
      if (stdio && server.command === requirement.command) return undefined;
      return `${policy.file} allows \`${name}\` only as the stdio command ${JSON.stringify(requirement.command)}${stdio ? `, but its command is ${JSON.stringify(server.command)}` : ', but it is an HTTP server'}`;
    case 'url':
      if (http && server.url === requirement.url) return undefined;
      return `${policy.file} allows \`${name}\` only at the URL ${requirement.url}${http ? `, but its url is ${server.url}` : ', but it is a stdio server'}`;
    case 'command-matcher': {
      if (stdio && server.command === requirement.executable && requirement.args.length === server.args.length && requirement.args.every((m, i) => matches(m, server.args[i]!))) return undefined;
      if (!stdio) return `${policy.file} allows \`${name}\` only as the stdio command ${JSON.stringify(requirement.executable)}, but it is an HTTP server`;
      if (server.command !== requirement.executable) return `${policy.file} allows \`${name}\` only with the executable ${JSON.stringify(requirement.executable)}, but its command is ${JSON.stringify(server.command)}`;
      if (requirement.args.length !== server.args.length) return `${policy.file} allows \`${name}\` only with exactly ${requirement.args.length} argument${requirement.args.length === 1 ? '' : 's'}, but it has ${server.args.length}`;
      const bad = requirement.args.findIndex((m, i) => !matches(m, server.args[i]!));
      return `${policy.file} does not allow argument ${bad} of \`${name}\` (${JSON.stringify(server.args[bad])} does not match ${describeMatcher(requirement.args[bad]!)})`;
    }
    case 'url-matcher':
      if (http && matches(requirement.url, server.url ?? '')) return undefined;
      return `${policy.file} allows \`${name}\` only at a URL matching ${describeMatcher(requirement.url)}${http ? `, but its url is ${server.url}` : ', but it is a stdio server'}`;
  }
}

function describeMatcher(m: ValueMatcher): string {
  return m.match === 'regex' ? `the regex ${m.expression}` : `${m.match} ${JSON.stringify(m.value)}`;
}
