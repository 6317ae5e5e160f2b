import type { ServerContext } from '../../pipeline/context.ts';
import { timeoutFix } from '../../config/timeout-fix.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { Finding, StageName } from '../../types.ts';
import { CODEX_ACCEPT, initializeParams } from '../../transports/http/codex-headers.ts';
import { exchangeFollowingRedirects, type FollowedExchange, type HttpClient } from '../../transports/http/http-exchange.ts';
import { isObject, rpcRequest, sameId } from '../../transports/http/jsonrpc.ts';
import type { HttpExchangeState } from './exchange-state.ts';

/** Codex retries initialize, notifications/initialized and tools/list on these, after 250 and 1000 ms. */
export const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_DELAYS_MS = [250, 1000];
/** The JSON-RPC id of `initialize`, as Codex numbers it. */
export const INIT_ID = 0;

/** The POST of `initialize` exactly as Codex sends it. */
export function initializeSpec(st: HttpExchangeState, url: string) {
  return {
    method: 'POST' as const,
    url,
    headers: { ...st.codex.headers, Accept: CODEX_ACCEPT },
    body: rpcRequest(INIT_ID, 'initialize', initializeParams()),
    label: 'initialize',
    until: (event: { message?: unknown; kind: string }) => event.kind === 'endpoint' || (isObject(event.message) && sameId(event.message.id, INIT_ID)),
  };
}

export interface Sent {
  followed: FollowedExchange;
  /** The status of every attempt (network failures are absent). */
  statuses: number[];
}

/**
 * Sends a request the way Codex does: redirects followed, and 408/429/500/502/503/504 or a
 * request error retried after 250 ms and 1 s. The time counts toward Codex's startup budget.
 */
export async function sendWithRetries(ctx: ServerContext, st: HttpExchangeState, spec: (url: string) => Parameters<HttpClient['exchange']>[0]): Promise<Sent> {
  const clock = ctx.deps.clock;
  const started = clock.now();
  const statuses: number[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const followed = await exchangeFollowingRedirects(st.client, spec(st.url));
      const ex = followed.exchange;
      if (ex.response) statuses.push(ex.response.status);
      const retryable = ex.failure ? ex.failure.kind !== 'timeout' : RETRY_STATUSES.has(ex.response?.status ?? 0);
      const delay = RETRY_DELAYS_MS[attempt];
      if (!retryable || delay === undefined || ctx.remainingMs() <= delay + 100) return { followed, statuses };
      ctx.transcript.add('note', `retrying ${ex.spec.label} in ${delay} ms, as Codex does`);
      await clock.sleep(delay, ctx.signal);
    }
  } finally {
    st.codexMs += clock.now() - started;
  }
}

/** Codex allows `startup_timeout_sec` for initialize + tools/list; measured on its own requests. */
export function startupTimeout(ctx: ServerContext, st: HttpExchangeState, stage: StageName): Finding | undefined {
  if (st.codexMs <= ctx.codexBudgetMs) return undefined;
  const took = (st.codexMs / 1000).toFixed(1);
  return makeFinding('timeout.startup', {
    stage,
    message:
      `${stage === 'initialize' ? `Starting "${ctx.server.name}" as Codex does (initialize and notifications/initialized)` : `Listing the tools of "${ctx.server.name}" (tools/list, every page)`} took ${took} s, ` +
      `but startup_timeout_sec is ${ctx.server.startupTimeoutSec} s, which Codex allows for the handshake and again for tools/list: Codex gives up (${stage === 'initialize' ? '"timed out handshaking with MCP server"' : '"timed out awaiting tools/list"'}).`,
    evidence: { measuredMs: Math.round(st.codexMs), startupTimeoutSec: ctx.server.startupTimeoutSec },
    fix: timeoutFix(ctx, st.codexMs),
  });
}
