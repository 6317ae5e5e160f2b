/**
 * Every wait the doctor computes goes through here. Remainders are fractional (they come from
 * `performance.now()`), can be zero or negative (a deadline already passed) and, from a config,
 * absurdly large; `AbortSignal.timeout` throws a RangeError on anything but an integer in
 * [0, 2^32 - 1], and `setTimeout` turns a delay past 2^31 - 1 into 1 ms (with a warning). So a
 * delay is always made an integer in [0, MAX_DELAY_MS] first, and an expired deadline aborts at
 * once instead of on the next turn of the event loop.
 */

/** The largest delay `setTimeout` honours (about 24.8 days). */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * A delay fit for `setTimeout` / `AbortSignal.timeout`: an integer in [0, MAX_DELAY_MS].
 * Fractions are rounded up (a remainder of 0.4 ms is not yet expired), NaN and negatives are 0,
 * +Infinity is the maximum.
 */
export function delayMs(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  if (ms >= MAX_DELAY_MS) return MAX_DELAY_MS;
  return Math.ceil(ms);
}

/** The error a timed-out signal carries (the same as `AbortSignal.timeout`'s). */
export function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** `AbortSignal.timeout` for any number: already aborted when nothing (or less) is left. */
export function timeoutSignal(ms: number): AbortSignal {
  const delay = delayMs(ms);
  return delay === 0 ? AbortSignal.abort(timeoutError()) : AbortSignal.timeout(delay);
}

/** `setTimeout` for any number of milliseconds (see delayMs). */
export function setDelay(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(fn, delayMs(ms));
}

/** What is left of a deadline (`now()` scale), as a valid delay. */
export function remainingDelay(deadline: number, now: number): number {
  return delayMs(deadline - now);
}
