// The turn-level Codex oracle: one real `codex exec` turn against a mock Responses API on
// 127.0.0.1 (mock-responses.ts), to see what the MODEL is sent. Where askCodex({ session: true })
// (codex-oracle.ts) stops at the first request (the fake answers 500), this one plays the model:
//
//   1. Codex starts the configured MCP servers and sends its first `POST /v1/responses`; its body
//      holds every tool offered to the model, MCP tools as `{type: "namespace", name: "mcp__<server>",
//      tools: [{type: "function", name, description, strict, parameters}]}` after Codex's own
//      renaming and schema rewriting. Tools Codex could not turn into a tool spec are missing
//      there; Codex logs each (`WARN codex_core::mcp_tool_exposure: Skipping MCP tool `…`: failed to
//      build tool spec: <why>`), which is read from its stderr (RUST_LOG=warn).
//   2. The mock answers with a `function_call` (the `call` option picks the tool and arguments
//      from what was offered): Codex runs `tools/call` against the MCP server.
//   3. Codex's next request carries the `function_call_output` (what the model reads back); the
//      mock answers with a final message, the turn ends and `codex exec` exits.
//
// No account, no network: the provider is `model_providers.mcp_doctor_mock` (base_url = the mock,
// wire_api = "responses", env_key = a variable set here with a throwaway key). Codex gets a
// temporary CODEX_HOME holding the config, plugins/apps/analytics off (OFFLINE_OVERRIDES), a model
// name it has no metadata for (so MCP tools are inline in `tools`, not deferred behind tool
// search), approvals `never` and no sandbox (the call must run unattended). The run is bounded by
// `timeoutMs`; codex and everything it started are ended (process groups) and the temp dirs removed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { endProcessTree, OFFLINE_OVERRIDES } from '../../src/codex/app-server.ts';
import { codexAvailable, resolveCodex } from './codex-oracle.ts';
import { startMockResponses, type CapturedRequest, type MockResponses } from './mock-responses.ts';

export const TURN_ORACLE_MODEL = 'mcp-doctor-oracle-model';
/** A function no one offers: calling it makes Codex answer "unsupported call" and ask the model again. */
const WAIT_FUNCTION = 'mcp_doctor_wait_for_mcp_servers';
const WAIT_STEP_MS = 400;
const PROVIDER = 'mcp_doctor_mock';
const KEY_VAR = 'MCP_DOCTOR_MOCK_RESPONSES_KEY';

/** One function tool as the model is offered it. */
export interface ModelTool {
  /** The `namespace` entry it sits in (`mcp__<server>`), if any. */
  namespace?: string;
  name: string;
  description?: string;
  strict?: boolean;
  parameters?: unknown;
}

export interface ToolCallChoice {
  namespace?: string;
  name: string;
  /** Serialised as the call's `arguments` string. */
  arguments: unknown;
}

export interface CodexTurnOptions {
  /** Upper bound for the whole turn, Codex's start-up and MCP servers included. Default 60 000. */
  timeoutMs?: number;
  /** Overlaid on process.env for codex; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Picks the call the mock model makes from the tools offered; undefined: no call, just a reply. */
  call?: (tools: ModelTool[]) => ToolCallChoice | undefined;
  /**
   * Namespaces (`mcp__<server>`) to wait for. `codex exec` does not hold its first model request
   * until every MCP server is ready (0.171 went ahead after ~4 s), and it rebuilds the tool list
   * for every request of a turn: until these namespaces are offered, the mock answers with a call
   * to a function that does not exist (Codex replies "unsupported call" and asks again), every
   * `WAIT_STEP_MS`, within `waitMs` (default: what is left of `timeoutMs` minus 10 s).
   */
  waitFor?: string[];
  waitMs?: number;
  prompt?: string;
}

