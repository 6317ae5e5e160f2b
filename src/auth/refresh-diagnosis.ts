/**
 * The passive half of the refresh model (refresh-model.ts): for a server whose stored token Codex
 * will refresh — it has expired, or the server just refused it — predict the outcome from what can
 * be known without spending the refresh token, and say it as one finding:
 * `auth.refresh-will-fail` (error), `auth.refresh-unverified` (warning) or `auth.refresh-expected`
 * (info).
 *
 * The only request made is RFC 7662 introspection of the refresh token, and only at the
 * introspection endpoint of the authorization server the token was stored with (its metadata's
 * `issuer` must equal the entry's `issuer`): a token is never sent to anyone else. Introspection
 * does not consume or rotate anything. Codex's client is public, so it is asked as Codex would
 * ask (client_id, no secret); an AS that refuses public introspection just leaves the outcome
 * unverified.
 */
import type { ServerConfig } from '../config/server-config.ts';
import { makeFinding } from '../findings/make-finding.ts';
import { decodeJwtClaims, type Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import type { StoredCredential } from './credential-store.ts';
import type { OAuthHttp } from './login/oauth-http.ts';
import { codexRefreshRequest, predictRefresh, type CodexRefreshRequest, type RefreshPrediction, type RefreshTokenIntrospection } from './refresh-model.ts';

export type RefreshTrigger = 'expired' | 'rejected';

export interface RefreshDiagnosisInput {
  server: ServerConfig;
  entry: StoredCredential;
  /** The authorization server metadata discovered for the server (undefined: none usable). */
  asMetadata: Record<string, unknown> | undefined;
  /** The URL that metadata was fetched from. */
  asMetadataUrl?: string;
  /** The resource Codex names: the protected resource metadata's `resource`, else the URL. */
  resource: string;
  trigger: RefreshTrigger;
  /** POSTs (introspection only). Undefined: no request is made. */
  http?: OAuthHttp;
  redact: Redactor;
}

export interface RefreshDiagnosis {
  request?: CodexRefreshRequest;
  prediction?: RefreshPrediction;
  finding: Finding;
  /** One line for the auth stage summary. */
  summary: string;
}

const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** Introspects the refresh token at its own issuer, as Codex's public client. */
export async function introspectRefreshToken(
  http: OAuthHttp,
  entry: StoredCredential,
  asMetadata: Record<string, unknown> | undefined,
  /** Where the metadata was fetched: it must be the stored issuer's own origin. */
  metadataUrl: string | undefined,
): Promise<RefreshTokenIntrospection> {
  const endpoint = typeof asMetadata?.introspection_endpoint === 'string' ? asMetadata.introspection_endpoint : undefined;
  if (!endpoint) return { status: 0, unusable: 'the authorization server publishes no introspection_endpoint' };
  const issuer = typeof asMetadata?.issuer === 'string' ? asMetadata.issuer : undefined;
  // The token goes back only to the authorization server that issued it: metadata served by the
  // stored issuer's origin, naming that issuer, with the endpoint on that origin too (a server's
  // protected resource metadata could otherwise point the doctor anywhere).
  const origin = (u: string | undefined) => (u && URL.canParse(u) ? new URL(u).origin : undefined);
  const own = origin(entry.issuer);
  if (!issuer || !entry.issuer || !sameIssuer(issuer, entry.issuer) || !own || origin(metadataUrl) !== own || origin(endpoint) !== own) {
    return { status: 0, unusable: 'the introspection endpoint is not that of the issuer the token was stored with (same origin), so the token is not sent to it' };
  }
  if (!entry.refreshToken) return { status: 0, unusable: 'no refresh token' };
  const res = await http.postForm(endpoint, { token: entry.refreshToken, token_type_hint: 'refresh_token', client_id: entry.clientId });
  if (res.status === 0) return { status: 0, unusable: res.error ?? 'no answer' };
  let doc: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(res.bodyText);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>;
  } catch {
    // below
  }
  if (res.status !== 200 || !doc) {
    const err = typeof doc?.error === 'string' ? `: ${doc.error}` : '';
    return { status: res.status, unusable: `introspection answered HTTP ${res.status}${err}` };
  }
  if (typeof doc.active !== 'boolean') return { status: res.status, unusable: 'introspection answer without `active`' };
  return {
    status: res.status,
    active: doc.active,
    ...(typeof doc.scope === 'string' ? { scope: doc.scope } : {}),
    ...(typeof doc.client_id === 'string' ? { clientId: doc.client_id } : {}),
  };
}

