// The "Codex oracle": ask the real Codex CLI (the `@openai/codex` devDependency) what it makes
// of a config.toml, so tests can pin mcp-doctor's verdicts to Codex's actual behaviour.
//
// How it works (measured against codex-cli 0.169.0; see docs/codex-behaviour-measured.md):
//
// 1. A fresh temp dir holds CODEX_HOME (with the given config.toml) and an empty working dir,
//    so neither ~/.codex nor a project `.codex/config.toml` can leak in.
// 2. `codex app-server` is spawned (its own process group) with `-c` overrides that keep it
//    off the network: `features.plugins=false` (otherwise it runs
//    `git ls-remote https://github.com/openai/plugins.git` and resolves api.github.com and
//    chatgpt.com), `features.apps=false` (the built-in ChatGPT connectors server) and
//    `analytics.enabled=false`. No account or login is needed for any of this.
// 3. JSON-RPC over stdio, one JSON object per line, no `"jsonrpc"` field needed in replies:
//      -> {"id":1,"method":"initialize","params":{"clientInfo":{"name":"mcp-doctor-tests","version":"0"}}}
//      <- {"id":1,"result":{"userAgent":"mcp-doctor-tests/0.169.0 (...)","codexHome":"...",...}}
//      -> {"method":"initialized"}
//      -> {"id":2,"method":"mcpServerStatus/list","params":{"detail":"full"}}
//      <- {"id":2,"result":{"data":[McpServerStatus...],"nextCursor":null}}
//    `mcpServerStatus/list` without a thread starts every enabled server exactly as a session
//    would (initialize + tools/list under its startup_timeout_sec, servers in parallel, after
//    an OAuth-discovery GET to each HTTP server) and answers only once every server has
//    finished starting (ready, failed or timed out), so the response itself is the "startup
//    finished" signal; the servers are stopped again right after. `nextCursor` is followed if present
//    (it is an offset such as "2"; 120 servers still came back on one page).
//    A config Codex refuses to load makes that request fail with JSON-RPC error -32603
//    "failed to reload config: <path>:<line>:<col>: <reason>" (and a `configWarning`
//    notification "Invalid configuration; using defaults."); askCodex returns that as
//    `configError` instead of throwing.
// 4. With `session: true` the helper instead opens a real (ephemeral) thread: `thread/start`
//    starts the servers in the background and emits `mcpServer/startupStatus/updated`
//    notifications (starting -> ready | failed | cancelled, with the user-visible error text
//    such as "MCP client for `x` failed to start: ..."); `mcpServerStatus/list` with the
//    `threadId` reports `runtimeStatus` and can answer while a server is still `starting`, so
//    the helper waits for the terminal notification and asks again. Then a `turn/start` is sent to a fake
//    Responses API on 127.0.0.1 (a `-c model_providers...` override), whose request body
//    carries the tools exactly as the model would see them (namespace `mcp__<server>`, names
//    sanitised, colliding names hash-suffixed). The fake answers 500, nothing reaches OpenAI.
// 5. Shutdown: stdin is closed (app-server then exits and SIGTERMs its MCP servers, which run
//    in process groups of their own), then anything left of the process tree that was
//    snapshotted before shutdown is SIGKILLed by process group, and the temp dir is removed.
//
// Environment. Codex itself gets `process.env` overlaid with `opts.env` (a value of
// `undefined` removes the variable) and CODEX_HOME forced to the temp dir; that is where
// `bearer_token_env_var`, `env_http_headers` and `env_vars` are read from. Codex does not hand
// that environment to stdio servers. Measured on Linux with 0.169.0, a stdio server gets only
// (those that are set): HOME, LANG, LC_ALL, LOGNAME, PATH (with Codex's own `codex-path` helper
// dir prepended), SHELL, TERM, TMPDIR, TZ, USER, __CF_USER_TEXT_ENCODING, the CA-bundle
// variables SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, CURL_CA_BUNDLE, GIT_SSL_CAINFO, PIP_CERT,
// REQUESTS_CA_BUNDLE, CARGO_HTTP_CAINFO, NPM_CONFIG_CAFILE, npm_config_cafile,
// CODEX_CA_CERTIFICATE, then the `env_vars` the config names, then its literal `env`.
// Not passed: API keys, *_PROXY / NO_PROXY, SSL_CERT_DIR, LC_CTYPE, NODE_OPTIONS, XDG_*, ...
//
// Override the binary with CODEX_ORACLE_BIN=/path/to/codex (an executable).

