/**
 * Sorts a failed HTTP request into the classes users can act on. undici surfaces Node's own
 * socket errors (sometimes inside an AggregateError from happy-eyeballs, or as `cause`), its own
 * `UND_ERR_*` errors, and our abort reasons; all of them end up here.
 */

export type NetFailureKind = 'dns' | 'refused' | 'tls' | 'reset' | 'timeout' | 'proxy' | 'other';
/** Where a request stalled or failed. */
export type NetPhase = 'connect' | 'headers' | 'first-event' | 'body';

export interface NetFailure {
  kind: NetFailureKind;
  phase: NetPhase;
  /** The most specific error code found (ENOTFOUND, CERT_HAS_EXPIRED, UND_ERR_SOCKET...). */
  code?: string;
  /** The underlying error message (not yet redacted). */
  detail: string;
  /** For timeouts: the whole check's deadline passed (rather than a probe's own bound). */
  byDeadline?: boolean;
  /** For `proxy`: the status the proxy answered (407, or the refusal of a CONNECT). */
  proxyStatus?: number;
}

/** Thrown into undici's abort signal, so a timeout is told apart from any other abort. */
export class RequestTimeout extends Error {
  constructor(
    readonly byDeadline: boolean,
    readonly limitMs: number,
  ) {
    super(byDeadline ? 'the check deadline passed' : `no answer within ${limitMs} ms`);
    this.name = 'RequestTimeout';
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);
const REFUSED_CODES = new Set(['ECONNREFUSED']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  // OpenSSL: the certificate's extendedKeyUsage has no serverAuth.
  'INVALID_PURPOSE',
  'EPROTO',
  // Set by the network dispatcher where rustls (Codex) refuses what Node would accept.
  'CA_USED_AS_END_ENTITY',
  'CERT_REFUSED_BY_WEBPKI',
]);

/** Which TLS problem a code means, for the message and the fix (evidence `cause`). */
export type TlsProblem = 'self-signed' | 'unknown-ca' | 'expired' | 'wrong-host' | 'ca-as-leaf' | 'webpki' | 'not-tls' | 'other';

export function tlsProblem(code: string | undefined): TlsProblem {
  if (!code) return 'other';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'expired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'wrong-host';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'EPROTO') return 'not-tls';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'self-signed';
  if (code === 'CA_USED_AS_END_ENTITY') return 'ca-as-leaf';
  if (code === 'CERT_REFUSED_BY_WEBPKI') return 'webpki';
  if (code === 'SELF_SIGNED_CERT_IN_CHAIN' || code.startsWith('UNABLE_TO_') || code === 'CERT_UNTRUSTED' || code === 'INVALID_CA') return 'unknown-ca';
  return 'other';
}

/**
 * @param connected whether a socket was established before the error (decides connect vs headers)
 * @param headersReceived whether response headers had arrived (then the body or first event stalled)
 */
export function classifyNetworkError(error: unknown, state: { connected: boolean; headersReceived: boolean; sse?: boolean; eventSeen?: boolean }): NetFailure {
  const phase: NetPhase = state.headersReceived ? (state.sse && !state.eventSeen ? 'first-event' : 'body') : state.connected ? 'headers' : 'connect';
  const timeout = findTimeout(error);
  if (timeout) return { kind: 'timeout', phase, detail: timeout.message, byDeadline: timeout.byDeadline };

  const codes = collectCodes(error);
  const detail = describe(error);
  // undici's ProxyAgent: "Proxy response (403) !== 200 when HTTP Tunneling" for a refused
  // CONNECT, "Proxy Authentication Required (407)" for a forwarded request.
  const proxy = /Proxy response \((\d{3})\)|Proxy Authentication Required \((407)\)/.exec(detail);
  if (proxy) return { kind: 'proxy', phase: 'connect', code: `PROXY_${proxy[1] ?? proxy[2]}`, detail, proxyStatus: Number(proxy[1] ?? proxy[2]) };
  const has = (set: Set<string>) => codes.find((c) => set.has(c));
  const dns = has(DNS_CODES);
  if (dns) return { kind: 'dns', phase: 'connect', code: dns, detail };
  const refused = has(REFUSED_CODES);
  if (refused) return { kind: 'refused', phase: 'connect', code: refused, detail };
  const tls = codes.find((c) => TLS_CODES.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || /CERT/.test(c));
  if (tls) return { kind: 'tls', phase: 'connect', code: tls, detail };
  const timedOut = has(TIMEOUT_CODES);
  if (timedOut) {
    const p: NetPhase = timedOut === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect' : timedOut === 'UND_ERR_HEADERS_TIMEOUT' ? 'headers' : phase;
    return { kind: 'timeout', phase: p, code: timedOut, detail };
  }
  const reset = has(RESET_CODES);
  if (reset) return { kind: 'reset', phase, code: reset, detail };
  return { kind: 'other', phase, code: codes[0], detail };
}

function findTimeout(error: unknown): RequestTimeout | undefined {
  for (const e of chain(error)) if (e instanceof RequestTimeout) return e;
  return undefined;
}

function collectCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (const e of chain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !codes.includes(code)) codes.push(code);
  }
  return codes;
}

/** The error, its causes and (for AggregateError) its members, breadth first, bounded. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (e === undefined || e === null || out.includes(e)) continue;
    out.push(e);
    if (typeof e === 'object') {
      const cause = (e as { cause?: unknown }).cause;
      if (cause !== undefined) queue.push(cause);
      const errors = (e as { errors?: unknown }).errors;
      if (Array.isArray(errors)) queue.push(...errors);
    }
  }
  return out;
}

function describe(error: unknown): string {
  const messages: string[] = [];
  for (const e of chain(error)) {
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
    if (message && !messages.includes(message)) messages.push(message);
  }
  return messages.slice(0, 3).join(': ') || String(error);
}
