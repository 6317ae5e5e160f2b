import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Clock, Deps, LargeAnswerGate, Transcript } from '../../pipeline/context.ts';
import type { Redactor } from '../../redact.ts';
import { trackGroup } from './process-groups.ts';
import { LARGE_ANSWER_BYTES, ownCopy, STDERR_LINE_CHARS, STDERR_TAIL_LINES, STDIO_MAX_NOISE_RECORDS } from '../../limits.ts';
import type { WireProblem } from '../codex-wire.ts';
import { StdoutLineReader, type JsonRpcMessage, type NoiseKind, type StdoutEvent } from './stdout-lines.ts';
import { setDelay } from '../../deadline.ts';
import { scanTree, trackTree } from './process-tree.ts';

export interface SpawnSpec {
  /** Absolute path of the program (already resolved). */
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** POSIX: start the server in its own process group, so the whole tree can be signalled. */
  processGroup: boolean;
  /** Windows: `args` are already quoted for cmd.exe (a .cmd/.bat shim run through it). */
  verbatimArgs?: boolean;
}

export interface SessionHooks {
  redact: Redactor;
  clock: Clock;
  /** Wire events go here (redacted by the transcript); omitted for probe runs. */
  transcript?: Transcript;
  /** Redacted stderr lines are appended here (the runner keeps the tail); omitted for probe runs. */
  stderr?: string[];
  /** A line longer than LARGE_ANSWER_BYTES is read on only with a slot (src/pipeline/large-answers.ts). */
  largeAnswer?: LargeAnswerGate;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** clock.now() when the process exited. */
  at: number;
  /** The process is still running but closed its stdout: for a client the connection is over. */
  stdoutClosed?: boolean;
}

export interface NoiseRecord {
  kind: NoiseKind;
  /** Redacted, truncated bytes as seen. */
  sample: string;
  at: number;
  /** codex-unreadable: why Codex's JSON reader refuses the message. */
  wire?: WireProblem[];
  /** oversized-line: how many bytes the line had when it was cut off; too-many-values: its length. */
  bytes?: number;
  /** too-many-values: the values counted (at least). */
  values?: number;
}

export type RequestOutcome =
  | { kind: 'response'; message: JsonRpcMessage; at: number; recoveredFrom?: NoiseKind }
  | { kind: 'exited'; exit: ExitInfo }
  | { kind: 'aborted' }
  /** The answer came but has more than JSON_MAX_VALUES values: not parsed, so not verified. */
  | { kind: 'unparsed'; values: number; bytes: number; at: number };

export type SpawnResult = { ok: true; session: StdioSession } | { ok: false; error: NodeJS.ErrnoException };

const STDERR_KEEP_LINES = STDERR_TAIL_LINES;
const SAMPLE_CHARS = 300;
const TRANSCRIPT_CHARS = 4000;
/** Bytes written to the server's stdin and not yet read by it, past which replies are dropped. */
const STDIN_BACKLOG_BYTES = 1024 * 1024;
/** After 'exit', how long stdout/stderr may take to drain before the exit is reported. */
const DRAIN_MS = 300;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/**
 * One running stdio server: newline-delimited JSON-RPC over stdin/stdout, every stdout line
 * classified, stderr kept line by line (redacted). It never prints and never outlives its
 * owner: `shutdown()` (shutdown.ts) ends the whole process group.
 */
export class StdioSession {
  readonly pid: number;
  readonly startedAt: number;
  readonly spec: SpawnSpec;
  /** Every stdout problem, in order (already redacted). */
  readonly noise: NoiseRecord[] = [];
  /** Noise records not kept past STDIO_MAX_NOISE_RECORDS. */
  noiseDropped = 0;
  /** Redacted stderr lines of this session (capped). */
  readonly stderrLines: string[] = [];
  crlfLines = 0;
  /** Bytes received on stdout so far. */
  stdoutBytes = 0;
  /** Methods of requests the server sent before the handshake finished (left unanswered, as Codex does). */
  readonly earlyRequests: string[] = [];
  /**
   * Responses whose id matches no request in flight (another number, a string for a number): the
   * first few, with the ids that were waiting. JSON-RPC matches by id, so Codex never sees these.
   */
  readonly unmatched: Array<{ id: unknown; waitingFor: number[]; at: number }> = [];
  /** Ids of responses that came back as strings of the request's number (accepted, as rmcp does). */
  readonly idsAsStrings: string[] = [];
  /** Called on each unmatched response (see response-id.ts). */
  onUnmatched: (() => void) | undefined;
  private handshakeDone = false;
  exitInfo: ExitInfo | undefined;
  /** Resolves once the process has exited and its pipes have drained (or DRAIN_MS passed). */
  readonly exited: Promise<ExitInfo>;
  stdinClosed = false;
  /** clock.now() when stdin was closed. */
  stdinClosedAt: number | undefined;

