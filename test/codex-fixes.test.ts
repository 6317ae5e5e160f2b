// Fixes proven by Codex: mcp-doctor checks every fixture server (test/helpers/fixture-fleet.ts);
// every finding whose fix is a local config change that is safe to try (src/fix/fix-safety.ts) is
// applied to a copy of the config with the same editor `check --fix` uses, and real Codex (the
// @openai/codex devDependency) starts the fixed servers — all in one run. A server whose errors
// were all fixed this way must now connect; a server that only had warnings must still connect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../src/config/load-config.ts';
import type { LoadedConfig } from '../src/config/server-config.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { applyFixes, type FixCandidate } from '../src/fix/apply-fixes.ts';
import { fixEdit } from '../src/fix/fix-edit.ts';
import { tryability } from '../src/fix/fix-safety.ts';
import { askCodex, codexAvailable, type CodexVerdict } from './helpers/codex-oracle.ts';
import { checkJson, tempConfig, ROOT } from './helpers/cli.ts';
import { FLEET_ENV, killLeftoverPids, startFleet, type Fleet } from './helpers/fixture-fleet.ts';

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';

describe('safe config fixes make Codex connect', { skip }, () => {
  let fleet: Fleet;
  let doctor: any;
  let fixed: string;
  let applied: FixCandidate[] = [];
  /** Servers whose every error finding had a fix that was applied, or that had only warnings fixed. */
  let expected: Array<{ name: string; failed: boolean }> = [];
  let codex: CodexVerdict;

  before(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
    fleet = await startFleet();
    const cfg = tempConfig(fleet.toml);
    let loaded: LoadedConfig;
    try {
      doctor = (await checkJson(['--config', cfg.path, '--concurrency', '100'], { env: FLEET_ENV, timeoutMs: 60_000 })).report;
      loaded = await loadConfig({ configPath: cfg.path, deps: defaultDeps({ env: { ...process.env, ...FLEET_ENV } }) });
    } finally {
      cfg.cleanup();
    }
    const candidates: FixCandidate[] = [];
    for (const server of doctor.servers) {
      for (const finding of server.findings) {
        if (!finding.fix || finding.severity === 'info') continue;
        const planned = fixEdit(finding.fix);
        if (planned.kind !== 'edit') continue;
        const config = loaded.servers.find((e) => e.config.name === server.name)?.config;
        if (!tryability(finding.fix, planned.edit, server.name, config).ok) continue;
        candidates.push({ finding, server: server.name, path: 'config.toml' });
      }
    }
    const result = applyFixes(fleet.toml, candidates);
    fixed = result.text;
    applied = result.applied;
    for (const server of doctor.servers) {
      const mine = applied.filter((c) => c.server === server.name);
      if (mine.length === 0) continue;
      const errors = server.findings.filter((f: any) => f.severity === 'error');
      if (errors.every((f: any) => mine.some((c) => c.finding === f))) expected.push({ name: server.name, failed: server.status === 'fail' });
    }
    if (process.env.DEBUG_FIXES) console.error(JSON.stringify(applied.map((c) => [c.server, c.finding.code, c.finding.fix]), null, 1), expected);
    await fleet.refresh();
    codex = await askCodex(fixed, { env: FLEET_ENV, timeoutMs: 60_000, names: expected.map((e) => e.name) });
  });

  after(async () => {
    await fleet?.close();
    killLeftoverPids(doctor);
  });

  test('the fixes that only edit the config cover the classic failures', () => {
    const codes = new Set(applied.filter((c) => expected.some((e) => e.name === c.server && e.failed)).map((c) => `${c.server} ${c.finding.code}`));
    for (const entry of [
      'stdio_slow timeout.startup',
      'stdio_needs_env stdio.env-not-forwarded',
      'extra_redirect_302 http.redirect',
      'http_sse_only_with_sibling transport.sse-only',
    ]) {
      assert.ok(codes.has(entry), `${entry} is fixed by a config edit; fixed: ${[...codes].join(', ')}`);
    }
  });

  test('every server whose errors were fixed now connects in Codex; fixed warnings do not break one', () => {
    assert.equal(codex.configError, undefined, `Codex refuses the fixed config: ${codex.configError}\n${fixed}`);
    const broken = expected
      .filter(({ name }) => !codex.servers[name]?.connected)
      .map(({ name, failed }) => {
        const fixes = applied.filter((c) => c.server === name).map((c) => `${c.finding.code}: ${c.finding.fix?.summary}`);
        return `${name} (${failed ? 'failed' : 'warned'} before; fixes: ${fixes.join(' | ')}): Codex says ${codex.servers[name]?.errorSummary ?? 'nothing'}`;
      });
    assert.deepEqual(broken, []);
  });

  test('nothing either of them started is left running', () => {
    assert.deepEqual(fleet.leftovers(), []);
  });
});
