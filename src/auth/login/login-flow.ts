/**
 * One OAuth 2.1 authorization-code login with PKCE S256, as the MCP authorization spec asks of a
 * client (mcp-wire §4, §5.1): discovery through the auth forensics' own modules (protected
 * resource metadata → authorization server metadata, or the 2025-03-26 fallback), client
 * registration, the authorization request (browser + loopback callback, or a plain GET for
 * authorization servers that approve by themselves), the `state` and RFC 9207 `iss` checks, and
 * the token request with RFC 8707 `resource` and the client authentication the registration got.
 *
 * Tokens live in memory only: nothing is written to Codex's credential store or anywhere else.
 * Every secret (code verifier, code, client secret, tokens) is registered with the Redactor the
 * moment it exists, and evidence names parameters without their secret values.
 */
import type { ServerConfig } from '../../config/server-config.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import { decodeJwtClaims } from '../../redact.ts';
import { codexCallbackId, discoverAuthorizationServer, legacyEndpoints } from '../authorization-server.ts';
import { createHttpGet, isLoopbackHost, parseJsonObject, type GetResponse, type HttpGet } from '../http-get.ts';
import { discoverProtectedResource } from '../protected-resource.ts';
import { readAuthorizationError, type AuthorizationError } from './authorization-error.ts';
import { checkAuthorizationResponse, parseAuthorizationResponse, type AuthorizationResponse } from './authorization-response.ts';
import { startCallbackListener, type CallbackListener } from './callback-listener.ts';
import { registerClient, type ClientRegistration, type PreRegisteredClient, type RegistrationStep } from './client-registration.ts';
import { createOAuthHttp, shownParams, type OAuthHttp } from './oauth-http.ts';
import { openBrowser } from './open-browser.ts';
import { createPkce, createState } from './pkce.ts';
import { scopeParam, selectScopes, splitScopes, type ScopeSource } from './scopes.ts';

/** `check --login` settings, the same for every server of one run. */
export interface LoginSettings {
  /** `--login-auto`: follow the authorization URL with a plain GET (authorization servers that approve by themselves). */
  auto: boolean;
  /** Open a browser: `--open`, or stdin and stderr are a terminal. */
  openBrowser: boolean;
  /** `--login-timeout`: how long to wait for the browser to come back. */
  timeoutMs: number;
  /** `--client-metadata-url`: the client ID metadata document to use where the AS supports CIMD. */
  clientMetadataUrl?: string;
  /** Credentials handed over by the conformance suite (MCP_CONFORMANCE_CONTEXT). */
  preRegistered?: PreRegisteredClient;
  /** Top-level `mcp_oauth_callback_port` / `mcp_oauth_callback_url` of the Codex config. */
  callbackPort?: number;
  callbackUrl?: string;
  /** Authorizations per server (the first login plus step-ups); the spec asks for a limit. */
  maxAuthorizations: number;
  /** `--call-tool`: a tool to call after tools/list, proving tools/call is authorized too. */
  callTool?: string;
  /** Where the authorization URL and progress lines go (stderr). Never given a secret. */
  notify(line: string): void;
}

export const DEFAULT_LOGIN_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_AUTHORIZATIONS = 3;
const AUTO_MAX_HOPS = 5;

/** What discovery found, kept for step-up logins of the same server. */
export interface LoginTarget {
  /** The RFC 8707 `resource` sent in both requests. */
  resource: string;
  resourceFrom: 'protected-resource-metadata' | 'oauth_resource' | 'server-url';
  prmUrl?: string;
  scopesSupported?: string[];
  /** The AS `issuer` from its metadata (for the RFC 9207 check); undefined without metadata. */
  issuer?: string;
  metadataUrl?: string;
  metadata?: Record<string, unknown>;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  registrationEndpoint?: string;
  issParameterSupported: boolean;
  /** `code_challenge_methods_supported` state (absent: proceeding as Codex and the SDK do). */
  pkce: 'S256' | 'absent';
  legacy: boolean;
}

export interface FreshToken {
  /** Secret: registered with the Redactor; never in evidence. */
  accessToken: string;
  tokenType: string;
  /** Scopes asked for. */
  requested: string[];
  /** Scopes the token response says were granted (absent: as requested, RFC 6749 §5.1). */
  granted?: string[];
  expiresIn?: number;
  hasRefreshToken: boolean;
  /** JWT claims when the token is a JWT (never the token itself). */
  claims?: Record<string, unknown>;
}