  private stdoutClosed: ExitInfo | undefined;
  /** Codex numbers its requests from 0 (initialize is 0, tools/list 1: measured with 0.171.0). */
  private nextId = 0;
  /** Codex puts a `progressToken` counted from 0 into every request after initialize. */
  private nextProgressToken = 0;
  /** Replies to the server's own requests not written: its stdin was full (it does not read). */
  repliesDropped = 0;
  private readonly waiting = new Map<number, (outcome: RequestOutcome) => void>();
  private readonly reader = new StdoutLineReader();
  private stderrPartial = '';
  private readonly exitWaiters = new Set<(exit: ExitInfo) => void>();

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    spec: SpawnSpec,
    private readonly hooks: SessionHooks,
  ) {
    this.pid = child.pid!;
    this.spec = spec;
    this.startedAt = hooks.clock.now();
    if (spec.processGroup) trackGroup(this.pid);
    trackTree(this.pid, spec.env);

    const gate = hooks.largeAnswer;
    let waiting = false;
    child.stdout.on('data', (chunk: Buffer) => {
      this.stdoutBytes += chunk.length;
      this.onEvents(this.reader.push(chunk));
      // A line past LARGE_ANSWER_BYTES: stop reading (the server blocks on its write) until this
      // server holds a large-answer slot. A wait the deadline ends leaves the pipe paused: the
      // check is over and the process is ended at cleanup.
      if (gate && !gate.held && !waiting && this.reader.heldBytes > LARGE_ANSWER_BYTES) {
        waiting = true;
        child.stdout.pause();
        void gate.acquire().then((granted) => {
          waiting = false;
          if (granted) child.stdout.resume();
        });
      }
    });
    child.stdout.on('end', () => {
      this.onEvents(this.reader.end());
      // Codex sees end of stream as "connection closed"; a process that lingers after closing
      // stdout must not make the check wait for the deadline.
      const timer = setTimeout(() => {
        if (this.exitInfo) return;
        this.stdoutClosed = { code: null, signal: null, at: hooks.clock.now(), stdoutClosed: true };
        hooks.transcript?.add('process', 'closed its stdout while still running');
        for (const waiter of this.waiting.values()) waiter({ kind: 'exited', exit: this.stdoutClosed });
        this.waiting.clear();
      }, DRAIN_MS);
      timer.unref?.();
    });
    child.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    child.stderr.on('end', () => this.flushStderr());
    // A server that exits or closes stdin turns our writes into EPIPE: that is its exit to report.
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);

    let closed = false;
    const closedPromise = new Promise<void>((resolve) => child.once('close', () => ((closed = true), resolve())));
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        const info: ExitInfo = { code, signal, at: hooks.clock.now() };
        this.exitInfo = info;
        hooks.transcript?.add('process', `exited (${describeExit(info)})`);
        // Let the last stderr lines arrive, but a grandchild holding the pipes must not block us.
        let timer: NodeJS.Timeout | undefined;
        const drained = closed
          ? Promise.resolve()
          : Promise.race([closedPromise, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]);
        void drained.then(() => {
          clearTimeout(timer);
          this.flushStderr();
          for (const waiter of this.waiting.values()) waiter({ kind: 'exited', exit: info });
          this.waiting.clear();
          for (const waiter of this.exitWaiters) waiter(info);
          this.exitWaiters.clear();
          resolve(info);
        });
      });
    });
  }

  /** Spawns the server; resolves once the OS has started it (or refused to). */
  static start(spawn: Deps['spawn'], spec: SpawnSpec, hooks: SessionHooks): Promise<SpawnResult> {
    return new Promise((resolve) => {
      let child: ChildProcessWithoutNullStreams;
      try {
        child = spawn(spec.file, spec.args, {
          cwd: spec.cwd,
          env: spec.env,
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: spec.processGroup,
          windowsHide: true,
          ...(spec.verbatimArgs ? { windowsVerbatimArguments: true } : {}),
        });
      } catch (error) {
        resolve({ ok: false, error: error as NodeJS.ErrnoException });
        return;
      }
      const onError = (error: NodeJS.ErrnoException) => resolve({ ok: false, error });
      child.once('error', onError);
      child.once('spawn', () => {
        child.off('error', onError);
        child.on('error', () => undefined);
        hooks.transcript?.add('process', `spawned ${spec.file} (pid ${child.pid})`);
        resolve({ ok: true, session: new StdioSession(child, spec, hooks) });
      });
    });
  }

  now(): number {
    return this.hooks.clock.now();
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Sends a request and waits for its response, the process's exit, or the signal. */
  request(method: string, params: Record<string, unknown> | undefined, signal: AbortSignal): Promise<RequestOutcome> {
    const id = this.nextId++;
    // Codex 0.171.0 sends `"params":{"_meta":{"progressToken":N}}` with every request but
    // initialize (a server reading `params.cursor` without a check works with it, not without).
    const sent = method === 'initialize' ? params : { ...params, _meta: { progressToken: this.nextProgressToken++ } };
    return new Promise<RequestOutcome>((resolve) => {
      if (this.exitInfo) {
        void this.exited.then((exit) => resolve({ kind: 'exited', exit }));
        return;
      }
      if (this.stdoutClosed) {
        resolve({ kind: 'exited', exit: this.stdoutClosed });
        return;
      }
      if (signal.aborted) {
        resolve({ kind: 'aborted' });
        return;
      }
      const onAbort = () => {
        this.waiting.delete(id);
        resolve({ kind: 'aborted' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
      this.write({ jsonrpc: '2.0', id, method, ...(sent ? { params: sent } : {}) });
    });
  }

  /**
   * From now on requests from the server are answered. Codex 0.169.0 answers none before its
   * handshake is complete (measured: a server that waits for a reply to its early `ping` times
   * out), so the session does not either.
   */
  markInitialized(): void {
    this.handshakeDone = true;
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.write({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }

  /** Resolves with the exit, or undefined when `ms` pass first. */
  waitForExit(ms: number): Promise<ExitInfo | undefined> {
    if (this.exitInfo) return this.exited;
    return new Promise((resolve) => {
      const timer = setDelay(() => {
        this.exitWaiters.delete(done);
        resolve(undefined);
      }, ms);
      const done = (exit: ExitInfo) => {
        clearTimeout(timer);
        resolve(exit);
      };
      this.exitWaiters.add(done);
    });
  }

  /** End of input: the spec's first step of a stdio shutdown. */
  closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    // Last look at its descendants while they are still its own (see process-tree.ts).
    scanTree(this.pid);
    this.stdinClosedAt = this.hooks.clock.now();
    this.hooks.transcript?.add('note', 'closed stdin');
    this.child.stdin.end();
  }

  /** Text still buffered without a newline, or a value that never closed: reported at stage end. */
  flushUnterminated(): void {
    this.onEvents(this.reader.end());
  }

  /** Noise records from `from` on (stages report what appeared while they ran). */
  noiseSince(from: number): NoiseRecord[] {
    return this.noise.slice(from);
  }

  /** Signals the process (or its whole group). Errors mean it is already gone. */
  kill(signal: NodeJS.Signals): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  private write(message: Record<string, unknown>): void {
    const line = JSON.stringify(message);
    this.hooks.transcript?.add('stdio-in', truncate(line, TRANSCRIPT_CHARS));
    if (this.stdinClosed || !this.child.stdin.writable) return;
    this.child.stdin.write(`${line}\n`);
  }

  /**
   * A reply to the server's own request (a ping). A server that floods requests without reading
   * its stdin made these pile up in memory (300 000 pings: 1.2 GB); past STDIN_BACKLOG_BYTES
   * unread, replies are dropped (the server is not reading them anyway).
   */
  private reply(message: Record<string, unknown>): void {
    if (this.child.stdin.writableLength > STDIN_BACKLOG_BYTES) {
      this.repliesDropped++;
      return;
    }
    this.write(message);
  }

  private onEvents(events: StdoutEvent[]): void {
    const { redact, clock, transcript } = this.hooks;
    for (const event of events) {
      if (event.crlf) this.crlfLines++;
      // Redact a bounded slice (a line can be megabytes): twice the kept length, so a secret cut
      // at the slice's end lies past what truncate keeps.
      if (transcript) transcript.add('stdio-out', truncate(redact.text(ownCopy(event.raw.slice(0, 2 * TRANSCRIPT_CHARS))), TRANSCRIPT_CHARS) + (event.kind === 'noise' && event.bytes !== undefined ? ` … [line cut off at ${event.bytes} bytes]` : ''));
      if (event.kind === 'noise') {
        // Pairs that matter (a recovered message, an oversized or unreadable line) are always kept.
        if (this.noise.length < STDIO_MAX_NOISE_RECORDS || event.message || event.noise === 'oversized-line' || event.noise === 'too-many-values') {
          this.noise.push({
            kind: event.noise,
            sample: truncate(redact.text(ownCopy(event.raw.slice(0, 2 * SAMPLE_CHARS))), SAMPLE_CHARS),
            at: clock.now(),
            ...(event.wire && { wire: event.wire }),
            ...(event.bytes !== undefined && { bytes: event.bytes }),
            ...(event.values !== undefined && { values: event.values }),
          });
        } else this.noiseDropped++;
        if (event.message) this.dispatch(event.message, event.noise);
        else if (event.noise === 'too-many-values') this.unparsed(event.id, event.values ?? 0, event.bytes ?? 0);
      } else {
        this.dispatch(event.message);
      }
    }
  }

  /** An answer too large to parse: the request it answers (by id, else the only one waiting) learns so. */
  private unparsed(id: number | string | undefined, values: number, bytes: number): void {
    const key = typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : this.waiting.size === 1 ? [...this.waiting.keys()][0]! : undefined;
    const waiter = key === undefined ? undefined : this.waiting.get(key);
    if (!waiter) return;
    this.waiting.delete(key!);
    waiter({ kind: 'unparsed', values, bytes, at: this.hooks.clock.now() });
  }

  private dispatch(message: JsonRpcMessage, recoveredFrom?: NoiseKind): void {
    const id = message.id;
    if (typeof message.method === 'string') {
      // A request from the server (ping, roots/list, sampling…): answer so it is not left waiting.
      if (id !== undefined && id !== null) {
        // Codex (measured with 0.171) answers a ping that comes before the handshake is complete,
        // and no other request: a server waiting on roots/list, sampling or elicitation there
        // waits until Codex's startup deadline.
        if (!this.handshakeDone && message.method === 'ping') {
          this.hooks.transcript?.add('note', "answered the server's ping before the handshake completed, as Codex does");
          this.reply({ jsonrpc: '2.0', id, result: {} });
          return;
        }
        if (!this.handshakeDone) {
          this.earlyRequests.push(message.method);
          this.hooks.transcript?.add('note', `left the server's ${message.method} request unanswered: the handshake is not complete`);
          return;
        }
        if (message.method === 'ping') this.reply({ jsonrpc: '2.0', id, result: {} });
        else this.reply({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
      }
      return;
    }
    // rmcp (Codex) matches an id sent back as a string of the same number ("0" for 0): measured
    // with Codex 0.171, such a server connects. So does the session, noting the deviation.
    const numeric = typeof id === 'string' && /^(?:0|[1-9]\d{0,15})$/.test(id) && this.waiting.has(Number(id)) ? Number(id) : undefined;
    if (numeric !== undefined) this.idsAsStrings.push(id as string);
    // An error with a null id (the server could not read a request) fails the oldest request
    // waiting, as rmcp does: Codex reports it as the answer ("JSON-RPC error: -32700: parse
    // error", measured with 0.171.0).
    const nullError = id === null && 'error' in message && this.waiting.size > 0 ? Math.min(...this.waiting.keys()) : undefined;
    const key = typeof id === 'number' ? id : (numeric ?? nullError);
    const waiter = key !== undefined ? this.waiting.get(key) : undefined;
    if (!waiter) {
      if (this.waiting.size > 0 && ('result' in message || 'error' in message) && this.unmatched.length < 5) {
        this.unmatched.push({ id, waitingFor: [...this.waiting.keys()], at: this.hooks.clock.now() });
        this.onUnmatched?.();
      }
      return;
    }
    this.waiting.delete(key!);
    waiter({ kind: 'response', message, at: this.hooks.clock.now(), ...(recoveredFrom ? { recoveredFrom } : {}) });
  }

  private onStderr(text: string): void {
    this.stderrPartial += text;
    let index: number;
    while ((index = this.stderrPartial.indexOf('\n')) >= 0) {
      this.stderrLine(this.stderrPartial.slice(0, index));
      this.stderrPartial = this.stderrPartial.slice(index + 1);
    }
    if (this.stderrPartial.length > 64 * 1024) {
      this.stderrLine(this.stderrPartial);
      this.stderrPartial = '';
    }
  }

  private flushStderr(): void {
    if (this.stderrPartial.length > 0) this.stderrLine(this.stderrPartial);
    this.stderrPartial = '';
  }

  private stderrLine(raw: string): void {
    const line = truncate(this.hooks.redact.text(raw.slice(0, 2 * STDERR_LINE_CHARS).replace(/\r$/, '')), STDERR_LINE_CHARS);
    this.hooks.transcript?.add('stderr', line);
    this.stderrLines.push(line);
    if (this.stderrLines.length > STDERR_KEEP_LINES) this.stderrLines.shift();
    const sink = this.hooks.stderr;
    if (sink) {
      sink.push(line);
      if (sink.length > STDERR_KEEP_LINES) sink.shift();
    }
  }
}

export function describeExit(exit: Pick<ExitInfo, 'code' | 'signal' | 'stdoutClosed'>): string {
  if (exit.stdoutClosed) return 'stdout closed, process still running';
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code}`;
}
