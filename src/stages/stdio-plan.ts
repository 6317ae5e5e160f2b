import { isAbsolute, join } from 'node:path';
import { makeFinding } from '../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../pipeline/context.ts';
import type { PlanFactory } from '../pipeline/run-server.ts';
import type { Finding, StageName } from '../types.ts';
import { buildChildEnv, buildFullEnv, droppedVariables, lookupEnv } from '../transports/stdio/child-env.ts';
import { searchNeededVariables } from './env-search.ts';
import { exitHints, mentionedVariables, timeoutHints } from '../transports/stdio/exit-hints.ts';
import { parseBridgeArgs, type BridgeSpec } from '../transports/stdio/bridge-args.ts';
import { apiKeyBridgeFinding, bridgeCause, bridgeNoteFinding, cacheFindings, headerVariableFinding, staleClientFromStderr, type CacheVerdict } from '../transports/stdio/bridge-findings.ts';
import { detectBridge, detectLauncher, type Bridge, type Launcher } from '../config/launchers.ts';
import { inspectMcpRemoteCache, type McpRemoteCache } from '../transports/stdio/mcp-remote-cache.ts';
import { envInterpreter, realFileProbe, resolveCommand } from '../transports/stdio/resolve-command.ts';
import { observeEof, shutdown } from '../transports/stdio/shutdown.ts';
import {
  commandNotFoundFinding,
  crlfFinding,
  cwdNotFoundFinding,
  envNotForwardedFinding,
  exitedEarlyFinding,
  noiseFindings,
  slowShutdownFinding,
  spawnFailedFinding,
  startupTimeoutFinding,
  stderrTail,
  type BridgeCauseText,
} from '../transports/stdio/stdio-findings.ts';
import { StdioSession, describeExit, type ExitInfo, type SpawnSpec } from '../transports/stdio/stdio-session.ts';
import { startBridgeCheck, wouldSignIn, type BridgeCheck, type RemoteAuth } from './bridge-check.ts';
import { classifyInitializeResponse, initializeParams } from './initialize-result.ts';
import { checkTools, toolsSummary } from './validate-tools.ts';
import { setDelay } from '../deadline.ts';
import { commandIsDirectoryFinding } from '../transports/stdio/command-directory.ts';
import { idAsStringFinding, idMismatchFinding, untilIdMismatch } from '../transports/stdio/response-id.ts';
import { cursorTypeProblem } from './codex-shape.ts';

export const STDIO_AUTH_SKIPPED = 'stdio servers take credentials from their environment';

/** The official SDK client gives a server 2 s after closing stdin before it sends SIGTERM. */
const EOF_GRACE_MS = 2000;
const MAX_TOOL_PAGES = 50;
/** A JSON-RPC error to initialize that reads like missing credentials is worth an env re-run. */
const CREDENTIAL_WORDS = /auth|api.?key|token|credential|unauthori[sz]ed|forbidden|log ?in|secret|password|environment|env var|not set|missing.*key/i;

/** Every process a plan starts; after cleanup a late arrival is ended at once. */
class SessionPool {
  private readonly sessions = new Set<StdioSession>();
  private closed = false;
  add(session: StdioSession): void {
    if (this.closed) void shutdown(session);
    else this.sessions.add(session);
  }
  delete(session: StdioSession): void {
    this.sessions.delete(session);
  }
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions].map((s) => shutdown(s)));
    this.sessions.clear();
  }
}

/** Header names whose values are credentials. */
const SECRET_HEADER = /auth|token|key|secret|cookie|session|password/i;

interface StdioState {
  pool: SessionPool;
  bridge?: BridgeState;
  /** Why the server was not started (a browser sign-in it would begin); later stages are skipped. */
  notStarted?: string;
  session?: StdioSession;
  spec?: Omit<SpawnSpec, 'env'>;
  childEnv: Record<string, string>;
  launcher?: Launcher;
  /** How many of the session's noise records have been reported. */
  noiseReported: number;
  crlfReported: boolean;
}

/**
 * The stdio pipeline: discovery resolves and spawns the command as Codex would (cleared
 * environment, child PATH); initialize and tools speak newline-delimited JSON-RPC to it and
 * classify what comes back; cleanup ends the whole process group.
 */
