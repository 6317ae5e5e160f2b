// What the wire and the config show, named as such: peer- and config-controlled strings with
// newlines, ESC, BEL and NUL cannot forge report lines or reach the terminal raw (names,
// commands, args, URLs, server info, tool names and descriptions, stderr, error messages); a
// stdio answer with the wrong id is named (and agrees with Codex); a command that is a
// directory is called one.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.ts';
import { askCodex, codexAvailable } from '../helpers/codex-oracle.ts';
import { assertHostileInvariants, checkAllFormats, hostileMarker, runHostile } from '../helpers/hostile.ts';
import { renderJson } from '../../src/report/render-json.ts';
import { sampleReport } from '../../fixtures/reports/sample-report.ts';

const HOSTILE = join(ROOT, 'fixtures', 'hostile', 'stdio-hostile.mjs');
const noCodex = codexAvailable() ? false : 'the Codex CLI is not installed (set CODEX_ORACLE_BIN)';
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-hostile-names-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const stdioTable = (name: string, mode: string, marker: string) =>
  `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(HOSTILE)}, "${mode}", "${marker}"]\nstartup_timeout_sec = 5\n`;

describe('hostile: names for what the wire shows', { timeout: 240_000 }, () => {
  test('names, commands, args and URLs with newlines, ESC, BEL and NUL: no raw control character, no forged line, in every format, --verbose too', async () => {
    const config = join(dir, 'names.toml');
    writeFileSync(
      config,
      '[mcp_servers."two\\nFORGED ok  evil"]\ncommand = "node\\nFORGED cmd"\nargs = ["a\\u001b[2Jb", "c\\u0007d", "e\\u0000f", "g\\r\\nFORGED arg"]\n\n' +
        '[mcp_servers."bell\\u0007esc\\u001b[31mred"]\nurl = "http://127.0.0.1:9/m\\nFORGED url"\n\n' +
        '[mcp_servers.ok_name]\ncommand = "node\\u001b]0;title\\u0007"\nargs = ["x\\nFORGED arg2"]\n',
    );
    for (const verbose of [[], ['--verbose']]) {
      const { report } = await checkAllFormats(['--config', config, '--timeout', '5', ...verbose], { timeoutS: 5, forged: ['FORGED'] }, { env: { CODEX_HOME: dir } });
      assert.equal(report.servers.length, 3);
    }
  });

  test('a server whose serverInfo, tool name and description, error message and stderr hold control characters: inert in every format', async () => {
    const marker = hostileMarker();
    for (const verbose of [[], ['--verbose']]) {
      const { report } = await checkAllFormats(['--timeout', '8', ...verbose, '--', process.execPath, HOSTILE, 'control-chars', marker], { timeoutS: 8, forged: ['FORGED'] }, { marker });
      // The JSON report keeps the data as it came (JSON escapes it): the strings are intact there.
      assert.match(report.servers[0].server.name, /^srvx\nFORGED line\u001b\[2J/);
    }
  });

  test('stdio answers with the wrong id: stdio.response-id-mismatch, fail after a short grace, not a startup timeout; the id as a string of the number connects with a warning; Codex agrees', { skip: noCodex }, async () => {
    const marker = hostileMarker();
    const config = join(dir, 'ids.toml');
    writeFileSync(config, [stdioTable('wid', 'wrong-id', marker), stdioTable('wtools', 'wrong-id-tools', marker), stdioTable('widt', 'wrong-id-type', marker)].join('\n'));
    const { report } = await checkAllFormats(['--config', config], { timeoutS: 5 }, { env: { CODEX_HOME: dir }, marker });
    const byName = Object.fromEntries(report.servers.map((s: any) => [s.name, s]));
    for (const name of ['wid', 'wtools']) {
      assert.equal(byName[name].status, 'fail', name);
      assert.deepEqual(byName[name].findings.map((f: any) => f.code), ['stdio.response-id-mismatch'], name);
    }
    assert.equal(byName.widt.status, 'warn');
    assert.deepEqual(byName.widt.findings.map((f: any) => [f.code, f.severity]), [['stdio.response-id-mismatch', 'warning']]);
    const codex = await askCodex(readFile(config), { timeoutMs: 60_000 });
    assert.equal(codex.servers.wid!.connected, false);
    assert.match(codex.servers.wid!.error ?? '', /conflict initialized response id/);
    assert.equal(codex.servers.wtools!.connected, false);
    // Codex 0.171 words the same timeout two ways, by timing: "timed out awaiting tools/list
    // after …" or "tools/list pagination timed out after …" (seen under load).
    assert.match(codex.servers.wtools!.error ?? '', /timed out awaiting tools\/list|tools\/list pagination timed out/);
    assert.equal(codex.servers.widt!.connected, true, codex.servers.widt!.error);
  });

  test('a command that is a directory: stdio.command-is-directory, not "not found"; Codex fails with Permission denied', { skip: noCodex }, async () => {
    const bin = join(dir, 'server-dir');
    mkdirSync(bin, { recursive: true });
    const config = join(dir, 'dir.toml');
    writeFileSync(config, `[mcp_servers.d]\ncommand = ${JSON.stringify(bin)}\nstartup_timeout_sec = 5\n`);
    const { report } = await checkAllFormats(['--config', config], { timeoutS: 5 }, { env: { CODEX_HOME: dir } });
    assert.deepEqual(report.servers[0].findings.map((f: any) => f.code), ['stdio.command-is-directory']);
    const codex = await askCodex(readFile(config), { timeoutMs: 30_000 });
    assert.equal(codex.servers.d!.connected, false);
    assert.match(codex.servers.d!.error ?? '', /Permission denied/);
  });
});

test('a server name that is not found: the usage error lists the configured names inert (stderr, exit 2)', async () => {
  const config = join(dir, 'usage.toml');
  writeFileSync(config, '[mcp_servers."two\\nFORGED x\\u001b[2J"]\ncommand = "node"\n');
  const run = await runHostile(['check', '--config', config, 'nope'], { env: { CODEX_HOME: dir } });
  assertHostileInvariants(run, { timeoutS: 5, forged: ['FORGED'], exitCodes: [2] });
  assert.doesNotMatch(run.stderr, /\u001b/);
  assert.match(run.stderr, /two\\nFORGED x\\x1b\[2J/);
});

test('the JSON report escapes DEL, C1 controls (CSI U+009B) and U+2028/2029 too, and stays the same data', () => {
  const report = sampleReport();
  const nasty = 'a\u009b31mX\u2028y\u007fz\u001b[2J';
  report.servers[0]!.name = nasty;
  const out = renderJson(report, { verbose: false });
  assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  assert.equal(JSON.parse(out).servers[0].name, nasty);
});

function readFile(path: string): string {
  return readFileSync(path, 'utf8');
}
