import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { ROOT } from './helpers/cli.ts';
import { testDepPath } from './helpers/test-deps.ts';
import { checkServer, codes, fixture, fixtureServer, isAlive, spawnedPid, stage, stdioServer } from './helpers/stdio-check.ts';
import type { Finding, ServerReport } from '../src/types.ts';

const T = { timeout: 30_000 };
let scratch: string;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-stdio-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function only(report: ServerReport, code: string): Finding {
  const found = report.findings.filter((f) => f.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${codes(report).join(', ')}`);
  return found[0]!;
}

function assertGone(report: ServerReport) {
  const pid = spawnedPid(report);
  assert.ok(pid, 'discovery names the pid');
  assert.equal(isAlive(pid), false, `pid ${pid} outlived the check`);
}

/** A directory with executable scripts, to put first on the PATH the server gets. */
function fakeBin(name: string, script: string): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  const file = join(dir, name);
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return dir;
}

describe('stdio plan: healthy servers', () => {
  test('fixture healthy: ok, all stages, exact tools, auth skipped with the contract reason', T, async () => {
    const report = await checkServer(fixtureServer('healthy'));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.deepEqual(
      report.stages.map((s) => `${s.name}:${s.status}`),
      ['config:pass', 'discovery:pass', 'auth:skipped', 'initialize:pass', 'tools:pass'],
    );
    assert.equal(stage(report, 'auth').summary, 'stdio servers take credentials from their environment');
    assert.match(stage(report, 'discovery').summary, /^spawned .+ \(pid \d+\)$/);
    assert.deepEqual({ count: report.tools?.count, names: report.tools?.names }, { count: 2, names: ['echo', 'add'] });
    assert.equal(report.server.name, 'stdio-fixture-healthy');
    assert.equal(report.server.protocolVersion, '2025-06-18');
    assert.deepEqual(report.findings, []);
    assertGone(report);
  });

  test('server-everything (stdio): ok with its 15 tools', T, async () => {
    const everything = testDepPath('everything', '@modelcontextprotocol/server-everything', 'dist', 'index.js');
    const report = await checkServer(stdioServer('everything', process.execPath, [everything, 'stdio']));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(report.tools?.count, 15);
    assert.ok(report.tools?.names.includes('echo'));
    // Listed only to clients declaring elicitation.url, as Codex does.
    assert.ok(report.tools?.names.includes('trigger-url-elicitation'));
    // It logs to stderr, which is allowed and kept as context.
    assert.ok(report.stderrTail?.some((l) => /STDIO/.test(l)));
    assertGone(report);
  });

  test('SDK example servers over stdio: ok with their tool', T, async () => {
    const examples = join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server');
    for (const [file, tool] of [
      ['progressExample.js', 'count'],
      ['mcpServerOutputSchema.js', 'get_weather'],
    ] as const) {
      const report = await checkServer(stdioServer('sdk', process.execPath, [join(examples, file)]));
      assert.equal(report.status, 'ok', `${file}: ${codes(report).join(', ')}`);
      assert.deepEqual({ count: report.tools?.count, names: report.tools?.names }, { count: 1, names: [tool] });
      assertGone(report);
    }
  });

  test('SDK example that console.logs a banner: warning, as Codex skips the line', T, async () => {
    const file = join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/toolWithSampleServer.js');
    const report = await checkServer(stdioServer('sample', process.execPath, [file]));
    assert.equal(report.status, 'warn');
    const noise = only(report, 'stdio.stdout-noise');
    assert.equal(noise.severity, 'warning');
    assert.deepEqual(noise.evidence?.samples, ['MCP server is running...']);
    assert.equal(report.tools?.count, 1);
  });
});

describe('stdio plan: stdout', () => {
  test('banner line: warning with the bytes, the handshake goes on', T, async () => {
    const report = await checkServer(fixtureServer('banner'));
    assert.equal(report.status, 'warn');
    const noise = only(report, 'stdio.stdout-noise');
    assert.equal(noise.severity, 'warning');
    assert.equal(noise.stage, 'initialize');
    assert.deepEqual(noise.evidence?.samples, ['Server starting on stdio...']);
    assert.equal(report.tools?.count, 2);
  });

  test('text glued to the initialize answer: error (Codex times out), tools skipped', T, async () => {
    const report = await checkServer(fixtureServer('banner-glued'));
    assert.equal(report.status, 'fail');
    const noise = only(report, 'stdio.stdout-noise');
    assert.equal(noise.severity, 'error');
    assert.deepEqual(noise.evidence?.kinds, ['glued']);
    assert.match(String((noise.evidence?.samples as string[])[0]), /^Listening\{"jsonrpc"/);
    assert.equal(stage(report, 'initialize').status, 'fail');
    assert.equal(stage(report, 'tools').status, 'skipped');
    assertGone(report);
  });

  test('pretty-printed answer: error', T, async () => {
    const report = await checkServer(fixtureServer('pretty-json'));
    const noise = only(report, 'stdio.stdout-noise');
    assert.equal(noise.severity, 'error');
    assert.deepEqual(noise.evidence?.kinds, ['multi-line']);
    assert.equal(report.status, 'fail');
  });

  test('CRLF line endings: info only, server ok', T, async () => {
    const report = await checkServer(fixtureServer('crlf'));
    assert.equal(report.status, 'ok');
    assert.deepEqual(codes(report), ['info stdio.crlf-line-endings']);
    assert.equal(report.tools?.count, 2);
  });
});

describe('stdio plan: start-up failures', () => {
  test('exits early: exit code, redacted stderr tail, missing-module hint', T, async () => {
    const report = await checkServer(fixtureServer('exit-early'));
    assert.equal(report.status, 'fail');
    const finding = only(report, 'stdio.exited-early');
    assert.equal(finding.severity, 'error');
    assert.equal(finding.evidence?.exitCode, 1);
    assert.ok((finding.evidence?.stderrTail as string[]).includes("Error: Cannot find module 'better-sqlite3'"));
    assert.deepEqual(finding.evidence?.hints, ['missing-module']);
    assert.match(finding.message, /Cannot find module 'better-sqlite3'/);
    assert.match(finding.fix!.summary, /npm install/);
    assert.match(finding.fix!.command!, /^env -i HOME="\$HOME" .*server\.mjs exit-early/s);
    assert.equal(stage(report, 'tools').status, 'skipped');
  });

  test('a key only in the user environment: env-not-forwarded, fix merges env_vars', T, async () => {
    const secret = 'sk-live-3f9a8b7c6d5e4f3a2b1c';
    const env = { ...process.env, MY_API_KEY: secret, OTHER_VAR: 'other' };
    const config = fixtureServer('needs-env', { envVars: [{ name: 'OTHER_VAR', source: 'local' }], raw: { env_vars: ['OTHER_VAR'] } });
    const report = await checkServer(config, { env });
    assert.equal(report.status, 'fail');
    const finding = only(report, 'stdio.env-not-forwarded');
    assert.deepEqual(finding.evidence?.needed, ['MY_API_KEY']);
    const toml = parse(finding.fix!.toml!) as any;
    assert.deepEqual(toml.mcp_servers['needs-env'].env_vars, ['OTHER_VAR', 'MY_API_KEY']);
    assert.ok(!JSON.stringify(report).includes(secret), 'the value never appears');
    assert.equal(report.findings.some((f) => f.code === 'stdio.exited-early'), false);
  });

  test('needed variables not named on stderr are found by bisection', T, async () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 120; i++) extra[`NOISE_VAR_${i}`] = `v${i}`;
    // Far apart in any order, among many variables that do not matter.
    const env = { ...process.env, ...extra, AAA_ENDPOINT: 'https://acme.example', ZZ_ACME_TOKEN: 'tok-abcdef123456' };
    const config = stdioServer('picky', process.execPath, [fixture('picky-env.mjs'), '--need', 'AAA_ENDPOINT,ZZ_ACME_TOKEN']);
    const report = await checkServer(config, { env });
    const finding = only(report, 'stdio.env-not-forwarded');
    assert.deepEqual([...(finding.evidence?.needed as string[])].sort(), ['AAA_ENDPOINT', 'ZZ_ACME_TOKEN']);
    assert.equal(finding.evidence?.minimal, true);
    const toml = parse(finding.fix!.toml!) as any;
    assert.deepEqual([...toml.mcp_servers.picky.env_vars].sort(), ['AAA_ENDPOINT', 'ZZ_ACME_TOKEN']);
    assert.ok(!JSON.stringify(report).includes('tok-abcdef123456'));
  });

  test('a variable missing everywhere: exited-early naming it, no env-not-forwarded', T, async () => {
    const env = { ...process.env };
    delete env.MY_API_KEY;
    const report = await checkServer(fixtureServer('needs-env'), { env });
    const finding = only(report, 'stdio.exited-early');
    assert.deepEqual(finding.evidence?.hints, ['missing-env']);
    assert.match(finding.fix!.summary, /MY_API_KEY/);
  });

  test('a secret in `env` printed to stderr and stdout is redacted everywhere', T, async () => {
    const secret = 'leak-me-0123456789abcdef';
    for (const args of [['--exit'], []]) {
      const config = stdioServer('leaky', process.execPath, [fixture('leaky-server.mjs'), ...args], { env: { LEAKY_SECRET: secret } });
      const report = await checkServer(config);
      const json = JSON.stringify(report);
      assert.ok(!json.includes(secret), `secret leaked (${args.join(' ') || 'serving'})`);
      assert.ok(report.stderrTail?.some((l) => l === 'connecting to the backend with token <redacted>'));
      if (args.length) {
        const finding = only(report, 'stdio.exited-early');
        assert.ok((finding.evidence?.stderrTail as string[]).includes('Error: the backend rejected <redacted>'));
      } else {
        const noise = only(report, 'stdio.stdout-noise');
        assert.deepEqual(noise.evidence?.samples, ['leaky server using <redacted>']);
        assert.ok(report.transcript?.some((e) => e.kind === 'stderr' && e.text.includes('<redacted>')));
      }
    }
  });

  test('docker run without -i: hint and a fix that adds -i', T, async () => {
    // A stand-in docker: like a container without stdin, it reads EOF and exits 0 silently.
    const dir = fakeBin('docker', '#!/bin/sh\nexit 0\n');
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    const report = await checkServer(stdioServer('gh', 'docker', ['run', '--rm', '-e', 'GITHUB_TOKEN', 'ghcr.io/github/github-mcp-server']), { env });
    const finding = only(report, 'stdio.exited-early');
    assert.deepEqual(finding.evidence?.hints, ['docker-no-interactive']);
    const toml = parse(finding.fix!.toml!) as any;
    assert.deepEqual(toml.mcp_servers.gh.args, ['run', '-i', '--rm', '-e', 'GITHUB_TOKEN', 'ghcr.io/github/github-mcp-server']);
  });

  test('closing stdout while running counts as a closed connection, without waiting for the deadline', T, async () => {
    const script = "require('fs').closeSync(1); process.stderr.write('stdout handed to a worker\\n'); setInterval(() => {}, 1000);";
    // With a 60 s budget, waiting for the deadline would run into the test's own timeout.
    const report = await checkServer(stdioServer('closer', process.execPath, ['-e', script], { startupTimeoutSec: 60 }));
    const finding = only(report, 'stdio.exited-early');
    assert.equal(finding.evidence?.stdoutClosed, true);
    assert.match(finding.message, /closed its stdout/);
    assertGone(report);
  });

  test('JSON-RPC error to initialize: init.jsonrpc-error with code and message', T, async () => {
    const report = await checkServer(fixtureServer('jsonrpc-error-init'));
    const finding = only(report, 'init.jsonrpc-error');
    assert.equal(finding.evidence?.code, -32603);
    assert.equal(finding.evidence?.message, 'Internal error: database unavailable');
    assert.equal(report.status, 'fail');
  });

  test('rejected protocol version: init.version-unsupported error listing what it supports', T, async () => {
    const report = await checkServer(fixtureServer('version-rejected'));
    const finding = only(report, 'init.version-unsupported');
    assert.equal(finding.severity, 'error');
    assert.deepEqual(finding.evidence?.supported, ['2024-11-05']);
    assert.match(finding.message, /2024-11-05/);
  });
});

describe('stdio plan: discovery', () => {
  test('command not on the PATH the server gets: the directories searched are named', T, async () => {
    const env = { ...process.env, PATH: `${scratch}:/nonexistent-bin` };
    const report = await checkServer(stdioServer('ghost', 'mcpd-no-such-command', []), { env });
    const finding = only(report, 'stdio.command-not-found');
    assert.equal(finding.stage, 'discovery');
    assert.deepEqual(finding.evidence?.searched, [scratch, '/nonexistent-bin']);
    assert.match(finding.fix!.command!, /^command -v mcpd-no-such-command$/);
    assert.deepEqual(
      report.stages.slice(2).map((s) => `${s.name}:${s.status}`),
      ['auth:skipped', 'initialize:skipped', 'tools:skipped'],
    );
  });

  test('env.PATH in the config hides a program the user has: fix is the absolute path', T, async () => {
    const config = stdioServer('pathy', 'node', [fixture('server.mjs'), 'healthy'], { env: { PATH: '/nonexistent-bin' } });
    const report = await checkServer(config);
    const finding = only(report, 'stdio.command-not-found');
    assert.equal(finding.evidence?.foundVia, 'user-path');
    const toml = parse(finding.fix!.toml!) as any;
    assert.match(toml.mcp_servers.pathy.command, /\/node$/);
  });

  test('a relative command resolves against cwd; a missing cwd is its own finding', T, async () => {
    const dir = mkdtempSync(join(scratch, 'cwd-'));
    writeFileSync(join(dir, 'run.sh'), `#!/bin/sh\nexec "${process.execPath}" "${fixture('server.mjs')}" healthy\n`);
    chmodSync(join(dir, 'run.sh'), 0o755);
    const ok = await checkServer(stdioServer('rel', './run.sh', [], { cwd: dir }));
    assert.equal(ok.status, 'ok', codes(ok).join(', '));
    const missing = await checkServer(stdioServer('rel', './run.sh', [], { cwd: join(dir, 'nope') }));
    assert.equal(only(missing, 'stdio.cwd-not-found').severity, 'error');
  });

  test('a file that is not executable: spawn-failed with EACCES', T, async () => {
    const file = join(scratch, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    const report = await checkServer(stdioServer('noexec', file, []));
    const finding = only(report, 'stdio.spawn-failed');
    assert.equal(finding.evidence?.code, 'EACCES');
  });

  test('a bridge in front of a URL is noted', T, async () => {
    const report = await checkServer(stdioServer('bridge', 'mcpd-no-such-command', ['mcp-remote', 'http://127.0.0.1:9/mcp?token=abc123secret']));
    const note = only(report, 'stdio.bridge');
    assert.equal(note.severity, 'info');
    assert.equal(note.evidence?.url, 'http://127.0.0.1:9/mcp?token=<redacted>');
  });
});

