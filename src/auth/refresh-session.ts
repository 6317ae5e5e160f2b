/**
 * `check --refresh` for one HTTP server: when initialize is refused (401) and Codex holds a
 * stored OAuth token with a refresh token, do what Codex does at startup or after that 401 —
 * refresh with Codex's exact request — store the result for Codex (refresh-exchange.ts), and
 * re-send initialize with the fresh token. It plugs into the HTTP plan where `check --login`
 * does (the LoginSession interface), and never logs in.
 */
import type { ServerContext } from '../pipeline/context.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Finding } from '../types.ts';
import { discoverAuthorizationServer, type CodexOAuthGlobals } from './authorization-server.ts';
import { analyzeChallenge } from './challenge.ts';
import { describeCredential, inspectStoredCredentials } from './credential-store.ts';
import { createHttpGet } from './http-get.ts';
import type { LoginSession, RefusedRequest, SessionOutcome } from './login/login-session.ts';
import { createOAuthHttp } from './login/oauth-http.ts';
import { discoverProtectedResource } from './protected-resource.ts';
import { performCodexRefresh, type CredentialsWriter } from './refresh-exchange.ts';
import { codexRefreshRequest } from './refresh-model.ts';

export interface RefreshSettings {
  /** Top-level `mcp_oauth_credentials_store` and callback settings of the Codex config. */
  globals?: CodexOAuthGlobals;
  writer?: CredentialsWriter;
}

/** Passive findings that a successful refresh (and an accepted retry) settles. */
const SETTLED = new Set(['auth.refresh-unverified', 'auth.refresh-expected', 'auth.refresh-will-fail', 'auth.token-rejected', 'auth.token-expired', 'auth.token-not-resource-bound', 'auth.token-for-other-server']);
const PREDICTIONS = new Set(['auth.refresh-unverified', 'auth.refresh-expected', 'auth.refresh-will-fail']);

const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