export async function diagnoseRefresh(input: RefreshDiagnosisInput): Promise<RefreshDiagnosis> {
  const { server, entry, redact } = input;
  const name = server.name;
  const when =
    input.trigger === 'expired'
      ? 'The stored token has expired (or expires within 30 s), so Codex refreshes it at startup before sending it'
      : 'The server refused the stored token with 401, and Codex answers that by refreshing the token once and retrying';
  const request = codexRefreshRequest(entry, input.asMetadata, input.resource);
  if ('unavailable' in request) {
    return {
      finding: makeFinding('auth.refresh-unverified', {
        message: `${when}, but the refresh cannot be predicted: ${request.unavailable}. Refresh not verified.`,
        evidence: { trigger: input.trigger },
        fix: { summary: 'Log in again if Codex fails to start the server.', command: `codex mcp login ${name}` },
      }),
      summary: 'Codex will refresh the stored token; refresh not verified',
    };
  }
  const introspection = input.http ? await introspectRefreshToken(input.http, entry, input.asMetadata, input.asMetadataUrl) : { status: 0, unusable: 'not attempted' };
  const claims = entry.accessToken ? decodeJwtClaims(entry.accessToken) : undefined;
  const prediction = predictRefresh({ request, entry, asMetadata: input.asMetadata, ...(claims ? { accessClaims: claims } : {}), introspection });
  const evidence: Record<string, unknown> = {
    trigger: input.trigger,
    codexRefreshRequest: { method: 'POST', url: redact.url(request.tokenEndpoint), form: redact.value(request.shown), clientAuthentication: 'none (public client: client_id only)' },
    checked: redact.value(prediction.checked),
    ...(introspection.unusable ? { introspection: introspection.unusable } : {}),
  };
  const asked = `grant_type=refresh_token, ${request.scopes.length ? `scope="${request.scopes.join(' ')}"` : 'no scope'}, resource=${redact.url(request.resource)}`;

  if (prediction.verdict === 'refused') {
    const offline = prediction.error === 'invalid_scope' && request.scopes.includes('offline_access') && !entry.scopes.includes('offline_access');
    return {
      request,
      prediction,
      finding: makeFinding('auth.refresh-will-fail', {
        message:
          `${when} (${asked}); the authorization server will refuse that refresh (${prediction.error}): ${prediction.reasons.join('; ')}. ` +
          `Codex then fails the server ("OAuth token refresh failed: Server returned error response: ${prediction.error}: …").`,
        evidence,
        fix: {
          summary: offline
            ? `Log in again now (\`codex mcp login ${name}\`: a working token until it expires). For refreshes to keep working, the authorization server must grant offline_access to Codex's client (or stop listing it in scopes_supported): Codex adds it to every refresh.`
            : 'Log in again: a new grant with the scope and resource Codex asks for.',
          command: `codex mcp login ${name}`,
        },
      }),
      summary: `Codex's token refresh will be refused (${prediction.error})`,
    };
  }
  if (prediction.verdict === 'expected') {
    return {
      request,
      prediction,
      finding: makeFinding('auth.refresh-expected', {
        message: `${when} (${asked}). The issuing authorization server reports the refresh token active with a grant covering that scope, and the stored token is bound to this resource: the refresh is expected to succeed.`,
        evidence,
        fix: { summary: 'Nothing to do; `mcp-doctor check --refresh` verifies it end to end (and stores the rotated tokens for Codex).' },
      }),
      summary: "Codex will refresh the stored token; the authorization server's introspection says it can",
    };
  }
  return {
    request,
    prediction,
    finding: makeFinding('auth.refresh-unverified', {
      message: `${when} (${asked}). Refresh not verified: ${prediction.reasons.join('; ')}. A passive check never uses the refresh token (a rotating authorization server would consume it).`,
      evidence,
      fix: {
        summary: `Run \`mcp-doctor check --refresh ${name}\` to perform Codex's exact refresh and store the rotated tokens where Codex reads them; if it is refused, log in again.`,
        command: `mcp-doctor check --refresh ${name}`,
      },
    }),
    summary: 'Codex will refresh the stored token; refresh not verified',
  };
}
