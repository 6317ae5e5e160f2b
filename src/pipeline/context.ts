import type { spawn } from 'node:child_process';
import type { Dispatcher } from 'undici';
import type { CodexOAuthGlobals } from '../config/oauth-globals.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { NetworkEnv } from '../config/network-env.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, ServerInfo, ServerReport, StageName, ToolsSummary, TranscriptEntry } from '../types.ts';

export interface Clock {
  /** Monotonic milliseconds, for durations and deadlines. */
  now(): number;
  /** Wall-clock epoch milliseconds, for what is compared with stored timestamps (token `expires_at`). */
  epochMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Everything a stage may touch outside its own memory. Tests pass fakes or loopback servers;
 * stages never reach for globals (process.env, Date.now, child_process) directly.
 */
export interface Deps {
  /** undici dispatcher for every HTTP request; undefined means undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /**
   * The proxy and CA variables `dispatcher` applies, as Codex reads them from `env`; set only
   * when the dispatcher was built from them (see defaultDeps), so stages can say which applied.
   */
  network?: NetworkEnv;
  spawn: typeof spawn;
  clock: Clock;
  /** The environment mcp-doctor runs in: what Codex, started from the same shell, would inherit. */
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  cwd: string;
  /** `$CODEX_HOME` (default `~/.codex`): credentials and logs live there. */
  codexHome: string;
  readFile(path: string): Promise<string>;
  fileExists(path: string): Promise<boolean>;
  /** Size in bytes (following links), to bound what is read; optional for fakes. Throws as stat does. */
  fileSize?(path: string): Promise<number>;
}

export interface CheckOptions {
  /** `--timeout` in ms: the upper bound of one server's whole check. */
  timeoutMs?: number;
  verbose: boolean;
  /**
   * `--deep`: also send the spec-conformance probes whose answers no Codex behaviour depends on
   * (missing session id, missing / unsupported MCP-Protocol-Version, ended session, the
   * 2026-07-28 `server/discover`). Without it a healthy Streamable HTTP server gets the requests
   * Codex sends plus the probes that predict a Codex failure (unknown session, and for local
   * servers a foreign Origin): 7 requests to a healthy local server instead of 12, and no
   * warning a user of Codex cannot act on (they would fail `--strict` pre-flights).
   */
  deep?: boolean;
  /** At most this many servers are checked at once. */
  concurrency: number;
  /** Top-level OAuth settings of the Codex config (credential store, callback port / URL). */
  codexGlobals?: CodexOAuthGlobals;
}

export interface Transcript {
  readonly entries: TranscriptEntry[];
  /**
   * False unless the report will show the transcript (--verbose): then `add` keeps nothing, and
   * callers skip building entries (formatting and redacting every exchange was ~15% of a check).
   */
  readonly enabled: boolean;
  /** Records an event; `text` is redacted here, so callers may pass raw wire bytes. */
  add(kind: TranscriptEntry['kind'], text: string): void;
}

export interface ServerContext {
  server: ServerConfig;
  deps: Deps;
  options: CheckOptions;
  /** `clock.now()` value by which the whole check of this server must end. */
  deadline: number;
  /** Codex's own budget for initialize + tools/list (startup_timeout_sec) in ms. */
  codexBudgetMs: number;
  /** Aborted when the deadline passes. */
  signal: AbortSignal;
  redact: Redactor;
  transcript: Transcript;
  /** Redacted stderr lines of a stdio server (the tail is kept). */
  stderr: string[];
  /** Milliseconds left before the deadline. */
  remainingMs(): number;
  /**
   * The server's claim on one of the LARGE_ANSWER_SLOTS shared by all servers checked at once
   * (src/pipeline/large-answers.ts); absent in tests that build a context by hand (no bound).
   */
  largeAnswer?: LargeAnswerGate;
  /**
   * Stops the deadline while the doctor does something Codex does not (its own probes) or waits
   * on itself (a large-answer slot); returns the resume. The pause counts at most the server's
   * own budget in all. Absent in hand-made contexts (then nothing pauses).
   */
  pauseDeadline?(): () => void;
  /** Milliseconds the deadline has stood still so far: not the server's time. */
  pausedMs?(): number;
}

/** See src/pipeline/large-answers.ts. */
export interface LargeAnswerGate {
  /** This server holds a slot: its large answers are read without waiting. */
  readonly held: boolean;
  /** A wait for a slot was ended by the deadline: an answer was left unread (not verified). */
  readonly starved: boolean;
  /** Waits for a slot, the server's deadline paused meanwhile; false when the deadline passed first. */
  acquire(): Promise<boolean>;
  /** Gives the slot back: the stage that read the large answer has ended. */
  release(): void;
}

/** What a stage returns. The runner derives the stage status from the findings. */
export interface StageOutcome {
  summary: string;
  findings?: Finding[];
  /** The stage does not apply to this server; `summary` is the reason. */
  skipped?: boolean;
  server?: Partial<ServerInfo>;
  tools?: ToolsSummary;
  /** The stages after this one are skipped with this reason (what follows cannot be verified). */
  stop?: string;
}

export type StageFn = (ctx: ServerContext) => Promise<StageOutcome>;

/** The stages after `config` for one transport, sharing state through the closure that made them. */
export interface ServerPlan {
  stages: Record<Exclude<StageName, 'config'>, StageFn>;
  /** Always called, even after a crash or a timeout: must end every process and socket. */
  cleanup(ctx: ServerContext): Promise<void>;
  /**
   * Report fields beyond the stages' (a stdio bridge's remote diagnosis), collected after the
   * last stage and before cleanup; the runner bounds the wait.
   */
  extras?(ctx: ServerContext): Promise<Pick<ServerReport, 'bridge'>>;
}
