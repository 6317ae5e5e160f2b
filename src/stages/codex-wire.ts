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
  | { kind: 'invalid-utf8'; codexSays: string };

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
  return problems;
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
  }
}
