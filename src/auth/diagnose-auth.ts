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
import { serverSnippet } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Deps } from '../pipeline/context.ts';
import { REDACTED, type Redactor } from '../redact.ts';
import type { Finding, Severity } from '../types.ts';
import { discoverAuthorizationServer, type AsDiscovery, type CodexOAuthGlobals } from './authorization-server.ts';
import { apiKeyHint, suggestedKeyVar, type ApiKeyHint } from './api-key.ts';
import { analyzeChallenge, type ChallengeAnalysis, type ChallengeProblem } from './challenge.ts';
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
import { CODEX } from '../codex/codex-version.ts';

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

/** An environment variable name to suggest for a server's token. */
export function suggestedTokenVar(serverName: string): string {
  const base = serverName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${/^[0-9]/.test(base) || base === '' ? `MCP_${base}` : base}_TOKEN`;
}

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
function challengesEvidence(c: ChallengeAnalysis, redact: Redactor): Array<Record<string, unknown>> {
  return c.parsed.challenges.map((ch) => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(ch.params)) params[k] = k === 'resource_metadata' ? redact.url(v) : redact.text(v);
    return { scheme: ch.scheme, ...(ch.token68 ? { token68: REDACTED } : {}), ...(Object.keys(params).length ? { params } : {}) };
  });
}

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

// ── Findings ───────────────────────────────────────────────────────────────────────────────────

/** URLs tried as compact `status url` lines (already redacted when recorded). */
function urlLines(urls: UrlTried[]): string[] {
  return urls.map((u) => `${u.status ?? 'no answer'} ${u.url}${u.redirectedTo ? ` → ${u.redirectedTo}` : ''}`);
}

function loginRequiredFinding(server: ServerConfig, creds: CredentialInspection, as: AsDiscovery, blockers: Finding[], redact: Redactor, urlsTried: string[]): Finding {
  const name = server.name;
  const parts = [`"${name}" answered 401, it supports OAuth${as.found ? ` (authorization server ${redact.url(String(as.found.metadata.issuer ?? as.issuer))})` : ' (through the 2025-03-26 default endpoints)'}, and Codex has no stored credentials for this name and URL.`];
  if (creds.orphans.length) parts.push(`There is a login for "${name}" at another URL (${creds.orphans.map((o) => redact.url(o.serverUrl)).join(', ')}): the URL changed since the login.`);
  if (creds.renamed.length) parts.push(`There is a login for this URL under another name (${creds.renamed.map((o) => `"${o.serverName}"`).join(', ')}): the table was renamed since the login.`);
  if (creds.entry && creds.state === 'no-access-token') parts.push('The stored entry has no access token.');
  if (creds.keyring?.state === 'unavailable' && creds.mode !== 'file' && !/D-Bus/.test(creds.keyring.detail)) {
    parts.push(`The OS keyring could not be inspected (${creds.keyring.detail}); if you logged in with the keyring store, that login was not checked.`);
  }
  if (blockers.length) parts.push(`The login will fail until ${blockers.map((b) => b.code).join(' and ')} is fixed.`);
  return makeFinding('auth.login-required', {
    message: parts.join(' '),
    evidence: { credentialsFile: creds.file.state, credentialsStore: creds.mode, discovery: urlsTried },
    fix: { summary: `Log in (Codex opens the browser and stores the token for "${name}" at this URL).`, command: `codex mcp login ${name}` },
  });
}

function tokenExpiredFinding(server: ServerConfig, creds: CredentialInspection, nowMs: number, redact: Redactor): Finding {
  const entry = creds.entry!;
  const when = entry.expiresAt !== undefined ? new Date(entry.expiresAt).toISOString() : 'an unknown time';
  const why =
    creds.state === 'expired-refresh-without-issuer'
      ? `It has a refresh token, but the entry records no authorization server issuer (written by an older Codex, or by a login through the 2025-03-26 fallback), and ${CODEX} does not refresh such entries ("OAuth refresh credentials … are missing an authorization server issuer").`
      : 'There is no refresh token, so Codex cannot renew it and stops at startup (it reports the token as expired).';
  return makeFinding('auth.token-expired', {
    message: `The stored OAuth token of "${server.name}" expired at ${when}. ${why}`,
    evidence: { credential: describeCredential(entry, nowMs, redact) },
    fix: { summary: 'Log in again.', command: `codex mcp login ${server.name}` },
  });
}

/** Every metadata URL tried went unanswered (timeouts, resets): nothing is known about OAuth. */
function unanswered(urls: UrlTried[]): boolean {
  return urls.length > 0 && urls.every((u) => u.status === null && !u.error?.startsWith('not fetched'));
}

function oauthUnsupportedFinding(server: ServerConfig, challenge: ChallengeAnalysis, urlsTried: string[], noAnswer = false): Finding {
  const name = server.name;
  if (noAnswer) {
    // Not "publishes no metadata": none of its URLs answered in time (blind testing: a hanging
    // metadata endpoint was reported as a server without OAuth).
    return makeFinding('auth.oauth-unsupported', {
      message: `"${name}" answered 401, and none of the ${urlsTried.length} OAuth metadata URLs tried answered before the deadline, so whether it supports \`codex mcp login\` is unknown. Codex's login waits on the same URLs.`,
      evidence: { schemes: challenge.parsed.challenges.map((c) => c.scheme), urlsTried, unanswered: true },
      fix: { summary: 'Check that the server (or its authorization server) answers its /.well-known/oauth-protected-resource and /.well-known/oauth-authorization-server URLs; if it has no OAuth, use a token (bearer_token_env_var).' },
    });
  }
  const basic = challenge.parsed.challenges.some((c) => c.scheme.toLowerCase() === 'basic') && !challenge.bearer;
  const evidence = { schemes: challenge.parsed.challenges.map((c) => c.scheme), urlsTried };
  if (basic) {
    const v = `${suggestedTokenVar(name).replace(/_TOKEN$/, '')}_AUTHORIZATION`;
    return makeFinding('auth.oauth-unsupported', {
      message: `"${name}" asks for HTTP Basic auth and publishes no OAuth metadata, so \`codex mcp login\` cannot work.`,
      evidence,
      fix: {
        summary: `Export ${v}="Basic <base64 of user:password>" where Codex is started, and send it as the Authorization header.`,
        toml: serverSnippet(name, [['env_http_headers', { Authorization: v }]]),
      },
    });
  }
  const v = suggestedTokenVar(name);
  return makeFinding('auth.oauth-unsupported', {
    message: `"${name}" answered 401 but publishes no OAuth metadata (no protected resource metadata, no authorization server metadata, no default /authorize endpoint), so \`codex mcp login ${name}\` cannot work: it needs a token (API key or personal access token) from the provider.`,
    evidence,
    fix: {
      summary: `Create a token with the provider, export ${v}=<token> where Codex is started, and name the variable (the value never goes into config.toml).`,
      toml: serverSnippet(name, [['bearer_token_env_var', v]]),
    },
  });
}

