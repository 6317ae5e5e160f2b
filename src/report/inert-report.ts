/**
 * The one place where a report is made safe for a terminal and for markdown, before the text and
 * markdown renderers lay it out: every string in it (server names, commands, args, URLs, wire
 * strings, stderr lines, tool names, error messages — whatever its source) has its control
 * characters made visible (`\x1b`, `\x07`, `\x00`), and a newline or carriage return in a value
 * that is laid out as one line (a name, a message, a summary) becomes a visible `\n` / `\r`, so a
 * name such as "two\nlines" cannot forge a report line. Only the fields whose newlines are the
 * doctor's own layout (a TOML fix, a diff, a transcript entry, a stack) keep them; their lines
 * are indented under their block by the renderers, and wire text inside them is escaped at
 * capture.
 *
 * Renderers still call `inert` at their call sites (harmless twice: the escapes hold no control
 * characters); this pass is what makes a forgotten call site safe. The JSON report is left as
 * data (JSON.stringify escapes control characters itself).
 */
import type { Report } from '../types.ts';

// Controls, the line and paragraph separators, and the bidirectional marks, embeddings, overrides
// and isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069): a server name holding
// U+202E reorders what a terminal shows after it ("Trojan Source"), found by blind testing.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\t' };

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/** One-line text: every control character (newlines too) visible, tabs kept. */
export function inertLine(text: string): string {
  return text.replace(CONTROL_OR_NEWLINE, escapeChar);
}

/** Multi-line text: newlines kept (they are layout), every other control character visible. */
export function inertBlock(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL, (ch) => (ch === '\t' ? ch : escapeChar(ch)));
}

/** Keys whose string values are laid out over several lines by the renderers. */
const BLOCK_KEYS = new Set(['toml', 'diff', 'text', 'stack', 'internalError', 'edits']);

/** Past this depth values are left as they are (evidence from a peer may nest deeply; it is printed as JSON). */
const MAX_DEPTH = 64;

/** A copy of `report` with every string made inert (see the module comment). */
export function inertReport(report: Report): Report {
  const walk = (value: unknown, key: string | undefined, depth: number, inEvidence: boolean): unknown => {
    if (typeof value === 'string') {
      // Evidence is printed as JSON (which escapes newlines) or as one-line facts, which skip
      // strings with a newline; its other control characters still must not reach a terminal.
      if (inEvidence || (key !== undefined && BLOCK_KEYS.has(key))) return inertBlock(value);
      // A fix command may be wrapped with backslash-newline continuations (the renderer indents
      // each line); any other newline in it came from a name or value and is made visible.
      if (key === 'command') return value.split(' \\\n').map(inertLine).join(' \\\n');
      return inertLine(value);
    }
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((v) => walk(v, key, depth + 1, inEvidence));
    const out: Record<string, unknown> = {};
    // Keys too: a schema's property names come from the wire.
    for (const [k, v] of Object.entries(value)) out[inertLine(k)] = walk(v, k, depth + 1, inEvidence || k === 'evidence');
    return out;
  };
  return walk(report, undefined, 0, false) as Report;
}
