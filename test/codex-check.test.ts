// `check --codex`: the installed Codex (the @openai/codex devDependency, or a fake app-server for
// exact answers) checks the same servers beside mcp-doctor, through the built CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codexAvailable, codexBinPath } from './helpers/codex-oracle.ts';
import { checkJson, runCli, tempConfig, ROOT } from './helpers/cli.ts';
import { STDIO_FIXTURE } from './helpers/stdio-check.ts';
import { CALIBRATED_CODEX_VERSION } from '../src/codex/codex-version.ts';

const FAKE = join(ROOT, 'fixtures', 'codex', 'fake-app-server.mjs');
const T = { timeout: 60_000 };
const node = JSON.stringify(process.execPath);
const stdio = (name: string, mode: string, extra = '') => `[mcp_servers.${name}]\ncommand = ${node}\nargs = ${JSON.stringify([STDIO_FIXTURE, mode])}\n${extra}\n`;

before(() => execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' }));

describe('check --codex with the real Codex', { skip: codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed' }, () => {
  const bin = codexBinPath()!;

  test('each server gets Codex verdict beside mcp-doctor: connected with its tools, or its exact error', T, async () => {
    const cfg = tempConfig(stdio('healthy', 'healthy') + stdio('early', 'exit-early'));
    try {
      const run = await checkJson(['--config', cfg.path, '--codex-bin', bin], { timeoutMs: 50_000 });
      const { report } = run;
      assert.match(report.codex.version, /^\d+\.\d+\.\d+/);
      assert.equal(report.codex.unavailable, undefined);
      const healthy = report.servers.find((s: any) => s.name === 'healthy');
      assert.deepEqual({ ...healthy.codex, authStatus: undefined }, { version: report.codex.version, connected: true, tools: 2, error: null, authStatus: undefined });
      const early = report.servers.find((s: any) => s.name === 'early');
      assert.equal(early.codex.connected, false);
      assert.equal(early.codex.error, 'MCP startup failed: handshaking with MCP server failed: connection closed: initialize response');
      // They agree: no codex.disagrees anywhere.
      assert.ok(!report.servers.some((s: any) => s.findings.some((f: any) => f.code === 'codex.disagrees')));
      assert.equal(run.code, 1);

      const text = await runCli(['check', '--config', cfg.path, '--codex-bin', bin], { timeoutMs: 50_000 });
      assert.match(text.stdout, /it started the checked servers itself, the way a Codex\s+session does/);
      assert.match(text.stdout, new RegExp(`Codex ${report.codex.version.replace(/\./g, '\\.')} says: connected \\(2 tools\\)`));
      assert.match(text.stdout, /says: MCP startup failed: handshaking with MCP server failed: connection closed:\s+initialize response/);
    } finally {
      cfg.cleanup();
    }
  });

  test('relative paths resolve where mcp-doctor runs, as in a Codex session started there', T, async () => {
    // Without a session Codex 0.169 starts stdio servers in CODEX_HOME; the copy it reads names the directory.
    const cfg = tempConfig(`[mcp_servers.rel]\ncommand = ${node}\nargs = ["fixtures/stdio/server.mjs", "healthy"]\n`);
    try {
      const { report } = await checkJson(['--config', cfg.path, '--codex-bin', bin], { cwd: ROOT, timeoutMs: 50_000 });
      assert.equal(report.servers[0].status, 'ok');
      assert.equal(report.servers[0].codex.connected, true, report.servers[0].codex.error);
    } finally {
      cfg.cleanup();
    }
  });

  test('a name `-c` cannot address gets the directory in the copy; error positions still point into the user file', T, async () => {
    const dotted = `[mcp_servers."a.b"]\ncommand = ${node}\nargs = ["fixtures/stdio/server.mjs", "healthy"]\n\n`;
    const ok = tempConfig(dotted);
    const refused = tempConfig(`${dotted}[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nbearer_token = "codex-check-inline-token-2"\n`);
    try {
      const fine = await checkJson(['--config', ok.path, '--codex-bin', bin], { cwd: ROOT, timeoutMs: 50_000 });
      assert.equal(fine.report.servers[0].codex.connected, true, fine.report.servers[0].codex.error);
      const bad = await checkJson(['--config', refused.path, '--codex-bin', bin], { cwd: ROOT, timeoutMs: 50_000 });
      // [mcp_servers.h] is line 5 of the user's file (line 6 of the copy Codex read).
      assert.equal(bad.report.codex.configError, `failed to reload config: ${refused.path}:5:1: bearer_token is not supported for streamable_http`);
    } finally {
      ok.cleanup();
      refused.cleanup();
    }
  });

  test('named servers: Codex starts only those', T, async () => {
    // `slow` would hold Codex for 40 s if it were started.
    const cfg = tempConfig(stdio('healthy', 'healthy') + stdio('slow', 'hang', 'startup_timeout_sec = 40'));
    try {
      const { report, code } = await checkJson(['healthy', '--config', cfg.path, '--codex-bin', bin], { timeoutMs: 30_000 });
      assert.equal(code, 0);
      assert.equal(report.servers.find((s: any) => s.name === 'healthy').codex.connected, true);
      assert.equal(report.servers.find((s: any) => s.name === 'slow').codex, undefined);
    } finally {
      cfg.cleanup();
    }
  });

  test('a config Codex refuses: the refusal is quoted with the real file', T, async () => {
    const cfg = tempConfig(stdio('healthy', 'healthy') + '[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nbearer_token = "codex-check-inline-token-1"\n');
    try {
      const { report, stdout } = await checkJson(['--config', cfg.path, '--codex-bin', bin], { timeoutMs: 50_000 });
      // Line 5: the [mcp_servers.h] header, as Codex counts it.
      assert.equal(report.codex.configError, `failed to reload config: ${cfg.path}:5:1: bearer_token is not supported for streamable_http`);
      assert.ok(!stdout.includes('codex-check-inline-token-1'));
      assert.ok(report.servers.every((s: any) => s.codex === undefined), 'no per-server verdict when nothing starts');
      const text = await runCli(['check', '--config', cfg.path, '--codex-bin', bin], { timeoutMs: 50_000 });
      assert.match(text.stdout, /refuses your whole config:\s+failed to reload config:\s/);
    } finally {
      cfg.cleanup();
    }
  });
});

describe('check --codex with a fake app-server', () => {
  let home: string;
  let log: string;
  const USER_CREDENTIALS = JSON.stringify({
    'linear|0123456789abcdef': {
      server_name: 'linear',
      server_url: 'https://mcp.linear.app/mcp',
      client_id: 'c',
      access_token: 'codex-check-access-token-1',
      refresh_token: 'codex-check-refresh-token-1',
      expires_at: 1,
      scopes: [],
    },
  });
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'mcp-doctor-codex-home-'));
    writeFileSync(join(home, '.credentials.json'), USER_CREDENTIALS);
    log = join(home, '..', `${home.split('/').pop()}-fake.json`);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(log, { force: true });
  });

  const fakeEnv = (extra: Record<string, string>) => ({ CODEX_HOME: home, FAKE_CODEX_LOG: log, ...extra });

  test('disagreements are findings: Codex failing a server mcp-doctor passes is an error, the reverse a warning', T, async () => {
    const cfg = tempConfig(stdio('healthy', 'healthy') + stdio('early', 'exit-early'));
    try {
      const verdicts = { healthy: { connected: false, error: 'MCP startup failed: the fake says no' }, early: { connected: true, tools: ['a', 'b', 'c'] } };
      const { report, code } = await checkJson(['--config', cfg.path, '--codex-bin', FAKE], { env: fakeEnv({ FAKE_CODEX_VERDICTS: JSON.stringify(verdicts) }), timeoutMs: 30_000 });
      assert.equal(report.codex.version, '9.9.9');
      assert.equal(report.codex.calibratedVersion, CALIBRATED_CODEX_VERSION);
      const healthy = report.servers.find((s: any) => s.name === 'healthy');
      const disagree = healthy.findings.find((f: any) => f.code === 'codex.disagrees');
      assert.equal(disagree.severity, 'error');
      assert.match(disagree.message, /Codex 9\.9\.9 cannot start "healthy" \("MCP startup failed: the fake says no"\)/);
      assert.equal(healthy.status, 'fail');
      const early = report.servers.find((s: any) => s.name === 'early');
      const reverse = early.findings.find((f: any) => f.code === 'codex.disagrees');
      assert.equal(reverse.severity, 'warning');
      assert.match(reverse.message, /started "early" and got 3 tools/);
      assert.deepEqual(report.summary, { ok: 0, warn: 0, fail: 2, skipped: 0 });
      assert.equal(code, 1);
    } finally {
      cfg.cleanup();
    }
  });

  test('Codex runs on a temporary CODEX_HOME: offline flags, a copy of the config, credentials without refresh tokens; the user files stay as they were', T, async () => {
    const toml = stdio('healthy', 'healthy');
    const cfg = tempConfig(toml);
    try {
      await checkJson(['--config', cfg.path, '--codex-bin', FAKE], { env: fakeEnv({ FAKE_CODEX_VERDICTS: '{"healthy":{"connected":true}}' }), timeoutMs: 30_000 });
      const seen = JSON.parse(readFileSync(log, 'utf8'));
      assert.notEqual(seen.codexHome, home);
      assert.equal(seen.config, toml);
      for (const flag of ['features.plugins=false', 'features.apps=false', 'analytics.enabled=false']) assert.ok(seen.argv.includes(flag), flag);
      assert.equal(seen.argv[0], 'app-server');
      const copied = JSON.parse(seen.credentials);
      assert.equal(copied['linear|0123456789abcdef'].access_token, 'codex-check-access-token-1');
      assert.equal(copied['linear|0123456789abcdef'].refresh_token, undefined);
      // The fake rewrote its own copy; the user's file is untouched.
      assert.equal(readFileSync(join(home, '.credentials.json'), 'utf8'), USER_CREDENTIALS);
    } finally {
      cfg.cleanup();
    }
  });

  test('an app-server without mcpServerStatus/list, a refused config, a missing Codex: clear notes, mcp-doctor\'s own verdicts stand', T, async () => {
    const cfg = tempConfig(stdio('healthy', 'healthy'));
    try {
      const old = await checkJson(['--config', cfg.path, '--codex-bin', FAKE], { env: fakeEnv({ FAKE_CODEX_MODE: 'no-method' }), timeoutMs: 30_000 });
      assert.match(old.report.codex.unavailable, /cannot report MCP server status/);
      assert.equal(old.report.servers[0].status, 'ok');
      assert.equal(old.code, 0);

      const refused = await checkJson(['--config', cfg.path, '--codex-bin', FAKE], { env: fakeEnv({ FAKE_CODEX_MODE: 'config-error' }), timeoutMs: 30_000 });
      assert.equal(refused.report.codex.configError, `failed to reload config: ${cfg.path}:4:1: bearer_token is not supported for streamable_http`);
      // mcp-doctor found no error, so the refusal is one.
      const finding = refused.report.findings.find((f: any) => f.code === 'codex.disagrees');
      assert.equal(finding?.severity, 'error');
      assert.equal(refused.code, 1);

      const missing = await runCli(['check', '--config', cfg.path, '--codex'], { env: { PATH: join(home, 'no-bin') }, timeoutMs: 30_000 });
      assert.match(missing.stdout, /Codex was not asked \(--codex\): codex is not on the PATH/);
      assert.equal(missing.code, 0);
      const bad = await runCli(['check', '--config', cfg.path, '--codex-bin', join(home, 'nope')], { timeoutMs: 30_000 });
      assert.match(bad.stdout, /Codex was not asked \(--codex\): --codex-bin .*nope: no such file/);
    } finally {
      cfg.cleanup();
    }
  });

  test('a Codex that never answers is bounded by --timeout plus its own overhead, and ended', T, async () => {
    const cfg = tempConfig(stdio('healthy', 'healthy'));
    try {
      const run = await checkJson(['--config', cfg.path, '--codex-bin', FAKE, '--timeout', '1'], { env: fakeEnv({ FAKE_CODEX_MODE: 'hang' }), timeoutMs: 40_000 });
      assert.match(run.report.codex.unavailable, /Codex did not finish within 16 s/);
      assert.equal(run.report.servers[0].status, 'ok');
      const ps = execFileSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' });
      assert.ok(!ps.split('\n').some((l) => l.includes(FAKE)), 'the fake app-server was ended');
    } finally {
      cfg.cleanup();
    }
  });
});
