/**
 * What a token says about itself, for every token the doctor can read: a stored Codex token, one
 * from `bearer_token_env_var`, an `Authorization` in `http_headers` or `env_http_headers`.
 *
 * A JWT's claims are read without verifying the signature: evidence, not trust. When the server
 * rejected the token, the claims usually name the cause outright, in this order (the first that
 * holds is stated first): `exp` has passed → expired; `aud` does not name this server's resource
 * (compared as RFC 8707 / RFC 9728 resource identifiers) → for another server, or obtained without
 * `resource`; `iss` is not the authorization server of the server's metadata → another issuer;
 * `scope` lacks what the challenge asks for → insufficient scope. Opaque tokens are named as such.
 *
 * Only whitelisted claims are ever shown (never the token, its signature, or a claim that looks
 * secret), and they go into nested evidence, which the text report shows only with --verbose.
 */
import { decodeJwtClaims, type Redactor } from '../redact.ts';

/** Claims worth showing: never the token or its signature. */
export interface ShownClaims {
  aud?: unknown;
  iss?: unknown;
  sub?: unknown;
  exp?: unknown;
  expIso?: string;
  iat?: unknown;
  nbf?: unknown;
  scope?: unknown;
  scp?: unknown;
  azp?: unknown;
  client_id?: unknown;
}

const SHOWN = ['aud', 'iss', 'exp', 'iat', 'nbf', 'scope', 'scp', 'azp', 'client_id'] as const;

export type AudienceKind =
  /** `aud` names this server's resource. */
  | 'bound'
  /** `aud` is the client id or the authorization server itself: the token request carried no `resource`. */
  | 'no-resource'
  /** `aud` is another absolute URL: a `resource` was sent, for another server. */
  | 'other-resource'
  /** `aud` is some other name (an API identifier): another audience. */
  | 'other-audience'
  /** No `aud` claim. */
  | 'absent';

export interface TokenReading {
  format: 'jwt' | 'opaque';
  claims?: ShownClaims;
  /** `exp` has passed (epoch seconds). */
  expired?: { exp: number; expIso: string };
  audience: { kind: AudienceKind; auds: string[]; expected: string[]; matched?: string };
  /** Compared with the authorization server of the server's metadata, when both are known. */
  issuer?: { verdict: 'match' | 'other'; iss: string; expected: string };
  /** Scopes the token grants (`scope` or `scp`) against those the challenge names. */
  scope?: { granted: string[]; required: string[]; missing: string[] };
}

export interface ReadTokenInput {
  /** The secret token; only its claims are read. */
  token: string;
  nowMs: number;
  /** The PRM's `resource`, when known. */
  resource?: string;
  configuredUrl: string;
  oauthResource?: string;
  /** The `issuer` of the authorization server metadata (or the PRM's authorization server). */
  issuer?: string;
  /** Scopes the 401/403 challenge names. */
  requiredScopes?: string[];
  /** The stored entry's client id, if any (an `aud` equal to it means "no resource"). */
  clientId?: string;
  redact: Redactor;
}

/**
 * RFC 8707 §2 / RFC 9728 §3.3 comparison of resource identifiers: scheme and host are
 * case-insensitive, a default port is the same as none, the fragment is not part of it; a lone
 * trailing-slash difference is tolerated (most servers do, and Codex accepts it).
 */
export function sameResource(a: string, b: string): boolean {
  if (a === b) return true;
  const ca = canonical(a);
  const cb = canonical(b);
  return ca !== undefined && ca === cb;
}

function canonical(s: string): string | undefined {
  if (!URL.canParse(s)) return s.replace(/\/+$/, '');
  const u = new URL(s);
  u.hash = '';
  // URL already lower-cases scheme and host and drops default ports.
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
}

function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s) && URL.canParse(s);
}

