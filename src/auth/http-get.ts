import { request, type Dispatcher } from '../transports/http/undici-core.ts';
import type { Redactor } from '../redact.ts';
import { delayMs, timeoutSignal } from '../deadline.ts';

/**
 * The one kind of request auth forensics makes: a credential-free GET of a metadata document.
 * Modules take an `HttpGet` so that tests (and the auth stage) can inject their own.
 */
export interface GetResponse {
  /** The URL that answered (after redirects). */
  url: string;
  /** 0 when there was no HTTP answer at all (see `error`). */
  status: number;
  /** Lower-cased names; repeated headers joined with ", " (set-cookie dropped: never evidence). */
  headers: Record<string, string>;
  /** At most `maxBodyBytes` of the body, decoded as UTF-8. */
  bodyText: string;
  /** Network failure, timeout, or a refused redirect. */
  error?: string;
  /** Every redirect hop, in order, as `status url`. */
  redirects?: string[];
  /** Set when the URL was not fetched at all, by policy (a link-local or private address the server named). */
  refused?: string;
}

export type HttpGet = (url: string, headers?: Record<string, string>) => Promise<GetResponse>;

/** One URL fetched during discovery, for the report. URLs are redacted when recorded. */
export interface UrlTried {
  url: string;
  /** HTTP status, or null when there was no answer. */
  status: number | null;
  /** What the URL was tried for, e.g. "PRM (path-aware)". */
  purpose: string;
  error?: string;
  /** Final URL when the request was redirected. */
  redirectedTo?: string;
}

export function urlTried(purpose: string, res: GetResponse, requested: string, redact: Redactor): UrlTried {
  const entry: UrlTried = { url: redact.url(requested), status: res.status === 0 ? null : res.status, purpose };
  if (res.error) entry.error = redact.text(res.error);
  if (res.url !== requested) entry.redirectedTo = redact.url(res.url);
  return entry;
}

export interface HttpGetOptions {
  dispatcher?: Dispatcher;
  /** The check's deadline signal; every request also has its own timeout. */
  signal?: AbortSignal;
  /** Per request (default 5000 ms, as Codex's own OAuth probe). */
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** Redirect hops followed (default 3). Only http(s) targets; requests carry no credentials anyway. */
  maxRedirects?: number;
  /** Called per request and response (e.g. ctx.transcript.add, which redacts). */
  record?: (kind: 'http-request' | 'http-response', text: string) => void;
  /** Why a URL (also a redirect hop) must not be fetched (see fetch-policy.ts); undefined allows it. */
  refuse?: (url: string) => string | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BODY = 256 * 1024;
/** Headers a discovery GET must never carry: metadata endpoints are not the MCP server. */
const CREDENTIAL_HEADERS = /^(?:authorization|proxy-authorization|cookie|x-api-key|api-key)$/i;

/**
 * A credential-free GET with undici, bounded in time and size. Credential headers are dropped
 * even if a caller passes them: metadata may live on any origin the server names (mcp-wire §4.10).
 */
export function createHttpGet(opts: HttpGetOptions = {}): HttpGet {
  const timeoutMs = delayMs(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const maxRedirects = opts.maxRedirects ?? 3;

  const once = async (url: string, headers: Record<string, string>): Promise<GetResponse & { location?: string }> => {
    const refused = opts.refuse?.(url);
    if (refused !== undefined) {
      opts.record?.('http-response', `not fetched: ${url}: ${refused}`);
      return { url, status: 0, headers: {}, bodyText: '', error: `not fetched: ${refused}`, refused };
    }
    const signals = [timeoutSignal(timeoutMs)];
    if (opts.signal) signals.push(opts.signal);
    const signal = AbortSignal.any(signals);
    opts.record?.('http-request', `GET ${url}`);
    try {
      const res = await request(url, {
        method: 'GET',
        headers,
        signal,
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        chunks.push(buf);
        size += buf.length;
        if (size >= maxBody) {
          res.body.destroy();
          break;
        }
      }
      const bodyText = Buffer.concat(chunks).subarray(0, maxBody).toString('utf8');
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined || name.toLowerCase() === 'set-cookie') continue;
        out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      opts.record?.('http-response', `${res.statusCode} ${url}${out['content-type'] ? ` (${out['content-type']})` : ''}`);
      return { url, status: res.statusCode, headers: out, bodyText, location: out.location };
    } catch (error) {
      const reason = signal.aborted ? (opts.signal?.aborted ? 'aborted: check deadline reached' : `timed out after ${timeoutMs} ms`) : describeError(error);
      opts.record?.('http-response', `no answer from ${url}: ${reason}`);
      return { url, status: 0, headers: {}, bodyText: '', error: reason };
    }
  };

  return async (url, headers = {}) => {
    const safe: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (!CREDENTIAL_HEADERS.test(k)) safe[k] = v;
    const redirects: string[] = [];
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await once(current, safe);
      if (!res.location || res.status < 300 || res.status >= 400) {
        return redirects.length ? { ...res, redirects } : res;
      }
      let next: URL;
      try {
        next = new URL(res.location, current);
      } catch {
        return { ...res, error: `redirect to an invalid URL: ${res.location}`, redirects };
      }
      redirects.push(`${res.status} ${next.toString()}`);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        return { ...res, error: `redirect to a non-HTTP URL refused: ${next.protocol}`, redirects };
      }
      if (hop + 1 > maxRedirects) return { ...res, error: `more than ${maxRedirects} redirects`, redirects };
      current = next.toString();
    }
  };
}

function describeError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Parses a body as a JSON object; undefined when it is not one. */
export function parseJsonObject(bodyText: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bodyText);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** https anywhere, http only on loopback (MCP 2025-11-25 "Communication Security"). */
export function isSecureOrLoopback(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
