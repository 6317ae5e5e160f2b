/**
 * The findings the auth diagnosis ends in (diagnose-auth.ts decides which applies; these say it).
 */
import type { ServerConfig } from '../config/server-config.ts';
import { serverSnippet } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import { REDACTED, type Redactor } from '../redact.ts';
import type { Finding, Severity } from '../types.ts';
import { type AsDiscovery } from './authorization-server.ts';
import { suggestedKeyVar, type ApiKeyHint } from './api-key.ts';
import { type ChallengeAnalysis, type ChallengeProblem } from './challenge.ts';
import { describeCredential, missingScopes, type CredentialInspection, type CredentialSource } from './credential-store.ts';
import { type UrlTried } from './http-get.ts';
import { CODEX } from '../codex/codex-version.ts';

// ── Findings ───────────────────────────────────────────────────────────────────────────────────

/** URLs tried as compact `status url` lines (already redacted when recorded). */
export function urlLines(urls: UrlTried[]): string[] {
  return urls.map((u) => `${u.status ?? 'no answer'} ${u.url}${u.redirectedTo ? ` → ${u.redirectedTo}` : ''}`);
}

export function loginRequiredFinding(server: ServerConfig, creds: CredentialInspection, as: AsDiscovery, blockers: Finding[], redact: Redactor, urlsTried: string[]): Finding {
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

export function tokenExpiredFinding(server: ServerConfig, creds: CredentialInspection, nowMs: number, redact: Redactor): Finding {
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
export function unanswered(urls: UrlTried[]): boolean {
  return urls.length > 0 && urls.every((u) => u.status === null && !u.error?.startsWith('not fetched'));
}

export function oauthUnsupportedFinding(server: ServerConfig, challenge: ChallengeAnalysis, urlsTried: string[], noAnswer = false): Finding {
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
export function apiKeyFinding(server: ServerConfig, hint: ApiKeyHint, source: CredentialSource, redact: Redactor, urlsTried: string[]): Finding {
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

export function githubFinding(server: ServerConfig): Finding {
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

export function insufficientScopeFinding(server: ServerConfig, challenge: ChallengeAnalysis, source: CredentialSource, creds: CredentialInspection | undefined): Finding {
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

export function orphanedFinding(server: ServerConfig, creds: CredentialInspection, redact: Redactor): Finding {
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

export function scopesNarrowerFinding(server: ServerConfig, stored: string[], gap: NonNullable<ReturnType<typeof missingScopes>>): Finding {
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

export function challengeProblemsFinding(server: ServerConfig, c: ChallengeAnalysis, prmFound: boolean, redact: Redactor): Finding | undefined {
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

export function keyringNote(server: ServerConfig, creds: CredentialInspection): Finding | undefined {
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

/** An environment variable name to suggest for a server's token. */
export function suggestedTokenVar(serverName: string): string {
  const base = serverName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${/^[0-9]/.test(base) || base === '' ? `MCP_${base}` : base}_TOKEN`;
}

export function challengesEvidence(c: ChallengeAnalysis, redact: Redactor): Array<Record<string, unknown>> {
  return c.parsed.challenges.map((ch) => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(ch.params)) params[k] = k === 'resource_metadata' ? redact.url(v) : redact.text(v);
    return { scheme: ch.scheme, ...(ch.token68 ? { token68: REDACTED } : {}), ...(Object.keys(params).length ? { params } : {}) };
  });
}
