import { describeOrigins, severalLayers } from '../config/layer-origins.ts';
import { TRANSCRIPT_ENTRY_CHARS, TRANSCRIPT_MAX_CHARS, TRANSCRIPT_MAX_ENTRIES } from '../limits.ts';
import type { ServerEntry } from '../config/server-config.ts';
import { timeoutFix } from '../config/timeout-fix.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
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
  const deadline = clock.now() + budgetMs;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('deadline')), Math.max(0, budgetMs));
  timer.unref?.();
  const transcript = createTranscript(redact, () => clock.now(), options.verbose);
  const stderr: string[] = [];
  const ctx: ServerContext = {
    server: config,
    deps,
    options,
    deadline,
    codexBudgetMs,
    signal: controller.signal,
    redact,
    transcript,
    stderr,
    remainingMs: () => Math.max(0, deadline - clock.now()),
  };

  let plan: ServerPlan | undefined;
  let extras: Partial<ServerReport> = {};
  try {
    plan = input.plans[config.transport](ctx);
    const names = STAGE_NAMES.slice(1) as Exclude<StageName, 'config'>[];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      input.onStage?.(config.name, name);
      const started = clock.now();
      let outcome: StageOutcome;
      let crashed = false;
      try {
        outcome = await withGrace(plan.stages[name](ctx), ctx, name);
      } catch (error) {
        crashed = true;
        outcome = crashOutcome(error, name, redact);
      }
      const stageFindings = (outcome.findings ?? []).map((f) => ({ ...f, stage: f.stage === 'file' ? f.stage : f.stage ?? name }));
      findings.push(...stageFindings);
      Object.assign(server, outcome.server ?? {});
      if (outcome.tools) tools = outcome.tools;
      const status: StageStatus = crashed ? 'crashed' : outcome.skipped ? 'skipped' : stageStatusFromFindings(stageFindings);
      stages.push({ name, status, durationMs: Math.round(clock.now() - started), summary: outcome.summary });
      if (status === 'fail' || status === 'crashed') {
        skipRest(i + 2, status === 'crashed' ? `${name} stage crashed` : `${name} stage failed`);
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
      extras = await boundedExtras(plan, ctx);
      await boundedCleanup(plan, ctx);
    }
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
  const overrun = new Promise<StageOutcome>((resolve) => {
    timer = setTimeout(
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
      ctx.remainingMs() + STAGE_GRACE_MS,
    );
    timer.unref?.();
  });
  try {
    return await Promise.race([promise, overrun]);
  } finally {
    clearTimeout(timer);
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
        timer = setTimeout(() => resolve({}), ctx.remainingMs() + STAGE_GRACE_MS);
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
