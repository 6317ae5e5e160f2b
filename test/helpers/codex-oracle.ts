// The "Codex oracle": ask the real Codex CLI (`@openai/codex`, pinned in scripts/test-deps.mjs) what it makes
// of a config.toml, so tests can pin mcp-doctor's verdicts to Codex's actual behaviour.
//
// A thin wrapper over the product's app-server client (src/codex/app-server.ts,
// src/codex/server-status.ts: temp CODEX_HOME, offline `-c` overrides, `mcpServerStatus/list`,
// the process tree ended afterwards; see docs/codex-behaviour-measured.md). What it adds for
// tests: the pinned `@openai/codex` of the test-deps cache as the binary (or CODEX_ORACLE_BIN), `process.env` as
// the base environment, and the session mode:
//
// With `session: true` it opens a real (ephemeral) thread: `thread/start` starts the servers in
// the background and emits `mcpServer/startupStatus/updated` notifications (starting -> ready |
// failed | cancelled, with the user-visible error text such as "MCP client for `x` failed to
// start: ..."); `mcpServerStatus/list` with the `threadId` reports `runtimeStatus` and can answer
// while a server is still `starting`, so the helper waits for the terminal notification and asks
// again. Then a `turn/start` is sent to a fake Responses API on 127.0.0.1 (a `-c model_providers...`
// override), whose request body carries the tools exactly as the model would see them (namespace
// `mcp__<server>`, names sanitised, colliding names hash-suffixed). The fake answers 500, nothing
// reaches OpenAI.
//
// Environment. Codex itself gets `process.env` overlaid with `opts.env` (a value of `undefined`
// removes the variable); that is where `bearer_token_env_var`, `env_http_headers` and `env_vars`
// are read from. Codex does not hand that environment to stdio servers: on Linux 0.169.0 a stdio
// server gets only HOME, LANG, LC_ALL, LOGNAME, PATH (Codex's helper dir prepended), SHELL, TERM,
// TMPDIR, TZ, USER, __CF_USER_TEXT_ENCODING, the CA-bundle variables (SSL_CERT_FILE,
// NODE_EXTRA_CA_CERTS, CURL_CA_BUNDLE, GIT_SSL_CAINFO, PIP_CERT, REQUESTS_CA_BUNDLE,
// CARGO_HTTP_CAINFO, NPM_CONFIG_CAFILE, npm_config_cafile, CODEX_CA_CERTIFICATE), then the config's
// `env_vars`, then its literal `env`.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { testDepPath } from './test-deps.ts';
import { CodexAppServerError, withAppServer, type CodexCommand } from '../../src/codex/app-server.ts';
import { codexNamespace } from '../../src/stages/model-view.ts';
import { listServerStatus, summarizeCodexError, verdictOf, warningsOf, type CodexServerVerdict } from '../../src/codex/server-status.ts';

export { summarizeCodexError, type CodexServerVerdict };

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
  /** With `credentialsJson`: the temp home's `.credentials.json` after the run (what Codex wrote back), or null. */
  credentialsAfter?: Record<string, any> | null;
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
  /** Only these servers are started (one `serverName` request each). */
  names?: string[];
  /** A CODEX_HOME whose `.credentials.json` (OAuth logins) Codex starts with (copied, minus refresh tokens). */
  credentialsFrom?: string;
  /** `.credentials.json` for Codex's temp home, verbatim (refresh tokens kept: Codex may refresh and rotate them). */
  credentialsJson?: string;
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

let resolved: CodexCommand | null | undefined;

/** How to run Codex: CODEX_ORACLE_BIN, else the pinned `@openai/codex` of the test-deps cache (scripts/test-deps.mjs) under this node. */
export function resolveCodex(): CodexCommand | null {
  if (resolved !== undefined) return resolved;
  resolved = null;
  const override = process.env.CODEX_ORACLE_BIN;
  if (override) {
    resolved = existsSync(override) ? { command: override, args: [] } : null;
    return resolved;
  }
  try {
    const script = testDepPath('codex', '@openai/codex', 'bin', 'codex.js');
    if (existsSync(script)) resolved = { command: process.execPath, args: [script] };
  } catch {
    // could not be installed (offline): the oracle tests say so and skip
  }
  return resolved;
}

