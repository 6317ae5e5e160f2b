/**
 * TOML serialisation of the values a fix writes, and the structural equality used to prove an
 * edit: the re-parsed file must equal the expected document exactly.
 */

export class UnwritableValue extends Error {}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function formatKey(key: string): string {
  return BARE_KEY.test(key) ? key : formatBasicString(key);
}

export function formatKeyPath(path: readonly string[]): string {
  return path.map(formatKey).join('.');
}

/**
 * A basic string. TOML forbids raw control characters other than tab, including DEL, which
 * JSON.stringify leaves raw; and a lone surrogate has no TOML escape at all.
 */
export function formatBasicString(value: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    throw new UnwritableValue('a string with a lone surrogate cannot be written as TOML');
  }
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A literal string keeps backslashes readable (Windows paths) when the value allows it. */
export function canBeLiteral(value: string): boolean {
  return !/['\u0000-\u0008\u000A-\u001F\u007F]/.test(value);
}

export interface FormatOptions {
  /** Prefer `'...'` for strings (used when the value being replaced was written that way). */
  literalStrings?: boolean;
}

export function formatValue(value: unknown, options: FormatOptions = {}): string {
  if (typeof value === 'string') return options.literalStrings && canBeLiteral(value) ? `'${value}'` : formatBasicString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnwritableValue(`${value} is not a number a config should hold`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw new UnwritableValue(`${value} is too large to write exactly`);
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (value instanceof Date) {
    // smol-toml's TomlDate prints itself back in the form it was written (local date, offset...).
    const text = value.toISOString();
    if (!text) throw new UnwritableValue('invalid date');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => formatValue(v, options)).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${formatKey(k)} = ${formatValue(v, options)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  throw new UnwritableValue(`cannot write ${value === null ? 'null' : typeof value} as TOML`);
}

/** Structural equality of parsed TOML values (key order ignored, dates by value). */
export function tomlEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => tomlEqual(item, b[i]));
  }
  if (isTable(a) || isTable(b)) {
    if (!isTable(a) || !isTable(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && tomlEqual(a[k], b[k]));
  }
  // 1 and 1n are the same TOML integer.
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = asBigInt(a);
    const y = asBigInt(b);
    return x !== undefined && x === y;
  }
  return Object.is(a, b) || (a === 0 && b === 0);
}

function asBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : undefined;
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function cloneToml<T>(value: T): T {
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(cloneToml) as T;
  if (isTable(value)) {
    // Null prototype: a key named `__proto__` must stay a key.
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) out[k] = cloneToml(v);
    return out as T;
  }
  return value;
}
