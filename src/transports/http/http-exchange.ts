import { getGlobalDispatcher, type Dispatcher } from './undici-core.ts';
import type { LargeAnswerGate, ServerContext } from '../../pipeline/context.ts';
import { classifyNetworkError, RequestTimeout, type NetFailure } from './classify-network-error.ts';
import { createSseReader, describeSseEvent, type SseEvent } from './sse-reader.ts';
import { isUtf8 } from 'node:buffer';
import { createGunzip, type Gunzip } from 'node:zlib';
import { HTTP_CUT_PREVIEW_BYTES, HTTP_MAX_BODY_BYTES, HTTP_MAX_DECODED_BYTES, HTTP_MAX_REDIRECTS, HTTP_MAX_RESPONSE_HEADERS, JSON_MAX_VALUES, LARGE_ANSWER_BYTES, ownCopy, SSE_MAX_EVENTS } from '../../limits.ts';
import { countJsonValues } from '../codex-wire.ts';
import { setDelay } from '../../deadline.ts';

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
  /** Cap on a non-SSE body kept for parsing (default HTTP_MAX_BODY_BYTES); beyond it the body is cut off. */
  maxBodyBytes?: number;
  /** Read only the status and headers, then close (a stream that may stay open). */
  headersOnly?: boolean;
  /** `timeoutMs` alone bounds the request, not the server's deadline (probes run with it paused). */
  ownTimeout?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; raw values (not redacted: redact before storing as evidence). */
  headers: Record<string, string>;
  /** Media type essence, lower case (`application/json`), or undefined when absent. */
  contentType?: string;
  /** A non-SSE body as text (possibly cut off, see `truncated`). */
  body: string;
  /** The body (or event stream) was cut off at a limit (`maxBodyBytes`, HTTP_MAX_BODY_BYTES, SSE_MAX_EVENTS, HTTP_MAX_DECODED_BYTES). */
  truncated: boolean;
  /** Bytes read when the body was cut off (decoded bytes for a compressed body). */
  cutAtBytes?: number;
  /** Why it was cut off. */
  cutBy?: 'size' | 'events' | 'compression-bomb' | 'budget' | 'values';
  /** cutBy 'values': the JSON values counted (at least JSON_MAX_VALUES + 1). */
  values?: number;
  /** `Content-Encoding` that was decoded (gzip). */
  decoded?: string;
  /** Another `Content-Encoding` (deflate, br…): left as sent, since Codex does not decode it. */
  contentEncoding?: string;
  /** Body bytes that are not valid UTF-8 (decoding replaced them); for SSE, anywhere in the stream read. */
  invalidUtf8?: boolean;
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

const DEFAULT_MAX_BODY = HTTP_MAX_BODY_BYTES;
const TRANSCRIPT_BODY_CHARS = 2000;
const SHOWN_RESPONSE_HEADERS = ['content-type', 'content-length', 'location', 'mcp-session-id', 'www-authenticate', 'allow', 'retry-after'];

/**
 * Why an exchange stops early (its timeout, the server's deadline, cleanup). Plain callbacks, not
 * an AbortController per request: adding and removing signal listeners on every request was a
 * visible share of a check's CPU.
 */
interface Abort {
  reason?: Error;
  /** Set by the request in flight: how to stop it. */
  hook?: (reason: Error) => void;
}

function abortWith(abort: Abort, reason: Error): void {
  if (abort.reason !== undefined) return;
  abort.reason = reason;
  abort.hook?.(reason);
}