export function splitScopeClaim(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

export function readToken(input: ReadTokenInput): TokenReading {
  const { redact } = input;
  const expected = [...new Set([input.resource, input.oauthResource, input.configuredUrl].filter((s): s is string => !!s))];
  const shownExpected = expected.map((e) => redact.url(e));
  const raw = decodeJwtClaims(input.token);
  if (!raw) return { format: 'opaque', audience: { kind: 'absent', auds: [], expected: shownExpected } };

  const claims: ShownClaims = {};
  for (const k of SHOWN) if (raw[k] !== undefined) (claims as Record<string, unknown>)[k] = redact.value(raw[k]);
  if (typeof raw.exp === 'number') claims.expIso = new Date(raw.exp * 1000).toISOString();
  const reading: TokenReading = { format: 'jwt', claims, audience: { kind: 'absent', auds: [], expected: shownExpected } };

  if (typeof raw.exp === 'number' && raw.exp * 1000 <= input.nowMs) reading.expired = { exp: raw.exp, expIso: claims.expIso! };

  const auds = Array.isArray(raw.aud) ? raw.aud.filter((a): a is string => typeof a === 'string') : typeof raw.aud === 'string' ? [raw.aud] : [];
  const shownAuds = auds.map((a) => redact.text(a));
  if (auds.length > 0) {
    const matched = expected.find((e) => auds.some((a) => sameResource(a, e)));
    const selfish = [input.clientId, typeof raw.client_id === 'string' ? raw.client_id : undefined, typeof raw.azp === 'string' ? raw.azp : undefined, input.issuer, typeof raw.iss === 'string' ? raw.iss : undefined].filter(
      (s): s is string => !!s,
    );
    const kind: AudienceKind = matched
      ? 'bound'
      : auds.every((a) => selfish.some((s) => sameResource(a, s)))
        ? 'no-resource'
        : auds.some(isHttpUrl)
          ? 'other-resource'
          : 'other-audience';
    reading.audience = { kind, auds: shownAuds, expected: shownExpected, ...(matched ? { matched: redact.url(matched) } : {}) };
  }

  if (typeof raw.iss === 'string' && input.issuer) {
    reading.issuer = { verdict: sameResource(raw.iss, input.issuer) ? 'match' : 'other', iss: redact.text(raw.iss), expected: redact.url(input.issuer) };
  }

  // An RFC 9068 access token (`typ: at+jwt`) carries its scopes in `scope`: without one it grants none.
  const granted = raw.scope !== undefined ? splitScopeClaim(raw.scope) : raw.scp !== undefined ? splitScopeClaim(raw.scp) : isAtJwt(input.token) ? [] : undefined;
  if (granted && input.requiredScopes && input.requiredScopes.length > 0) {
    const missing = input.requiredScopes.filter((s) => !granted.includes(s));
    reading.scope = { granted, required: input.requiredScopes, missing };
  }
  return reading;
}

/** The JOSE header says `typ: at+jwt` (RFC 9068). */
function isAtJwt(token: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    const typ = header && typeof header === 'object' ? (header as Record<string, unknown>).typ : undefined;
    return typeof typ === 'string' && /^(?:application\/)?at\+jwt$/i.test(typ);
  } catch {
    return false;
  }
}

export type ClaimsCause = 'expired' | 'audience' | 'issuer' | 'scope';

/** The cause the claims state, most decisive first; undefined when the claims look right (or there are none). */
export function claimsCause(r: TokenReading): ClaimsCause | undefined {
  if (r.expired) return 'expired';
  if (r.audience.kind !== 'bound' && r.audience.kind !== 'absent') return 'audience';
  if (r.issuer?.verdict === 'other') return 'issuer';
  if (r.scope && r.scope.missing.length > 0) return 'scope';
  return undefined;
}

/** Why the audience is wrong, in words (item: "omitted" vs "sent for another server"). */
export function audienceWords(r: TokenReading): string {
  const auds = r.audience.auds.map((a) => JSON.stringify(a)).join(', ');
  switch (r.audience.kind) {
    case 'no-resource':
      return `its audience (aud) is ${auds}, the client or the authorization server itself: the token request left out the RFC 8707 \`resource\` parameter, so the authorization server issued a token that is not bound to any resource server`;
    case 'other-resource':
      return `its audience (aud) is ${auds}, another resource: the token was requested with \`resource\` set to another server, not to ${r.audience.expected[0] ?? 'this server'}`;
    case 'other-audience':
      return `its audience (aud) is ${auds}, not this server's resource ${r.audience.expected[0] ?? ''}: the authorization server filled in a default audience (the token request carried no \`resource\`) or the token was made for another API`;
    default:
      return `its audience (aud) is ${auds}`;
  }
}

/** Evidence shared by every claims-based finding (nested: shown only with --verbose). */
export function readingEvidence(r: TokenReading): Record<string, unknown> {
  const out: Record<string, unknown> = { tokenFormat: r.format === 'jwt' ? 'JWT (claims read without verifying the signature)' : 'opaque (not a JWT: no claims to read)' };
  if (r.claims) out.tokenClaims = r.claims;
  if (r.format === 'jwt') out.expectedAudience = r.audience.expected;
  if (r.issuer) out.expectedIssuer = r.issuer.expected;
  if (r.scope) out.requiredScopes = r.scope.required;
  return out;
}
