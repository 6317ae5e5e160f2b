/**
 * Is the stored token bound to this server? A JWT access token names its audience in `aud`; a
 * token obtained without the RFC 8707 `resource` parameter carries the client id or the
 * authorization server there instead, and a server that validates audiences (MCP: MUST) rejects
 * it — Codex then says "Auth required, when send initialize request" right after a successful
 * login (openai/codex#12589, #20729). Codex 0.169 sends `resource` (the PRM's) in both the
 * authorization and the token request (measured), so such tokens come from older versions or
 * from an authorization server that ignores `resource`.
 *
 * Only claims are read (no signature check: evidence, not trust). Opaque tokens say nothing.
 */
import { serverSnippet } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import { decodeJwtClaims, type Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';

export type AudienceVerdict = 'bound' | 'unbound' | 'no-aud' | 'opaque';

export interface AudienceCheck {
  verdict: AudienceVerdict;
  /** Claims worth showing: never the token or its signature. */
  claims?: { aud?: unknown; iss?: unknown; exp?: unknown; expIso?: string; scope?: unknown; azp?: unknown; client_id?: unknown };
  /** The audiences compared against. */
  expected: string[];
  /** Which expected value matched. */
  matched?: string;
  finding?: Finding;
}

export interface AudienceInput {
  serverName: string;
  /** The secret token; only its claims are read. */
  token: string;
  /** The PRM's `resource`, when known. */
  resource?: string;
  configuredUrl: string;
  oauthResource?: string;
  /** The server's answer to a request carrying this token, if one was made. */
  serverAnswer?: { status: number; error?: string; errorDescription?: string };
  redact: Redactor;
}

const norm = (s: string) => s.replace(/\/+$/, '');

export function checkTokenAudience(input: AudienceInput): AudienceCheck {
  const { redact } = input;
  const expected = [...new Set([input.resource, input.oauthResource, input.configuredUrl].filter((s): s is string => !!s))];
  const claims = decodeJwtClaims(input.token);
  if (!claims) return { verdict: 'opaque', expected: expected.map((e) => redact.url(e)) };
  const shown: NonNullable<AudienceCheck['claims']> = {};
  for (const k of ['aud', 'iss', 'exp', 'scope', 'azp', 'client_id'] as const) if (claims[k] !== undefined) shown[k] = redact.value(claims[k]);
  if (typeof claims.exp === 'number') shown.expIso = new Date(claims.exp * 1000).toISOString();
  const auds = Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : typeof claims.aud === 'string' ? [claims.aud] : [];
  const base = { claims: shown, expected: expected.map((e) => redact.url(e)) };
  if (auds.length === 0) return { verdict: 'no-aud', ...base };
  // Servers compare strings; a lone trailing-slash difference is tolerated by most, so it counts as bound.
  const matched = expected.find((e) => auds.some((a) => a === e || norm(a) === norm(e)));
  if (matched) return { verdict: 'bound', matched: redact.url(matched), ...base };

  const rejected = input.serverAnswer && input.serverAnswer.status === 401;
  const accepted = input.serverAnswer && input.serverAnswer.status >= 200 && input.serverAnswer.status < 300;
  const resource = input.resource ?? input.oauthResource ?? input.configuredUrl;
  const corroboration = rejected
    ? ` The server rejected it (401${input.serverAnswer!.error ? ` ${input.serverAnswer!.error}` : ''}${input.serverAnswer!.errorDescription ? `: ${redact.text(input.serverAnswer!.errorDescription)}` : ''}).`
    : '';
  // A server that accepts the token is not blocked by it: the verdict stays in the evidence only.
  if (accepted) return { verdict: 'unbound', ...base };
  const finding = makeFinding('auth.token-not-resource-bound', {
    message: `The stored token of "${input.serverName}" is for ${auds.map((a) => JSON.stringify(redact.text(a))).join(', ')}, not for this server's resource ${redact.url(resource)}: it was obtained without the RFC 8707 \`resource\` parameter (or the authorization server ignored it).${corroboration}`,
    evidence: {
      tokenClaims: shown,
      expectedAudience: expected.map((e) => redact.url(e)),
      ...(input.serverAnswer ? { serverAnswer: { status: input.serverAnswer.status, error: input.serverAnswer.error } } : {}),
    },
    fix: {
      summary:
        'Log in again so that the token is requested for this resource. Codex 0.169 sends the protected resource metadata\'s `resource` both to the authorization endpoint and to the token_endpoint; older versions left it out of the code exchange (openai/codex#12589, #20729) — with those, `oauth_resource` adds it to the authorization request. Setting it to the same value as the metadata is harmless on newer versions (RFC 8707 allows the parameter to repeat).',
      toml: serverSnippet(input.serverName, [['oauth_resource', resource]]),
      command: `codex mcp login ${input.serverName}`,
    },
  });
  return { verdict: 'unbound', ...base, finding };
}
