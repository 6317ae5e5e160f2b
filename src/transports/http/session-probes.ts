import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding, StageName } from '../../types.ts';
import { CODEX_ACCEPT } from './codex-headers.ts';
import type { Exchange, HttpClient } from './http-exchange.ts';
import { bodyPreview } from './http-findings.ts';
import { isObject, readAnswer, rpcRequest, sameId } from './jsonrpc.ts';
import { withDeviation } from './protocol-deviation.ts';
import { describeSseEvent } from './sse-reader.ts';
import { CODEX } from '../../codex/codex-version.ts';

/**
 * The session and MCP-Protocol-Version rules of Streamable HTTP (mcp-wire §2.3.5, §2.3.6;
 * SESS-01/02/07/10/11, PV-01/02), each checked with at most one or two `ping`s after a healthy
 * handshake. Codex 0.169.0 works with every server these flag except an unreadable session id
 * (measured), so they are warnings; each says whether the official SDK client tolerates it.
 */

const PROBE_MS = 3000;
/** Left for the requests Codex makes after the probes (tools/list): a probe never eats into it. */
const RESERVE_MS = 2000;
const BOGUS_VERSION = '1999-01-01';

/** What the probes need to know about the session in use. */
export interface SessionTarget {
  url: string;
  /** The headers Codex sends on every request (credentials, http_headers, User-Agent). */
  headers: Record<string, string>;
  sessionId?: string;
  protocolVersion: string;
}

interface PingOutcome {
  exchange: Exchange;
  status?: number;
  /** 2xx and a JSON-RPC answer (a result, or an error such as -32601: the transport accepted it). */
  accepted: boolean;
  /** 2xx with a result: the request was served normally. */
  served: boolean;
}

/** Probes are skipped once one went unanswered, or when the deadline is near. */
const silent = new WeakSet<HttpClient>();

async function ping(ctx: ServerContext, client: HttpClient, headers: Record<string, string>, url: string, label: string): Promise<PingOutcome | undefined> {
  const budget = Math.min(PROBE_MS, ctx.remainingMs() - RESERVE_MS);
  if (silent.has(client) || budget < 500) {
    ctx.transcript.add('note', `${label} skipped: ${silent.has(client) ? 'an earlier probe got no answer in time' : 'too close to the deadline'}`);
    return undefined;
  }
  const id = `mcp-doctor-${label.replace(/[^a-z0-9]+/gi, '-')}`;
  const exchange = await client.exchange({
    method: 'POST',
    url,
    headers,
    body: rpcRequest(id, 'ping'),
    label,
    timeoutMs: budget,
    until: (event) => isObject(event.message) && sameId(event.message.id, id),
    maxBodyBytes: 64 * 1024,
  });
  const res = exchange.response;
  if (exchange.failure?.kind === 'timeout') silent.add(client);
  if (!res || exchange.failure) return { exchange, accepted: false, served: false };
  const answer = readAnswer(exchange, id);
  const ok = res.status >= 200 && res.status < 300;
  return { exchange, status: res.status, accepted: ok && answer.kind !== 'invalid', served: ok && answer.kind === 'result' };
}

function baseHeaders(t: SessionTarget, opts: { session?: string | null; version?: string | null } = {}): Record<string, string> {
  const session = opts.session === undefined ? t.sessionId : opts.session;
  const version = opts.version === undefined ? t.protocolVersion : opts.version;
  return {
    ...t.headers,
    Accept: CODEX_ACCEPT,
    ...(version !== null && { 'MCP-Protocol-Version': version }),
    ...(session !== null && session !== undefined && { 'Mcp-Session-Id': session }),
  };
}

function answerPreview(ctx: ServerContext, ex: Exchange): string {
  const res = ex.response;
  if (!res) return '';
  return bodyPreview(ctx, res.sse ? res.sse.events.map((e) => describeSseEvent(e)).join('\n') : res.body, 300);
}

// ── SESS-01 ──────────────────────────────────────────────────────────────────────────────────

/**
 * The id must be visible ASCII (0x21–0x7E). Codex 0.169.0 cannot read an id with other bytes
 * (above 0x7E, controls) and sends its requests without it (measured: "timed out awaiting
 * tools/list"); spaces and tabs it sends back as they are.
 */
