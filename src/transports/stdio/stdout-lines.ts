import { isUtf8 } from 'node:buffer';
import { JSON_MAX_VALUES, LARGE_ANSWER_BYTES, STDIO_MAX_LINE_BYTES } from '../../limits.ts';
import { countJsonValues, rememberSource, wireProblems, type WireProblem } from '../codex-wire.ts';

export type JsonRpcMessage = Record<string, unknown> & { jsonrpc: '2.0' };

/**
 * How one piece of stdout was classified. `glued` and `multi-line` carry the message they hid:
 * mcp-doctor recovers it to keep checking, but Codex drops it (and times out), so they are errors;
 * whole lines that are not JSON-RPC are skipped by Codex (warnings).
 */
export type NoiseKind =
  /** A whole line that is not JSON (a banner, a log line, an empty line). */
  | 'non-json-line'
  /** A whole line of JSON that is not a JSON-RPC message (structured logs such as pino). */
  | 'not-jsonrpc'
  /** Text before (or after) a JSON-RPC message on the same line. */
  | 'glued'
  /** One JSON-RPC message spread over several lines (pretty-printed). */
  | 'multi-line'
  /** A JSON-RPC message Codex's JSON reader refuses (too deep, lone surrogate, invalid UTF-8): `wire` says why. */
  | 'codex-unreadable'
  /** A line of STDIO_MAX_LINE_BYTES or more: cut off, never parsed (Codex discards it too). */
  | 'oversized-line'
  /** A line with more than JSON_MAX_VALUES values: not parsed (memory), not verified; Codex reads it. */
  | 'too-many-values';

export type StdoutEvent =
  | { kind: 'message'; message: JsonRpcMessage; raw: string; crlf: boolean }
  | { kind: 'noise'; noise: NoiseKind; raw: string; crlf: boolean; message?: JsonRpcMessage; wire?: WireProblem[]; bytes?: number; values?: number; id?: number | string };

/** How much of an oversized line is kept as its sample. */
const OVERSIZED_SAMPLE_BYTES = 200;

/** A pending multi-line value longer than this is given up on (a single line is bounded by STDIO_MAX_LINE_BYTES). */
const MAX_PENDING_CHARS = 10 * 1024 * 1024;
const MAX_PENDING_LINES = 20_000;
/** How many `{` positions of a bad line are tried as the start of a glued message. */
const MAX_GLUE_CANDIDATES = 64;

export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return v.jsonrpc === '2.0' && (typeof v.method === 'string' || 'result' in v || 'error' in v);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The end (exclusive) of the balanced JSON object starting at `start`, skipping brackets inside
 * strings; undefined when the object does not close on this text.
 */
export function objectEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return undefined;
    }
  }
  return undefined;
}

/** A JSON-RPC message embedded in a line with other text around it (`Listening{"jsonrpc":…}`). */
export function findGluedMessage(line: string): { message: JsonRpcMessage; before: string; after: string } | undefined {
  let tried = 0;
  for (let i = line.indexOf('{'); i >= 0 && tried < MAX_GLUE_CANDIDATES; i = line.indexOf('{', i + 1), tried++) {
    const end = objectEnd(line, i);
    if (end === undefined) continue;
    const parsed = tryParse(line.slice(i, end));
    if (parsed.ok && isJsonRpcMessage(parsed.value)) {
      return { message: parsed.value, before: line.slice(0, i), after: line.slice(end) };
    }
  }
  return undefined;
}

/** Tracks bracket depth across lines so a pretty-printed value is parsed once, when it closes. */
class DepthTracker {
  depth = 0;
  private inString = false;
  private escaped = false;
  feed(text: string): void {
    for (const c of text) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') this.depth--;
    }
  }
}

/**
 * Splits a server's stdout into lines exactly as a newline-delimited JSON-RPC client must, and
 * classifies every one: JSON-RPC message, whole non-JSON line, JSON that is not JSON-RPC, text
 * glued to a message, or one message split over several lines. CRLF endings are noted.
 */
export class StdoutLineReader {
  /** Bytes of the current line so far (split on byte 0x0A, so UTF-8 validity is checked per line). */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** The current line passed STDIO_MAX_LINE_BYTES: its bytes are counted and dropped until its newline. */
  private discarding: { bytes: number; sample: string } | undefined;
  private pending: { lines: string[]; crlf: boolean; chars: number; depth: DepthTracker } | undefined;

  /** Bytes held for the line (or multi-line value) not yet complete: what a large answer costs while read. */
  get heldBytes(): number {
    return this.partBytes + (this.pending?.chars ?? 0);
  }

