import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { codexVersion } from '../src/commands/check-command.ts';
import { runCli, tempConfig } from './helpers/cli.ts';

const posix = process.platform !== 'win32';

/** A directory holding a fake `codex` with the given shell body, to put first on PATH. */
function fakeCodex(body: string) {
  const cfg = tempConfig('');
  const bin = join(cfg.dir, 'codex');
  writeFileSync(bin, `#!/bin/sh\n${body}\n`);
  chmodSync(bin, 0o755);
  return { dir: cfg.dir, cleanup: cfg.cleanup };
}

const deps = (path: string) => ({ spawn, env: { PATH: path }, platform: process.platform });

describe('codexVersion', () => {
  test('not on the PATH: null', async (t) => {
    const empty = tempConfig('');
    t.after(() => empty.cleanup());
    assert.equal(await codexVersion(deps(empty.dir)), null);
  });

  test('a spawn that throws: null', async () => {
    const throwing = () => {
      throw new Error('spawn EACCES');
    };
    assert.equal(await codexVersion({ spawn: throwing as unknown as typeof spawn, env: {}, platform: 'linux' }), null);
  });

  test('a spawn that reports an error event: null', async () => {
    const child = Object.assign(new EventEmitter(), { stdout: new EventEmitter(), kill: () => true });
    const failing = () => {
      setImmediate(() => child.emit('error', Object.assign(new Error('spawn codex ENOENT'), { code: 'ENOENT' })));
      return child;
    };
    assert.equal(await codexVersion({ spawn: failing as unknown as typeof spawn, env: {}, platform: 'linux' }), null);
  });

  test('the first line of `codex --version`', { skip: !posix }, async (t) => {
    const codex = fakeCodex('echo "codex-cli 9.9.9"; echo "second line"');
    t.after(() => codex.cleanup());
    assert.equal(await codexVersion(deps(`${codex.dir}:/usr/bin:/bin`)), 'codex-cli 9.9.9');
  });

  test('a codex that fails: null', { skip: !posix }, async (t) => {
    const codex = fakeCodex('echo "codex-cli 9.9.9"; exit 3');
    t.after(() => codex.cleanup());
    assert.equal(await codexVersion(deps(`${codex.dir}:/usr/bin:/bin`)), null);
  });

  test('a codex that hangs is killed and reported as not answering', { skip: !posix }, async (t) => {
    const codex = fakeCodex('exec sleep 30');
    t.after(() => codex.cleanup());
    assert.equal(await codexVersion(deps(`${codex.dir}:/usr/bin:/bin`), 200), 'unknown (codex --version did not answer within 0.2 s)');
  });
});

describe('check --format markdown (the built CLI)', () => {
  test('names the Codex version when codex is on the PATH, and says so when it is not', { skip: !posix }, async (t) => {
    const codex = fakeCodex('echo "codex-cli 9.9.9"');
    const cfg = tempConfig('[mcp_servers.off]\ncommand = "x"\nenabled = false\n');
    t.after(() => {
      codex.cleanup();
      cfg.cleanup();
    });
    // runCli starts node by its absolute path: PATH only decides where `codex` is found.
    const found = await runCli(['check', '--config', cfg.path, '--format', 'markdown'], { env: { PATH: codex.dir }, timeoutMs: 30_000 });
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^- Codex: codex-cli 9\.9\.9$/m);
    assert.match(found.stdout, /^- Node\.js: v\d+\.\d+\.\d+$/m);
    const missing = await runCli(['check', '--config', cfg.path, '--format', 'markdown'], { env: { PATH: cfg.dir }, timeoutMs: 30_000 });
    assert.match(missing.stdout, /^- Codex: not found on PATH$/m);
    assert.ok(!found.stdout.includes('\u001b') && found.stderr === '', 'no spinner, no colour');
  });
});
