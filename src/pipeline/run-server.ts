import { describeOrigins, severalLayers } from '../config/layer-origins.ts';
import { LARGE_ANSWER_BYTES, LARGE_ANSWER_SLOTS, TRANSCRIPT_ENTRY_CHARS, TRANSCRIPT_MAX_CHARS, TRANSCRIPT_MAX_ENTRIES } from '../limits.ts';
import { LARGE_ANSWER_WAIT } from '../transports/http/answer-limits.ts';
import type { ServerEntry } from '../config/server-config.ts';
import { timeoutFix } from '../config/timeout-fix.ts';
import { boundReportValue } from '../findings/list-text.ts';
import { makeFinding } from '../findings/make-finding.ts';
import { redactStrings, type Redactor } from '../redact.ts';
import type {
  Finding,
  ServerInfo,
  ServerReport,
  ServerStatus,
  Stage,
  StageName,
  StageStatus,
  ToolsSummary,
  TranscriptEntry,
} from '../types.ts';
import { STAGE_NAMES } from '../types.ts';
import type { CheckOptions, Deps, ServerContext, ServerPlan, StageOutcome, Transcript } from './context.ts';
import { remainingDelay, setDelay } from '../deadline.ts';
import { createLargeAnswerGate, largeAnswerSlots } from './large-answers.ts';

/** How long a stage may overrun the deadline before the runner stops waiting for it. */
const STAGE_GRACE_MS = 1500;
/** Upper bound for cleanup (closing stdin, SIGTERM, then SIGKILL of a process group). */
const CLEANUP_BOUND_MS = 4000;
const STDERR_TAIL_LINES = 20;

export type PlanFactory = (ctx: ServerContext) => ServerPlan;

export interface RunServerInput {
  entry: ServerEntry;
  deps: Deps;
  options: CheckOptions;
  redact: Redactor;
  /** False when the server was not named on the command line: reported as skipped. */
  selected: boolean;
  plans: { stdio: PlanFactory; streamable_http: PlanFactory };
  onStage?: (server: string, stage: StageName) => void;
}

export function stageStatusFromFindings(findings: Finding[]): StageStatus {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'pass';
}

export function serverStatusFromFindings(findings: Finding[]): ServerStatus {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'ok';
}

export function createTranscript(redact: Redactor, now: () => number, enabled = true): Transcript {
  const start = now();
  const entries: TranscriptEntry[] = [];
  // Bounded (docs/limits.md): each entry, the entry count and the total; past them one note says
  // how many entries were left out. A slice twice the kept length is redacted, so a secret cut at
  // the slice's end lies beyond what is kept.
  let chars = 0;
  let dropped = 0;
  let note: TranscriptEntry | undefined;
  return {
    entries,
    enabled,
    add(kind, text) {
      if (!enabled) return;
      const t = Math.max(0, Math.round(now() - start));
      if (entries.length >= TRANSCRIPT_MAX_ENTRIES - 1 || chars >= TRANSCRIPT_MAX_CHARS) {
        dropped++;
        if (!note) entries.push((note = { t, kind: 'note', text: '' }));
        note.text = `[transcript cut off: ${dropped} more entr${dropped === 1 ? 'y' : 'ies'} not kept (limits: ${TRANSCRIPT_MAX_ENTRIES} entries, ${TRANSCRIPT_MAX_CHARS} characters)]`;
        return;
      }
      let shown = redact.text(text.length > TRANSCRIPT_ENTRY_CHARS ? text.slice(0, 2 * TRANSCRIPT_ENTRY_CHARS) : text);
      if (shown.length > TRANSCRIPT_ENTRY_CHARS) shown = `${shown.slice(0, TRANSCRIPT_ENTRY_CHARS)}… [cut off: ${text.length} characters]`;
      chars += shown.length;
      entries.push({ t, kind, text: shown });
    },
  };
}

function targetOf(entry: ServerEntry, redact: Redactor): string {
  const { config } = entry;
  if (config.transport === 'stdio' && config.command) {
    return redact.text([config.command, ...config.args].map(quoteArg).join(' '));
  }
  if (config.url) return redact.url(config.url);
  return '';
}

