/**
 * From a 401 (or 403) to the exact cause: the one entry point the auth stage calls.
 *
 * Chain: challenge → protected resource metadata → authorization server metadata → Codex's own
 * discovery → stored credentials → token audience. The result names the most likely cause first
 * (the first finding, also in `cause`), then what else is wrong, then what is merely worth knowing.
 *
 * Safety (issue "Auth forensics", item 7): every discovery GET is credential-free (http-get.ts
 * strips credential headers); no token is sent anywhere by this module — the caller sends the
 * Authorization from `codexAuthorizationFor` to the MCP URL only; no browser, no registration,
 * no token request; token values are registered with the Redactor when read and never appear in
 * findings or evidence (only JWT claims do).
 */
import type { ServerConfig } from '../config/server-config.ts';
import type { Deps } from '../pipeline/context.ts';
import { type Redactor } from '../redact.ts';
import type { Finding, Severity } from '../types.ts';
import { discoverAuthorizationServer, type AsDiscovery, type CodexOAuthGlobals } from './authorization-server.ts';
import { apiKeyHint } from './api-key.ts';
import { analyzeChallenge, type ChallengeAnalysis } from './challenge.ts';
import { compareCodexDiscovery, type CodexDiscoveryComparison } from './codex-oauth-probe.ts';
import {
  codexAuthorizationFor,
  describeCredential,
  inspectStoredCredentials,
  missingScopes,
  type CodexAuthorization,
  type CredentialInspection,
  type CredentialSource,
} from './credential-store.ts';
import { addressRefusedFinding, fetchRefusal } from './metadata-address.ts';
import { createHttpGet, type HttpGet, type UrlTried } from './http-get.ts';
import { discoverProtectedResource, type PrmDiscovery } from './protected-resource.ts';
import { tokenRejectedFinding } from './claims-findings.ts';
import { loginScopeFinding } from './codex-scopes.ts';
import { judgeToken } from './token-cause.ts';
import { createOAuthHttp, type OAuthHttp } from './login/oauth-http.ts';
import { diagnoseRefresh, type RefreshTrigger } from './refresh-diagnosis.ts';
import { challengesEvidence, suggestedTokenVar, urlLines, loginRequiredFinding, tokenExpiredFinding, unanswered, oauthUnsupportedFinding, apiKeyFinding, githubFinding, insufficientScopeFinding, orphanedFinding, scopesNarrowerFinding, challengeProblemsFinding, keyringNote } from './auth-cause-findings.ts';
export { suggestedTokenVar };

export { codexAuthorizationFor, type CodexAuthorization, type CredentialSource };

export interface FirstResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bodyText?: string;
}

export interface AuthDiagnosisInput {
  server: ServerConfig;
  /** The answer to the first MCP request (the HTTP stage's discovery POST). */
  first: FirstResponse;
  /** How that request was authorized: the result of `codexAuthorizationFor` (or `{source:'none'}`). */
  sent: Pick<CodexAuthorization, 'source' | 'authorization'>;
  deps: Pick<Deps, 'env' | 'readFile' | 'fileExists' | 'codexHome' | 'spawn' | 'platform' | 'dispatcher'>;
  redact: Redactor;
  /** Wall-clock epoch milliseconds (for `expires_at`); Deps' clock is monotonic. */
  nowMs: number;
  /** Injected fetcher; default: undici through deps.dispatcher, bounded by `signal`. */
  get?: HttpGet;
  signal?: AbortSignal;
  /** Per-request timeout for discovery GETs (default 5000 ms, Codex's). */
  requestTimeoutMs?: number;
  record?: (kind: 'http-request' | 'http-response', text: string) => void;
  /** Top-level Codex settings: credential store mode, callback port / URL. */
  globals?: CodexOAuthGlobals;
  /** Injected POSTs for the refresh prediction's introspection (default: undici through deps.dispatcher). */
  post?: OAuthHttp;
}

export interface AuthEvidence {
  urlsTried: UrlTried[];
  challenge?: Record<string, unknown>;
  protectedResource?: Record<string, unknown>;
  authorizationServer?: Record<string, unknown>;
  codex?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  audience?: Record<string, unknown>;
  /** The 401 asks for an API key in a header (api-key.ts). */
  apiKey?: Record<string, unknown>;
  issuerCheck?: Record<string, unknown>;
}

