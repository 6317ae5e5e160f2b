// Real Codex as the judge: EVERY HTTP fixture scenario (fixtures/http/scenarios.ts, plus the
// extras in fixtures/http/doctor-extras.ts) and EVERY stdio fixture mode (fixtures/stdio/server.mjs)
// in ONE config, checked once by the built mcp-doctor and once by `codex app-server` (the
// @openai/codex devDependency, through the oracle). Contract §5: `error` means the current Codex
// cannot start or use the server, so for every server mcp-doctor says `fail` exactly when Codex
// does not connect. A disagreement is a bug in mcp-doctor, unless it is listed in
// test/codex-exceptions.ts (and so in docs/codex-behaviour.md) with the reason.
//
// Config-level cases that make Codex refuse the WHOLE config are separate configs: mcp-doctor must
// report an error for them, and Codex's configError must appear.
//
// The servers and budgets are in test/helpers/fixture-fleet.ts. Codex and mcp-doctor run one
// after the other, not at once: stateful fixtures (transient-503) are restarted on the same port
// in between so that each sees a fresh server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { askCodex, codexAvailable, type CodexVerdict } from './helpers/codex-oracle.ts';
import { checkJson, tempConfig, ROOT } from './helpers/cli.ts';
import { EXCEPTIONS } from './codex-exceptions.ts';
import { FLEET_ENV, REFUSED_CONFIGS, killLeftoverPids, startFleet, type Fleet } from './helpers/fixture-fleet.ts';
import { STDIO_FIXTURE } from './helpers/stdio-check.ts';

/** Fixtures whose Codex verdict depends on timing under load (see the test that uses it). */
const RETRIED_WHEN_LOADED = ['http_transient_503'];

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';

describe('mcp-doctor fails a server exactly when Codex cannot start it', { skip }, () => {
  let fleet: Fleet;
  let codex: CodexVerdict;
  let doctor: any;
  let doctorMs = 0;

  before(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
    fleet = await startFleet();
    codex = await askCodex(fleet.toml, { env: FLEET_ENV, timeoutMs: 60_000 });
    await fleet.refresh();
    const cfg = tempConfig(fleet.toml);
    try {
      const run = await checkJson(['--config', cfg.path, '--concurrency', '100'], { env: FLEET_ENV, timeoutMs: 60_000 });
      doctor = run.report;
      doctorMs = Math.round(run.durationMs);
    } finally {
      cfg.cleanup();
    }
  });

  after(async () => {
    await fleet?.close();
    killLeftoverPids(doctor);
  });

  test('the config is accepted by both, and the healthy controls connect', (t) => {
    t.diagnostic(`${fleet.names.length} servers; Codex ${codex.durationMs} ms, mcp-doctor ${doctorMs} ms`);
    assert.equal(codex.configError, undefined, codex.configError);
    assert.ok(codex.servers.stdio_healthy?.connected, codex.servers.stdio_healthy?.error);
    assert.ok(codex.servers.http_healthy_json?.connected, codex.servers.http_healthy_json?.error);
    assert.equal(doctor.servers.find((s: any) => s.name === 'stdio_healthy')?.status, 'ok');
    assert.equal(doctor.servers.find((s: any) => s.name === 'http_healthy_json')?.status, 'ok');
  });

  test('every server: fail exactly when Codex does not connect (documented exceptions aside)', async () => {
    // Codex's own retries of a 503 are timed: with 80 servers starting at once on a loaded machine
    // it sometimes gives up before the fixture recovers (seen twice). Such a server is asked again,
    // alone, before a mismatch is called.
    for (const name of RETRIED_WHEN_LOADED) {
      const report = doctor.servers.find((s: any) => s.name === name);
      if (!report || (report.status === 'fail') !== codex.servers[name]?.connected) continue;
      await fleet.refresh();
      const table = new RegExp(`\\[mcp_servers\\.${name}\\]\\n(?:[^\\[\\n].*\\n)*`).exec(fleet.toml)![0];
      const again = await askCodex(table, { env: FLEET_ENV, timeoutMs: 30_000 });
      codex.servers[name] = again.servers[name]!;
    }
    const mismatches: string[] = [];
    for (const name of fleet.names) {
      const verdict = codex.servers[name];
      const report = doctor.servers.find((s: any) => s.name === name);
      assert.ok(verdict && report, `${name} is in both reports`);
      const exception = EXCEPTIONS[name];
      if (exception) {
        assert.equal(report.status, exception.doctor, `${name} (documented exception): ${exception.why}`);
        assert.equal(verdict.connected, exception.codex, `${name} (documented exception): ${exception.why}`);
        continue;
      }
      if ((report.status === 'fail') === verdict.connected) {
        mismatches.push(
          `${name}: Codex ${verdict.connected ? 'connected' : `failed (${verdict.errorSummary ?? verdict.error})`}, mcp-doctor ${report.status} [${report.findings.map((f: any) => `${f.severity} ${f.code}`).join(', ')}]`,
        );
      }
      if (verdict.connected && report.tools) assert.equal(report.tools.count, verdict.toolCount, `${name}: tool count`);
    }
    assert.deepEqual(mismatches, []);
  });

  test('nothing either of them started is left running', () => {
    assert.deepEqual(fleet.leftovers(), []);
  });
});

describe('configs Codex refuses as a whole: mcp-doctor reports an error', { skip, concurrency: 2 }, () => {
  const healthy = `[mcp_servers.fine]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([STDIO_FIXTURE, 'healthy'])}\n\n`;
  for (const [name, c] of Object.entries(REFUSED_CONFIGS)) {
    test(name, { timeout: 60_000 }, async () => {
      const toml = healthy + c.toml;
      const cfg = tempConfig(toml);
      try {
        const [verdict, run] = await Promise.all([askCodex(toml, { timeoutMs: 30_000 }), checkJson(['--config', cfg.path], { timeoutMs: 30_000 })]);
        assert.match(verdict.configError ?? '', /^failed to reload config: \$CODEX_HOME\/config\.toml:\d+:\d+: /);
        assert.match(verdict.configError!, c.reason);
        assert.deepEqual(verdict.servers, {}, 'Codex starts no server');
        const findings = [...run.report.findings, ...run.report.servers.flatMap((s: any) => s.findings)];
        const finding = findings.find((f: any) => f.code === c.code);
        assert.ok(finding, `mcp-doctor reports ${c.code}: ${JSON.stringify(findings.map((f: any) => f.code))}`);
        assert.equal(finding.severity, 'error');
        assert.match(finding.message, /refuses the whole config|whole config/i, finding.message);
        assert.equal(run.code, 1);
      } finally {
        cfg.cleanup();
      }
    });
  }
});