function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/**
 * Runs one server through config → discovery → auth → initialize → tools. A stage after a failed
 * one is skipped with the reason; a throw becomes `crashed`; the deadline bounds everything.
 */
export async function runServer(input: RunServerInput): Promise<ServerReport> {
  const { entry, deps, options, redact } = input;
  const { config } = entry;
  const clock = deps.clock;
  const stages: Stage[] = [];
  const findings: Finding[] = [];
  const server: ServerInfo = {};
  let tools: ToolsSummary | null = null;

  const report = (): ServerReport => {
    const base: ServerReport = {
      name: config.name,
      transport: config.transport,
      target: targetOf(entry, redact),
      status: serverStatusFromFindings(findings),
      stages,
      findings,
      server,
      tools,
      source: config.source,
      ...(config.origins && severalLayers(config.origins) ? { configSources: config.origins } : {}),
    };
    return base;
  };

  const configStage: Stage = {
    name: 'config',
    status: stageStatusFromFindings(entry.findings),
    durationMs: 0,
    summary: summarizeConfig(entry),
  };
  stages.push(configStage);
  findings.push(...entry.findings);

  const skipRest = (from: number, reason: string) => {
    for (const name of STAGE_NAMES.slice(from)) stages.push({ name, status: 'skipped', durationMs: 0, summary: reason });
  };

  if (!input.selected) {
    skipRest(1, 'not selected on the command line');
    return { ...report(), status: 'skipped' };
  }
  // Codex validates disabled tables too and refuses the whole config over them, so a config
  // error outranks `enabled = false`.
  if (configStage.status === 'fail') {
    skipRest(1, 'config stage failed');
    return report();
  }
  if (!config.enabled) {
    skipRest(1, config.disabledReason ?? 'server is disabled (enabled = false)');
    return { ...report(), status: 'skipped' };
  }
  if (config.transport === 'unknown') {
    skipRest(1, 'no transport: neither command nor url');
    return report();
  }

  const codexBudgetMs = Math.round(config.startupTimeoutSec * 1000);
  const budgetMs = options.timeoutMs ?? codexBudgetMs;
  let deadline = clock.now() + budgetMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setDelay(() => controller.abort(new Error('deadline')), ms);
    timer.unref?.();
  };
  arm(budgetMs);
  // While the server waits for a large-answer slot (large-answers.ts) its deadline stands still,
  // up to its own length in all: other servers' answers must not make it time out, and a run of
  // hostile servers hogging the slots still ends.
  let pauses = 0;
  let pausedAt = 0;
  let pausedTotal = 0;
  const pause = {
    pause() {
      if (pauses++ > 0 || controller.signal.aborted) return;
      pausedAt = clock.now();
      arm(deadline - pausedAt + (budgetMs - pausedTotal));
    },
    resume() {
      if (pauses === 0 || --pauses > 0) return;
      const credit = Math.max(0, Math.min(clock.now() - pausedAt, budgetMs - pausedTotal));
      pausedTotal += credit;
      deadline += credit;
      if (!controller.signal.aborted) arm(deadline - clock.now());
    },
  };
  const largeAnswer = createLargeAnswerGate(largeAnswerSlots, controller.signal, pause);
  const transcript = createTranscript(redact, () => clock.now(), options.verbose);
  const stderr: string[] = [];
  const ctx: ServerContext = {
    server: config,
    deps,
    options,
    codexBudgetMs,
    signal: controller.signal,
    redact,
    transcript,
    stderr,
    get deadline() {
      return deadline;
    },
    remainingMs: () => remainingDelay(deadline, pauses > 0 ? pausedAt : clock.now()),
    largeAnswer,
    pauseDeadline() {
      pause.pause();
      let resumed = false;
      return () => {
        if (resumed) return;
        resumed = true;
        pause.resume();
      };
    },
    pausedMs: () => pausedTotal + (pauses > 0 ? Math.max(0, Math.min(clock.now() - pausedAt, budgetMs - pausedTotal)) : 0),
  };

  let plan: ServerPlan | undefined;
  let extras: Partial<ServerReport> = {};
  try {
    plan = input.plans[config.transport](ctx);
    const names = STAGE_NAMES.slice(1) as Exclude<StageName, 'config'>[];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      input.onStage?.(config.name, name);
      // Codex 0.171.0 gives tools/list startup_timeout_sec of its own, after the handshake's
      // (measured: initialize 3 s + tools/list 3 s connects with 5 s; tools/list 6 s fails "timed
      // out awaiting tools/list after 5s"). A --timeout bounds the whole check instead.
      if (name === 'tools' && options.timeoutMs === undefined && pauses === 0 && !controller.signal.aborted) {
        deadline = clock.now() + budgetMs;
        arm(budgetMs);
      }
      const started = clock.now();
      let outcome: StageOutcome;
      let crashed = false;
      try {
        outcome = await withGrace(plan.stages[name](ctx), ctx, name);
      } catch (error) {
        crashed = true;
        outcome = crashOutcome(error, name, redact);
      }
      // Redaction at capture: whatever a stage took from the wire (a challenge, an error text, a
      // server name echoing the token it was sent) passes the redactor before it is kept.
      if (largeAnswer.starved && !crashed) outcome = starvedOutcome(outcome, ctx, name);
      const stageFindings = (outcome.findings ?? []).map((f) => boundReportValue(redactStrings({ ...f, stage: f.stage === 'file' ? f.stage : f.stage ?? name }, redact)));
      for (const f of stageFindings) findings.push(f);
      Object.assign(server, boundReportValue(redactStrings(outcome.server ?? {}, redact)));
      if (outcome.tools) tools = boundReportValue(redactStrings(outcome.tools, redact));
      const status: StageStatus = crashed ? 'crashed' : outcome.skipped ? 'skipped' : stageStatusFromFindings(stageFindings);
      stages.push({ name, status, durationMs: Math.round(clock.now() - started), summary: boundReportValue(redact.text(outcome.summary)) });
      // The stage is done with what it read: a large answer no longer counts (large-answers.ts).
      largeAnswer.release();
      if (status === 'fail' || status === 'crashed') {
        skipRest(i + 2, status === 'crashed' ? `${name} stage crashed` : `${name} stage failed`);
        break;
      }
      if (largeAnswer.starved || outcome.stop) {
        skipRest(i + 2, outcome.stop ?? 'not verified: an answer was left unread (memory shared with the other servers)');
        break;
      }
    }
  } catch (error) {
    // A plan factory that throws is a bug too: report it, keep the other servers going.
    findings.push(crashOutcome(error, 'discovery', redact).findings![0]!);
    for (const name of STAGE_NAMES.slice(stages.length)) {
      stages.push({ name, status: stages.length === 1 ? 'crashed' : 'skipped', durationMs: 0, summary: 'mcp-doctor crashed' });
    }
  } finally {
    clearTimeout(timer);
    if (plan) {
      extras = redactStrings(await boundedExtras(plan, ctx), redact);
      await boundedCleanup(plan, ctx);
    }
    largeAnswer.release();
  }

  const out = { ...report(), ...extras };
  if (options.verbose) out.transcript = transcript.entries;
  if (stderr.length > 0) out.stderrTail = stderr.slice(-STDERR_TAIL_LINES);
  return out;
}

