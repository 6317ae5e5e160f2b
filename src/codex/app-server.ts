/**
 * A client for `codex app-server`: asks the installed Codex which configured MCP servers it can
 * start, and what it gets from them. Measured against codex-cli 0.169.0
 * (docs/codex-behaviour-measured.md):
 *
 *   -> {"id":1,"method":"initialize","params":{"clientInfo":{"name":"mcp-doctor","version":"…"}}}
 *   <- {"id":1,"result":{"userAgent":"mcp-doctor/0.169.0 (…)","codexHome":"…",…}}
 *   -> {"method":"initialized"}
 *   -> {"id":2,"method":"mcpServerStatus/list","params":{"detail":"full"}}   (optional serverName, cursor)
 *   <- {"id":2,"result":{"data":[McpServerStatus…],"nextCursor":null}}
 *
 * Without a thread, `mcpServerStatus/list` starts the servers exactly as a session would (each
 * under its own startup_timeout_sec, in parallel, after an OAuth-discovery GET to each HTTP
 * server), answers once every one is ready, failed or timed out, and stops them again. A config
 * Codex refuses makes it fail with JSON-RPC -32603 "failed to reload config: <path>:<l>:<c>: <why>".
 *
 * The run must not change anything of the user's: Codex gets a TEMPORARY `CODEX_HOME` holding a
 * copy of the config (and, when asked, of `.credentials.json` without refresh tokens, so a token
 * refresh cannot rotate the user's refresh token into a file that is deleted afterwards), and
 * plugins, the built-in apps server and analytics are switched off, which keeps Codex itself off
 * the network (with plugins on it runs `git ls-remote https://github.com/openai/plugins.git`).
 * Tokens in the OS keyring (`mcp_oauth_credentials_store` auto/keyring) are Codex's to use and
 * refresh as in any session: a refreshed token is stored where the user's Codex keeps it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Deps } from '../pipeline/context.ts';

/** How to run Codex: a program and the arguments before `app-server`. */
export interface CodexCommand {
  command: string;
  args: string[];
}

/**
 * Keep Codex's own start-up off the network. (The credential store is left as configured: forcing
 * `mcp_oauth_credentials_store` would hide a value Codex refuses, and a token Codex refreshes in
 * the OS keyring lands where the user's own Codex would put it.)
 */
export const OFFLINE_OVERRIDES = ['-c', 'features.plugins=false', '-c', 'features.apps=false', '-c', 'analytics.enabled=false'];

const CREDENTIALS_FILE = '.credentials.json';
const TERMINATE_GRACE_MS = 3000;