export function createHttpClient(ctx: ServerContext): HttpClient {
  const inflight = new Map<Abort, number>();
  // One listener for the server's deadline, whatever the number of requests.
  const onDeadline = () => {
    for (const [abort, limit] of inflight) abortWith(abort, new RequestTimeout(true, limit));
  };
  if (!ctx.signal.aborted) ctx.signal.addEventListener('abort', onDeadline, { once: true });
  const log = createExchangeLog();
  const base: Dispatcher = ctx.deps.dispatcher ?? getGlobalDispatcher();
  const now = () => ctx.deps.clock.now();

  const exchange = async (spec: ExchangeSpec): Promise<Exchange> => {
    const started = now();
    const remaining = ctx.remainingMs();
    // A probe of the doctor's own is bounded by its timeout alone (it runs with the deadline paused).
    const limit = spec.ownTimeout && spec.timeoutMs !== undefined ? spec.timeoutMs : Math.max(0, Math.min(spec.timeoutMs ?? remaining, remaining));
    const byDeadline = !spec.ownTimeout && limit >= remaining;
    const abort: Abort = {};
    inflight.set(abort, limit);
    // A request bounded by the deadline ends with it; the deadline can move (a paused wait for a
    // large-answer slot), so when the timer fires early it is set again for what is left.
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      timer = setDelay(() => {
        const left = byDeadline && !ctx.signal.aborted ? ctx.remainingMs() : 0;
        if (left > 0) arm(left);
        else abortWith(abort, new RequestTimeout(byDeadline, limit));
      }, ms);
    };
    arm(limit);
    if (ctx.signal.aborted) abortWith(abort, new RequestTimeout(true, limit));

    const headers: Record<string, string> = {
      ...spec.headers,
      ...(spec.method === 'POST' && { 'Content-Type': 'application/json' }),
    };
    if (ctx.transcript.enabled) recordRequest(ctx, spec, headers);
    const out = await dispatchExchange(base, spec, headers, abort, now, ctx.largeAnswer, (event) => {
      if (ctx.transcript.enabled) ctx.transcript.add('sse-event', `${spec.label}: ${describeSseEvent(event)}`);
    });
    clearTimeout(timer);
    inflight.delete(abort);
    const { response } = out;
    const elapsed = now() - started;
    if (out.error === undefined) {
      if (ctx.transcript.enabled) recordResponse(ctx, spec, response!, elapsed);
      log.push(() => logLine(ctx, spec, response, undefined, elapsed));
      return { spec, response, elapsedMs: Math.round(elapsed) };
    }
    const failure = classifyNetworkError(abort.reason ?? out.error, out.progress);
    if (response) {
      if (response.sse) response.sse.ended = 'stalled';
      if (ctx.transcript.enabled) recordResponse(ctx, spec, response, elapsed);
    }
    ctx.transcript.add('note', `${spec.label}: ${spec.method} ${spec.url} failed (${failure.kind}, ${failure.phase}): ${failure.detail}`);
    log.push(() => logLine(ctx, spec, response, failure, elapsed));
    return { spec, response, failure, elapsedMs: Math.round(elapsed) };
  };

  return {
    exchange,
    log,
    abortAll() {
      for (const abort of inflight.keys()) abortWith(abort, new RequestTimeout(true, 0));
      inflight.clear();
    },
  };
}

/**
 * One request through undici's dispatcher with a handler of our own. The request API (a stream
 * per body, an AsyncResource and abort listeners per request) cost more CPU than the exchange
 * itself across 50 servers (profiled); a handler sees the same bytes, knows when the request
 * reached a connected socket (that places a stall in "connect" or "headers"), and keeps the
 * connection alive whenever the whole answer was read.
 */
interface Dispatched {
  /** Set once headers arrived, also when the body then failed. */
  response?: HttpResponse;
  /** Why the request failed; absent when the answer (or as much of it as was wanted) was read. */
  error?: unknown;
  /** How far the request got: places a failure in "connect", "headers", "first-event" or "body". */
  progress: { connected: boolean; headersReceived: boolean; sse: boolean; eventSeen: boolean };
}

