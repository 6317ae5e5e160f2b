/**
 * Ask the authorization server that issued a rejected token whether it still accepts it.
 *
 * A token the MCP server rejects but its own authorization server accepts is alive: it was not
 * revoked and has not expired, it is bound to something else. A token obtained without the
 * RFC 8707 `resource` parameter is typically good for the AS's own OIDC `userinfo` endpoint (an
 * opaque token of `oidc-provider`, for one) while every resource server refuses it; that is the
 * resource-binding failure of seed 002, not revocation. Where the AS lets a public client use
 * RFC 7662 introspection (`introspection_endpoint_auth_methods_supported` lists "none"), its
 * `active` answer is asked instead.
 *
 * Safety: the token goes only to the AS that issued it — the issuer recorded with the stored
 * login, or the JWT's `iss`, must be the `issuer` of the metadata this server names, and the
 * endpoint must be on that issuer's origin; never another origin, never through a redirect. A
 * userinfo GET or an introspection POST changes no user state. One request, bounded in time and
 * size; the answer's body (personal data for userinfo) is never kept, echoed or recorded.
 */
import { request, type Dispatcher } from '../transports/http/undici-core.ts';
import type { Redactor } from '../redact.ts';
import { analyzeChallenge } from './challenge.ts';
import { parseJsonObject } from './http-get.ts';
import { sameResource, type TokenReading } from './token-claims.ts';

export interface IssuerCheckInput {
  /** The secret token (already registered with the Redactor). */
  token: string;
  reading: TokenReading;
  /** The authorization server metadata this server's PRM names (as fetched). */
  metadata?: Record<string, unknown>;
  /** The issuer recorded with the stored login, if the token is Codex's. */
  recordedIssuer?: string;
  /** The stored login's client id (introspection by a public client). */
  clientId?: string;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  timeoutMs?: number;
  record?: (kind: 'http-request' | 'http-response', text: string) => void;
  redact: Redactor;
}

export interface IssuerCheck {
  /** What was asked; `none` with `reason` when the token was not sent. */
  asked: 'userinfo' | 'introspection' | 'none';
  reason?: string;
  url?: string;
  status?: number | null;
  /** alive: the AS accepts the token; rejected: it does not; unknown: no conclusion. */
  verdict: 'alive' | 'rejected' | 'unknown';
  /** The AS's words (an OAuth error code), never the body. */
  said?: string;
}

const MAX_BODY = 16 * 1024;

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const httpUrl = (v: unknown): string | undefined => (typeof v === 'string' && /^https?:\/\//i.test(v) && URL.canParse(v) ? v : undefined);

export async function checkWithIssuer(input: IssuerCheckInput): Promise<IssuerCheck> {
  const { metadata, reading, redact } = input;
  const issuer = typeof metadata?.issuer === 'string' ? metadata.issuer : undefined;
  if (!issuer) return { asked: 'none', verdict: 'unknown', reason: 'no authorization server metadata with an issuer' };
  // Provenance: the token must be this issuer's, by record or by its own claim.
  const byRecord = input.recordedIssuer !== undefined && sameResource(input.recordedIssuer, issuer);
  const byClaim = reading.issuer?.verdict === 'match';
  if (!byRecord && !byClaim) {
    return {
      asked: 'none',
      verdict: 'unknown',
      reason: input.recordedIssuer
        ? `the login was recorded for ${redact.url(input.recordedIssuer)}, not the server's authorization server ${redact.url(issuer)}: the token is not sent there`
        : 'nothing shows which authorization server issued the token (no recorded issuer, no `iss` claim naming the server\'s authorization server): it is not sent anywhere',
    };
  }
  const introspection = httpUrl(metadata!.introspection_endpoint);
  const methods = Array.isArray(metadata!.introspection_endpoint_auth_methods_supported) ? (metadata!.introspection_endpoint_auth_methods_supported as unknown[]) : [];
  if (introspection && sameOrigin(introspection, issuer) && methods.includes('none') && input.clientId) {
    const form = new URLSearchParams({ token: input.token, token_type_hint: 'access_token', client_id: input.clientId }).toString();
    const res = await send(input, 'POST', introspection, { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, form, true);
    const out: IssuerCheck = { asked: 'introspection', url: redact.url(introspection), status: res.status || null, verdict: 'unknown' };
    if (res.status === 200) {
      const doc = parseJsonObject(res.body);
      if (doc?.active === true) out.verdict = 'alive';
      else if (doc?.active === false) out.verdict = 'rejected';
      if (typeof doc?.active === 'boolean') out.said = `active: ${doc.active}`;
      return out;
    }
    if (res.error) out.said = redact.text(res.error);
    // Introspection refused to a public client: fall through to userinfo.
  }
  const userinfo = httpUrl(metadata!.userinfo_endpoint);
  if (!userinfo) return { asked: 'none', verdict: 'unknown', reason: 'the authorization server publishes no userinfo endpoint (and no introspection open to the client)' };
  if (!sameOrigin(userinfo, issuer)) {
    return { asked: 'none', verdict: 'unknown', reason: `the userinfo endpoint ${redact.url(userinfo)} is not on the issuer's origin: the token is not sent there` };
  }
  const res = await send(input, 'GET', userinfo, { Authorization: `Bearer ${input.token}`, Accept: 'application/json' }, undefined, false);
  const out: IssuerCheck = { asked: 'userinfo', url: redact.url(userinfo), status: res.status || null, verdict: 'unknown' };
  const challenge = res.challenge ? analyzeChallenge(res.challenge, true) : undefined;
  if (challenge?.error) out.said = redact.text(challenge.error);
  if (res.status >= 200 && res.status < 300) out.verdict = 'alive';
  // A valid token without the `openid` scope: the AS knows it and says only that it lacks a scope.
  else if (res.status === 403 && challenge?.error === 'insufficient_scope') out.verdict = 'alive';
  else if (res.status === 401) out.verdict = 'rejected';
  else if (res.error) out.said = redact.text(res.error);
  return out;
}

async function send(
  input: IssuerCheckInput,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  keepBody: boolean,
): Promise<{ status: number; body: string; challenge?: string; error?: string }> {
  const timeoutMs = input.timeoutMs ?? 3000;
  const signals = [AbortSignal.timeout(Math.max(1, Math.round(timeoutMs)))];
  if (input.signal) signals.push(input.signal);
  const signal = AbortSignal.any(signals);
  // The transcript redacts again; the token is registered, and the body is never recorded.
  input.record?.('http-request', `${method} ${url} (the rejected token, sent back to the authorization server that issued it)`);
  try {
    const res = await request(url, { method, headers, body, signal, ...(input.dispatcher ? { dispatcher: input.dispatcher } : {}) });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      if (keepBody) chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= MAX_BODY) {
        res.body.destroy();
        break;
      }
    }
    input.record?.('http-response', `${res.statusCode} ${method} ${url} (body not recorded)`);
    const wa = res.headers['www-authenticate'];
    return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ...(wa ? { challenge: Array.isArray(wa) ? wa.join(', ') : String(wa) } : {}) };
  } catch (error) {
    const reason = signal.aborted ? 'timed out' : ((error as Error).message ?? String(error));
    input.record?.('http-response', `no answer from ${method} ${url}: ${reason}`);
    return { status: 0, body: '', error: reason };
  }
}