/** The `@openai/codex` bin script itself (an executable with a `#!/usr/bin/env node` line), for `--codex-bin`. */
export function codexBinPath(): string | null {
  const cmd = resolveCodex();
  return cmd ? (cmd.args[0] ?? cmd.command) : null;
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

function sleep(ms: number): Promise<undefined> {
  return new Promise((r) => setTimeout(() => r(undefined), Math.max(0, ms)).unref());
}

/** Ask the real Codex which configured MCP servers it can start, and what it gets from them. */
export async function askCodex(configToml: string, opts: AskCodexOptions = {}): Promise<CodexVerdict> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const cmd = resolveCodex();
  if (!cmd) throw new CodexOracleError('Codex CLI not found (install @openai/codex or set CODEX_ORACLE_BIN)', '');

  let fake: FakeModel | undefined;
  const overrides: string[] = [];
  if (opts.session) {
    fake = await startFakeResponsesApi();
    overrides.push(
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
  try {
    const { value, stderr } = await withAppServer(
      {
        codex: cmd,
        deps: { spawn, env: process.env, platform: process.platform },
        configToml,
        overrides,
        env: opts.env,
        cwd: opts.cwd,
        timeoutMs,
        credentialsFrom: opts.credentialsFrom,
        ...(opts.credentialsJson !== undefined ? { credentialsJson: opts.credentialsJson } : {}),
        clientName: 'mcp-doctor-tests',
      },
      async (s) => {
        const verdict: CodexVerdict = { version: s.version === 'unknown' && codexAvailable() ? cliVersion : s.version, servers: {}, warnings: [], durationMs: 0, stderr: '', raw: undefined };
        const raw: Record<string, unknown> = { initialize: s.initializeResult };
        let threadId: string | undefined;
        const cwd = opts.cwd ?? s.work;

        if (opts.session) {
          const th = await s.request('thread/start', { ephemeral: true, cwd });
          raw.threadStart = th.error ?? { threadId: th.result?.thread?.id };
          if (th.error) {
            verdict.sessionError = s.clean(th.error.message);
            if (/config/i.test(th.error.message) && !/MCP server/i.test(th.error.message)) verdict.configError = s.clean(th.error.message);
          } else {
            threadId = String(th.result.thread.id);
          }
        }

        const TERMINAL = new Set(['ready', 'failed', 'cancelled']);
        const statusOf = (name: string) => {
          let last: any;
          for (const n of s.notifications)
            if (n.method === 'mcpServer/startupStatus/updated' && n.params?.threadId === threadId && n.params?.name === name) last = n.params;
          return last;
        };

        if (!opts.session || threadId) {
          let data: any[] = [];
          for (;;) {
            const r = await listServerStatus(s, { threadId, names: opts.names });
            if ('configError' in r) {
              verdict.configError = r.configError;
              break;
            }
            data = r.data;
            if (!threadId) break; // without a thread the list answers only after every startup finished
            // In a thread the servers start in the background, and the list can answer while some
            // are still `starting`: wait for their startupStatus notification, then ask again.
            const starting = data.filter((x) => x.runtimeStatus === 'starting' || x.runtimeStatus === 'notStarted').map((x) => String(x.name));
            if (starting.length === 0) break;
            raw.startingPolls = Number(raw.startingPolls ?? 0) + 1;
            await s.until(() => starting.every((n) => TERMINAL.has(statusOf(n)?.status)), 250);
            await sleep(50);
          }
          raw.data = data;
          for (const x of data) verdict.servers[x.name] = verdictOf(x, s.clean);
        }

        if (threadId) {
          const expected = Object.entries(verdict.servers)
            .filter(([, v]) => v.runtimeStatus !== 'disabled')
            .map(([name]) => name);
          // Make sure the startup notifications (with the user-visible error text) are in too.
          await s.until(() => expected.every((n) => TERMINAL.has(statusOf(n)?.status)), Math.min(2000, s.remainingMs()));
          for (const name of expected) {
            const st = statusOf(name);
            const v = verdict.servers[name]!;
            if (st) v.startupStatus = st.status;
            if (st?.error) {
              v.startupError = s.clean(st.error);
              v.error ??= v.startupError;
              v.errorSummary ??= summarizeCodexError(v.error);
            }
          }
          // One turn against the fake Responses API: its request body lists the tools the model sees.
          const turn = await s.request('turn/start', { threadId, input: [{ type: 'text', text: 'ping', text_elements: [] }] });
          if (turn.error) {
            raw.turnError = turn.error;
          } else {
            const body = await Promise.race([fake!.firstBody, sleep(s.remainingMs())]);
            const tools: any[] = (body as any)?.tools ?? [];
            raw.modelTools = tools.map((t) => ({ type: t.type, name: t.name, tools: t.tools?.map((x: any) => x.name) }));
            for (const [name, v] of Object.entries(verdict.servers)) {
              const ns = codexNamespace(name); // `-` too becomes `_` (measured with 0.171: my-server → mcp__my_server)
              const entry = tools.find((t) => t.type === 'namespace' && t.name === ns);
              if (entry) {
                v.modelNamespace = ns;
                v.modelTools = (entry.tools ?? []).map((x: any) => String(x.name));
              }
            }
          }
        }

        // (a session loads the config twice, so the same warning can come twice; warningsOf dedupes)
        verdict.warnings = warningsOf(s).filter((w) => !w.includes(ORACLE_MODEL));
        raw.notifications = s.notifications.filter((n) => !/^(item|turn|thread)\//.test(n.method ?? ''));
        verdict.raw = raw;
        if (opts.credentialsJson !== undefined) {
          const path = join(s.home, '.credentials.json');
          verdict.credentialsAfter = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>) : null;
        }
        return verdict;
      },
    );
    value.durationMs = Date.now() - started;
    value.stderr = stderr;
    return value;
  } catch (error) {
    if (error instanceof CodexAppServerError) {
      const message =
        error.kind === 'timeout'
          ? `askCodex: no complete answer from codex within ${timeoutMs} ms`
          : error.kind === 'exited'
            ? error.message
            : error.kind === 'spawn-failed'
              ? `cannot start codex: ${error.message}`
              : error.message;
      throw new CodexOracleError(message, error.stderr);
    }
    throw error;
  } finally {
    if (fake) {
      fake.server.closeAllConnections();
      await new Promise((r) => fake!.server.close(r));
    }
  }
}
