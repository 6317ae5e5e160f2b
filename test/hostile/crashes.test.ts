// Hostile input that used to crash the doctor (exit 3) or run away with time and memory:
// fractional / zero / tiny deadlines (AbortSignal.timeout threw on 4978.59 ms), a config with
// 40 000 unknown keys (stack overflow in the text renderer, 44 s and a 22 MB JSON report), a
// 50 MB config (still running after 25 s at 478 MB), a config path in a symbolic link loop.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, ROOT } from '../helpers/cli.ts';
import { spawn } from 'node:child_process';
import { assertHostileInvariants, checkAllFormats, hostileMarker, runHostile } from '../helpers/hostile.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/http/scenarios.ts';
import { renderText } from '../../src/report/render-text.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';
import { sampleReport, SAMPLE_ENVIRONMENT } from '../../fixtures/reports/sample-report.ts';
import { Chalk } from 'chalk';

const STDIO = join(ROOT, 'fixtures', 'stdio', 'server.mjs');
let dir: string;
let oauth: FixtureServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-hostile-crash-'));
  oauth = await startFixtureServer('oauth-protected');
});
after(async () => {
  await oauth.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Seeded fractional timeouts around the values that crashed (5 s, 4 s) and tiny ones. */
function fractionalSeconds(seed: number, n: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [5, 4, 0.001, 0.3];
  while (out.length < n) out.push(Math.round((0.5 + rand() * 5) * 1000) / 1000);
  return out;
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, text);
  closeSync(fd);
  return path;
}

describe('hostile: no crash on ordinary input', { timeout: 300_000 }, () => {
  test('check --timeout with fractional and tiny values against an OAuth-protected server: never exit 3, never "delay is out of range"', async () => {
    for (const t of fractionalSeconds(20261207, 7)) {
      const run = await runHostile(['check', '--url', oauth.url, '--timeout', String(t)], { env: { CODEX_HOME: dir } });
      assertHostileInvariants(run, { timeoutS: t });
      assert.doesNotMatch(run.stdout + run.stderr, /out of range|crashed/, `--timeout ${t}`);
      assert.equal(run.code, 1, `--timeout ${t}: the server needs a login (fail), got ${run.code}`);
    }
  });

  test('startup_timeout_sec = 4 / fractional for an OAuth-protected server and a stdio server, in every format', async () => {
    for (const t of [4, 4.5, 2.25, 0.75]) {
      const config = writeConfig(
        `timeouts-${t}.toml`,
        `[mcp_servers.oauth]\nurl = "${oauth.url}"\nstartup_timeout_sec = ${t}\n\n[mcp_servers.local]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(STDIO)}, "healthy"]\nstartup_timeout_sec = ${t}\n`,
      );
      const { report } = await checkAllFormats(['--config', config], { timeoutS: t }, { env: { CODEX_HOME: dir } });
      const byName = Object.fromEntries(report.servers.map((s: any) => [s.name, s]));
      assert.equal(byName.oauth.status, 'fail');
      assert.ok(byName.oauth.findings.some((f: any) => f.code === 'auth.login-required'), JSON.stringify(byName.oauth.findings.map((f: any) => f.code)));
      assert.ok(!JSON.stringify(report).includes('internal.stage-crashed'));
      assert.notEqual(byName.local.status, 'fail', `startup_timeout_sec ${t}: ${JSON.stringify(byName.local.findings.map((f: any) => f.code))}`);
    }
  });

  test('a stdio server with a fractional --timeout, and one that never answers with a tiny one', async () => {
    const marker = hostileMarker();
    const ok = await runHostile(['check', '--timeout', '3.7', '--', process.execPath, STDIO, 'healthy', `--tag=${marker}`], { marker });
    assertHostileInvariants(ok, { timeoutS: 3.7 });
    assert.equal(ok.code, 0);
    const hang = await runHostile(['check', '--timeout', '0.25', '--', process.execPath, STDIO, 'hang', `--tag=${marker}`], { marker });
    assertHostileInvariants(hang, { timeoutS: 0.25 });
    assert.equal(hang.code, 1);
  });

  test('a config with 40 000 unknown keys: every format renders, the first 20 are reported and the rest summed up', async () => {
    let text = `[mcp_servers.s]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(STDIO)}, "healthy"]\n`;
    for (let i = 0; i < 40_000; i++) text += `unknown_key_${i} = "v"\n`;
    const config = writeConfig('keys.toml', text);
    const { report, text: out } = await checkAllFormats(['--config', config, '--timeout', '10'], { timeoutS: 10 }, { env: { CODEX_HOME: dir } });
    const unknown = report.servers[0].findings.filter((f: any) => f.code === 'config.unknown-field');
    assert.equal(unknown.length, 21);
    assert.match(unknown[20].message, /and 39980 more keys Codex does not know/);
    assert.ok(out.stdout.length < 100_000, `text report of ${out.stdout.length} bytes`);
  });

  test('a config whose server name, command and args are megabytes long: every format renders, no crash', async () => {
    const name = 's'.repeat(3_000_000);
    const config = writeConfig('longname.toml', `[mcp_servers.${name}]\ncommand = "/nonexistent/${'c'.repeat(300_000)}"\nargs = ["${'a'.repeat(300_000)}"]\n\n[mcp_servers.second]\ncommand = "/nonexistent/two"\n`);
    const { report } = await checkAllFormats(['--config', config, '--timeout', '5'], { timeoutS: 5 }, { env: { CODEX_HOME: dir } });
    assert.equal(report.servers.length, 2);
    assert.equal(report.servers[1].name, 'second');
    assert.ok(report.servers.every((s: any) => s.status === 'fail'));
  });

  test('a config nested 100 000 levels deep (inline tables, arrays): config.parse-error at once, a short excerpt, exit 2', async () => {
    for (const [name, value] of [['tables', `${'{a = '.repeat(100_000)}1${'}'.repeat(100_000)}`], ['arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`]] as const) {
      const config = writeConfig(`deep-${name}.toml`, `[mcp_servers.s]\ncommand = "node"\nbearer_token = "deep-secret-${name}"\nx = ${value}\n`);
      // The excerpt's secret-key blanking backtracked for 57 s on such a line before.
      const { report, text } = await checkAllFormats(['--config', config], { timeoutS: 5 }, { env: { CODEX_HOME: dir } });
      assert.equal(text.code, 2);
      const finding = report.findings.find((f: any) => f.code === 'config.parse-error');
      assert.ok(finding, name);
      assert.ok(JSON.stringify(report).length < 20_000, `${name}: report of ${JSON.stringify(report).length} bytes`);
      assert.ok(!text.stdout.includes(`deep-secret-${name}`));
    }
  });

  test('a reader that closes the pipe early (check | head): no crash, the exit code stands', async () => {
    const config = writeConfig('pipe.toml', `[mcp_servers.s]\ncommand = "/nonexistent/server"\n${Array.from({ length: 200 }, (_, i) => `[mcp_servers.s${i}]\ncommand = "/nonexistent/server${i}"\n`).join('')}`);
    const child = spawn(process.execPath, [CLI, 'check', '--config', config, '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CODEX_HOME: dir } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 1, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled|crashed/);
  });

  test('the renderers take a report with 100 000 findings without recursion or argument spreading', () => {
    const report = sampleReport();
    const finding = report.servers[0]!.findings[0] ?? { code: 'config.unknown-field', severity: 'warning', stage: 'config', message: 'x' };
    report.servers[0]!.findings = Array.from({ length: 100_000 }, () => finding as any);
    assert.ok(renderText(report, { chalk: new Chalk({ level: 0 }), verbose: false }).length > 0);
    assert.ok(renderMarkdown(report, SAMPLE_ENVIRONMENT).length > 0);
  });

  test('a 50 MB config of keys: config.unreadable (over the 4 MiB limit), exit 2, without reading it', async () => {
    const path = join(dir, 'big.toml');
    const fd = openSync(path, 'w');
    writeSync(fd, '[mcp_servers.s]\ncommand = "node"\n');
    const chunk = Array.from({ length: 10_000 }, (_, i) => `unknown_key_${i} = "some value"\n`).join('');
    for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    try {
      const { report, text } = await checkAllFormats(['--config', path], { timeoutS: 5, exitCodes: [2] }, { env: { CODEX_HOME: dir } });
      assert.deepEqual(report.findings.map((f: any) => f.code), ['config.unreadable']);
      assert.match(text.stdout, /larger than the 4\.0 MiB mcp-doctor reads/);
    } finally {
      rmSync(path, { force: true });
    }
  });

  test('a config path in a symbolic link loop: config.unreadable naming ELOOP, exit 2 (Codex: "Symbolic link loop (os error 40)")', async () => {
    const loop = join(dir, 'loop');
    symlinkSync(join(dir, 'loop-b'), loop);
    symlinkSync(loop, join(dir, 'loop-b'));
    const { report, text } = await checkAllFormats(['--config', loop], { timeoutS: 5, exitCodes: [2] }, { env: { CODEX_HOME: dir } });
    assert.deepEqual(report.findings.map((f: any) => f.code), ['config.unreadable']);
    assert.match(text.stdout, /symbolic link loop \(ELOOP/);
  });
});