/** The server wants a static key in a header: none sent, sent in the wrong header, or refused. */
function apiKeyFinding(server: ServerConfig, hint: ApiKeyHint, source: CredentialSource, redact: Redactor, urlsTried: string[]): Finding {
  const name = server.name;
  const header = hint.header;
  const how = hint.named ? `names the ${header} header` : `says ${JSON.stringify(redact.text(hint.said))} without naming a header (${header} is the convention: mcp-proxy --apiKey reads it)`;
  const evidence = { header, headerNamedByServer: hint.named, said: redact.text(hint.said), tokenSource: source, discovery: urlsTried };
  if (hint.sentAs) {
    const where = hint.sentAs.from === 'env_http_headers' ? `$${hint.sentAs.variable} (env_http_headers)` : 'http_headers';
    return makeFinding('auth.api-key-rejected', {
      message: `"${name}" answered 401 although the ${hint.sentAs.header} header was sent from ${where}: the key is wrong, revoked, or for another deployment. The server publishes no OAuth metadata, so \`codex mcp login\` cannot help.`,
      evidence,
      fix: { summary: `Get the right key from whoever runs the server and export it${hint.sentAs.variable ? ` as ${hint.sentAs.variable}` : ''} where Codex is started${hint.sentAs.from === 'http_headers' ? ' (better: env_http_headers, so the key stays out of config.toml)' : ''}.` },
    });
  }
  const variable = source === 'bearer_token_env_var' && server.bearerTokenEnvVar ? server.bearerTokenEnvVar : suggestedKeyVar(name);
  const toml = serverSnippet(name, [['env_http_headers', { [header]: variable }]]);
  if (source !== 'none') {
    const what = source === 'bearer_token_env_var' ? `bearer_token_env_var sends $${server.bearerTokenEnvVar} as \`Authorization: Bearer …\`` : `the key went in the Authorization header (${source})`;
    return makeFinding('auth.api-key-wrong-header', {
      message: `"${name}" answered 401 and ${how}: it wants the key in that header, but ${what}, which it ignores. It publishes no OAuth metadata, so \`codex mcp login ${name}\` cannot help either.`,
      evidence,
      fix: {
        summary: `Send the key in ${header} instead: name the variable in env_http_headers${source === 'bearer_token_env_var' ? ' and remove bearer_token_env_var' : ' and drop the Authorization header'}.`,
        toml,
      },
    });
  }
  return makeFinding('auth.api-key-required', {
    message: `"${name}" answered 401 and ${how}: it wants an API key in a request header, not an OAuth login. It publishes no OAuth metadata, and its default OAuth endpoints answer 401 too, so \`codex mcp login ${name}\` fails ("Dynamic registration failed").`,
    evidence,
    fix: {
      summary: `Export ${variable}=<the key> where Codex is started and send it in ${header} with env_http_headers (the value never goes into config.toml).`,
      toml,
    },
  });
}

