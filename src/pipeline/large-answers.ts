import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LARGE_ANSWER_SLOTS } from '../limits.ts';
import type { LargeAnswerGate } from './context.ts';

/**
 * The memory bound across servers checked at once (docs/limits.md): an answer longer than
 * LARGE_ANSWER_BYTES is read on only while its server holds one of LARGE_ANSWER_SLOTS, and the
 * slot is kept until the stage that reads the answer has ended, so the bound covers the parsed
 * answer as well as its bytes. Counting bytes alone let 16 servers with valid 15 MiB answers take
 * the doctor to 491 MB (stdio) and cut off 12 of 16 HTTP answers; waiting instead reads them all.
 */

/** A first-come, first-served semaphore. */
export interface SlotPool {
  /** Resolves true with a slot, or false when `signal` aborts first (no slot taken). */
  acquire(signal: AbortSignal): Promise<boolean>;
  release(): void;
  readonly free: number;
  readonly waiting: number;
}

export function createSlotPool(size: number, reclaim: () => void = () => undefined): SlotPool {
  let free = size;
  const queue: Array<(granted: boolean) => void> = [];
  return {
    get free() {
      return free;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      if (signal.aborted) return Promise.resolve(false);
      if (free > 0 && queue.length === 0) {
        free--;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const grant = (granted: boolean) => {
          signal.removeEventListener('abort', onAbort);
          resolve(granted);
        };
        const onAbort = () => {
          const i = queue.indexOf(grant);
          if (i >= 0) queue.splice(i, 1);
          grant(false);
        };
        queue.push(grant);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    release() {
      reclaim();
      const next = queue.shift();
      if (next) next(true);
      else free = Math.min(size, free + 1);
    },
  };
}

let gc: (() => void) | null | undefined;
/**
 * A full garbage collection. V8 collects lazily against a heap limit of gigabytes, so the garbage
 * of an answer just released (up to ~100 MB) was still counted in RSS when the next large answer
 * came in: 16 such answers one after another peaked at 295 MB, 227 MB with a small heap limit.
 * Collecting when a slot is given back makes the bound hold; it costs a few ms per large answer.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** The slots of this process: every server check, stdio and HTTP, draws from them. */
export const largeAnswerSlots = createSlotPool(LARGE_ANSWER_SLOTS, collectGarbage);

/** How a server's deadline stops while it waits for a slot (the server is not the one waiting). */
export interface DeadlinePause {
  pause(): void;
  resume(): void;
}

/**
 * One server's claim on a slot. A wait pauses the server's deadline (up to its own length in all,
 * see run-server.ts), so waiting behind other servers' large answers is never taken for the
 * server being slow; a wait the deadline still ends marks the check `starved` (not verified).
 */
export function createLargeAnswerGate(pool: SlotPool, signal: AbortSignal, deadline: DeadlinePause): LargeAnswerGate {
  let held = false;
  let starved = false;
  let pending: Promise<boolean> | undefined;
  const gate = {
    get held() {
      return held;
    },
    get starved() {
      return starved;
    },
    acquire(): Promise<boolean> {
      if (held) return Promise.resolve(true);
      if (pending) return pending;
      deadline.pause();
      pending = pool.acquire(signal).then((granted) => {
        deadline.resume();
        pending = undefined;
        // The check may have ended (cleanup released everything) while this waited.
        if (granted && signal.aborted) {
          pool.release();
          granted = false;
        }
        if (granted) held = true;
        else starved = true;
        return granted;
      });
      return pending;
    },
    release() {
      if (!held) return;
      held = false;
      pool.release();
    },
  };
  return gate;
}

/** RSS past which the memory guard collects garbage (at most once per MEMORY_GUARD_MS). */
const MEMORY_GUARD_RSS = 192 * 1024 * 1024;
const MEMORY_GUARD_MS = 250;

/**
 * While checks run: a full garbage collection whenever RSS passes 192 MB. V8 sizes its heap
 * against gigabytes here and collects lazily, so a server flooding stdout with 2 million short
 * lines took the doctor to 322 MB of mostly garbage (blind testing; 1.2 million lines: 168 MB).
 * Returns the stop.
 */
export function startMemoryGuard(rss: () => number = () => process.memoryUsage.rss()): () => void {
  const timer = setInterval(() => {
    if (rss() > MEMORY_GUARD_RSS) collectGarbage();
  }, MEMORY_GUARD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