export interface AuthDiagnosis {
  summary: string;
  /** Code of the most likely cause (the first finding); undefined when nothing is wrong. */
  cause?: string;
  findings: Finding[];
  evidence: AuthEvidence;
}

const GITHUB_COPILOT_MCP = /^https:\/\/api\.githubcopilot\.com\/mcp(?:\/|$)/i;


export async function diagnoseAuth(input: AuthDiagnosisInput): Promise<AuthDiagnosis> {
  const { server, first, redact, sent } = input;
  const name = server.name;
  const url = server.url ?? '';
  // What counts is whether a credential went out: a source whose token Codex would not send
  // (an expired OAuth token) leaves `authorization` unset.
  const tokenSent = sent.source !== 'none' && sent.authorization !== undefined;
  const evidence: AuthEvidence = { urlsTried: [] };
  const findings: Finding[] = [];

  if (!URL.canParse(url)) return { summary: 'no valid URL to diagnose', findings, evidence };
  if (first.status !== 401 && first.status !== 403) {
    return { summary: `no authentication challenge (HTTP ${first.status})`, findings, evidence };
  }
  const challenge = analyzeChallenge(first.headers['www-authenticate'] ?? first.headers['WWW-Authenticate'], tokenSent);
  evidence.challenge = describeChallenge(challenge, redact);

  // URLs the server names are fetched only where fetch-policy.ts allows (never link-local).
  const refused: Array<{ url: string; reason: string }> = [];
  const refuse = (target: string) => {
    const reason = fetchRefusal(url, target);
    if (reason !== undefined) refused.push({ url: redact.url(target), reason });
    return reason;
  };
  const get =
    input.get ??
    createHttpGet({ dispatcher: input.deps.dispatcher, signal: input.signal, timeoutMs: input.requestTimeoutMs, record: input.record, refuse });

  const readCredentials = () =>
    inspectStoredCredentials({ deps: input.deps, redact, serverName: name, serverUrl: url, mode: input.globals?.credentialsStore, nowMs: input.nowMs });

  // ── 403: scope step-up ──────────────────────────────────────────────────────────────────────
  if (first.status === 403) {
    if (challenge.error !== 'insufficient_scope') {
      return {
        summary: `HTTP 403 without insufficient_scope${tokenSent ? ' (the token was accepted but refused access: often a client or integration allow-list)' : ''}`,
        findings,
        evidence,
      };
    }
    const creds = sent.source === 'oauth' ? await readCredentials() : undefined;
    if (creds) evidence.credentials = describeInspection(creds, input.nowMs, redact);
    findings.push(insufficientScopeFinding(server, challenge, sent.source, creds));
    return { summary: `HTTP 403 insufficient_scope${challenge.scope ? ` (needs ${challenge.scope})` : ''}`, cause: findings[0]!.code, findings, evidence };
  }

  // ── 401 ─────────────────────────────────────────────────────────────────────────────────────
  if (GITHUB_COPILOT_MCP.test(url) && !tokenSent) {
    findings.push(githubFinding(server));
    return { summary: '401: GitHub\'s MCP server needs a personal access token (no OAuth for Codex)', cause: findings[0]!.code, findings, evidence };
  }

  const prm = await discoverProtectedResource({
    serverName: name,
    serverUrl: url,
    headerUrl: challenge.resourceMetadata,
    sdkHeaderUrl: challenge.sdk.resourceMetadataUrl,
    get,
    redact,
    config: server,
  });
  evidence.urlsTried.push(...prm.urlsTried);
  evidence.protectedResource = describePrm(prm);

  const issuer = prm.found?.check.authorizationServers[0];
  const as = await discoverAuthorizationServer({ serverName: name, serverUrl: url, issuer, get, redact, config: server, globals: input.globals });
  evidence.urlsTried.push(...as.urlsTried);
  evidence.authorizationServer = describeAs(as);

  const legacyLogin = legacyEndpointsAnswer(as);
  const oauthDiscoverable = !!as.found || legacyLogin;

  const creds = await readCredentials();
  evidence.credentials = describeInspection(creds, input.nowMs, redact);

  const codex: CodexDiscoveryComparison = await compareCodexDiscovery({
    serverName: name,
    serverUrl: url,
    prm,
    as,
    postHeaderUrl: challenge.resourceMetadata,
    oauthWorks: !!as.found && !as.findings.some((f) => f.severity === 'error'),
    loggedIn: !!creds.entry,
    get,
    redact,
  });
  evidence.urlsTried.push(...codex.urlsTried);
  evidence.codex = { predictedAuthStatus: codex.codex.status, reason: codex.codex.reason, ...(codex.getChallengeDiffers ? { getChallengeDiffers: true } : {}) };

  // The token whose claims matter: the one sent, else the stored one Codex would use.
  const judged = await judgeToken({
    server,
    token: tokenFrom(sent.authorization) ?? creds.entry?.accessToken,
    sent: tokenSent,
    source: sent.source,
    entry: creds.entry,
    answer: { status: first.status, error: challenge.error, errorDescription: challenge.errorDescription },
    challengeScopes: challenge.scopes,
    prmResource: typeof prm.found?.check.document?.resource === 'string' ? prm.found.check.document.resource : undefined,
    issuer: typeof as.found?.metadata.issuer === 'string' ? as.found.metadata.issuer : issuer,
    asMetadata: as.found?.metadata,
    nowMs: input.nowMs,
    net: { dispatcher: input.deps.dispatcher, signal: input.signal, timeoutMs: Math.min(3000, input.requestTimeoutMs ?? 3000), record: input.record },
    redact,
  });
  Object.assign(evidence, judged.evidence);
  const { reading, issuerCheck } = judged;

  // ── Choose the cause ────────────────────────────────────────────────────────────────────────
  const discoveryFindings = [...prm.findings, ...as.findings];
  const blockers = discoveryFindings.filter((f) => f.severity === 'error');
  // Will `codex mcp login` itself be refused for the scopes it names? (metadata already fetched)
  const renewsItself = creds.state === 'refreshable' || (!creds.entry && creds.keyring?.state === 'present-unread');
  const scopeRisk =
    !!as.found && (tokenSent ? sent.source === 'oauth' : true)
      ? loginScopeFinding({ server, challenge: challenge.scopes, prmScopesSupported: prm.found?.check.scopesSupported, asMetadata: as.found.metadata, loggedIn: renewsItself })
      : undefined;
  if (scopeRisk?.severity === 'error') blockers.push(scopeRisk);
  const primary: Finding[] = [];
  let summary: string;

  // Codex's refresh (refresh-diagnosis.ts): after an expiry at startup, or after a 401 to the stored token.
  const refreshFor = (trigger: RefreshTrigger) =>
    diagnoseRefresh({
      server,
      entry: creds.entry!,
      asMetadata: as.found?.metadata,
      asMetadataUrl: as.found?.url,
      resource: typeof prm.found?.check.document?.resource === 'string' ? prm.found.check.document.resource : url,
      trigger,
      http: input.post ?? createOAuthHttp({ dispatcher: input.deps.dispatcher, signal: input.signal, timeoutMs: input.requestTimeoutMs, record: input.record }),
      redact,
    });

  // An API-key gateway (mcp-proxy --apiKey...): no OAuth to be had, the key goes in a header.
  const keyHint = !oauthDiscoverable && !prm.found && !prm.invalid ? apiKeyHint(challenge, first.bodyText, server) : undefined;
  if (keyHint) evidence.apiKey = { header: keyHint.header, named: keyHint.named, said: redact.text(keyHint.said), ...(keyHint.sentAs && { sentAs: keyHint.sentAs.from }) };

  if (keyHint && (keyHint.sentAs || sent.source !== 'oauth')) {
    primary.push(apiKeyFinding(server, keyHint, tokenSent ? sent.source : 'none', redact, urlLines(evidence.urlsTried)));
    summary = keyHint.sentAs
      ? `401: the API key in the ${keyHint.header} header was refused`
      : tokenSent
        ? `401: the key went in Authorization, the server wants the ${keyHint.header} header`
        : `401: the server wants an API key in the ${keyHint.header} header (no OAuth)`;
  } else if (tokenSent) {
    const cause = judged.finding;
    if (cause) {
      primary.push(cause);
      summary = `401: the ${sourceWords(sent.source)} was rejected (${cause.code})`;
    } else {
      primary.push(tokenRejectedFinding(server, sent.source, challenge, oauthDiscoverable, reading, issuerCheck));
      summary = `401: the ${sourceWords(sent.source)} was rejected`;
    }
    if (sent.source === 'oauth' && creds.entry?.refreshToken && creds.entry.issuer) {
      const refresh = await refreshFor('rejected');
      if (refresh.finding.severity !== 'error') {
        // Codex refreshes and retries: the rejection alone does not decide its verdict.
        const severity = refresh.finding.severity === 'warning' ? 'warning' : 'info';
        for (let i = 0; i < primary.length; i++) {
          const f = primary[i]!;
          primary[i] = { ...f, severity, message: `${f.message} Codex does not stop here: it refreshes the token and retries (${refresh.finding.code}).` };
        }
      }
      // A refusal or a confirmed refresh decides Codex's verdict: it comes first; an unverified one follows the rejection.
      if (refresh.finding.severity === 'warning') primary.push(refresh.finding);
      else primary.unshift(refresh.finding);
      summary = `${summary}; ${refresh.summary}`;
    }
    primary.push(...blockers);
  } else if (!oauthDiscoverable && !prm.found && !prm.invalid) {
    primary.push(oauthUnsupportedFinding(server, challenge, urlLines(evidence.urlsTried), unanswered(evidence.urlsTried)));
    summary = '401 and no OAuth metadata: a token must be configured';
  } else {
    // The login itself would fail: that is what to fix first.
    primary.push(...blockers);
    const entry = creds.entry;
    const state = creds.state;
    if (entry && (state === 'expired' || state === 'expired-refresh-without-issuer')) {
      primary.push(tokenExpiredFinding(server, creds, input.nowMs, redact));
      summary = '401: the stored token has expired and cannot be refreshed';
    } else if (entry && state === 'refreshable') {
      const refresh = await refreshFor('expired');
      primary.push(refresh.finding);
      summary = `401 without a token: the stored token has expired; ${refresh.summary}`;
    } else if (entry && state === 'usable') {
      summary = '401 without a token; stored OAuth credentials look usable';
    } else if (!entry && creds.keyring?.state === 'present-unread') {
      summary = '401 without a token; Codex has a keychain item for this server (not read)';
    } else {
      if (oauthDiscoverable) primary.push(loginRequiredFinding(server, creds, as, blockers, redact, urlLines(evidence.urlsTried)));
      summary = blockers.length ? `401: OAuth login would fail (${blockers[0]!.code})` : '401: not logged in';
    }
  }

  // ── Everything else, in order of weight ─────────────────────────────────────────────────────
  const secondary: Finding[] = [...discoveryFindings.filter((f) => !primary.includes(f)), ...codex.findings];
  if (refused.length) secondary.push(addressRefusedFinding(name, refused));
  if (scopeRisk && !primary.includes(scopeRisk)) secondary.push(scopeRisk);
  if (creds.orphans.length || creds.renamed.length) secondary.push(orphanedFinding(server, creds, redact));
  const scopeGap = creds.entry ? missingScopes(creds.entry.scopes, challenge.scopes, prm.found?.check.scopesSupported) : undefined;
  if (creds.entry && scopeGap && scopeGap.missing.length && creds.entry.scopes.length) secondary.push(scopesNarrowerFinding(server, creds.entry.scopes, scopeGap));
  const challengeFinding = challengeProblemsFinding(server, challenge, !!prm.found, redact);
  if (challengeFinding) secondary.push(challengeFinding);
  const keyringFinding = keyringNote(server, creds);
  if (keyringFinding) secondary.push(keyringFinding);

  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  secondary.sort((a, b) => rank[a.severity] - rank[b.severity]);
  findings.push(...dedupe([...primary, ...secondary]));
  return { summary: summary!, cause: findings[0]?.code, findings, evidence };
}

