// The deadline utility as a property: whatever number a remainder is (fractional, zero,
// negative, huge, NaN, ±Infinity), the delay handed to timers is an integer in [0, 2^31 - 1],
// an expired deadline aborts at once, and neither AbortSignal.timeout nor setTimeout throws or
// warns. Seeded, so a failure names a value that reproduces it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { delayMs, MAX_DELAY_MS, remainingDelay, setDelay, timeoutSignal } from '../src/deadline.ts';
import { createHttpGet } from '../src/auth/http-get.ts';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { prng } from './helpers/prng.ts';


/** Remainders as the doctor meets them: fractions of a ms, whole seconds minus a bit, negatives, huge. */
function sample(rand: () => number): number {
  switch (Math.floor(rand() * 8)) {
    case 0:
      return rand(); // (0, 1)
    case 1:
      return rand() * 10_000; // fractional ms
    case 2:
      return -rand() * 10_000; // a deadline passed
    case 3:
      return Math.floor(rand() * 10) * 1000 - rand(); // 4999.59…
    case 4:
      return rand() * 1e15; // a startup_timeout_sec of years
    case 5:
      return [0, -0, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, MAX_DELAY_MS + 0.5][Math.floor(rand() * 8)]!;
    case 6:
      return (rand() - 0.5) * 2 ** 40;
    default:
      return Math.round(rand() * 60_000);
  }
}

const SEED = Number(process.env.DEADLINE_SEED ?? 20261207);
const CASES = 5000;

describe('deadline: every computed delay is valid', () => {
  test(`delayMs is an integer in [0, MAX_DELAY_MS], monotonic, 0 exactly when nothing is left (seed ${SEED}, ${CASES} cases)`, () => {
    const rand = prng(SEED);
    for (let i = 0; i < CASES; i++) {
      const x = sample(rand);
      const d = delayMs(x);
      assert.ok(Number.isInteger(d) && d >= 0 && d <= MAX_DELAY_MS, `delayMs(${x}) = ${d}`);
      assert.equal(d === 0, !(x > 0), `delayMs(${x}) = ${d}`);
      if (x > 0 && x < MAX_DELAY_MS) assert.ok(d >= x && d - x <= 1, `delayMs(${x}) = ${d} rounds up`);
      const y = sample(rand);
      if (!Number.isNaN(x) && !Number.isNaN(y) && x <= y) assert.ok(delayMs(x) <= delayMs(y), `monotonic: ${x} ${y}`);
      assert.equal(remainingDelay(1000 + x, 1000), delayMs(1000 + x - 1000));
    }
  });

  test('timeoutSignal never throws; an expired deadline is aborted at once with a TimeoutError', () => {
    const rand = prng(SEED + 1);
    for (let i = 0; i < CASES; i++) {
      const x = sample(rand);
      const signal = timeoutSignal(x);
      if (!(x > 0)) {
        assert.equal(signal.aborted, true, `timeoutSignal(${x}) aborted at once`);
        assert.equal((signal.reason as DOMException).name, 'TimeoutError');
      } else {
        assert.equal(signal.aborted, false, `timeoutSignal(${x}) not yet aborted`);
      }
    }
    // The raw API rejects what the doctor computes: the reason this module exists.
    assert.throws(() => AbortSignal.timeout(4978.59), RangeError);
  });

  test('setDelay never warns (TimeoutOverflowWarning / TimeoutNegativeWarning) and fires expired ones on the next turn', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const rand = prng(SEED + 2);
      const fired: number[] = [];
      const timers: NodeJS.Timeout[] = [];
      for (let i = 0; i < 500; i++) {
        const x = sample(rand);
        timers.push(setDelay(() => fired.push(x), x));
      }
      await new Promise((r) => setTimeout(r, 120));
      for (const t of timers) clearTimeout(t);
      assert.ok(fired.every((x) => !(x > 120)), `a long delay fired early: ${fired.filter((x) => x > 120).slice(0, 3).join(', ')}`);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('the metadata GET takes any timeout without throwing (the crash of check --timeout 5 against an OAuth server)', { timeout: 30_000 }, async () => {
    const server = await startFixtureServer('oauth-protected');
    try {
      const rand = prng(SEED + 3);
      for (let i = 0; i < 25; i++) {
        const x = sample(rand);
        const get = createHttpGet({ timeoutMs: x });
        const res = await get(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
        if (x > 0 && delayMs(x) >= 1000) assert.equal(res.status, 200, `timeoutMs ${x}: ${res.error}`);
        else assert.ok(res.status === 200 || res.error, `timeoutMs ${x}`);
      }
    } finally {
      await server.close();
    }
  });
});
