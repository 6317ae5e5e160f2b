/**
 * Codex's stored OAuth credentials, read-only: the file store `$CODEX_HOME/.credentials.json` and,
 * when the platform's own command allows it without prompting, the OS keyring.
 *
 * Facts measured with codex 0.169.0 (fixtures/oauth/measure-codex-oauth.ts):
 * - file entry: `{ server_name, server_url, issuer?, client_id, access_token, expires_at (epoch
 *   ms) | null, refresh_token | null, scopes }`, keyed by `NAME|<16 hex>` where the hex is the
 *   SHA-256 of `{"type":"http","url":URL,"headers":{}}` — declared key order, URL as written,
 *   `headers` always empty (configured http_headers do not change it);
 * - Codex matches by name and exact URL (a trailing slash or a query makes another login);
 * - an expired token (within 30 s) without refresh token: "MCP startup failed: Token expired";
 * - an expired token with a refresh token but no `issuer` (entries written by older Codex, or
 *   logins through the 2025-03-26 fallback): "OAuth refresh credentials for server NAME are
 *   missing an authorization server issuer; authorization required";
 * - an empty `client_id` does not stop the token from being sent (only `codex mcp list` then says
 *   "not logged in").
 *
 * Every token read is registered with the Redactor before it is used for anything; tokens never
 * enter findings or evidence.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ServerConfig } from '../config/server-config.ts';
import type { Deps } from '../pipeline/context.ts';
import type { Redactor } from '../redact.ts';
import { setDelay } from '../deadline.ts';

export const CREDENTIALS_FILE = '.credentials.json';
export const KEYRING_SERVICE = 'Codex MCP Credentials';
/** Codex refreshes (or gives up on) a token that expires within this window (REFRESH_SKEW_MILLIS). */
export const EXPIRY_SKEW_MS = 30_000;
const KEYRING_TIMEOUT_MS = 2000;

export interface StoredCredential {
  source: 'file' | 'keyring';
  storeKey?: string;
  serverName: string;
  serverUrl: string;
  clientId: string;
  issuer?: string;
  /** Secret: registered with the Redactor on read; never put into evidence. */
  accessToken?: string;
  /** Secret, as accessToken. */
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  scopes: string[];
}

