/**
 * `check --refresh`: Codex's exact refresh request (refresh-model.ts), sent on purpose, with the
 * answer written back into Codex's file store the way Codex writes it (refreshed_tokens in
 * codex-rs/rmcp-client/src/oauth/refresh_transaction.rs), so a rotating authorization server
 * leaves the user logged in: the new refresh token replaces the spent one.
 *
 * Safety:
 * - the refresh token goes only to the token endpoint of the authorization server whose metadata
 *   `issuer` equals the issuer stored with it;
 * - the store is re-read just before writing, and the entry is replaced only if it still holds the
 *   refresh token that was used (another process — Codex — may have refreshed meanwhile: then its
 *   result is kept and ours is dropped, as Codex's own transaction does);
 * - the file is replaced atomically (temp file + rename), mode 0600, other entries untouched;
 * - keyring entries are not refreshed (mcp-doctor does not write the OS keyring): nothing is sent.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../pipeline/context.ts';
import type { Redactor } from '../redact.ts';
import { CREDENTIALS_FILE, type StoredCredential } from './credential-store.ts';
import type { OAuthHttp } from './login/oauth-http.ts';
import { parseTokenResponse, refreshedEntry, type CodexRefreshRequest, type RefreshedTokens } from './refresh-model.ts';

export type RefreshExchangeResult =
  | { ok: true; tokens: RefreshedTokens; rotated: boolean; stored: 'written' | 'superseded'; status: number }
  | { ok: false; status: number; error: string; description?: string; stored: 'untouched' };

export interface CredentialsWriter {
  /** Replaces the file atomically with `text` (mode 0600). */
  replace(path: string, text: string): Promise<void>;
}

export const fileWriter: CredentialsWriter = {
  async replace(path, text) {
    const temp = `${path}.mcp-doctor-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  },
};

export interface RefreshExchangeInput {
  entry: StoredCredential;
  request: CodexRefreshRequest;
  http: OAuthHttp;
  deps: Pick<Deps, 'readFile' | 'codexHome'>;
  redact: Redactor;
  nowMs: number;
  writer?: CredentialsWriter;
}

/** Sends Codex's refresh and stores the result for Codex. */
export async function performCodexRefresh(input: RefreshExchangeInput): Promise<RefreshExchangeResult> {
  const { entry, request, http, redact } = input;
  const res = await http.postForm(request.tokenEndpoint, request.form);
  if (res.status === 0) return { ok: false, status: 0, error: res.error ?? 'no answer', stored: 'untouched' };
  const parsed = parseTokenResponse(res.bodyText);
  if ('error' in parsed || res.status !== 200) {
    const err = 'error' in parsed ? parsed : { error: `HTTP ${res.status}` };
    return { ok: false, status: res.status, error: redact.text(err.error), ...('description' in err && err.description ? { description: redact.text(err.description) } : {}), stored: 'untouched' };
  }
  redact.addSecret(parsed.accessToken);
  redact.addSecret(parsed.refreshToken);
  const rotated = parsed.refreshToken !== undefined && parsed.refreshToken !== entry.refreshToken;
  const stored = await writeBack(input, parsed);
  return { ok: true, tokens: parsed, rotated, stored, status: res.status };
}

/**
 * Servers are checked concurrently, and each write-back is a read-modify-write of the same file:
 * without this queue two refreshes could each write a document lacking the other's new tokens,
 * and a rotated refresh token would be lost.
 */
let writeQueue: Promise<unknown> = Promise.resolve();

function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = writeQueue.then(fn, fn);
  writeQueue = run.catch(() => undefined);
  return run;
}

function writeBack(input: RefreshExchangeInput, tokens: RefreshedTokens): Promise<'written' | 'superseded'> {
  return serialized(() => writeBackNow(input, tokens));
}

async function writeBackNow(input: RefreshExchangeInput, tokens: RefreshedTokens): Promise<'written' | 'superseded'> {
  const { entry } = input;
  const path = join(input.deps.codexHome, CREDENTIALS_FILE);
  const doc = JSON.parse(await input.deps.readFile(path)) as Record<string, Record<string, unknown>>;
  const key = Object.keys(doc).find((k) => {
    const v = doc[k];
    return !!v && v.server_name === entry.serverName && (v.server_url ?? v.url) === entry.serverUrl;
  });
  if (!key || doc[key]!.refresh_token !== entry.refreshToken) return 'superseded';
  doc[key] = refreshedEntry(doc[key]!, tokens, input.nowMs);
  // Codex writes the file as compact JSON; any formatting reads back the same.
  await (input.writer ?? fileWriter).replace(path, JSON.stringify(doc));
  return 'written';
}