function summarizeConfig(entry: ServerEntry): string {
  const { config } = entry;
  const errors = entry.findings.filter((f) => f.severity === 'error').length;
  const warnings = entry.findings.filter((f) => f.severity === 'warning').length;
  const kind = config.transport === 'stdio' ? 'stdio' : config.transport === 'streamable_http' ? 'Streamable HTTP' : 'unknown transport';
  // Values from several layers (system, profile, -c…): say which layer set which value.
  const layers = config.origins && severalLayers(config.origins) ? `; ${describeOrigins(config.origins)}` : '';
  if (errors > 0) return `${errors} error${errors > 1 ? 's' : ''} in the [mcp_servers.${config.name}] table${layers}`;
  if (warnings > 0) return `${kind}; ${warnings} warning${warnings > 1 ? 's' : ''}${layers}`;
  return `${kind}, valid${layers}`;
}

async function withGrace(promise: Promise<StageOutcome>, ctx: ServerContext, name: StageName): Promise<StageOutcome> {
  let timer: NodeJS.Timeout | undefined;
  let onDeadline: (() => void) | undefined;
  // Counted from the deadline itself, which may move (a paused wait for a large-answer slot).
  const overrun = new Promise<StageOutcome>((resolve) => {
    onDeadline = () => {
      timer = setDelay(
        () =>
          resolve({
            summary: 'did not finish before the deadline',
            findings: [
              makeFinding('timeout.startup', {
                message: `The ${name} stage of "${ctx.server.name}" was still waiting when the deadline passed.`,
                stage: name,
                fix: timeoutFix(ctx),
              }),
            ],
          }),
        STAGE_GRACE_MS,
      );
      timer.unref?.();
    };
    if (ctx.signal.aborted) onDeadline();
    else ctx.signal.addEventListener('abort', onDeadline, { once: true });
  });
  try {
    return await Promise.race([promise, overrun]);
  } finally {
    clearTimeout(timer);
    if (onDeadline) ctx.signal.removeEventListener('abort', onDeadline);
  }
}

