import { getGlobalDispatcher, request, type Dispatcher } from './undici-core.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import { classifyNetworkError, RequestTimeout, type NetFailure } from './classify-network-error.ts';
import { createSseReader, describeSseEvent, type SseEvent } from './sse-reader.ts';

/**
 * One HTTP request and its response, bounded in time and size, recorded (redacted) in the
 * transcript. Redirects are never followed here: callers see every 3xx and re-issue explicitly,
 * so the chain can be reported.
 */

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface ExchangeSpec {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** What the request is for, shown in the transcript ("initialize", "legacy SSE probe"). */
  label: string;
  /** Upper bound for the whole exchange; the server's deadline bounds it too. */
  timeoutMs?: number;
  /** For an SSE body: stop reading once this returns true for an event (the event is kept). */
  until?: (event: SseEvent) => boolean;
  /** Cap on a non-SSE body kept for parsing (default 8 MiB); beyond it the body is cut off. */
  maxBodyBytes?: number;
  /** Read only the status and headers, then close (a stream that may stay open). */
  headersOnly?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; raw values (not redacted: redact before storing as evidence). */
  headers: Record<string, string>;
  /** Media type essence, lower case (`application/json`), or undefined when absent. */
  contentType?: string;
  /** A non-SSE body as text (possibly cut off, see `truncated`). */
  body: string;
  truncated: boolean;
  /** For `text/event-stream` bodies: the events read before stopping. */
  sse?: { events: SseEvent[]; comments: number; retryMs?: number; ended: 'matched' | 'closed' | 'stalled' };
  headersMs: number;
}

export interface Exchange {
  spec: ExchangeSpec;
  /** Set when response headers arrived (even if the body then stalled). */
  response?: HttpResponse;
  /** Set when the request failed or stalled; with `response`, the stall was in the body. */
  failure?: NetFailure;
  elapsedMs: number;
}

export interface HttpClient {
  exchange(spec: ExchangeSpec): Promise<Exchange>;
  /** Aborts every request still in flight (cleanup). */
  abortAll(): void;
  /**
   * One redacted line per exchange, in order ("POST http://…/mcp (initialize) → HTTP 405
   * text/plain, 3 ms"): the requests a finding's evidence shows as tried. Lines are formatted
   * when read: most checks end without a finding that shows them.
   */
  readonly log: ExchangeLog;
}

export interface ExchangeLog {
  readonly length: number;
  slice(start?: number, end?: number): string[];
}

