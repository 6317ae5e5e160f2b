import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from './helpers/cli.ts';

/** What a new user sees first: every demo server gets the verdict it was built to provoke. */
const EXPECTED: Record<string, { status: string; code?: string }> = {
  healthy_http: { status: 'ok' },
  legacy_sse: { status: 'fail', code: 'transport.sse-only' },
  needs_login: { status: 'fail', code: 'auth.login-required' },
  hybrid_server: { status: 'fail', code: 'transport.hybrid-sse' },
  wrong_path: { status: 'fail', code: 'http.not-mcp-endpoint' },
  dotted_tools: { status: 'warn', code: 'tools.invalid-name' },
  healthy_stdio: { status: 'ok' },
  chatty_stdio: { status: 'warn', code: 'stdio.stdout-noise' },
  missing_module: { status: 'fail', code: 'stdio.exited-early' },
};

describe('mcp-doctor demo', () => {
  test('reports each staged failure with its code, exits 0, and ignores a proxy in the environment', async () => {
    // An unreachable proxy: the demo's loopback servers must still be reached directly.
    const result = await runCli(['demo', '--json'], { env: { HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' }, timeoutMs: 90_000 });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.servers.map((s: { name: string }) => s.name), Object.keys(EXPECTED), 'config order');
    for (const server of report.servers) {
      const expected = EXPECTED[server.name]!;
      assert.equal(server.status, expected.status, `${server.name}: ${JSON.stringify(server.findings.map((f: { code: string }) => f.code))}`);
      if (expected.code) assert.ok(server.findings.some((f: { code: string }) => f.code === expected.code), `${server.name} has ${expected.code}`);
      if (expected.status === 'ok') assert.ok(server.tools.count > 0, `${server.name} lists its tools`);
    }
    const legacy = report.servers.find((s: { name: string }) => s.name === 'legacy_sse');
    const fix = legacy.findings.find((f: { code: string }) => f.code === 'transport.sse-only').fix;
    assert.match(fix.toml, /url = "http:\/\/127\.0\.0\.1:\d+\/mcp"/, 'the sse-only fix offers the sibling Streamable URL');
  });

  test('text output names the staged failures and says they are on purpose', async () => {
    const result = await runCli(['demo'], { timeoutMs: 90_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /transport\.sse-only/);
    assert.match(result.stderr, /broken on purpose/);
  });
});
