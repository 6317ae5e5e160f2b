/**
 * Every bound mcp-doctor applies to what a peer sends, in one place (docs/limits.md lists the same
 * values and why; test/limits-doc.test.ts keeps the two equal). Values that mirror Codex 0.171.0
 * were measured with the oracle (test/fuzz/, test/hostile/); the others keep the doctor under
 * 300 MB of peak memory whatever a server or config sends.
 */

const MiB = 1024 * 1024;

/**
 * Longest stdout line read from a stdio server, in bytes without the newline. Codex 0.171.0's rmcp
 * (transport::async_rw, `max_line_length=16777216`) discards a line this long or longer and waits
 * for an answer that never comes: measured, 16 MiB − 1 bytes connects, 16 MiB times out.
 */
export const STDIO_MAX_LINE_BYTES = 16 * MiB;

/**
 * Most bytes of one HTTP response body read (JSON, or an SSE stream), after any content decoding.
 * Codex 0.171.0 puts no limit on a configured server's answer; the doctor stops here and says the
 * rest was not verified (a warning), so it neither runs out of memory nor contradicts Codex.
 */
export const HTTP_MAX_BODY_BYTES = 16 * MiB;

/**
 * Most answer bytes held at once by all the HTTP checks running concurrently (16 by default): past
 * it an answer is cut off (a warning that names --concurrency 1). Measured: 16 servers sending
 * 200 MB each peaked at 418 MB without it.
 */
export const HTTP_MAX_HELD_BYTES = 32 * MiB;

/** What is kept of an answer that was cut off (the rest is dropped at once). */
export const HTTP_CUT_PREVIEW_BYTES = 64 * 1024;

/** Most decoded bytes a compressed (gzip/deflate/br) HTTP body may expand to: a compression bomb past it. */
export const HTTP_MAX_DECODED_BYTES = HTTP_MAX_BODY_BYTES;

/** Most bytes of one SSE event's data (a longer event is cut off and not parsed). */
export const SSE_MAX_EVENT_BYTES = 16 * MiB;

/** Most SSE events kept per response (the rest are counted, not kept). */
export const SSE_MAX_EVENTS = 10_000;

/** Deepest JSON nesting Codex 0.171.0 reads (serde_json's recursion limit): 127 levels connect, 128 do not (measured). */
export const JSON_MAX_DEPTH = 127;

/** Most tools Codex 0.171.0 accepts from one server over all pages (codex-mcp pagination.rs `MAX_MCP_CATALOG_ITEMS`; 2048 connects, 2049 fails). */
export const CODEX_MAX_CATALOG_ITEMS = 2048;

/** Longest `nextCursor` Codex 0.171.0 accepts (codex-mcp pagination.rs `MAX_MCP_PAGINATION_CURSOR_BYTES`). */
export const CODEX_MAX_CURSOR_BYTES = 64 * 1024;

/** Redirect hops followed, as reqwest (which Codex uses) does: the 11th is refused. */
export const HTTP_MAX_REDIRECTS = 10;

/** stderr lines kept per stdio server (its tail), and the longest stderr line kept. */
export const STDERR_TAIL_LINES = 400;
export const STDERR_LINE_CHARS = 1000;

/** Stdout noise records kept per stdio server (the rest are counted). */
export const STDIO_MAX_NOISE_RECORDS = 200;

/** Transcript (`--verbose`): entries per server, characters per entry, characters per server. */
export const TRANSCRIPT_MAX_ENTRIES = 2000;
export const TRANSCRIPT_ENTRY_CHARS = 4000;
export const TRANSCRIPT_MAX_CHARS = 1 * MiB;

/** `n MiB` for messages. */
export function mib(bytes: number): string {
  const v = bytes / MiB;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} MiB`;
}