export const createStdioPlan: PlanFactory = () => {
  const state: StdioState = { pool: new SessionPool(), childEnv: {}, noiseReported: 0, crlfReported: false };
  return {
    stages: {
      discovery: (ctx) => discoveryStage(ctx, state),
      auth: async () => ({ summary: STDIO_AUTH_SKIPPED, skipped: true }),
      initialize: (ctx) => initializeStage(ctx, state),
      tools: (ctx) => toolsStage(ctx, state),
    },
    cleanup: async () => {
      await state.pool.closeAll();
    },
    extras: async () => (state.bridge ? { bridge: await state.bridge.check.report } : {}),
  };
};

/** How long the spawn waits for the direct check to tell whether mcp-remote would sign in. */
const SIGN_IN_GATE_MS = 5000;
/** How long past the deadline a stage may wait for the remote's diagnosis (the runner allows 1.5 s). */
const BRIDGE_CAUSE_GRACE_MS = 1000;

/** What the server's exit, stderr and environment suggest as the cause. */
function hintsForExit(ctx: ServerContext, state: StdioState, session: StdioSession, exit: ExitInfo, literalEnv?: Record<string, string>) {
  return exitHints({
    command: ctx.server.command ?? '',
    args: ctx.server.args,
    stderr: session.stderrLines,
    code: exit.code,
    signal: exit.signal,
    childEnv: state.childEnv,
    userEnv: ctx.deps.env,
    ...(literalEnv ? { literalEnv } : {}),
  });
}

interface BridgeState {
  spec: BridgeSpec;
  cache?: McpRemoteCache;
  check: BridgeCheck;
  /** The Authorization the direct check sends on the bridge's behalf came from mcp-remote's cache. */
  cachedToken: boolean;
}

/**
 * Reads what the bridge will send (its `--header`s, mcp-remote's cached token) and starts the
 * direct check of its remote. Secrets are registered before anything is recorded.
 */
async function startBridge(ctx: ServerContext, state: StdioState, bridge: Bridge, cwd: string): Promise<{ spec: BridgeSpec; headerVariables?: Finding }> {
  const { deps, redact } = ctx;
  const spec = await parseBridgeArgs({ bridge, env: state.childEnv, readFile: deps.readFile, cwd });
  for (const name of spec.expanded) redact.addSecret(state.childEnv[name]);
  for (const [name, value] of Object.entries(spec.headers)) if (SECRET_HEADER.test(name)) redact.addSecret(value);
  let cache: McpRemoteCache | undefined;
  let authorization: string | undefined;
  if (spec.kind === 'mcp-remote') {
    cache = await inspectMcpRemoteCache({ spec, childEnv: state.childEnv, userEnv: deps.env, platform: deps.platform, nowMs: deps.clock.epochMs() });
    const tokens = cache?.tokens;
    redact.addSecret(tokens?.accessToken);
    redact.addSecret(tokens?.refreshToken);
    redact.addSecret(cache?.clientInfo?.clientSecret);
    // mcp-remote presents a stored token unless it refreshes it first (expired, with a refresh token).
    if (tokens?.accessToken && (tokens.state === 'valid' || tokens.state === 'expired')) authorization = `Bearer ${tokens.accessToken}`;
  }
  const check = startBridgeCheck(ctx, spec, {
    ...(authorization ? { authorization, authorizationSource: 'cache' as const } : {}),
    ...(cache?.tokens ? { tokensFile: cache.tokens.file } : {}),
    ...(cache?.tokens?.state === 'expired-refreshable' ? { refreshPending: true } : {}),
  });
  state.bridge = { spec, ...(cache ? { cache } : {}), check, cachedToken: authorization !== undefined };
  const missing = spec.unexpanded.filter((n) => deps.env[n] !== undefined && deps.env[n] !== '');
  return { spec, ...(spec.kind === 'mcp-remote' && missing.length ? { headerVariables: headerVariableFinding(ctx, spec, missing) } : {}) };
}

/**
 * mcp-remote, started against a remote that wants an OAuth sign-in it has no tokens for, opens a
 * browser and registers a client: a doctor must not. The direct check's auth stage decides first.
 */
