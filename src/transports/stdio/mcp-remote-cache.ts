import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BridgeSpec } from './bridge-args.ts';

/**
 * mcp-remote's on-disk OAuth state for one remote, read-only. Everything here follows the
 * installed mcp-remote 0.15.1 (node_modules/mcp-remote/dist/chunk-KJCT2FXL.js):
 *
 * - directory: `getConfigDir()` = `$MCP_REMOTE_CONFIG_DIR` or `os.homedir()/.mcp-auth`, then
 *   `mcp-remote-v1` (`CONFIG_STORE_VERSION = 1`); releases before the versioned store used
 *   `mcp-remote-<version>`. Both are read from the bridge's own environment: under Codex a
 *   `MCP_REMOTE_CONFIG_DIR` exported in the shell is dropped unless `env_vars` forwards it.
 * - file names: `getConfigFilePath(hash, name)` = `<dir>/<hash>_<name>`.
 * - key: `getServerUrlHash(serverUrl, authorizeResource, headers, authorizeParams,
 *   clientMetadataUrl, tokenEndpoint)` = md5 of the parts joined by `|`: the URL as written, the
 *   `--resource`, `JSON.stringify(authorizeParams, sortedKeys)`, `JSON.stringify(headers,
 *   sortedKeys)` of the `--header` values BEFORE `${VAR}` expansion, the client metadata URL, the
 *   token endpoint — each only when set.
 * - tokens: `tokens.json` (`OAuthTokensWithExpiresAtSchema`); `hasUsableTokens` treats a token as
 *   usable unless `expires_at - 60 s` has passed without a `refresh_token`. Older releases stored
 *   only `expires_in`, relative to when the file was written (its mtime).
 * - leases: `refresh_in_progress.json` `{pid, nonce, at}` (0.15.1) and `lock.json`
 *   `{pid, port, timestamp}` (older coordination); `code_verifier_<state>` files of sign-ins that
 *   never finished (swept after 10 minutes once a later sign-in succeeds).
 */

export const MCP_REMOTE_STORE_DIR = 'mcp-remote-v1';
/** `TOKEN_EXPIRY_MARGIN_MS` in mcp-remote: a token this close to expiry counts as expired. */
const EXPIRY_MARGIN_MS = 60_000;
const DEBUG_LOG_TAIL_BYTES = 64 * 1024;
/** Lines of a debug log (or stderr) that show a cached client registration the server no longer accepts. */
export const STALE_CLIENT_SIGNS = /Token exchange failed|invalid_client|unauthorized_client|Cached OAuth client registration is no longer valid|client_id.*(?:not found|unknown|invalid)/i;

export type TokenState =
  /** mcp-remote sends it as is. */
  | 'valid'
  /** Expired (or about to), with a refresh token: mcp-remote refreshes it when it starts. */
  | 'expired-refreshable'
  /** Expired, no refresh token: mcp-remote sends it anyway, gets 401 and signs in again. */
  | 'expired'
  /** The file does not parse as tokens: mcp-remote treats it as absent. */
  | 'invalid';

export interface CachedTokens {
  file: string;
  state: TokenState;
  /** Epoch ms when the access token expires, when known. */
  expiresAt?: number;
  /** Where the expiry comes from. */
  expirySource?: 'expires_at' | 'mtime + expires_in';
  hasRefreshToken: boolean;
  /** Secret: registered with the Redactor by the caller, never shown. */
  accessToken?: string;
  refreshToken?: string;
  tokenType?: string;
  scope?: string;
}

export interface CachedClientInfo {
  file: string;
  clientId?: string;
  /** Secret when present. */
  clientSecret?: string;
  /** Epoch ms; absent or 0 when the registration does not expire. */
  secretExpiresAt?: number;
  redirectUris?: string[];
  issuer?: string;
}

export interface CacheLock {
  file: string;
  pid: number;
  alive: boolean;
  /** Epoch ms the lock was taken. */
  at?: number;
}

export interface McpRemoteCache {
  /** `$MCP_REMOTE_CONFIG_DIR` or `~/.mcp-auth`, from the bridge's environment. */
  baseDir: string;
  /** The directory the bridge reads (`<base>/mcp-remote-v1`, or `<base>/mcp-remote-<version>`). */
  dir: string;
  key: string;
  /** Which parts went into the key (no values: header values may be secrets). */
  keyParts: string[];
  tokens?: CachedTokens;
  clientInfo?: CachedClientInfo;
  locks: CacheLock[];
  /** Sign-ins that were started and never completed (their code_verifier files are left). */
  abandonedSignIns: number;
  /** Lines of `<key>_debug.log` that show a stale client registration. */
  staleClientLines: string[];
  /** Other store directories holding files for the same key (another mcp-remote version's). */
  elsewhere: Array<{ dir: string; files: string[] }>;
  /** The user's own MCP_REMOTE_CONFIG_DIR, when it differs from the one the bridge gets. */
  userBaseDir?: string;
  /** Files for this key under the user's own MCP_REMOTE_CONFIG_DIR. */
  userDirFiles?: string[];
}

