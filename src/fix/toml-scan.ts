/**
 * A position-keeping reader of TOML text: it finds each table header and each `key = value`
 * statement with the offsets of its line, key segments and value, so that edits can replace
 * exactly those characters and leave comments, blank lines and formatting alone. It checks only
 * as much syntax as it needs to find where statements end; smol-toml remains the judge of
 * validity (every edit is re-parsed by it).
 */

export interface KeySegment {
  /** The decoded key (quotes and escapes resolved). */
  name: string;
  /** Offsets of the segment as written, quotes included. */
  start: number;
  end: number;
}

export interface HeaderStatement {
  kind: 'header';
  /** `[[...]]` */
  array: boolean;
  path: KeySegment[];
  /** Offset of the start of the header's line. */
  start: number;
  /** Offset just past the line's newline (or the end of the text). */
  end: number;
  /** 1-based line number of the header. */
  line: number;
}

export interface KeyValueStatement {
  kind: 'kv';
  /** The table the statement sits in (the last header before it; [] for the top level). */
  section: string[];
  key: KeySegment[];
  valueStart: number;
  valueEnd: number;
  /** Offset of the start of the statement's first line. */
  start: number;
  /** Offset just past the newline that ends the statement (trailing comment included), or the end of the text. */
  end: number;
  line: number;
  /** Whitespace before the key on its line. */
  indent: string;
  /** The text between the key and the value (`" = "`, `"="`...). */
  separator: string;
}

export type Statement = HeaderStatement | KeyValueStatement;

export interface ScannedToml {
  text: string;
  statements: Statement[];
  /** The line ending the file mostly uses; new lines are written with it. */
  eol: '\n' | '\r\n';
}

export class TomlScanError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const BARE_KEY_CHAR = /[A-Za-z0-9_-]/;

export function fullPath(statement: Statement): string[] {
  return statement.kind === 'header' ? statement.path.map((s) => s.name) : [...statement.section, ...statement.key.map((s) => s.name)];
}

