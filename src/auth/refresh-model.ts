/**
 * Codex's OAuth token refresh, modelled from its source and measured against a real
 * authorization server (oidc-provider 9.13.3, test/helpers/real-as.ts) with Codex 0.171.0.
 *
 * WHEN Codex refreshes (codex-rs/rmcp-client/src/oauth/refresh_transaction.rs,
 * `refresh_if_needed`; REFRESH_SKEW_MILLIS = 30 000):
 * - before a request, when the stored `expires_at` is within 30 s: at startup, before any token
 *   is sent ("MCP startup failed: OAuth token refresh failed: …" when the AS refuses);
 * - after a 401 to a request that carried the stored token: refresh once, retry ("handshaking
 *   with MCP server failed: … Auth error: OAuth token refresh failed: …, when send initialize
 *   request" when the AS refuses). A token whose `expires_at` is null is sent as is and only
 *   refreshed after a 401.
 * - entries without `issuer` or without a refresh token are not refreshed ("… cannot be
 *   refreshed; authorization required", credential-store.ts).
 *
 * THE REQUEST (measured: the AS's token endpoint recorded every parameter):
 *   POST <token_endpoint of the stored issuer's metadata>
 *   grant_type=refresh_token & refresh_token=<stored> & client_id=<stored client_id>
 *   & scope=<stored scopes, in order, plus `offline_access` when the AS lists it in
 *            scopes_supported and it is not already there; no `scope` at all when the stored
 *            scopes are empty>
 *   & resource=<the protected resource metadata's `resource` (else the server URL)>
 * No client authentication (Codex registers public clients, `token_endpoint_auth_method: none`).
 *
 * THE RESULT (refreshed_tokens in refresh_transaction.rs; measured): persisted to the store the
 * entry came from before use: new access token, the rotated refresh token (the old one kept when
 * the response has none), scopes from the response's `scope` (else the old ones), `expires_at`
 * = now + expires_in. On a refusal nothing is written and the server fails.
 *
 * WHAT THE DOCTOR CAN KNOW WITHOUT REFRESHING (a passive check never sends a refresh token to a
 * token endpoint: a rotating AS would consume it and log the user out):
 * - `grant_types_supported` without `refresh_token`: refused;
 * - RFC 7662 introspection of the refresh token at the issuer it was stored with (only there),
 *   as the public client Codex is: `active: false` means expired, revoked or already rotated
 *   (refused, invalid_grant); its `scope` against the scope Codex will ask for (a scope missing
 *   from the grant: refused, invalid_scope — oidc-provider's "refresh token missing requested
 *   scope"); another `client_id`: refused;
 * - the access token's JWT `aud`: a grant bound to another resource than the one Codex names is
 *   refused (invalid_target);
 * Anything not settled by these is "refresh not verified" (warning), never "ok".
 */
import type { StoredCredential } from './credential-store.ts';

export const OFFLINE_ACCESS = 'offline_access';

export interface CodexRefreshRequest {
  tokenEndpoint: string;
  /** The form Codex posts. `refresh_token` is a secret: never put `form` into evidence (use `shown`). */
  form: Record<string, string>;
  /** The form with the refresh token replaced, for evidence. */
  shown: Record<string, string>;
  /** The scope Codex asks for, split (empty: no `scope` parameter). */
  scopes: string[];
  resource: string;
  clientAuthentication: 'none';
}

/** Codex's refresh request for a stored entry, or why Codex would not send one. */
export function codexRefreshRequest(
  entry: StoredCredential,
  asMetadata: Record<string, unknown> | undefined,
  resource: string,
): CodexRefreshRequest | { unavailable: string } {
  if (!entry.refreshToken) return { unavailable: 'the stored entry has no refresh token' };
  if (!entry.issuer) return { unavailable: 'the stored entry records no authorization server issuer, and Codex does not refresh such entries' };
  const tokenEndpoint = typeof asMetadata?.token_endpoint === 'string' ? asMetadata.token_endpoint : undefined;
  if (!tokenEndpoint) return { unavailable: "the authorization server's metadata (with its token endpoint) could not be read" };
  const scopes = [...new Set(entry.scopes.filter(Boolean))];
  const supported = Array.isArray(asMetadata?.scopes_supported) ? (asMetadata.scopes_supported as unknown[]) : [];
  if (scopes.length > 0 && supported.includes(OFFLINE_ACCESS) && !scopes.includes(OFFLINE_ACCESS)) scopes.push(OFFLINE_ACCESS);
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: entry.refreshToken, client_id: entry.clientId };
  if (scopes.length) form.scope = scopes.join(' ');
  form.resource = resource;
  const shown = { ...form, refresh_token: '<redacted>' };
  return { tokenEndpoint, form, shown, scopes, resource, clientAuthentication: 'none' };
}