export interface CodexTurn {
  version: string;
  /** Every request the mock got (bodies parsed). */
  requests: CapturedRequest[];
  /** The function tools of the model request the mock chose on (the first, or the first offering every `waitFor` namespace). */
  tools: ModelTool[];
  /** `mcp__<server>` → the function tools in that namespace. */
  namespaces: Record<string, ModelTool[]>;
  /** Index of that request among the `/responses` requests, and whether every `waitFor` namespace came. */
  offeredAt: number;
  waited: boolean;
  /** Tools Codex left out, from its log: `qualified` as Codex prints it (`mcp__<server><tool>`, no separator). */
  skipped: { qualified: string; reason: string }[];
  /** The call the mock made. */
  call?: ToolCallChoice & { callId: string };
  /** The `function_call_output` item Codex sent back for it. */
  callOutput?: { call_id: string; output: unknown };
  /** `codex exec --json` events (thread/turn/item). */
  events: any[];
  /** The agent's final message as `codex exec` reported it. */
  finalMessage?: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Tail of codex's stderr, temp paths replaced. */
  stderr: string;
}

export class CodexTurnError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(stderr ? `${message}\n--- codex stderr (tail) ---\n${stderr}` : message);
    this.name = 'CodexTurnError';
  }
}

/** Flattens a request's `tools` (namespaces → their functions). */
export function modelToolsOf(body: any): { tools: ModelTool[]; namespaces: Record<string, ModelTool[]> } {
  const tools: ModelTool[] = [];
  const namespaces: Record<string, ModelTool[]> = {};
  for (const t of Array.isArray(body?.tools) ? body.tools : []) {
    if (t?.type === 'namespace' && Array.isArray(t.tools)) {
      const inner: ModelTool[] = t.tools
        .filter((x: any) => x?.type === 'function')
        .map((x: any) => ({ namespace: String(t.name), name: String(x.name), description: x.description, strict: x.strict, parameters: x.parameters }));
      namespaces[String(t.name)] = inner;
      tools.push(...inner);
    } else if (t?.type === 'function') {
      tools.push({ name: String(t.name), description: t.description, strict: t.strict, parameters: t.parameters });
    }
  }
  return { tools, namespaces };
}