export type LoginStepName = 'discovery' | 'registration' | 'authorization' | 'callback' | 'token';

/** One request of the flow, as evidence: URL, status, parameters without secret values. */
export interface LoginStepEvidence {
  step: LoginStepName;
  method?: 'GET' | 'POST';
  url?: string;
  status?: number | null;
  params?: Record<string, string>;
  detail?: Record<string, unknown>;
}

export interface LoginFlowResult {
  ok: boolean;
  failedAt?: LoginStepName;
  /** Why it failed, in words (redacted). */
  problem?: string;
  token?: FreshToken;
  target?: LoginTarget;
  registration?: ClientRegistration;
  scopeFrom?: ScopeSource;
  /** The error the authorization server showed instead of redirecting back (authorization-error.ts). */
  authorizationError?: AuthorizationError;
  steps: LoginStepEvidence[];
}

export interface LoginFlowInput {
  ctx: ServerContext;
  settings: LoginSettings;
  /** The challenge that started it: its `resource_metadata` and `scope`. */
  challenge: { resourceMetadata?: string; sdkResourceMetadata?: string; scopes: string[] };
  /** Scopes to ask for, overriding the selection (step-up: the union). */
  scopes?: string[];
  /** From an earlier login of the same server (step-up reuses discovery and the client). */
  target?: LoginTarget;
  registration?: ClientRegistration;
}