function dispatchExchange(
  dispatcher: Dispatcher,
  spec: ExchangeSpec,
  headers: Record<string, string>,
  abort: Abort,
  now: () => number,
  gate: LargeAnswerGate | undefined,
  onEvent: (event: SseEvent) => void,
): Promise<Dispatched> {
  const started = now();
  const progress = { connected: false, headersReceived: false, sse: false, eventSeen: false };
  return new Promise<Dispatched>((resolve) => {
    let settled = false;
    let upstream: Dispatcher.DispatchController | undefined;
    let response: HttpResponse | undefined;
    const max = spec.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const parts: Buffer[] = [];
    let size = 0;
    let reader: ReturnType<typeof createSseReader> | undefined;
    let matched = false;
    const decoder = new TextDecoder();
    let strict: InstanceType<typeof TextDecoder> | undefined = new TextDecoder('utf-8', { fatal: true });
    /** A zlib stream for a compressed body; its output goes through `consume`. */
    let inflater: Gunzip | undefined;

    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      abort.hook = undefined;
      resolve({ response, progress, ...(error !== undefined && { error }) });
    };
    // The abort settles the wait even before undici has a socket to abort (a connect that never
    // completes); the request itself is aborted as soon as it starts.
    const onAbort = (reason: Error) => {
      upstream?.abort(reason);
      settle(reason);
    };
    const finishBody = (end: boolean) => {
      const res = response!;
      if (reader) {
        if (end && !matched) {
          reader.feed(decoder.decode());
          reader.end();
        }
        res.sse!.comments = reader.comments;
        res.sse!.retryMs = reader.retryMs;
        res.sse!.ended = matched ? 'matched' : 'closed';
      } else if (!spec.headersOnly || parts.length > 0) {
        const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        const kept = bytes.length > max ? bytes.subarray(0, max) : bytes;
        res.body = kept.toString('utf8');
        if (!res.truncated && !isUtf8(kept)) res.invalidUtf8 = true;
        // Too many values to parse within the memory bound: cut off like an answer too long.
        if (!res.truncated && res.body.length > LARGE_ANSWER_BYTES) {
          const count = countJsonValues(res.body, JSON_MAX_VALUES);
          if (count.values > JSON_MAX_VALUES) {
            res.truncated = true;
            res.cutBy = 'values';
            res.cutAtBytes = kept.length;
            res.values = count.values;
            res.body = ownCopy(res.body.slice(0, HTTP_CUT_PREVIEW_BYTES));
          }
        }
      }
      settle();
    };

    const cut = (by: 'size' | 'events' | 'compression-bomb' | 'budget' | 'values', bytes: number) => {
      response!.truncated = true;
      response!.cutBy = by;
      response!.cutAtBytes = bytes;
      const bounded = max >= HTTP_MAX_BODY_BYTES;
      if (bounded) {
        // Only the preview is decoded (a 16 MiB body would be copied twice more).
        const kept: Buffer[] = [];
        let n = 0;
        for (const part of parts) {
          if (n >= HTTP_CUT_PREVIEW_BYTES) break;
          kept.push(part.subarray(0, HTTP_CUT_PREVIEW_BYTES - n));
          n += kept[kept.length - 1]!.length;
        }
        parts.length = 0;
        parts.push(...kept);
      }
      finishBody(false);
      if (bounded) {
        // An answer cut at a bound is not parsed: keep a preview, give the rest back.
        const res = response!;
        if (res.body.length > HTTP_CUT_PREVIEW_BYTES) res.body = res.body.slice(0, HTTP_CUT_PREVIEW_BYTES);
        if (res.sse) {
          res.sse.events = res.sse.events.slice(0, 50).map((e) => (e.data.length > HTTP_CUT_PREVIEW_BYTES ? { ...e, data: ownCopy(e.data.slice(0, HTTP_CUT_PREVIEW_BYTES)), message: undefined, invalidJson: true } : e));
        }
      }
      inflater?.destroy();
      upstream?.abort(new Error('body cut off'));
    };
    // Past LARGE_ANSWER_BYTES the body is read on only with a large-answer slot: the socket (and
    // the gunzip stream) is paused and what already came is held until the slot is granted.
    let held: Buffer[] | undefined;
    let endWhileHeld = false;
    /** An event with more than JSON_MAX_VALUES values (not parsed): the stream is cut off. */
    let unparsable: number | undefined;
    const waitForSlot = (chunk: Buffer) => {
      held = [chunk];
      upstream?.pause();
      inflater?.pause();
      void gate!.acquire().then((granted) => {
        const queued = held!;
        held = undefined;
        if (settled) return;
        if (!granted) return cut('budget', size);
        for (const part of queued) consume(part);
        if (settled) return;
        upstream?.resume();
        inflater?.resume();
        if (endWhileHeld) handler.onResponseEnd!(upstream!, {});
      });
    };
    // Every byte of the body (decoded, when compressed) passes here, bounded by the limits.
    const consume = (chunk: Buffer) => {
      if (settled) return;
      if (held) {
        held.push(chunk);
        return;
      }
      if (gate && !gate.held && size + chunk.length > LARGE_ANSWER_BYTES) return waitForSlot(chunk);
      size += chunk.length;
      if (reader) {
        if (size > HTTP_MAX_BODY_BYTES) return cut(inflater ? 'compression-bomb' : 'size', size);
        // A second, strict decoder notices bytes that are not UTF-8 (the lenient one replaces them).
        if (strict) {
          try {
            strict.decode(chunk, { stream: true });
          } catch {
            response!.invalidUtf8 = true;
            strict = undefined;
          }
        }
        reader.feed(decoder.decode(chunk, { stream: true }));
        if (unparsable !== undefined) {
          response!.values = unparsable;
          cut('values', size);
        } else if (matched) {
          finishBody(false);
          inflater?.destroy();
          upstream?.abort(new Error('answer read'));
        } else if (reader.events.length >= SSE_MAX_EVENTS) cut('events', size);
        return;
      }
      parts.push(chunk);
      if (inflater && size > Math.min(max, HTTP_MAX_DECODED_BYTES)) cut(max < HTTP_MAX_DECODED_BYTES ? 'size' : 'compression-bomb', size);
      else if (size > max) cut('size', size);
    };

    // Settle before aborting: undici reports the abort to onResponseError at once.
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(controller) {
        upstream = controller;
        progress.connected = true;
        if (abort.reason !== undefined) controller.abort(abort.reason);
      },
      onResponseStart(controller, statusCode, resHeaders) {
        // hyper (Codex) reads at most HTTP_MAX_RESPONSE_HEADERS header lines and fails the
        // request past them; undici has no such bound.
        let lines = 0;
        for (const value of Object.values(resHeaders as Record<string, string | string[] | undefined>)) lines += Array.isArray(value) ? value.length : value === undefined ? 0 : 1;
        if (lines > HTTP_MAX_RESPONSE_HEADERS) {
          const error = Object.assign(new Error(`${lines} response header lines (Codex's HTTP client reads at most ${HTTP_MAX_RESPONSE_HEADERS})`), { code: 'MCP_DOCTOR_TOO_MANY_HEADERS' });
          settle(error);
          controller.abort(error);
          return;
        }
        progress.headersReceived = true;
        const flat = flattenHeaders(resHeaders as Record<string, string | string[] | undefined>);
        const contentType = mediaType(flat['content-type']);
        response = { status: statusCode, headers: flat, contentType, body: '', truncated: false, headersMs: Math.round(now() - started) };
        if (spec.headersOnly) {
          // A stream may stay open: headers are the answer. A short plain answer is read to its
          // end, so the connection can serve the next request.
          const length = Number(flat['content-length']);
          if (contentType === 'text/event-stream' || !(length >= 0 && length <= 64 * 1024)) {
            finishBody(false);
            controller.abort(new Error('headers read'));
          }
          return;
        }
        // undici's dispatcher hands over the body as sent: decode it as reqwest (Codex) does,
        // counting decoded bytes, so a compression bomb stops at the limit.
        const encoding = flat['content-encoding']?.trim().toLowerCase();
        // Only gzip: Codex 0.171.0 reads a gzip answer and fails on deflate and br (measured).
        if (encoding !== undefined && encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') response.contentEncoding = encoding;
        if (encoding === 'gzip' || encoding === 'x-gzip') {
          response.decoded = encoding;
          inflater = createGunzip();
          inflater.on('data', (d: Buffer) => consume(d));
          inflater.on('error', (error) => settle(error));
          inflater.on('end', () => settled || finishBody(true));
        }
        if (contentType === 'text/event-stream') {
          progress.sse = true;
          response.sse = { events: [], comments: 0, ended: 'closed' };
          reader = createSseReader((event) => {
            progress.eventSeen = true;
            if (event.tooManyValues !== undefined) unparsable = event.tooManyValues;
            onEvent(event);
            if (!matched && spec.until?.(event)) matched = true;
          }, now);
          response.sse.events = reader.events;
        }
      },
      onResponseData(controller, chunk) {
        if (settled) return;
        if (inflater) inflater.write(chunk);
        else consume(chunk);
      },
      onResponseEnd() {
        if (settled) return;
        if (held) {
          // The end came while the body waits for a slot: it is handled once the wait is over.
          endWhileHeld = true;
          return;
        }
        if (inflater) {
          inflater.end();
          return;
        }
        // undici frees the connection on the next turn of the event loop (setImmediate after this
        // call); answering after it lets the next request reuse the connection instead of opening
        // a second one.
        setImmediate(() => setImmediate(() => settled || finishBody(true)));
      },
      onResponseError(_controller, error) {
        settle(error);
      },
    };

    if (abort.reason !== undefined) return onAbort(abort.reason);
    abort.hook = onAbort;
    try {
      const target = requestTarget(spec.url);
      dispatcher.dispatch({ origin: target.origin, path: target.path, method: spec.method, headers, body: spec.body }, handler);
    } catch (error) {
      settle(error);
    }
  });
}