import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface CodexServerVerdict {
  /** Codex initialized the server and got its tool list. */
  connected: boolean;
  /** `enabled = false` (Codex lists the server but does not start it). */
  disabled?: boolean;
  /** Raw tool names, sorted, as the server returned them (keys of `tools` in mcpServerStatus/list). */
  tools?: string[];
  toolCount?: number;
  /** Codex's error text verbatim (`toolsError`, or the session's startup error), temp paths replaced by `$CODEX_HOME`. */
  error?: string;
  /** `error` with rmcp's `Send message error Transport [<type>] error: ` noise removed and the repeated tail de-duplicated. */
  errorSummary?: string;
  /** `authStatus` from mcpServerStatus/list: unknown | unsupported | notLoggedIn | bearerToken | oAuth. */
  authStatus?: string;
  /** serverInfo from the server's initialize result, as Codex parsed it. */
  serverInfo?: { name: string; version: string; title?: string | null };
  /** session mode: `runtimeStatus` of the thread (connected | failed | disabled | authenticationRequired | ...). */
  runtimeStatus?: string;
  /** session mode: the last `mcpServer/startupStatus/updated` status (ready | failed | cancelled). */
  startupStatus?: string;
  /** session mode: the user-visible startup error ("MCP client for `x` failed to start: ..."). */
  startupError?: string;
  /** session mode: the tool namespace the model sees (`mcp__<sanitised server name>`). */
  modelNamespace?: string;
  /** session mode: the tool names the model sees inside that namespace. */
  modelTools?: string[];
}

export interface CodexVerdict {
  /** Codex version, e.g. "0.169.0". */
  version: string;
  /** Per configured server, keyed by the name Codex reports (the TOML table key). */
  servers: Record<string, CodexServerVerdict>;
  /** Set when Codex refuses the whole config (then `servers` is empty). */
  configError?: string;
  /** `configWarning` / `warning` notifications (e.g. "`mcp_servers.t.type` is ignored"); bubblewrap noise dropped. */
  warnings: string[];
  /** session mode: `thread/start` failed (e.g. a `required = true` server did not start). */
  sessionError?: string;
  /** Wall-clock time of the whole askCodex call. */
  durationMs: number;
  /** Tail of codex's stderr (tracing output), temp paths replaced. */
  stderr: string;
  /** Everything Codex answered: initialize result, list pages, notifications, model request tools. */
  raw: unknown;
}

export interface AskCodexOptions {
  /** Upper bound for the whole call, including Codex's own startup (~0.3 s). Default 45 000. */
  timeoutMs?: number;
  /** Overlaid on process.env for the codex process; `undefined` deletes a variable. */
  env?: Record<string, string | undefined>;
  /** Working directory of codex (and default cwd of stdio servers). Default: an empty temp dir. */
  cwd?: string;
  /** Open a real thread and capture the tool names the model would see (slower: ~+0.3 s). */
  session?: boolean;
}

export class CodexOracleError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(stderr ? `${message}\n--- codex stderr (tail) ---\n${stderr}` : message);
    this.name = 'CodexOracleError';
  }
}

const ORACLE_MODEL = 'mcp-doctor-oracle-model';
const OFFLINE_OVERRIDES = ['-c', 'features.plugins=false', '-c', 'features.apps=false', '-c', 'analytics.enabled=false'];

interface CodexCommand {
  command: string;
  args: string[];
}

let resolved: CodexCommand | null | undefined;

/** How to run Codex: CODEX_ORACLE_BIN, else the `@openai/codex` package's bin script under this node. */
export function resolveCodex(): CodexCommand | null {
  if (resolved !== undefined) return resolved;
  resolved = null;
  const override = process.env.CODEX_ORACLE_BIN;
  if (override) {
    resolved = existsSync(override) ? { command: override, args: [] } : null;
    return resolved;
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@openai/codex/package.json');
    const script = join(dirname(pkg), 'bin', 'codex.js');
    if (existsSync(script)) resolved = { command: process.execPath, args: [script] };
  } catch {
    // not installed
  }
  return resolved;
}

let available: boolean | undefined;
let cliVersion = '';

/** True when the Codex CLI is installed and runs (checked once with `codex --version`). */
export function codexAvailable(): boolean {
  if (available !== undefined) return available;
  const cmd = resolveCodex();
  if (!cmd) return (available = false);
  const r = spawnSync(cmd.command, [...cmd.args, '--version'], { encoding: 'utf8', timeout: 20_000 });
  const m = /codex-cli\s+(\S+)/.exec(r.stdout ?? '');
  if (r.status === 0 && m) {
    cliVersion = m[1]!;
    return (available = true);
  }
  return (available = false);
}

