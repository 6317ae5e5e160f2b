import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProgress, progressText, type ProgressState } from '../src/report/progress.ts';
import type { ServerReport } from '../src/types.ts';

/** A stand-in for stderr that records everything written and every cursor movement. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 100,
    rows: 40,
    write(chunk: string | Uint8Array, ...rest: unknown[]) {
      writes.push(String(chunk));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    },
    cursorTo() {
      writes.push('<cursorTo>');
      return true;
    },
    moveCursor() {
      writes.push('<moveCursor>');
      return true;
    },
    clearLine() {
      writes.push('<clearLine>');
      return true;
    },
    on() {
      return stream;
    },
    once() {
      return stream;
    },
    removeListener() {
      return stream;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

const finished = (name: string) => ({ name }) as ServerReport;

describe('createProgress', () => {
  test('disabled: never writes, whatever is reported', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress({ enabled: false, stream, total: 2 });
    progress.serverStarted?.('a');
    progress.stageStarted?.('a', 'initialize');
    progress.serverFinished?.(finished('a'));
    progress.stop();
    assert.deepEqual(writes, []);
  });

  test('a terminal that reports no width gets no spinner (ora would clear lines forever)', async () => {
    const { stream, writes } = fakeStream(true);
    (stream as { columns: number }).columns = 0;
    const progress = createProgress({ enabled: true, stream, total: 1 });
    progress.serverStarted?.('a');
    await sleep(150);
    progress.stop();
    assert.deepEqual(writes, []);
  });

  test('enabled: the spinner shows the count and stop() clears its line', async (t) => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress({ enabled: true, stream, total: 2, color: false });
    t.after(() => progress.stop());
    progress.serverStarted?.('alpha');
    progress.stageStarted?.('alpha', 'discovery');
    progress.serverFinished?.(finished('alpha'));
    await sleep(250);
    assert.ok(writes.some((w) => w.includes('Checking 2 servers… (1/2)')), `frames: ${JSON.stringify(writes.slice(-3))}`);
    const before = writes.length;
    progress.stop();
    assert.ok(writes.slice(before).includes('<clearLine>'), 'stop() clears the spinner line');
    const after = writes.length;
    await sleep(200);
    assert.equal(writes.length, after, 'nothing is written after stop()');
  });
});

describe('progressText', () => {
  const state = (running: [string, string, number][], done = 0, total = 3): ProgressState => ({
    total,
    done,
    running: new Map(running.map(([name, stage, since]) => [name, { stage: stage as 'auth', since }])),
  });

  test('counts done of total', () => {
    assert.equal(progressText(state([['a', 'auth', 0]], 1), 1000), 'Checking 3 servers… (1/3)');
    assert.equal(progressText(state([], 0, 1), 0), 'Checking 1 server… (0/1)');
  });

  test('after ten seconds in one stage, names the slow servers, slowest first', () => {
    const text = progressText(state([['fast', 'tools', 19_000], ['slow', 'initialize', 5_000], ['slower', 'auth', 1_000]]), 20_000);
    assert.equal(text, 'Checking 3 servers… (0/3) — slow: slower (auth, 19 s), slow (initialize, 15 s) — this is taking an unexpectedly long time');
  });

  test('more than two slow servers are counted, not listed', () => {
    const text = progressText(state([['a', 'auth', 0], ['b', 'auth', 0], ['c', 'auth', 0], ['d', 'tools', 0]], 0, 4), 30_000);
    assert.match(text, /slow: a \(auth, 30 s\), b \(auth, 30 s\) and 2 more/);
  });

  test('a server name cannot move the cursor', () => {
    assert.doesNotMatch(progressText(state([['\u001b[2Jx', 'auth', 0]]), 60_000), /\u001b/);
  });
});
