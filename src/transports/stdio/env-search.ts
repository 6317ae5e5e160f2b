import type { Deps } from '../../pipeline/context.ts';
import type { Redactor } from '../../redact.ts';
import { initializeParams } from '../../stages/initialize-result.ts';
import { shutdown } from './shutdown.ts';
import { StdioSession, type SpawnSpec } from './stdio-session.ts';

/**
 * Finds which variables of the user's environment a server needs, when it fails under the
 * reduced environment Codex gives it (F4): one run with the full environment, then the names its
 * stderr mentions, then delta debugging (ddmin) over the variables Codex drops. Every run is a
 * fresh spawn, bounded in number and by the deadline; values are never recorded anywhere.
 */
export interface EnvSearchInput {
  spec: Omit<SpawnSpec, 'env'>;
  /** What "works" means: `initialize` answered, or also `tools/list` (for servers that check keys lazily). */
  through?: 'initialize' | 'tools/list';
  reducedEnv: Record<string, string>;
  fullEnv: Record<string, string>;
  /** Variables the failed run's stderr names: tried first. */
  mentioned: string[];
  /** Candidates: set in the full environment, absent from the reduced one. */
  candidates: string[];
  deps: Pick<Deps, 'spawn' | 'clock'>;
  redact: Redactor;
  signal: AbortSignal;
  remainingMs: () => number;
  /** Spawns allowed in all (the full-environment run included). */
  maxRuns?: number;
  /** Every session started is registered here, so the plan's cleanup can end it even mid-search. */
  sessions: { add(session: StdioSession): void; delete(session: StdioSession): void };
}

export interface EnvSearchResult {
  /** The server answered `initialize` when given the full environment. */
  fullEnvWorks: boolean;
  /** A set of variables that is enough; minimal when `minimal`. */
  needed?: string[];
  minimal: boolean;
  runs: number;
}

const DEFAULT_MAX_RUNS = 16;
/** Probe runs are not the server's real start: end them fast. */
const PROBE_SHUTDOWN = { eofGraceMs: 100, termGraceMs: 300, killGraceMs: 300 };

export async function searchNeededVariables(input: EnvSearchInput): Promise<EnvSearchResult> {
  const maxRuns = input.maxRuns ?? DEFAULT_MAX_RUNS;
  let runs = 0;
  let perRunMs = Math.max(0, input.remainingMs() - 200);

  const works = async (env: Record<string, string>): Promise<boolean> => {
    runs++;
    const started = input.deps.clock.now();
    const answered = await probeWorks(input, env, perRunMs);
    // Later runs get a bound derived from how long a working start took.
    if (answered && runs === 1) perRunMs = Math.max(1000, Math.round((input.deps.clock.now() - started) * 3) + 500);
    return answered;
  };
  const withVars = (names: string[]) => {
    const env = { ...input.reducedEnv };
    for (const name of names) if (input.fullEnv[name] !== undefined) env[name] = input.fullEnv[name]!;
    return env;
  };
  const canRun = () => runs < maxRuns && !input.signal.aborted && input.remainingMs() > Math.min(perRunMs, 1000);

  if (!canRun() || !(await works(input.fullEnv))) return { fullEnvWorks: false, minimal: false, runs };

  const candidates = [...input.candidates];
  const named = input.mentioned.filter((n) => candidates.includes(n));
  if (named.length > 0 && canRun() && (await works(withVars(named)))) {
    return { fullEnvWorks: true, needed: named, minimal: named.length === 1, runs };
  }

  // ddmin: S always works; try halves (then complements) until no smaller part does.
  let set = candidates;
  let n = 2;
  while (set.length >= 2) {
    if (!canRun()) return { fullEnvWorks: true, needed: set, minimal: false, runs };
    const chunks = split(set, n);
    let next: string[] | undefined;
    for (const chunk of chunks) {
      if (!canRun()) return { fullEnvWorks: true, needed: set, minimal: false, runs };
      if (await works(withVars(chunk))) {
        next = chunk;
        n = 2;
        break;
      }
    }
    if (!next && n > 2) {
      for (const chunk of chunks) {
        if (!canRun()) return { fullEnvWorks: true, needed: set, minimal: false, runs };
        const complement = set.filter((v) => !chunk.includes(v));
        if (await works(withVars(complement))) {
          next = complement;
          n = Math.max(n - 1, 2);
          break;
        }
      }
    }
    if (next) {
      set = next;
      continue;
    }
    if (n >= set.length) break;
    n = Math.min(set.length, n * 2);
  }
  return { fullEnvWorks: true, needed: set, minimal: true, runs };
}

function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One throw-away start: does the server answer `initialize` (and `tools/list`) with a result under `env`? */
async function probeWorks(input: EnvSearchInput, env: Record<string, string>, timeoutMs: number): Promise<boolean> {
  const started = await StdioSession.start(input.deps.spawn, { ...input.spec, env }, { redact: input.redact, clock: input.deps.clock });
  if (!started.ok) return false;
  const session = started.session;
  input.sessions.add(session);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  input.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), Math.max(0, Math.min(timeoutMs, input.remainingMs())));
  try {
    const succeeded = (outcome: Awaited<ReturnType<StdioSession['request']>>) =>
      outcome.kind === 'response' && !('error' in outcome.message) && !!outcome.message.result && typeof outcome.message.result === 'object';
    const init = await session.request('initialize', initializeParams(), controller.signal);
    if (!succeeded(init)) return false;
    if (input.through !== 'tools/list') return true;
    session.notify('notifications/initialized');
    session.markInitialized();
    const list = await session.request('tools/list', undefined, controller.signal);
    return succeeded(list) && list.kind === 'response' && Array.isArray((list.message.result as Record<string, unknown>).tools);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onAbort);
    await shutdown(session, PROBE_SHUTDOWN);
    input.sessions.delete(session);
  }
}
