import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { startFixtureServer, type FixtureServer } from '../fixtures/http/scenarios.ts';
import { recordConfigReads, runFixStep, type FixStepInput } from '../src/commands/fix-command.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { Deps } from '../src/pipeline/context.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { runChecks } from '../src/pipeline/run-checks.ts';
import type { PlanFactory } from '../src/pipeline/run-server.ts';
import { createRedactor } from '../src/redact.ts';
import { buildReport } from '../src/report/build-report.ts';
import { renderJson } from '../src/report/render-json.ts';
import { ROOT, runCli, tempConfig } from './helpers/cli.ts';

const SCRIPT = join(ROOT, 'fixtures', 'stdio', 'server.mjs');

function commentsOf(text: string): string[] {
  return text.split(/\r?\n/).flatMap((line) => /(?:^|\s)(#.*)$/.exec(line)?.[1] ?? []);
}

/** Applies a unified diff to `text` with GNU patch and returns the result. */
function patched(text: string, diff: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-patch-'));
  try {
    const file = join(dir, 'config.toml');
    writeFileSync(file, text);
    const result = spawnSync('patch', ['--quiet', file], { input: diff, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('check --fix through the built CLI', () => {
  let legacy: FixtureServer;
  let healthy: FixtureServer;
  before(async () => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(build.status, 0, build.stderr);
    legacy = await startFixtureServer('sse-only-with-sibling');
    healthy = await startFixtureServer('healthy-json');
  });
  after(async () => {
    await legacy?.close();
    await healthy?.close();
  });

  const configText = () => `# Codex config: comments everywhere
model = "gpt-5"  # the model

[mcp_servers.legacy]   # moved to Streamable HTTP last year
url = "${legacy.url}"   # the old endpoint

[mcp_servers.typed]
url = "${healthy.url}"
type = "http"   # copied from a Claude config

# a slow one
[mcp_servers.slow]
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(SCRIPT)}, "slow", "--delay", "1500"]  # 1.5 s to start
startup_timeout_sec = 1   # too short
`;

  test('--fix --write: backup first, the file changed exactly as the diff says, comments kept, findings gone on the next run', async () => {
    const original = configText();
    const cfg = tempConfig(original);
    try {
      const env = { HOME: cfg.dir, CODEX_HOME: cfg.dir };
      const run = await runCli(['check', '--config', cfg.path, '--fix', '--write', '--json'], { env, cwd: cfg.dir, timeoutMs: 90_000 });
      const report = JSON.parse(run.stdout);
      assert.equal(run.code, 1, `the exit code is the report's (errors were found): ${run.stderr}`);
      assert.equal(report.fixes.write.written, true, JSON.stringify(report.fixes, null, 1));
      const codes = report.fixes.applied.map((o: { code: string }) => o.code).sort();
      assert.deepEqual(codes, ['config.unknown-field', 'timeout.startup', 'transport.sse-only']);
      for (const o of report.fixes.applied) assert.ok(['cleared', 'not-tried'].includes(o.verification), JSON.stringify(o));
      assert.equal(report.fixes.applied.find((o: { code: string }) => o.code === 'transport.sse-only').verification, 'cleared');

      const [backup] = report.fixes.write.backups as string[];
      assert.match(backup!, /\/config\.toml\.bak-\d{8}-\d{6}$/);
      assert.equal(readFileSync(backup!, 'utf8'), original, 'the backup holds the file as it was');
      assert.deepEqual(readdirSync(cfg.dir).filter((f) => f.includes('mcp-doctor')), [], 'no temporary file left next to the config');

      const written = readFileSync(cfg.path, 'utf8');
      assert.equal(report.fixes.files.length, 1);
      assert.equal(patched(original, report.fixes.files[0].diff), written, 'the file is what the diff says');
      // Only the comment of a deleted line may go (`type = "http"   # copied...` is deleted whole).
      const diffLines = (report.fixes.files[0].diff as string).split('\n');
      const added = diffLines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).flatMap(commentsOf);
      const deleted = diffLines.filter((l) => l.startsWith('-') && !l.startsWith('---')).flatMap(commentsOf).filter((c) => !added.includes(c));
      assert.deepEqual(deleted, ['# copied from a Claude config']);
      for (const comment of commentsOf(original)) if (!deleted.includes(comment)) assert.ok(written.includes(comment), `comment kept: ${comment}`);
      const doc = parse(written) as any;
      assert.equal(doc.mcp_servers.legacy.url, `${legacy.origin}/mcp`);
      assert.equal(doc.mcp_servers.typed.type, undefined);
      assert.ok(doc.mcp_servers.slow.startup_timeout_sec > 1.5);

      const again = await runCli(['check', '--config', cfg.path, '--json'], { env, cwd: cfg.dir, timeoutMs: 90_000 });
      const next = JSON.parse(again.stdout);
      const remaining = next.servers.flatMap((s: { findings: Array<{ code: string }> }) => s.findings.map((f) => f.code));
      for (const code of codes) assert.equal(remaining.includes(code), false, `${code} is gone: ${remaining}`);
      assert.equal(next.summary.fail, 0, JSON.stringify(remaining));
    } finally {
      cfg.cleanup();
    }
  });

  test('--fix alone prints the diff and leaves the file alone (markdown: a diff block)', async () => {
    const original = configText();
    const cfg = tempConfig(original);
    try {
      const env = { HOME: cfg.dir, CODEX_HOME: cfg.dir };
      const run = await runCli(['check', 'typed', '--config', cfg.path, '--fix', '--format', 'markdown'], { env, cwd: cfg.dir, timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /```diff\n--- .*config\.toml\n\+\+\+ .*config\.toml\n@@ /);
      assert.match(run.stdout, /^-type = "http" {3}# copied from a Claude config$/m);
      assert.equal(readFileSync(cfg.path, 'utf8'), original);
      assert.deepEqual(readdirSync(cfg.dir), ['config.toml']);
    } finally {
      cfg.cleanup();
    }
  });

  test('--fix --write refuses (exit 2) when a fix cannot be applied surgically, and writes nothing', async () => {
    const original = `[mcp_servers]\ninline = { url = "${healthy.url}", type = "http" }  # an inline server\n`;
    const cfg = tempConfig(original);
    try {
      const run = await runCli(['check', '--config', cfg.path, '--fix', '--write', '--json'], { env: { HOME: cfg.dir, CODEX_HOME: cfg.dir }, cwd: cfg.dir, timeoutMs: 60_000 });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /not writing: the fix for config\.unknown-field \(inline\) cannot be applied surgically: .*inline table/);
      const report = JSON.parse(run.stdout);
      assert.equal(report.fixes.write.written, false);
      assert.equal(readFileSync(cfg.path, 'utf8'), original);
      assert.deepEqual(readdirSync(cfg.dir), ['config.toml']);
    } finally {
      cfg.cleanup();
    }
  });

  test('an inline token being removed never reaches the output; the diff shows it redacted', async () => {
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789AB';
    const cfg = tempConfig(`[mcp_servers.gh]\nurl = "${healthy.url}"\nbearer_token = "${token}"\n`);
    try {
      for (const format of ['json', 'text', 'markdown']) {
        const run = await runCli(['check', '--config', cfg.path, '--fix', '--format', format], { env: { HOME: cfg.dir, CODEX_HOME: cfg.dir }, cwd: cfg.dir, timeoutMs: 60_000 });
        assert.equal(run.stdout.includes(token) || run.stderr.includes(token), false, `${format}: token leaked`);
        if (format === 'json') assert.match(JSON.parse(run.stdout).fixes.files[0].diff, /^-bearer_token = "<redacted>"$/m);
      }
    } finally {
      cfg.cleanup();
    }
  });

  test('usage errors: --write without --fix, --fix with --url', async () => {
    const write = await runCli(['check', '--write'], { timeoutMs: 30_000 });
    assert.equal(write.code, 2);
    assert.match(write.stderr, /--write goes with --fix/);
    const url = await runCli(['check', '--url', healthy.url, '--fix'], { timeoutMs: 30_000 });
    assert.equal(url.code, 2);
    assert.match(url.stderr, /--fix works on a config file/);
  });
});

describe('runFixStep --write in process', () => {
  /** No probing: the finding comes from the config stage (`type` is not a Codex key). */
  const quiet: PlanFactory = () => ({
    stages: {
      discovery: async () => ({ summary: 'ok' }),
      auth: async () => ({ summary: 'none', skipped: true }),
      initialize: async () => ({ summary: 'ok' }),
      tools: async () => ({ summary: 'ok' }),
    },
    cleanup: async () => {},
  });
  const ORIGINAL = '# keep me\n[mcp_servers.a]\nurl = "http://127.0.0.1:1/mcp"\ntype = "http"  # foreign\n';

  async function prepared(dir: string) {
    const path = join(dir, 'config.toml');
    writeFileSync(path, ORIGINAL);
    const deps: Deps = recordConfigReads(defaultDeps({ env: { HOME: dir }, cwd: dir, codexHome: dir }));
    const config = await loadConfig({ configPath: path, deps });
    const redact = createRedactor([]);
    const options = { verbose: false, concurrency: 4 };
    const plans = { stdio: quiet, streamable_http: quiet };
    const servers = await runChecks({ config, selected: [], deps, options, redact, plans });
    const report = buildReport({ configPath: config.path, files: config.files, findings: config.findings, servers });
    let stdout = '';
    let stderr = '';
    const input: FixStepInput = {
      args: { fix: true, write: true, names: [], format: 'json', color: false, strict: false },
      io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
      deps,
      config,
      report,
      options,
      redact,
      plans,
      render: (r) => renderJson(r, { verbose: false }),
      now: () => new Date(2026, 0, 2, 3, 4, 5),
    };
    return { path, input, out: () => ({ stdout, stderr }) };
  }

  test('refuses (exit 2) when the file changed between reading and writing, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-fix-'));
    try {
      const { path, input, out } = await prepared(dir);
      const edited = `${ORIGINAL}# the user edited the file meanwhile\n`;
      const code = await runFixStep({ ...input, beforeWrite: () => writeFileSync(path, edited) });
      assert.equal(code, 2);
      assert.equal(readFileSync(path, 'utf8'), edited, 'the user\'s edit survives');
      assert.deepEqual(readdirSync(dir), ['config.toml'], 'no backup, no temporary file');
      assert.match(out().stderr, /changed since mcp-doctor read it; nothing was written/);
      assert.equal(JSON.parse(out().stdout).fixes.write.written, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('writes the backup named after the local time, then the fixed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-fix-'));
    try {
      const { path, input } = await prepared(dir);
      const code = await runFixStep(input);
      assert.equal(code, 0);
      assert.equal(readFileSync(join(dir, 'config.toml.bak-20260102-030405'), 'utf8'), ORIGINAL);
      assert.equal(readFileSync(path, 'utf8'), '# keep me\n[mcp_servers.a]\nurl = "http://127.0.0.1:1/mcp"\n');
      // A second backup in the same second does not overwrite the first.
      writeFileSync(path, ORIGINAL);
      const again = await prepared(dir);
      assert.equal(await runFixStep(again.input), 0);
      assert.ok(existsSync(join(dir, 'config.toml.bak-20260102-030405-1')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