export async function runLoginFlow(input: LoginFlowInput): Promise<LoginFlowResult> {
  const { ctx, settings } = input;
  const steps: LoginStepEvidence[] = [];
  const result: LoginFlowResult = { ok: false, steps };
  const redact = ctx.redact;
  const record = (kind: 'http-request' | 'http-response', text: string) => ctx.transcript.add(kind, text);
  const http = createOAuthHttp({ dispatcher: ctx.deps.dispatcher, signal: ctx.signal, record });
  const failAt = (step: LoginStepName, problem: string): LoginFlowResult => ({ ...result, ok: false, failedAt: step, problem: redact.text(problem) });

  // ── discovery ──────────────────────────────────────────────────────────────────────────────
  let target = input.target;
  if (!target) {
    const found = await discoverTarget(ctx, input.challenge);
    steps.push(found.evidence);
    if (!found.target) return failAt('discovery', found.problem!);
    target = found.target;
  }
  result.target = target;

  const selection = input.scopes
    ? { scopes: input.scopes, from: 'challenge' as ScopeSource }
    : selectScopes({ challenge: input.challenge.scopes, scopesSupported: target.scopesSupported, configured: ctx.server.scopes });
  result.scopeFrom = selection.from;
  const scope = scopeParam(selection.scopes);

  // ── redirect target ────────────────────────────────────────────────────────────────────────
  const callback = callbackPlan(ctx.server, settings);
  if ('problem' in callback) return failAt('authorization', callback.problem);
  let listener: CallbackListener;
  try {
    listener = await startCallbackListener({ port: callback.port, path: callback.path });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return failAt(
      'authorization',
      `cannot listen for the OAuth callback on 127.0.0.1:${callback.port ?? 0} (${code ?? (error as Error).message})${code === 'EADDRINUSE' ? ': another program (a running Codex login?) holds the configured callback port' : ''}`,
    );
  }

  try {
    // ── registration ─────────────────────────────────────────────────────────────────────────
    let registration = input.registration;
    if (!registration) {
      const reg = await registerClient({
        metadata: target.metadata,
        registrationEndpoint: target.registrationEndpoint,
        redirectUri: listener.redirectUri,
        preRegistered: settings.preRegistered ?? (ctx.server.oauth?.clientId ? { clientId: ctx.server.oauth.clientId, source: 'config' } : undefined),
        clientMetadataUrl: settings.clientMetadataUrl,
        scope,
        http,
        redact,
      });
      steps.push(registrationEvidence(reg.ok ? reg.registration : undefined, reg.step, reg.ok ? reg.note : reg.problem, redact));
      if (!reg.ok) return failAt('registration', reg.problem);
      registration = reg.registration;
    }
    result.registration = registration;

    // ── authorization request ────────────────────────────────────────────────────────────────
    const pkce = createPkce();
    redact.addSecret(pkce.verifier);
    const state = createState();
    const authParams: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: registration.clientId,
      redirect_uri: listener.redirectUri,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state,
      scope,
      resource: target.resource,
    };
    const authUrl = new URL(target.authorizationEndpoint);
    for (const [k, v] of Object.entries(authParams)) if (v !== undefined) authUrl.searchParams.set(k, v);

    // In browser mode one plain GET first: an authorization server that refuses the request (a
    // redirect URI it does not know) says so at once, instead of a page nobody can get past.
    const refused = settings.auto ? undefined : await refusedAuthorization(http, authUrl.toString(), listener.redirectUri);
    const answer = settings.auto ? await followAutomatically(http, authUrl.toString(), listener.redirectUri) : (refused ?? (await waitForBrowser(ctx, settings, listener, authUrl.toString())));
    if (answer.error) result.authorizationError = { ...answer.error, ...(answer.error.description ? { description: redact.text(answer.error.description) } : {}) };
    const authEvidence: LoginStepEvidence = {
      step: 'authorization',
      method: 'GET',
      url: redact.url(target.authorizationEndpoint),
      params: redact.value(shownParams(authParams)),
      detail: { mode: settings.auto ? 'automatic (plain GET, no cookies)' : 'browser', ...answer.detail },
    };
    if (answer.status !== undefined) authEvidence.status = answer.status;
    steps.push(authEvidence);
    if (!answer.response) return failAt('authorization', answer.problem ?? 'no authorization response');

    const response = answer.response;
    redact.addSecret(response.code);
    const check = checkAuthorizationResponse(response, { state, issuer: target.issuer, issParameterSupported: target.issParameterSupported });
    const callbackEvidence: LoginStepEvidence = {
      step: 'callback',
      detail: {
        hasCode: response.code !== undefined,
        state: response.state === undefined ? 'missing' : response.state === state ? 'matches' : 'differs',
        iss: response.iss === undefined ? (target.issParameterSupported ? 'missing (required: the AS advertises it)' : 'absent') : response.iss === target.issuer ? 'matches the issuer' : `differs: ${redact.text(response.iss)}`,
        ...(response.error ? { error: redact.text(response.error), errorDescription: redact.text(response.errorDescription ?? '') } : {}),
      },
    };
    steps.push(callbackEvidence);
    if (!check.ok) return failAt('callback', check.detail!);

    // ── token request ────────────────────────────────────────────────────────────────────────
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code: response.code!,
      redirect_uri: listener.redirectUri,
      code_verifier: pkce.verifier,
      resource: target.resource,
    };
    const headers: Record<string, string> = {};
    if (registration.authMethod === 'client_secret_basic' && registration.clientSecret) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      const basic = Buffer.from(`${formEncode(registration.clientId)}:${formEncode(registration.clientSecret)}`).toString('base64');
      redact.addSecret(basic);
      headers.Authorization = `Basic ${basic}`;
    } else {
      form.client_id = registration.clientId;
      if (registration.authMethod === 'client_secret_post' && registration.clientSecret) form.client_secret = registration.clientSecret;
    }
    const res = await http.postForm(target.tokenEndpoint, form, headers);
    const doc = parseJsonObject(res.bodyText);
    // Register before anything reads the answer further.
    for (const k of ['access_token', 'refresh_token', 'id_token']) redact.addSecret(typeof doc?.[k] === 'string' ? (doc[k] as string) : undefined);
    const tokenEvidence: LoginStepEvidence = {
      step: 'token',
      method: 'POST',
      url: redact.url(target.tokenEndpoint),
      status: res.status === 0 ? null : res.status,
      params: redact.value(shownParams(form)),
      detail: { clientAuthentication: registration.authMethod, ...(res.error ? { error: redact.text(res.error) } : {}) },
    };
    steps.push(tokenEvidence);
    if (res.status === 0) return failAt('token', `the token endpoint did not answer (${res.error ?? 'no answer'})`);
    if (res.status < 200 || res.status >= 300 || !doc || typeof doc.access_token !== 'string' || doc.access_token === '') {
      const said = doc && typeof doc.error === 'string' ? ` (${doc.error}${typeof doc.error_description === 'string' ? `: ${doc.error_description}` : ''})` : '';
      tokenEvidence.detail = { ...tokenEvidence.detail, ...(doc ? { response: redact.value(doc) } : { contentType: res.headers['content-type'] ?? null }) };
      return failAt('token', res.status >= 200 && res.status < 300 ? `the token endpoint answered HTTP ${res.status} without an access_token` : `the token request was refused with HTTP ${res.status}${said}`);
    }
    const token: FreshToken = {
      accessToken: doc.access_token,
      tokenType: typeof doc.token_type === 'string' ? doc.token_type : 'Bearer',
      requested: selection.scopes,
      hasRefreshToken: typeof doc.refresh_token === 'string' && doc.refresh_token !== '',
    };
    if (typeof doc.scope === 'string') token.granted = splitScopes(doc.scope);
    if (typeof doc.expires_in === 'number') token.expiresIn = doc.expires_in;
    const claims = decodeJwtClaims(token.accessToken);
    if (claims) token.claims = shownClaims(claims, redact);
    tokenEvidence.detail = {
      ...tokenEvidence.detail,
      response: {
        token_type: token.tokenType,
        ...(token.granted ? { scope: token.granted.join(' ') } : {}),
        ...(token.expiresIn !== undefined ? { expires_in: token.expiresIn } : {}),
        hasRefreshToken: token.hasRefreshToken,
        ...(token.claims ? { accessTokenClaims: token.claims } : { accessToken: 'opaque' }),
      },
    };
    if (token.tokenType.toLowerCase() !== 'bearer') {
      return failAt('token', `the token endpoint issued a ${token.tokenType} token; MCP servers take Bearer tokens`);
    }
    return { ...result, ok: true, token };
  } finally {
    await listener.close();
  }
}

