/**
 * `check --login` for one server: the glue between the HTTP pipeline and the login flow. When a
 * request is refused (401, or 403 `insufficient_scope`), the session logs in, re-sends the request
 * with the fresh token through the pipeline's own `retry`, and steps up on 403 with the union of
 * the scopes asked for so far and the scopes the server names — at most
 * `settings.maxAuthorizations` authorizations per server, and never again for scopes already
 * asked for (that would loop: MCP 2025-11-25 "Scope Challenge Handling"). A second 401, now to a
 * token issued moments ago, is the server's fault and ends it.
 *
 * The session keeps the fresh token for the rest of the server's check (initialize, tools/list,
 * tools/call); it is never written anywhere.
 */
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import { analyzeChallenge } from '../challenge.ts';
import type { ClientRegistration } from './client-registration.ts';
import { runLoginFlow, type FreshToken, type LoginFlowResult, type LoginSettings, type LoginTarget } from './login-flow.ts';
import { freshTokenRejectedFinding, isAdHocUrl, loginFailedFinding, loginSucceededFinding, reviseAfterSuccess, type ServerAnswer } from './login-findings.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import { coversScopes, unionScopes } from './scopes.ts';

export type { ServerAnswer };

export interface RefusedRequest {
  /** What was sent, for messages ("initialize", "tools/list", "tools/call whoami"). */
  request: string;
  /** The refused answer. */
  answer: ServerAnswer;
  /** Whether the refused request carried a credential (a configured or stored token). */
  sentCredential?: boolean;
  /**
   * Re-sends the same request with this `Authorization` value (and keeps it for later requests);
   * status 0 when nothing answered.
   */
  retry(authorization: string): Promise<ServerAnswer>;
}

export interface SessionOutcome {
  /** The last answer: a success after a login, or the refusal that ended it. */
  answer: ServerAnswer;
  /** New findings, redacted. */
  findings: Finding[];
  /** True when the final answer came with a fresh token. */
  loggedIn: boolean;
  /** One line for the stage summary. */
  summary?: string;
}

export interface LoginSession {
  /**
   * A refused request: log in (or step up) and retry until it is accepted, the server rejects a
   * fresh token, or the authorization limit is reached.
   */
  handle(refused: RefusedRequest): Promise<SessionOutcome>;
  /**
   * The auth stage: like `handle`, and then the passive diagnosis of the same 401 is revised with
   * what the login proved (stored credentials vs the server).
   */
  afterDiagnosis(refused: RefusedRequest, passive: Finding[]): Promise<SessionOutcome & { revised: Finding[] }>;
  /** The `Authorization` value in use, once logged in. */
  readonly authorization: string | undefined;
  readonly settings: LoginSettings;
}

const isRefusal = (a: ServerAnswer, challengeError: string | undefined) => a.status === 401 || (a.status === 403 && challengeError === 'insufficient_scope');