/** Strip rmcp's transport type names and the `A: A` repetition Codex's error chains produce. */
export function summarizeCodexError(error: string): string {
  let s = error.replace(/Send message error Transport \[[^\]]*\] error: /g, '');
  for (let i = s.indexOf(': '); i !== -1; i = s.indexOf(': ', i + 1)) {
    const tail = s.slice(i + 2);
    if (tail && s.slice(0, i).endsWith(tail)) {
      s = s.slice(0, i);
      break;
    }
  }
  return s;
}

interface JsonRpcMessage {
  id?: number | string;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

interface FakeModel {
  server: Server;
  port: number;
  firstBody: Promise<any>;
}

async function startFakeResponsesApi(): Promise<FakeModel> {
  let deliver!: (body: any) => void;
  const firstBody = new Promise<any>((r) => (deliver = r));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/responses')) {
        try {
          deliver(JSON.parse(body));
        } catch {
          // keep waiting for a parseable one
        }
      }
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"mcp-doctor codex oracle: no model here"}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, firstBody };
}

function psTable(): Promise<Array<{ pid: number; ppid: number; pgid: number }>> {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pid=,ppid=,pgid='], (err, stdout) => {
      if (err) return resolve([]);
      resolve(
        stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/).map(Number))
          .filter((a) => a.length === 3 && a.every((n) => Number.isInteger(n)))
          .map(([pid, ppid, pgid]) => ({ pid: pid!, ppid: ppid!, pgid: pgid! })),
      );
    });
  });
}

async function descendants(root: number): Promise<Array<{ pid: number; pgid: number }>> {
  const table = await psTable();
  const out: Array<{ pid: number; pgid: number }> = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const row of table) {
      if (row.ppid === p) {
        out.push({ pid: row.pid, pgid: row.pgid });
        queue.push(row.pid);
      }
    }
  }
  return out;
}

