import type { Deps, LargeAnswerGate } from '../pipeline/context.ts';
import type { Redactor } from '../redact.ts';
import { initializeParams } from './initialize-result.ts';
import { shutdown } from '../transports/stdio/shutdown.ts';
import { StdioSession, type SpawnSpec } from '../transports/stdio/stdio-session.ts';
import { setDelay } from '../deadline.ts';

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
  /** The check's claim on a large-answer slot: probe runs are bounded like the server's own. */
  largeAnswer?: LargeAnswerGate;
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

const DEFAULT_MAX_RUNS = 24;
/** Probe runs are not the server's real start: end them fast. */
const PROBE_SHUTDOWN = { eofGraceMs: 100, termGraceMs: 300, killGraceMs: 300 };

/** Names that usually configure a server: searched first, so that they are found in few runs. */
const LIKELY = /KEY|TOKEN|SECRET|PASS|AUTH|API|CRED|SESSION|URL|URI|HOST|ENDPOINT|PROXY|CERT|_CA|ACCOUNT|PROJECT|ORG|TENANT|REGION|DATABASE|DB_|WORKSPACE|TEAM|USER|EMAIL|CONFIG/i;
/** Shell bookkeeping that never configures anything: searched last. */
const UNLIKELY = /^(?:_|PWD|OLDPWD|SHLVL|COLUMNS|LINES|TERM_.*|COLORTERM|LS_COLORS|PS\d|HIST.*|SSH_.*|DISPLAY|XDG_.*|DBUS_.*|LESS.*|PAGER|EDITOR|VISUAL)$/;

/** Mentioned names first, then likely ones, then the rest, then the unlikely. */
export function searchOrder(candidates: string[], mentioned: string[]): string[] {
  const rank = (name: string) => (mentioned.includes(name) ? 0 : UNLIKELY.test(name) ? 3 : LIKELY.test(name) ? 1 : 2);
  return [...candidates].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Finds a minimal set of variables S with works(reduced ∪ S), assuming more variables never hurt
 * (monotone). Each round finds the shortest working prefix of the ordered pool (galloping, then
 * bisection): its last variable is necessary. About 2·log2(position) runs per needed variable.
 */
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

  const needed: string[] = [];
  let pool = searchOrder(input.candidates, input.mentioned);
  // Invariant: works(needed ∪ pool) is true and works(needed) is false.
  const cutShort = () => ({ fullEnvWorks: true, needed: [...needed, ...pool], minimal: false, runs });
  while (pool.length > 0) {
    const prefixWorks = async (length: number) => works(withVars([...needed, ...pool.slice(0, length)]));
    let lo = 0;
    let hi = pool.length;
    for (let step = 1; lo + step < hi; step *= 2) {
      if (!canRun()) return cutShort();
      if (await prefixWorks(lo + step)) {
        hi = lo + step;
        break;
      }
      lo += step;
    }
    while (hi - lo > 1) {
      if (!canRun()) return cutShort();
      const mid = (lo + hi) >> 1;
      if (await prefixWorks(mid)) hi = mid;
      else lo = mid;
    }
    needed.push(pool[hi - 1]!);
    pool = pool.slice(0, hi - 1);
    if (pool.length === 0) break;
    if (!canRun()) return cutShort();
    if (await works(withVars(needed))) break;
  }
  return { fullEnvWorks: true, needed, minimal: true, runs };
}

/** One throw-away start: does the server answer `initialize` (and `tools/list`) with a result under `env`? */
async function probeWorks(input: EnvSearchInput, env: Record<string, string>, timeoutMs: number): Promise<boolean> {
  const started = await StdioSession.start(input.deps.spawn, { ...input.spec, env }, { redact: input.redact, clock: input.deps.clock, ...(input.largeAnswer && { largeAnswer: input.largeAnswer }) });
  if (!started.ok) return false;
  const session = started.session;
  input.sessions.add(session);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  input.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setDelay(() => controller.abort(), Math.min(timeoutMs, input.remainingMs()));
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