// ── Helpers ────────────────────────────────────────────────────────────────────────────────────

function dedupe(list: Finding[]): Finding[] {
  const seen = new Set<Finding>();
  return list.filter((f) => (seen.has(f) ? false : (seen.add(f), true)));
}

function tokenFrom(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return m ? m[1] : undefined;
}

function sourceWords(source: CredentialSource): string {
  switch (source) {
    case 'bearer_token_env_var':
      return 'token from bearer_token_env_var';
    case 'http_headers':
      return 'Authorization header from http_headers';
    case 'env_http_headers':
      return 'Authorization header from env_http_headers';
    case 'oauth':
      return 'stored OAuth token';
    default:
      return 'request';
  }
}

/** Whether the 2025-03-26 default `/authorize` looks like a real endpoint (not a 404 or a catch-all page). */
function legacyEndpointsAnswer(as: AsDiscovery): boolean {
  const status = as.legacy?.authorizeStatus;
  // (401 is not among them: an origin that wants credentials on its own /authorize is an
  // API-key gateway or a wall in front of the server, and Codex's registration there fails.)
  return status === 302 || status === 303 || status === 307 || status === 400 || status === 405;
}

function describeChallenge(c: ChallengeAnalysis, redact: Redactor): Record<string, unknown> {
  const out: Record<string, unknown> = { challenges: challengesEvidence(c, redact) };
  if (c.resourceMetadataRaw !== undefined) out.resourceMetadata = redact.text(c.resourceMetadataRaw);
  if (c.scope !== undefined) out.scope = c.scope;
  if (c.error !== undefined) out.error = c.error;
  if (c.errorDescription !== undefined) out.errorDescription = redact.text(c.errorDescription);
  if (c.realm !== undefined) out.realm = redact.text(c.realm);
  if (c.problems.length) out.problems = c.problems.map((p) => p.detail);
  out.officialSdkReads = c.sdk;
  return out;
}

