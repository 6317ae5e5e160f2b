/**
 * Is the stored token bound to this server? A JWT access token names its audience in `aud`; a
 * token obtained without the RFC 8707 `resource` parameter carries the client id or the
 * authorization server there instead, and a server that validates audiences (MCP: MUST) rejects
 * it — Codex then says "Auth required, when send initialize request" right after a successful
 * login (openai/codex#12589, #20729). Codex 0.169 and later send `resource` (the PRM's) in both the
 * authorization and the token request (measured), so such tokens come from older versions or
 * from an authorization server that ignores `resource`.
 *
 * The audience verdict alone, for callers that only need it; token-claims.ts reads every claim
 * (expiry, audience, issuer, scope) and claims-findings.ts turns the decisive one into a finding.
 */
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { claimsFinding } from './claims-findings.ts';
import { readToken, type ShownClaims } from './token-claims.ts';

export type AudienceVerdict = 'bound' | 'unbound' | 'no-aud' | 'opaque';

export interface AudienceCheck {
  verdict: AudienceVerdict;
  /** Claims worth showing: never the token or its signature. */
  claims?: ShownClaims;
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

export function checkTokenAudience(input: AudienceInput): AudienceCheck {
  // Only the audience is judged here: expiry is left out by reading "now" as the epoch.
  const reading = readToken({ token: input.token, nowMs: 0, resource: input.resource, configuredUrl: input.configuredUrl, oauthResource: input.oauthResource, redact: input.redact });
  const base = { expected: reading.audience.expected, ...(reading.claims ? { claims: reading.claims } : {}) };
  if (reading.format === 'opaque') return { verdict: 'opaque', expected: base.expected };
  if (reading.audience.kind === 'absent') return { verdict: 'no-aud', ...base };
  if (reading.audience.kind === 'bound') return { verdict: 'bound', matched: reading.audience.matched, ...base };
  const answer = input.serverAnswer;
  // A server that accepts the token is not blocked by it: the verdict stays in the evidence only.
  if (!answer || answer.status !== 401) return { verdict: 'unbound', ...base };
  const resource = input.resource ?? input.oauthResource ?? input.configuredUrl;
  const finding = claimsFinding({
    server: { name: input.serverName, url: input.configuredUrl } as Parameters<typeof claimsFinding>[0]['server'],
    source: 'oauth',
    reading: { ...reading, issuer: undefined, scope: undefined },
    answer,
    resource,
    prmFound: input.resource !== undefined,
    redact: input.redact,
  });
  return { verdict: 'unbound', ...base, ...(finding ? { finding } : {}) };
}