export function createRefreshSession(ctx: ServerContext, settings: RefreshSettings = {}): LoginSession {
  const { server, redact } = ctx;
  const name = server.name;
  const url = server.url ?? '';
  let authorization: string | undefined;
  let done = false;

  const notPerformed = (why: string, evidence: Record<string, unknown> = {}): Finding =>
    redact.value(
      makeFinding('auth.refresh-not-performed', {
        message: `check --refresh did not refresh the token of "${name}": ${why}. Nothing was sent and nothing was consumed.`,
        evidence,
        fix: { summary: 'Use the file credential store (then log in once) so mcp-doctor can refresh and store the result, or let Codex refresh it.', toml: 'mcp_oauth_credentials_store = "file"', command: `codex mcp login ${name}` },
      }),
    );

  const attempt = async (refused: RefusedRequest): Promise<SessionOutcome> => {
    const answer = refused.answer;
    if (done || answer.status !== 401) return { answer, findings: [], loggedIn: false };
    done = true;
    const nowMs = ctx.deps.clock.epochMs();
    const creds = await inspectStoredCredentials({ deps: ctx.deps, redact, serverName: name, serverUrl: url, mode: settings.globals?.credentialsStore, nowMs });
    const entry = creds.entry;
    if (!entry) return { answer, findings: [], loggedIn: false };
    if (!entry.refreshToken) return { answer, findings: [notPerformed('the stored entry has no refresh token (Codex cannot refresh it either)')], loggedIn: false };
    if (entry.source === 'keyring') {
      return { answer, findings: [notPerformed('the stored entry is in the OS keyring, which mcp-doctor reads but does not write; refreshing without storing the rotated token would log Codex out', { store: 'keyring' })], loggedIn: false };
    }
    if (!entry.issuer) return { answer, findings: [notPerformed('the stored entry records no issuer, and Codex does not refresh such entries')], loggedIn: false };

    const signal = ctx.signal;
    const timeoutMs = Math.min(10_000, Math.max(500, ctx.remainingMs()));
    const record = (kind: 'http-request' | 'http-response', text: string) => ctx.transcript.add(kind, text);
    const get = createHttpGet({ dispatcher: ctx.deps.dispatcher, signal, timeoutMs: Math.min(5000, timeoutMs), record });
    const challenge = analyzeChallenge(answer.headers['www-authenticate'], refused.sentCredential === true);
    const prm = await discoverProtectedResource({ serverName: name, serverUrl: url, headerUrl: challenge.resourceMetadata, sdkHeaderUrl: challenge.sdk.resourceMetadataUrl, get, redact, config: server });
    const resource = typeof prm.found?.check.document?.resource === 'string' ? prm.found.check.document.resource : url;
    const as = await discoverAuthorizationServer({ serverName: name, serverUrl: url, issuer: entry.issuer, get, redact, config: server, ...(settings.globals ? { globals: settings.globals } : {}) });
    const metadata = as.found?.metadata;
    const issuer = typeof metadata?.issuer === 'string' ? metadata.issuer : undefined;
    if (!metadata || !issuer || !sameIssuer(issuer, entry.issuer)) {
      return { answer, findings: [notPerformed(`the metadata of the issuer stored with the token (${redact.url(entry.issuer)}) could not be read, and the refresh token is sent to no one else`)], loggedIn: false };
    }
    const request = codexRefreshRequest(entry, metadata, resource);
    if ('unavailable' in request) return { answer, findings: [notPerformed(request.unavailable)], loggedIn: false };

    const http = createOAuthHttp({ dispatcher: ctx.deps.dispatcher, signal, timeoutMs, record });
    const result = await performCodexRefresh({ entry, request, http, deps: ctx.deps, redact, nowMs, ...(settings.writer ? { writer: settings.writer } : {}) });
    const requestEvidence = { method: 'POST', url: redact.url(request.tokenEndpoint), form: redact.value(request.shown), clientAuthentication: 'none (client_id only), as Codex' };
    if (!result.ok) {
      return {
        answer,
        loggedIn: false,
        summary: `check --refresh: the authorization server refused Codex's refresh (${result.error})`,
        findings: [
          redact.value(
            makeFinding('auth.refresh-failed', {
              message: `check --refresh sent Codex's refresh request for "${name}" and the authorization server refused it: ${result.status ? `HTTP ${result.status} ` : ''}${result.error}${result.description ? `: ${result.description}` : ''}. Codex's own refresh gets the same answer ("OAuth token refresh failed: Server returned error response: ${result.error}${result.description ? `: ${result.description}` : ''}"), so it cannot start the server. The stored credentials were not changed.`,
              evidence: { refreshRequest: requestEvidence, answer: { status: result.status, error: result.error, ...(result.description ? { errorDescription: result.description } : {}) }, credential: describeCredential(entry, nowMs, redact) },
              fix: { summary: 'Log in again.', command: `codex mcp login ${name}` },
            }),
          ),
        ],
      };
    }
    authorization = `Bearer ${result.tokens.accessToken}`;
    const retried = await refused.retry(authorization);
    const stored =
      result.stored === 'written'
        ? `wrote the new tokens to ${redact.text(creds.file.path)} in Codex's shape${result.rotated ? ' (the rotated refresh token replaces the spent one)' : ''}`
        : 'did not store them: the stored entry changed meanwhile (another refresh won; its tokens are kept)';
    const refreshed = makeFinding('auth.refreshed', {
      message: `check --refresh refreshed the token of "${name}" with Codex's exact request and ${stored}; ${refused.request} then answered HTTP ${retried.status || 'nothing'}.`,
      evidence: {
        refreshRequest: requestEvidence,
        answer: { status: result.status, rotatedRefreshToken: result.rotated, ...(result.tokens.expiresIn !== undefined ? { expiresIn: result.tokens.expiresIn } : {}), ...(result.tokens.scope !== undefined ? { scope: result.tokens.scope } : {}) },
        store: result.stored,
      },
    });
    const findings: Finding[] = [redact.value(refreshed)];
    if (retried.status === 401) {
      findings.push(
        redact.value(
          makeFinding('auth.token-rejected', {
            message: `"${name}" rejected the token refreshed just now with 401, so Codex's refresh does not help either: the server does not accept tokens this authorization server issues for resource ${redact.url(resource)}.`,
            evidence: { refreshedFor: redact.url(resource), tokenSource: 'oauth' },
            fix: { summary: 'Check which resource and issuer the server expects (server-side configuration), then log in again.', command: `codex mcp login ${name}` },
          }),
        ),
      );
    }
    return { answer: retried, findings, loggedIn: retried.status > 0 && retried.status < 300, summary: `check --refresh refreshed the stored token (${result.stored})` };
  };

  return {
    settings: { auto: true, openBrowser: false, timeoutMs: 0, maxAuthorizations: 0, notify: () => {} },
    get authorization() {
      return authorization;
    },
    handle: attempt,
    async afterDiagnosis(refused, passive) {
      const outcome = await attempt(refused);
      const refreshedOk = outcome.findings.some((f) => f.code === 'auth.refreshed') && outcome.loggedIn;
      const failed = outcome.findings.some((f) => f.code === 'auth.refresh-failed');
      // A performed refresh replaces the prediction; an accepted retry settles the stored-token findings.
      const revised = passive.filter((f) => !(refreshedOk ? SETTLED.has(f.code) : failed && PREDICTIONS.has(f.code)));
      return { ...outcome, revised };
    },
  };
}

/** The Codex settings --refresh needs, from the loaded config document. */
export function refreshSettingsFrom(config: { document?: Record<string, unknown> }): RefreshSettings {
  const store = config.document?.mcp_oauth_credentials_store;
  return store === 'file' || store === 'keyring' || store === 'auto' ? { globals: { credentialsStore: store } } : {};
}