export interface JsonRpcMessage {
  id?: number | string;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

export type AppServerFailure = 'spawn-failed' | 'exited' | 'timeout' | 'aborted' | 'no-such-method' | 'protocol';

export class CodexAppServerError extends Error {
  constructor(
    readonly kind: AppServerFailure,
    message: string,
    /** Tail of Codex's stderr, temp paths replaced. */
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'CodexAppServerError';
  }
}

export interface AppServerSetup {
  codex: CodexCommand;
  deps: Pick<Deps, 'spawn' | 'env' | 'platform'>;
  /** Written to the temporary CODEX_HOME as config.toml. */
  configToml: string;
  /** More `-c key=value` overrides, after the offline ones. */
  overrides?: string[];
  /** Overlaid on deps.env for Codex; `undefined` removes a variable. CODEX_HOME is always the temp dir. */
  env?: Record<string, string | undefined>;
  /** Codex's working directory (project configs and relative `cwd`s); default: an empty temp dir. */
  cwd?: string;
  /** Upper bound for the whole run, Codex's own start-up included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** The user's CODEX_HOME: its `.credentials.json` is copied, minus refresh tokens. */
  credentialsFrom?: string;
  /** Tests (the Codex oracle) only: written verbatim as the temp home's `.credentials.json`, refresh tokens kept. */
  credentialsJson?: string;
  clientName?: string;
  clientVersion?: string;
}

/** A running app-server, initialized; what `withAppServer`'s body talks to. */
export interface AppServerSession {
  /** Codex's version from the initialize userAgent ("0.169.0"), or "unknown". */
  version: string;
  initializeResult: any;
  /** The temporary CODEX_HOME and working directory. */
  home: string;
  work: string;
  /** Notifications received so far (server→client requests are refused, not listed). */
  notifications: JsonRpcMessage[];
  request(method: string, params: unknown): Promise<JsonRpcMessage>;
  send(message: JsonRpcMessage): void;
  /** Resolves true once `pred` holds (checked on every notification), false after `ms`. */
  until(pred: () => boolean, ms: number): Promise<boolean>;
  /** Milliseconds left before the run's bound. */
  remainingMs(): number;
  /** Replaces the temp CODEX_HOME path in Codex's text by `$CODEX_HOME`. */
  clean(text: string): string;
  stderrTail(): string;
  credentials: CredentialsCopy;
}

export interface CredentialsCopy {
  state: 'copied' | 'none' | 'unreadable' | 'not-requested';
  /** Servers whose stored token has expired (or is about to) and carried a refresh token that was withheld. */
  refreshWithheld: string[];
}

/**
 * Starts `codex app-server` on a temporary CODEX_HOME, initializes it, runs `body`, and always
 * ends the whole process tree and removes the temp dir. Throws CodexAppServerError when Codex
 * cannot be started, dies, or does not finish within `timeoutMs`.
 */
export async function withAppServer<T>(setup: AppServerSetup, body: (session: AppServerSession) => Promise<T>): Promise<{ value: T; stderr: string }> {
  const started = performance.now();
  const tmp = await mkdtemp(join(tmpdir(), 'mcp-doctor-codex-'));
  const home = join(tmp, 'codex-home');
  const work = join(tmp, 'work');
  let child: ChildProcess | undefined;
  let stderr = '';
  const clean = (s: string) => s.split(home).join('$CODEX_HOME').split(tmp).join('$TMP');
  // eslint-disable-next-line no-control-regex
  const stderrTail = () => clean(stderr.slice(-4000)).replace(/\x1b\[[0-9;]*m/g, '');
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await mkdir(home);
    await mkdir(work);
    await writeFile(join(home, 'config.toml'), setup.configToml, { mode: 0o600 });
    const credentials = setup.credentialsFrom ? await copyCredentials(setup.credentialsFrom, home) : { state: 'not-requested' as const, refreshWithheld: [] };
    if (setup.credentialsJson !== undefined) await writeFile(join(home, CREDENTIALS_FILE), setup.credentialsJson, { mode: 0o600 });

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...setup.deps.env, ...setup.env })) if (v !== undefined) env[k] = v;
    env.CODEX_HOME = home;
    const windows = setup.deps.platform === 'win32';
    const shim = windows && /\.(cmd|bat)$/i.test(setup.codex.command);
    const args = [...setup.codex.args, 'app-server', ...OFFLINE_OVERRIDES, ...(setup.overrides ?? [])];
    const proc = setup.deps.spawn(shim ? (env.COMSPEC ?? 'cmd.exe') : setup.codex.command, shim ? ['/d', '/s', '/c', [setup.codex.command, ...args].map(winQuote).join(' ')] : args, {
      cwd: setup.cwd ?? work,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so that everything it starts can be ended together.
      detached: !windows,
      windowsHide: true,
      windowsVerbatimArguments: shim,
    });
    child = proc;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-64_000);
    });
    proc.stdin!.on('error', () => {}); // EPIPE once codex has died

    const notifications: JsonRpcMessage[] = [];
    const waiters = new Set<() => void>();
    const pending = new Map<number, (m: JsonRpcMessage) => void>();
    let nextId = 1;
    let fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});
    const deadline = started + setup.timeoutMs;
    timer = setTimeout(() => fail(new CodexAppServerError('timeout', `Codex did not finish within ${Math.round(setup.timeoutMs / 1000)} s`, stderrTail())), setup.timeoutMs);
    if (setup.signal) {
      onAbort = () => fail(new CodexAppServerError('aborted', 'the Codex run was cancelled', stderrTail()));
      if (setup.signal.aborted) onAbort();
      else setup.signal.addEventListener('abort', onAbort, { once: true });
    }
    proc.on('exit', (code, signal) => fail(new CodexAppServerError('exited', `codex app-server exited early (${signal ? `signal ${signal}` : `exit code ${code}`})`, stderrTail())));
    proc.on('error', (e) => fail(new CodexAppServerError('spawn-failed', `cannot start ${setup.codex.command}: ${e.message}`, '')));

    const send = (m: JsonRpcMessage) => {
      proc.stdin!.write(`${JSON.stringify(m)}\n`);
    };
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let m: JsonRpcMessage;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.method !== undefined && m.id !== undefined) {
        // A request from Codex (an approval, an elicitation…): nothing is ever approved here.
        send({ id: m.id, error: { code: -32601, message: 'mcp-doctor does not handle requests' } });
      } else if (m.method !== undefined) {
        notifications.push(m);
        for (const w of [...waiters]) w();
      } else if (typeof m.id === 'number' && pending.has(m.id)) {
        pending.get(m.id)!(m);
        pending.delete(m.id);
      }
    });
    const request = (method: string, params: unknown): Promise<JsonRpcMessage> => {
      const id = nextId++;
      const answer = new Promise<JsonRpcMessage>((resolve) => pending.set(id, resolve));
      send({ id, method, params });
      return Promise.race([answer, failed]);
    };
    const until = (pred: () => boolean, ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (pred()) return resolve(true);
        const done = (value: boolean) => {
          clearTimeout(t);
          waiters.delete(check);
          resolve(value);
        };
        const t = setTimeout(() => done(false), Math.max(0, ms));
        const check = () => {
          if (pred()) done(true);
        };
        waiters.add(check);
        failed.catch(() => done(false));
      });

    const init = await request('initialize', {
      clientInfo: { name: setup.clientName ?? 'mcp-doctor', title: null, version: setup.clientVersion ?? '0' },
    });
    if (init.error) throw new CodexAppServerError(isNoSuchMethod(init.error) ? 'no-such-method' : 'protocol', `initialize failed: ${init.error.message}`, stderrTail());
    send({ method: 'initialized' });
    const session: AppServerSession = {
      version: versionFromUserAgent(String(init.result?.userAgent ?? '')) ?? 'unknown',
      initializeResult: init.result,
      home,
      work,
      notifications,
      request,
      send,
      until,
      remainingMs: () => Math.max(0, deadline - performance.now()),
      clean,
      stderrTail,
      credentials,
    };
    const value = await Promise.race([body(session), failed]);
    return { value, stderr: stderrTail() };
  } finally {
    clearTimeout(timer);
    if (onAbort) setup.signal?.removeEventListener('abort', onAbort);
    if (child) await endProcessTree(child, setup.deps);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** "mcp-doctor/0.169.0 (Debian 12.0.0; x86_64) …" → "0.169.0". */
export function versionFromUserAgent(userAgent: string): string | undefined {
  return /^[^/\s]+\/(\d[^\s]*)/.exec(userAgent)?.[1];
}

/** -32601, or 0.169's serde answer to an unknown method: -32600 "unknown variant `…`". */
export function isNoSuchMethod(error: { code: number; message: string }): boolean {
  return error.code === -32601 || (error.code === -32600 && /unknown variant/.test(error.message));
}

/**
 * `.credentials.json` (Codex's file store of `codex mcp login` tokens) copied into the temp home
 * without refresh tokens: Codex may refresh an expiring token and write the result, and with a
 * rotating authorization server the user's stored refresh token would then be spent on a copy
 * that is deleted. A valid access token is still sent, as the user's Codex would.
 */
async function copyCredentials(from: string, home: string): Promise<CredentialsCopy> {
  let text: string;
  try {
    text = await readFile(join(from, CREDENTIALS_FILE), 'utf8');
  } catch (error) {
    return { state: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : 'unreadable', refreshWithheld: [] };
  }
  let store: unknown;
  try {
    store = JSON.parse(text);
  } catch {
    return { state: 'unreadable', refreshWithheld: [] };
  }
  if (!store || typeof store !== 'object' || Array.isArray(store)) return { state: 'unreadable', refreshWithheld: [] };
  const refreshWithheld: string[] = [];
  // Codex refreshes tokens that expire within 30 s; a slow start-up adds to that.
  const soon = Date.now() + 120_000;
  for (const entry of Object.values(store as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as Record<string, unknown>;
    const tokenResponse = e.token_response && typeof e.token_response === 'object' ? (e.token_response as Record<string, unknown>) : undefined;
    const hadRefresh = typeof e.refresh_token === 'string' || typeof tokenResponse?.refresh_token === 'string';
    delete e.refresh_token;
    if (tokenResponse) delete tokenResponse.refresh_token;
    if (hadRefresh && typeof e.expires_at === 'number' && e.expires_at <= soon && typeof e.server_name === 'string') refreshWithheld.push(e.server_name);
  }
  await writeFile(join(home, CREDENTIALS_FILE), JSON.stringify(store), { mode: 0o600 });
  return { state: 'copied', refreshWithheld };
}

function winQuote(arg: string): string {
  return /^[A-Za-z0-9_\-.,:/\\=@+]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '""')}"`;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());
}

