// Processes a stdio server starts must not outlive the check: a grandchild in its own session
// (setsid / detached) that ignores SIGTERM left the process group the doctor ended, and outlived
// it. The harness puts a marker into every process's argv and scans /proc for it after the exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.ts';
import { checkAllFormats, hostileMarker, processesWithMarker } from '../helpers/hostile.ts';
import { endDescendants, liveDescendants, trackTree } from '../../src/transports/stdio/process-tree.ts';

const HOSTILE = join(ROOT, 'fixtures', 'hostile', 'stdio-hostile.mjs');
const STDIO = join(ROOT, 'fixtures', 'stdio', 'server.mjs');
const linux = process.platform === 'linux' ? false : 'descendants are tracked through /proc (Linux)';

describe('hostile: no process left behind', { timeout: 120_000, skip: linux }, () => {
  test('a grandchild in its own session that ignores SIGTERM is ended with the server, in every format', async () => {
    const marker = hostileMarker();
    const { report } = await checkAllFormats(['--timeout', '10', '--', process.execPath, HOSTILE, 'setsid-grandchild', marker], { timeoutS: 10 }, { marker });
    assert.equal(report.servers[0].status, 'ok');
  });

  test('a grandchild that holds the pipes and ignores SIGTERM (fork-stubborn) is ended too', async () => {
    const marker = hostileMarker();
    await checkAllFormats(['--timeout', '10', '--', process.execPath, STDIO, 'fork-stubborn', `--tag=${marker}`], { timeoutS: 10 }, { marker });
  });

  test('process-tree: records a detached grandchild while its parent runs and ends it (SIGTERM ignored -> SIGKILL)', async () => {
    const marker = hostileMarker();
    const script = `const {spawn}=require('child_process');const c=spawn(process.execPath,['-e',"process.on('SIGTERM',()=>{});setTimeout(()=>{},60000)",'${marker}'],{detached:true,stdio:'ignore'});c.unref();setTimeout(()=>{},60000)`;
    const parent = spawn(process.execPath, ['-e', script, marker], { stdio: 'ignore' });
    try {
      trackTree(parent.pid!);
      for (let i = 0; i < 50 && liveDescendants(parent.pid!).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      const found = liveDescendants(parent.pid!);
      assert.equal(found.length, 1, 'the grandchild is recorded');
      assert.deepEqual(processesWithMarker(marker).map((p) => p.pid).sort(), [parent.pid!, found[0]!].sort());
      parent.kill('SIGKILL');
      const ended = await endDescendants(parent.pid!, { termGraceMs: 300, killGraceMs: 500 });
      assert.deepEqual(ended, found);
      assert.deepEqual(processesWithMarker(marker), []);
    } finally {
      for (const p of processesWithMarker(marker)) process.kill(p.pid, 'SIGKILL');
    }
  });
});