export function createLoginSession(ctx: ServerContext, settings: LoginSettings): LoginSession {
  const flows: LoginFlowResult[] = [];
  let target: LoginTarget | undefined;
  let registration: ClientRegistration | undefined;
  let token: FreshToken | undefined;
  let authorization: string | undefined;
  /** Set once a login failed or a fresh token was rejected: no more logins for this server. */
  let givenUp = false;
  const redact = ctx.redact;
  const clean = (f: Finding): Finding => redact.value(f);

  const handle = async (refused: RefusedRequest): Promise<SessionOutcome> => {
    const findings: Finding[] = [];
    let answer = refused.answer;
    let loggedIn = false;
    const startFlows = flows.length;
    for (;;) {
      const challenge = analyzeChallenge(answer.headers['www-authenticate'], authorization !== undefined);
      if (!isRefusal(answer, challenge.error)) {
        if (loggedIn && answer.status < 300) {
          if (refused.request !== 'initialize' && refused.sentCredential === false && startFlows === 0) {
            findings.push(clean(tokenFromLaterRequest(ctx, refused.request)));
          }
          findings.push(clean(loginSucceededFinding(ctx.server, flows.slice(startFlows), refused.request, answer)));
          return { answer, findings, loggedIn, summary: `logged in with check --login; ${refused.request} accepted the fresh token` };
        }
        return { answer, findings, loggedIn };
      }
      if (givenUp) return { answer, findings, loggedIn };

      // A 401 to a token issued moments ago: the server's fault, and another login cannot help.
      if (answer.status === 401 && authorization !== undefined && token) {
        givenUp = true;
        findings.push(clean(freshTokenRejectedFinding(ctx.server, flows, refused.request, answer, challenge, redact)));
        return { answer, findings, loggedIn, summary: `${refused.request} rejects a freshly issued token (HTTP 401)` };
      }

      let scopes: string[] | undefined;
      if (answer.status === 403) {
        const asked = token?.requested ?? [];
        if (token && (challenge.scopes.length === 0 || coversScopes(asked, challenge.scopes))) {
          givenUp = true;
          findings.push(clean(stepUpExhausted(ctx, refused.request, asked, challenge.scope, 'repeat', flows.length)));
          return { answer, findings, loggedIn, summary: `${refused.request}: 403 insufficient_scope for scopes already granted` };
        }
        scopes = unionScopes(asked, challenge.scopes);
      }
      if (flows.length >= settings.maxAuthorizations) {
        givenUp = true;
        findings.push(clean(stepUpExhausted(ctx, refused.request, token?.requested ?? [], challenge.scope, 'limit', flows.length)));
        return { answer, findings, loggedIn, summary: `${refused.request} still refused after ${flows.length} authorizations` };
      }

      const flow = await runLoginFlow({
        ctx,
        settings,
        challenge: { resourceMetadata: challenge.resourceMetadata, sdkResourceMetadata: challenge.sdk.resourceMetadataUrl, scopes: challenge.scopes },
        ...(scopes ? { scopes } : {}),
        ...(target ? { target } : {}),
        ...(registration ? { registration } : {}),
      });
      flows.push(flow);
      if (!flow.ok || !flow.token) {
        givenUp = true;
        findings.push(clean(loginFailedFinding(ctx.server, flow, flows.slice(0, -1), settings)));
        return { answer, findings, loggedIn, summary: `check --login failed at ${flow.failedAt}` };
      }
      target = flow.target;
      registration = flow.registration;
      token = flow.token;
      authorization = `Bearer ${token.accessToken}`;
      loggedIn = true;
      answer = await refused.retry(authorization);
    }
  };

  return {
    settings,
    get authorization() {
      return authorization;
    },
    handle,
    async afterDiagnosis(refused, passive) {
      const outcome = await handle(refused);
      const worked = outcome.loggedIn && outcome.answer.status < 300 && flows.length > 0;
      const revised = worked ? reviseAfterSuccess(passive, ctx.server, flows[flows.length - 1]!, redact) : passive;
      return { ...outcome, revised };
    },
  };
}

/** initialize went through without a token, a later request wanted one: Codex needs a login too. */
function tokenFromLaterRequest(ctx: ServerContext, request: string): Finding {
  const name = ctx.server.name;
  return makeFinding('auth.login-required', {
    // With `check --url` no Codex config names the server: the working login is the answer.
    ...(isAdHocUrl(ctx.server) ? { severity: 'warning' as const } : {}),
    message: `"${name}" lets initialize through without a token but answers ${request} with 401, so Codex cannot list its tools without a stored login. check --login logged in and the server accepted the fresh token, so \`codex mcp login ${name}\` will work.`,
    evidence: { refusedRequest: request, initializeNeedsToken: false },
    fix: { summary: `Log in (Codex opens the browser and stores the token for "${name}" at this URL).`, command: `codex mcp login ${name}` },
  });
}

function stepUpExhausted(ctx: ServerContext, request: string, asked: string[], required: string | undefined, why: 'repeat' | 'limit', authorizations: number): Finding {
  const name = ctx.server.name;
  const reason =
    why === 'repeat'
      ? `although the token was issued for ${asked.length ? asked.join(' ') : 'the scopes asked for'}${required ? ` and the server asks for ${required}` : ''}: asking again for the same scopes would loop, so check --login stopped`
      : `after ${authorizations} authorization${authorizations === 1 ? '' : 's'}, the most check --login makes for one server (a step-up limit, as the spec asks of clients)`;
  return makeFinding('auth.insufficient-scope', {
    message: `"${name}" keeps answering ${request} with 403 insufficient_scope ${reason}. The authorization server does not grant the scope the server requires, or the server requires one it never names.`,
    evidence: { request, authorizations, scopesAsked: asked, ...(required ? { requiredScope: required } : {}), stoppedBecause: why === 'repeat' ? 'scopes already asked for' : 'authorization limit reached' },
    fix: { summary: 'Check with the provider that the account and client may be granted the scope the server names; a server-side fix if the server asks for a scope its authorization server does not issue.' },
  });
}
