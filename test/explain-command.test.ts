import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runExplainCommand } from '../src/commands/explain-command.ts';
import { closeCodes } from '../src/report/explain.ts';
import { REGISTRY } from '../src/findings/registry.ts';
import { runCli } from './helpers/cli.ts';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: { write: (s: string) => ((out.stdout += s), true) } as unknown as NodeJS.WriteStream,
    stderr: { write: (s: string) => ((out.stderr += s), true) } as unknown as NodeJS.WriteStream,
  };
  return { io, out };
}

describe('runExplainCommand', () => {
  test('every registry code has a complete page', () => {
    for (const [code, spec] of Object.entries(REGISTRY)) {
      const { io, out } = capture();
      assert.equal(runExplainCommand(code, io), 0, code);
      const page = out.stdout;
      assert.ok(page.startsWith(`# ${code}: ${spec.title}\n`), code);
      for (const section of ['## What it means', '## How mcp-doctor detects it', '## How to fix it']) assert.ok(page.includes(section), `${code}: ${section}`);
      assert.match(page, new RegExp(`^- Severity: ${spec.severity}`, 'm'), code);
      if ('codexSays' in spec && spec.codexSays.length) {
        assert.ok(page.includes('## What Codex says'), code);
        for (const said of spec.codexSays) assert.ok(page.includes(said), `${code}: ${said}`);
      }
      if ('refs' in spec) for (const ref of spec.refs) assert.ok(page.includes(`<${ref}>`), `${code}: ${ref}`);
      assert.equal(out.stderr, '');
    }
  });

  test('a code in another case is still that code', () => {
    const { io, out } = capture();
    assert.equal(runExplainCommand('AUTH.Login-Required', io), 0);
    assert.match(out.stdout, /^# auth\.login-required: /);
  });

  test('an unknown code: exit 2, close matches on stderr, nothing on stdout', () => {
    const { io, out } = capture();
    assert.equal(runExplainCommand('login-required', io), 2);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /unknown finding code "login-required"/);
    assert.match(out.stderr, /Did you mean:\n {2}auth\.login-required {2}OAuth login required\n/);
  });

  test('no code lists every code', () => {
    const { io, out } = capture();
    assert.equal(runExplainCommand(undefined, io), 0);
    for (const code of Object.keys(REGISTRY)) assert.ok(out.stdout.includes(code), code);
  });
});

describe('closeCodes', () => {
  const first = (q: string) => closeCodes(q)[0];
  test('the code without its prefix', () => {
    assert.equal(first('login-required'), 'auth.login-required');
    assert.equal(first('stdout-noise'), 'stdio.stdout-noise');
    assert.equal(first('stale-not-404'), 'session.stale-not-404');
  });
  test('other separators and typos', () => {
    assert.equal(first('auth_login_required'), 'auth.login-required');
    assert.equal(first('auth.login-requierd'), 'auth.login-required');
    assert.equal(first('config.parse-eror'), 'config.parse-error');
    assert.equal(first('tools.invalid-nam'), 'tools.invalid-name');
  });
  test('words in any order', () => {
    assert.equal(first('token expired'), 'auth.token-expired');
    assert.equal(first('expired token'), 'auth.token-expired');
  });
  test('a prefix lists its family', () => {
    assert.deepEqual(closeCodes('net'), Object.keys(REGISTRY).filter((c) => c.startsWith('net.')));
    assert.ok(closeCodes('auth.').length >= 9);
  });
  test('nothing close: no suggestions', () => {
    assert.deepEqual(closeCodes('xyzzy'), []);
    assert.deepEqual(closeCodes(''), []);
  });
});

describe('mcp-doctor explain (the built CLI)', () => {
  test('a known code: exit 0 with its page', async () => {
    const result = await runCli(['explain', 'transport.sse-only'], { timeoutMs: 30_000 });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^# transport\.sse-only: Legacy HTTP\+SSE server$/m);
  });
  test('an unknown code: exit 2 with the close matches', async () => {
    const result = await runCli(['explain', 'sse-onyl'], { timeoutMs: 30_000 });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /transport\.sse-only/);
  });
});