/** The store key Codex uses (file key and keyring account). */
export function codexStoreKey(serverName: string, serverUrl: string, order: 'declared' | 'sorted' = 'declared'): string {
  const payload =
    order === 'declared'
      ? JSON.stringify({ type: 'http', url: serverUrl, headers: {} })
      : JSON.stringify({ headers: {}, type: 'http', url: serverUrl });
  return `${serverName}|${createHash('sha256').update(payload).digest('hex').slice(0, 16)}`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reads one entry in either shape (file store, or the keyring's `token_response` form). */
function toCredential(raw: Record<string, unknown>, source: StoredCredential['source'], key: string | undefined, redact: Redactor): StoredCredential | undefined {
  const tr = raw.token_response && typeof raw.token_response === 'object' ? (raw.token_response as Record<string, unknown>) : undefined;
  const accessToken = str(raw.access_token) ?? str(tr?.access_token);
  const refreshToken = str(raw.refresh_token) ?? str(tr?.refresh_token);
  // Register before anything else looks at the entry.
  redact.addSecret(accessToken);
  redact.addSecret(refreshToken);
  redact.addSecret(str(raw.client_secret));
  const serverName = str(raw.server_name);
  const serverUrl = str(raw.server_url) ?? str(raw.url);
  if (!serverName || !serverUrl) return undefined;
  const cred: StoredCredential = {
    source,
    serverName,
    serverUrl,
    clientId: typeof raw.client_id === 'string' ? raw.client_id : '',
    scopes: Array.isArray(raw.scopes)
      ? raw.scopes.filter((s): s is string => typeof s === 'string')
      : typeof tr?.scope === 'string'
        ? tr.scope.split(/\s+/).filter(Boolean)
        : [],
  };
  if (key) cred.storeKey = key;
  if (str(raw.issuer)) cred.issuer = str(raw.issuer);
  if (accessToken) cred.accessToken = accessToken;
  if (refreshToken) cred.refreshToken = refreshToken;
  if (typeof raw.expires_at === 'number' && Number.isFinite(raw.expires_at)) cred.expiresAt = raw.expires_at;
  return cred;
}

export interface CredentialsFile {
  path: string;
  state: 'absent' | 'unreadable' | 'invalid' | 'ok';
  entries: StoredCredential[];
  error?: string;
}

/** Parses the file text; secrets are registered with the Redactor as they are met. */
export function parseCredentialsFile(text: string, redact: Redactor): { entries: StoredCredential[]; error?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // A file that is not JSON may still hold tokens: never echo its content.
    return { entries: [], error: `not valid JSON (${(error as Error).message.replace(/".*"/, '…')})` };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { entries: [], error: 'not a JSON object' };
  const entries: StoredCredential[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') continue;
    const cred = toCredential(value as Record<string, unknown>, 'file', key, redact);
    if (cred) entries.push(cred);
  }
  return { entries };
}

export async function readCredentialsFile(deps: Pick<Deps, 'readFile' | 'fileExists' | 'codexHome'>, redact: Redactor): Promise<CredentialsFile> {
  const path = join(deps.codexHome, CREDENTIALS_FILE);
  if (!(await deps.fileExists(path))) return { path, state: 'absent', entries: [] };
  let text: string;
  try {
    text = await deps.readFile(path);
  } catch (error) {
    return { path, state: 'unreadable', entries: [], error: (error as NodeJS.ErrnoException).code ?? 'cannot read' };
  }
  const parsed = parseCredentialsFile(text, redact);
  if (parsed.error) return { path, state: 'invalid', entries: [], error: parsed.error };
  return { path, state: 'ok', entries: parsed.entries };
}

export interface CredentialMatch {
  exact?: StoredCredential;
  /** Same name, another URL: a URL change (even a trailing slash) orphaned the login. */
  sameNameOtherUrl: StoredCredential[];
  /** Same URL, another name: the table was renamed. */
  sameUrlOtherName: StoredCredential[];
}

export function matchCredentials(entries: StoredCredential[], serverName: string, serverUrl: string): CredentialMatch {
  return {
    exact: entries.find((e) => e.serverName === serverName && e.serverUrl === serverUrl),
    sameNameOtherUrl: entries.filter((e) => e.serverName === serverName && e.serverUrl !== serverUrl),
    sameUrlOtherName: entries.filter((e) => e.serverUrl === serverUrl && e.serverName !== serverName),
  };
}

export type TokenState =
  /** Codex sends it as is. */
  | 'usable'
  /** Expired (or within 30 s); Codex refreshes it first (measured). */
  | 'refreshable'
  /** Expired; a refresh token exists but no issuer, so Codex 0.169 does not refresh (measured). */
  | 'expired-refresh-without-issuer'
  /** Expired, no refresh token: "Token expired". */
  | 'expired'
  | 'no-access-token';

export function tokenState(cred: StoredCredential, nowMs: number): TokenState {
  const expiring = cred.expiresAt !== undefined && cred.expiresAt <= nowMs + EXPIRY_SKEW_MS;
  if (expiring) {
    if (!cred.refreshToken) return 'expired';
    return cred.issuer ? 'refreshable' : 'expired-refresh-without-issuer';
  }
  return cred.accessToken ? 'usable' : 'no-access-token';
}

/** A stored entry as evidence: everything but the secrets. */
export function describeCredential(cred: StoredCredential, nowMs: number, redact: Redactor): Record<string, unknown> {
  const out: Record<string, unknown> = {
    source: cred.source,
    serverName: cred.serverName,
    serverUrl: redact.url(cred.serverUrl),
    clientId: cred.clientId === '' ? '(empty)' : redact.text(cred.clientId),
    hasAccessToken: !!cred.accessToken,
    hasRefreshToken: !!cred.refreshToken,
    scopes: cred.scopes,
    state: tokenState(cred, nowMs),
  };
  if (cred.issuer) out.issuer = redact.url(cred.issuer);
  if (cred.expiresAt !== undefined) {
    out.expiresAt = new Date(cred.expiresAt).toISOString();
    out.expiresInSec = Math.round((cred.expiresAt - nowMs) / 1000);
  }
  return out;
}

// ── Keyring ────────────────────────────────────────────────────────────────────────────────────

export interface KeyringResult {
  state: 'found' | 'not-found' | 'present-unread' | 'unavailable';
  /** The command used (without secrets), or why none could be. */
  detail: string;
  entry?: StoredCredential;
}

interface RunResult {
  code: number | null;
  stdout: string;
  error?: string;
}

/** Runs a read-only keyring command: stdin closed, output capped, killed after the timeout. */
function runBounded(deps: Pick<Deps, 'spawn' | 'env'>, command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let child: ReturnType<Deps['spawn']>;
    try {
      child = deps.spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], env: deps.env as NodeJS.ProcessEnv });
    } catch (error) {
      resolve({ code: null, stdout: '', error: (error as Error).message });
      return;
    }
    let stdout = '';
    let settled = false;
    const finish = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setDelay(() => {
      child.kill('SIGKILL');
      finish({ code: null, stdout: '', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 256 * 1024) stdout += d.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => finish({ code: null, stdout: '', error: error.code === 'ENOENT' ? 'not installed' : error.message }));
    child.on('close', (code) => finish({ code, stdout }));
  });
}

