import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { tempScratch, verifyFixes, type Scratch } from '../src/fix/verify-fixes.ts';
import { makeFinding } from '../src/findings/make-finding.ts';
import type { CheckOptions, Deps } from '../src/pipeline/context.ts';
import { defaultDeps } from '../src/pipeline/default-deps.ts';
import { runChecks } from '../src/pipeline/run-checks.ts';
import type { PlanFactory } from '../src/pipeline/run-server.ts';
import { createRedactor } from '../src/redact.ts';
import { buildReport } from '../src/report/build-report.ts';
import { createHttpPlan } from '../src/stages/http-plan.ts';
import { createStdioPlan } from '../src/stages/stdio-plan.ts';
import type { Finding, Report } from '../src/types.ts';
import { ROOT } from './helpers/cli.ts';

const OPTIONS: CheckOptions = { verbose: false, concurrency: 8 };

/** A config file in a fresh directory, which is also the cwd and CODEX_HOME (no project configs, no stored tokens). */
function workspace(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-verify-test-'));
  const path = join(dir, 'config.toml');
  writeFileSync(path, toml);
  const deps: Deps = defaultDeps({ env: { PATH: process.env.PATH, HOME: dir }, cwd: dir, codexHome: dir });
  return { dir, path, deps, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A scratch that records the directories it made, to prove they are removed again. */
function recordingScratch(): Scratch & { dirs: string[] } {
  const dirs: string[] = [];
  return {
    dirs,
    makeDir: async () => {
      const dir = await tempScratch.makeDir();
      dirs.push(dir);
      return dir;
    },
    writeFile: tempScratch.writeFile,
    removeDir: tempScratch.removeDir,
  };
}

async function checkAndVerify(ws: ReturnType<typeof workspace>, plans: { stdio: PlanFactory; streamable_http: PlanFactory }, edit?: (report: Report) => void) {
  const config = await loadConfig({ configPath: ws.path, deps: ws.deps });
  const redact = createRedactor([]);
  const servers = await runChecks({ config, selected: [], deps: ws.deps, options: OPTIONS, redact, plans });
  const report = buildReport({ configPath: config.path, files: config.files, findings: config.findings, servers });
  edit?.(report);
  const scratch = recordingScratch();
  const before = readFileSync(ws.path, 'utf8');
  const mtime = statSync(ws.path).mtimeMs;
  await verifyFixes({ report, config, selected: [], configText: before, deps: ws.deps, options: OPTIONS, redact, plans, scratch });
  assert.equal(readFileSync(ws.path, 'utf8'), before, 'the user\'s file is never touched');
  assert.equal(statSync(ws.path).mtimeMs, mtime);
  for (const dir of scratch.dirs) assert.equal(existsSync(dir), false, `temporary ${dir} removed`);
  return { report, scratch };
}

function findingOf(report: Report, server: string, code: string): Finding {
  const found = report.servers.find((s) => s.name === server)?.findings.find((f) => f.code === code);
  assert.ok(found, `${server} has ${code}: ${JSON.stringify(report.servers.find((s) => s.name === server)?.findings.map((f) => f.code))}`);
  return found;
}

/**
 * Stub stages that decide from the config alone, so each verification outcome can be produced on
 * purpose: the verifier only sees findings, exactly as with the real stages.
 */
function stubPlans(calls: Map<string, number>): { stdio: PlanFactory; streamable_http: PlanFactory } {
  let inFlight = 0;
  let release: (() => void) | undefined;
  const bothInFlight = new Promise<void>((resolve) => (release = resolve));
  const plan: PlanFactory = () => ({
    stages: {
      discovery: async (ctx) => {
        const url = ctx.server.url ?? '';
        calls.set(url, (calls.get(url) ?? 0) + 1);
        const table = `[mcp_servers.${ctx.server.name}]`;
        if (ctx.server.disabledTools?.includes('breaks-discovery')) {
          return { summary: 'refused', findings: [makeFinding('net.connection-refused', { message: 'refused' })] };
        }
        if (url.includes('/barrier/mcp')) {
          // Resolves only when two servers are re-checked at the same time.
          if (++inFlight >= 2) release!();
          // The runner's deadline timer is unref'd; a real stage holds a socket or a process open.
          const keepAlive = setInterval(() => {}, 1000);
          await Promise.race([bothInFlight, new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))]);
          clearInterval(keepAlive);
          inFlight--;
          if (ctx.signal.aborted) return { summary: 'alone', findings: [makeFinding('net.timeout', { message: 'not concurrent' })] };
          return { summary: 'ok' };
        }
        if (url.endsWith('/sse')) {
          return {
            summary: 'legacy',
            findings: [makeFinding('transport.sse-only', { message: 'legacy SSE', fix: { summary: 'use /mcp', toml: `${table}\nurl = "${url.replace(/\/sse$/, '/mcp')}"` } })],
          };
        }
        if (url.includes('/always-sse')) {
          return { summary: 'legacy', findings: [makeFinding('transport.sse-only', { message: 'legacy SSE', fix: { summary: 'another path', toml: `${table}\nurl = "${url}x"` } })] };
        }
        if (url.endsWith('/moves')) {
          return { summary: 'legacy', findings: [makeFinding('transport.sse-only', { message: 'legacy SSE', fix: { summary: 'moved', toml: `${table}\nurl = "${url}-here"` } })] };
        }
        if (url.endsWith('/moves-here')) return { summary: 'silent', findings: [makeFinding('net.timeout', { message: 'no answer' })] };
        if (url.includes('other-host')) {
          return { summary: 'legacy', findings: [makeFinding('transport.sse-only', { message: 'legacy SSE', fix: { summary: 'elsewhere', toml: `${table}\nurl = "http://elsewhere.invalid/mcp"` } })] };
        }
        return { summary: 'ok' };
      },
      auth: async () => ({ summary: 'none', skipped: true }),
      initialize: async () => ({ summary: 'ok' }),
      tools: async (ctx) => {
        if (ctx.server.url?.includes('inconclusive')) {
          return {
            summary: 'bad name',
            findings: [makeFinding('tools.invalid-name', { message: 'search.docs', fix: { summary: 'filter', toml: `[mcp_servers.${ctx.server.name}]\ndisabled_tools = ["breaks-discovery"]` } })],
          };
        }
        return { summary: 'ok' };
      },
    },
    cleanup: async () => {},
  });
  return { stdio: plan, streamable_http: plan };
}

