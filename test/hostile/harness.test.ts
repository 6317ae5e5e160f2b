// The hostile harness itself: it must see what it is there to catch, or every hostile test
// passes vacuously.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { assertHostileInvariants, hostileMarker, processesWithMarker, runHostile } from '../helpers/hostile.ts';

const SERVER = join(ROOT, 'fixtures', 'stdio', 'server.mjs');

describe('hostile harness', () => {
  test('a healthy stdio server keeps every invariant, and the peak RSS is measured', async () => {
    const marker = hostileMarker();
    const run = await runHostile(['check', '--timeout', '10', '--', process.execPath, SERVER, "healthy", `--tag=${marker}`], { marker });
    assertHostileInvariants(run, { timeoutS: 10, secrets: ['sk-never-given-0123456789'] });
    assert.equal(run.code, 0);
    assert.ok(run.peakRssMb > 10 && run.peakRssMb < 300, `peak ${run.peakRssMb}`);
  });

  test('a process carrying the marker is found, and the invariants reject a leak, a control character and a forged line', async () => {
    const marker = hostileMarker();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', marker], { stdio: 'ignore', detached: true });
    try {
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(processesWithMarker(marker).map((p) => p.pid), [child.pid]);
    } finally {
      child.kill('SIGKILL');
    }
    const base = { args: ['check'], code: 0, signal: null, stderr: '', wallMs: 10, peakRssMb: 50, leftover: [] };
    assert.throws(() => assertHostileInvariants({ ...base, stdout: 'token c2stc2VjcmV0LXZhbHVlLTEyMzQ' }, { timeoutS: 5, secrets: ['sk-secret-value-1234'] }));
    assert.throws(() => assertHostileInvariants({ ...base, stdout: 'name \u001b[2J' }, { timeoutS: 5 }));
    assert.throws(() => assertHostileInvariants({ ...base, stdout: 'two\nFORGED ok' }, { timeoutS: 5, forged: ['FORGED'] }));
    assert.throws(() => assertHostileInvariants({ ...base, stdout: '', code: 3 }, { timeoutS: 5 }));
    assert.throws(() => assertHostileInvariants({ ...base, stdout: '', peakRssMb: 400 }, { timeoutS: 5 }));
    assert.throws(() => assertHostileInvariants({ ...base, stdout: '', leftover: [{ pid: 1, cmdline: 'x' }] }, { timeoutS: 5 }));
  });
});