const targets = new Map<string, { origin: string; path: string }>();
/** Origin and path of a URL, parsed once per URL (a check sends a dozen requests to each). */
function requestTarget(url: string): { origin: string; path: string } {
  let target = targets.get(url);
  if (!target) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (targets.size > 1000) targets.clear();
    targets.set(url, target);
  }
  return target;
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
  return text.length > max ? `${ownCopy(text.slice(0, max))}… (${text.length - max} more characters)` : text;
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
  /** The chain came back to a URL it had visited. */
  loop?: boolean;
  /**
   * The redirect was not followed, as Codex does not follow it: `cross-origin` ("MCP HTTP
   * redirect to a different origin is not allowed": nothing, credentials least of all, is sent
   * to an origin the server chose), `too-many` (more than MAX_REDIRECTS hops: "MCP HTTP request
   * exceeded the redirect limit"). The last hop in `hops` is the one refused.
   */
  refused?: 'cross-origin' | 'too-many';
}

/**
 * Hops Codex follows (measured with Codex 0.171: a chain of 10 connects, 11 fails with "MCP HTTP
 * request exceeded the redirect limit"; reqwest's default limit).
 */
export const MAX_REDIRECTS = HTTP_MAX_REDIRECTS;

/** Same scheme, host and port (the URL standard's origin; default ports compare equal). */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}

/**
 * Issues the request and re-issues it to each `Location` on the same origin, keeping method,
 * headers and body (so the endpoint that really answers is found even where a client would
 * switch POST to GET; callers judge that from the hop statuses). A redirect to another origin
 * is never followed (Codex 0.169 and 0.171 refuse it, and following it would hand the
 * configured credentials to a host the server chose), nor an 11th hop.
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
    const crossOrigin = !sameOrigin(next, new URL(current.url));
    hops.push({ status: res.status, from: current.url, to: next.href, crossOrigin });
    if (crossOrigin) return { exchange, hops, finalUrl: current.url, refused: 'cross-origin' };
    if (hops.length > MAX_REDIRECTS) return { exchange, hops, finalUrl: current.url, refused: 'too-many' };
    if (seen.has(next.href)) return { exchange, hops, finalUrl: current.url, loop: true };
    seen.add(next.href);
    current = { ...current, url: next.href };
  }
}