/** RFC 7662 answer for the refresh token (only the fields the model reads). */
export interface RefreshTokenIntrospection {
  /** HTTP status of the introspection request (0: no answer). */
  status: number;
  active?: boolean;
  scope?: string;
  clientId?: string;
  /** Why no usable answer came (endpoint missing, refused, not JSON…). */
  unusable?: string;
}

export interface RefreshPredictionInput {
  request: CodexRefreshRequest;
  entry: StoredCredential;
  asMetadata: Record<string, unknown> | undefined;
  /** Claims of the stored access token when it is a JWT. */
  accessClaims?: Record<string, unknown>;
  introspection?: RefreshTokenIntrospection;
}

export interface RefreshPrediction {
  verdict: 'refused' | 'unverified' | 'expected';
  /** For `refused`: the OAuth error the AS answers (predicted), and why. */
  error?: string;
  reasons: string[];
  /** What was checked, for evidence. */
  checked: Record<string, unknown>;
}

const audiences = (aud: unknown): string[] => (typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : []);

/** Same resource, ignoring one trailing slash (Codex and most ASes treat them alike for binding). */
const sameResource = (a: string, b: string) => a.replace(/\/$/, '') === b.replace(/\/$/, '');

/** What can be known about Codex's refresh without using the refresh token. */
export function predictRefresh(input: RefreshPredictionInput): RefreshPrediction {
  const { request, entry, asMetadata, accessClaims, introspection } = input;
  const refused: Array<{ error: string; reason: string }> = [];
  const open: string[] = [];
  const checked: Record<string, unknown> = { request: request.shown };

  const grants = Array.isArray(asMetadata?.grant_types_supported) ? (asMetadata.grant_types_supported as unknown[]) : undefined;
  if (grants) {
    checked.grantTypesSupported = grants;
    if (!grants.includes('refresh_token')) refused.push({ error: 'unsupported_grant_type', reason: 'the authorization server\'s metadata lists grant_types_supported without "refresh_token"' });
  }
  const authMethods = Array.isArray(asMetadata?.token_endpoint_auth_methods_supported) ? (asMetadata.token_endpoint_auth_methods_supported as unknown[]) : undefined;
  if (authMethods && !authMethods.includes('none')) {
    checked.tokenEndpointAuthMethods = authMethods;
    open.push(`the token endpoint lists no "none" authentication (${authMethods.join(', ')}), and Codex's refresh sends only client_id`);
  }

  if (introspection?.active === false) {
    refused.push({ error: 'invalid_grant', reason: 'the issuing authorization server\'s introspection endpoint answers `active: false` for the stored refresh token: it has expired, was revoked, or was already used (rotated) by another client or copy' });
  } else if (introspection?.active === true) {
    checked.introspection = { active: true, ...(introspection.scope !== undefined ? { scope: introspection.scope } : {}), ...(introspection.clientId ? { clientId: '(present)' } : {}) };
    if (introspection.clientId && entry.clientId && introspection.clientId !== entry.clientId) {
      refused.push({ error: 'invalid_grant', reason: 'the refresh token belongs to another client than the client_id stored with it' });
    }
    if (introspection.scope !== undefined) {
      const granted = new Set(introspection.scope.split(/\s+/).filter(Boolean));
      const missing = request.scopes.filter((s) => !granted.has(s));
      if (missing.length) {
        const why = missing.includes(OFFLINE_ACCESS) && !entry.scopes.includes(OFFLINE_ACCESS)
          ? ` (Codex adds offline_access because the authorization server lists it in scopes_supported; the grant was made without it)`
          : '';
        refused.push({ error: 'invalid_scope', reason: `Codex's refresh asks for scope "${request.scopes.join(' ')}", and the grant holds "${[...granted].join(' ')}": ${missing.join(' ')} missing${why}` });
      }
    } else if (request.scopes.length) {
      open.push('the introspection answer does not show the grant\'s scope');
    }
  } else {
    open.push(introspection?.unusable ? `the refresh token could not be introspected (${introspection.unusable})` : 'the refresh token could not be introspected');
    const missingOffline = request.scopes.includes(OFFLINE_ACCESS) && !entry.scopes.includes(OFFLINE_ACCESS);
    if (missingOffline) open.push('Codex adds offline_access to the refresh\'s scope (the authorization server lists it), and the stored scopes do not record it: an authorization server whose grant lacks it refuses with invalid_scope');
  }

  const aud = audiences(accessClaims?.aud);
  const resourceAuds = aud.filter((a) => /^https?:\/\//i.test(a));
  if (accessClaims && aud.length) {
    checked.accessTokenAudience = aud;
    if (aud.some((a) => sameResource(a, request.resource))) {
      // bound to the resource Codex names
    } else if (resourceAuds.length) {
      // Bound to other resources (RFC 8707): a refresh may narrow to the grant's resources, never add one.
      refused.push({ error: 'invalid_target', reason: `the stored token was issued for ${resourceAuds.join(', ')}, and Codex's refresh asks for resource ${request.resource}, which that grant was not made for` });
    } else {
      open.push(`the access token's audience (${aud.join(', ')}) names no resource, so whether its grant covers ${request.resource} is unknown`);
    }
  } else {
    open.push(accessClaims ? 'the access token names no audience, so the resource its grant is bound to is unknown' : 'the access token is opaque, so the resource its grant is bound to is unknown');
  }

  if (refused.length) return { verdict: 'refused', error: refused[0]!.error, reasons: refused.map((r) => r.reason), checked };
  if (open.length) return { verdict: 'unverified', reasons: open, checked };
  return { verdict: 'expected', reasons: [], checked };
}

/** Fields of a refresh (or any token) response Codex keeps. */
export interface RefreshedTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn?: number;
  scope?: string;
  tokenType?: string;
}

