/**
 * What `check --login` concludes, as findings. The passive diagnosis (diagnose-auth.ts) names the
 * likely cause of a 401 from what it can see; a fresh login turns that into proof:
 * - the fresh token works and the stored one did not → the stored credentials are the cause
 *   (`auth.token-not-resource-bound` when the two tokens' audiences differ, else
 *   `auth.stored-token-stale`); "not logged in" becomes a plain to-do (warning);
 * - the fresh token is rejected too → the server's fault (`auth.fresh-token-rejected`);
 * - the login itself stops → where (`auth.login-failed`).
 * Evidence lists every request of the flow, without secret values.
 */
import { serverSnippet } from '../../config/toml-snippet.ts';
import type { ServerConfig } from '../../config/server-config.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { Redactor } from '../../redact.ts';
import type { Finding } from '../../types.ts';
import { codexCallbackId, codexRedirectUri, SUGGESTED_CALLBACK_PORT } from '../authorization-server.ts';
import { isRedirectUriError } from './authorization-error.ts';
import type { LoginFlowResult, LoginStepEvidence, FreshToken, LoginTarget } from './login-flow.ts';
import { CODEX } from '../../codex/codex-version.ts';

export interface ServerAnswer {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
}

/** The flow in one object: the target, the client, every request. */
export function flowEvidence(flow: LoginFlowResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (flow.target) {
    out.resource = flow.target.resource;
    out.resourceFrom = flow.target.resourceFrom;
    if (flow.target.issuer) out.issuer = flow.target.issuer;
  }
  if (flow.registration) out.client = { via: flow.registration.via, tokenEndpointAuthMethod: flow.registration.authMethod };
  if (flow.token) {
    out.scopesRequested = flow.token.requested;
    if (flow.token.granted) out.scopesGranted = flow.token.granted;
  }
  if (flow.scopeFrom) out.scopeFrom = flow.scopeFrom;
  out.requests = flow.steps.flatMap(stepLines);
  out.steps = flow.steps;
  return out;
}

/** `token: POST http://as/token → 200` style lines, for a quick read of the flow. */
function stepLines(s: LoginStepEvidence): string[] {
  if (s.step === 'discovery') {
    const tried = Array.isArray(s.detail?.urlsTried) ? (s.detail.urlsTried as string[]) : [];
    // urlsTried entries read "<status> <url>".
    return tried.map((t) => {
      const m = /^(\d+|no answer) (.*)$/.exec(t);
      return m ? `discovery: GET ${m[2]} → ${m[1]}` : `discovery: ${t}`;
    });
  }
  if (s.step === 'callback') {
    const d = s.detail ?? {};
    return [`callback: ${d.hasCode ? 'code received' : 'no code'}, state ${d.state}, iss ${d.iss}`];
  }
  if (!s.method) return [s.step];
  return [`${s.step}: ${s.method} ${s.url} → ${s.status === undefined ? '…' : (s.status ?? 'no answer')}`];
}

export function loginSucceededFinding(server: Pick<ServerConfig, 'name'>, flows: LoginFlowResult[], request: string, answer: ServerAnswer): Finding {
  const last = flows[flows.length - 1]!;
  const via = last.registration ? describeClient(last.registration.via) : 'a client';
  const stepUps = flows.length > 1 ? ` after ${flows.length - 1} scope step-up${flows.length > 2 ? 's' : ''}` : '';
  return makeFinding('auth.login-succeeded', {
    message: `check --login logged in to "${server.name}" (${via}, PKCE S256, resource ${last.target?.resource ?? '?'}${scopeWords(last.token)})${stepUps}, and the server accepted the fresh token (${request}: HTTP ${answer.status}). The token was kept in memory only.`,
    evidence: { logins: flows.map(flowEvidence) },
  });
}

function describeClient(via: string): string {
  switch (via) {
    case 'dcr':
      return 'dynamic client registration';
    case 'cimd':
      return 'client ID metadata document';
    case 'conformance-context':
      return 'pre-registered client from MCP_CONFORMANCE_CONTEXT';
    default:
      return 'pre-registered client_id';
  }
}

