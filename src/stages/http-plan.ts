import type { LoginSettings } from '../auth/login/login-flow.ts';
import { createLoginSession } from '../auth/login/login-session.ts';
import { createRefreshSession, type RefreshSettings } from '../auth/refresh-session.ts';
import type { ServerContext, StageOutcome } from '../pipeline/context.ts';
import type { PlanFactory } from '../pipeline/run-server.ts';
import { CODEX_PROTOCOL_VERSION, codexHeaders } from '../transports/http/codex-headers.ts';
import { createHttpClient } from '../transports/http/http-exchange.ts';
import { authStage, type Authorized } from './http/auth-stage.ts';
import { discoveryStage, type Discovered } from './http/discovery-stage.ts';
import { closeSession, type HttpExchangeState } from './http/exchange-state.ts';
import { initializeStage, type Initialized } from './http/initialize-stage.ts';
import { isRedactedAtCapture } from './http/stage-outcome.ts';
import { toolsStage } from './http/tools-stage.ts';

/**
 * The Streamable HTTP pipeline: discovery posts `initialize` exactly as Codex 0.169.0 does and
 * classifies the answer (network, redirects, statuses, content types, legacy SSE, hybrid,
 * modern-era servers); auth explains a 401/403; initialize validates the result and sends
 * `notifications/initialized`; tools lists (all pages) and validates the tools. Session probes
 * run only after a working handshake.
 *
 * Each stage lives in src/stages/http/ and is a function of the context, the shared exchange
 * state (connection, headers, endpoint, session: exchange-state.ts) and the explicit data the
 * stage before it handed on. This file only wires them together, in the order the runner calls
 * them, and redacts what they report.
 */

export interface HttpPlanOptions {
  /** check --login (src/auth/login). */
  login?: LoginSettings;
  /** check --refresh (src/auth/refresh-session.ts): takes the place of --login's session. */
  refresh?: RefreshSettings;
}

export const createHttpPlan = (ctx: ServerContext, opts: HttpPlanOptions = {}): ReturnType<PlanFactory> => {
  const st: HttpExchangeState = {
    client: createHttpClient(ctx),
    codex: codexHeaders(ctx.server, ctx.deps.env),
    url: ctx.server.url ?? '',
    codexMs: 0,
    protocolVersion: CODEX_PROTOCOL_VERSION,
    sessionClosed: false,
    ...(opts.login ? { login: createLoginSession(ctx, opts.login) } : opts.refresh ? { login: createRefreshSession(ctx, opts.refresh) } : {}),
  };
  // What each stage hands the next. The runner runs a stage only after the one before it
  // finished without failing, so each is set before it is read.
  let discovered: Discovered | undefined;
  let authorized: Authorized | undefined;
  let initialized: Initialized | undefined;
  /** The answer to `initialize`: from discovery, or from check --login's retry in the auth stage. */
  const initAnswer = () => authorized?.init ?? discovered?.init;

  // Everything a stage reports passes the redactor once more: URLs, bodies and snippets are
  // assembled from server answers and config values. Findings of the auth forensics are
  // redacted where they are captured, and their prose would not survive a second pass.
  // Each finding shows the requests its stage made, in order (or, for a stage that made none,
  // the request whose answer led to it), so that the report says what was tried.
  const safe =
    (fn: (ctx: ServerContext) => Promise<StageOutcome>, leadingRequests?: () => string[]) =>
    async (c: ServerContext): Promise<StageOutcome> => {
      const before = st.client.log.length;
      const outcome = await fn(c);
      let tried: string[] = [];
      if (outcome.findings?.length) {
        const own = st.client.log.length > before ? st.client.log.slice(before) : st.client.log.slice(-1);
        tried = [...(leadingRequests?.() ?? []).filter((line) => !own.includes(line)), ...own];
      }
      const findings = outcome.findings?.map((f) => {
        if (isRedactedAtCapture(f)) return f;
        const withRequests = tried.length > 0 && f.evidence?.requests === undefined ? { ...f, evidence: { ...f.evidence, requests: tried } } : f;
        return c.redact.value(withRequests);
      });
      return { ...outcome, summary: c.redact.text(outcome.summary), ...(findings && { findings }) };
    };

  const discovery = async (c: ServerContext) => {
    discovered = await discoveryStage(c, st);
    return discovered.outcome;
  };
  const auth = async (c: ServerContext) => {
    authorized = await authStage(c, st, { challenge: discovered?.challenge, sent: discovered?.sent ?? { source: 'none' } });
    return authorized.outcome;
  };
  const initialize = async (c: ServerContext) => {
    initialized = await initializeStage(c, st, { init: initAnswer(), authBlocked: authorized?.authBlocked });
    return initialized.outcome;
  };
  const tools = (c: ServerContext) => toolsStage(c, st, { initialized: initAnswer()?.answer.kind === 'result', staleStatus: initialized?.staleStatus });
  // The initialize stage judges the answer discovery got: its findings show that request first.
  const initRequests = () => (discovered ? st.client.log.slice(discovered.initRequests.start, discovered.initRequests.end) : []);

  return {
    stages: { discovery: safe(discovery), auth: safe(auth), initialize: safe(initialize, initRequests), tools: safe(tools) },
    cleanup: async (c) => {
      st.client.abortAll();
      if (st.sessionId && !st.sessionClosed && c.remainingMs() > 200) await closeSession(c, st);
    },
  };
};
