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
 * An answer (a stdio line, an HTTP body) longer than this is read on only while its server holds
 * one of the LARGE_ANSWER_SLOTS; until then the source is paused (backpressure) and the server's
 * deadline is paused with it. Ordinary answers are kilobytes and never wait.
 */
export const LARGE_ANSWER_BYTES = 1 * MiB;

/**
 * Servers that may hold a large answer at once, over both transports: from its first byte past
 * LARGE_ANSWER_BYTES until the stage that reads it has ended, so the parsed answer counts too.
 * One 16 MiB answer costs up to ~100 MB while read, parsed and checked (measured: a 13 MB
 * tools/list of 200 000 tools); 16 servers sending such answers at once peaked at 491–578 MB
 * (stdio) without this bound.
 */
export const LARGE_ANSWER_SLOTS = 1;

/** What is kept of an answer that was cut off (the rest is dropped at once). */
export const HTTP_CUT_PREVIEW_BYTES = 64 * 1024;

/** Most decoded bytes a compressed (gzip/deflate/br) HTTP body may expand to: a compression bomb past it. */
export const HTTP_MAX_DECODED_BYTES = HTTP_MAX_BODY_BYTES;

/** Most bytes of one SSE event's data (a longer event is cut off and not parsed). */
export const SSE_MAX_EVENT_BYTES = 16 * MiB;

/** Most SSE events kept per response (the rest are counted, not kept). */
export const SSE_MAX_EVENTS = 10_000;

/**
 * Most JSON values in one answer mcp-doctor parses (counted as commas and opening brackets, only in
 * answers longer than LARGE_ANSWER_BYTES). JSON.parse costs 25–50 bytes per value: 8 M numbers in
 * one 16 MiB line took a bare JSON.parse to 322 MB. Past it the answer is not parsed and not
 * verified (a warning); Codex reads it.
 */
export const JSON_MAX_VALUES = 2_000_000;

/** Deepest JSON nesting Codex 0.171.0 reads (serde_json's recursion limit): 127 levels connect, 128 do not (measured). */
export const JSON_MAX_DEPTH = 127;

/** Most tools Codex 0.171.0 accepts from one server over all pages (codex-mcp pagination.rs `MAX_MCP_CATALOG_ITEMS`; 2048 connects, 2049 fails). */
export const CODEX_MAX_CATALOG_ITEMS = 2048;

/** Longest `nextCursor` Codex 0.171.0 accepts (codex-mcp pagination.rs `MAX_MCP_PAGINATION_CURSOR_BYTES`). */
export const CODEX_MAX_CURSOR_BYTES = 64 * 1024;

/**
 * Bytes of one HTTP response's header names and values (undici's maxHeaderSize). Codex 0.171.0
 * (hyper) read a 504 000-byte header and refused 508 000 and more ("error sending request");
 * between the two its verdict varied from run to run (measured), so the doctor's bound sits in
 * that band. Past it: `wire.headers-too-large`.
 */
export const HTTP_MAX_HEADER_BYTES = 506_000;

/** Response header lines Codex 0.171.0 (hyper) reads: 100 connect, 101 fail (measured). */
export const HTTP_MAX_RESPONSE_HEADERS = 100;

/** Redirect hops followed, as reqwest (which Codex uses) does: the 11th is refused. */
export const HTTP_MAX_REDIRECTS = 10;

/** stderr lines kept per stdio server (its tail), and the longest stderr line kept. */
export const STDERR_TAIL_LINES = 400;
export const STDERR_LINE_CHARS = 1000;

/** Stdout noise records kept per stdio server (the rest are counted). */
export const STDIO_MAX_NOISE_RECORDS = 200;

/** Items named in one finding's message (the rest: "and N more"), and in one evidence list. */
export const REPORT_LIST_ITEMS = 20;
export const REPORT_EVIDENCE_ITEMS = 200;

/** Characters of a tool name (or another name from the wire) in a report. */
export const REPORT_TOOL_NAME_CHARS = 256;

/** Bytes of one tool's schema shown in the report's model view, and of all of one server's schemas. */
export const REPORT_SCHEMA_BYTES = 8 * 1024;
export const REPORT_SCHEMAS_BYTES = 1024 * 1024;

/** Characters of any one string kept in a report (a message, an evidence value, a summary). */
export const REPORT_STRING_CHARS = 16_384;

/** Transcript (`--verbose`): entries per server, characters per entry, characters per server. */
export const TRANSCRIPT_MAX_ENTRIES = 2000;
export const TRANSCRIPT_ENTRY_CHARS = 4000;
export const TRANSCRIPT_MAX_CHARS = 1 * MiB;

/** The largest config file read (larger: config.unreadable, exit 2, without reading it). */
export const CONFIG_MAX_BYTES = 4 * MiB;

/** Unknown keys reported one by one per server; the rest in one summary finding. */
export const CONFIG_MAX_UNKNOWN_KEY_FINDINGS = 20;

/** After a stdio answer with an id no request has, how long a matching answer may still come. */
export const STDIO_ID_MISMATCH_GRACE_MS = 1000;

/** How often the descendants of running stdio servers are looked up in /proc (Linux). */
export const PROCESS_TREE_POLL_MS = 100;

/** `n MiB` for messages. */
export function mib(bytes: number): string {
  const v = bytes / MiB;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} MiB`;
}

/**
 * A short piece of a long string as a string of its own. V8's `slice` of a string longer than 13
 * characters keeps the whole original alive: a 200-byte sample of a 15 MiB line, kept as evidence
 * in the report, held all 15 MiB until exit (16 such servers: 373 MB, measured).
 */
export function ownCopy(text: string): string {
  return text.length === 0 ? text : Buffer.from(text, 'utf8').toString('utf8');
}
