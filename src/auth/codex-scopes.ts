/**
 * The scopes `codex mcp login` asks for, and whether the authorization server will take them.
 *
 * Codex 0.171 (measured with fixtures/oauth/measure-codex-oauth.ts, variants `scope-*`, and
 * against oidc-provider): the server table's `scopes` when set, else the 401 challenge's `scope`,
 * else the protected resource metadata's `scopes_supported`, else the authorization server's; then
 * `offline_access` is appended when the authorization server's `scopes_supported` lists it. The
 * same list goes into its dynamic client registration (`scope`, with `client_name "Codex"`,
 * `grant_types [authorization_code, refresh_token]`, `token_endpoint_auth_method "none"`,
 * `application_type "native"`) and into the authorization request. An authorization server that
 * validates the registration's `scope` against what it offers (oidc-provider: "scope must only
 * contain Authorization Server supported scope values") refuses it with 400
 * invalid_client_metadata, and Codex stops: "Registration failed: Dynamic registration failed: …".
 *
 * The prediction reads only metadata the auth diagnosis already fetched: no request of its own.
 */
import type { ServerConfig } from '../config/server-config.ts';
import { serverSnippet } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Finding, Severity } from '../types.ts';

export type CodexScopeSource = 'config' | 'challenge' | 'protected-resource-metadata' | 'authorization-server-metadata' | 'none';

export interface CodexScopes {
  scopes: string[];
  from: CodexScopeSource;
  /** `offline_access` was appended because the AS lists it. */
  offlineAccessAdded: boolean;
}

const OFFLINE = 'offline_access';

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : undefined;
}

export function codexLoginScopes(input: { configured?: string[]; challenge?: string[]; prmScopesSupported?: string[]; asScopesSupported?: string[] }): CodexScopes {
  const pick = (list: string[] | undefined) => (list && list.length > 0 ? [...new Set(list)] : undefined);
  let scopes: string[] = [];
  let from: CodexScopeSource = 'none';
  for (const [list, source] of [
    [input.configured, 'config'],
    [input.challenge, 'challenge'],
    [input.prmScopesSupported, 'protected-resource-metadata'],
    [input.asScopesSupported, 'authorization-server-metadata'],
  ] as const) {
    const p = pick(list as string[] | undefined);
    if (p) {
      scopes = p;
      from = source;
      break;
    }
  }
  const offlineAccessAdded = !!input.asScopesSupported?.includes(OFFLINE) && !scopes.includes(OFFLINE);
  if (offlineAccessAdded) scopes = [...scopes, OFFLINE];
  return { scopes, from, offlineAccessAdded };
}

export interface LoginScopeInput {
  server: ServerConfig;
  /** The challenge's scopes (what the server says it needs). */
  challenge: string[];
  prmScopesSupported?: string[];
  /** The authorization server metadata as fetched. */
  asMetadata?: Record<string, unknown>;
  /** A stored login exists and works: only a future login is affected. */
  loggedIn: boolean;
}

const SOURCE_WORDS: Record<CodexScopeSource, string> = {
  config: 'the `scopes` of the server table',
  challenge: "the 401 challenge's `scope`",
  'protected-resource-metadata': "the protected resource metadata's `scopes_supported`",
  'authorization-server-metadata': "the authorization server's `scopes_supported`",
  none: 'nothing',
};

/** `auth.login-scope-unsupported` when Codex's login will name a scope the AS does not offer. */
export function loginScopeFinding(input: LoginScopeInput): Finding | undefined {
  const offered = strings(input.asMetadata?.scopes_supported);
  // No list, or an empty one: nothing to predict from (RFC 8414: the field is RECOMMENDED).
  if (!offered || offered.length === 0) return undefined;
  const codex = codexLoginScopes({ configured: input.server.scopes, challenge: input.challenge, prmScopesSupported: input.prmScopesSupported, asScopesSupported: offered });
  const unsupported = codex.scopes.filter((s) => !offered.includes(s));
  if (unsupported.length === 0) return undefined;
  const name = input.server.name;
  // Scopes the server itself requires (its challenge): no client setting can do without them.
  const required = unsupported.filter((s) => input.challenge.includes(s));
  const keep = codex.scopes.filter((s) => offered.includes(s) && s !== OFFLINE);
  const severity: Severity = input.loggedIn ? 'warning' : 'error';
  const asked = `Codex will ask for \`${codex.scopes.join(' ')}\` (from ${SOURCE_WORDS[codex.from]}${codex.offlineAccessAdded ? ', plus `offline_access` because the authorization server lists it' : ''})`;
  const evidence = {
    codexScopes: codex.scopes,
    codexScopesFrom: codex.from,
    authorizationServerScopesSupported: offered,
    unsupported,
    ...(input.challenge.length ? { challengeScopes: input.challenge } : {}),
  };
  const consequence = `The authorization server lists only \`${offered.join(' ')}\` in its \`scopes_supported\`, so it is expected to refuse Codex's dynamic client registration (400 invalid_client_metadata) or the authorization request (invalid_scope), and \`codex mcp login ${name}\` fails before the browser opens.`;
  if (required.length > 0 || keep.length === 0) {
    return makeFinding('auth.login-scope-unsupported', {
      severity,
      message: `${asked}, and ${unsupported.map((s) => `\`${s}\``).join(', ')} is not offered by the authorization server. ${consequence} ${required.length ? `The server's own challenge requires ${required.map((s) => `\`${s}\``).join(', ')}, so no client setting helps: its authorization server must offer it.` : 'None of the scopes Codex would ask for is offered, so no `scopes` setting helps.'}`,
      evidence,
      fix: {
        summary: `A server-side fix: the authorization server must offer ${required.length ? required.map((s) => `\`${s}\``).join(', ') : 'the scopes the server requires'} (add ${required.length > 1 ? 'them' : 'it'} to its scopes), or the server must stop requiring ${required.length > 1 ? 'them' : 'it'}. Report it to the server's maintainers with this evidence.`,
      },
    });
  }
  return makeFinding('auth.login-scope-unsupported', {
    severity,
    message: `${asked}, and ${unsupported.map((s) => `\`${s}\``).join(', ')} is not offered by the authorization server. ${consequence}`,
    evidence,
    fix: {
      summary: `Ask only for scopes the authorization server offers: set \`scopes = [${keep.map((s) => JSON.stringify(s)).join(', ')}]\` in the server table (Codex then asks for exactly those${offered.includes(OFFLINE) ? ', plus `offline_access`' : ''}), and log in.`,
      toml: serverSnippet(name, [['scopes', keep]]),
      command: `codex mcp login ${name}`,
    },
  });
}