describe('stdio plan: timeouts', () => {
  test('slower than startup_timeout_sec but answering within --timeout: measured fix', T, async () => {
    const config = fixtureServer('slow', { startupTimeoutSec: 1, startupTimeoutExplicit: true }, ['--delay', '2500']);
    const report = await checkServer(config, { timeoutMs: 10_000 });
    const finding = only(report, 'timeout.startup');
    assert.equal(finding.stage, 'initialize');
    assert.ok((finding.evidence?.answeredAfterMs as number) >= 2500);
    const toml = parse(finding.fix!.toml!) as any;
    assert.ok(toml.mcp_servers.slow.startup_timeout_sec * 1000 > (finding.evidence?.answeredAfterMs as number));
    assertGone(report);
  });

  test('no answer at all: timeout.startup, and the process is ended', T, async () => {
    const config = fixtureServer('hang', { startupTimeoutSec: 1, startupTimeoutExplicit: true });
    const report = await checkServer(config);
    const finding = only(report, 'timeout.startup');
    assert.equal(finding.evidence?.answeredAfterMs, undefined);
    assert.ok(finding.fix?.toml);
    assert.equal(stage(report, 'tools').status, 'skipped');
    assertGone(report);
  });

  test('npx that never answers in time: first-run download advice and a pre-install command', T, async () => {
    const dir = fakeBin('npx', `#!/bin/sh\nexec "${process.execPath}" "${fixture('server.mjs')}" hang\n`);
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    const config = stdioServer('slowpkg', 'npx', ['-y', '@acme/slow-mcp'], { startupTimeoutSec: 1, startupTimeoutExplicit: true });
    const report = await checkServer(config, { env });
    const finding = only(report, 'timeout.startup');
    assert.equal(finding.evidence?.launcher, 'npx');
    assert.equal(finding.fix?.command, 'npm i -g @acme/slow-mcp');
    assert.match(finding.message, /downloads/);
    assertGone(report);
  });
});