async function signInGate(ctx: ServerContext, state: StdioState): Promise<CacheVerdict> {
  const bridge = state.bridge!;
  const { spec, cache } = bridge;
  if (spec.kind !== 'mcp-remote') return { findings: [] };
  const auth = await within(bridge.check.auth, Math.min(SIGN_IN_GATE_MS, ctx.remainingMs() / 4));
  // An API-key gateway: mcp-remote would take its 401 for an OAuth sign-in and open a browser.
  const keyFinding = auth?.findings.find((f) => f.code.startsWith('auth.api-key-'));
  if (keyFinding) {
    const notStarted = apiKeyBridgeFinding(ctx, spec, keyFinding);
    return { findings: [notStarted], notStarted };
  }
  const tokens = cache?.tokens;
  const signIn = auth !== undefined && wouldSignIn(spec, auth) && tokens?.state !== 'expired-refreshable';
  if (auth === undefined) ctx.transcript.add('note', 'the direct check of the remote had not decided in time; starting the bridge');
  const rejectedCachedToken = bridge.cachedToken && (auth?.findings.some((f) => f.code === 'auth.token-rejected') ?? false);
  return cacheFindings(ctx, spec, cache, { signIn, rejectedCachedToken, directLogin: signIn && directLoginWorks(auth) });
}

/** Codex could log in to the remote itself: it asks for an OAuth login and nothing else blocks it. */
function directLoginWorks(auth: RemoteAuth | undefined): boolean {
  if (!auth?.findings.some((f) => f.code === 'auth.login-required')) return false;
  return !auth.findings.some((f) => f.severity === 'error' && f.code !== 'auth.login-required');
}

/** The remote's first error, in words, once the direct check has ended (bounded wait). */
async function bridgeCauseFor(ctx: ServerContext, state: StdioState): Promise<BridgeCauseText | undefined> {
  if (!state.bridge) return undefined;
  // Within the runner's grace past the deadline, or the stage's own answer would be lost.
  const report = await within(state.bridge.check.report, ctx.remainingMs() + BRIDGE_CAUSE_GRACE_MS);
  if (!report) return undefined;
  const cause = bridgeCause(state.bridge.spec, report);
  return cause ? { kind: state.bridge.spec.kind, ...cause } : undefined;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<undefined>((resolve) => {
      timer = setDelay(() => resolve(undefined), ms);
      timer.unref?.();
    }),
  ]);
}

async function discoveryStage(ctx: ServerContext, state: StdioState): Promise<StageOutcome> {
  const { server, deps, redact } = ctx;
  const command = server.command ?? '';
  const findings: Finding[] = [];

  const cwd = server.cwd ? (isAbsolute(server.cwd) ? server.cwd : join(deps.cwd, server.cwd)) : deps.cwd;
  state.childEnv = buildChildEnv(server, deps.env, deps.platform);

  // A bridge's remote is checked directly, alongside: it is usually where a bridge fails.
  const bridge = detectBridge(command, server.args);
  let headerVariables: Finding | undefined;
  if (bridge) {
    const started = await startBridge(ctx, state, bridge, cwd);
    findings.push(bridgeNoteFinding(ctx, started.spec));
    headerVariables = started.headerVariables;
  }

  if (server.cwd && !(await realFileProbe.isDirectory(cwd))) {
    return { summary: `cwd ${redact.text(cwd)} does not exist`, findings: [...findings, cwdNotFoundFinding(ctx, cwd)] };
  }

  state.launcher = detectLauncher(command, server.args);
  const resolution = await resolveCommand({ command, cwd, childEnv: state.childEnv, userEnv: deps.env, platform: deps.platform });
  if (resolution.notExecutable) {
    // Spawn it anyway: the OS error (EACCES, ENOEXEC) is the one Codex reports.
    resolution.path = resolution.notExecutable;
    resolution.found = true;
  }
  if (resolution.directory) return { summary: `${redact.text(command)} is a directory`, findings: [...findings, commandIsDirectoryFinding(ctx, resolution.directory)] };
  if (!resolution.found || !resolution.path) {
    const childPath = lookupEnv(state.childEnv, 'PATH', deps.platform);
    let interpreterDir: string | undefined;
    if (resolution.elsewhere && deps.platform !== 'win32') {
      // nvm's npx is `#!/usr/bin/env node`: the absolute path alone still needs node on PATH.
      const interpreter = await envInterpreter(resolution.elsewhere.path);
      if (interpreter) {
        const onChild = await resolveCommand({ command: interpreter, cwd, childEnv: state.childEnv, userEnv: {}, platform: deps.platform });
        if (!onChild.found) interpreterDir = resolution.elsewhere.path.slice(0, resolution.elsewhere.path.lastIndexOf('/'));
      }
    }
    const pathFromConfig = Object.keys(server.env).some((k) => (deps.platform === 'win32' ? k.toUpperCase() === 'PATH' : k === 'PATH'));
    return {
      summary: `${redact.text(command)} not found on the server's PATH`,
      findings: [...findings, commandNotFoundFinding(ctx, resolution, { pathFromConfig, interpreterDir, childPath })],
    };
  }

  state.spec = launchSpec(resolution.path, server.args, cwd, state.childEnv, deps.platform);
  if (headerVariables) return { summary: 'mcp-remote would send a `${VAR}` header literally', findings: [...findings, headerVariables] };
  if (state.bridge) {
    const gate = await signInGate(ctx, state);
    findings.push(...gate.findings);
    if (gate.notStarted) {
      state.notStarted = `not started: mcp-remote would open a browser to sign in (${gate.notStarted.code})`;
      return { summary: state.notStarted, findings };
    }
  }
  const started = await StdioSession.start(deps.spawn, { ...state.spec, env: state.childEnv }, {
    redact,
    clock: deps.clock,
    transcript: ctx.transcript,
    stderr: ctx.stderr,
    ...(ctx.largeAnswer && { largeAnswer: ctx.largeAnswer }),
  });
  if (!started.ok) {
    const interpreter = started.error.code === 'ENOENT' ? await shebangInterpreter(resolution.path) : undefined;
    if (started.error.code === 'ENOENT' && !interpreter) {
      return {
        summary: `${redact.text(command)} could not be started`,
        findings: [...findings, commandNotFoundFinding(ctx, { ...resolution, found: false }, { pathFromConfig: false })],
      };
    }
    return { summary: `${redact.text(resolution.path)} could not be started`, findings: [...findings, spawnFailedFinding(ctx, resolution.path, started.error, interpreter)] };
  }
  state.session = started.session;
  state.pool.add(started.session);
  return { summary: `spawned ${redact.text(resolution.path)} (pid ${started.session.pid})`, findings };
}