function createExchangeLog(): ExchangeLog & { push(line: () => string): void } {
  const lines: (string | (() => string))[] = [];
  const line = (i: number): string => {
    const entry = lines[i]!;
    if (typeof entry === 'string') return entry;
    const text = entry();
    lines[i] = text;
    return text;
  };
  return {
    get length() {
      return lines.length;
    },
    slice(start = 0, end = lines.length) {
      const from = start < 0 ? Math.max(0, lines.length + start) : Math.min(start, lines.length);
      const to = end < 0 ? Math.max(0, lines.length + end) : Math.min(end, lines.length);
      const out: string[] = [];
      for (let i = from; i < to; i++) out.push(line(i));
      return out;
    },
    push(entry) {
      lines.push(entry);
    },
  };
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
const TRANSCRIPT_BODY_CHARS = 2000;
const SHOWN_RESPONSE_HEADERS = ['content-type', 'content-length', 'location', 'mcp-session-id', 'www-authenticate', 'allow', 'retry-after'];

export function createHttpClient(ctx: ServerContext): HttpClient {
  const inflight = new Set<AbortController>();
  const log = createExchangeLog();
  const base: Dispatcher = ctx.deps.dispatcher ?? getGlobalDispatcher();
  const now = () => ctx.deps.clock.now();

  const exchange = async (spec: ExchangeSpec): Promise<Exchange> => {
    const started = now();
    const remaining = ctx.remainingMs();
    const limit = Math.max(0, Math.min(spec.timeoutMs ?? remaining, remaining));
    const byDeadline = limit >= remaining;
    const controller = new AbortController();
    inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new RequestTimeout(byDeadline, limit)), limit);
    const onDeadline = () => controller.abort(new RequestTimeout(true, limit));
    if (ctx.signal.aborted) onDeadline();
    else ctx.signal.addEventListener('abort', onDeadline, { once: true });

    const state = { connected: false, headersReceived: false, sse: false, eventSeen: false };
    // undici tells a handler when the request is written to a connected socket; that is how a
    // stall is placed in "connect" or "headers".
    const dispatcher = base.compose((dispatch) => (opts, handler) => dispatch(opts, trackConnection(handler, () => (state.connected = true))));

    const headers: Record<string, string> = {
      ...spec.headers,
      ...(spec.method === 'POST' && { 'Content-Type': 'application/json' }),
    };
    if (ctx.transcript.enabled) recordRequest(ctx, spec, headers);
    let response: HttpResponse | undefined;
    try {
      const pending = request(spec.url, {
        method: spec.method,
        headers,
        body: spec.body,
        dispatcher,
        signal: controller.signal,
      });
      // undici applies an abort only once the request reaches a socket; a connect that never
      // completes would outlive the deadline, so the abort also settles the wait here.
      pending.catch(() => undefined);
      const aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(controller.signal.reason);
        if (controller.signal.aborted) onAbort();
        else controller.signal.addEventListener('abort', onAbort, { once: true });
      });
      aborted.catch(() => undefined);
      const res = await Promise.race([pending, aborted]);
      state.headersReceived = true;
      // Destroying an unread body emits an abort error; it is expected, not a crash.
      res.body.on('error', () => undefined);
      const resHeaders = flattenHeaders(res.headers);
      const contentType = mediaType(resHeaders['content-type']);
      response = { status: res.statusCode, headers: resHeaders, contentType, body: '', truncated: false, headersMs: Math.round(now() - started) };
      if (spec.headersOnly) {
        res.body.destroy();
      } else if (contentType === 'text/event-stream') {
        state.sse = true;
        response.sse = { events: [], comments: 0, ended: 'closed' };
        const sse = response.sse;
        let matched = false;
        const reader = createSseReader((event) => {
          state.eventSeen = true;
          if (ctx.transcript.enabled) ctx.transcript.add('sse-event', `${spec.label}: ${describeSseEvent(event)}`);
          if (!matched && spec.until?.(event)) matched = true;
        }, now);
        sse.events = reader.events;
        const decoder = new TextDecoder();
        for await (const chunk of res.body) {
          reader.feed(decoder.decode(chunk as Buffer, { stream: true }));
          if (matched) break;
        }
        if (!matched) {
          reader.feed(decoder.decode());
          reader.end();
        }
        sse.comments = reader.comments;
        sse.retryMs = reader.retryMs;
        sse.ended = matched ? 'matched' : 'closed';
        res.body.destroy();
      } else {
        const max = spec.maxBodyBytes ?? DEFAULT_MAX_BODY;
        const read = await readCapped(res.body, max);
        res.body.destroy();
        response.truncated = read.truncated;
        response.body = read.bytes.toString('utf8');
      }
      if (ctx.transcript.enabled) recordResponse(ctx, spec, response, now() - started);
      const elapsed = now() - started;
      const answered = response;
      log.push(() => logLine(ctx, spec, answered, undefined, elapsed));
      return { spec, response, elapsedMs: Math.round(now() - started) };
    } catch (error) {
      const failure = classifyNetworkError(controller.signal.aborted ? (controller.signal.reason ?? error) : error, state);
      if (response) {
        if (response.sse) response.sse.ended = 'stalled';
        if (ctx.transcript.enabled) recordResponse(ctx, spec, response, now() - started);
      }
      ctx.transcript.add('note', `${spec.label}: ${spec.method} ${spec.url} failed (${failure.kind}, ${failure.phase}): ${failure.detail}`);
      const elapsed = now() - started;
      const answered = response;
      log.push(() => logLine(ctx, spec, answered, failure, elapsed));
      return { spec, response, failure, elapsedMs: Math.round(now() - started) };
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onDeadline);
      inflight.delete(controller);
    }
  };

  return {
    exchange,
    log,
    abortAll() {
      for (const controller of inflight) controller.abort(new RequestTimeout(true, 0));
      inflight.clear();
    },
  };
}

/**
 * Reads a body up to `max` bytes. Listeners, not `for await`: a stream's async iterator cost
 * more CPU than the rest of reading a small JSON answer (profiled over 50 servers).
 */
function readCapped(body: NodeJS.ReadableStream, max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const detach = () => {
      body.removeListener('data', onData);
      body.removeListener('end', onEnd);
      body.removeListener('error', onError);
      body.removeListener('close', onClose);
    };
    const done = (truncated: boolean) => {
      detach();
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      resolve({ bytes: bytes.length > max ? bytes.subarray(0, max) : bytes, truncated });
    };
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      size += chunk.length;
      if (size > max) done(true);
    };
    const onEnd = () => done(false);
    const onError = (error: unknown) => {
      detach();
      reject(error);
    };
    // Closed with neither 'end' nor 'error': what `for await` reports as a premature close.
    const onClose = () => onError(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    body.once('close', onClose);
  });
}

/** Wraps an undici (new-style) handler to learn when the request reached a connected socket. */
function trackConnection(handler: Dispatcher.DispatchHandler, onConnected: () => void): Dispatcher.DispatchHandler {
  const h = handler as Record<string, ((...args: unknown[]) => unknown) | undefined>;
  const forward =
    (name: string) =>
    (...args: unknown[]) =>
      h[name]?.apply(handler, args);
  return {
    onRequestStart: (...args: unknown[]) => {
      onConnected();
      return h.onRequestStart?.apply(handler, args);
    },
    onRequestUpgrade: forward('onRequestUpgrade'),
    onResponseStart: forward('onResponseStart'),
    onResponseData: forward('onResponseData'),
    onResponseEnd: forward('onResponseEnd'),
    onResponseError: forward('onResponseError'),
  } as Dispatcher.DispatchHandler;
}

