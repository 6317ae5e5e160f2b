// Fixes proven by Codex: mcp-doctor checks every fixture server (test/helpers/fixture-fleet.ts);
// every finding whose fix is a local config change that is safe to try (src/fix/fix-safety.ts) is
// applied to a copy of the config with the same editor `check --fix` uses, and real Codex (the
// @openai/codex devDependency) starts the fixed servers — all in one run. A server whose errors
// were all fixed this way must now connect; a server that only had warnings must still connect.
//
// A longer startup budget is a fix only where mcp-doctor saw the server answer late (it waits up
// to --timeout, longer than the servers' budgets here, and measures). For a server that never
// answered, the suggested budget is a guess that comes with the command that measures it; those
// are checked for that command and not given to Codex (it would wait the whole guessed budget).
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
/** How long mcp-doctor waits for each server: beyond the slow fixtures' 4 s, so that it measures them. */
const MEASURE_S = 12;
const TIMEOUT_CODES = new Set(['timeout.startup', 'net.timeout']);
const measured = (finding: any) => finding.evidence?.answeredAfterMs !== undefined || finding.evidence?.measuredMs !== undefined;

describe('safe config fixes make Codex connect', { skip }, () => {
  let fleet: Fleet;
  let doctor: any;
  let fixed: string;
  let applied: FixCandidate[] = [];
  /** Servers whose every error finding had a fix that was applied, or that had only warnings fixed. */
  let expected: Array<{ name: string; failed: boolean; switchedOff: boolean }> = [];
  /** Timeout fixes for servers that never answered: guesses. */
  const guesses: any[] = [];
  let codex: CodexVerdict;

  before(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
    fleet = await startFleet();
    const cfg = tempConfig(fleet.toml);
    let loaded: LoadedConfig;
    try {
      doctor = (await checkJson(['--config', cfg.path, '--concurrency', '100', '--timeout', String(MEASURE_S)], { env: FLEET_ENV, timeoutMs: 60_000 })).report;
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
        if (TIMEOUT_CODES.has(finding.code) && !measured(finding)) {
          guesses.push({ server: server.name, finding });
          continue;
        }
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
      // `disabled = true` → `enabled = false`: the fix makes Codex honour what the user meant.
      const switchedOff = mine.some((c) => /^enabled = false$/m.test(c.finding.fix?.toml ?? ''));
      if (errors.every((f: any) => mine.some((c) => c.finding === f))) expected.push({ name: server.name, failed: server.status === 'fail', switchedOff });
    }
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

  test('a longer budget for a server that never answered comes with the command that measures it', () => {
    assert.ok(guesses.length > 0, 'the hanging fixtures get timeout findings');
    const without = guesses.filter((g) => g.finding.code === 'timeout.startup' && !/--timeout/.test(g.finding.fix.command ?? ''));
    assert.deepEqual(without.map((g) => g.server), []);
  });

  test('every server whose errors were fixed now connects in Codex; fixed warnings do not break one', () => {
    assert.equal(codex.configError, undefined, `Codex refuses the fixed config: ${codex.configError}\n${fixed}`);
    const broken = expected
      .filter(({ name, switchedOff }) => (switchedOff ? !codex.servers[name]?.disabled : !codex.servers[name]?.connected))
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