/** A timer that does not keep the process alive. */
function sleep(ms: number): Promise<undefined> {
  return new Promise((r) => setTimeout(() => r(undefined), Math.max(0, ms)).unref());
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function shutdown(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const ownPgid = (await psTable()).find((r) => r.pid === process.pid)?.pgid;
  const tree = exited(child) ? [] : await descendants(child.pid);
  const gone = new Promise<void>((r) => (exited(child) ? r() : child.once('exit', () => r())));
  child.stdin?.end();
  await Promise.race([gone, sleep(3000)]);
  const kill = (target: number) => {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  kill(-child.pid);
  if (!exited(child)) await Promise.race([gone, sleep(1000)]);
  // MCP servers run in process groups of their own; kill whatever of the snapshot survived.
  const alive = new Set((await psTable()).map((r) => `${r.pid}/${r.pgid}`));
  for (const { pid, pgid } of tree) {
    if (!alive.has(`${pid}/${pgid}`)) continue;
    if (pgid !== ownPgid && pgid !== child.pid) kill(-pgid);
    kill(pid);
  }
}

/** Ask the real Codex which configured MCP servers it can start, and what it gets from them. */
export async function askCodex(configToml: string, opts: AskCodexOptions = {}): Promise<CodexVerdict> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const cmd = resolveCodex();
  if (!cmd) throw new CodexOracleError('Codex CLI not found (install @openai/codex or set CODEX_ORACLE_BIN)', '');

  const tmp = await mkdtemp(join(tmpdir(), 'mcp-doctor-codex-'));
  const home = join(tmp, 'codex-home');
  const work = join(tmp, 'work');
  await mkdir(home);
  await mkdir(work);
  await writeFile(join(home, 'config.toml'), configToml);
  const clean = (s: string) => s.split(home).join('$CODEX_HOME');

  let fake: FakeModel | undefined;
  let child: ChildProcess | undefined;
  let stderr = '';
  // eslint-disable-next-line no-control-regex
  const stderrTail = () => clean(stderr.slice(-4000)).replace(/\x1b\[[0-9;]*m/g, '');
  let result: CodexVerdict | undefined;
  try {
    const args = [...cmd.args, 'app-server', ...OFFLINE_OVERRIDES];
    if (opts.session) {
      fake = await startFakeResponsesApi();
      args.push(
        '-c',
        'model_provider="mcp_doctor_oracle"',
        '-c',
        `model_providers.mcp_doctor_oracle={name="mcp-doctor oracle",base_url="http://127.0.0.1:${fake.port}/v1",wire_api="responses"}`,
        // A model Codex has no metadata for gets the fallback tool layout: MCP tools inline in
        // `tools` as `namespace` entries. The default model (gpt-6.1-sol in 0.169.0) defers them
        // behind tool search, so the first request only names the namespaces.
        '-c',
        `model="${ORACLE_MODEL}"`,
      );
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
    env.CODEX_HOME = home;

    const proc = spawn(cmd.command, args, { cwd: opts.cwd ?? work, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child = proc;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-64_000);
    });
    proc.stdin!.on('error', () => {}); // EPIPE when codex died

    const notifications: JsonRpcMessage[] = [];
    const waiters = new Set<() => void>();
    const pending = new Map<number, { resolve: (m: JsonRpcMessage) => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let fail: ((e: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});

    const deadline = started + timeoutMs;
    const timer = setTimeout(
      () => fail!(new CodexOracleError(`askCodex: no complete answer from codex within ${timeoutMs} ms`, stderrTail())),
      timeoutMs,
    );
    proc.on('exit', (code, signal) =>
      fail!(new CodexOracleError(`codex app-server exited early (code ${code}, signal ${signal})`, stderrTail())),
    );
    proc.on('error', (e) => fail!(new CodexOracleError(`cannot start codex: ${e.message}`, '')));

    const send = (m: JsonRpcMessage) => proc.stdin!.write(JSON.stringify(m) + '\n');
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let m: JsonRpcMessage;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.method !== undefined && m.id !== undefined) {
        // a server->client request (approval, elicitation...): we never approve anything
        send({ id: m.id, error: { code: -32601, message: 'mcp-doctor codex oracle does not handle requests' } });
      } else if (m.method !== undefined) {
        notifications.push(m);
        for (const w of waiters) w();
      } else if (typeof m.id === 'number' && pending.has(m.id)) {
        pending.get(m.id)!.resolve(m);
        pending.delete(m.id);
      }
    });
    const request = (method: string, params: unknown): Promise<JsonRpcMessage> => {
      const id = nextId++;
      const answer = new Promise<JsonRpcMessage>((resolve, reject) => pending.set(id, { resolve, reject }));
      send({ id, method, params });
      return Promise.race([answer, failed]);
    };
    const until = (pred: () => boolean, ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (pred()) return resolve(true);
        const t = setTimeout(() => {
          waiters.delete(check);
          resolve(false);
        }, Math.max(0, ms));
        const check = () => {
          if (pred()) {
            clearTimeout(t);
            waiters.delete(check);
            resolve(true);
          }
        };
        waiters.add(check);
        failed.catch(() => {
          clearTimeout(t);
          waiters.delete(check);
          resolve(false);
        });
      });

    try {
      const init = await request('initialize', { clientInfo: { name: 'mcp-doctor-tests', title: null, version: '0' } });
      if (init.error) throw new CodexOracleError(`initialize failed: ${init.error.message}`, stderrTail());
      send({ method: 'initialized' });
      const version =
        /^[^/\s]+\/(\d[^\s]*)/.exec(String(init.result?.userAgent ?? ''))?.[1] ?? (codexAvailable() ? cliVersion : 'unknown');

      const verdict: CodexVerdict = { version, servers: {}, warnings: [], durationMs: 0, stderr: '', raw: undefined };
      const raw: Record<string, unknown> = { initialize: init.result, pages: [] as unknown[] };
      let threadId: string | undefined;

      if (opts.session) {
        const th = await request('thread/start', { ephemeral: true, cwd: opts.cwd ?? work });
        raw.threadStart = th.error ?? { threadId: th.result?.thread?.id };
        if (th.error) {
          verdict.sessionError = clean(th.error.message);
          if (/config/i.test(th.error.message) && !/MCP server/i.test(th.error.message)) verdict.configError = clean(th.error.message);
        } else {
          threadId = String(th.result.thread.id);
        }
      }

      const TERMINAL = new Set(['ready', 'failed', 'cancelled']);
      const statusOf = (name: string) => {
        let last: any;
        for (const n of notifications)
          if (n.method === 'mcpServer/startupStatus/updated' && n.params?.threadId === threadId && n.params?.name === name) last = n.params;
        return last;
      };
      const listAll = async (): Promise<any[] | { error: string }> => {
        const data: any[] = [];
        let cursor: string | null = null;
        do {
          const params: Record<string, unknown> = { detail: 'full' };
          if (cursor) params.cursor = cursor;
          if (threadId) params.threadId = threadId;
          const page = await request('mcpServerStatus/list', params);
          (raw.pages as unknown[]).push(page.error ?? page.result);
          if (page.error) return { error: page.error.message };
          data.push(...(page.result.data as any[]));
          cursor = page.result.nextCursor ?? null;
        } while (cursor);
        return data;
      };

      if (!opts.session || threadId) {
        let data: any[] = [];
        for (;;) {
          const r = await listAll();
          if (!Array.isArray(r)) {
            if (!/config/i.test(r.error)) throw new CodexOracleError(`mcpServerStatus/list failed: ${r.error}`, stderrTail());
            verdict.configError = clean(r.error);
            break;
          }
          data = r;
          if (!threadId) break; // without a thread the list answers only after every startup finished
          // In a thread the servers start in the background, and the list can answer while some
          // are still `starting`: wait for their startupStatus notification, then ask again.
          const starting = r.filter((x) => x.runtimeStatus === 'starting' || x.runtimeStatus === 'notStarted').map((x) => String(x.name));
          if (starting.length === 0) break;
          raw.startingPolls = Number(raw.startingPolls ?? 0) + 1;
          await until(() => starting.every((n) => TERMINAL.has(statusOf(n)?.status)), 250);
          await sleep(50);
        }
        for (const s of data) {
          const tools = Object.keys(s.tools ?? {}).sort();
          const v: CodexServerVerdict = {
            connected: s.toolsError == null && s.serverInfo != null && (s.runtimeStatus == null || s.runtimeStatus === 'connected'),
            authStatus: s.authStatus,
          };
          if (s.serverInfo) v.serverInfo = { name: s.serverInfo.name, version: s.serverInfo.version, title: s.serverInfo.title };
          if (v.connected) {
            v.tools = tools;
            v.toolCount = tools.length;
          }
          if (s.toolsError != null) {
            v.error = clean(String(s.toolsError));
            v.errorSummary = summarizeCodexError(v.error);
          }
          if (s.runtimeStatus != null) v.runtimeStatus = s.runtimeStatus;
          // Measured: without a thread a disabled server comes back with neither serverInfo nor toolsError.
          if (s.runtimeStatus === 'disabled' || (s.runtimeStatus == null && s.serverInfo == null && s.toolsError == null)) v.disabled = true;
          verdict.servers[s.name] = v;
        }
      }

      if (threadId) {
        const expected = Object.entries(verdict.servers)
          .filter(([, v]) => v.runtimeStatus !== 'disabled')
          .map(([name]) => name);
        // Make sure the startup notifications (with the user-visible error text) are in too.
        await until(() => expected.every((n) => TERMINAL.has(statusOf(n)?.status)), Math.min(2000, deadline - Date.now()));
        for (const name of expected) {
          const st = statusOf(name);
          const v = verdict.servers[name]!;
          if (st) v.startupStatus = st.status;
          if (st?.error) {
            v.startupError = clean(st.error);
            v.error ??= v.startupError;
            v.errorSummary ??= summarizeCodexError(v.error);
          }
        }
        // One turn against the fake Responses API: its request body lists the tools the model sees.
        const turn = await request('turn/start', { threadId, input: [{ type: 'text', text: 'ping', text_elements: [] }] });
        if (turn.error) {
          raw.turnError = turn.error;
        } else {
          const body = await Promise.race([fake!.firstBody, failed, sleep(deadline - Date.now())]);
          const tools: any[] = (body as any)?.tools ?? [];
          raw.modelTools = tools.map((t) => ({ type: t.type, name: t.name, tools: t.tools?.map((x: any) => x.name) }));
          for (const [name, v] of Object.entries(verdict.servers)) {
            const ns = `mcp__${name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
            const entry = tools.find((t) => t.type === 'namespace' && t.name === ns);
            if (entry) {
              v.modelNamespace = ns;
              v.modelTools = (entry.tools ?? []).map((x: any) => String(x.name));
            }
          }
        }
      }

      for (const n of notifications) {
        if (n.method === 'configWarning' || n.method === 'warning') {
          const text = [n.params?.summary ?? n.params?.message, n.params?.details].filter(Boolean).join(': ');
          // (a session loads the config twice, so the same warning can come twice)
          if (text && !/bubblewrap/i.test(text) && !text.includes(ORACLE_MODEL) && !verdict.warnings.includes(clean(text))) verdict.warnings.push(clean(text));
        }
      }
      raw.notifications = notifications.filter((n) => !/^(item|turn|thread)\//.test(n.method ?? ''));
      verdict.raw = raw;
      result = verdict;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    if (child) await shutdown(child);
    if (fake) {
      fake.server.closeAllConnections();
      await new Promise((r) => fake!.server.close(r));
    }
    await rm(tmp, { recursive: true, force: true });
  }
  result.durationMs = Date.now() - started;
  result.stderr = stderrTail();
  return result;
}