function scopeWords(token: FreshToken | undefined): string {
  if (!token) return '';
  return token.requested.length ? `, scope ${token.requested.join(' ')}` : ', no scope';
}

const STEP_WORDS: Record<string, string> = {
  discovery: 'discovery (protected resource and authorization server metadata)',
  registration: 'client registration',
  authorization: 'the authorization request',
  callback: 'the authorization response',
  token: 'the token request',
};

export function loginFailedFinding(
  server: Pick<ServerConfig, 'name' | 'oauth' | 'url'>,
  flow: LoginFlowResult,
  earlier: LoginFlowResult[],
  callback: { callbackPort?: number; callbackUrl?: string } = {},
): Finding {
  const name = server.name;
  const step = flow.failedAt ?? 'discovery';
  if (isRedirectUriError(flow.authorizationError)) return redirectUriRejectedFinding(server, flow, earlier, callback);
  // Nobody completing the browser page within the timeout proves nothing about the server.
  const waitedInVain = step === 'authorization' && /within \d+ s \(--login-timeout\)|deadline passed/.test(flow.problem ?? '');
  return makeFinding('auth.login-failed', {
    severity: waitedInVain ? 'warning' : 'error',
    message: `check --login could not log in to "${name}": it stopped at ${STEP_WORDS[step]}: ${flow.problem}.${waitedInVain ? '' : ` \`codex mcp login ${name}\` follows the same steps and is expected to stop there too.`}`,
    evidence: { failedAt: step, ...flowEvidence(flow), ...(earlier.length ? { earlierLogins: earlier.map(flowEvidence) } : {}) },
    fix: loginFailedFix(server, step, flow),
  });
}

function loginFailedFix(server: Pick<ServerConfig, 'name' | 'oauth'>, step: string, flow: LoginFlowResult) {
  switch (step) {
    case 'registration':
      // A registration refused for the scope it names: registering by hand would not help.
      if (/invalid_client_metadata|invalid_scope/.test(flow.problem ?? '') && /scope/i.test(flow.problem ?? '')) {
        return {
          summary:
            'The authorization server refused the scope the registration names (see auth.login-scope-unsupported for the scopes Codex asks for): set `scopes = [...]` in the server table to scopes the authorization server lists, or, when the server requires a scope its authorization server does not offer, report it as a server-side misconfiguration.',
        };
      }
      return /pre-registered|client ID metadata/.test(flow.problem ?? '')
        ? {
            summary: 'Register an OAuth app with the provider and configure its client ID (see auth.registration-unavailable for the redirect URI Codex uses).',
            toml: serverSnippet(server.name, [['client_id', '<your client id>']], ['oauth']),
            template: true,
          }
        : { summary: 'The authorization server refused the registration: the evidence holds its answer. Register a client with the provider and configure `[mcp_servers.NAME.oauth] client_id` instead.' };
    case 'callback':
      return { summary: 'A server-side fix: the authorization response must carry the `state` the request sent, and the `iss` of the issuer when the metadata advertises authorization_response_iss_parameter_supported (RFC 9207).' };
    case 'token':
      return { summary: 'The token endpoint refused the code exchange: its answer is in the evidence (a client authentication method it does not accept, a redirect_uri or PKCE mismatch, a `resource` it does not know).' };
    case 'authorization':
      return { summary: 'Complete the login page in the browser within --login-timeout, or, for an authorization server that approves by itself, use --login-auto. The evidence shows where the authorization request went.' };
    default:
      return { summary: 'Fix the metadata the evidence names (see the other auth findings); a client cannot log in until discovery succeeds.' };
  }
}

/**
 * The authorization server refused the redirect URI: name its error, the client and the redirect
 * URI Codex will use, so that the provider's app registration can be fixed (a fixed port, since
 * Codex otherwise listens on an ephemeral one and the URI changes with every login).
 */
function redirectUriRejectedFinding(
  server: Pick<ServerConfig, 'name' | 'oauth' | 'url'>,
  flow: LoginFlowResult,
  earlier: LoginFlowResult[],
  callback: { callbackPort?: number; callbackUrl?: string },
): Finding {
  const name = server.name;
  const e = flow.authorizationError!;
  const port = server.oauth?.callbackPort ?? callback.callbackPort;
  const callbackUrl = server.oauth?.callbackUrl ?? callback.callbackUrl;
  const fixedPort = port ?? (callbackUrl ? undefined : SUGGESTED_CALLBACK_PORT);
  const codexUri = codexRedirectUri(server.url!, { callbackPort: fixedPort, callbackUrl })!;
  const sent = flow.steps.find((st) => st.step === 'authorization')?.params?.redirect_uri;
  const client = flow.registration ? `${flow.registration.via === 'dcr' ? 'the dynamically registered' : 'the pre-registered'} client ${JSON.stringify(flow.registration.clientId)}` : 'the client';
  const lines: Array<[string, unknown]> = [];
  if (!port && !callbackUrl) lines.push(['callback_port', SUGGESTED_CALLBACK_PORT]);
  return makeFinding('auth.redirect-uri-rejected', {
    message:
      `The authorization server of "${name}" refused the login's redirect URI: it answered the authorization request with ${e.error}${e.description ? ` ("${e.description}")` : ''} instead of redirecting back. ` +
      `${client[0]!.toUpperCase()}${client.slice(1)} does not have ${sent ? `the redirect URI ${sent}` : 'this redirect URI'} registered. \`codex mcp login ${name}\` sends ${codexUri}${port || callbackUrl ? '' : ` once the callback port is fixed (without one Codex listens on a new ephemeral port for every login, so no registered URI can match)`} and is refused the same way: the browser shows the authorization server's error page and Codex waits until "timed out waiting for OAuth callback".`,
    evidence: {
      failedAt: 'authorization',
      authorizationError: { error: e.error, ...(e.description ? { description: e.description } : {}), shownAs: e.from },
      ...(sent ? { redirectUriSent: sent } : {}),
      codexRedirectUri: codexUri,
      callbackId: codexCallbackId(server.url!),
      ...flowEvidence(flow),
      ...(earlier.length ? { earlierLogins: earlier.map(flowEvidence) } : {}),
    },
    fix: {
      summary: `Add the redirect URI ${codexUri} to ${client} in the provider's app settings${lines.length ? `, and fix Codex's callback port to ${SUGGESTED_CALLBACK_PORT} (or set the top-level \`mcp_oauth_callback_port\`)` : ''}, then log in.`,
      ...(lines.length ? { toml: serverSnippet(name, lines, ['oauth']) } : {}),
      command: `codex mcp login ${name}`,
    },
  });
}