/**
 * Looks the server up in the OS keyring without prompting and without writing:
 * - Linux: `secret-tool lookup service "Codex MCP Credentials" account <store key>` (only with a
 *   D-Bus session; without one Codex's own keyring fails too and it falls back to the file);
 * - macOS: `security find-generic-password -s … -a …` WITHOUT `-w`: reading the secret of an item
 *   another program created makes macOS show a keychain prompt, so only presence is checked;
 * - elsewhere: not inspected.
 * Both key orders are tried (declared order measured on 0.169; sorted order in case other
 * versions serialize differently).
 */
export async function readKeyring(
  deps: Pick<Deps, 'spawn' | 'env' | 'platform'>,
  serverName: string,
  serverUrl: string,
  redact: Redactor,
  timeoutMs = KEYRING_TIMEOUT_MS,
): Promise<KeyringResult> {
  const accounts = [...new Set([codexStoreKey(serverName, serverUrl, 'declared'), codexStoreKey(serverName, serverUrl, 'sorted')])];
  if (deps.platform === 'linux') {
    if (!deps.env.DBUS_SESSION_BUS_ADDRESS) {
      return { state: 'unavailable', detail: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset): there is no Secret Service to read, and Codex falls back to the file store' };
    }
    for (const account of accounts) {
      const r = await runBounded(deps, 'secret-tool', ['lookup', 'service', KEYRING_SERVICE, 'account', account], timeoutMs);
      if (r.error) return { state: 'unavailable', detail: `secret-tool: ${r.error}` };
      if (r.code === 0 && r.stdout.trim() !== '') {
        const text = r.stdout.trim();
        redact.addSecret(text);
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          return { state: 'present-unread', detail: `secret-tool found account ${account}, but its value is not JSON` };
        }
        const entry = raw && typeof raw === 'object' ? toCredential(raw as Record<string, unknown>, 'keyring', account, redact) : undefined;
        if (entry) return { state: 'found', detail: `secret-tool lookup service "${KEYRING_SERVICE}" account "${account}"`, entry };
        return { state: 'present-unread', detail: `secret-tool found account ${account} in an unknown shape` };
      }
    }
    return { state: 'not-found', detail: `secret-tool lookup service "${KEYRING_SERVICE}" account "${accounts[0]}": no item` };
  }
  if (deps.platform === 'darwin') {
    for (const account of accounts) {
      const r = await runBounded(deps, 'security', ['find-generic-password', '-s', KEYRING_SERVICE, '-a', account], timeoutMs);
      if (r.error) return { state: 'unavailable', detail: `security: ${r.error}` };
      if (r.code === 0) {
        return {
          state: 'present-unread',
          detail: `the login keychain has an item for account "${account}"; its contents were not read, to avoid a keychain prompt`,
        };
      }
    }
    return { state: 'not-found', detail: `security find-generic-password -s "${KEYRING_SERVICE}" -a "${accounts[0]}": no item` };
  }
  return { state: 'unavailable', detail: `the ${deps.platform} credential store cannot be read without prompting` };
}

// ── The inspection the auth stage uses ────────────────────────────────────────────────────────

export type CredentialsStoreMode = 'auto' | 'file' | 'keyring';

export interface CredentialInspection {
  mode: CredentialsStoreMode;
  file: Omit<CredentialsFile, 'entries'> & { entries: number };
  keyring?: KeyringResult;
  /** The entry Codex would use. */
  entry?: StoredCredential;
  state?: TokenState;
  orphans: CredentialMatch['sameNameOtherUrl'];
  renamed: CredentialMatch['sameUrlOtherName'];
}

export interface InspectCredentialsInput {
  deps: Pick<Deps, 'readFile' | 'fileExists' | 'codexHome' | 'spawn' | 'env' | 'platform'>;
  redact: Redactor;
  serverName: string;
  serverUrl: string;
  mode?: CredentialsStoreMode;
  nowMs: number;
}

