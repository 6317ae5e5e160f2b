import { randomUUID } from 'node:crypto';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import { CODEX_ACCEPT } from '../../transports/http/codex-headers.ts';
import { bodyPreview, isLoopback } from '../../transports/http/http-findings.ts';
import { isObject, readAnswer, rpcRequest, sameId } from '../../transports/http/jsonrpc.ts';
import { describeSseEvent } from '../../transports/http/sse-reader.ts';
import { withDeviation } from '../../transports/http/protocol-deviation.ts';
import { initializeSpec } from './codex-requests.ts';
import { sessionHeaders, type HttpExchangeState } from './exchange-state.ts';
import { CODEX } from '../../codex/codex-version.ts';

/**
 * Probes the initialize stage runs after a working handshake, each one request outside Codex's
 * own (so not counted toward its startup budget): the GET stream, a foreign Origin, an unknown
 * session id. The stateless probes that need no plan state live in transports/http/session-probes.ts.
 */

/** Each probe's own bound (they run at once, the deadline paused: see initialize-stage.ts). */
const PROBE_MS = 2000;

/**
 * The GET stream Codex opens after the handshake (seen on the wire): an event stream or 405 is
 * right; 404 says "session expired" to clients that follow the spec.
 */
export async function getStreamProbe(ctx: ServerContext, st: HttpExchangeState): Promise<Finding | undefined> {
  const ex = await st.client.exchange({
    method: 'GET',
    url: st.url,
    headers: { ...sessionHeaders(st), Accept: 'text/event-stream' },
    label: 'GET stream probe',
    timeoutMs: PROBE_MS,
    ownTimeout: true,
    headersOnly: true,
  });
  const res = ex.response;
  if (!res || ex.failure) return undefined;
  if (res.status === 405 || (res.status === 200 && res.contentType === 'text/event-stream')) return undefined;
  const what = res.status === 404 ? 'HTTP 404, which tells clients that the session has expired' : `HTTP ${res.status}${res.contentType ? ` (${res.contentType})` : ''}`;
  return makeFinding('session.get-stream-invalid', {
    ...withDeviation(
      `The GET stream for server messages (Accept: text/event-stream, with the session id) got ${what}, instead of an event stream or 405. ` +
        (res.status === 404
          ? `Spec-following clients then initialize again in a loop; ${CODEX} carries on without the stream (checked).`
          : `${CODEX} carries on without the stream; clients that need it lose server notifications.`),
      { status: res.status, contentType: res.headers['content-type'] ?? null },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'a failed GET stream only reaches its onerror callback' },
    ),
    fix: { summary: 'A server-side fix: answer the GET with text/event-stream, or with 405 Method Not Allowed when there is no stream.' },
  });
}

/** Loopback servers only: does a foreign `Origin` get in? (DNS rebinding, HTTP-11) */
export async function originProbe(ctx: ServerContext, st: HttpExchangeState): Promise<Finding | undefined> {
  if (!isLoopback(new URL(st.url))) return undefined;
  const evil = 'http://evil.example';
  const ex = await st.client.exchange({
    ...initializeSpec(st, st.url),
    headers: { ...st.codex.headers, Accept: CODEX_ACCEPT, Origin: evil },
    label: 'foreign-Origin probe',
    timeoutMs: PROBE_MS,
    ownTimeout: true,
  });
  const res = ex.response;
  if (!res) return undefined;
  const session = res.headers['mcp-session-id'];
  if (session) {
    await st.client.exchange({
      method: 'DELETE',
      url: st.url,
      headers: { ...st.codex.headers, 'Mcp-Session-Id': session, Origin: evil },
      label: 'close foreign-Origin probe session',
      timeoutMs: 1000,
      ownTimeout: true,
    });
  }
  if (res.status >= 300 || ex.failure) return undefined;
  return makeFinding('http.origin-not-checked', {
    ...withDeviation(
      `This local server answered initialize sent with Origin: ${evil} (HTTP ${res.status}), so any web page open in a browser on this machine could talk to it (DNS rebinding). Codex itself is not affected.`,
      { status: res.status, origin: evil },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'it sends no Origin header' },
    ),
    fix: { summary: 'A server-side fix: answer a foreign Origin with 403 (enable the SDK\'s DNS rebinding protection: allowed origins and hosts).' },
  });
}

/** A request with a made-up session id must get 404, which tells clients to initialize again. */
export async function staleSessionProbe(ctx: ServerContext, st: HttpExchangeState): Promise<{ finding?: Finding; staleStatus?: number }> {
  const id = 'mcp-doctor-stale-session';
  const ex = await st.client.exchange({
    method: 'POST',
    url: st.url,
    headers: { ...sessionHeaders(st), 'Mcp-Session-Id': randomUUID() },
    body: rpcRequest(id, 'tools/list'),
    label: 'unknown-session probe',
    timeoutMs: PROBE_MS,
    ownTimeout: true,
    until: (event) => isObject(event.message) && sameId(event.message.id, id),
    maxBodyBytes: 64 * 1024,
  });
  const res = ex.response;
  if (!res || ex.failure || res.status === 404) return {};
  const body = res.sse ? res.sse.events.map((e) => describeSseEvent(e)).join('\n') : res.body;
  const accepted = res.status < 300 && readAnswer(ex, id).kind === 'result';
  const finding = makeFinding('session.stale-not-404', {
    ...withDeviation(
      `A request with an unknown Mcp-Session-Id got HTTP ${res.status}${accepted ? ' with a normal result (the server does not check sessions)' : ''} instead of 404. ` +
        'Clients (Codex included) re-initialize only on 404, so once the server drops a session — after a restart or an idle timeout — tool calls keep failing until Codex is restarted.',
      { status: res.status, bodyPreview: bodyPreview(ctx, body) },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'it works until the session is dropped, and does not re-initialize on a 404 either' },
    ),
    fix: { summary: 'A server-side fix: answer requests carrying an unknown or expired session id with 404 Not Found. Until then, restart Codex when this server\'s tool calls start failing.' },
  });
  return { finding, ...(!accepted && { staleStatus: res.status }) };
}