/** `… Skipping MCP tool `mcp__fxr10`: failed to build tool spec: <why>` lines, deduplicated. */
export function skippedTools(stderr: string): { qualified: string; reason: string }[] {
  const seen = new Map<string, string>();
  // eslint-disable-next-line no-control-regex
  for (const line of stderr.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    const m = /Skipping MCP tool `([^`]*)`: (.*)$/.exec(line);
    if (m && !seen.has(m[1]!)) seen.set(m[1]!, m[2]!.trim());
  }
  return [...seen].map(([qualified, reason]) => ({ qualified, reason }));
}

/** Runs one `codex exec` turn with `configToml`'s MCP servers against the mock model. */
export async function runCodexTurn(configToml: string, opts: CodexTurnOptions = {}): Promise<CodexTurn> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const codex = resolveCodex();
  if (!codex || !codexAvailable()) throw new CodexTurnError('Codex CLI not found (install @openai/codex or set CODEX_ORACLE_BIN)', '');
  const key = `mock-key-${process.pid}-${Date.now()}`;

  let call: CodexTurn['call'];
  let offeredAt = -1;
  let waited = (opts.waitFor ?? []).length === 0;
  const waitUntil = started + (opts.waitMs ?? Math.max(0, timeoutMs - 10_000));
  const mock: MockResponses = await startMockResponses({
    apiKey: key,
    reply: async (body, n) => {
      if (offeredAt >= 0) return { message: 'mcp-doctor mock model: done' };
      const offered = modelToolsOf(body);
      const missing = (opts.waitFor ?? []).filter((ns) => !offered.namespaces[ns]);
      if (missing.length > 0 && performance.now() < waitUntil) {
        await sleep(WAIT_STEP_MS);
        return { functionCall: { name: WAIT_FUNCTION, arguments: '{}', callId: `call_mcp_doctor_wait_${n}` } };
      }
      offeredAt = n;
      waited = missing.length === 0;
      const choice = opts.call?.(offered.tools);
      if (choice) {
        call = { ...choice, callId: 'call_mcp_doctor_1' };
        return { functionCall: { name: choice.name, namespace: choice.namespace, arguments: JSON.stringify(choice.arguments ?? {}), callId: call.callId } };
      }
      return { message: 'mcp-doctor mock model: done' };
    },
  });

  const tmp = await mkdtemp(join(tmpdir(), 'mcp-doctor-turn-'));
  const home = join(tmp, 'codex-home');
  const work = join(tmp, 'work');
  let child: ChildProcess | undefined;
  let stderr = '';
  const events: any[] = [];
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const clean = (s: string) => s.split(home).join('$CODEX_HOME').split(tmp).join('$TMP');
  try {
    await mkdir(home);
    await mkdir(work);
    const provider = [
      `model_provider = "${PROVIDER}"`,
      `model = "${TURN_ORACLE_MODEL}"`,
      'approval_policy = "never"',
      'sandbox_mode = "danger-full-access"',
      '',
      `[model_providers.${PROVIDER}]`,
      'name = "mcp-doctor mock Responses API"',
      `base_url = "${mock.baseUrl}"`,
      'wire_api = "responses"',
      `env_key = "${KEY_VAR}"`,
      // One attempt: a mock that answers wrongly should fail the turn, not be retried for minutes.
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n');
    await writeFile(join(home, 'config.toml'), `${provider}\n${configToml}`, { mode: 0o600 });

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
    env.CODEX_HOME = home;
    env[KEY_VAR] = key;
    env.RUST_LOG = 'warn';
    const args = [...codex.args, 'exec', '--skip-git-repo-check', '--json', ...OFFLINE_OVERRIDES, opts.prompt ?? 'Call the tool.'];
    const proc = spawn(codex.command, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child = proc;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-256_000);
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        events.push(JSON.parse(line));
      } catch {
        // not an event
      }
    });
    const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve({ code: null });
      }, timeoutMs);
      proc.on('exit', (code) => resolve({ code }));
      proc.on('error', (error) => resolve({ code: null, error }));
    });
    if (exit.error) throw new CodexTurnError(`cannot start codex: ${exit.error.message}`, '');

    const responses = mock.responses();
    const output = responses
      .slice(Math.max(1, offeredAt + 1))
      .flatMap((r) => (Array.isArray(r.body?.input) ? r.body.input : []))
      .find((item: any) => item?.type === 'function_call_output' && item.call_id === call?.callId);
    const { tools, namespaces } = modelToolsOf(responses[Math.max(0, offeredAt)]?.body);
    const message = [...events].reverse().find((e) => e?.type === 'item.completed' && e.item?.type === 'agent_message');
    // eslint-disable-next-line no-control-regex
    const tail = clean(stderr.slice(-8000)).replace(/\x1b\[[0-9;]*m/g, '');
    return {
      version: codexVersion(),
      requests: mock.requests,
      tools,
      namespaces,
      offeredAt,
      waited,
      skipped: skippedTools(stderr),
      call,
      callOutput: output ? { call_id: output.call_id, output: output.output } : undefined,
      events,
      finalMessage: message?.item?.text,
      exitCode: exit.code,
      timedOut,
      durationMs: Math.round(performance.now() - started),
      stderr: tail,
    };
  } finally {
    clearTimeout(timer);
    if (child) await endProcessTree(child, { spawn, platform: process.platform });
    await mock.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());
}

function codexVersion(): string {
  // codexAvailable() ran `codex --version` once; askCodex keeps the parsed value private, so ask again cheaply.
  return cachedVersion ?? (cachedVersion = readVersion());
}

let cachedVersion: string | undefined;

function readVersion(): string {
  const cmd = resolveCodex();
  if (!cmd) return 'unknown';
  const r = spawnSync(cmd.command, [...cmd.args, '--version'], { encoding: 'utf8', timeout: 20_000 });
  return /codex-cli\s+(\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}