/** Finds what Codex would load for this server (keyring first in `auto`, as Codex does). */
export async function inspectStoredCredentials(input: InspectCredentialsInput): Promise<CredentialInspection> {
  const { deps, redact, serverName, serverUrl, nowMs } = input;
  const mode = input.mode ?? 'auto';
  const file = mode === 'keyring' ? ({ path: join(deps.codexHome, CREDENTIALS_FILE), state: 'absent', entries: [] } as CredentialsFile) : await readCredentialsFile(deps, redact);
  const keyring = mode === 'file' ? undefined : await readKeyring(deps, serverName, serverUrl, redact);
  const match = matchCredentials(file.entries, serverName, serverUrl);
  const entry = keyring?.entry ?? (mode === 'keyring' ? undefined : match.exact);
  const out: CredentialInspection = {
    mode,
    file: { path: file.path, state: file.state, entries: file.entries.length, ...(file.error ? { error: file.error } : {}) },
    orphans: match.sameNameOtherUrl,
    renamed: match.sameUrlOtherName,
  };
  if (keyring) out.keyring = keyring;
  if (entry) {
    out.entry = entry;
    out.state = tokenState(entry, nowMs);
  }
  return out;
}

/** Stored scopes that miss what the server asks for (the challenge's scope wins over scopes_supported). */
export function missingScopes(stored: string[], challenged: string[], supported: string[] | undefined): { required: string[]; missing: string[]; from: 'challenge' | 'scopes_supported' } | undefined {
  const from = challenged.length ? 'challenge' : supported?.length ? 'scopes_supported' : undefined;
  if (!from) return undefined;
  const required = from === 'challenge' ? challenged : supported!;
  const missing = required.filter((s) => !stored.includes(s));
  return { required, missing, from };
}

// ── Which credential Codex sends ───────────────────────────────────────────────────────────────

export type CredentialSource = 'bearer_token_env_var' | 'http_headers' | 'env_http_headers' | 'oauth' | 'none';

export interface CodexAuthorization {
  source: CredentialSource;
  /** The `Authorization` value to send (secret, registered with the Redactor); absent when none. */
  authorization?: string;
  /** Why, in words (no secrets). */
  detail: string;
  /** For `oauth`: the stored entry's state. */
  tokenState?: TokenState;
}

/**
 * The Authorization header Codex would send to this server, in Codex's order
 * (`determine_streamable_http_auth_status`): `bearer_token_env_var`, an `Authorization` in
 * `http_headers`, one in `env_http_headers`, then stored OAuth tokens. Only ever for the MCP
 * server's own URL. An expired OAuth token is not returned: Codex refreshes it first (or fails).
 */
export async function codexAuthorizationFor(input: {
  server: Pick<ServerConfig, 'name' | 'url' | 'bearerTokenEnvVar' | 'httpHeaders' | 'envHttpHeaders'>;
  deps: InspectCredentialsInput['deps'];
  redact: Redactor;
  nowMs: number;
  mode?: CredentialsStoreMode;
  /** Already inspected credentials, to avoid reading the store twice. */
  credentials?: CredentialInspection;
}): Promise<CodexAuthorization> {
  const { server, deps, redact } = input;
  if (server.bearerTokenEnvVar) {
    const value = deps.env[server.bearerTokenEnvVar];
    if (!value || value.trim() === '') {
      return { source: 'none', detail: `bearer_token_env_var names ${server.bearerTokenEnvVar}, which is not set (Codex fails to start the server)` };
    }
    redact.addSecret(value);
    return { source: 'bearer_token_env_var', authorization: `Bearer ${value}`, detail: `Bearer token from $${server.bearerTokenEnvVar}` };
  }
  const literal = Object.entries(server.httpHeaders).find(([k]) => k.toLowerCase() === 'authorization');
  if (literal) {
    redact.addSecret(literal[1]);
    return { source: 'http_headers', authorization: literal[1], detail: 'Authorization from http_headers' };
  }
  const fromEnv = Object.entries(server.envHttpHeaders).find(([k]) => k.toLowerCase() === 'authorization');
  if (fromEnv) {
    const value = deps.env[fromEnv[1]];
    // Codex skips a header whose variable is unset or blank, and goes on to stored OAuth.
    if (value && value.trim() !== '') {
      redact.addSecret(value);
      return { source: 'env_http_headers', authorization: value, detail: `Authorization from $${fromEnv[1]} (env_http_headers)` };
    }
  }
  if (!server.url) return { source: 'none', detail: 'no URL' };
  const creds =
    input.credentials ??
    (await inspectStoredCredentials({ deps, redact, serverName: server.name, serverUrl: server.url, mode: input.mode, nowMs: input.nowMs }));
  if (!creds.entry) return { source: 'none', detail: 'no stored OAuth credentials for this name and URL' };
  const state = creds.state!;
  if (state === 'usable' && creds.entry.accessToken) {
    return { source: 'oauth', authorization: `Bearer ${creds.entry.accessToken}`, detail: `stored OAuth token (${creds.entry.source})`, tokenState: state };
  }
  return { source: 'oauth', detail: `stored OAuth token is ${state}`, tokenState: state };
}
