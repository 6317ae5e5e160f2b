import { parse } from 'smol-toml';

/**
 * Which values of a server table were written as TOML floats (`1000.0`, `1e20`). JavaScript reads
 * `1000.0` as the integer 1000, but Codex (serde into u64) refuses a float for
 * `startup_timeout_ms` and with it the whole config ("invalid type: floating point, expected
 * u64", measured with 0.171.0; found by blind testing). Marks travel with the tables through
 * the layer merge (config-layers.ts).
 */
const marks = new WeakMap<object, Set<string>>();

/** Keys whose literal form matters (the only u64 fields among a server's keys). */
const WATCHED = new Set(['startup_timeout_ms']);

/** Marks the float literals of every `[mcp_servers.*]` table of `document`, parsed from `text`. */
export function markFloatLiterals(document: Record<string, unknown>, text: string): void {
  if (!/startup_timeout_ms/.test(text)) return;
  let strict: Record<string, unknown>;
  try {
    // Integers become bigints here, so a JavaScript number is a float literal.
    strict = parse(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch {
    return;
  }
  const servers = document.mcp_servers;
  const strictServers = strict.mcp_servers;
  if (!isObject(servers) || !isObject(strictServers)) return;
  for (const [name, table] of Object.entries(servers)) {
    const twin = strictServers[name];
    if (!isObject(table) || !isObject(twin)) continue;
    for (const key of WATCHED) if (typeof twin[key] === 'number') mark(table, key);
  }
}

function mark(table: object, key: string): void {
  let set = marks.get(table);
  if (!set) marks.set(table, (set = new Set()));
  set.add(key);
}

export function isFloatLiteral(table: object, key: string): boolean {
  return marks.get(table)?.has(key) ?? false;
}

/** After a merge: each key of `out` keeps the mark of the table its value came from. */
export function carryFloatMarks(out: object, base: object, overlay: Record<string, unknown>): void {
  for (const key of WATCHED) {
    const from = Object.hasOwn(overlay, key) ? overlay : base;
    if (isFloatLiteral(from, key)) mark(out, key);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
