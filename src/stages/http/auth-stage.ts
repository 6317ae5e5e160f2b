import { diagnoseAuth } from '../../auth/diagnose-auth.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../../pipeline/context.ts';
import { describeAuthSource } from '../../transports/http/codex-headers.ts';
import type { Exchange, HttpResponse } from '../../transports/http/http-exchange.ts';
import { bodyPreview } from '../../transports/http/http-findings.ts';
import { initializeSpec, sendWithRetries } from './codex-requests.ts';
import { answeredPost, type InitializeAnswer, type SentCredential } from './discovery-stage.ts';
import { NO_ANSWER, useAuthorization, type HttpExchangeState } from './exchange-state.ts';
import { markRedactedAtCapture } from './stage-outcome.ts';

/**
 * The auth stage of a Streamable HTTP server: explains the 401/403 discovery got for `initialize`
 * (challenge, metadata, stored logins, audience: src/auth). With check --login it logs in and
 * re-sends `initialize`, so an answer may come out of this stage for the initialize stage.
 */

export interface AuthInput {
  /** The 401/403 answer to `initialize`, if discovery got one. */
  challenge?: HttpResponse;
  /** The credential that request carried. */
  sent: SentCredential;
}

export interface Authorized {
  outcome: StageOutcome;
  /** The answer to `initialize` after check --login's fresh token got through. */
  init?: InitializeAnswer;
  /** Auth found nothing wrong but the server still refused: later stages cannot run (why). */
  authBlocked?: string;
}

export async function authStage(ctx: ServerContext, st: HttpExchangeState, input: AuthInput): Promise<Authorized> {
  const res = input.challenge;
  if (!res) {
    return { outcome: { summary: st.codex.auth ? `${describeAuthSource(st.codex.auth)} accepted` : 'no authentication required' } };
  }
  // The 401/403 is explained by the auth forensics: challenge, metadata, stored logins, audience.
  const diagnosis = await diagnoseAuth({
    server: ctx.server,
    first: { status: res.status, headers: res.headers, bodyText: res.body },
    sent: input.sent,
    deps: ctx.deps,
    redact: ctx.redact,
    nowMs: ctx.deps.clock.epochMs(),
    signal: ctx.signal,
    requestTimeoutMs: Math.min(5000, Math.max(500, ctx.remainingMs())),
    record: (kind, text) => ctx.transcript.add(kind, text),
    globals: ctx.options.codexGlobals,
  });
  let findings = diagnosis.findings.map((f) => {
    const own = f.stage === 'file' ? f : { ...f, stage: 'auth' as const };
    return markRedactedAtCapture(own);
  });
  let summary = diagnosis.summary;
  if (st.login) {
    // check --login: log in, re-send initialize with the fresh token, and revise the diagnosis
    // with what that proves (stored credentials or the server at fault).
    let last: Exchange | undefined;
    const out = await st.login.afterDiagnosis(
      {
        request: 'initialize',
        answer: res,
        retry: async (authorization) => {
          useAuthorization(st, authorization);
          last = (await sendWithRetries(ctx, st, (url) => initializeSpec(st, url))).followed.exchange;
          return last.response ?? NO_ANSWER;
        },
      },
      findings,
    );
    findings = [...out.revised, ...out.findings].map((f) => markRedactedAtCapture(f));
    if (out.summary) summary = `${diagnosis.summary}; ${out.summary}`;
    if (out.loggedIn && last?.response && last.response.status < 300) {
      const accepted = await answeredPost(ctx, st, last, []);
      findings.push(...(accepted.outcome.findings ?? []));
      if (accepted.init) return { outcome: { summary, findings }, init: accepted.init };
    }
  }
  if (!findings.some((f) => f.severity === 'error')) {
    if (res.status === 403) {
      findings.unshift(
        makeFinding('http.unexpected-status', {
          stage: 'auth',
          message:
            `"${ctx.server.name}" answered initialize with 403 Forbidden (no insufficient_scope). ` +
            'Typical causes: the server checks the Host or Origin header (a tunnel or proxy in front of it), it allows only some OAuth clients, or the account lacks access.',
          evidence: { status: 403, bodyPreview: bodyPreview(ctx, res.body) },
          fix: { summary: 'Read the 403 body in the evidence; allow this client (or host) on the server side.' },
        }),
      );
    } else {
      // Nothing to blame, yet the server refused: Codex's stored login (refreshed at startup, or
      // in a keyring mcp-doctor does not read) may work where this check cannot go further.
      return { outcome: { summary, findings }, authBlocked: diagnosis.summary };
    }
  }
  return { outcome: { summary, findings } };
}