/** The claims worth showing (audience, issuer, scopes, times, client): evidence, not trust. */
export function shownClaims(claims: Record<string, unknown>, redact: ServerContext['redact']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['aud', 'iss', 'sub', 'scope', 'scp', 'azp', 'client_id', 'exp', 'iat', 'resource']) if (claims[k] !== undefined) out[k] = redact.value(claims[k]);
  return out;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

// ── discovery ────────────────────────────────────────────────────────────────────────────────

/** The canonical URI of the MCP server (RFC 8707 / MCP "Canonical Server URI"): no fragment, no lone root slash. */
export function canonicalResource(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.hash = '';
  const text = u.toString();
  return u.pathname === '/' && !u.search && !/\/(?:[?#].*)?$/.test(serverUrl) ? text.slice(0, -1) : text;
}

async function discoverTarget(
  ctx: ServerContext,
  challenge: LoginFlowInput['challenge'],
): Promise<{ target?: LoginTarget; problem?: string; evidence: LoginStepEvidence }> {
  const { redact, server } = ctx;
  const url = server.url!;
  const fetched = new Map<string, GetResponse>();
  const plainGet = createHttpGet({
    dispatcher: ctx.deps.dispatcher,
    signal: ctx.signal,
    timeoutMs: Math.min(5000, Math.max(500, ctx.remainingMs())),
    record: (kind, text) => ctx.transcript.add(kind, text),
  });
  // The discovery modules hand back redacted documents (they are evidence); the login needs the
  // values as published, so every answer is kept and the document is read again from it.
  const get: HttpGet = async (u, headers) => {
    const res = await plainGet(u, headers);
    fetched.set(u, res);
    return res;
  };
  const rawDocument = (shownUrl: string): Record<string, unknown> | undefined => {
    for (const [u, res] of fetched) if (redact.url(u) === shownUrl && res.status >= 200 && res.status < 300) return parseJsonObject(res.bodyText);
    return undefined;
  };
  const prm = await discoverProtectedResource({
    serverName: server.name,
    serverUrl: url,
    headerUrl: challenge.resourceMetadata,
    sdkHeaderUrl: challenge.sdkResourceMetadata,
    get,
    redact,
    config: server,
  });
  const evidence: LoginStepEvidence = { step: 'discovery', detail: { urlsTried: prm.urlsTried.map((u) => `${u.status ?? 'no answer'} ${u.url}`) } };
  const detail = evidence.detail!;
  if (prm.invalid) {
    return { problem: `the protected resource metadata at ${prm.invalid.url} is unusable (${prm.invalid.check.problems.filter((p) => p.fatal).map((p) => p.detail).join('; ')})`, evidence };
  }
  let resource: string;
  let resourceFrom: LoginTarget['resourceFrom'];
  let issuer: string | undefined;
  let scopesSupported: string[] | undefined;
  if (prm.found) {
    const published = rawDocument(prm.found.url)?.resource ?? prm.found.check.document?.resource;
    // A client must not use metadata for another resource (RFC 9728 §3.3); the origin + path
    // prefix rule is the official SDK's and Codex's (an exact match is stricter than both).
    if (prm.resource && !prm.resource.sdkAccepts) {
      return {
        problem: `the protected resource metadata names the resource ${JSON.stringify(published)}, which does not match ${redact.url(url)} (${prm.resource.match}); a client must not log in with it (RFC 9728 §3.3), so no authorization request was made`,
        evidence,
      };
    }
    resource = String(published);
    resourceFrom = 'protected-resource-metadata';
    issuer = prm.found.check.authorizationServers[0];
    scopesSupported = prm.found.check.scopesSupported;
    detail.protectedResourceMetadata = prm.found.url;
    detail.resource = redact.url(resource);
    detail.authorizationServers = prm.found.check.authorizationServers;
    if (scopesSupported) detail.scopesSupported = scopesSupported;
  } else {
    // 2025-03-26 mode. The SDK sends no `resource` here; the spec says clients MUST send it
    // regardless of the server's support, so the server's canonical URI (or oauth_resource) goes.
    resource = server.oauthResource ?? canonicalResource(url);
    resourceFrom = server.oauthResource ? 'oauth_resource' : 'server-url';
    detail.protectedResourceMetadata = null;
    detail.resource = redact.url(resource);
  }

  const as = await discoverAuthorizationServer({ serverName: server.name, serverUrl: url, issuer, get, redact, config: server });
  (detail.urlsTried as string[]).push(...as.urlsTried.map((u) => `${u.status ?? 'no answer'} ${u.url}`));
  detail.issuer = as.issuer;
  if (as.found) {
    const m = rawDocument(as.found.url) ?? as.found.metadata;
    detail.metadataUrl = as.found.url;
    detail.metadataKind = as.found.kind === 'oauth' ? 'RFC 8414' : 'OpenID Connect Discovery';
    const errors = as.found.check.problems.filter((p) => p.severity === 'error');
    if (errors.length) return { problem: `the authorization server metadata at ${as.found.url} is unusable: ${errors.map((p) => p.detail).join('; ')}`, evidence };
    const endpoint = (k: string) => (typeof m[k] === 'string' && URL.canParse(m[k] as string) ? (m[k] as string) : undefined);
    const target: LoginTarget = {
      resource,
      resourceFrom,
      ...(prm.found ? { prmUrl: prm.found.url } : {}),
      ...(scopesSupported ? { scopesSupported } : {}),
      ...(typeof m.issuer === 'string' ? { issuer: m.issuer } : {}),
      metadataUrl: as.found.url,
      metadata: m,
      authorizationEndpoint: endpoint('authorization_endpoint')!,
      tokenEndpoint: endpoint('token_endpoint')!,
      ...(endpoint('registration_endpoint') ? { registrationEndpoint: endpoint('registration_endpoint') } : {}),
      issParameterSupported: m.authorization_response_iss_parameter_supported === true,
      pkce: as.found.check.pkce === 'S256' ? 'S256' : 'absent',
      legacy: as.source === 'legacy',
    };
    detail.pkce = target.pkce === 'S256' ? 'S256 advertised' : 'code_challenge_methods_supported absent: proceeding with S256, as Codex and the official SDK do';
    detail.registrationOptions = as.found.check.registration;
    if (target.issParameterSupported) detail.issParameterSupported = true;
    return { target, evidence };
  }
  if (as.source === 'prm') {
    return { problem: `the authorization server ${as.issuer} named by the protected resource metadata publishes no metadata at any well-known URL`, evidence };
  }
  // No metadata at all: the 2025-03-26 default endpoints on the MCP server's origin.
  const legacy = legacyEndpoints(url);
  detail.legacyDefaults = legacy;
  return {
    target: {
      resource,
      resourceFrom,
      authorizationEndpoint: legacy.authorization_endpoint,
      tokenEndpoint: legacy.token_endpoint,
      registrationEndpoint: legacy.registration_endpoint,
      issParameterSupported: false,
      pkce: 'absent',
      legacy: true,
    },
    evidence,
  };
}

// ── redirect URI ─────────────────────────────────────────────────────────────────────────────

/**
 * Where to listen: Codex's redirect path `/callback/<callback id>` on the configured callback
 * port (per-server `oauth.callback_port` wins over `mcp_oauth_callback_port`), else an ephemeral
 * port; a configured `mcp_oauth_callback_url` on loopback gives its port and path.
 */
export function callbackPlan(server: Pick<ServerConfig, 'url' | 'oauth'>, settings: Pick<LoginSettings, 'callbackPort' | 'callbackUrl'>): { port?: number; path: string } | { problem: string } {
  const id = codexCallbackId(server.url!);
  const callbackUrl = server.oauth?.callbackUrl ?? settings.callbackUrl;
  if (callbackUrl) {
    let u: URL;
    try {
      u = new URL(callbackUrl);
    } catch {
      return { problem: `mcp_oauth_callback_url ${JSON.stringify(callbackUrl)} is not a URL` };
    }
    if (u.protocol !== 'http:' || !isLoopbackHost(u.hostname)) {
      return { problem: `the configured callback URL ${u.origin} is not a loopback http:// address, so mcp-doctor cannot receive the login there; remove mcp_oauth_callback_url to check the login with a local callback` };
    }
    return { port: u.port ? Number(u.port) : 80, path: `${u.pathname.replace(/\/+$/, '')}/${id}` };
  }
  const port = server.oauth?.callbackPort ?? settings.callbackPort;
  return { ...(port ? { port } : {}), path: `/callback/${id}` };
}

// ── the two ways the authorization response comes back ──────────────────────────────────────

interface AuthorizationAnswer {
  response?: AuthorizationResponse;
  status?: number | null;
  problem?: string;
  /** The OAuth error the authorization server showed instead of redirecting back. */
  error?: AuthorizationError;
  detail: Record<string, unknown>;
}

function refusalProblem(status: number, e: AuthorizationError): string {
  return `the authorization server refused the authorization request with HTTP ${status} ${e.error}${e.description ? `: ${e.description}` : ''} (shown ${e.from === 'location' ? 'through a redirect to its error page' : `as ${e.from === 'json' ? 'a JSON' : 'an HTML'} error page`} instead of redirecting back to the redirect URI)`;
}

/** Browser mode: a plain GET of the authorization URL; an answer only when it is an OAuth error. */
async function refusedAuthorization(http: OAuthHttp, authUrl: string, redirectUri: string): Promise<AuthorizationAnswer | undefined> {
  const res = await http.getManual(authUrl);
  if (res.status === 0) return undefined;
  if (res.status >= 300 && res.status < 400 && res.headers.location) {
    try {
      if (isRedirectTarget(new URL(res.headers.location, authUrl), redirectUri)) return undefined;
    } catch {
      return undefined;
    }
  }
  const error = readAuthorizationError(res, authUrl);
  if (!error || (res.status < 300 && error.from !== 'json')) return undefined;
  return { status: res.status, problem: refusalProblem(res.status, error), error, detail: { probe: 'plain GET before opening the browser', refused: true } };
}

/** Same origin and path as the redirect URI: the authorization server is sending the browser back. */
function isRedirectTarget(location: URL, redirectUri: string): boolean {
  const r = new URL(redirectUri);
  return location.origin === r.origin && location.pathname === r.pathname;
}

/**
 * `--login-auto`: GET the authorization URL without a browser, cookies or redirects followed, and
 * read code/state/iss from the Location that points back at the redirect URI (a few hops on the
 * way are followed by hand, e.g. an AS that redirects to its own consent endpoint first).
 */
async function followAutomatically(http: OAuthHttp, authUrl: string, redirectUri: string): Promise<AuthorizationAnswer> {
  let current = authUrl;
  const hops: string[] = [];
  for (let hop = 0; hop <= AUTO_MAX_HOPS; hop++) {
    const res = await http.getManual(current);
    if (res.status === 0) return { status: null, problem: `the authorization endpoint did not answer (${res.error ?? 'no answer'})`, detail: { hops } };
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && location) {
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        return { status: res.status, problem: `the authorization endpoint redirected to an invalid URL`, detail: { hops } };
      }
      if (isRedirectTarget(next, redirectUri)) {
        return { status: res.status, response: parseAuthorizationResponse(next), detail: { hops, redirectedBack: true } };
      }
      const refusedVia = readAuthorizationError(res, current);
      if (refusedVia) return { status: res.status, problem: refusalProblem(res.status, refusedVia), error: refusedVia, detail: { hops } };
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return { status: res.status, problem: `the authorization endpoint redirected to a ${next.protocol} URL`, detail: { hops } };
      }
      hops.push(`${res.status} → ${next.origin}${next.pathname}`);
      current = next.toString();
      continue;
    }
    const refusal = readAuthorizationError(res, current);
    if (refusal && (res.status >= 400 || refusal.from === 'json')) return { status: res.status, problem: refusalProblem(res.status, refusal), error: refusal, detail: { hops } };
    const what = res.status >= 200 && res.status < 300 ? `a page (HTTP ${res.status}${res.headers['content-type'] ? `, ${res.headers['content-type']}` : ''}), usually a login or consent screen` : `HTTP ${res.status}`;
    return {
      status: res.status,
      problem: `the authorization server answered the authorization request with ${what} instead of redirecting back to the redirect URI: it does not approve without a person. Run check --login without --login-auto to log in in a browser`,
      detail: { hops },
    };
  }
  return { status: null, problem: `more than ${AUTO_MAX_HOPS} redirects without reaching the redirect URI`, detail: { hops } };
}