  push(chunk: Buffer | string): StdoutEvent[] {
    const events: StdoutEvent[] = [];
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const index = buf.indexOf(0x0a, start);
      const end = index < 0 ? buf.length : index;
      this.take(buf.subarray(start, end), events);
      if (index < 0) break;
      this.endLine(events);
      start = index + 1;
    }
    return events;
  }

  /** Stdout ended: whatever is left is text with no newline, or a value that never closed. */
  end(): StdoutEvent[] {
    const events: StdoutEvent[] = [];
    if (this.discarding) {
      this.endLine(events);
    } else if (this.partBytes > 0) {
      const bytes = this.lineBytes();
      const text = bytes.toString('utf8');
      // A final message without its newline is never delivered by a line-based client either.
      const parsed = tryParse(text);
      const message = parsed.ok && isJsonRpcMessage(parsed.value) ? parsed.value : undefined;
      events.push({ kind: 'noise', noise: message ? 'glued' : 'non-json-line', raw: text, crlf: false, ...(message ? { message } : {}) });
    }
    this.flushPending(events);
    return events;
  }

  private take(piece: Buffer, events: StdoutEvent[]): void {
    if (piece.length === 0) return;
    if (this.discarding) {
      this.discarding.bytes += piece.length;
      return;
    }
    if (this.partBytes + piece.length >= STDIO_MAX_LINE_BYTES) {
      // Codex (rmcp) drops a line this long; keep a sample and the count, never the bytes.
      const head = this.partBytes > 0 ? Buffer.concat([...this.parts, piece.subarray(0, OVERSIZED_SAMPLE_BYTES)]) : piece;
      this.discarding = { bytes: this.partBytes + piece.length, sample: head.subarray(0, OVERSIZED_SAMPLE_BYTES).toString('utf8') };
      this.parts = [];
      this.partBytes = 0;
      this.flushPending(events);
      return;
    }
    // Copy: the chunk's buffer may be reused by the stream.
    this.parts.push(Buffer.from(piece));
    this.partBytes += piece.length;
  }

  private lineBytes(): Buffer {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    return bytes;
  }

  private endLine(events: StdoutEvent[]): void {
    if (this.discarding) {
      const { bytes, sample } = this.discarding;
      this.discarding = undefined;
      events.push({ kind: 'noise', noise: 'oversized-line', raw: sample, crlf: false, bytes });
      return;
    }
    const bytes = this.lineBytes();
    const text = bytes.toString('utf8');
    this.line(text, events, !isUtf8(bytes));
  }

  private line(rawLine: string, events: StdoutEvent[], invalidUtf8 = false): void {
    const crlf = rawLine.endsWith('\r');
    // A byte order mark before a message is read by Codex 0.171.0 as if absent (measured on the
    // first line and on a later one), so it is dropped here.
    const unmarked = rawLine.charCodeAt(0) === 0xfeff ? rawLine.slice(1) : rawLine;
    const line = crlf ? unmarked.slice(0, -1) : unmarked;

    if (line.length > LARGE_ANSWER_BYTES) {
      const count = countJsonValues(line, JSON_MAX_VALUES);
      if (count.values > JSON_MAX_VALUES) {
        if (this.pending) this.flushPending(events);
        events.push({ kind: 'noise', noise: 'too-many-values', raw: line.slice(0, OVERSIZED_SAMPLE_BYTES), crlf, bytes: Buffer.byteLength(line), values: count.values, ...(count.id !== undefined && { id: count.id }) });
        return;
      }
    }
    if (this.pending) {
      const parsedAlone = tryParse(line);
      if (parsedAlone.ok && isJsonRpcMessage(parsedAlone.value)) {
        // A complete message on its own line: what was pending was not the start of it.
        this.flushPending(events);
      } else {
        this.appendPending(line, crlf, events);
        return;
      }
    }

    const parsed = tryParse(line);
    if (parsed.ok) {
      if (isJsonRpcMessage(parsed.value)) {
        rememberSource(parsed.value, line);
        // Codex parses the same line with serde_json, which refuses more than JSON.parse does.
        const wire = wireProblems(line, { invalidUtf8 });
        if (wire.length > 0) events.push({ kind: 'noise', noise: 'codex-unreadable', raw: line, crlf, message: parsed.value, wire });
        else events.push({ kind: 'message', message: parsed.value, raw: line, crlf });
      } else events.push({ kind: 'noise', noise: 'not-jsonrpc', raw: line, crlf });
      return;
    }
    const glued = findGluedMessage(line);
    if (glued) {
      events.push({ kind: 'noise', noise: 'glued', raw: line, crlf, message: glued.message });
      return;
    }
    const trimmed = line.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      this.pending = { lines: [], crlf: false, chars: 0, depth: new DepthTracker() };
      this.appendPending(line, crlf, events);
      return;
    }
    events.push({ kind: 'noise', noise: 'non-json-line', raw: line, crlf });
  }

  private appendPending(line: string, crlf: boolean, events: StdoutEvent[]): void {
    const pending = this.pending!;
    pending.lines.push(line);
    pending.crlf ||= crlf;
    pending.chars += line.length + 1;
    pending.depth.feed(line);
    if (pending.depth.depth <= 0) {
      const text = pending.lines.join('\n');
      const parsed = tryParse(text);
      if (parsed.ok && isJsonRpcMessage(parsed.value) && pending.lines.length > 1) {
        events.push({ kind: 'noise', noise: 'multi-line', raw: text, crlf: pending.crlf, message: parsed.value });
        this.pending = undefined;
        return;
      }
      this.flushPending(events);
      return;
    }
    if (pending.chars > MAX_PENDING_CHARS || pending.lines.length > MAX_PENDING_LINES) this.flushPending(events);
  }

  private flushPending(events: StdoutEvent[]): void {
    if (!this.pending) return;
    for (const line of this.pending.lines) {
      const parsed = tryParse(line);
      events.push({ kind: 'noise', noise: parsed.ok ? 'not-jsonrpc' : 'non-json-line', raw: line, crlf: this.pending.crlf });
    }
    this.pending = undefined;
  }
}
