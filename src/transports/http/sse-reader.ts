import { createParser, type EventSourceParser } from 'eventsource-parser';
import { JSON_MAX_VALUES, LARGE_ANSWER_BYTES, ownCopy } from '../../limits.ts';
import { countJsonValues, rememberSource } from '../codex-wire.ts';

/**
 * Turns a `text/event-stream` body into classified events. Only events with no `event` field or
 * `event: message` carry JSON-RPC (as the SDK and rmcp read them); `endpoint` belongs to the
 * legacy HTTP+SSE transport; an event with an id and empty data is a 2025-11-25 priming event.
 */

export type SseEventKind = 'jsonrpc' | 'endpoint' | 'priming' | 'other';

export interface SseEvent {
  kind: SseEventKind;
  /** The `event:` field as sent (undefined means the default, `message`). */
  event?: string;
  id?: string;
  data: string;
  /** The parsed JSON-RPC message for `jsonrpc` events whose data is JSON. */
  message?: unknown;
  /** `jsonrpc` events whose data does not parse as JSON. */
  invalidJson?: boolean;
  /** Data with more than JSON_MAX_VALUES values: not parsed (the count, at least the limit + 1). */
  tooManyValues?: number;
  /** Milliseconds after the response headers. */
  atMs: number;
}

export interface SseReader {
  feed(chunk: string): void;
  /** Parses a trailing event that had no blank line after it. */
  end(): void;
  readonly events: SseEvent[];
  readonly comments: number;
  readonly retryMs?: number;
}

export function createSseReader(onEvent: (event: SseEvent) => void, now: () => number): SseReader {
  const started = now();
  const events: SseEvent[] = [];
  let comments = 0;
  let retryMs: number | undefined;
  const parser: EventSourceParser = createParser({
    onEvent(raw) {
      const event = classify(raw.event, raw.id, raw.data, Math.round(now() - started));
      events.push(event);
      onEvent(event);
    },
    onComment() {
      comments++;
    },
    onRetry(ms) {
      retryMs = ms;
    },
  });
  // Lines may end in a lone CR, which Codex reads (measured with 0.171.0) but the parser holds
  // back, waiting for an LF that never comes: every line ending becomes LF first. A CR at the end
  // of a chunk waits for the next one (it may be the first half of a CRLF).
  let heldCR = false;
  const normalise = (chunk: string): string => {
    let text = heldCR ? `\r${chunk}` : chunk;
    heldCR = text.endsWith('\r');
    if (heldCR) text = text.slice(0, -1);
    return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  };
  return {
    feed: (chunk) => parser.feed(normalise(chunk)),
    end: () => {
      if (heldCR) parser.feed('\n');
      heldCR = false;
      parser.reset({ consume: true });
    },
    events,
    get comments() {
      return comments;
    },
    get retryMs() {
      return retryMs;
    },
  };
}

function classify(event: string | undefined, id: string | undefined, data: string, atMs: number): SseEvent {
  const base = { ...(event !== undefined && { event }), ...(id !== undefined && { id }), data, atMs };
  if (event === 'endpoint') return { kind: 'endpoint', ...base };
  // Codex 0.171.0 reads the data of an event of any other name as a message (`event: foo`
  // connects, measured); only an event without data is no message.
  if (event !== undefined && event !== 'message' && data.trim() === '') return { kind: 'other', ...base };
  if (data.trim() === '') return { kind: 'priming', ...base };
  if (data.length > LARGE_ANSWER_BYTES) {
    // Not parsed past JSON_MAX_VALUES (memory): the exchange cuts the stream off here.
    const count = countJsonValues(data, JSON_MAX_VALUES);
    if (count.values > JSON_MAX_VALUES) return { kind: 'jsonrpc', ...base, data: ownCopy(data.slice(0, 65_536)), invalidJson: true, tooManyValues: count.values };
  }
  try {
    const message = JSON.parse(data) as unknown;
    rememberSource(message, data);
    return { kind: 'jsonrpc', ...base, message };
  } catch {
    return { kind: 'jsonrpc', ...base, invalidJson: true };
  }
}

/** One line per event for the transcript and for evidence (`event: endpoint data: /messages?…`). */
export function describeSseEvent(event: SseEvent, maxData = 300): string {
  const data = event.data.length > maxData ? `${event.data.slice(0, maxData)}…` : event.data;
  return [event.event !== undefined ? `event: ${event.event}` : undefined, event.id !== undefined ? `id: ${event.id}` : undefined, `data: ${data}`]
    .filter(Boolean)
    .join(' ');
}
