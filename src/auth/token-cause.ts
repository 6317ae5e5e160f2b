/**
 * The token half of the auth diagnosis: read the claims of the token that was sent (or the stored
 * one Codex would send), name the cause they show (claims-findings.ts), and, when they show none
 * (opaque, or no `aud`), ask the authorization server that issued it whether it is still alive
 * (issuer-check.ts). Returns evidence and at most one cause; the caller decides its place.
 */
import type { ServerConfig } from '../config/server-config.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { boundElsewhereFinding, claimsFinding } from './claims-findings.ts';
import type { CredentialSource, StoredCredential } from './credential-store.ts';
import { checkWithIssuer, type IssuerCheck, type IssuerCheckInput } from './issuer-check.ts';
import { readToken, type TokenReading } from './token-claims.ts';

export interface TokenCauseInput {
  server: ServerConfig;
  /** The token (secret, registered with the Redactor); undefined when there is none to read. */
  token?: string;
  /** Whether it was sent and the server answered 401/403 to it. */
  sent: boolean;
  source: CredentialSource;
  /** The stored entry (for an `oauth` token, or the one Codex would use). */
  entry?: StoredCredential;
  answer: { status: number; error?: string; errorDescription?: string };
  challengeScopes: string[];
  /** The PRM's `resource`, when found. */
  prmResource?: string;
  /** The `issuer` of the AS metadata (else the PRM's authorization server). */
  issuer?: string;
  /** The AS metadata as fetched (userinfo / introspection endpoints). */
  asMetadata?: Record<string, unknown>;
  nowMs: number;
  net: Pick<IssuerCheckInput, 'dispatcher' | 'signal' | 'timeoutMs' | 'record'>;
  redact: Redactor;
}

export interface TokenCause {
  reading?: TokenReading;
  /** The cause the token shows, if any (claims first, then the issuing AS's answer). */
  finding?: Finding;
  issuerCheck?: IssuerCheck;
  /** For the diagnosis' evidence. */
  evidence: { audience?: Record<string, unknown>; issuerCheck?: Record<string, unknown> };
}

export async function judgeToken(input: TokenCauseInput): Promise<TokenCause> {
  const { server, token, redact } = input;
  const out: TokenCause = { evidence: {} };
  if (!token) return out;
  const url = server.url ?? '';
  const oauthEntry = input.source === 'oauth' || !input.sent ? input.entry : undefined;
  const reading = readToken({
    token,
    nowMs: input.nowMs,
    resource: input.prmResource,
    configuredUrl: url,
    oauthResource: server.oauthResource,
    issuer: input.issuer,
    requiredScopes: input.challengeScopes,
    clientId: oauthEntry?.clientId,
    redact,
  });
  out.reading = reading;
  out.evidence.audience = {
    verdict: reading.format === 'opaque' ? 'opaque' : reading.audience.kind,
    ...(reading.claims ? { claims: reading.claims } : {}),
    expected: reading.audience.expected,
    ...(reading.expired ? { expired: reading.expired.expIso } : {}),
    ...(reading.issuer ? { issuer: reading.issuer } : {}),
  };
  if (!input.sent) return out;
  const storedEntry = input.source === 'oauth' ? input.entry : undefined;
  const claimsInput = { server, source: input.source, reading, answer: input.answer, entry: storedEntry, resource: input.prmResource ?? server.oauthResource ?? url, prmFound: input.prmResource !== undefined, redact };
  // Claims first: a rejected token whose own claims name the cause.
  out.finding = claimsFinding(claimsInput);
  if (out.finding || !input.asMetadata || (reading.format !== 'opaque' && reading.audience.kind !== 'absent')) return out;
  // No cause in the claims: ask the AS that issued it whether it is alive.
  out.issuerCheck = await checkWithIssuer({
    token,
    reading,
    metadata: input.asMetadata,
    recordedIssuer: storedEntry?.issuer,
    clientId: storedEntry?.clientId || undefined,
    ...input.net,
    redact,
  });
  out.evidence.issuerCheck = { ...out.issuerCheck };
  if (out.issuerCheck.verdict === 'alive') out.finding = boundElsewhereFinding({ ...claimsInput, check: out.issuerCheck });
  return out;
}
