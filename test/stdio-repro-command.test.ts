// The command printed for a stdio server that exits early is for a person to paste: only the
// variables that bear on the failure, wrapped readably, and it must reproduce the failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ROOT } from './helpers/cli.ts';
import { checkServer, fixtureServer } from './helpers/stdio-check.ts';
import { wrapShellWords } from '../src/transports/stdio/stdio-findings.ts';

const T = { timeout: 60_000 };
const CA = {
  SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
  CURL_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
  GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt',
  PIP_CERT: '/etc/ssl/certs/ca-certificates.crt',
  REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
};

async function exitEarlyCommand(env: Record<string, string | undefined>): Promise<string> {
  const report = await checkServer(fixtureServer('exit-early'), { env });
  const finding = report.findings.find((f) => f.code === 'stdio.exited-early');
  assert.ok(finding?.fix?.command, JSON.stringify(report.findings.map((f) => f.code)));
  return finding.fix.command;
}

describe('the reproduction command of stdio.exited-early', () => {
  test('carries HOME and PATH, none of the CA-bundle variables a certificate-free failure does not need, and wraps', T, async () => {
    const command = await exitEarlyCommand({ ...process.env, ...CA, LANG: 'C.UTF-8', TERM: 'xterm' });
    assert.match(command, /^env -i HOME="\$HOME" PATH="\$PATH" /);
    for (const name of Object.keys(CA)) assert.ok(!command.includes(name), `${name} in ${command}`);
    // It fails the same way with the full environment, so no other variable is the cause either.
    assert.ok(!/LANG=|TERM=/.test(command), command);
    for (const line of command.split('\n')) assert.ok(line.length <= 82 || !line.includes(' '), `long line: ${line}`);
  });

  test('pasted into a shell, it reproduces the failure', T, async () => {
    const command = await exitEarlyCommand({ ...process.env, ...CA });
    const run = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...CA } });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /Cannot find module 'better-sqlite3'/);
  });

  test('long words stay whole; continuation lines are indented and end in a backslash', () => {
    const words = ['env -i', 'HOME="$HOME"', 'PATH="$PATH"', '/a/very/long/path/'.repeat(6), 'arg', '< /dev/null'];
    const lines = wrapShellWords(words).split('\n');
    assert.ok(lines.length >= 2);
    lines.slice(0, -1).forEach((l) => assert.ok(l.endsWith(' \\'), l));
    lines.slice(1).forEach((l) => assert.ok(l.startsWith('  '), l));
    assert.equal(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' '), words.join(' '));
  });
});
