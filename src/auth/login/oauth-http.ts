/**
 * The requests of a login that are not metadata GETs: the registration and token POSTs, and the
 * plain GET of the authorization URL in `--login-auto` mode. Bounded in time and size, never
 * following redirects (the caller decides what a Location means), no cookies, recorded to the
 * transcript with secrets replaced.
 */
import { request, type Dispatcher } from '../../transports/http/undici-core.ts';
import { REDACTED } from '../../redact.ts';

export interface OAuthHttpResponse {
  /** 0 when there was no HTTP answer (see `error`). */
  status: number;
  /** Lower-cased names (set-cookie dropped). */
  headers: Record<string, string>;
  bodyText: string;
  error?: string;
}

export interface OAuthHttp {
  postForm(url: string, form: Record<string, string>, headers?: Record<string, string>): Promise<OAuthHttpResponse>;
  postJson(url: string, body: unknown): Promise<OAuthHttpResponse>;
  /** GET without following redirects (redirect: manual), without credentials or cookies. */
  getManual(url: string): Promise<OAuthHttpResponse>;
}

export interface OAuthHttpOptions {
  dispatcher?: Dispatcher;
  /** The check's deadline. */
  signal?: AbortSignal;
  /** Per request (default 10 s: token endpoints can be slow, but a login must not hang). */
  timeoutMs?: number;
  /** ctx.transcript.add, which redacts again. */
  record?: (kind: 'http-request' | 'http-response', text: string) => void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_BODY = 256 * 1024;

/** Parameter names whose values never appear in evidence or the transcript. */
const SECRET_PARAMS = new Set(['code', 'code_verifier', 'client_secret', 'refresh_token', 'access_token', 'id_token', 'assertion', 'client_assertion', 'password', 'token']);

/** Form or query parameters as evidence: secret ones replaced by `<redacted>`. */
export function shownParams(params: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = SECRET_PARAMS.has(k) ? REDACTED : v;
  return out;
}

export function createOAuthHttp(opts: OAuthHttpOptions = {}): OAuthHttp {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const send = async (method: 'GET' | 'POST', url: string, headers: Record<string, string>, body: string | undefined, shown: string): Promise<OAuthHttpResponse> => {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (opts.signal) signals.push(opts.signal);
    const signal = AbortSignal.any(signals);
    opts.record?.('http-request', `${method} ${url}${shown ? ` ${shown}` : ''}`);
    try {
      const res = await request(url, { method, headers, body, signal, ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}) });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (size >= MAX_BODY) {
          res.body.destroy();
          break;
        }
      }
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined || name.toLowerCase() === 'set-cookie') continue;
        out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      // The body may hold tokens: only the status goes to the transcript here; callers record
      // what they parsed, after registering the secrets.
      opts.record?.('http-response', `${res.statusCode} ${method} ${url}${out['content-type'] ? ` (${out['content-type']})` : ''}`);
      return { status: res.statusCode, headers: out, bodyText: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8') };
    } catch (error) {
      const reason = signal.aborted ? (opts.signal?.aborted ? 'aborted: check deadline reached' : `timed out after ${timeoutMs} ms`) : describeError(error);
      opts.record?.('http-response', `no answer from ${method} ${url}: ${reason}`);
      return { status: 0, headers: {}, bodyText: '', error: reason };
    }
  };

  return {
    postForm: (url, form, headers = {}) =>
      send(
        'POST',
        url,
        { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
        new URLSearchParams(form).toString(),
        new URLSearchParams(shownParams(form)).toString().replaceAll('%3Credacted%3E', REDACTED),
      ),
    postJson: (url, body) => send('POST', url, { 'Content-Type': 'application/json', Accept: 'application/json' }, JSON.stringify(body), ''),
    getManual: (url) => send('GET', url, { Accept: 'text/html, application/json' }, undefined, ''),
  };
}

function describeError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
