// Processes a stdio server starts must not outlive the check: a grandchild in its own session
// (setsid / detached) that ignores SIGTERM left the process group the doctor ended, and outlived
// it. The harness puts a marker into every process's argv and scans /proc for it after the exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

  // A double fork whose middle process exits before any scan sees it: the orphan is recognised by
  // what it inherited (the server's environment, or its pipes), in every format and every run.
  for (const mode of ['double-fork', 'double-fork-sh', 'double-fork-pipes', 'fork-chain']) {
    test(`a double-forked grandchild that ignores SIGTERM (${mode}) is ended too`, { skip: mode !== 'double-fork' && !existsSync('/usr/bin/setsid') && 'no setsid(1) here' }, async () => {
      for (let run = 0; run < 2; run++) {
        const marker = hostileMarker();
        const { report } = await checkAllFormats(['--timeout', '10', '--', process.execPath, HOSTILE, mode, marker], { timeoutS: 10 }, { marker });
        assert.equal(report.servers[0].status, 'ok');
      }
    });
  }

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

  test('process-tree: an orphan is taken by its environment only when it is an orphan with the server\'s environment', { skip: !existsSync('/usr/bin/setsid') && 'no setsid(1) here' }, async () => {
    const marker = hostileMarker();
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', MCP_DOCTOR_TREE_TEST: marker };
    const sleeper = (tag: string) => `'${process.execPath}' -e 'setTimeout(()=>{},60000)' ${tag} ${marker}`;
    const server = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)', 'server', marker], { env, stdio: 'ignore' });
    try {
      await new Promise((r) => server.once('spawn', r));
      trackTree(server.pid!, env);
      // Not the server's: the same environment but a living parent (as a Codex session's own
      // server would be), and an orphan with another environment.
      const sibling = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)', 'sibling', marker], { env, stdio: 'ignore' });
      spawn('/bin/sh', ['-c', `(setsid ${sleeper('stranger')} </dev/null >/dev/null 2>&1 &)`], { env: { ...env, OTHER: '1' }, stdio: 'ignore' });
      // The server's: an orphan with its environment (the shell on the way sets _ and SHLVL).
      spawn('/bin/sh', ['-c', `(setsid ${sleeper('orphan')} </dev/null >/dev/null 2>&1 &)`], { env, stdio: 'ignore' });
      let found: number[] = [];
      for (let i = 0; i < 50 && found.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        found = liveDescendants(server.pid!);
      }
      await new Promise((r) => setTimeout(r, 300));
      found = liveDescendants(server.pid!);
      const byTag = (tag: string) => processesWithMarker(marker).filter((p) => p.cmdline.includes(` ${tag} `)).map((p) => p.pid);
      assert.deepEqual(found, byTag('orphan'));
      assert.ok(!found.includes(sibling.pid!));
      assert.equal(byTag('stranger').length, 1);
      server.kill('SIGKILL');
      await endDescendants(server.pid!, { termGraceMs: 300, killGraceMs: 500 });
      assert.deepEqual(byTag('orphan'), []);
      assert.equal(byTag('sibling').length, 1, 'a process with a living parent is left alone');
    } finally {
      for (const p of processesWithMarker(marker)) process.kill(p.pid, 'SIGKILL');
    }
  });
});