describe('verifyFixes with stub stages', () => {
  test('each outcome: cleared, still-present, not-tried (with the reason), inconclusive', async () => {
    const ws = workspace(`# comments stay
experimental_use_rmcp_client = true

[mcp_servers.legacy]
url = "http://127.0.0.1:1/sse"  # legacy

[mcp_servers.stubborn]
url = "http://127.0.0.1:1/always-sse"

[mcp_servers.elsewhere]
url = "http://127.0.0.1:1/other-host"

[mcp_servers.filtered]
url = "http://127.0.0.1:1/inconclusive"

[mcp_servers.moving]
url = "http://127.0.0.1:1/moves"

[mcp_servers.foreign]
url = "http://127.0.0.1:1/ok"
type = "http"
`);
    try {
      const calls = new Map<string, number>();
      const { report } = await checkAndVerify(ws, stubPlans(calls), (r) => {
        const obsolete = r.findings.find((f) => f.code === 'config.obsolete-field');
        assert.ok(obsolete, 'the loader reports experimental_use_rmcp_client');
        obsolete.fix = { summary: 'delete it', table: '', remove: ['experimental_use_rmcp_client'] };
      });

      const legacy = findingOf(report, 'legacy', 'transport.sse-only').fix!;
      assert.equal(legacy.verification, 'cleared');
      assert.equal(legacy.verified, true);
      assert.equal(calls.get('http://127.0.0.1:1/mcp'), 1, 'the fixed URL was probed once, by the re-check');

      const stubborn = findingOf(report, 'stubborn', 'transport.sse-only').fix!;
      assert.equal(stubborn.verification, 'still-present');
      assert.equal(stubborn.verified, false);

      const elsewhere = findingOf(report, 'elsewhere', 'transport.sse-only').fix!;
      assert.equal(elsewhere.verification, 'not-tried');
      assert.equal(elsewhere.verified, undefined);
      assert.match(elsewhere.verificationNote!, /another host/);
      assert.equal(calls.get('http://elsewhere.invalid/mcp'), undefined, 'an unsafe fix is never probed');

      const filtered = findingOf(report, 'filtered', 'tools.invalid-name').fix!;
      assert.equal(filtered.verification, 'inconclusive');
      assert.equal(filtered.verified, undefined);
      assert.match(filtered.verificationNote!, /stopped before tools.*net\.connection-refused/);

      const moving = findingOf(report, 'moving', 'transport.sse-only').fix!;
      assert.equal(moving.verification, 'inconclusive', 'gone, but the same stage now fails otherwise');
      assert.match(moving.verificationNote!, /discovery then failed with net\.timeout/);

      // A config-stage finding is re-checked by loading the edited file: no probe.
      const foreign = findingOf(report, 'foreign', 'config.unknown-field').fix!;
      assert.equal(foreign.verification, 'cleared');
      assert.equal(calls.get('http://127.0.0.1:1/ok'), 1, 'not probed again for a config-stage fix');

      const obsolete = report.findings.find((f) => f.code === 'config.obsolete-field')!.fix!;
      assert.equal(obsolete.verification, 'cleared');
    } finally {
      ws.cleanup();
    }
  });

  test('servers are re-checked concurrently', async () => {
    const ws = workspace(`[mcp_servers.a]
url = "http://127.0.0.1:1/barrier/sse"
startup_timeout_sec = 5

[mcp_servers.b]
url = "http://127.0.0.2:1/barrier/sse"
startup_timeout_sec = 5
`);
    try {
      const { report } = await checkAndVerify(ws, stubPlans(new Map()));
      // Each re-check can only pass while the other one runs; one after the other, both would time out.
      assert.equal(findingOf(report, 'a', 'transport.sse-only').fix!.verification, 'cleared');
      assert.equal(findingOf(report, 'b', 'transport.sse-only').fix!.verification, 'cleared');
    } finally {
      ws.cleanup();
    }
  });

  test('a fix that needs a login is not tried', async () => {
    const ws = workspace(`[mcp_servers.a]\nurl = "http://127.0.0.1:1/sse"\n`);
    try {
      const { report, scratch } = await checkAndVerify(ws, stubPlans(new Map()), (r) => {
        const f = r.servers[0]!.findings[0]!;
        f.fix = { summary: 'log in', command: 'codex mcp login a' };
      });
      const fix = report.servers[0]!.findings[0]!.fix!;
      assert.equal(fix.verification, 'not-tried');
      assert.equal(fix.verified, undefined);
      assert.match(fix.verificationNote!, /codex mcp login a/);
      assert.equal(scratch.dirs.length, 0, 'nothing written for a fix that is not tried');
    } finally {
      ws.cleanup();
    }
  });
});

