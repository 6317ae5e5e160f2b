// The parts of the large-answer bound (docs/limits.md) on their own: the slot pool, a server's
// gate with its paused deadline, and the JSON value count that decides what is parsed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLargeAnswerGate, createSlotPool } from '../src/pipeline/large-answers.ts';
import { countJsonValues } from '../src/transports/codex-wire.ts';
import { ownCopy } from '../src/limits.ts';
import { prng } from './helpers/prng.ts';

describe('slot pool', () => {
  it('grants in order of asking, and a wait ended by its signal takes no slot', async () => {
    let reclaimed = 0;
    const pool = createSlotPool(1, () => reclaimed++);
    const order: string[] = [];
    assert.equal(await pool.acquire(new AbortController().signal), true);
    const gone = new AbortController();
    const a = pool.acquire(new AbortController().signal).then((ok) => order.push(`a:${ok}`));
    const b = pool.acquire(gone.signal).then((ok) => order.push(`b:${ok}`));
    const c = pool.acquire(new AbortController().signal).then((ok) => order.push(`c:${ok}`));
    assert.equal(pool.waiting, 3);
    gone.abort();
    await b;
    pool.release();
    await a;
    pool.release();
    await c;
    assert.deepEqual(order, ['b:false', 'a:true', 'c:true']);
    pool.release();
    assert.equal(pool.free, 1);
    assert.equal(reclaimed, 3, 'memory is reclaimed each time a slot is given back');
  });
});

describe('large-answer gate', () => {
  it('pauses the deadline while waiting, resumes it when granted, and is re-entrant', async () => {
    const pool = createSlotPool(1);
    await pool.acquire(new AbortController().signal);
    const calls: string[] = [];
    const gate = createLargeAnswerGate(pool, new AbortController().signal, { pause: () => calls.push('pause'), resume: () => calls.push('resume') });
    const first = gate.acquire();
    const second = gate.acquire();
    assert.equal(first, second, 'one wait for concurrent askers');
    assert.deepEqual(calls, ['pause']);
    pool.release();
    assert.equal(await first, true);
    assert.deepEqual(calls, ['pause', 'resume']);
    assert.equal(gate.held, true);
    assert.equal(await gate.acquire(), true);
    gate.release();
    gate.release();
    assert.equal(pool.free, 1, 'released once');
  });

  it('a wait the deadline ends marks the check starved and takes no slot', async () => {
    const pool = createSlotPool(1);
    await pool.acquire(new AbortController().signal);
    const deadline = new AbortController();
    const gate = createLargeAnswerGate(pool, deadline.signal, { pause() {}, resume() {} });
    const waiting = gate.acquire();
    deadline.abort();
    assert.equal(await waiting, false);
    assert.equal(gate.starved, true);
    assert.equal(gate.held, false);
    pool.release();
    assert.equal(pool.free, 1);
  });
});

/** Counts a value's JSON values exactly, and the empty containers (where the count may say one more). */
function exact(value: unknown): { values: number; empty: number } {
  if (Array.isArray(value)) {
    const inner = value.map(exact);
    return { values: 1 + inner.reduce((n, v) => n + v.values, 0), empty: (value.length === 0 ? 1 : 0) + inner.reduce((n, v) => n + v.empty, 0) };
  }
  if (value && typeof value === 'object') {
    const inner = Object.values(value).map(exact);
    return { values: 1 + inner.reduce((n, v) => n + v.values, 0), empty: (inner.length === 0 ? 1 : 0) + inner.reduce((n, v) => n + v.empty, 0) };
  }
  return { values: 1, empty: 0 };
}

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 4 || r < 0.4) return [0, 'a,b[{', 'x"y\\', true, null, -1.5e3][Math.floor(rand() * 6)];
  if (r < 0.7) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i},{`, randomValue(rand, depth + 1)]));
}

describe('countJsonValues', () => {
  it('is never below the real count, and above it only by empty containers (property, 500 random values)', () => {
    const rand = prng(14);
    for (let i = 0; i < 500; i++) {
      const value = randomValue(rand, 0);
      const text = JSON.stringify(value, null, rand() < 0.5 ? 1 : undefined);
      const { values, empty } = exact(value);
      const counted = countJsonValues(text, Number.MAX_SAFE_INTEGER).values;
      assert.ok(counted >= values && counted <= values + empty, `${text}: counted ${counted}, real ${values} (+${empty} empty)`);
    }
  });

  it('stops past the limit, and finds the top-level id wherever it is', () => {
    assert.equal(countJsonValues(`[${'0,'.repeat(1000)}0]`, 10).values, 11);
    assert.equal(countJsonValues('{"jsonrpc":"2.0","result":{"id":7,"tools":[]},"id":42}', 100).id, 42);
    assert.equal(countJsonValues('{"id":"a\\"b","result":{}}', 100).id, 'a"b');
    assert.equal(countJsonValues('{"result":{"id":7}}', 100).id, undefined);
  });
});

describe('ownCopy', () => {
  it('is equal to its input, as a string of its own', () => {
    for (const s of ['', 'a', 'x'.repeat(100), 'é€😀']) assert.equal(ownCopy(s), s);
  });
});