export function sessionIdFinding(ctx: ServerContext, id: string): Finding | undefined {
  const bad = [...id].filter((c) => c.charCodeAt(0) < 0x21 || c.charCodeAt(0) > 0x7e);
  if (bad.length === 0) return undefined;
  const unreadable = bad.some((c) => c !== ' ' && c !== '\t');
  // undici decodes header bytes as latin1, so each character here is one byte on the wire.
  const shown = [...new Set(bad)].map((c) => `0x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join(', ');
  const { message, evidence } = withDeviation(
    `The Mcp-Session-Id "${ctx.server.name}" issued holds bytes outside visible ASCII (${shown}); the spec allows only 0x21–0x7E. ` +
      (unreadable
        ? `${CODEX} cannot read such an id: it sends its requests without a session, and the server refuses them (measured: the start times out awaiting tools/list).`
        : `${CODEX} sends it back unchanged and works; clients that trim or re-encode header values lose the session.`),
    { sessionId: ctx.redact.text(id), bytes: shown },
    unreadable
      ? { specLevel: 'MUST', sdkTolerates: false, sdk: 'fetch sends the id back re-encoded, and the server no longer finds the session' }
      : { specLevel: 'MUST', sdkTolerates: true, sdk: 'it sends the id back unchanged' },
  );
  return makeFinding('session.id-invalid', {
    severity: unreadable ? 'error' : 'warning',
    message,
    evidence,
    fix: { summary: 'A server-side fix: mint session ids from visible ASCII only (a UUID, or base64url of random bytes).' },
  });
}

// ── SESS-11 ──────────────────────────────────────────────────────────────────────────────────

/** An answer after initialize that carries another session id than the one issued. */
export function sessionIdChangedFinding(ctx: ServerContext, issued: string, exchange: Exchange, stage: StageName): Finding | undefined {
  const sent = exchange.response?.headers['mcp-session-id'];
  if (sent === undefined || sent === issued) return undefined;
  const { message, evidence } = withDeviation(
    `"${ctx.server.name}" issued a session id with its InitializeResult, then answered ${exchange.spec.label} with another Mcp-Session-Id. ` +
      `${CODEX} keeps the first id and works while the server still honours it; clients that adopt the new id (the TypeScript SDK v1) and those that do not (SDK v2, Codex) now hold different sessions.`,
    { request: exchange.spec.label, issued: ctx.redact.text(issued), answered: ctx.redact.text(sent) },
    { specLevel: 'MUST', sdkTolerates: true, sdk: 'v1 adopts the new id' },
  );
  return makeFinding('session.id-changed', {
    stage,
    message,
    evidence,
    fix: { summary: 'A server-side fix: keep the session id issued with the InitializeResult for the whole session; send Mcp-Session-Id only on that answer.' },
  });
}

// ── SESS-02 ──────────────────────────────────────────────────────────────────────────────────

/** A request without the session id SHOULD get 400; a normal answer means sessions are optional. */
export async function missingSessionProbe(ctx: ServerContext, client: HttpClient, t: SessionTarget): Promise<Finding | undefined> {
  const out = await ping(ctx, client, baseHeaders(t, { session: null }), t.url, 'no-session probe');
  if (out?.status === undefined || out.status === 400) return undefined;
  if (out.served) {
    ctx.transcript.add('note', 'a request without Mcp-Session-Id was served: the server does not require its session id (allowed)');
    return undefined;
  }
  const what =
    out.status === 404
      ? 'HTTP 404, which clients read as "your session has expired" although none was sent'
      : out.status < 300
        ? `HTTP ${out.status} with ${out.accepted ? 'a JSON-RPC error' : 'no usable answer'} instead of a 400 status`
        : `HTTP ${out.status}`;
  const { message, evidence } = withDeviation(
    `A request without Mcp-Session-Id got ${what}; the spec asks for 400 Bad Request. Codex always sends the id, so it works; clients that lost the id cannot tell what went wrong.`,
    { status: out.status, contentType: out.exchange.response?.headers['content-type'] ?? null, bodyPreview: answerPreview(ctx, out.exchange) },
    { specLevel: 'SHOULD', sdkTolerates: true, sdk: 'it always sends the id' },
  );
  return makeFinding('session.missing-id-not-400', {
    message,
    evidence,
    fix: { summary: 'A server-side fix: answer requests that lack the session id with 400 Bad Request.' },
  });
}

// ── PV-01 / PV-02 ────────────────────────────────────────────────────────────────────────────

/**
 * After a handshake at 2025-06-18 or later: a request without the header should be served (as
 * 2025-03-26), one with `1999-01-01` must get 400. A control `ping` with the right header is
 * sent only when a probe was refused, to be sure the header is the reason.
 */
export async function protocolVersionProbes(ctx: ServerContext, client: HttpClient, t: SessionTarget): Promise<Finding[]> {
  if (t.protocolVersion < '2025-06-18') return [];
  const findings: Finding[] = [];
  let control: PingOutcome | undefined;
  const controlServed = async () => {
    control ??= await ping(ctx, client, baseHeaders(t), t.url, 'control ping');
    return control?.accepted === true;
  };

  const without = await ping(ctx, client, baseHeaders(t, { version: null }), t.url, 'no-MCP-Protocol-Version probe');
  if (without?.status !== undefined && !without.accepted) {
    if (await controlServed()) {
      const { message, evidence } = withDeviation(
        `A request without MCP-Protocol-Version got HTTP ${without.status}, while the same request with the header was served. The spec says a server SHOULD then assume 2025-03-26; clients older than 2025-06-18 (and proxies that drop the header) fail. Codex always sends it.`,
        { status: without.status, bodyPreview: answerPreview(ctx, without.exchange) },
        { specLevel: 'SHOULD', sdkTolerates: true, sdk: 'it always sends the header' },
      );
      findings.push(
        makeFinding('http.protocol-version-required', {
          message,
          evidence,
          fix: { summary: 'A server-side fix: treat a request without MCP-Protocol-Version as 2025-03-26 instead of refusing it.' },
        }),
      );
    } else {
      ctx.transcript.add('note', 'the no-MCP-Protocol-Version probe was refused, but so was a ping with the header: no verdict');
    }
  }

  const bogus = await ping(ctx, client, baseHeaders(t, { version: BOGUS_VERSION }), t.url, 'unsupported-MCP-Protocol-Version probe');
  if (bogus?.status !== undefined && bogus.status !== 400 && (bogus.accepted || (await controlServed()))) {
    const { message, evidence } = withDeviation(
      `A request with MCP-Protocol-Version: ${BOGUS_VERSION} got HTTP ${bogus.status}${bogus.accepted ? ' and was served' : ''}; a server MUST answer an unsupported version with 400 Bad Request. Codex sends the version it negotiated and works; a client with a wrong version is never told.`,
      { status: bogus.status, sentVersion: BOGUS_VERSION, bodyPreview: answerPreview(ctx, bogus.exchange) },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'it sends the negotiated version' },
    );
    findings.push(
      makeFinding('http.protocol-version-unchecked', {
        message,
        evidence,
        fix: { summary: 'A server-side fix: validate MCP-Protocol-Version and answer unsupported versions with 400 (the official SDK servers do).' },
      }),
    );
  }
  return findings;
}

// ── SESS-10 / SESS-07 ────────────────────────────────────────────────────────────────────────

export interface TeardownInput extends SessionTarget {
  sessionId: string;
  /** The status the unknown-session probe got when it was not 404 (already reported). */
  staleStatus?: number;
}

/**
 * Ends the session as clients should (DELETE) and checks the answer: 2xx or 405; after a 2xx
 * the old id must get 404 (one `ping`); after a 404 the session must really be gone.
 */
export async function closeSessionChecked(ctx: ServerContext, client: HttpClient, t: TeardownInput, timeoutMs: number): Promise<Finding[]> {
  const del = await client.exchange({ method: 'DELETE', url: t.url, headers: baseHeaders(t), label: 'close session', timeoutMs: Math.min(timeoutMs, ctx.remainingMs()) });
  const status = del.response?.status;
  if (status === undefined || del.failure || status === 405) return [];
  const ok = status >= 200 && status < 300;
  if (!ok && status !== 404) {
    const { message, evidence } = withDeviation(
      `Ending the session with DELETE got HTTP ${status}; the answer should be 2xx (ended) or 405 (clients may not end sessions). Codex ignores the answer; the session may live on in the server.`,
      { status, contentType: del.response?.headers['content-type'] ?? null, bodyPreview: answerPreview(ctx, del) },
      { specLevel: 'SHOULD', sdkTolerates: false, sdk: 'its terminateSession() throws' },
    );
    return [makeFinding('session.delete-invalid', { message, evidence, fix: { summary: 'A server-side fix: answer DELETE with 200/204 after ending the session, or with 405 Method Not Allowed.' } })];
  }
  const after = await ping(ctx, client, baseHeaders(t), t.url, 'ended-session probe');
  if (after?.status === undefined) return [];
  if (status === 404) {
    if (!after.served) return [];
    const { message, evidence } = withDeviation(
      'DELETE of the session got HTTP 404, yet the session goes on answering: there is no DELETE route, and 405 is the answer for that. Codex ignores the answer.',
      { status, afterStatus: after.status },
      { specLevel: 'SHOULD', sdkTolerates: false, sdk: 'its terminateSession() throws on a 404' },
    );
    return [makeFinding('session.delete-invalid', { message, evidence, fix: { summary: 'A server-side fix: answer DELETE with 405 Method Not Allowed when sessions cannot be ended by clients (or end them).' } })];
  }
  if (after.status === 404) return [];
  if (!after.served && after.status === t.staleStatus) {
    ctx.transcript.add('note', `the ended session got HTTP ${after.status}, as an unknown one did (reported as session.stale-not-404)`);
    return [];
  }
  const { message, evidence } = withDeviation(
    after.served
      ? `DELETE of the session got HTTP ${status}, but the session still works afterwards: the server does not end sessions. Codex works (it never reuses an ended session); sessions pile up in the server.`
      : `After DELETE ended the session (HTTP ${status}), a request with its id got HTTP ${after.status} instead of 404, which is how clients learn to initialize again.`,
    { deleteStatus: status, afterStatus: after.status, bodyPreview: answerPreview(ctx, after.exchange) },
    { specLevel: 'MUST', sdkTolerates: true, sdk: 'it forgets the id after DELETE' },
  );
  return [
    makeFinding('session.terminated-not-404', {
      message,
      evidence,
      fix: { summary: 'A server-side fix: forget the session on DELETE, and answer its id with 404 Not Found afterwards.' },
    }),
  ];
}
