import { JSON_MAX_DEPTH } from '../limits.ts';

/**
 * What Codex's JSON reader (serde_json 1.0.149 inside rmcp) refuses in a message's raw text, where
 * JavaScript's JSON.parse accepts it. Codex drops such a message (stdio: the line is skipped and
 * the request times out) or fails the request; either way the server cannot be used. Measured
 * with Codex 0.171.0 (test/fuzz/): nesting past 127 levels, a lone UTF-16 surrogate escape,
 * invalid UTF-8 bytes, anywhere in the message (also in fields Codex otherwise ignores).
 */

export type WireProblem =
  | { kind: 'too-deep'; depth: number; codexSays: string }
  | { kind: 'lone-surrogate'; escape: string; codexSays: string }
  | { kind: 'invalid-utf8'; codexSays: string }
  | { kind: 'duplicate-field'; path: string; field: string; codexSays: string };

/** serde_json's own error texts (the Codex binary carries them). */
export const SERDE_SAYS = {
  depth: 'recursion limit exceeded',
  highSurrogate: 'unexpected end of hex escape',
  lowSurrogate: 'lone leading surrogate in hex escape',
  utf8: 'invalid unicode code point',
} as const;

/**
 * Scans one JSON text (already known to parse) for what serde_json refuses. Strings are skipped
 * by escape-aware scanning; the deepest nesting and the first lone surrogate escape are reported.
 * `invalidUtf8` is the transport's finding (bytes are gone once decoded).
 */
export function wireProblems(text: string, opts: { invalidUtf8?: boolean } = {}): WireProblem[] {
  const problems: WireProblem[] = [];
  if (opts.invalidUtf8) problems.push({ kind: 'invalid-utf8', codexSays: SERDE_SAYS.utf8 });
  let depth = 0;
  let deepest = 0;
  let surrogate: WireProblem | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Inside a string: find its end, checking \u escapes for lone surrogates.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d !== 0x5c /* \ */) continue;
        i++;
        if (text.charCodeAt(i) !== 0x75 /* u */ || surrogate) continue;
        const unit = parseInt(text.slice(i + 1, i + 5), 16);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const next = text.slice(i + 5, i + 7) === '\\u' ? parseInt(text.slice(i + 7, i + 11), 16) : NaN;
          if (!(next >= 0xdc00 && next <= 0xdfff)) surrogate = { kind: 'lone-surrogate', escape: `\\u${text.slice(i + 1, i + 5)}`, codexSays: SERDE_SAYS.highSurrogate };
          else i += 6;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          surrogate = { kind: 'lone-surrogate', escape: `\\u${text.slice(i + 1, i + 5)}`, codexSays: SERDE_SAYS.lowSurrogate };
        }
        i += 4;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  if (deepest > JSON_MAX_DEPTH) problems.push({ kind: 'too-deep', depth: deepest, codexSays: SERDE_SAYS.depth });
  if (surrogate) problems.push(surrogate);
  if (deepest <= JSON_MAX_DEPTH) {
    const dup = duplicateKeys(text).find((d) => TYPED_FIELDS[d.path]?.includes(d.key));
    if (dup) problems.push({ kind: 'duplicate-field', path: dup.path, field: dup.key, codexSays: `duplicate field \`${dup.key}\`` });
  }
  return problems;
}

/**
 * Fields of rmcp's typed structs, by their place in a response (array items as `[]`): a key that
 * appears twice in one of these objects makes serde refuse the struct ("duplicate field"), while
 * JSON.parse keeps the last. Duplicates elsewhere (free-form maps such as input schemas) are read.
 */