/**
 * How to start the resolved program. Node refuses to spawn .cmd/.bat files directly on Windows
 * (CVE-2024-27980), so shims such as npx.cmd run through cmd.exe, as Rust's Command does for Codex.
 */
export function launchSpec(file: string, args: string[], cwd: string, env: Record<string, string>, platform: NodeJS.Platform): Omit<SpawnSpec, 'env'> {
  if (platform === 'win32' && /\.(cmd|bat)$/i.test(file)) {
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const line = [file, ...args].map(quote).join(' ');
    return { file: lookupEnv(env, 'COMSPEC', platform) ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${line}"`], cwd, processGroup: false, verbatimArgs: true };
  }
  return { file, args, cwd, processGroup: platform !== 'win32' };
}

async function shebangInterpreter(file: string): Promise<string | undefined> {
  const head = await realFileProbe.readHead(file);
  const match = head ? /^#!\s*(\S+)/.exec(head) : null;
  return match?.[1];
}

/** Stdout noise and CRLF seen since the last report, as findings of `stage`. */
function takeNoise(ctx: ServerContext, state: StdioState, stage: StageName, phase: string): Finding[] {
  const session = state.session!;
  const records = session.noiseSince(state.noiseReported);
  state.noiseReported = session.noise.length;
  const findings = noiseFindings(ctx, records, stage, phase);
  if (session.crlfLines > 0 && !state.crlfReported) {
    state.crlfReported = true;
    findings.push(crlfFinding(ctx, session.crlfLines, stage));
  }
  return findings;
}

async function initializeStage(ctx: ServerContext, state: StdioState): Promise<StageOutcome> {
  if (state.notStarted) return { summary: state.notStarted, skipped: true };
  const session = state.session!;
  const { server, redact } = ctx;
  const idWatch = untilIdMismatch(session, ctx.signal);
  const outcome = await session.request('initialize', initializeParams(), idWatch.signal).finally(idWatch.done);
  const mismatch = outcome.kind === 'aborted' ? idMismatchFinding(ctx, session, 'initialize', 'initialize') : undefined;
  if (mismatch) return { summary: 'answered initialize with another id', findings: [...takeNoise(ctx, state, 'initialize', 'start-up'), mismatch] };

  if (outcome.kind === 'aborted') {
    session.flushUnterminated();
    const waited = ctx.deps.clock.now() - session.startedAt;
    const bridge = await bridgeCauseFor(ctx, state);
    return {
      summary: `no answer to initialize within ${(waited / 1000).toFixed(1)} s`,
      findings: [
        ...takeNoise(ctx, state, 'initialize', 'start-up'),
        startupTimeoutFinding(ctx, {
          phase: 'initialize',
          stage: 'initialize',
          waitedMs: waited,
          launcher: state.launcher,
          earlyRequests: session.earlyRequests,
          stderr: session.stderrLines,
          ...(bridge ? { bridge } : {}),
          hints: timeoutHints({
            command: server.command ?? '',
            args: server.args,
            stderr: session.stderrLines,
            childEnv: state.childEnv,
            userEnv: ctx.deps.env,
            stdoutBytes: session.stdoutBytes,
          }),
        }),
      ],
    };
  }

  if (outcome.kind === 'exited') {
    const noise = takeNoise(ctx, state, 'initialize', 'start-up');
    const failure = `it exits with ${describeExit(outcome.exit)}`;
    const viaEnv = await envFinding(ctx, state, { failure, exit: outcome.exit });
    if (viaEnv.finding) return { summary: `exited (${describeExit(outcome.exit)}); needs variables Codex does not forward`, findings: [...noise, viaEnv.finding] };
    const hints = hintsForExit(ctx, state, session, outcome.exit, server.env);
    const bridge = await bridgeCauseFor(ctx, state);
    const staleClient = state.bridge ? staleClientFromStderr(ctx, state.bridge.cache, session.stderrLines) : undefined;
    return {
      summary: `exited (${describeExit(outcome.exit)}) before answering initialize${bridge ? `: ${bridge.kind} could not reach its remote` : ''}`,
      findings: [
        ...noise,
        exitedEarlyFinding(ctx, { exit: outcome.exit, startedAt: session.startedAt, stderr: session.stderrLines, hints, fullEnvTried: viaEnv.tried, ...(bridge ? { bridge } : {}) }),
        ...(staleClient ? [staleClient] : []),
      ],
    };
  }

  if (outcome.kind === 'unparsed') {
    return { summary: `an answer to initialize too large to parse (${outcome.values} JSON values or more): not verified`, findings: takeNoise(ctx, state, 'initialize', 'start-up'), stop: 'not verified: an answer was too large to parse' };
  }
  const elapsed = outcome.at - session.startedAt - (ctx.pausedMs?.() ?? 0);
  const verdict = classifyInitializeResponse(outcome.message, server.name, redact);
  const findings: Finding[] = takeNoise(ctx, state, 'initialize', 'start-up');

  if (verdict.error && (CREDENTIAL_WORDS.test(verdict.error.message) || mentionedVariables(session.stderrLines).length > 0)) {
    const viaEnv = await envFinding(ctx, state, {
      failure: `it answers initialize with JSON-RPC error ${String(verdict.error.code)}`,
      error: verdict.error,
    });
    if (viaEnv.finding) return { summary: 'initialize fails; needs variables Codex does not forward', findings: [...findings, viaEnv.finding] };
  }
  findings.push(...verdict.findings);
  const idAsString = idAsStringFinding(ctx, session, 'initialize');
  if (idAsString) findings.push(idAsString);
  if (verdict.proceed && elapsed > ctx.codexBudgetMs) {
    findings.push(startupTimeoutFinding(ctx, { phase: 'initialize', stage: 'initialize', measuredMs: elapsed, waitedMs: elapsed, launcher: state.launcher }));
  }
  if (verdict.proceed) {
    session.notify('notifications/initialized');
    session.markInitialized();
  }
  const corrupted = findings.some((f) => f.code === 'stdio.stdout-noise' && f.severity === 'error');
  const summary = corrupted
    ? `${verdict.summary}: its answer is corrupted on stdout (Codex cannot read it)`
    : `${verdict.summary}, answered in ${Math.round(elapsed)} ms`;
  return { summary, findings, server: verdict.server };
}

/**
 * Re-runs the server with the user's full environment; when that works, names the variables it
 * needs. Returns no finding when the full environment fails too (or nothing differs).
 */
async function envFinding(
  ctx: ServerContext,
  state: StdioState,
  failure: { failure: string; exit?: ExitInfo; error?: { code: unknown; message: string }; through?: 'initialize' | 'tools/list' },
): Promise<{ finding?: Finding; tried: boolean }> {
  const { deps } = ctx;
  const fullEnv = buildFullEnv(ctx.server, deps.env);
  const candidates = droppedVariables(fullEnv, state.childEnv, deps.platform);
  if (candidates.length === 0 || !state.spec) return { tried: false };
  const session = state.session!;
  ctx.transcript.add('note', `re-running with your full environment (${candidates.length} more variables; values are not recorded)`);
  const result = await searchNeededVariables({
    spec: state.spec,
    through: failure.through ?? 'initialize',
    reducedEnv: state.childEnv,
    fullEnv,
    mentioned: mentionedVariables(failure.error ? [...session.stderrLines, failure.error.message] : session.stderrLines),
    candidates,
    deps,
    redact: ctx.redact,
    signal: ctx.signal,
    remainingMs: () => ctx.remainingMs(),
    ...(ctx.largeAnswer && { largeAnswer: ctx.largeAnswer }),
    sessions: state.pool,
  });
  ctx.transcript.add(
    'note',
    result.fullEnvWorks
      ? `full environment works; needed: ${(result.needed ?? []).join(', ')} (${result.runs} runs${result.minimal ? '' : ', not narrowed down'})`
      : `full environment fails too (${result.runs} run${result.runs === 1 ? '' : 's'})`,
  );
  if (!result.fullEnvWorks || !result.needed || result.needed.length === 0) return { tried: result.runs > 0 };
  for (const name of result.needed) ctx.redact.addSecret(deps.env[name]);
  return {
    tried: true,
    finding: envNotForwardedFinding(ctx, {
      needed: result.needed,
      minimal: result.minimal,
      runs: result.runs,
      failure: failure.failure,
      exit: failure.exit,
      error: failure.error,
      stderr: session.stderrLines,
      stage: failure.through === 'tools/list' ? 'tools' : 'initialize',
    }),
  };
}

async function toolsStage(ctx: ServerContext, state: StdioState): Promise<StageOutcome> {
  if (state.notStarted) return { summary: state.notStarted, skipped: true };
  const session = state.session!;
  const { server, redact } = ctx;
  const findings: Finding[] = [];
  const tools: unknown[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  let failure: Finding | undefined;

  // tools/list has startup_timeout_sec of its own in Codex 0.171.0 (see run-server.ts).
  const askedAt = ctx.deps.clock.now();
  const pausedBefore = ctx.pausedMs?.() ?? 0;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const listWatch = untilIdMismatch(session, ctx.signal);
    const outcome = await session.request('tools/list', cursor !== undefined ? { cursor } : undefined, listWatch.signal).finally(listWatch.done);
    failure = outcome.kind === 'aborted' ? idMismatchFinding(ctx, session, 'tools/list', 'tools') : undefined;
    if (failure) break;
    if (outcome.kind === 'aborted') {
      session.flushUnterminated();
      const waited = ctx.deps.clock.now() - session.startedAt;
      failure = startupTimeoutFinding(ctx, { phase: 'tools/list', stage: 'tools', waitedMs: waited, stderr: session.stderrLines });
      break;
    }
    if (outcome.kind === 'exited') {
      const viaEnv = await envFinding(ctx, state, { failure: `it exits with ${describeExit(outcome.exit)} when asked for tools/list`, exit: outcome.exit, through: 'tools/list' });
      // The server did answer initialize, so stdin was open: those two causes cannot apply here.
      const hints = hintsForExit(ctx, state, session, outcome.exit).filter((h) => h.id !== 'stdin-closed' && h.id !== 'docker-no-interactive');
      failure =
        viaEnv.finding ??
        listFailed(
          ctx,
          `the server exited (${describeExit(outcome.exit)}) while answering tools/list`,
          { exitCode: outcome.exit.code, signal: outcome.exit.signal, stderrTail: stderrTail(session.stderrLines), ...(hints.length ? { hints: hints.map((h) => h.id) } : {}) },
          hints.map((h) => h.text).join(' '),
        );
      break;
    }
    if (outcome.kind === 'unparsed') {
      return { summary: `an answer to tools/list too large to parse (${outcome.values} JSON values or more): not verified`, findings: [...findings, ...takeNoise(ctx, state, 'tools', 'tools/list')] };
    }
    const message = outcome.message;
    if ('error' in message) {
      const error = (message.error && typeof message.error === 'object' ? message.error : {}) as Record<string, unknown>;
      const text = String(error.message ?? '');
      if (CREDENTIAL_WORDS.test(text) || mentionedVariables(session.stderrLines).length > 0) {
        const viaEnv = await envFinding(ctx, state, {
          failure: `it answers tools/list with JSON-RPC error ${String(error.code)}`,
          error: { code: error.code, message: text },
          through: 'tools/list',
        });
        if (viaEnv.finding) {
          failure = viaEnv.finding;
          break;
        }
      }
      failure = listFailed(ctx, `tools/list was answered with JSON-RPC error ${String(error.code)}: ${redact.text(text)}`, {
        code: error.code,
        message: redact.text(text),
      });
      break;
    }
    const result = message.result as Record<string, unknown> | undefined;
    if (!result || typeof result !== 'object' || !Array.isArray(result.tools)) {
      failure = listFailed(ctx, 'the tools/list result has no "tools" array', { result: truncateJson(redact.value(message.result)) });
      break;
    }
    const cursorType = cursorTypeProblem(result);
    if (cursorType) {
      failure = listFailed(ctx, cursorType, {});
      break;
    }
    for (const tool of result.tools) tools.push(tool); // not push(...): a page can hold 100 000s of tools
    if (typeof result.nextCursor !== 'string') {
      cursor = undefined;
      break;
    }
    if (cursors.has(result.nextCursor)) {
      failure = listFailed(ctx, `tools/list pagination loops: nextCursor ${JSON.stringify(redact.text(result.nextCursor))} came back twice`, { pages: page + 1 });
      break;
    }
    cursors.add(result.nextCursor);
    cursor = result.nextCursor;
    if (page === MAX_TOOL_PAGES - 1) {
      failure = listFailed(ctx, `tools/list still had a nextCursor after ${MAX_TOOL_PAGES} pages`, { pages: MAX_TOOL_PAGES });
    }
  }
  const listedAt = ctx.deps.clock.now();
  findings.push(...takeNoise(ctx, state, 'tools', 'tools/list'));
  if (failure) {
    findings.push(failure);
    const summary =
      failure.code === 'timeout.startup'
        ? 'no answer to tools/list in time'
        : failure.code === 'stdio.env-not-forwarded'
          ? 'tools/list fails; needs variables Codex does not forward'
          : 'tools/list failed';
    return { summary, findings };
  }

  // Time the doctor kept the answer waiting (a large-answer slot) is not the server's.
  const total = listedAt - askedAt - ((ctx.pausedMs?.() ?? 0) - pausedBefore);
  if (total > ctx.codexBudgetMs) {
    findings.push(startupTimeoutFinding(ctx, { phase: 'tools/list', stage: 'tools', measuredMs: total, waitedMs: total, launcher: state.launcher }));
  }
  const checked = checkTools({ tools, server, redact, stage: 'tools' });
  findings.push(...checked.findings);
  findings.push(...(await eofFindings(ctx, state)));

  const filtered = checked.count !== tools.length ? ` (${tools.length} listed, filters keep ${checked.count})` : '';
  return {
    summary: `${checked.count} tool${checked.count === 1 ? '' : 's'}${filtered}`,
    findings,
    tools: toolsSummary(checked, redact),
  };
}

/** Closes stdin and watches the server exit, as a client's shutdown would begin. */
async function eofFindings(ctx: ServerContext, state: StdioState): Promise<Finding[]> {
  const session = state.session!;
  if (!session.alive) return [];
  // Waiting less than the full grace could not tell a slow exit from an ignored EOF.
  if (ctx.remainingMs() < EOF_GRACE_MS + 200) {
    ctx.transcript.add('note', 'not enough time left to watch the server exit on end of input');
    return [];
  }
  const seen = await observeEof(session, EOF_GRACE_MS);
  const findings = takeNoise(ctx, state, 'tools', 'shutdown');
  if (!seen.exited || seen.leftovers.length > 0) {
    findings.push(slowShutdownFinding(ctx, { graceMs: EOF_GRACE_MS, exited: seen.exited, leftovers: seen.leftovers }));
  } else {
    ctx.transcript.add('note', `exited ${seen.exitMs} ms after end of input`);
  }
  return findings;
}

function listFailed(ctx: ServerContext, what: string, evidence: Record<string, unknown>, hint = ''): Finding {
  return makeFinding('tools.list-failed', {
    message: `"${ctx.server.name}" finished the handshake, but ${what}. Codex fails to start it ("MCP startup failed: …" naming the tools/list failure).${hint ? ` ${hint}` : ''}`,
    evidence,
    fix: { summary: hint || 'A server-side problem: report it to the server\'s maintainers with the transcript (`--verbose`).' },
  });
}

function truncateJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
