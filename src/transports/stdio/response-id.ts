/**
 * A stdio server that answers with the wrong `id` (another number, or the id as a string):
 * JSON-RPC matches responses by id, so Codex keeps waiting and times out ("timed out handshaking
 * with MCP server"). The doctor names what the wire shows instead of a bare timeout, and does not
 * wait for the whole deadline to do so: once an unmatched answer arrived, a short grace is left
 * for a matching one.
 */
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import { setDelay } from '../../deadline.ts';
import { CODEX } from '../../codex/codex-version.ts';
import { STDIO_ID_MISMATCH_GRACE_MS } from '../../limits.ts';
import type { StdioSession } from './stdio-session.ts';

/** How long a matching answer may still follow an unmatched one. */
export const MISMATCH_GRACE_MS = STDIO_ID_MISMATCH_GRACE_MS;

/**
 * A signal for one request: aborted by `signal`, or MISMATCH_GRACE_MS after the session saw a
 * response with an id matching no request. `done()` releases the timer.
 */
export function untilIdMismatch(session: StdioSession, signal: AbortSignal): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  const arm = () => {
    timer ??= setDelay(() => controller.abort(new Error('response id mismatch')), MISMATCH_GRACE_MS);
  };
  if (session.unmatched.length > 0) arm();
  session.onUnmatched = arm;
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (session.onUnmatched === arm) session.onUnmatched = undefined;
    },
  };
}

/** The finding when `method` got no matching answer but an unmatched one arrived; else undefined. */
export function idMismatchFinding(ctx: ServerContext, session: StdioSession, method: string, stage: 'initialize' | 'tools'): Finding | undefined {
  const first = session.unmatched[0];
  if (!first) return undefined;
  const sent = first.waitingFor.join(', ');
  const got = JSON.stringify(first.id) ?? 'undefined';
  // Measured with Codex 0.171: a wrong id on initialize fails the handshake at once; on
  // tools/list the answer is dropped and Codex waits out startup_timeout_sec.
  const codex =
    method === 'initialize'
      ? 'Codex rejects it at once ("handshaking with MCP server failed: conflict initialized response id: expected …, got …")'
      : `Codex drops it and waits for an answer with its id until startup_timeout_sec passes ("timed out awaiting ${method}")`;
  return makeFinding('stdio.response-id-mismatch', {
    stage,
    message: `"${ctx.server.name}" answered ${method}, but with id ${got} where the request had id ${sent}. JSON-RPC matches answers to requests by id: ${codex}, so the server fails to start.`,
    evidence: { method, requestId: first.waitingFor.length === 1 ? first.waitingFor[0] : first.waitingFor, responseId: first.id ?? null, unmatchedAnswers: session.unmatched.length },
    fix: { summary: 'A server-side fix: echo the request\'s `id` unchanged, with its type (a number stays a number). Report it to the server\'s maintainers.' },
  });
}

/** A warning when answers came back with the request's number as a string, which Codex accepts. */
export function idAsStringFinding(ctx: ServerContext, session: StdioSession, method: string): Finding | undefined {
  const first = session.idsAsStrings[0];
  if (first === undefined) return undefined;
  return makeFinding('stdio.response-id-mismatch', {
    stage: 'initialize',
    severity: 'warning',
    message:
      `"${ctx.server.name}" answers with the request's id as a string (${JSON.stringify(first)} for ${first}). Codex accepts it (its JSON-RPC client compares the value; measured with ${CODEX}), ` +
      'but JSON-RPC says the response id is the request\'s id, type included, and stricter clients drop such answers and time out.',
    evidence: { method, responseId: first, answers: session.idsAsStrings.length },
    fix: { summary: 'A server-side fix: echo the request\'s `id` unchanged (a number stays a number).' },
  });
}
