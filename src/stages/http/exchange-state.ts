import type { LoginSession, ServerAnswer } from '../../auth/login/login-session.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding, StageName } from '../../types.ts';
import { CODEX_ACCEPT, type CodexHeaders } from '../../transports/http/codex-headers.ts';
import type { Exchange, HttpClient } from '../../transports/http/http-exchange.ts';
import { sessionIdChangedFinding, type SessionTarget } from '../../transports/http/session-probes.ts';

/**
 * What every request of one server's HTTP check shares, from the first POST of `initialize` to
 * the DELETE in cleanup: the connection, the headers Codex sends, the endpoint, the session and
 * the time Codex's own requests took. Everything else a stage learns is handed to the next stage
 * as explicit data (see http-plan.ts), so this stays the one mutable object.
 */
export interface HttpExchangeState {
  client: HttpClient;
  /** The headers Codex sends; a stored OAuth login or check --login's fresh token replaces Authorization. */
  codex: CodexHeaders;
  /** The endpoint in use: the configured URL, or where its redirects lead. */
  url: string;
  /** Time Codex's own requests took (initialize with retries, initialized, tools/list). */
  codexMs: number;
  sessionId?: string;
  /** MCP-Protocol-Version for requests after `initialize`. */
  protocolVersion: string;
  sessionClosed: boolean;
  /** session.id-changed was reported (once per server). */
  sessionIdChanged?: boolean;
  /** check --login: logs in when a request is refused, and keeps the fresh token. */
  login?: LoginSession;
}

/** How long the DELETE that ends a session may take. */
export const DELETE_MS = 2000;

/** The answer a check --login retry reports when the request got no response at all. */
export const NO_ANSWER: ServerAnswer = { status: 0, headers: {} };

/** From now on every request carries this credential (check --login's fresh token). */
export function useAuthorization(st: HttpExchangeState, authorization: string): void {
  for (const k of Object.keys(st.codex.headers)) if (k.toLowerCase() === 'authorization') delete st.codex.headers[k];
  st.codex.headers.Authorization = authorization;
  st.codex.auth = { kind: 'oauth', detail: 'fresh token from check --login' };
}

/** The headers of every request after `initialize`, as Codex sends them. */
export function sessionHeaders(st: HttpExchangeState): Record<string, string> {
  return {
    ...st.codex.headers,
    Accept: CODEX_ACCEPT,
    'MCP-Protocol-Version': st.protocolVersion,
    ...(st.sessionId && { 'Mcp-Session-Id': st.sessionId }),
  };
}

export function sessionTarget(st: HttpExchangeState): SessionTarget {
  return { url: st.url, headers: st.codex.headers, sessionId: st.sessionId, protocolVersion: st.protocolVersion };
}

/** SESS-11, on the requests Codex itself makes (reported once). */
export function noteSessionChange(ctx: ServerContext, st: HttpExchangeState, ex: Exchange, findings: Finding[], stage: StageName): void {
  if (!st.sessionId || st.sessionIdChanged) return;
  const changed = sessionIdChangedFinding(ctx, st.sessionId, ex, stage);
  if (!changed) return;
  st.sessionIdChanged = true;
  findings.push(changed);
}

/** Ends the session as Codex does on shutdown (cleanup, when no stage closed it). */
export async function closeSession(ctx: ServerContext, st: HttpExchangeState): Promise<void> {
  st.sessionClosed = true;
  const ex = await st.client.exchange({
    method: 'DELETE',
    url: st.url,
    headers: sessionHeaders(st),
    label: 'close session',
    timeoutMs: Math.min(DELETE_MS, ctx.remainingMs()),
  });
  const status = ex.response?.status;
  if (status !== undefined && !(status < 300 || status === 405)) ctx.transcript.add('note', `DELETE of the session got HTTP ${status} (2xx or 405 expected)`);
}