const TYPED_FIELDS: Record<string, string[]> = {
  // The message itself (measured with 0.171.0: a second "id" or "result" and Codex drops it).
  '': ['jsonrpc', 'id', 'result', 'error'],
  result: ['protocolVersion', 'capabilities', 'serverInfo', 'instructions', 'tools', 'nextCursor'],
  'result.capabilities': ['experimental', 'logging', 'completions', 'prompts', 'resources', 'tools'],
  'result.capabilities.prompts': ['listChanged'],
  'result.capabilities.resources': ['subscribe', 'listChanged'],
  'result.capabilities.tools': ['listChanged'],
  'result.serverInfo': ['name', 'version', 'title', 'websiteUrl', 'icons'],
  'result.tools[]': ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations', 'icons'],
  'result.tools[].annotations': ['title', 'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'],
};

/** Keys that appear twice in one object, with the object's path (`result.tools[]`). */
export function duplicateKeys(text: string): { path: string; key: string }[] {
  const out: { path: string; key: string }[] = [];
  // One frame per open container: its path, its keys (objects), the key awaiting a value.
  const stack: { path: string; keys?: Set<string>; pending?: string }[] = [];
  let expectKey = false;
  let lastString = '';
  const n = text.length;
  const childPath = () => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (!top.keys) return `${top.path}[]`;
    return top.path === '' ? (top.pending ?? '') : `${top.path}.${top.pending ?? ''}`;
  };
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i + 1;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      lastString = escaped ? safeParseString(text.slice(start - 1, i + 1)) : text.slice(start, i);
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        if (top.keys.has(lastString)) out.push({ path: top.path, key: lastString });
        top.keys.add(lastString);
        top.pending = lastString;
        expectKey = false;
      }
    } else if (c === 0x7b) {
      stack.push({ path: childPath(), keys: new Set() });
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push({ path: childPath() });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      expectKey = !!stack[stack.length - 1]?.keys;
    }
  }
  return out;
}

function safeParseString(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal;
  }
}

/** One clause per problem: "it is nested 130 levels deep (Codex's JSON reader stops at 127: "recursion limit exceeded")". */
export function describeWireProblem(p: WireProblem): string {
  switch (p.kind) {
    case 'too-deep':
      return `it is nested ${p.depth} levels deep, and Codex's JSON reader stops at ${JSON_MAX_DEPTH} ("${p.codexSays}")`;
    case 'lone-surrogate':
      return `it holds the escape ${p.escape}, half of a UTF-16 surrogate pair, which Codex's JSON reader refuses ("${p.codexSays}")`;
    case 'invalid-utf8':
      return `it holds bytes that are not valid UTF-8, which Codex's JSON reader refuses ("${p.codexSays}")`;
    case 'duplicate-field':
      return `the field "${p.field}" appears twice in ${p.path}, and Codex's typed reader refuses a duplicated field ("${p.codexSays}"; Codex then reports "expect initialized result" or "Unexpected response type")`;
  }
}

/**
 * How many JSON values a text holds, counted up to `limit + 1` (then it stops), and the top-level
 * `"id"` of a message, found without parsing. JSON.parse costs 25–50 bytes of memory per value
 * (measured: 8 M numbers in a 16 MiB line took it to 322 MB), so an answer with more values than
 * JSON_MAX_VALUES is not parsed at all (docs/limits.md). One pass; strings are skipped.
 */
export function countJsonValues(text: string, limit: number): { values: number; id?: number | string } {
  let values = 1;
  let depth = 0;
  let id: number | string | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c /* \ */) i++;
      }
      // A key "id" of the outermost object: its value is the message's id.
      if (depth === 1 && id === undefined && i - start === 3 && text.startsWith('"id"', start)) id = readIdValue(text, i + 1);
    } else if (c === 0x2c /* , */ || c === 0x7b || c === 0x5b) {
      if (c === 0x2c) values++;
      else {
        depth++;
        // `[]` and `{}` hold no value; `[x` and `{"k":x` hold one more than their commas.
        values++;
      }
      if (values > limit) return { values, ...(id !== undefined && { id }) };
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { values, ...(id !== undefined && { id }) };
}