export function freshTokenRejectedFinding(
  server: Pick<ServerConfig, 'name'>,
  flows: LoginFlowResult[],
  request: string,
  answer: ServerAnswer,
  challenge: { error?: string; errorDescription?: string },
  redact: Redactor,
): Finding {
  const last = flows[flows.length - 1]!;
  const said = challenge.error ? ` (${challenge.error}${challenge.errorDescription ? `: ${redact.text(challenge.errorDescription)}` : ''})` : '';
  const aud = last.token?.claims?.aud;
  const resource = last.target ? redact.url(last.target.resource) : '?';
  const issuer = last.target?.issuer ? redact.url(last.target.issuer) : 'its authorization server';
  return makeFinding('auth.fresh-token-rejected', {
    message:
      `"${server.name}" rejects a freshly issued token: check --login obtained one just now from ${issuer} ` +
      `for the resource ${resource} (sent in both the authorization and the token request${aud !== undefined ? `; the token's aud is ${JSON.stringify(aud)}` : ''}), ` +
      `and ${request} still got HTTP ${answer.status}${said}. Logging in again cannot help: the server validates tokens against another audience, issuer or key, or does not accept tokens of its own authorization server.`,
    evidence: {
      request,
      answer: { status: answer.status, ...(challenge.error ? { error: challenge.error } : {}), ...(challenge.errorDescription ? { errorDescription: redact.text(challenge.errorDescription) } : {}) },
      ...(last.token?.claims ? { freshTokenClaims: last.token.claims } : { freshToken: 'opaque (no claims to show)' }),
      logins: flows.map(flowEvidence),
    },
    fix: {
      summary:
        'A server-side fix: the server must accept tokens its own authorization server issues for its resource (check the audience it expects against the `resource` in the evidence, the issuer and the signing keys). Report it with this evidence.',
    },
  });
}

