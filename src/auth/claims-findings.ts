/**
 * The finding a rejected token's own claims justify (token-claims.ts reads them): stated first,
 * with the fix that matches where the token came from (a stored Codex login, or a token the user
 * configured).
 */
import type { ServerConfig } from '../config/server-config.ts';
import { serverSnippet } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, Fix } from '../types.ts';
import type { ChallengeAnalysis } from './challenge.ts';
import type { CredentialSource, StoredCredential } from './credential-store.ts';
import type { IssuerCheck } from './issuer-check.ts';
import { audienceWords, claimsCause, readingEvidence, type TokenReading } from './token-claims.ts';
import { CODEX } from '../codex/codex-version.ts';

export interface ClaimsFindingInput {
  server: ServerConfig;
  source: CredentialSource;
  reading: TokenReading;
  /** The server's answer to the token: 401 with these challenge parameters. */
  answer: { status: number; error?: string; errorDescription?: string };
  /** The stored entry, for source `oauth`. */
  entry?: StoredCredential;
  /** The resource to ask for (PRM `resource`, else oauth_resource or the URL). */
  resource: string;
  /** Whether the protected resource metadata was found (Codex then sends its `resource` itself). */
  prmFound: boolean;
  redact: Redactor;
}

/** Where the token came from, in words. */
export function tokenWhere(server: Pick<ServerConfig, 'bearerTokenEnvVar'>, source: CredentialSource): string {
  switch (source) {
    case 'bearer_token_env_var':
      return `the token in $${server.bearerTokenEnvVar}`;
    case 'env_http_headers':
      return 'the Authorization header from env_http_headers';
    case 'http_headers':
      return 'the Authorization header in http_headers';
    case 'oauth':
      return "Codex's stored OAuth token";
    default:
      return 'the token';
  }
}

function answerWords(a: ClaimsFindingInput['answer'], redact: Redactor): string {
  return `${a.status}${a.error ? ` ${a.error}` : ''}${a.errorDescription ? `: ${redact.text(a.errorDescription)}` : ''}`;
}