describe('stdio plan: tools and shutdown', () => {
  test('invalid tool names: warning from the shared tool checks', T, async () => {
    const report = await checkServer(fixtureServer('tools-invalid-name'));
    assert.equal(report.status, 'warn');
    assert.equal(only(report, 'tools.invalid-name').severity, 'warning');
    assert.equal(report.tools?.count, 3);
  });

  test('a server that ignores stdin EOF and SIGTERM: slow-shutdown warning, and it is killed', T, async () => {
    const report = await checkServer(fixtureServer('ignore-eof'));
    const finding = only(report, 'stdio.slow-shutdown');
    assert.equal(finding.severity, 'warning');
    assert.equal(finding.evidence?.exitedOnEof, false);
    assertGone(report);
  });

  test('a grandchild that holds the pipes and ignores SIGTERM dies with the group', T, async () => {
    const report = await checkServer(fixtureServer('fork-stubborn'));
    const line = report.stderrTail?.find((l) => l.startsWith('grandchild pid '));
    assert.ok(line, 'the fixture reports its grandchild');
    const grandchild = Number(line.slice('grandchild pid '.length));
    const finding = only(report, 'stdio.slow-shutdown');
    assert.deepEqual(finding.evidence?.leftoverPids, [grandchild]);
    assert.equal(isAlive(grandchild), false, `grandchild ${grandchild} outlived the check`);
    assertGone(report);
  });
});

