import { CODEX } from '../codex/codex-version.ts';
import { SPEC, type FindingSpec } from './finding-spec.ts';

/** Finding codes: Authorization: 401/403 challenges, OAuth metadata, stored and static tokens, refresh, login, API keys. Part of the one registry (registry.ts). */
export const AUTH_CODES = {
  'auth.metadata-address-refused': {
    title: 'OAuth metadata URL points at a private or link-local address',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'The server\'s 401 challenge or its protected resource metadata names a URL on a link-local address (169.254.0.0/16, fe80::/10: where cloud machines serve their own credentials) or on a private or loopback address while the server itself is not on one. Fetching it would make mcp-doctor (and Codex\'s login) request an address on your own network on the server\'s say-so; mcp-doctor does not fetch it, and never shows a body fetched from an origin the server chose.',
    detection: 'Every URL taken from a challenge or a metadata document is classified by its literal host address before any request; names are not resolved.',
    fix: 'If the server is yours, publish metadata URLs on the server\'s public origin. If not, do not log in to it: a server that points clients at internal addresses is misconfigured or hostile.',
  },
  // ── auth ────────────────────────────────────────────────────────────────────────────────────
  'auth.login-required': {
    title: 'OAuth login required',
    severity: 'error',
    stage: 'auth',
    explanation: 'The server answered 401, it supports OAuth, and Codex has no usable stored credentials for it.',
    detection: '401 without a token, OAuth metadata discoverable, no usable credentials for this name and URL.',
    fix: 'Run `codex mcp login NAME`.',
    codexSays: ['Auth required, when send initialize request', 'The NAME MCP server is not logged in. Run `codex mcp login NAME`.'],
    refs: ['https://github.com/openai/codex/issues/4707'],
  },
  'auth.oauth-unsupported': {
    title: '401 and no OAuth metadata',
    severity: 'error',
    stage: 'auth',
    explanation: 'The server requires authentication but publishes no OAuth metadata, so `codex mcp login` cannot work. A token must be configured.',
    detection: '401, and neither protected-resource nor authorization-server metadata can be found.',
    fix: 'Create a token with the provider, export it, and set `bearer_token_env_var = "VAR"`.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.token-rejected': {
    title: 'Token rejected',
    severity: 'error',
    stage: 'auth',
    explanation:
      'A token was sent and the server answered 401, and neither its claims nor its authorization server name a more precise cause: an opaque token nobody can read, one whose claims look right (revoked, signed with a key the server does not trust), or one the issuing authorization server rejects too (revoked or expired).',
    detection:
      '401 to a request that carried `Authorization`, after the claims of the token (expiry, audience, issuer, scope) were read and, for an opaque token whose issuer is known, its own authorization server was asked (userinfo, or introspection where open to the client).',
    fix: 'Create a new token (or log in again) and check that it is for this server.',
    codexSays: ['MCP server rejected the access token with HTTP 401 Unauthorized'],
  },
  'auth.insufficient-scope': {
    title: 'Token lacks a required scope',
    severity: 'error',
    stage: 'auth',
    explanation: 'The server answered 403 with `insufficient_scope`, or rejected a token whose `scope` claim lacks what its challenge names: the token does not grant what this call needs.',
    detection: '403 with `WWW-Authenticate: Bearer error="insufficient_scope"`; or a 401 to a JWT whose `scope` (or `scp`) claim lacks a scope of the challenge\'s `scope`.',
    fix: 'Log in again requesting the scopes the server names (`scopes = [...]` in the server table), or create a token with them.',
  },
  'auth.resource-mismatch': {
    title: 'Protected resource metadata names another resource',
    severity: 'error',
    stage: 'auth',
    explanation: 'The `resource` in the server\'s protected resource metadata (RFC 9728) does not match the configured URL, so spec-following clients refuse the metadata and tokens get the wrong audience.',
    detection: 'The PRM `resource` is compared with the URL (exact, trailing slash, path prefix, other path, other origin, query string).',
    fix: 'Configure the URL the metadata names, or set `oauth_resource` to it.',
    codexSays: ["Metadata error: Protected resource metadata resource mismatch: reference '…', permitted '…'"],
    refs: ['https://github.com/openai/codex/issues/37387'],
  },
  'auth.metadata-invalid': {
    title: 'Authorization server metadata unusable',
    severity: 'error',
    stage: 'auth',
    explanation: 'The authorization server metadata is missing or lacks what a client needs: the authorization and token endpoints, `response_types_supported` with `code`, PKCE `S256`, or an `issuer` that matches.',
    detection: 'RFC 8414 and OIDC discovery URLs are fetched in the spec\'s order and the document is validated.',
    fix: 'A server-side fix: publish complete metadata.',
  },
  'auth.registration-unavailable': {
    title: 'No way to register a client automatically',
    severity: 'warning',
    stage: 'auth',
    explanation: 'The authorization server offers neither dynamic client registration nor client ID metadata documents, so a client ID must be registered with the provider by hand.',
    detection: 'No `registration_endpoint` and no `client_id_metadata_document_supported` in the metadata.',
    fix: 'Register an OAuth app with the provider and set `[mcp_servers.NAME.oauth] client_id = "…"`.',
    codexSays: ['Registration failed: Dynamic registration failed: Registration failed: Dynamic client registration not supported'],
    refs: ['https://github.com/openai/codex/issues/13200', 'https://github.com/openai/codex/issues/19154'],
  },
  'auth.token-not-resource-bound': {
    title: 'Token is not bound to this server',
    severity: 'error',
    severityNote: 'warning for a stored Codex login that holds a refresh token: Codex refreshes after the 401, which a passive check does not verify.',
    stage: 'auth',
    explanation:
      'The rejected token is not for this server\'s resource: its `aud` names the client or the authorization server itself (the token request left out the RFC 8707 `resource` parameter), another resource (`resource` was sent for another server), or another API; or it is an opaque token its own authorization server still accepts (alive, so not revoked: bound to something else).',
    detection:
      'The `aud` claim of the rejected JWT (stored, `bearer_token_env_var`, `http_headers`, `env_http_headers`) is compared with the PRM `resource` as an RFC 8707 resource identifier; for an opaque token, the authorization server that issued it (the recorded issuer or the `iss` matching the metadata, never another origin) is asked through its userinfo endpoint or introspection.',
    fix: 'Set `oauth_resource` to the server\'s resource and run `codex mcp login NAME` again.',
    codexSays: ['Auth required, when send initialize request'],
    refs: ['https://github.com/openai/codex/issues/12589'],
  },
  'auth.token-expired': {
    title: 'Token expired',
    severity: 'error',
    severityNote: 'warning for a stored Codex login that holds a refresh token and an issuer: Codex refreshes after the 401, which a passive check does not verify.',
    stage: 'auth',
    explanation:
      'The token has expired: a stored OAuth token without a refresh token Codex can use, or any rejected token (stored, `bearer_token_env_var`, an Authorization header) whose JWT `exp` has passed — also when Codex recorded no expiry (`expires_at` null) and sends it as is.',
    detection: '`expires_at` in the stored credentials is in the past and there is no usable refresh token; or the `exp` claim of a rejected JWT is in the past.',
    fix: 'Run `codex mcp login NAME`.',
    codexSays: ['OAuth authorization required, when send initialize request'],
  },
  // ── Codex's token refresh (src/auth/refresh-model.ts, docs/refresh.md) ─────────────────────
  'auth.refresh-will-fail': {
    title: "Codex's token refresh will be refused",
    severity: 'error',
    stage: 'auth',
    explanation:
      'Codex refreshes a stored OAuth token when it expires within 30 s (at startup) and after a 401 to a request that carried it. The refresh it will send cannot succeed: the authorization server says the refresh token is no longer active, the grant lacks a scope Codex asks for (Codex adds `offline_access` when the server lists it in `scopes_supported`), the token is bound to another resource than the one Codex names, or the server does not offer the refresh_token grant. Codex then fails the server.',
    detection:
      "Codex's refresh request is rebuilt from the stored entry and the metadata (grant, `scope`, `resource`, client_id, no client authentication) and compared with what can be known without using the refresh token: the access token's claims, `grant_types_supported`, and RFC 7662 introspection of the refresh token at the issuing authorization server (which does not consume it).",
    fix: 'Run `codex mcp login NAME` for a new grant; when the grant lacks `offline_access`, the authorization server must grant it (or stop listing it) for refreshes to keep working.',
    codexSays: ['OAuth token refresh failed: Server returned error response: invalid_scope: refresh token missing requested scope', 'OAuth token refresh failed: Server returned error response: invalid_grant: grant request is invalid'],
    refs: ['https://www.rfc-editor.org/rfc/rfc6749#section-6', 'https://www.rfc-editor.org/rfc/rfc8707#section-2.2', 'https://www.rfc-editor.org/rfc/rfc7662'],
  },
  'auth.refresh-unverified': {
    title: 'Refresh not verified',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'Codex will refresh the stored token (it has expired, or the server refused it) and connects only if the refresh succeeds. A passive check never uses a refresh token (many authorization servers rotate them: using one would spend the user\'s login), and what could be known safely does not settle the outcome.',
    detection: 'A stored token Codex would refresh, with no predicted refusal and no proof (introspection) that the grant covers the scope and resource Codex will ask for.',
    fix: 'Run `mcp-doctor check --refresh` to perform Codex\'s exact refresh and store the rotated tokens where Codex reads them, or `codex mcp login NAME`.',
  },
  'auth.refresh-expected': {
    title: "Codex's refresh is expected to succeed",
    severity: 'info',
    stage: 'auth',
    explanation:
      'The stored token will be refreshed by Codex, and the issuing authorization server confirms (by introspection, without consuming anything) that the refresh token is active and its grant covers the scope Codex asks for; the access token is bound to the resource Codex names.',
    detection: 'RFC 7662 introspection of the stored refresh token at the issuer recorded with it, compared with the refresh request Codex will send.',
    fix: 'Nothing to do; `mcp-doctor check --refresh` performs the refresh if you want it verified end to end.',
  },
  'auth.refreshed': {
    title: 'Token refreshed and stored for Codex',
    severity: 'info',
    stage: 'auth',
    explanation:
      '`check --refresh` sent Codex\'s exact refresh request and wrote the new tokens (the rotated refresh token included) into Codex\'s credential store in Codex\'s shape, so the login is kept; the check continued with the new token.',
    detection: '`--refresh`, a stored token with a refresh token, and a 200 from the token endpoint.',
    fix: 'Nothing to do.',
  },
  'auth.refresh-failed': {
    title: 'Token refresh refused',
    severity: 'error',
    stage: 'auth',
    explanation: "`check --refresh` sent Codex's exact refresh request and the authorization server refused it; Codex's own refresh gets the same answer, so the server fails in Codex until you log in again.",
    detection: '`--refresh` and a non-200 answer from the token endpoint (its `error` and `error_description` are shown).',
    fix: 'Run `codex mcp login NAME`.',
    codexSays: ['OAuth token refresh failed: Server returned error response: …'],
  },
  'auth.refresh-not-performed': {
    title: '--refresh could not refresh',
    severity: 'warning',
    stage: 'auth',
    explanation:
      '`check --refresh` did not send a refresh because the result could not be stored where Codex reads it (the entry lives in the OS keyring, which mcp-doctor does not write), or there is nothing to refresh with (no refresh token, no token endpoint). Nothing was consumed.',
    detection: '`--refresh` on a server whose stored entry cannot be refreshed and written back safely.',
    fix: 'Use `mcp_oauth_credentials_store = "file"` (then `codex mcp login NAME` once), or let Codex refresh the token itself.',
  },
  'auth.protected-resource-invalid': {
    title: 'Protected resource metadata unusable',
    severity: 'error',
    severityNote:
      'error when the metadata answers but cannot be used (not a JSON object, no `resource`, no `authorization_servers`), so clients cannot find the authorization server; warning when it works but is served wrongly (content type, non-https authorization server URLs).',
    stage: 'auth',
    explanation:
      'An MCP server that requires OAuth publishes protected resource metadata (RFC 9728) naming its `resource` and at least one authorization server. Metadata that is not a JSON object or lacks those fields leaves clients with no authorization server to log in with.',
    detection:
      'The metadata URL from the 401 challenge (else the path-aware and root well-known URLs) is fetched without credentials and validated.',
    fix: 'A server-side fix: serve `{"resource": "<the MCP URL>", "authorization_servers": ["https://…"]}` as application/json.',
    refs: ['https://www.rfc-editor.org/rfc/rfc9728', `${SPEC}/2025-11-25/basic/authorization`],
  },
  'auth.challenge-nonstandard': {
    title: '401 challenge that clients misread',
    severity: 'warning',
    severityNote:
      'warning when a real client misreads the header (no `WWW-Authenticate`, no Bearer challenge, a challenge before Bearer, an empty, relative or non-URL `resource_metadata`); info for SHOULD-level slips (no `scope`, `error=` sent although no token was sent, no `resource_metadata` when the well-known URLs work).',
    stage: 'auth',
    explanation:
      'The `WWW-Authenticate` header of a 401 tells clients where the protected resource metadata is (`resource_metadata`) and which scopes to ask for. The official TypeScript SDK reads it with a regex that only looks at a header starting with "Bearer", ignores empty values and values that are not absolute URLs, so layouts that are valid HTTP still hide the metadata from SDK-based clients.',
    detection: 'Every `WWW-Authenticate` value is parsed per RFC 9110 §11.6.1, and compared with what the SDK\'s regex reads from it.',
    fix: 'A server-side fix: answer `WWW-Authenticate: Bearer resource_metadata="https://…/.well-known/oauth-protected-resource/…", scope="…"` with the Bearer challenge first.',
    refs: ['https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1', 'https://www.rfc-editor.org/rfc/rfc6750#section-3'],
  },
  'auth.codex-discovery-differs': {
    title: 'Codex shows the server as not supporting OAuth',
    severity: 'warning',
    severityNote:
      `Reported only where it changes what Codex does: ${CODEX} (\`codex mcp list\`) shows the server as Unsupported and \`codex mcp add\` starts no login, although \`codex mcp login NAME\` works (no metadata, only the 2025-03-26 default endpoints). Older releases that misjudged an authorization server on another origin are no longer reported.`,
    stage: 'auth',
    explanation:
      'Codex decides whether a server "supports OAuth" with its own discovery, which decides what `codex mcp list` shows in the Auth column and whether `codex mcp add` starts a login. That discovery can fail while the login itself works, so users see `Unsupported` or "MCP server may or may not require login" and never run the login.',
    detection: 'Codex\'s discovery is replayed (the order measured on 0.169 and 0.171 against local fixtures) and compared with the full discovery.',
    fix: 'Run `codex mcp login NAME` anyway; the Auth column is misleading here.',
    codexSays: ['MCP server may or may not require login. Run `codex mcp login NAME` to login.', 'Unsupported'],
  },
  'auth.credentials-orphaned': {
    title: 'Stored credentials for another name or URL',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'Codex stores OAuth credentials under the server name and the exact URL. After renaming the table or changing the URL (even a trailing slash or a query string) the old login no longer applies: Codex says the server is not logged in, and the old entry lingers in the credential store.',
    detection: 'Entries of `$CODEX_HOME/.credentials.json` (and the OS keyring when readable) with the same name and another URL, or the same URL and another name.',
    fix: 'Log in again with `codex mcp login NAME`; remove the old entry with `codex mcp logout OLD-NAME` (while it is still configured) or by deleting it from `.credentials.json`.',
    codexSays: ['The NAME MCP server is not logged in. Run `codex mcp login NAME`.'],
  },
  'auth.scopes-narrower': {
    title: 'Stored login lacks scopes the server asks for',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'The scopes recorded with the stored OAuth login do not include every scope the server names in its 401 challenge (or, lacking that, in `scopes_supported` of its protected resource metadata). Calls that need the missing scopes fail with 401 or 403 until the login is renewed with them.',
    detection: 'The `scopes` of the stored credentials are compared with the challenge\'s `scope` (authoritative per MCP 2025-11-25), else with the metadata\'s `scopes_supported`.',
    fix: 'Set `scopes = [...]` in the server table (or pass `--scopes`) and run `codex mcp login NAME` again.',
  },
  'auth.keyring-unavailable': {
    title: 'OS keyring not inspected',
    severity: 'info',
    stage: 'auth',
    explanation:
      'With `mcp_oauth_credentials_store` set to `auto` (the default) or `keyring`, Codex keeps OAuth tokens in the OS keyring (service "Codex MCP Credentials"). mcp-doctor reads it only through the platform\'s own command, never prompts and never writes; when that is not possible, credentials stored there were not checked.',
    detection: '`secret-tool lookup` (Linux, with a D-Bus session) or `security find-generic-password` without `-w` (macOS: presence only, to avoid a keychain prompt), bounded to 2 s with stdin closed.',
    fix: 'Nothing to fix. To let mcp-doctor (and other tools) see the login, use `mcp_oauth_credentials_store = "file"` and log in again.',
    refs: ['https://github.com/openai/codex/issues/28201'],
  },
  'auth.login-failed': {
    title: 'OAuth login fails (check --login)',
    severity: 'error',
    severityNote:
      'warning when nobody completed the browser page within `--login-timeout` (or the check deadline passed): that proves nothing about the server.',
    stage: 'auth',
    explanation:
      '`check --login` ran the OAuth 2.1 authorization-code flow with PKCE that the MCP specification asks of clients — discovery, client registration, the authorization request, the authorization response (`state`, RFC 9207 `iss`), the token request with RFC 8707 `resource` — and it stopped at the step the message names. Codex\'s own login (`codex mcp login`) follows the same steps, so it is expected to stop there too.',
    detection:
      'The flow is run against the server\'s own metadata; every request (URL, status, parameters without secret values) is in the evidence, with the answer that stopped it.',
    fix: 'Depends on the step: a pre-registered `client_id` when registration is refused or unavailable, a server-side fix for unusable metadata or a token endpoint that refuses the exchange, or completing the browser page within `--login-timeout`.',
    refs: [`${SPEC}/2025-11-25/basic/authorization`, 'https://www.rfc-editor.org/rfc/rfc9207', 'https://www.rfc-editor.org/rfc/rfc8707'],
  },
  'auth.fresh-token-rejected': {
    title: 'Server rejects a freshly issued token',
    severity: 'error',
    stage: 'auth',
    explanation:
      '`check --login` obtained a new access token from the server\'s own authorization server, requested for the server\'s resource (RFC 8707 `resource` in both the authorization and the token request), and the server still answered 401. Logging in again cannot help: the server (or a gateway in front of it) validates tokens against another audience, issuer or signing key, or does not accept the tokens its authorization server issues.',
    detection: 'A 401 to a request carrying a token issued moments before by the flow of `check --login`; the token\'s claims (when it is a JWT) and the server\'s challenge are in the evidence.',
    fix: 'A server-side fix: accept tokens issued for the resource in the evidence (audience validation, issuer, keys). Report it to the server\'s maintainers with the evidence.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.stored-token-stale': {
    title: 'Stored token rejected; a fresh login works',
    severity: 'error',
    stage: 'auth',
    explanation:
      'Codex\'s stored OAuth token was refused with 401, while a token `check --login` obtained just now from the same authorization server was accepted. The stored credentials are the problem — revoked, issued to an older client registration or another account, signed with a rotated key — not the server. (When the two tokens\' audiences differ, `auth.token-not-resource-bound` is reported instead.)',
    detection: 'The stored token gets 401; a fresh token from `check --login` gets through; their JWT claims, when readable, are compared.',
    fix: 'Run `codex mcp login NAME` to replace the stored token.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.login-succeeded': {
    title: 'OAuth login works (check --login)',
    severity: 'info',
    stage: 'auth',
    explanation:
      '`check --login` logged in with the OAuth flow a spec-following client uses and the server accepted the fresh token; the check went on with it. The token stayed in memory: nothing was written to Codex\'s credential store.',
    detection: 'The flow completed and the refused request succeeded when re-sent with the fresh token.',
    fix: 'Nothing to fix here; the evidence lists every request of the flow (without secret values), for comparison with a client that fails.',
  },
  // ── auth: causes a token, the metadata or the authorization server states (issue 15) ──────
  'auth.token-issuer-mismatch': {
    title: 'Token issued by another authorization server',
    severity: 'error',
    severityNote: 'warning for a stored Codex login that holds a refresh token: Codex refreshes after the 401, which a passive check does not verify.',
    stage: 'auth',
    explanation:
      'The rejected token\'s `iss` claim names another authorization server than the one the server\'s protected resource metadata names, whose tokens the server accepts: a token from another tenant, environment or provider.',
    detection: 'The `iss` claim of the rejected JWT (read without verifying the signature) is compared with the `issuer` of the authorization server metadata.',
    fix: 'Log in again (`codex mcp login NAME`), or create the token with the authorization server the metadata names.',
    codexSays: ['MCP server rejected the access token with HTTP 401 Unauthorized', 'Auth required, when send initialize request'],
  },
  'auth.login-scope-unsupported': {
    title: '`codex mcp login` asks for a scope the authorization server does not offer',
    severity: 'error',
    severityNote: 'warning when a stored login exists (only a new login is affected).',
    stage: 'auth',
    explanation:
      `${CODEX} asks for the configured \`scopes\`, else the 401 challenge's \`scope\`, else the protected resource metadata's \`scopes_supported\`, else the authorization server's, and adds \`offline_access\` when the authorization server lists it; it names them in its dynamic client registration and in the authorization request (measured). An authorization server that validates them (oidc-provider and others: \`invalid_client_metadata\`, or \`invalid_scope\`) refuses the registration, so the login fails before the browser opens.`,
    detection: 'The scopes Codex will ask for are derived from the metadata already fetched and compared with the authorization server\'s `scopes_supported`; `check --login` shows the refusal itself.',
    fix: 'Set `scopes = [...]` in the server table to scopes the authorization server lists (Codex then asks for exactly those, plus `offline_access` when listed), and run `codex mcp login NAME`; a server-side fix when the server requires a scope its authorization server does not issue.',
    codexSays: ['Registration failed: Dynamic registration failed: Registration failed: HTTP 400 Bad Request: {"error":"invalid_client_metadata",…}'],
    refs: ['https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2', `${SPEC}/2025-11-25/basic/authorization`],
  },
  'auth.redirect-uri-rejected': {
    title: 'Authorization server refuses the redirect URI',
    severity: 'error',
    stage: 'auth',
    explanation:
      'The authorization request was refused because its `redirect_uri` is not one registered for the client: a pre-registered `client_id` whose app lists another callback URL, or Codex\'s callback port changing between logins (Codex listens on an ephemeral port unless `callback_port` / `mcp_oauth_callback_port` is set). The authorization server shows an error page instead of redirecting back, so the login never completes.',
    detection: '`check --login`: the authorization endpoint answers the authorization request with `invalid_redirect_uri` (or `invalid_request` naming `redirect_uri`) in a 400 error page, JSON body, or an error redirect.',
    fix: 'Register the redirect URI Codex uses (`http://127.0.0.1:PORT/callback/<callback id>`) with the provider for this client, and fix the port with `callback_port` (or `mcp_oauth_callback_port`).',
    codexSays: ['timed out waiting for OAuth callback'],
    refs: ['https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1', 'https://www.rfc-editor.org/rfc/rfc8252#section-7.3'],
  },
  // ── API-key gateways (issue 16) ──────────────────────────────────────────────────────────────
  'auth.api-key-required': {
    title: 'The server wants an API key in a header, not an OAuth login',
    severity: 'error',
    stage: 'auth',
    explanation:
      `The server answered 401, its answer asks for an API key (\`Invalid or missing API key\`, \`missing X-API-Key header\`, a \`WWW-Authenticate: ApiKey\` challenge), and it publishes no OAuth metadata: an API-key gateway such as \`mcp-proxy --apiKey\`, which guards every path, its OAuth default endpoints included. \`codex mcp login\` fails there (${CODEX}: "Dynamic registration failed: HTTP 401"), and \`bearer_token_env_var\` sends the key as \`Authorization: Bearer\`, which such a server ignores.`,
    detection: '401 without a credential; no protected resource or authorization server metadata, `/authorize` not a login page (401/404); the challenge parameters or the body speak of an API key, and name the header when they can (else `X-API-Key`, the convention mcp-proxy follows).',
    fix: 'Export the key in an environment variable where Codex starts and send it in the header the server names: `env_http_headers = { "X-API-Key" = "VAR" }`.',
    codexSays: ['Auth required, when send initialize request', 'Dynamic registration failed: HTTP 401'],
    refs: ['https://github.com/punkpeye/mcp-proxy#readme'],
  },
  'auth.api-key-wrong-header': {
    title: 'The key is sent as a bearer token; the server wants it in another header',
    severity: 'error',
    stage: 'auth',
    explanation:
      'A credential went out in `Authorization` (bearer_token_env_var, or an Authorization entry of http_headers / env_http_headers), the server answered 401 and asks for an API key in a header of its own (`X-API-Key`, or the one it names), and it publishes no OAuth metadata. The key may be right; it is in the wrong place.',
    detection: 'As `auth.api-key-required`, with an Authorization header sent.',
    fix: 'Name the same variable in `env_http_headers` under the header the server wants, and remove `bearer_token_env_var`.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.api-key-rejected': {
    title: 'The API key sent in the header was refused',
    severity: 'error',
    stage: 'auth',
    explanation: 'The header the server asks for was sent (from `http_headers` or `env_http_headers`) and the server still answered 401 asking for a valid key: the key is wrong, revoked or for another deployment.',
    detection: 'As `auth.api-key-required`, with the named header configured.',
    fix: 'Export the right key where Codex starts.',
    codexSays: ['Auth required, when send initialize request'],
  },
} as const satisfies Record<string, FindingSpec>;