export interface CacheFs {
  readText(file: string): Promise<string | undefined>;
  /** The last `bytes` of a file. */
  readTail(file: string, bytes: number): Promise<string | undefined>;
  mtimeMs(file: string): Promise<number | undefined>;
  list(dir: string): Promise<string[]>;
}

export const realCacheFs: CacheFs = {
  async readText(file) {
    try {
      const handle = await open(file, 'r');
      try {
        return await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
  },
  async readTail(file, bytes) {
    try {
      const handle = await open(file, 'r');
      try {
        const { size } = await handle.stat();
        const length = Math.min(size, bytes);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        return buffer.toString('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
  },
  async mtimeMs(file) {
    try {
      return (await stat(file)).mtimeMs;
    } catch {
      return undefined;
    }
  },
  async list(dir) {
    try {
      return await readdir(dir);
    } catch {
      return [];
    }
  },
};

/** mcp-remote 0.15.1's `getServerUrlHash`, with the parts it used (names only). */
export function mcpRemoteKey(spec: Pick<BridgeSpec, 'url' | 'resource' | 'authorizeParams' | 'rawHeaders' | 'clientMetadataUrl' | 'tokenEndpoint'>): {
  key: string;
  parts: string[];
} {
  const parts: string[] = [spec.url];
  const names = ['url'];
  if (spec.resource) {
    parts.push(spec.resource);
    names.push('resource');
  }
  if (Object.keys(spec.authorizeParams).length > 0) {
    parts.push(JSON.stringify(spec.authorizeParams, Object.keys(spec.authorizeParams).sort()));
    names.push('authorize-params');
  }
  if (Object.keys(spec.rawHeaders).length > 0) {
    parts.push(JSON.stringify(spec.rawHeaders, Object.keys(spec.rawHeaders).sort()));
    names.push('headers');
  }
  if (spec.clientMetadataUrl) {
    parts.push(spec.clientMetadataUrl);
    names.push('client-metadata-url');
  }
  if (spec.tokenEndpoint) {
    parts.push(spec.tokenEndpoint);
    names.push('token-endpoint');
  }
  return { key: createHash('md5').update(parts.join('|')).digest('hex'), parts: names };
}

/** The base directory mcp-remote uses in `env` (`os.homedir()` reads HOME, or USERPROFILE on Windows). */
export function mcpRemoteBaseDir(env: Record<string, string | undefined>, platform: NodeJS.Platform): string | undefined {
  if (env.MCP_REMOTE_CONFIG_DIR) return env.MCP_REMOTE_CONFIG_DIR;
  const home = platform === 'win32' ? (env.USERPROFILE ?? env.HOME) : env.HOME;
  return home ? pathApi(platform).join(home, '.mcp-auth') : undefined;
}

function pathApi(platform: NodeJS.Platform) {
  return platform === 'win32' ? path.win32 : path.posix;
}

/**
 * The store directory a given mcp-remote reads. The versioned store (`mcp-remote-v1`) is what
 * 0.15.1 reads; a pinned release older than 0.15 is taken to use its own `mcp-remote-<version>`.
 */
export function storeDirName(version: string | undefined): string {
  if (!version) return MCP_REMOTE_STORE_DIR;
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return MCP_REMOTE_STORE_DIR;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === 0 && minor < 15 ? `mcp-remote-${match[0]}` : MCP_REMOTE_STORE_DIR;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface InspectCacheInput {
  spec: BridgeSpec;
  /** The bridge's environment (Codex's child environment). */
  childEnv: Record<string, string | undefined>;
  /** The user's environment, to spot a MCP_REMOTE_CONFIG_DIR Codex does not pass on. */
  userEnv: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  nowMs: number;
  fs?: CacheFs;
  pidAlive?: (pid: number) => boolean;
}

export async function inspectMcpRemoteCache(input: InspectCacheInput): Promise<McpRemoteCache | undefined> {
  const fs = input.fs ?? realCacheFs;
  const pidAlive = input.pidAlive ?? isPidAlive;
  const api = pathApi(input.platform);
  const baseDir = mcpRemoteBaseDir(input.childEnv, input.platform);
  if (!baseDir) return undefined;
  const { key, parts } = mcpRemoteKey(input.spec);
  const dirName = storeDirName(input.spec.version);
  const dir = api.join(baseDir, dirName);
  const file = (name: string) => api.join(dir, `${key}_${name}`);
  const entries = (await fs.list(dir)).filter((e) => e.startsWith(`${key}_`));

  const cache: McpRemoteCache = { baseDir, dir, key, keyParts: parts, locks: [], abandonedSignIns: 0, staleClientLines: [], elsewhere: [] };

  if (entries.includes(`${key}_tokens.json`)) {
    const tokensFile = file('tokens.json');
    cache.tokens = readTokens(tokensFile, await fs.readText(tokensFile), await fs.mtimeMs(tokensFile), input.nowMs);
  }
  if (entries.includes(`${key}_client_info.json`)) {
    const infoFile = file('client_info.json');
    cache.clientInfo = readClientInfo(infoFile, await fs.readText(infoFile));
  }
  for (const name of ['refresh_in_progress.json', 'lock.json']) {
    if (!entries.includes(`${key}_${name}`)) continue;
    const lockFile = file(name);
    const parsed = parseJson(await fs.readText(lockFile));
    const pid = typeof parsed?.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0 ? parsed.pid : undefined;
    if (pid === undefined) continue;
    const at = typeof parsed?.at === 'number' ? parsed.at : typeof parsed?.timestamp === 'number' ? parsed.timestamp : undefined;
    cache.locks.push({ file: lockFile, pid, alive: pidAlive(pid), ...(at !== undefined ? { at } : {}) });
  }
  cache.abandonedSignIns = entries.filter((e) => e.startsWith(`${key}_code_verifier`)).length;
  if (entries.includes(`${key}_debug.log`)) {
    const tail = await fs.readTail(file('debug.log'), DEBUG_LOG_TAIL_BYTES);
    cache.staleClientLines = (tail ?? '').split(/\r?\n/).filter((l) => STALE_CLIENT_SIGNS.test(l)).slice(-5);
  }

  for (const other of await fs.list(baseDir)) {
    if (!other.startsWith('mcp-remote-') || other === dirName) continue;
    const files = (await fs.list(api.join(baseDir, other))).filter((e) => e.startsWith(`${key}_`) && /_(tokens|client_info)\.json$/.test(e));
    if (files.length > 0) cache.elsewhere.push({ dir: api.join(baseDir, other), files });
  }

  const userBase = mcpRemoteBaseDir(input.userEnv, input.platform);
  if (userBase && userBase !== baseDir) {
    cache.userBaseDir = userBase;
    cache.userDirFiles = (await fs.list(api.join(userBase, dirName))).filter((e) => e.startsWith(`${key}_`) && /_(tokens|client_info)\.json$/.test(e));
  }
  return cache;
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * mcp-remote parses `tokens.json` with the SDK's OAuthTokensSchema (`access_token` and
 * `token_type` strings required); a file that fails the schema is logged and treated as absent.
 */
export function readTokens(file: string, text: string | undefined, mtimeMs: number | undefined, nowMs: number): CachedTokens {
  const data = parseJson(text);
  if (!data || typeof data.access_token !== 'string' || typeof data.token_type !== 'string') {
    return { file, state: 'invalid', hasRefreshToken: false };
  }
  const refreshToken = typeof data.refresh_token === 'string' && data.refresh_token !== '' ? data.refresh_token : undefined;
  let expiresAt: number | undefined;
  let expirySource: CachedTokens['expirySource'];
  const storedAt = Number(data.expires_at);
  if (data.expires_at !== undefined && Number.isFinite(storedAt)) {
    expiresAt = storedAt;
    expirySource = 'expires_at';
  } else if (typeof data.expires_in === 'number' && data.expires_in > 0 && mtimeMs !== undefined) {
    expiresAt = mtimeMs + data.expires_in * 1000;
    expirySource = 'mtime + expires_in';
  }
  const expired = expiresAt !== undefined && nowMs >= expiresAt - EXPIRY_MARGIN_MS;
  return {
    file,
    state: !expired ? 'valid' : refreshToken ? 'expired-refreshable' : 'expired',
    ...(expiresAt !== undefined ? { expiresAt, expirySource } : {}),
    hasRefreshToken: refreshToken !== undefined,
    accessToken: data.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    tokenType: data.token_type,
    ...(typeof data.scope === 'string' ? { scope: data.scope } : {}),
  };
}

function readClientInfo(file: string, text: string | undefined): CachedClientInfo {
  const data = parseJson(text) ?? {};
  const secretExpires = typeof data.client_secret_expires_at === 'number' ? data.client_secret_expires_at : undefined;
  return {
    file,
    ...(typeof data.client_id === 'string' ? { clientId: data.client_id } : {}),
    ...(typeof data.client_secret === 'string' ? { clientSecret: data.client_secret } : {}),
    // RFC 7591: seconds since the epoch, 0 for "does not expire".
    ...(secretExpires ? { secretExpiresAt: secretExpires * 1000 } : {}),
    ...(Array.isArray(data.redirect_uris) ? { redirectUris: data.redirect_uris.filter((u): u is string => typeof u === 'string') } : {}),
    ...(typeof data.issuer === 'string' ? { issuer: data.issuer } : {}),
  };
}
