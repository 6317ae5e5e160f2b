import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding, StageName } from '../../types.ts';
import type { Exchange } from './http-exchange.ts';
import { bodyPreview } from './http-findings.ts';
import { isObject, type RpcId, sameId } from './jsonrpc.ts';
import { withDeviation } from './protocol-deviation.ts';
import { describeSseEvent } from './sse-reader.ts';
import { CODEX } from '../../codex/codex-version.ts';

/**
 * Answers whose framing breaks clients although the server meant well (mcp-wire §7 HTTP-05,
 * HTTP-06, HTTP-08). Severities are Codex 0.169.0's, measured with the fixtures in
 * fixtures/http/forensics-extras.ts: it fails on all three.
 */

export type FramingProblem =
  /** An `application/json` answer that is an array (a 2025-03-26 batch). */
  | { kind: 'batch'; count: number }
  /** The event stream closed without the response. */
  | { kind: 'sse-no-response'; events: number; lastEventId?: string }
  /** A `message` event that is not JSON, not JSON-RPC, or a response with another id. */
  | { kind: 'sse-invalid'; reason: 'not-json' | 'not-jsonrpc' | 'other-id'; event: string; otherId?: unknown };

export function framingProblem(exchange: Exchange, id: RpcId): FramingProblem | undefined {
  const res = exchange.response;
  if (!res) return undefined;
  if (res.sse) {
    const events = res.sse.events;
    const messages = events.filter((e) => e.kind === 'jsonrpc');
    const answer = messages.findIndex((e) => isObject(e.message) && sameId(e.message.id, id));
    // An event that is not JSON before the answer ends Codex's stream (0.171.0: "connection
    // closed: initialize response", measured); one after it is never read.
    const garbled = messages.findIndex((e) => e.invalidJson);
    if (garbled >= 0 && (answer < 0 || garbled < answer)) return { kind: 'sse-invalid', reason: 'not-json', event: describeSseEvent(messages[garbled]!) };
    if (answer >= 0) return undefined;
    const notJson = messages.find((e) => e.invalidJson);
    if (notJson) return { kind: 'sse-invalid', reason: 'not-json', event: describeSseEvent(notJson) };
    const notRpc = messages.find((e) => !isObject(e.message) || e.message.jsonrpc !== '2.0');
    if (notRpc) return { kind: 'sse-invalid', reason: 'not-jsonrpc', event: describeSseEvent(notRpc) };
    const other = messages.find((e) => isObject(e.message) && ('result' in e.message || 'error' in e.message));
    if (other) return { kind: 'sse-invalid', reason: 'other-id', event: describeSseEvent(other), otherId: (other.message as Record<string, unknown>).id };
    if (res.sse.ended !== 'closed') return undefined;
    const lastEventId = events.filter((e) => e.id !== undefined && e.id !== '').at(-1)?.id;
    return { kind: 'sse-no-response', events: events.length, ...(lastEventId !== undefined && { lastEventId }) };
  }
  if (res.contentType !== 'application/json') return undefined;
  try {
    const value = JSON.parse(res.body) as unknown;
    if (Array.isArray(value)) return { kind: 'batch', count: value.length };
  } catch {
    // Not JSON at all: the caller's own checks report that.
  }
  return undefined;
}

/** What Codex 0.169.0 prints for each, per request (measured). */
const CODEX_SAYS = {
  batch: '"Deserialize error: unrecognized JSON-RPC message"',
  'sse-no-response': { initialize: '"connection closed: initialize response"', 'tools/list': '"Transport closed"' },
} as const;

export function framingFinding(ctx: ServerContext, problem: FramingProblem, request: 'initialize' | 'tools/list', id: RpcId, stage: StageName, exchange: Exchange): Finding {
  const name = ctx.server.name;
  const res = exchange.response!;
  const base = { status: res.status, contentType: res.headers['content-type'] ?? null };
  switch (problem.kind) {
    case 'batch': {
      const { message, evidence } = withDeviation(
        `"${name}" answered ${request} with a JSON array of ${problem.count} message${problem.count === 1 ? '' : 's'} (a batch, which MCP dropped in 2025-06-18) instead of one JSON-RPC object. ${CODEX} cannot read it (${CODEX_SAYS.batch}) and fails the start.`,
        { ...base, request, bodyPreview: bodyPreview(ctx, res.body) },
        { specLevel: 'MUST', sdkTolerates: true, sdk: 'it reads arrays' },
      );
      return makeFinding('http.batch-response', {
        stage,
        message,
        evidence,
        fix: { summary: 'A server-side fix: answer a single request with a single JSON-RPC object. Until then, bridge it with mcp-remote (its SDK client reads arrays).' },
      });
    }
    case 'sse-no-response': {
      const resumable =
        problem.lastEventId !== undefined
          ? ` It carried event id "${problem.lastEventId}", so a client could try to resume it (GET with Last-Event-ID); ${CODEX} does not.`
          : ' It carried no event id, so no client can resume it.';
      const { message, evidence } = withDeviation(
        `The event stream answering ${request} ended after ${problem.events} event${problem.events === 1 ? '' : 's'} without the JSON-RPC response.${resumable} Codex fails the start (${CODEX_SAYS['sse-no-response'][request]}).`,
        { ...base, request, events: res.sse!.events.map((e) => describeSseEvent(e)), ...(problem.lastEventId !== undefined && { lastEventId: problem.lastEventId }) },
        { specLevel: 'SHOULD', sdkTolerates: false, sdk: 'its request waits until it times out' },
      );
      return makeFinding('http.sse-no-response', {
        stage,
        message,
        evidence,
        fix: { summary: 'A server-side fix: send the JSON-RPC response on the stream (as a "message" event) before closing it. Report it with the --verbose transcript.' },
      });
    }
    case 'sse-invalid': {
      const what =
        problem.reason === 'not-json'
          ? 'a "message" event whose data is not JSON'
          : problem.reason === 'not-jsonrpc'
            ? 'a "message" event that is not a JSON-RPC 2.0 message'
            : `a response with id ${JSON.stringify(problem.otherId)} instead of ${JSON.stringify(id)}`;
      const codex =
        request === 'initialize'
          ? problem.reason === 'other-id'
            ? `"conflict initialized response id: expected ${JSON.stringify(id)}, got …"`
            : CODEX_SAYS['sse-no-response'].initialize
          : 'no tool list';
      const { message, evidence } = withDeviation(
        `The event stream answering ${request} carries ${what}, and never the response itself. Codex fails the start (${codex}).`,
        { ...base, request, event: problem.event, events: res.sse!.events.map((e) => describeSseEvent(e)) },
        { specLevel: 'MUST', sdkTolerates: false, sdk: 'it drops the event and its request times out' },
      );
      return makeFinding('http.sse-invalid-message', {
        stage,
        message,
        evidence,
        fix: { summary: 'A server-side fix: each event\'s data must be one JSON-RPC message, and the response must carry the id of the request.' },
      });
    }
  }
}
