/**
 * `--concurrency N` bounds how many servers are checked at once: a config with many stdio
 * servers must never have more than N of their processes alive together (hundreds of servers
 * would otherwise mean hundreds of processes and file descriptors). Every server records its
 * own lifetime (fixtures/interop/recording-server.mjs), so the bound is read from what actually
 * ran, through the built CLI.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJson, ROOT, runCli } from './helpers/cli.ts';
import { maxAlive, readLifetimes } from '../fixtures/interop/lifetimes.ts';

const RECORDING_SERVER = join(ROOT, 'fixtures', 'interop', 'recording-server.mjs');
const work = mkdtempSync(join(tmpdir(), 'mcp-doctor-concurrency-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A config of `count` recording servers that answer initialize after `delayMs`. */
function recordingConfig(label: string, count: number, delayMs: number): { config: string; dir: string } {
  const dir = join(work, label);
  mkdirSync(dir);
  const tables = Array.from(
    { length: count },
    (_, i) => `[mcp_servers.s${i}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([RECORDING_SERVER, dir, '--delay', String(delayMs)])}\n`,
  );
  const config = join(work, `${label}.toml`);
  writeFileSync(config, tables.join('\n'));
  return { config, dir };
}

describe('--concurrency bounds the servers checked at once', () => {
  test('30 stdio servers with --concurrency 3: never more than 3 alive, every one checked and stopped', { timeout: 90_000 }, async () => {
    const { config, dir } = recordingConfig('c3', 30, 150);
    const { code, report, stderr } = await checkJson(['--config', config, '--concurrency', '3'], { timeoutMs: 80_000 });
    assert.equal(code, 0, stderr);
    assert.equal(report.servers.length, 30);
    assert.deepEqual(report.summary, { ok: 30, warn: 0, fail: 0, skipped: 0 });
    const lifetimes = readLifetimes(dir);
    assert.equal(lifetimes.length, 30, 'each server was started once');
    assert.deepEqual(lifetimes.filter((l) => l.end === undefined).map((l) => l.pid), [], 'every server exited');
    const peak = maxAlive(lifetimes);
    assert.ok(peak <= 3, `${peak} servers were alive at once`);
    // The servers did run side by side: a peak of 1 would mean the bound was never tested.
    assert.ok(peak >= 2, `peak ${peak}: the checks ran one at a time`);
  });

  test('--concurrency 1 checks one server at a time', { timeout: 60_000 }, async () => {
    const { config, dir } = recordingConfig('c1', 6, 50);
    const { code, report } = await checkJson(['--config', config, '--concurrency', '1'], { timeoutMs: 50_000 });
    assert.equal(code, 0);
    assert.equal(report.summary.ok, 6);
    assert.equal(maxAlive(readLifetimes(dir)), 1);
  });

  test('--concurrency 0 is a usage error (exit 2), nothing is started', async () => {
    const { config, dir } = recordingConfig('c0', 1, 0);
    const result = await runCli(['check', '--json', '--config', config, '--concurrency', '0']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--concurrency/);
    assert.equal(readLifetimes(dir).length, 0);
  });
});