/** Prints the URL (and opens a browser when wanted), then waits for the callback, bounded. */
async function waitForBrowser(ctx: ServerContext, settings: LoginSettings, listener: CallbackListener, authUrl: string): Promise<AuthorizationAnswer> {
  const seconds = Math.round(settings.timeoutMs / 1000);
  // The URL repeats the server URL as `resource`; a secret in it (an api_key query) is not printed.
  const shown = ctx.redact.text(authUrl);
  const holdsSecret = shown !== authUrl;
  settings.notify(
    holdsSecret
      ? `mcp-doctor: to log in to "${ctx.server.name}", mcp-doctor opens the authorization URL in a browser (it holds a secret from the server URL, so it is shown redacted; waiting up to ${seconds} s for the redirect to ${listener.redirectUri}):\n  ${shown}`
      : `mcp-doctor: to log in to "${ctx.server.name}", open this URL in a browser (waiting up to ${seconds} s for the redirect to ${listener.redirectUri}):\n  ${authUrl}`,
  );
  const opened = settings.openBrowser
    ? openBrowser(ctx.deps, authUrl)
    : holdsSecret
      ? 'not opened (no terminal): pass --open, since the URL cannot be printed'
      : 'not opened (no terminal; pass --open to open one)';
  if (settings.openBrowser) settings.notify(`mcp-doctor: ${opened}`);
  const wait = await listener.wait({ timeoutMs: Math.min(settings.timeoutMs, Math.max(0, ctx.remainingMs())), signal: ctx.signal });
  const detail = { browser: opened, redirectUri: listener.redirectUri };
  if (wait.kind === 'received') return { response: parseAuthorizationResponse(wait.url), detail };
  if (wait.kind === 'aborted') return { problem: 'the check deadline passed while waiting for the browser to come back', detail };
  return {
    problem: `no authorization response arrived at ${listener.redirectUri} within ${seconds} s (--login-timeout): the login page was not completed, or the authorization server redirected elsewhere (a redirect URI it does not allow shows an error page there)`,
    detail,
  };
}

/** Registration as evidence: how the client was obtained, never its secret. */
function registrationEvidence(reg: ClientRegistration | undefined, step: RegistrationStep | undefined, note: string | undefined, redact: ServerContext['redact']): LoginStepEvidence {
  const out: LoginStepEvidence = { step: 'registration' };
  if (step) {
    out.method = step.method;
    out.url = step.url;
    out.status = step.status;
  }
  out.detail = {
    ...(reg ? { via: reg.via, clientId: redact.text(reg.clientId), tokenEndpointAuthMethod: reg.authMethod, hasClientSecret: !!reg.clientSecret } : {}),
    ...(step ? { request: step.request, ...(step.response ? { response: step.response } : {}), ...(step.error ? { error: step.error } : {}) } : {}),
    ...(note ? { note: redact.text(note) } : {}),
  };
  return out;
}