describe('verifyFixes with the real stages and fixture servers', () => {
  test('transport.sse-only: the sibling /mcp endpoint the fix proposes is proven', async () => {
    const server = await startFixtureServer('sse-only-with-sibling');
    const ws = workspace(`[mcp_servers.legacy]\nurl = "${server.url}"  # the old SSE endpoint\n`);
    try {
      const { report } = await checkAndVerify(ws, { stdio: createStdioPlan, streamable_http: createHttpPlan });
      const fix = findingOf(report, 'legacy', 'transport.sse-only').fix!;
      assert.match(fix.toml ?? '', new RegExp(`url = "${server.origin}/mcp"`));
      assert.equal(fix.verification, 'cleared', fix.verificationNote);
      assert.equal(fix.verified, true);
    } finally {
      ws.cleanup();
      await server.close();
    }
  });

  test('timeout.startup: the raised startup_timeout_sec is proven on a slow stdio server', async () => {
    const script = join(ROOT, 'fixtures', 'stdio', 'server.mjs');
    const ws = workspace(`[mcp_servers.slow]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(script)}, "slow", "--delay", "1500"]\nstartup_timeout_sec = 1\n`);
    try {
      const { report } = await checkAndVerify(ws, { stdio: createStdioPlan, streamable_http: createHttpPlan });
      const fix = findingOf(report, 'slow', 'timeout.startup').fix!;
      const proposed = Number(/startup_timeout_sec = ([\d.]+)/.exec(fix.toml ?? '')?.[1]);
      assert.ok(proposed > 1.5, `proposes more than the server needs: ${fix.toml}`);
      assert.equal(fix.verification, 'cleared', fix.verificationNote);
      assert.equal(fix.verified, true);
    } finally {
      ws.cleanup();
    }
  });
});