export function claimsFinding(input: ClaimsFindingInput): Finding | undefined {
  const { server, source, reading, redact } = input;
  const cause = claimsCause(reading);
  if (!cause) return undefined;
  const name = server.name;
  const where = tokenWhere(server, source);
  const said = `"${name}" answered ${answerWords(input.answer, redact)} to ${where}`;
  const oauth = source === 'oauth';
  // A stored login with a refresh token: refresh-diagnosis.ts models Codex's refresh after the
  // 401 and puts its verdict first; this finding stays the cause of the rejection.
  const note = '';
  const evidence: Record<string, unknown> = {
    tokenSource: source,
    ...readingEvidence(reading),
    serverAnswer: { status: input.answer.status, ...(input.answer.error ? { error: input.answer.error } : {}) },
  };
  const login: Fix = { summary: 'Log in again to replace the stored token.', command: `codex mcp login ${name}` };
  const exportVar = server.bearerTokenEnvVar ? ` and export it as ${server.bearerTokenEnvVar} where Codex is started` : ' and put it in place of the current one';

  switch (cause) {
    case 'expired': {
      const recorded =
        oauth && input.entry
          ? input.entry.expiresAt === undefined
            ? ' Codex recorded no expiry for this login (`expires_at` is null), so it sends the token as is and the server refuses it.'
            : ` Codex's record says it expires at ${new Date(input.entry.expiresAt).toISOString()}, later than the token itself.`
          : '';
      return makeFinding('auth.token-expired', {
        message: `${where[0]!.toUpperCase()}${where.slice(1)} of "${name}" has expired: its \`exp\` claim is ${reading.expired!.expIso}, and the server answered ${answerWords(input.answer, redact)}.${recorded}${note}`,
        evidence: { ...evidence, ...(oauth && input.entry ? { storedExpiresAt: input.entry.expiresAt === undefined ? null : new Date(input.entry.expiresAt).toISOString() } : {}) },
        fix: oauth ? login : { summary: `Create a new token with the provider (this one expired at ${reading.expired!.expIso})${exportVar}.` },
      });
    }
    case 'audience': {
      const noResource = reading.audience.kind === 'no-resource' || reading.audience.kind === 'other-audience';
      const fix: Fix = oauth
        ? resourceBoundLoginFix(name, input)
        : {
            summary: `Create a token for this server (audience / RFC 8707 resource ${redact.url(input.resource)})${exportVar}${noResource ? '; when the provider issues tokens with OAuth, pass `resource` in the token request' : ''}.`,
          };
      return makeFinding('auth.token-not-resource-bound', {
        message: `${said}: the token is not bound to this server's resource ${redact.url(input.resource)} — ${audienceWords(reading)}.${note}`,
        evidence: { ...evidence, audience: reading.audience.kind },
        fix,
      });
    }
    case 'issuer':
      return makeFinding('auth.token-issuer-mismatch', {
        message: `${said}: the token was issued by ${JSON.stringify(reading.issuer!.iss)}, while the server's metadata names the authorization server ${reading.issuer!.expected}, whose tokens it accepts.${note}`,
        evidence,
        fix: oauth
          ? { summary: `Log in again: the new token comes from ${reading.issuer!.expected}.`, command: `codex mcp login ${name}` }
          : { summary: `Create a token with the authorization server ${reading.issuer!.expected}${exportVar}.` },
      });
    case 'scope': {
      const s = reading.scope!;
      return makeFinding('auth.insufficient-scope', {
        message: `${said}: the token grants ${s.granted.length ? s.granted.join(' ') : 'no scope'}, but the server asks for ${s.required.join(' ')} (missing: ${s.missing.join(' ')}).${note}`,
        evidence: { ...evidence, missingScopes: s.missing },
        fix: oauth
          ? { summary: 'Ask for the scopes the server names, then log in again.', toml: serverSnippet(name, [['scopes', [...new Set([...s.granted, ...s.required])]]]), command: `codex mcp login ${name}` }
          : { summary: `Create a token that grants ${s.required.join(' ')}${exportVar}.` },
      });
    }
  }
}

/**
 * The AS that issued the token still accepts it (issuer-check.ts) while the server rejects it: the
 * token is alive and bound to something else — for an opaque token or one without `aud`, a token
 * requested without the RFC 8707 `resource` (seed 002), not a revoked one.
 */
export function boundElsewhereFinding(input: ClaimsFindingInput & { check: IssuerCheck }): Finding {
  const { server, source, reading, redact, check } = input;
  const name = server.name;
  const oauth = source === 'oauth';
  const kind = reading.format === 'opaque' ? 'an opaque token (not a JWT)' : 'a token without an `aud` claim';
  const how = check.asked === 'introspection' ? `its introspection endpoint answers \`active: true\`` : `its userinfo endpoint accepts it (HTTP ${check.status})`;
  return makeFinding('auth.token-not-resource-bound', {
    message:
      `${tokenWhere(server, source)[0]!.toUpperCase()}${tokenWhere(server, source).slice(1)} of "${name}" is alive but not bound to this server: the authorization server that issued it still accepts it (${how}), while "${name}" answered ${answerWords(input.answer, redact)}. ` +
      `It is ${kind}, which is what an authorization server issues when the token request leaves out the RFC 8707 \`resource\` parameter: a token for the authorization server itself, not for the resource ${redact.url(input.resource)}. Not revoked, not expired: resource binding.`,
    evidence: { tokenSource: source, ...readingEvidence(reading), serverAnswer: { status: input.answer.status, ...(input.answer.error ? { error: input.answer.error } : {}) }, issuerCheck: check },
    fix: oauth
      ? resourceBoundLoginFix(name, input)
      : {
          summary: `Create a token for this server: request it with \`resource=${redact.url(input.resource)}\` (RFC 8707), then export it${server.bearerTokenEnvVar ? ` as ${server.bearerTokenEnvVar}` : ''} where Codex is started.`,
        },
  });
}