interface PsRow {
  pid: number;
  ppid: number;
  pgid: number;
}

function psTable(deps: Pick<Deps, 'spawn'>): Promise<PsRow[]> {
  return new Promise((resolve) => {
    let out = '';
    let proc: ChildProcess;
    try {
      proc = deps.spawn('ps', ['-A', '-o', 'pid=,ppid=,pgid='], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return resolve([]);
    }
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.on('error', () => {
      clearTimeout(timer);
      resolve([]);
    });
    proc.on('close', () => {
      clearTimeout(timer);
      resolve(
        out
          .split('\n')
          .map((l) => l.trim().split(/\s+/).map(Number))
          .filter((a) => a.length === 3 && a.every((n) => Number.isInteger(n)))
          .map(([pid, ppid, pgid]) => ({ pid: pid!, ppid: ppid!, pgid: pgid! })),
      );
    });
  });
}

function descendants(table: PsRow[], root: number): PsRow[] {
  const out: PsRow[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const row of table) {
      if (row.ppid === p && !out.includes(row)) {
        out.push(row);
        queue.push(row.pid);
      }
    }
  }
  return out;
}

/**
 * Closes stdin (app-server then exits and SIGTERMs its MCP servers, which run in process groups
 * of their own), then SIGKILLs whatever of the tree snapshotted before is still there.
 */
