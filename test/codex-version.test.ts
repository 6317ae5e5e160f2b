// One place names the Codex release the verdicts are calibrated on; the oracle the tests run is
// that release, and `check --codex` says when the installed Codex is another.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CALIBRATED_CODEX_VERSION, compareVersions } from '../src/codex/codex-version.ts';
import { codexRunSentences } from '../src/report/codex-lines.ts';
import { ROOT, runCli, tempConfig } from './helpers/cli.ts';
import { PINNED } from './helpers/test-deps.ts';
import { STDIO_FIXTURE } from './helpers/stdio-check.ts';

const FAKE = join(ROOT, 'fixtures', 'codex', 'fake-app-server.mjs');

describe('the calibrated Codex version', () => {
  test('is the version the test oracle pins', () => {
    assert.equal(PINNED.codex!['@openai/codex'], CALIBRATED_CODEX_VERSION);
  });

  test('versions compare numerically', () => {
    assert.equal(compareVersions('0.169.0', '0.171.0'), -1);
    assert.equal(compareVersions('0.171.0', '0.171.0'), 0);
    assert.equal(compareVersions('0.1000.0', '0.171.0'), 1);
    assert.equal(compareVersions('1.0.0-alpha.1', '0.171.0'), 1);
  });

  test('the report says whether the installed Codex is the calibrated one', () => {
    const same = codexRunSentences({ version: CALIBRATED_CODEX_VERSION, calibratedVersion: CALIBRATED_CODEX_VERSION }).map((s) => s.text);
    assert.ok(same.some((t) => t.includes(`calibrated on Codex ${CALIBRATED_CODEX_VERSION}, the version installed here`)), same.join('\n'));
    const older = codexRunSentences({ version: '0.160.0', calibratedVersion: CALIBRATED_CODEX_VERSION }).map((s) => s.text);
    assert.ok(older.some((t) => t.includes(`The installed Codex is 0.160.0; mcp-doctor's verdicts are calibrated on Codex ${CALIBRATED_CODEX_VERSION} (a newer release)`)), older.join('\n'));
  });

  test('check --codex prints both versions and the difference (a fake Codex 9.9.9)', { timeout: 60_000 }, async () => {
    const cfg = tempConfig(`[mcp_servers.healthy]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([STDIO_FIXTURE, 'healthy'])}\n`);
    try {
      const run = await runCli(['check', '--config', cfg.path, '--codex-bin', FAKE], { env: { CODEX_HOME: cfg.dir, FAKE_CODEX_LOG: join(cfg.dir, 'fake.json') }, timeoutMs: 50_000 });
      const flat = run.stdout.replace(/\s+/g, ' ');
      assert.match(flat, new RegExp(`The installed Codex is 9\\.9\\.9; mcp-doctor's verdicts are calibrated on Codex ${CALIBRATED_CODEX_VERSION.replace(/\./g, '\\.')} \\(an older release\\)`), run.stdout);
      const md = await runCli(['check', '--config', cfg.path, '--codex-bin', FAKE, '--format', 'markdown'], { env: { CODEX_HOME: cfg.dir, FAKE_CODEX_LOG: join(cfg.dir, 'fake.json') }, timeoutMs: 50_000 });
      assert.match(md.stdout, new RegExp(`- Verdicts calibrated on: Codex ${CALIBRATED_CODEX_VERSION.replace(/\./g, '\\.')}`));
    } finally {
      cfg.cleanup();
    }
  });
});

describe('messages name the calibrated Codex through one constant', () => {
  test('no string in src/ spells out a current Codex version (history such as "0.169 or later" aside)', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir)) {
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.generated.ts') && !p.endsWith('codex-version.ts')) files.push(p);
      }
    };
    walk(join(ROOT, 'src'));
    const HISTORY = /or later can|widened|and 0\.17|0\.169 and 0\.171|startup warning, Codex 0\.169|before 0\.169|pre-0\.169/;
    const offenders: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trimStart();
          if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
          if (/Codex 0\.\d+/.test(line) && !HISTORY.test(line)) offenders.push(`${file.slice(ROOT.length + 1)}:${i + 1}`);
        });
    }
    assert.deepEqual(offenders, []);
  });
});