/**
 * A 401 to a token whose claims name no cause: what the token shows (opaque, claims that look
 * right, or dead at its own AS) and the fix for where it came from.
 */
export function tokenRejectedFinding(
  server: ServerConfig,
  source: CredentialSource,
  challenge: ChallengeAnalysis,
  oauthDiscoverable: boolean,
  reading: TokenReading | undefined,
  issuerCheck: IssuerCheck | undefined,
): Finding {
  const name = server.name;
  const said = challenge.error ? ` (${challenge.error}${challenge.errorDescription ? `: ${challenge.errorDescription}` : ''})` : '';
  const evidence: Record<string, unknown> = { tokenSource: source, ...(reading ? readingEvidence(reading) : {}) };
  if (issuerCheck) evidence.issuerCheck = issuerCheck;
  // What the token itself shows, when its claims name no cause.
  const dead = issuerCheck?.verdict === 'rejected';
  const shows = dead
    ? ` The authorization server that issued it rejects it too (${issuerCheck!.asked === 'introspection' ? 'introspection: active false' : `its userinfo endpoint answered ${issuerCheck!.status}${issuerCheck!.said ? ` ${issuerCheck!.said}` : ''}`}): it was revoked or has expired.`
    : reading?.format === 'opaque'
      ? ' It is an opaque token (not a JWT), so its expiry and audience cannot be read.'
      : reading?.format === 'jwt'
        ? reading.audience.kind === 'bound'
          ? ` Its claims look right (audience ${reading.audience.matched}${reading.claims?.expIso ? `, expires ${reading.claims.expIso}` : ''}), so the server refuses it for something the claims do not show: revoked, signed with a key it does not trust, or a token type it does not take.`
          : ' It is a JWT without an `aud` claim, so its audience cannot be read.'
        : '';
  if (source === 'oauth') {
    return makeFinding('auth.token-rejected', {
      message: `"${name}" rejected Codex's stored OAuth token with 401${said}.${shows}${dead || reading?.audience.kind === 'bound' ? '' : ' It was revoked, or issued for another server or tenant.'}`,
      evidence,
      fix: { summary: 'Log in again to get a new token.', command: `codex mcp login ${name}` },
    });
  }
  const where = tokenWhere(server, source);
  const oauthNote = oauthDiscoverable
    ? ` The server also supports OAuth, which Codex skips while a token is configured: remove bearer_token_env_var (or the Authorization header) and run \`codex mcp login ${name}\` to use it instead.`
    : '';
  const causes = dead ? '' : reading?.format === 'jwt' && reading.audience.kind === 'bound' ? '' : ' The token is invalid, revoked, lacks access, or is for another server.';
  return makeFinding('auth.token-rejected', {
    message: `"${name}" answered 401${said} although ${where} was sent.${shows}${causes}${oauthNote}`,
    evidence,
    fix: {
      summary: `Create a new token with the provider and export it${server.bearerTokenEnvVar ? ` as ${server.bearerTokenEnvVar}` : ''} where Codex is started.${oauthNote}`,
    },
  });
}

/** The fix for a stored login whose token is not bound to this server: a new login that asks for this resource. */
function resourceBoundLoginFix(name: string, input: { prmFound: boolean; resource: string }): Fix {
  return {
    summary: input.prmFound
      ? `Log in again: ${CODEX} sends the protected resource metadata's \`resource\` in both the authorization and the token request, so the new token is bound to this server.`
      : "Set `oauth_resource` to the server's resource so that Codex asks for a token bound to it, and log in again.",
    ...(input.prmFound ? {} : { toml: serverSnippet(name, [['oauth_resource', input.resource]]) }),
    command: `codex mcp login ${name}`,
  };
}