export async function endProcessTree(child: ChildProcess, deps: Pick<Deps, 'spawn' | 'platform'>): Promise<void> {
  if (child.pid === undefined) return;
  const gone = new Promise<void>((r) => (exited(child) ? r() : child.once('exit', () => r())));
  if (deps.platform === 'win32') {
    child.stdin?.end();
    await Promise.race([gone, sleep(TERMINATE_GRACE_MS)]);
    if (!exited(child)) {
      try {
        deps.spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => {});
      } catch {
        // nothing more to do
      }
    }
    return;
  }
  const before = await psTable(deps);
  const ownPgid = before.find((r) => r.pid === process.pid)?.pgid;
  const tree = exited(child) ? [] : descendants(before, child.pid);
  child.stdin?.end();
  await Promise.race([gone, sleep(TERMINATE_GRACE_MS)]);
  const kill = (target: number) => {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  kill(-child.pid);
  if (!exited(child)) await Promise.race([gone, sleep(1000)]);
  if (tree.length === 0) return;
  const alive = new Set((await psTable(deps)).map((r) => `${r.pid}/${r.pgid}`));
  for (const { pid, pgid } of tree) {
    if (!alive.has(`${pid}/${pgid}`)) continue;
    if (pgid !== ownPgid && pgid !== child.pid) kill(-pgid);
    kill(pid);
  }
}