function logLine(ctx: ServerContext, spec: ExchangeSpec, response: HttpResponse | undefined, failure: NetFailure | undefined, elapsedMs: number): string {
  const parts: string[] = [];
  if (response) {
    parts.push(`HTTP ${response.status}${response.contentType ? ` ${response.contentType}` : ''}`);
    if (response.sse) parts.push(`${response.sse.events.length} event${response.sse.events.length === 1 ? '' : 's'} (${response.sse.ended})`);
  }
  if (failure) parts.push(`failed: ${failure.kind} (${failure.phase})${failure.code ? ` ${failure.code}` : ''}`);
  parts.push(`${Math.round(elapsedMs)} ms`);
  return ctx.redact.text(`${spec.method} ${ctx.redact.url(spec.url)} (${spec.label}) → ${parts.join(', ')}`);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** `Text/Event-Stream; charset=utf-8` → `text/event-stream` (compare by essence, as the SDK does). */
export function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const essence = value.split(';')[0]!.trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

function preview(text: string, max = TRANSCRIPT_BODY_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

function recordRequest(ctx: ServerContext, spec: ExchangeSpec, headers: Record<string, string>): void {
  const shown = ctx.redact.headers(headers);
  const lines = [`${spec.label}: ${spec.method} ${ctx.redact.url(spec.url)}`, ...Object.entries(shown).map(([k, v]) => `${k}: ${v}`)];
  if (spec.body !== undefined) lines.push('', preview(spec.body));
  ctx.transcript.add('http-request', lines.join('\n'));
}

function recordResponse(ctx: ServerContext, spec: ExchangeSpec, response: HttpResponse, elapsedMs: number): void {
  const picked: Record<string, string> = {};
  for (const name of SHOWN_RESPONSE_HEADERS) if (response.headers[name] !== undefined) picked[name] = response.headers[name]!;
  const shown = ctx.redact.headers(picked);
  const lines = [`${spec.label}: HTTP ${response.status} (${Math.round(elapsedMs)} ms)`, ...Object.entries(shown).map(([k, v]) => `${k}: ${v}`)];
  if (response.sse) {
    lines.push('', `[event stream: ${response.sse.events.length} event(s), ${response.sse.ended}]`);
  } else if (response.body !== '') {
    lines.push('', preview(response.body) + (response.truncated ? ' [body cut off]' : ''));
  }
  ctx.transcript.add('http-response', lines.join('\n'));
}

/** Statuses after which a client re-issues the request to `Location`. */
export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface RedirectHop {
  status: number;
  from: string;
  to: string;
  /** The hop crosses origins, so the client drops `Authorization` (reqwest does; so does undici). */
  crossOrigin: boolean;
}

export interface FollowedExchange {
  exchange: Exchange;
  hops: RedirectHop[];
  /** The URL that gave the final answer. */
  finalUrl: string;
  /** The chain ended in a loop or exceeded the hop limit. */
  loop?: boolean;
}

const MAX_HOPS = 5;
const SENSITIVE_ON_CROSS_ORIGIN = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Issues the request and re-issues it to each `Location`, keeping method and body (so the
 * endpoint that really answers is found even where a client would switch POST to GET; callers
 * judge that from the hop statuses).
 */
export async function exchangeFollowingRedirects(client: HttpClient, spec: ExchangeSpec): Promise<FollowedExchange> {
  const hops: RedirectHop[] = [];
  const seen = new Set<string>([spec.url]);
  let current = spec;
  for (;;) {
    const exchange = await client.exchange(current);
    const res = exchange.response;
    const location = res?.headers.location;
    if (!res || !REDIRECT_STATUSES.has(res.status) || !location) return { exchange, hops, finalUrl: current.url };
    let next: URL;
    try {
      next = new URL(location, current.url);
    } catch {
      return { exchange, hops, finalUrl: current.url };
    }
    const crossOrigin = next.origin !== new URL(current.url).origin;
    hops.push({ status: res.status, from: current.url, to: next.href, crossOrigin });
    if (seen.has(next.href) || hops.length > MAX_HOPS) return { exchange, hops, finalUrl: current.url, loop: true };
    seen.add(next.href);
    const headers = crossOrigin
      ? Object.fromEntries(Object.entries(current.headers).filter(([k]) => !SENSITIVE_ON_CROSS_ORIGIN.has(k.toLowerCase())))
      : current.headers;
    current = { ...current, url: next.href, headers };
  }
}