/**
 * The challenges as structured data. The raw header is not shown: free-text redaction reads
 * "Bearer <word>" as a credential and would blank the very parameters that matter.
 */

function describePrm(prm: PrmDiscovery): Record<string, unknown> {
  const chosen = prm.found ?? prm.invalid;
  const out: Record<string, unknown> = { views: prm.views };
  if (chosen) {
    out.url = chosen.url;
    out.location = chosen.kind;
    out.valid = !!prm.found;
    out.resource = chosen.check.document?.resource;
    out.authorizationServers = chosen.check.authorizationServers;
    if (chosen.check.scopesSupported) out.scopesSupported = chosen.check.scopesSupported;
  } else {
    out.found = false;
  }
  if (prm.resource) out.resourceMatch = prm.resource.match;
  if (prm.differences.length) out.differences = prm.differences;
  return out;
}

function describeAs(as: AsDiscovery): Record<string, unknown> {
  const out: Record<string, unknown> = { issuer: as.issuer, source: as.source };
  if (as.found) {
    out.metadataUrl = as.found.url;
    out.kind = as.found.kind;
    out.pkce = as.found.check.pkce;
    out.registration = as.found.check.registration;
    out.issuerMatch = as.found.check.issuerMatch;
    if (as.codexFinds && as.codexFinds !== as.found.url) out.codexFinds = as.codexFinds;
  } else {
    out.found = false;
  }
  if (as.legacy) out.legacyDefaults = { ...as.legacy.endpoints, authorizeStatus: as.legacy.authorizeStatus };
  return out;
}

function describeInspection(c: CredentialInspection, nowMs: number, redact: Redactor): Record<string, unknown> {
  const out: Record<string, unknown> = { store: c.mode, file: c.file };
  if (c.keyring) out.keyring = { state: c.keyring.state, detail: redact.text(c.keyring.detail) };
  if (c.entry) out.entry = describeCredential(c.entry, nowMs, redact);
  if (c.orphans.length) out.sameNameOtherUrl = c.orphans.map((o) => redact.url(o.serverUrl));
  if (c.renamed.length) out.sameUrlOtherName = c.renamed.map((o) => o.serverName);
  return out;
}
