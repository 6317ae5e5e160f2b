import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { codes, stage } from './helpers/stdio-check.ts';
import type { ServerReport } from '../src/types.ts';
import { PROXY, T, bridge, check, closedPort, envFor, fixture, freshHome, fromBridge, only, useBridgeScratch } from './helpers/bridge-check.ts';

/**
 * The real mcp-remote 0.15.1 (node_modules/mcp-remote/dist/proxy.js) in front of the HTTP fixture
 * servers, through the stdio pipeline as `check` runs it (helpers/bridge-check.ts: temp HOME,
 * no browser, a marker on every process, none may survive).
 */
useBridgeScratch();

describe('mcp-remote in front of the remote (real bridge)', () => {
  test('healthy Streamable remote: the server is ok, and so is the nested bridge diagnosis', T, async () => {
    const remote = await fixture('healthy-json');
    const { home } = freshHome();
    const report = await check(bridge('linear', remote.url), envFor(home));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(only(report.findings, 'stdio.bridge').severity, 'info');
    assert.ok(report.tools && report.tools.count > 0);
    assert.ok(report.bridge, 'the report carries the bridge diagnosis');
    assert.equal(report.bridge.kind, 'mcp-remote');
    assert.equal(report.bridge.url, remote.url);
    assert.equal(report.bridge.transport, 'streamable_http');
    assert.equal(report.bridge.status, 'ok', report.bridge.findings.map((f) => f.code).join(', '));
    assert.deepEqual(report.bridge.tools?.names, report.tools?.names, 'the bridge forwards the remote\'s own tools');
    assert.ok(fromBridge(remote).length > 0, 'mcp-remote itself reached the remote');
  });

  test('legacy SSE remote: ok through mcp-remote; the nested diagnosis says legacy SSE, as information', T, async () => {
    const remote = await fixture('sse-only');
    const { home } = freshHome();
    const report = await check(bridge('legacy', remote.url), envFor(home));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    const nested = report.bridge!;
    assert.equal(nested.transport, 'sse');
    assert.equal(nested.status, 'ok');
    assert.equal(nested.findings.some((f) => f.code === 'transport.sse-only'), false, 'not reported as a failure of the bridged server');
    const note = only(nested.findings, 'bridge.remote-sse-only');
    assert.equal(note.severity, 'info');
    assert.match(note.message, /legacy HTTP\+SSE/);
    assert.match(note.message, /mcp-remote bridges it/);
    assert.equal(stage(nested as unknown as ServerReport, 'discovery').status, 'pass');
  });

  test('a remote answering 401 without OAuth: the stdio server fails, and the nested diagnosis names the auth cause', T, async () => {
    const remote = await fixture('bearer-no-oauth');
    const { home } = freshHome();
    const report = await check(bridge('api', remote.url), envFor(home));
    assert.equal(report.status, 'fail');
    const exited = only(report.findings, 'stdio.exited-early');
    assert.match(exited.message, /mcp-remote exited because the remote .* answers 401 and offers no OAuth sign-in .*\(auth\.oauth-unsupported\) — see the bridge diagnosis/);
    assert.equal(exited.evidence?.bridgeCause, 'auth.oauth-unsupported');
    // mcp-remote's own words, not a line of a dumped object.
    assert.match(exited.message, /Its stderr says: .*Fatal error/);
    const hints = (exited.evidence?.hints ?? []) as string[];
    assert.equal(hints.includes('http-only'), false, 'mcp-remote is a stdio server: no "runs as an HTTP server" hint');

    const nested = report.bridge!;
    assert.equal(nested.status, 'fail');
    assert.equal(stage(nested as unknown as ServerReport, 'auth').status, 'fail');
    const cause = only(nested.findings, 'auth.oauth-unsupported');
    // The fix is for the bridge's args: a header mcp-remote expands, and the variable forwarded.
    const table = (parse(cause.fix!.toml!) as any).mcp_servers.api;
    assert.deepEqual(table.args, [PROXY, remote.url, '--header', 'Authorization:Bearer ${API_TOKEN}']);
    assert.deepEqual(table.env_vars, ['API_TOKEN']);
  });

  test('${VAR} in --header that Codex does not forward: env-not-forwarded names it, mcp-remote is not started', T, async () => {
    const remote = await fixture('bearer-no-oauth', { token: 'tok-4815162342' });
    const { home } = freshHome();
    const config = bridge('api', remote.url, ['--header', 'Authorization:Bearer ${API_TOKEN}']);
    const report = await check(config, envFor(home, { API_TOKEN: 'tok-4815162342' }));
    assert.equal(report.status, 'fail');
    const finding = only(report.findings, 'stdio.env-not-forwarded');
    assert.equal(finding.stage, 'discovery');
    assert.deepEqual(finding.evidence?.needed, ['API_TOKEN']);
    assert.match(finding.message, /receives the literal text "\$\{API_TOKEN\}"/);
    assert.deepEqual((parse(finding.fix!.toml!) as any).mcp_servers.api.env_vars, ['API_TOKEN']);
    // What the remote says to the literal text mcp-remote would send.
    assert.equal(report.bridge?.status, 'fail');
    assert.ok(remote.requests.some((r) => r.headers.authorization === 'Bearer ${API_TOKEN}'));
    assert.equal(JSON.stringify(report).includes('tok-4815162342'), false);
  });

  test('a dead remote: the bridge exits early, and the stdio finding points at the bridge diagnosis', T, async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const { home } = freshHome();
    const report = await check(bridge('down', url), envFor(home));
    assert.equal(report.status, 'fail');
    assert.equal(stage(report, 'initialize').status, 'fail');
    const exited = only(report.findings, 'stdio.exited-early');
    assert.match(exited.message, /refuses the connection .*\(net\.connection-refused\) — see the bridge diagnosis/);
    assert.match(exited.fix!.summary, /Fix the remote first/);
    assert.equal(only(report.bridge!.findings, 'net.connection-refused').severity, 'error');
    assert.equal(stage(report.bridge as unknown as ServerReport, 'discovery').status, 'fail');
  });
});

