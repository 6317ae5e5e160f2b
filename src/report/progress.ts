import ora from 'ora';
import type { ProgressSink } from '../pipeline/run-checks.ts';
import type { ServerReport, StageName } from '../types.ts';
import { plural } from './symbols.ts';
import { inertLine } from './inert-report.ts';

/** Flutter's slowWarning: after this long in one stage, the spinner says which server is slow. */
export const SLOW_AFTER_MS = 10_000;
const REFRESH_MS = 1000;
const SLOW_NAMES_SHOWN = 2;

export interface ProgressOptions {
  /** Decided by the caller: stderr is a TTY and the format is text (contract §1). */
  enabled: boolean;
  stream: NodeJS.WriteStream;
  /** How many servers will be probed; counted from the callbacks when absent. */
  total?: number;
  /** False for --no-color / NO_COLOR: the spinner frame is not coloured either. */
  color?: boolean;
  now?: () => number;
  slowAfterMs?: number;
}

export interface Progress extends ProgressSink {
  /** Clears the spinner line; the report is written after this. */
  stop(): void;
}

export interface ProgressState {
  total: number;
  done: number;
  /** Servers being checked: the stage each is in and since when. */
  running: Map<string, { stage: StageName | 'config'; since: number }>;
}

/** The spinner line: "Checking 5 servers… (2/5) — slow: linear (initialize, 12 s) …". */
export function progressText(state: ProgressState, now: number, slowAfterMs = SLOW_AFTER_MS): string {
  const total = Math.max(state.total, state.done + state.running.size);
  let text = `Checking ${plural(total, 'server')}… (${state.done}/${total})`;
  const slow = [...state.running]
    .map(([name, { stage, since }]) => ({ name, stage, elapsed: now - since }))
    .filter((s) => s.elapsed >= slowAfterMs)
    .sort((a, b) => b.elapsed - a.elapsed);
  if (slow.length > 0) {
    const shown = slow.slice(0, SLOW_NAMES_SHOWN).map((s) => `${inertLine(s.name)} (${s.stage}, ${Math.floor(s.elapsed / 1000)} s)`);
    const more = slow.length > SLOW_NAMES_SHOWN ? ` and ${slow.length - SLOW_NAMES_SHOWN} more` : '';
    text += ` — slow: ${shown.join(', ')}${more} — this is taking an unexpectedly long time`;
  }
  return text;
}

/**
 * Progress on stderr through an ora spinner. When disabled it is a no-op that never touches the
 * stream, so JSON and markdown output (and pipes) never see a spinner frame.
 */
export function createProgress(options: ProgressOptions): Progress {
  // A pseudo-terminal with no size (`script`, `docker run -t` without a size) reports 0 columns;
  // ora then divides by zero and clears lines forever, so such a terminal gets no spinner.
  if (!options.enabled || !((options.stream.columns ?? 0) > 0)) return { stop() {} };
  const now = options.now ?? (() => performance.now());
  const slowAfterMs = options.slowAfterMs ?? SLOW_AFTER_MS;
  const state: ProgressState = { total: options.total ?? 0, done: 0, running: new Map() };
  const spinner = ora({
    stream: options.stream,
    isEnabled: true,
    // Ora would otherwise put stdin into raw mode, which swallows Ctrl-C handling on some shells.
    discardStdin: false,
    color: options.color === false ? false : 'cyan',
    text: progressText(state, now(), slowAfterMs),
  }).start();
  const update = () => {
    spinner.text = progressText(state, now(), slowAfterMs);
  };
  // Stages report only when they start; the timer is what notices one that is slow.
  const timer = setInterval(update, REFRESH_MS);
  timer.unref?.();

  return {
    serverStarted(name: string) {
      state.running.set(name, { stage: 'config', since: now() });
      update();
    },
    stageStarted(name: string, stage: StageName) {
      state.running.set(name, { stage, since: now() });
      update();
    },
    serverFinished(report: ServerReport) {
      if (state.running.delete(report.name)) state.done++;
      update();
    },
    stop() {
      clearInterval(timer);
      spinner.stop();
    },
  };
}