export function detectEol(text: string): '\n' | '\r\n' {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

export function scanToml(text: string): ScannedToml {
  return { text, statements: new Reader(text).statements(), eol: detectEol(text) };
}

/** Parses a dotted key written as in a header (`mcp_servers."my.server"`) into its segments. */
export function parseDottedKey(key: string): string[] {
  if (key.trim() === '') return [];
  const reader = new Reader(key);
  const segments = reader.key();
  reader.skipSpaces();
  if (!reader.atEnd()) throw new TomlScanError(`not a dotted key: ${key}`, 1);
  return segments.map((s) => s.name);
}

class Reader {
  private pos = 0;

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private newlines: number[] | undefined;

  /** 1-based line of an offset (binary search over the newline offsets, found once). */
  private lineAt(offset: number): number {
    if (!this.newlines) {
      this.newlines = [];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.newlines.push(i);
    }
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private fail(message: string): never {
    throw new TomlScanError(message, this.lineAt(this.pos));
  }

  statements(): Statement[] {
    const out: Statement[] = [];
    let section: string[] = [];
    let line = 1;
    while (!this.atEnd()) {
      const start = this.pos;
      line = this.lineAt(start);
      this.skipSpaces();
      const ch = this.text[this.pos];
      if (ch === undefined) break;
      if (this.atNewline()) {
        this.consumeNewline();
        continue;
      }
      if (ch === '#') {
        this.skipComment();
        this.endLine();
        continue;
      }
      if (ch === '[') {
        const array = this.text[this.pos + 1] === '[';
        this.pos += array ? 2 : 1;
        this.skipSpaces();
        const path = this.key();
        this.skipSpaces();
        if (!this.text.startsWith(array ? ']]' : ']', this.pos)) this.fail('unterminated table header');
        this.pos += array ? 2 : 1;
        this.endLine();
        out.push({ kind: 'header', array, path, start, end: this.pos, line });
        section = path.map((s) => s.name);
        continue;
      }
      const indent = this.text.slice(start, this.pos);
      const key = this.key();
      const separatorStart = this.pos;
      this.skipSpaces();
      if (this.text[this.pos] !== '=') this.fail('expected "=" after a key');
      this.pos++;
      this.skipSpaces();
      const separator = this.text.slice(separatorStart, this.pos);
      const valueStart = this.pos;
      this.value();
      const valueEnd = this.pos;
      this.endLine();
      out.push({ kind: 'kv', section, key, valueStart, valueEnd, start, end: this.pos, line, indent, separator });
    }
    return out;
  }

  skipSpaces(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  private atNewline(): boolean {
    return this.text[this.pos] === '\n' || (this.text[this.pos] === '\r' && this.text[this.pos + 1] === '\n');
  }

  private consumeNewline(): void {
    this.pos += this.text[this.pos] === '\r' ? 2 : 1;
  }

  private skipComment(): void {
    while (!this.atEnd() && !this.atNewline()) this.pos++;
  }

  /** After a statement: spaces, an optional comment, then a newline or the end of the text. */
  private endLine(): void {
    this.skipSpaces();
    if (this.text[this.pos] === '#') this.skipComment();
    if (this.atEnd()) return;
    if (!this.atNewline()) this.fail('unexpected text after a statement');
    this.consumeNewline();
  }

  /** Spaces, newlines and comments, as allowed inside arrays (and TOML 1.1 inline tables). */
  private skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      if (this.text[this.pos] === '#') this.skipComment();
      if (this.atNewline()) this.consumeNewline();
      else return;
    }
  }

  key(): KeySegment[] {
    const segments: KeySegment[] = [];
    for (;;) {
      this.skipSpaces();
      const start = this.pos;
      const ch = this.text[this.pos];
      let name: string;
      if (ch === '"') name = this.basicString();
      else if (ch === "'") name = this.literalString();
      else {
        while (this.pos < this.text.length && BARE_KEY_CHAR.test(this.text[this.pos]!)) this.pos++;
        if (this.pos === start) this.fail('expected a key');
        name = this.text.slice(start, this.pos);
      }
      segments.push({ name, start, end: this.pos });
      this.skipSpaces();
      if (this.text[this.pos] !== '.') return segments;
      this.pos++;
    }
  }

  private basicString(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined || ch === '\n' || ch === '\r') this.fail('unterminated string');
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '\\') {
        out += this.escape();
        continue;
      }
      out += ch;
      this.pos++;
    }
  }

  private escape(): string {
    const e = this.text[this.pos + 1];
    this.pos += 2;
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };
    if (e !== undefined && e in simple) return simple[e]!;
    const width = e === 'u' ? 4 : e === 'U' ? 8 : e === 'x' ? 2 : 0;
    if (width === 0) this.fail(`invalid escape \\${e ?? ''}`);
    const hex = this.text.slice(this.pos, this.pos + width);
    if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== width) this.fail('invalid unicode escape');
    this.pos += width;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  private literalString(): string {
    const start = ++this.pos;
    while (this.text[this.pos] !== "'") {
      if (this.atEnd() || this.atNewline()) this.fail('unterminated string');
      this.pos++;
    }
    return this.text.slice(start, this.pos++);
  }

  /** Moves past one value of any kind. */
  private value(): void {
    const rest = this.text.slice(this.pos, this.pos + 3);
    if (rest === '"""' || rest === "'''") return this.multilineString(rest[0]!);
    const ch = this.text[this.pos];
    if (ch === '"') return void this.basicString();
    if (ch === "'") return void this.literalString();
    if (ch === '[') return this.array();
    if (ch === '{') return this.inlineTable();
    const start = this.pos;
    // A date-time may use a space between date and time (`1979-05-27 07:32:00Z`).
    const dateTime = /^\d{4}-\d{2}-\d{2} \d{2}:/.exec(this.text.slice(this.pos, this.pos + 14));
    if (dateTime) this.pos += 11;
    while (this.pos < this.text.length && !/[\s#,\]}]/.test(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail('expected a value');
  }

  private multilineString(quote: string): void {
    this.pos += 3;
    for (;;) {
      if (this.atEnd()) this.fail('unterminated multi-line string');
      const ch = this.text[this.pos];
      if (quote === '"' && ch === '\\') {
        this.pos += 2;
        continue;
      }
      if (ch === quote && this.text.startsWith(quote.repeat(3), this.pos)) {
        // Up to two quotes may sit just inside the closing delimiter.
        let run = 3;
        while (run < 5 && this.text[this.pos + run] === quote) run++;
        this.pos += run;
        return;
      }
      this.pos++;
    }
  }

  private array(): void {
    this.pos++;
    for (;;) {
      this.skipBlank();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return;
      }
      this.value();
      this.skipBlank();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== ']') this.fail('expected "," or "]" in an array');
    }
  }

  arrayLayout(start: number): ArrayLayout {
    const items: Array<{ start: number; end: number }> = [];
    let trailingComma: number | undefined;
    this.pos = start + 1;
    for (;;) {
      this.skipBlank();
      if (this.text[this.pos] === ']') return { items, close: this.pos, trailingComma };
      const itemStart = this.pos;
      this.value();
      items.push({ start: itemStart, end: this.pos });
      trailingComma = undefined;
      this.skipBlank();
      if (this.text[this.pos] === ',') trailingComma = ++this.pos;
      else if (this.text[this.pos] !== ']') this.fail('expected "," or "]" in an array');
    }
  }

  private inlineTable(): void {
    this.pos++;
    for (;;) {
      this.skipBlank();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return;
      }
      this.key();
      this.skipSpaces();
      if (this.text[this.pos] !== '=') this.fail('expected "=" in an inline table');
      this.pos++;
      this.skipSpaces();
      this.value();
      this.skipBlank();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('expected "," or "}" in an inline table');
    }
  }
}

export interface ArrayLayout {
  /** Offsets of each item (value only). */
  items: Array<{ start: number; end: number }>;
  /** Offset of the closing `]`. */
  close: number;
  /** Offset just past the comma after the last item, when there is one. */
  trailingComma?: number;
}

/** The item positions of the array value starting at `start` (which must be `[`). */
export function scanArray(text: string, start: number): ArrayLayout {
  return new Reader(text).arrayLayout(start);
}
