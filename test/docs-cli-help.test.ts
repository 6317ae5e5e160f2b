import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.ts';

describe('--help and completion (the built CLI)', () => {
  test('the top-level help lists every command with examples', async () => {
    const { code, stdout } = await runCli(['--help'], { timeoutMs: 30_000 });
    assert.equal(code, 0);
    for (const command of ['check', 'explain', 'demo', 'completion']) assert.match(stdout, new RegExp(`mcp-doctor ${command}`));
    assert.match(stdout, /Examples:/);
  });

  for (const command of ['check', 'explain', 'demo']) {
    test(`${command} --help has examples`, async () => {
      const { code, stdout } = await runCli([command, '--help'], { timeoutMs: 30_000 });
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`Examples:\\n {2}mcp-doctor ${command}`));
    });
  }

  test('check --help names every contract flag', async () => {
    const { stdout } = await runCli(['check', '--help'], { timeoutMs: 30_000 });
    for (const flag of ['--config', '--format', '--json', '--timeout', '--verbose', '--strict', '--color', '--url', '--header', '--bearer-env']) {
      assert.ok(stdout.includes(flag), flag);
    }
  });

  test('completion prints a shell script, and completes commands and finding codes', async () => {
    const script = await runCli(['completion'], { timeoutMs: 30_000 });
    assert.equal(script.code, 0);
    assert.match(script.stdout, /mcp-doctor --get-yargs-completions/);
    const commands = await runCli(['--get-yargs-completions', 'mcp-doctor', ''], { timeoutMs: 30_000 });
    assert.deepEqual(commands.stdout.trim().split('\n').slice(0, 3), ['check', 'explain', 'demo']);
    const codes = await runCli(['--get-yargs-completions', 'mcp-doctor', 'explain', 'auth.token-'], { timeoutMs: 30_000 });
    assert.deepEqual(codes.stdout.trim().split('\n').sort(), ['auth.token-expired', 'auth.token-issuer-mismatch', 'auth.token-not-resource-bound', 'auth.token-rejected']);
    const formats = await runCli(['--get-yargs-completions', 'mcp-doctor', 'check', '--format', ''], { timeoutMs: 30_000 });
    assert.deepEqual(formats.stdout.trim().split('\n'), ['text', 'json', 'markdown']);
  });
});
