/**
 * The auth decision table: what the doctor sees → the cause it names (a registry code) → the fix
 * (the registry's) → what Codex does. `docs/auth.md` is generated from it together with the
 * registry (scripts/gen-docs.ts), and test/docs-codes.test.ts fails when a row names a code the
 * registry does not have or an auth code of the registry has no row.
 */
import { REGISTRY, type FindingCode, type FindingSpec } from './registry.ts';

export interface AuthDecision {
  /** What the doctor observes (the request, the answer, what the token or metadata shows). */
  sees: string;
  code: FindingCode;
  /** What Codex 0.171 does in that situation (measured with the oracle where the tests name it). */
  codex: string;
}

export const AUTH_DECISIONS: AuthDecision[] = [
  // Not logged in, or logging in will fail.
  { sees: '401 without a token; OAuth metadata found; no stored login for this name and URL', code: 'auth.login-required', codex: 'Does not start the server ("not logged in"); `codex mcp login NAME` works' },
  { sees: '401 and no protected resource metadata, no authorization server metadata, no `/authorize`', code: 'auth.oauth-unsupported', codex: 'Fails ("Auth required"); `codex mcp login` cannot work' },
  // API-key gateways (issue 16): no OAuth, a key in a header.
  { sees: '401 without a credential, no OAuth metadata (`/authorize` answers 401 too), and the answer speaks of an API key (`Invalid or missing API key`, `missing X-API-Key header`)', code: 'auth.api-key-required', codex: 'Fails ("Auth required"); `codex mcp login` fails: "Dynamic registration failed: HTTP 401"; connects once env_http_headers sends the key' },
  { sees: 'As above, with the key sent as `Authorization: Bearer` (bearer_token_env_var)', code: 'auth.api-key-wrong-header', codex: 'Fails ("Auth required"); connects once the same variable goes in the named header' },
  { sees: 'As above, with the named header sent and refused', code: 'auth.api-key-rejected', codex: 'Fails ("Auth required")' },
  { sees: 'The metadata names a `resource` other than the configured URL', code: 'auth.resource-mismatch', codex: 'Login fails with a resource mismatch' },
  { sees: 'Authorization server metadata missing an endpoint, PKCE S256 or a matching issuer', code: 'auth.metadata-invalid', codex: 'Login fails' },
  { sees: 'Protected resource metadata that is not usable JSON or lacks `authorization_servers`', code: 'auth.protected-resource-invalid', codex: 'Login fails (no authorization server to use)' },
  {
    sees: 'A metadata URL the server names is on a link-local address, or on a private / loopback one while the server is not (not fetched)',
    code: 'auth.metadata-address-refused',
    codex: 'Starting does no OAuth discovery (fails with "Auth required"); `codex mcp login` would follow the address',
  },
  { sees: 'No `registration_endpoint` and no client ID metadata document support', code: 'auth.registration-unavailable', codex: 'Login fails: "Dynamic client registration not supported" until a `client_id` is configured' },
  {
    sees: 'The scopes Codex will name (configured > challenge > PRM > AS `scopes_supported`, + `offline_access` when listed) include one the AS does not list',
    code: 'auth.login-scope-unsupported',
    codex: 'Login fails: its dynamic registration is refused (400 invalid_client_metadata)',
  },
  { sees: '`check --login`: the authorization endpoint answers `invalid_redirect_uri` (error page, JSON or error redirect)', code: 'auth.redirect-uri-rejected', codex: 'Login never completes: the browser shows the error page, Codex times out waiting for the callback' },
  { sees: '`check --login` stops at a step (registration, authorization, callback, token)', code: 'auth.login-failed', codex: '`codex mcp login` stops at the same step' },
  { sees: 'Codex\'s own discovery finds no metadata although the 2025-03-26 default endpoints answer', code: 'auth.codex-discovery-differs', codex: '`codex mcp list` shows Unsupported; `codex mcp login NAME` still works' },
  // A token was sent and rejected: the cause the token itself shows, first.
  { sees: 'A rejected token whose JWT `exp` has passed (stored, env, header; also with `expires_at` null); or a stored token expired without a usable refresh token', code: 'auth.token-expired', codex: 'Fails at startup ("Token expired", or the server\'s 401)' },
  {
    sees: 'A rejected JWT whose `aud` is the client / the AS (no `resource` in the token request), another resource, or another API; or an opaque token its own AS still accepts (userinfo / introspection)',
    code: 'auth.token-not-resource-bound',
    codex: 'Sends it, gets 401: "Auth required, when send initialize request"',
  },
  { sees: 'A rejected JWT whose `iss` is not the AS the server\'s metadata names', code: 'auth.token-issuer-mismatch', codex: 'Sends it, gets 401 and fails' },
  { sees: '403 `insufficient_scope`, or a rejected JWT whose `scope` lacks what the challenge names', code: 'auth.insufficient-scope', codex: 'Fails at the refused request' },
  { sees: 'A rejected token whose claims name no cause (opaque, or claims that look right), or one its own AS rejects too', code: 'auth.token-rejected', codex: 'Sends it, gets 401 and fails' },
  { sees: '`check --login`: the stored token is rejected, a fresh one from the same AS is accepted', code: 'auth.stored-token-stale', codex: 'Fails with the stored token; works after `codex mcp login NAME`' },
  { sees: '`check --login`: a token issued moments ago for the server\'s resource is rejected too', code: 'auth.fresh-token-rejected', codex: 'Fails whatever login is made: a server-side problem' },
  { sees: '`check --login` logged in and the server accepted the fresh token', code: 'auth.login-succeeded', codex: 'Nothing is stored for Codex by this: its verdict follows the stored login' },
  // Refresh (docs/refresh.md).
  { sees: 'Codex will refresh (expired at startup, or after a 401) and the AS is predicted to refuse it', code: 'auth.refresh-will-fail', codex: 'Fails: "OAuth token refresh failed: …"' },
  { sees: 'Codex will refresh, and nothing can tell without using the refresh token whether it succeeds', code: 'auth.refresh-unverified', codex: 'Refreshes; connects if the AS accepts the refresh' },
  { sees: 'Codex will refresh, and introspection or the grant shows it covers the request', code: 'auth.refresh-expected', codex: 'Refreshes and connects' },
  { sees: '`check --refresh` performed Codex\'s refresh and wrote the rotated tokens back', code: 'auth.refreshed', codex: 'Connects with the stored tokens' },
  { sees: '`check --refresh`: the AS refused the refresh', code: 'auth.refresh-failed', codex: 'Fails the same way at startup' },
  { sees: '`check --refresh` could not perform the refresh (no refresh token, no issuer, unusable metadata)', code: 'auth.refresh-not-performed', codex: 'Follows its own refresh rules' },
  // Worth knowing, not the verdict.
  { sees: 'A `WWW-Authenticate` layout that clients misread (no Bearer first, relative `resource_metadata`, …)', code: 'auth.challenge-nonstandard', codex: 'Reads it; spec-following SDK clients may not' },
  { sees: 'Stored credentials under the same name at another URL, or this URL under another name', code: 'auth.credentials-orphaned', codex: 'Does not use them ("not logged in")' },
  { sees: 'The stored login\'s scopes lack what the challenge (or `scopes_supported`) names', code: 'auth.scopes-narrower', codex: 'Connects; calls needing the missing scopes fail' },
  { sees: 'A keyring store the doctor could not read', code: 'auth.keyring-unavailable', codex: 'Uses the keyring itself' },
];

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** docs/auth.md */
export function renderAuthDecisions(): string {
  const lines = [
    '# Auth: what the doctor sees, the cause, the fix, what Codex does',
    '',
    '<!-- Generated from src/findings/auth-decisions.ts and src/findings/registry.ts by `npm run docs`; do not edit. -->',
    '',
    'When an MCP server answers 401 or 403, `mcp-doctor check` names one cause first. For a token it can read',
    '(a stored Codex login, `bearer_token_env_var`, an `Authorization` in `http_headers` or `env_http_headers`) it',
    'decodes the JWT claims (without trusting them) and states the cause they show before anything else:',
    'expiry, then audience (compared as RFC 8707 resource identifiers), then issuer, then scope. An opaque token',
    'is named as such; when its issuer is known (the issuer recorded with the stored login, or the JWT `iss`',
    'matching the authorization server of the server\'s metadata) the doctor asks that authorization server,',
    'and only it, whether the token is still alive (OIDC userinfo, or RFC 7662 introspection where open to the',
    'client). Claims are shown only with `--verbose`, never the token or its signature.',
    '',
    'Codex\'s refresh (when it refreshes, the exact request, what a passive check can and cannot know, and',
    '`check --refresh`) is described in [refresh.md](refresh.md); `check --login` in [login.md](login.md).',
    '',
    '| What the doctor sees | Cause | Fix | What Codex does |',
    '|---|---|---|---|',
  ];
  for (const row of AUTH_DECISIONS) {
    const spec: FindingSpec = REGISTRY[row.code];
    const says = spec.codexSays?.[0] ? ` (“${spec.codexSays[0]}”)` : '';
    lines.push(`| ${cell(row.sees)} | [\`${row.code}\`](codes/${row.code}.md) (${spec.severity}): ${cell(spec.title)} | ${cell(spec.fix)} | ${cell(row.codex + says)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
