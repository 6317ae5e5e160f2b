import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { codes } from './helpers/stdio-check.ts';
import { PROXY, T, bridge, check, envFor, fixture, freshHome, only, useBridgeScratch } from './helpers/bridge-check.ts';

/**
 * More of the real mcp-remote in front of the HTTP fixtures (see stdio-bridge.test.ts): a
 * strategy that refuses SSE, the 401 fix applied, a remote that never answers.
 */
useBridgeScratch();

describe('mcp-remote in front of the remote: edges (real bridge)', () => {
  test('legacy SSE remote with --transport http-only: transport.sse-only stays an error, fixed by dropping the flag', T, async () => {
    const remote = await fixture('sse-only');
    const { home } = freshHome();
    const report = await check(bridge('legacy', remote.url, ['--transport', 'http-only']), envFor(home));
    assert.equal(report.status, 'fail');
    const nested = only(report.bridge!.findings, 'transport.sse-only');
    assert.equal(nested.severity, 'error');
    const args = (parse(nested.fix!.toml!) as any).mcp_servers.legacy.args as string[];
    assert.deepEqual(args, [PROXY, remote.url]);
    assert.equal(only(report.findings, 'stdio.exited-early').evidence?.bridgeCause, 'transport.sse-only');
  });

  test('the fix for a 401 works: the header with its variable forwarded makes the server ok', T, async () => {
    const remote = await fixture('bearer-no-oauth', { token: 'tok-4815162342' });
    const { home } = freshHome();
    const config = bridge('api', remote.url, ['--header', 'Authorization:Bearer ${API_TOKEN}'], { envVars: [{ name: 'API_TOKEN', source: 'local' }] });
    const report = await check(config, envFor(home, { API_TOKEN: 'tok-4815162342' }));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(report.bridge?.status, 'ok');
    assert.equal(JSON.stringify(report).includes('tok-4815162342'), false, 'the token is never shown');
  });

  test('a remote that never answers: timeout.startup names the remote, and more time is not the fix', T, async () => {
    const remote = await fixture('hang-headers');
    const { home } = freshHome();
    const report = await check(bridge('stuck', remote.url, [], { startupTimeoutSec: 4, startupTimeoutExplicit: true }), envFor(home));
    const timeout = only(report.findings, 'timeout.startup');
    assert.equal(timeout.evidence?.bridgeCause, 'net.timeout');
    assert.match(timeout.message, /mcp-remote was still waiting on its remote: .* does not answer \(net\.timeout\) — see the bridge diagnosis/);
    assert.equal(timeout.fix?.toml, undefined, 'no startup_timeout_sec raise');
    assert.match(timeout.fix!.summary, /More time does not help/);
    assert.equal(only(report.bridge!.findings, 'net.timeout').severity, 'error');
  });
});