function githubFinding(server: ServerConfig): Finding {
  return makeFinding('auth.oauth-unsupported', {
    message: `GitHub's remote MCP server (${server.url}) does not support OAuth for Codex (dynamic client registration answers 404): it needs a personal access token. Codex says "GitHub MCP does not support OAuth".`,
    evidence: { url: server.url },
    fix: {
      summary:
        'Create a personal access token at https://github.com/settings/personal-access-tokens, export CODEX_GITHUB_PERSONAL_ACCESS_TOKEN=<token> where Codex is started, and name the variable in the server table.',
      toml: serverSnippet(server.name, [['bearer_token_env_var', 'CODEX_GITHUB_PERSONAL_ACCESS_TOKEN']]),
    },
  });
}

function insufficientScopeFinding(server: ServerConfig, challenge: ChallengeAnalysis, source: CredentialSource, creds: CredentialInspection | undefined): Finding {
  const name = server.name;
  const stored = creds?.entry?.scopes ?? [];
  const wanted = [...new Set([...(server.scopes ?? []), ...stored, ...challenge.scopes])];
  const evidence: Record<string, unknown> = { requiredScope: challenge.scope ?? '(not named: the 403 lacks `scope`, AUTH-19)' };
  if (creds?.entry) evidence.storedScopes = stored;
  if (source === 'oauth' || source === 'none') {
    return makeFinding('auth.insufficient-scope', {
      message: `"${name}" answered 403 insufficient_scope${challenge.scope ? `: it needs ${challenge.scope}` : ''}${stored.length ? `; the stored login has ${stored.join(' ')}` : ''}.`,
      evidence,
      fix: challenge.scopes.length
        ? { summary: 'Ask for the scopes the server names, then log in again.', toml: serverSnippet(name, [['scopes', wanted]]), command: `codex mcp login ${name}` }
        : { summary: 'Log in again with the scopes the server documents (`scopes = [...]`).', command: `codex mcp login ${name}` },
    });
  }
  return makeFinding('auth.insufficient-scope', {
    message: `"${name}" answered 403 insufficient_scope to the configured token${challenge.scope ? `: it needs ${challenge.scope}` : ''}.`,
    evidence,
    fix: { summary: `Create a token that grants ${challenge.scope ?? 'the scopes the server documents'} and export it in place of the current one.` },
  });
}