describe('stdio plan: more quirks (fixtures/stdio/quirks.mjs)', () => {
  const quirk = (m: string, extra = {}, more: string[] = []) => stdioServer(m, process.execPath, [fixture('quirks.mjs'), m, ...more], extra);

  test('a JSON log line that is not JSON-RPC: warning', T, async () => {
    const report = await checkServer(quirk('json-log'));
    const noise = only(report, 'stdio.stdout-noise');
    assert.equal(noise.severity, 'warning');
    assert.deepEqual(noise.evidence?.kinds, ['not-jsonrpc']);
    assert.equal(report.tools?.count, 2);
  });

  test('text after the message on the same line: error', T, async () => {
    const report = await checkServer(quirk('glued-after'));
    const noise = only(report, 'stdio.stdout-noise');
    assert.equal(noise.severity, 'error');
    assert.deepEqual(noise.evidence?.kinds, ['glued']);
  });

  test('exits when asked for tools: tools.list-failed with exit code and stderr', T, async () => {
    const report = await checkServer(quirk('exit-after-init'));
    const finding = only(report, 'tools.list-failed');
    assert.equal(finding.evidence?.exitCode, 3);
    assert.deepEqual(finding.evidence?.stderrTail, ['fatal: lost connection to the database']);
    assert.equal(stage(report, 'initialize').status, 'pass');
  });

  test('unknown protocol version in the result: warning, tools still listed', T, async () => {
    const report = await checkServer(quirk('unknown-version'));
    const finding = only(report, 'init.version-unsupported');
    assert.equal(finding.severity, 'warning');
    assert.equal(finding.evidence?.answered, '2099-01-01');
    assert.equal(report.status, 'warn');
    assert.equal(report.tools?.count, 2);
  });

  test('InitializeResult without serverInfo and capabilities: init.protocol-error', T, async () => {
    const report = await checkServer(quirk('no-server-info'));
    const finding = only(report, 'init.protocol-error');
    assert.deepEqual(finding.evidence?.missing, ['capabilities', 'serverInfo']);
  });

  test('tools/list pagination is followed; a repeating cursor fails', T, async () => {
    const paged = await checkServer(quirk('paginated'));
    assert.equal(paged.status, 'ok');
    assert.deepEqual(paged.tools?.names, ['a', 'b', 'c', 'd', 'e']);
    const loop = await checkServer(quirk('cursor-loop'));
    assert.match(only(loop, 'tools.list-failed').message, /nextCursor "again" came back twice/);
  });

  test('tools/list error or invalid result: tools.list-failed', T, async () => {
    const error = await checkServer(quirk('tools-error'));
    assert.equal(only(error, 'tools.list-failed').evidence?.code, -32601);
    const invalid = await checkServer(quirk('tools-invalid'));
    assert.match(only(invalid, 'tools.list-failed').message, /no "tools" array/);
  });

  test('a key checked only when tools are listed: env-not-forwarded in the tools stage', T, async () => {
    const env = { ...process.env, LAZY_API_KEY: 'lazy-0123456789abcdef', SOME_OTHER: 'x' };
    const report = await checkServer(quirk('lazy-key'), { env });
    const finding = only(report, 'stdio.env-not-forwarded');
    assert.equal(finding.stage, 'tools');
    assert.deepEqual(finding.evidence?.needed, ['LAZY_API_KEY']);
    assert.deepEqual((finding.evidence?.error as any)?.code, -32001);
    assert.equal(stage(report, 'initialize').status, 'pass');
    assert.equal(stage(report, 'tools').status, 'fail');
    const without = { ...process.env };
    delete without.LAZY_API_KEY;
    const plain = await checkServer(quirk('lazy-key'), { env: without });
    assert.equal(only(plain, 'tools.list-failed').evidence?.code, -32001);
  });

  test('a server that pings before answering initialize gets its answer, as from Codex, and starts', T, async () => {
    const report = await checkServer(quirk('server-request', { startupTimeoutSec: 3, startupTimeoutExplicit: true }, ['--methods', 'ping']));
    assert.equal(report.status, 'ok', report.findings.map((f) => f.code).join(', '));
    assertGone(report);
  });

  test('a server waiting for its early roots/list to be answered times out, as under Codex', T, async () => {
    const report = await checkServer(quirk('server-request', { startupTimeoutSec: 1, startupTimeoutExplicit: true }, ['--methods', 'ping,roots/list']));
    const finding = only(report, 'timeout.startup');
    assert.deepEqual(finding.evidence?.requestsBeforeInitialize, ['roots/list']);
    assert.equal(finding.fix?.toml, undefined, 'more time would not help');
    assertGone(report);
  });

  test('a --timeout shorter than startup_timeout_sec does not claim Codex times out', T, async () => {
    const report = await checkServer(fixtureServer('hang'), { timeoutMs: 1000 });
    const finding = only(report, 'timeout.startup');
    assert.match(finding.message, /shorter than the 30 s/);
    assert.equal(finding.fix?.toml, undefined);
    assert.match(finding.fix?.command ?? '', /--timeout 120/);
  });
});

