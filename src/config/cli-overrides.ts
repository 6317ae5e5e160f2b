import { parse } from 'smol-toml';
import { isTable } from './check-context.ts';

/**
 * `-c key=value` as Codex reads it (codex-rs/utils/cli/src/config_override.rs and
 * codex-rs/config/src/overrides.rs, Codex 0.171.0):
 *
 * - split at the first `=`; key and value are trimmed; no `=` or an empty key is an error;
 * - the value is parsed as a TOML value (`_x_ = VALUE`); when that fails it is taken as a string,
 *   with quote characters stripped from both ends (`-c model=o3` means `"o3"`);
 * - the key is split at every `.`, with no quoting (`mcp_servers."a.b".x` is four segments);
 * - the overrides become one layer, applied in order: a later flag replaces an earlier one's
 *   value, and a segment that holds a non-table value is replaced by a table.
 */
export interface CliOverride {
  /** The flag as given (for messages; its value may be secret, so only `key` is shown). */
  raw: string;
  /** The dotted key as written, trimmed. */
  key: string;
  path: string[];
  value: unknown;
}

export class CliOverrideError extends Error {}

/** smol-toml turns integers beyond 2^53 into a parse error by default; Codex (i64) accepts them. */
const PARSE_OPTIONS = { integersAsBigInt: 'asNeeded' } as const;

export function parseCliOverride(raw: string): CliOverride {
  const eq = raw.indexOf('=');
  // Codex's own messages (they are what a user of `codex -c` sees).
  if (eq === -1) throw new CliOverrideError(`Invalid override (missing '='): ${raw}`);
  const key = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1).trim();
  if (key === '') throw new CliOverrideError(`Empty key in override: ${raw}`);
  return { raw, key, path: key.split('.'), value: parseOverrideValue(text) };
}

export function parseOverrideValue(text: string): unknown {
  try {
    const doc = parse(`_x_ = ${text}`, PARSE_OPTIONS) as Record<string, unknown>;
    // A value such as `1\ny = 2` parses into more than the sentinel; Codex keeps only `_x_`.
    if (Object.hasOwn(doc, '_x_')) return doc._x_;
  } catch {
    // fall through: a bare string
  }
  return text.trim().replace(/^["']+|["']+$/g, '');
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `build_cli_overrides_layer`: the overrides as one TOML document. */
export function overridesLayer(overrides: readonly CliOverride[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path, value } of overrides) {
    let current = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        setOwn(current, segment, value);
        return;
      }
      const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
      if (!isTable(next)) setOwn(current, segment, {});
      current = current[segment] as Record<string, unknown>;
    });
  }
  return root;
}

/** The override that set `path` (or a table above or below it) last, for "this value comes from -c …". */
export function overrideFor(overrides: readonly CliOverride[], path: readonly string[]): CliOverride | undefined {
  for (let i = overrides.length - 1; i >= 0; i--) {
    const o = overrides[i]!;
    const n = Math.min(o.path.length, path.length);
    if (o.path.slice(0, n).every((s, j) => s === path[j])) return o;
  }
  return undefined;
}