function crashOutcome(error: unknown, stage: StageName, redact: Redactor): StageOutcome {
  const err = error instanceof Error ? error : new Error(String(error));
  const stack = (err.stack ?? '').split('\n').slice(0, 6).map((l) => redact.text(l));
  return {
    summary: `mcp-doctor crashed: ${redact.text(err.message)}`,
    findings: [
      makeFinding('internal.stage-crashed', {
        message: `mcp-doctor crashed in the ${stage} stage: ${redact.text(err.message)}. This is a bug in mcp-doctor; please report it.`,
        stage,
        evidence: { stack },
      }),
    ],
  };
}

/** A plan's extra report fields; past the deadline (plus the grace) they are left out. */
async function boundedExtras(plan: ServerPlan, ctx: ServerContext): Promise<Partial<ServerReport>> {
  if (!plan.extras) return {};
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      plan.extras(ctx).catch(() => ({})),
      new Promise<Partial<ServerReport>>((resolve) => {
        timer = setDelay(() => resolve({}), ctx.remainingMs() + STAGE_GRACE_MS);
        timer.unref?.();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function boundedCleanup(plan: ServerPlan, ctx: ServerContext): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    plan.cleanup(ctx).catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLEANUP_BOUND_MS);
      timer.unref?.();
    }),
  ]);
  clearTimeout(timer);
}

/**
 * The deadline passed while the server's large answer waited for a slot (large-answers.ts): the
 * timeout is mcp-doctor's, not the server's, so it is no verdict; what was not verified is said.
 */
function starvedOutcome(outcome: StageOutcome, ctx: ServerContext, name: StageName): StageOutcome {
  const findings = outcome.findings ?? [];
  const timeouts = findings.filter((f) => f.severity === 'error' && (f.code === 'timeout.startup' || f.code === 'net.timeout'));
  if (timeouts.length === 0) return outcome;
  return {
    summary: 'an answer was left unread (not verified)',
    findings: [
      ...findings.filter((f) => !timeouts.includes(f)),
      makeFinding('wire.answer-too-large', {
        stage: name,
        severity: 'warning',
        message: `An answer of "${ctx.server.name}" was not read: ${LARGE_ANSWER_WAIT}. mcp-doctor did not verify this server; Codex reads it alone and may use it.`,
        evidence: { request: name === 'tools' ? 'tools/list' : 'initialize', reason: 'memory shared with the other servers checked at once', slots: LARGE_ANSWER_SLOTS, largeAnswerBytes: LARGE_ANSWER_BYTES },
      }),
    ],
  };
}