// ── revising the passive diagnosis ───────────────────────────────────────────────────────────

/** Claims read from a passive finding's evidence (never a token). */
function storedClaims(f: Finding): Record<string, unknown> | undefined {
  const c = f.evidence?.tokenClaims;
  return c && typeof c === 'object' ? (c as Record<string, unknown>) : undefined;
}

function audiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

const norm = (s: string) => s.replace(/\/+$/, '');

function audiencesDiffer(stored: Record<string, unknown> | undefined, fresh: Record<string, unknown> | undefined, resource: string | undefined): boolean {
  if (!stored || !fresh) return false;
  const a = audiences(stored.aud).map(norm);
  const b = audiences(fresh.aud).map(norm);
  if (a.length === 0 || b.length === 0) return false;
  const same = a.length === b.length && a.every((x) => b.includes(x));
  if (same) return false;
  // The fresh token is the reference only when it names the resource it was asked for.
  return resource === undefined || b.includes(norm(resource));
}

/**
 * After a fresh login worked: confirms or replaces the passive findings about stored credentials.
 * Findings about discovery (metadata, challenge layout...) stay as they are.
 */
export function reviseAfterSuccess(passive: Finding[], server: Pick<ServerConfig, 'name' | 'oauthResource' | 'source'>, flow: LoginFlowResult, redact: Redactor): Finding[] {
  // `check --url`: no Codex config names the server, so there is no Codex start to fail; the
  // question is whether the endpoint works once logged in, and it does (a warning: log in for real).
  const adHoc = isAdHocUrl(server);
  const name = server.name;
  const target = flow.target as LoginTarget;
  const fresh = flow.token?.claims;
  const resource = redact.url(target.resource);
  const proof = {
    resource,
    ...(fresh ? { freshTokenClaims: fresh } : { freshToken: 'opaque' }),
  };
  return passive.map((f) => {
    switch (f.code) {
      case 'auth.login-required':
        // Still Codex's verdict: nothing is stored for Codex, so it cannot start the server until
        // `codex mcp login` runs; the login only proves that the fix works.
        if (adHoc) {
          return {
            ...f,
            severity: 'warning' as const,
            message: `${f.message} check --login logged in and the server accepted the fresh token: once the server is in your Codex config as "${name}", \`codex mcp login ${name}\` will work.`,
            evidence: { ...f.evidence, confirmedByLogin: proof },
          };
        }
        return {
          ...f,
          message: `${f.message} check --login logged in and the server accepted the fresh token, so \`codex mcp login ${name}\` will work (Codex still cannot start the server until then: the token from check --login is not stored for Codex).`,
          evidence: { ...f.evidence, confirmedByLogin: proof },
        };
      case 'auth.token-not-resource-bound':
        return {
          ...f,
          message: `${f.message} Confirmed: a token requested just now with resource=${resource}${fresh?.aud !== undefined ? ` (aud ${JSON.stringify(fresh.aud)})` : ''} was accepted.`,
          evidence: { ...f.evidence, confirmedByLogin: proof },
        };
      case 'auth.token-rejected': {
        if (f.evidence?.tokenSource !== 'oauth') {
          return {
            ...f,
            message: `${f.message} check --login obtained an OAuth token that the server accepts: OAuth works for this server.`,
            evidence: { ...f.evidence, confirmedByLogin: proof },
          };
        }
        const stored = storedClaims(f);
        if (audiencesDiffer(stored, fresh, target.resource)) {
          return makeFinding('auth.token-not-resource-bound', {
            message: `The stored token of "${name}" is for ${JSON.stringify(stored!.aud)}, while a token requested just now with resource=${resource} is for ${JSON.stringify(fresh!.aud)} and was accepted: ${audiences(stored!.aud).some((a) => /^https?:\/\//i.test(a)) ? 'the stored one was requested with `resource` set to another server' : 'the stored one was obtained with the RFC 8707 `resource` left out of the token request'}, which is why the server rejects it.`,
            evidence: { storedTokenClaims: stored, ...proof, rejectedWith: f.evidence?.audience ?? 'HTTP 401' },
            fix: {
              summary: `Log in again so that the token is requested for this resource (${CODEX} sends the protected resource metadata's \`resource\` in both requests).`,
              ...(server.oauthResource ? {} : { toml: serverSnippet(name, [['oauth_resource', target.resource]]) }),
              command: `codex mcp login ${name}`,
            },
          });
        }
        // An opaque stored token (or one without `aud`) where a fresh token requested with
        // `resource` is a JWT for that resource: the authorization server issues resource-bound
        // tokens only when asked, so the stored one was obtained without `resource` (unless its
        // own authorization server said it is dead: then it is simply stale).
        const freshBound = audiences(fresh?.aud).some((a) => norm(a) === norm(target.resource));
        const storedUnreadable = !stored || audiences(stored.aud).length === 0;
        const saidDead = (f.evidence?.issuerCheck as { verdict?: string } | undefined)?.verdict === 'rejected';
        if (freshBound && storedUnreadable && !saidDead) {
          return makeFinding('auth.token-not-resource-bound', {
            message: `The stored token of "${name}" is not bound to this resource: it is ${stored ? 'a JWT without an `aud` claim' : 'an opaque token (not a JWT)'}, while a token requested just now with the RFC 8707 \`resource=${resource}\` is a JWT for ${JSON.stringify(fresh!.aud)} and was accepted. The authorization server issues resource-bound tokens only when the token request names the resource, so the stored one was obtained with \`resource\` left out of the token request — which is why the server rejects it.`,
            evidence: { ...(stored ? { storedTokenClaims: stored } : { storedToken: 'opaque' }), ...proof, rejectedWith: f.evidence?.serverAnswer ?? 'HTTP 401', ...(f.evidence?.issuerCheck ? { issuerCheck: f.evidence.issuerCheck } : {}) },
            fix: {
              summary: `Log in again: ${CODEX} sends the protected resource metadata's \`resource\` in both the authorization and the token request, so the new token is bound to this server.`,
              ...(target.resourceFrom === 'protected-resource-metadata' || server.oauthResource ? {} : { toml: serverSnippet(name, [['oauth_resource', target.resource]]) }),
              command: `codex mcp login ${name}`,
            },
          });
        }
        return makeFinding('auth.stored-token-stale', {
          message: `Codex's stored OAuth token for "${name}" was rejected with 401, but a token obtained just now from the same authorization server was accepted: the stored credentials are the problem (revoked, expired early, issued to an older client registration or another account), not the server.`,
          evidence: { ...(stored ? { storedTokenClaims: stored } : { storedToken: 'opaque (no claims to compare)' }), ...proof },
          fix: { summary: 'Log in again to replace the stored token.', command: `codex mcp login ${name}` },
        });
      }
      case 'auth.oauth-unsupported':
        // Only metadata was missing: the 2025-03-26 default endpoints did the login.
        if (!target.legacy) return f;
        return makeFinding('auth.login-required', {
          ...(adHoc ? { severity: 'warning' as const } : {}),
          message: `"${name}" publishes no OAuth metadata, but check --login logged in through the 2025-03-26 default endpoints (${redact.url(target.authorizationEndpoint)}, ${redact.url(target.tokenEndpoint)}) and the server accepted the token: \`codex mcp login ${name}\` works the same way, although \`codex mcp list\` shows the server as Unsupported. Codex has no stored credentials for it yet.`,
          evidence: { confirmedByLogin: proof, replaces: 'auth.oauth-unsupported' },
          fix: { summary: `Log in (Codex opens the browser and stores the token for "${name}" at this URL).`, command: `codex mcp login ${name}` },
        });
      case 'auth.token-expired':
        return { ...f, message: `${f.message} A fresh login works, so logging in again fixes it.`, evidence: { ...f.evidence, confirmedByLogin: proof } };
      default:
        return f;
    }
  }).map((f) => (f.evidence ? { ...f, evidence: redact.value(f.evidence) } : f));
}

/** The server of `check --url URL`: no Codex config names it. */
export function isAdHocUrl(server: Pick<ServerConfig, 'source'>): boolean {
  return server.source === '--url';
}