function readIdValue(text: string, from: number): number | string | undefined {
  const m = /^\s*:\s*(-?\d{1,16}(?![\d.eE])|"(?:[^"\\]|\\.){0,200}")/.exec(text.slice(from, from + 260));
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as number | string;
  } catch {
    return undefined;
  }
}

/**
 * A number written with a fraction or an exponent (`1.0`, `1e300`, `2.5`), kept apart from
 * integers: serde_json (`arbitrary_precision`, as Codex builds it) reads such a literal where an
 * all-optional object goes and Codex connects, while `1` there fails. JSON.parse makes `1.0` the
 * integer 1, so the literal's form is taken from the text (see `withSourceForms`).
 */
export class FloatLiteral {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
  toJSON(): number {
    return Number(this.#text);
  }
}

/** The text each parsed message (and its `result`) came from, when it holds such literals. */
const sources = new WeakMap<object, { text: string; key?: string }>();
const SOURCE_MAX_CHARS = 1024 * 1024;
const FRACTION_OR_EXPONENT = /\d[.eE]/;

/** Called where a wire message is parsed: remembers its text when it may hold `1.0`-like literals. */
export function rememberSource(value: unknown, text: string): void {
  if (typeof value !== 'object' || value === null || text.length > SOURCE_MAX_CHARS || !FRACTION_OR_EXPONENT.test(text)) return;
  sources.set(value, { text });
  const result = (value as Record<string, unknown>).result;
  if (typeof result === 'object' && result !== null) sources.set(result, { text, key: 'result' });
}

/**
 * `value` as parsed again from its text with every fraction/exponent literal a FloatLiteral, or
 * `value` itself when no such text was remembered (or it does not parse here).
 */
export function withSourceForms<T>(value: T): T {
  const source = typeof value === 'object' && value !== null ? sources.get(value) : undefined;
  if (!source) return value;
  try {
    const whole = new LiteralParser(source.text).parse();
    const picked = source.key === undefined ? whole : (whole as Record<string, unknown>)[source.key];
    return (picked ?? value) as T;
  } catch {
    return value;
  }
}

/** A JSON parser that keeps the form of numbers (only for answers of at most SOURCE_MAX_CHARS). */
class LiteralParser {
  private i = 0;
  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value(0);
    this.space();
    if (this.i !== this.text.length) throw new Error('trailing text');
    return value;
  }

  private space(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  private value(depth: number): unknown {
    if (depth > 512) throw new Error('too deep');
    this.space();
    const c = this.text[this.i];
    if (c === '{') {
      this.i++;
      const out: Record<string, unknown> = {};
      this.space();
      if (this.text[this.i] === '}') return this.i++, out;
      for (;;) {
        this.space();
        const key = this.string();
        this.space();
        if (this.text[this.i++] !== ':') throw new Error('expected :');
        // As JSON.parse: the last of duplicate keys wins.
        Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
        this.space();
        const next = this.text[this.i++];
        if (next === '}') return out;
        if (next !== ',') throw new Error('expected , or }');
      }
    }
    if (c === '[') {
      this.i++;
      const out: unknown[] = [];
      this.space();
      if (this.text[this.i] === ']') return this.i++, out;
      for (;;) {
        out.push(this.value(depth + 1));
        this.space();
        const next = this.text[this.i++];
        if (next === ']') return out;
        if (next !== ',') throw new Error('expected , or ]');
      }
    }
    if (c === '"') return this.string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const found = m.exec(this.text);
    if (!found) throw new Error('unexpected character');
    this.i += found[0].length;
    return found[1] !== undefined || found[2] !== undefined ? new FloatLiteral(found[0]) : Number(found[0]);
  }

  private string(): string {
    if (this.text[this.i] !== '"') throw new Error('expected a string');
    const start = this.i;
    for (this.i++; this.i < this.text.length; this.i++) {
      const d = this.text[this.i];
      if (d === '\\') this.i++;
      else if (d === '"') break;
    }
    this.i++;
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }
}
