import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChildEnv, droppedVariables } from '../src/transports/stdio/child-env.ts';
import { candidateNames, envInterpreter, resolveCommand } from '../src/transports/stdio/resolve-command.ts';
import { launchSpec } from '../src/stages/stdio-plan.ts';

let root: string;
const bin = (dir: string, name: string, body = '#!/bin/sh\nexit 0\n', mode = 0o755) => {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, body);
  chmodSync(file, mode);
  return file;
};

before(() => {
  root = mkdtempSync(join(tmpdir(), 'mcp-doctor-resolve-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('buildChildEnv', () => {
  test('keeps only the whitelist, then env_vars, then env (env wins)', () => {
    const parent = { HOME: '/h', PATH: '/usr/bin', MY_API_KEY: 'k', OTHER: 'o', HTTPS_PROXY: 'p', LANG: 'C' };
    const env = buildChildEnv(
      { envVars: [{ name: 'MY_API_KEY', source: 'local' }, { name: 'REMOTE_ONLY', source: 'remote' }], env: { LANG: 'de_DE.UTF-8', EXTRA: 'x' } },
      parent,
      'linux',
    );
    assert.deepEqual(env, { HOME: '/h', PATH: '/usr/bin', LANG: 'de_DE.UTF-8', MY_API_KEY: 'k', EXTRA: 'x' });
    assert.deepEqual(droppedVariables(parent, env, 'linux'), ['HTTPS_PROXY', 'OTHER']);
  });

  test('on Windows reads names case-insensitively and uses the Windows list', () => {
    const env = buildChildEnv({ envVars: [], env: {} }, { Path: 'C:\\bin', SystemRoot: 'C:\\Windows', HOME: '/h', APPDATA: 'a' }, 'win32');
    assert.deepEqual(env, { PATH: 'C:\\bin', SYSTEMROOT: 'C:\\Windows', APPDATA: 'a' });
  });
});

describe('resolveCommand', () => {
  test('finds a bare name on the child PATH, not the user PATH', async () => {
    const dirA = join(root, 'a');
    const dirB = join(root, 'b');
    const file = bin(dirB, 'tool-one');
    mkdirSync(dirA, { recursive: true });
    const res = await resolveCommand({ command: 'tool-one', cwd: root, childEnv: { PATH: `${dirA}:${dirB}` }, userEnv: {}, platform: 'linux' });
    assert.equal(res.found, true);
    assert.equal(res.path, file);
    assert.deepEqual(res.searched, [dirA, dirB]);
  });

  test('not on the child PATH but on the user PATH: says where', async () => {
    const userDir = join(root, 'user-only');
    const file = bin(userDir, 'tool-two');
    const res = await resolveCommand({
      command: 'tool-two',
      cwd: root,
      childEnv: { PATH: '/nonexistent-dir' },
      userEnv: { PATH: userDir },
      platform: 'linux',
    });
    assert.equal(res.found, false);
    assert.deepEqual(res.searched, ['/nonexistent-dir']);
    assert.deepEqual(res.elsewhere, { path: file, via: 'user-path' });
  });

  test('finds an nvm install a GUI PATH lacks', async () => {
    const home = join(root, 'home');
    // A name no system directory has, so the machine running the test does not matter.
    const old = bin(join(home, '.nvm/versions/node/v9.11.0/bin'), 'mcpd-test-npx');
    const newest = bin(join(home, '.nvm/versions/node/v22.1.0/bin'), 'mcpd-test-npx', '#!/usr/bin/env node\n');
    const res = await resolveCommand({ command: 'mcpd-test-npx', cwd: root, childEnv: { PATH: '/nonexistent-dir' }, userEnv: { HOME: home, PATH: '/nonexistent-dir' }, platform: 'linux' });
    assert.equal(res.found, false);
    assert.notEqual(res.elsewhere?.path, old);
    assert.equal(res.elsewhere?.path, newest);
    assert.equal(res.elsewhere?.via, 'known-location');
    assert.equal(await envInterpreter(newest), 'node');
  });

  test('a non-executable file does not count on POSIX', async () => {
    const dir = join(root, 'noexec');
    bin(dir, 'tool-three', 'data', 0o644);
    const res = await resolveCommand({ command: 'tool-three', cwd: root, childEnv: { PATH: dir }, userEnv: {}, platform: 'linux' });
    assert.equal(res.found, false);
  });

  test('a relative path is resolved against cwd, without a PATH search', async () => {
    const cwd = join(root, 'project');
    const file = bin(join(cwd, 'bin'), 'server');
    const res = await resolveCommand({ command: './bin/server', cwd, childEnv: { PATH: '' }, userEnv: {}, platform: 'linux' });
    assert.equal(res.found, true);
    assert.equal(res.isPath, true);
    assert.equal(res.path, join(cwd, 'bin', 'server'));
    assert.equal(res.path, file);
    const missing = await resolveCommand({ command: './bin/other', cwd, childEnv: { PATH: '' }, userEnv: {}, platform: 'linux' });
    assert.equal(missing.found, false);
    assert.deepEqual(missing.searched, [join(cwd, 'bin')]);
  });

  test('win32: `npx` resolves to npx.cmd through PATHEXT on the child PATH', async () => {
    const nodeDir = join(root, 'win', 'nodejs');
    bin(nodeDir, 'npx.cmd', '@echo off\r\n');
    const empty = join(root, 'win', 'empty');
    mkdirSync(empty, { recursive: true });
    const childEnv = { PATH: `${empty};${nodeDir}`, PATHEXT: '.COM;.EXE;.BAT;.CMD' };
    const res = await resolveCommand({ command: 'npx', cwd: root, childEnv, userEnv: {}, platform: 'win32' });
    assert.equal(res.found, true);
    assert.equal(res.path, `${nodeDir}/npx.cmd`);
    assert.deepEqual(res.searched, [empty, nodeDir]);
    // A name that already has an extension is taken as is.
    assert.deepEqual(candidateNames('npx.cmd', childEnv, 'win32'), ['npx.cmd']);
  });

  test('win32: without .CMD in PATHEXT the shim is not found, and the names tried are reported', async () => {
    const nodeDir = join(root, 'win2', 'nodejs');
    bin(nodeDir, 'npx.cmd', '@echo off\r\n');
    const res = await resolveCommand({ command: 'npx', cwd: root, childEnv: { Path: nodeDir, PATHEXT: '.EXE' }, userEnv: {}, platform: 'win32' });
    assert.equal(res.found, false);
    assert.ok(res.names.includes('npx.exe'));
    assert.ok(!res.names.some((n) => n.toLowerCase() === 'npx.cmd'));
  });
});

describe('launchSpec', () => {
  test('POSIX: the program itself, in its own process group', () => {
    assert.deepEqual(launchSpec('/usr/bin/node', ['s.js'], '/w', {}, 'linux'), { file: '/usr/bin/node', args: ['s.js'], cwd: '/w', processGroup: true });
  });
  test('Windows: a .cmd shim runs through cmd.exe with quoted arguments', () => {
    const spec = launchSpec('C:\\nodejs\\npx.cmd', ['-y', 'pkg name', 'a"b'], 'C:\\w', { COMSPEC: 'C:\\Windows\\system32\\cmd.exe' }, 'win32');
    assert.equal(spec.file, 'C:\\Windows\\system32\\cmd.exe');
    assert.deepEqual(spec.args, ['/d', '/s', '/c', '""C:\\nodejs\\npx.cmd" "-y" "pkg name" "a""b""']);
    assert.equal(spec.verbatimArgs, true);
    assert.equal(spec.processGroup, false);
    assert.equal(launchSpec('C:\\bin\\server.exe', [], 'C:\\w', {}, 'win32').file, 'C:\\bin\\server.exe');
  });
});
