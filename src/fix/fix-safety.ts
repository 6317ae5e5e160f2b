import type { ServerConfig } from '../config/server-config.ts';
import type { Fix } from '../types.ts';
import type { TableEdit } from './toml-edit.ts';
import { tomlEqual } from './toml-value.ts';

/**
 * Whether a fix may be tried on a temporary copy of the config (docs/fixes.md, "Proven fixes").
 * Trying means probing the server again with the change, so only changes that stay within what
 * the user already configured qualify: a longer timeout, forwarding variables that exist, tool
 * filters, dropping or renaming keys, another endpoint on the same host. Not: anything that
 * needs a login or a command first, a new program to run (which may install packages), new
 * secrets or credentials, or sending the user's headers to another host.
 */
export type Tryability = { ok: true } | { ok: false; reason: string };

/** Keys a tried fix may set, with a check of the value where the key alone is not enough. */
const SAFE_SET: Record<string, ((value: unknown, server: ServerConfig | undefined) => string | undefined) | null> = {
  startup_timeout_sec: null,
  startup_timeout_ms: null,
  tool_timeout_sec: null,
  env_vars: null,
  enabled_tools: null,
  disabled_tools: null,
  required: null,
  enabled: (value) => (value === false ? undefined : 'it would enable a server that is switched off'),
  url: sameHost,
};

export function tryability(fix: Fix, edit: TableEdit, serverName: string | null, server: ServerConfig | undefined): Tryability {
  if (fix.untried) return { ok: false, reason: fix.untried };
  // A suggested `mcp-doctor ...` run only diagnoses; any other command changes something first.
  if (fix.command && !/^\s*mcp-doctor\s/.test(fix.command)) return { ok: false, reason: `it needs \`${fix.command}\` to be run first` };
  // File-level fixes are checked by loading the edited file again: nothing is contacted.
  if (serverName === null) return { ok: true };
  const ownTable = edit.table.length === 2 && edit.table[0] === 'mcp_servers' && edit.table[1] === serverName;
  if (!ownTable) return { ok: false, reason: `it edits [${edit.table.join('.')}], not the server's own table` };
  for (const key of edit.remove ?? []) {
    if (key === 'enabled') return { ok: false, reason: 'it would enable a server that is switched off' };
  }
  for (const [, to] of edit.rename ?? []) {
    if (to === 'enabled') return { ok: false, reason: 'it would change whether the server is enabled' };
  }
  for (const [key, value] of edit.set ?? []) {
    // Setting a key to the value of a key the fix removes is a rename: nothing new is sent.
    const movedFrom = (edit.remove ?? []).some((removed) => server && Object.hasOwn(server.raw, removed) && tomlEqual(server.raw[removed], value));
    if (movedFrom && key !== 'enabled') continue;
    if (!Object.hasOwn(SAFE_SET, key)) return { ok: false, reason: unsafeReason(key) };
    const problem = SAFE_SET[key]?.(value, server);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true };
}

function unsafeReason(key: string): string {
  if (key === 'command' || key === 'args' || key === 'cwd') return `it changes \`${key}\`: a different program would run (and might install packages)`;
  if (/token|header|oauth|scopes|auth|env$/.test(key)) return `it changes \`${key}\`: credentials or a login are involved`;
  return `mcp-doctor does not try changes to \`${key}\``;
}

function sameHost(value: unknown, server: ServerConfig | undefined): string | undefined {
  if (typeof value !== 'string' || !server?.url) return 'it changes the transport';
  let next: URL;
  let current: URL;
  try {
    next = new URL(value);
    current = new URL(server.url);
  } catch {
    return 'the URL does not parse';
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return 'the URL is not http(s)';
  // The server's headers and token would go with the request: only to the host they were meant for.
  if (next.hostname !== current.hostname) return `it points at another host (${next.hostname}); mcp-doctor does not send the server's credentials there untested`;
  return undefined;
}
