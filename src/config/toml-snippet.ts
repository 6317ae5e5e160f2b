/**
 * Builders for the `fix.toml` snippets. Every snippet must parse as TOML and be a fragment the
 * user can paste, so keys and strings are quoted here rather than by hand at each call site.
 */

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A TOML key: bare when it can be, else a basic string. */
export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

/**
 * A TOML basic string. JSON's escapes (\" \\ \n \t \uXXXX...) are a subset of TOML's, and
 * JSON.stringify never emits the one TOML lacks (\/).
 */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

export function tomlValue(value: unknown): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return '""';
}

/** `[mcp_servers.NAME]` (or a sub-table such as `[mcp_servers.NAME.oauth]`). */
export function serverHeader(name: string, ...sub: string[]): string {
  return `[${['mcp_servers', name, ...sub].map(tomlKey).join('.')}]`;
}

/** A table fragment: header plus `key = value` lines, in order. */
export function serverSnippet(name: string, lines: Array<[string, unknown]>, sub: string[] = []): string {
  return [serverHeader(name, ...sub), ...lines.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)].join('\n');
}

/** The dotted key of a server's table (`mcp_servers.github`, `mcp_servers."a b".oauth`), for `Fix.table`. */
export function serverTableKey(name: string, ...sub: string[]): string {
  return ['mcp_servers', name, ...sub].map(tomlKey).join('.');
}

/** An environment variable name for a server's API key, for fix snippets: `brave search` → `BRAVE_SEARCH_API_KEY`. */
export function suggestedKeyVar(serverName: string): string {
  const base = serverName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${/^[0-9]/.test(base) || base === '' ? `MCP_${base}` : base}_API_KEY`;
}