describe('stdio plan: why more time would not help', () => {
  test('a server that starts an HTTP listener instead of speaking stdio', T, async () => {
    const script = "console.error('MCP server listening on http://127.0.0.1:3999/mcp'); setInterval(() => {}, 1000);";
    const report = await checkServer(stdioServer('httpish', process.execPath, ['-e', script], { startupTimeoutSec: 1, startupTimeoutExplicit: true }));
    const finding = only(report, 'timeout.startup');
    assert.deepEqual(finding.evidence?.hints, ['http-only']);
    assert.equal(finding.fix?.toml, undefined);
    assert.deepEqual(finding.evidence?.stderrTail, ['MCP server listening on http://127.0.0.1:3999/mcp']);
    assertGone(report);
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  test('a Python server whose print() output sits in a buffer', { ...T, skip: python ? false : 'python3 not installed' }, async () => {
    const script = [
      'import sys, json',
      'for line in sys.stdin:',
      '    m = json.loads(line)',
      "    if 'id' in m: print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'result': {}}))",
    ].join('\n');
    const file = join(scratch, 'buffered.py');
    writeFileSync(file, script);
    const report = await checkServer(stdioServer('py', 'python3', [file], { startupTimeoutSec: 1, startupTimeoutExplicit: true }));
    const finding = only(report, 'timeout.startup');
    assert.deepEqual(finding.evidence?.hints, ['python-buffered']);
    assertGone(report);
  });
});