function orphanedFinding(server: ServerConfig, creds: CredentialInspection, redact: Redactor): Finding {
  const name = server.name;
  const lines: string[] = [];
  if (creds.orphans.length) lines.push(`for "${name}" at ${creds.orphans.map((o) => redact.url(o.serverUrl)).join(', ')} (the configured URL is ${redact.url(server.url ?? '')})`);
  if (creds.renamed.length) lines.push(`for this URL under the name ${creds.renamed.map((o) => `"${o.serverName}"`).join(', ')}`);
  const old = creds.renamed[0]?.serverName;
  return makeFinding('auth.credentials-orphaned', {
    message: `Codex has stored OAuth credentials ${lines.join(', and ')} that no longer apply: credentials are keyed by name and exact URL.`,
    evidence: {
      sameNameOtherUrl: creds.orphans.map((o) => redact.url(o.serverUrl)),
      sameUrlOtherName: creds.renamed.map((o) => o.serverName),
      file: creds.file.path,
    },
    fix: {
      summary: `Log in again for the current name and URL${old ? `; remove the old entry with \`codex mcp logout ${old}\` while "${old}" is still configured, or delete it from ${creds.file.path}` : `; delete the old entry from ${creds.file.path} if it is not needed`}.`,
      command: `codex mcp login ${name}`,
    },
  });
}

function scopesNarrowerFinding(server: ServerConfig, stored: string[], gap: NonNullable<ReturnType<typeof missingScopes>>): Finding {
  const wanted = [...new Set([...stored, ...gap.required])];
  return makeFinding('auth.scopes-narrower', {
    message: `The stored login of "${server.name}" has the scopes ${stored.join(' ')}, but the server asks for ${gap.required.join(' ')} (in its ${gap.from === 'challenge' ? '401 challenge' : 'scopes_supported'}); missing: ${gap.missing.join(' ')}.`,
    evidence: { storedScopes: stored, requiredScopes: gap.required, missing: gap.missing, from: gap.from },
    fix: { summary: 'Ask for the missing scopes and log in again.', toml: serverSnippet(server.name, [['scopes', wanted]]), command: `codex mcp login ${server.name}` },
  });
}

const WARNING_KINDS = new Set<ChallengeProblem['kind']>([
  'no-header',
  'no-bearer',
  'bearer-not-first',
  'resource-metadata-empty',
  'resource-metadata-relative',
  'resource-metadata-insecure',
  'sdk-reads-differently',
  'syntax',
]);

function challengeProblemsFinding(server: ServerConfig, c: ChallengeAnalysis, prmFound: boolean, redact: Redactor): Finding | undefined {
  // Without any OAuth, "no resource_metadata" is part of auth.oauth-unsupported, not news.
  const problems = c.problems.filter((p) => !(p.kind === 'resource-metadata-missing' && !prmFound) && !(p.kind === 'no-bearer' && !prmFound));
  if (problems.length === 0) return undefined;
  const severity: Severity = problems.some((p) => WARNING_KINDS.has(p.kind)) ? 'warning' : 'info';
  const sdk = problems.some((p) => p.breaksSdk) ? ' Clients built on the official TypeScript SDK miss the metadata location.' : '';
  return makeFinding('auth.challenge-nonstandard', {
    severity,
    message: `The 401 challenge of "${server.name}": ${problems.map((p) => p.detail).join('; ')}.${sdk}`,
    evidence: { challenges: challengesEvidence(c, redact), problems: problems.map((p) => p.kind), officialSdkReads: c.sdk },
    fix: { summary: 'A server-side fix: put a challenge of scheme Bearer first in WWW-Authenticate, with resource_metadata="<absolute URL of the protected resource metadata>" and scope="…".' },
  });
}

function keyringNote(server: ServerConfig, creds: CredentialInspection): Finding | undefined {
  const k = creds.keyring;
  if (!k || creds.entry?.source === 'keyring') return undefined;
  if (k.state === 'present-unread') {
    return makeFinding('auth.keyring-unavailable', {
      message: `Codex keeps a login for "${server.name}" in the OS keychain; mcp-doctor did not read it (${k.detail}), so its expiry and audience were not checked.`,
      evidence: { keyring: k.detail },
      fix: { summary: 'Nothing to fix. To let mcp-doctor check the login, set `mcp_oauth_credentials_store = "file"` and log in again.' },
    });
  }
  if (k.state === 'unavailable' && !/D-Bus/.test(k.detail) && !creds.entry) {
    return makeFinding('auth.keyring-unavailable', {
      message: `The OS keyring could not be inspected for "${server.name}" (${k.detail}); a login stored there was not checked.`,
      evidence: { keyring: k.detail },
      fix: { summary: 'Nothing to fix. To let mcp-doctor check the login, set `mcp_oauth_credentials_store = "file"` and log in again.' },
    });
  }
  if (k.state === 'unavailable' && creds.mode === 'keyring' && /D-Bus/.test(k.detail)) {
    return makeFinding('auth.keyring-unavailable', {
      severity: 'info',
      message: `\`mcp_oauth_credentials_store = "keyring"\` but there is no Secret Service here (${k.detail}): Codex cannot read or save the login ("failed to read OAuth tokens from keyring").`,
      evidence: { keyring: k.detail },
      fix: { summary: 'Use the file store, then log in again.', toml: 'mcp_oauth_credentials_store = "file"', command: `codex mcp login ${server.name}` },
    });
  }
  return undefined;
}