/** Parses a token endpoint answer; secrets are the caller's to register with the Redactor. */
export function parseTokenResponse(bodyText: string): RefreshedTokens | { error: string; description?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(bodyText);
  } catch {
    return { error: 'not JSON' };
  }
  if (!doc || typeof doc !== 'object') return { error: 'not a JSON object' };
  const d = doc as Record<string, unknown>;
  if (typeof d.error === 'string') return { error: d.error, ...(typeof d.error_description === 'string' ? { description: d.error_description } : {}) };
  if (typeof d.access_token !== 'string' || d.access_token === '') return { error: 'no access_token in the answer' };
  return {
    accessToken: d.access_token,
    ...(typeof d.refresh_token === 'string' && d.refresh_token ? { refreshToken: d.refresh_token } : {}),
    ...(typeof d.expires_in === 'number' && Number.isFinite(d.expires_in) ? { expiresIn: d.expires_in } : {}),
    ...(typeof d.scope === 'string' ? { scope: d.scope } : {}),
    ...(typeof d.token_type === 'string' ? { tokenType: d.token_type } : {}),
  };
}

/**
 * The file-store entry Codex writes after a refresh (refreshed_tokens): the rotated refresh token
 * (else the old one), scopes from the answer (else the old ones), expires_at from expires_in.
 */
export function refreshedEntry(raw: Record<string, unknown>, tokens: RefreshedTokens, nowMs: number): Record<string, unknown> {
  return {
    ...raw,
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken ?? raw.refresh_token ?? null,
    expires_at: tokens.expiresIn !== undefined ? nowMs + tokens.expiresIn * 1000 : null,
    scopes: tokens.scope !== undefined ? tokens.scope.split(/\s+/).filter(Boolean) : (raw.scopes ?? []),
  };
}
