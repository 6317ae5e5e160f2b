import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync, writeFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { codes, stage } from './helpers/stdio-check.ts';
import { bridge, check, envFor, fixture, freshHome, fromBridge, md5, only, scratchDir, T, useBridgeScratch, writeStore } from './helpers/bridge-check.ts';

/**
 * mcp-remote's token store, read-only: fake store files in a temp HOME (or MCP_REMOTE_CONFIG_DIR),
 * the real mcp-remote 0.15.1 in front of the OAuth fixture, so a token found proves the key.
 */
useBridgeScratch();

describe('mcp-remote token store (read-only)', () => {
  test('an OAuth remote and no cached tokens: bridge.tokens-missing, and mcp-remote is never started', T, async () => {
    const remote = await fixture('oauth-protected');
    const { home, store } = freshHome();
    const report = await check(bridge('oauth', remote.url), envFor(home));
    // Codex times out on it (test/interop/mcp-remote-login.test.ts asks Codex): an error.
    assert.equal(report.status, 'fail', codes(report).join(', '));
    const missing = only(report.findings, 'bridge.tokens-missing');
    assert.equal(missing.severity, 'error');
    assert.equal(missing.evidence?.key, md5(remote.url));
    assert.equal(missing.evidence?.store, store);
    assert.match(missing.message, /opens a browser/);
    assert.match(missing.fix!.command!, /mcp-remote\/dist\/proxy\.js/);
    assert.match(stage(report, 'discovery').summary, /^not started: mcp-remote would open a browser/);
    assert.equal(stage(report, 'initialize').status, 'skipped');
    assert.equal(fromBridge(remote).length, 0, 'mcp-remote made no request');
    // Its sign-in is a warning in the nested diagnosis too, with mcp-remote's own way to sign in.
    const login = only(report.bridge!.findings, 'auth.login-required');
    assert.equal(login.severity, 'warning');
    assert.equal(login.fix?.command, missing.fix?.command);
  });

  test('a valid cached token (key md5(url)): mcp-remote uses it, so does the direct check; never shown', T, async () => {
    const remote = await fixture('oauth-protected', { token: 'cached-token-3c1b9a' });
    const { home, store } = freshHome();
    writeStore(store, md5(remote.url), {
      'tokens.json': { access_token: 'cached-token-3c1b9a', token_type: 'Bearer', refresh_token: 'refresh-77aa01', expires_in: 3600, expires_at: Date.now() + 3_600_000 },
    });
    const report = await check(bridge('oauth', remote.url), envFor(home));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(report.bridge?.status, 'ok');
    assert.ok(fromBridge(remote).some((r) => r.headers.authorization === 'Bearer cached-token-3c1b9a'), 'mcp-remote found the token under the key mcp-doctor derived');
    const all = JSON.stringify(report);
    assert.equal(all.includes('cached-token-3c1b9a'), false);
    assert.equal(all.includes('refresh-77aa01'), false);
  });

  test('--header values are part of the key, unexpanded: a token cached under md5(url|headers) is found', T, async () => {
    const remote = await fixture('oauth-protected', { token: 'cached-token-hdr' });
    const { home, store } = freshHome();
    const key = md5(`${remote.url}|${JSON.stringify({ 'X-Tenant': '${TENANT}' })}`);
    writeStore(store, key, { 'tokens.json': { access_token: 'cached-token-hdr', token_type: 'Bearer', expires_at: Date.now() + 3_600_000 } });
    const config = bridge('oauth', remote.url, ['--header', 'X-Tenant:${TENANT}'], { envVars: [{ name: 'TENANT', source: 'local' }] });
    const report = await check(config, envFor(home, { TENANT: 'acme' }));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.ok(fromBridge(remote).some((r) => r.headers.authorization === 'Bearer cached-token-hdr' && r.headers['x-tenant'] === 'acme'));
  });

  test('a cached token the remote refuses: bridge.tokens-rejected with the file to delete; not started', T, async () => {
    const remote = await fixture('oauth-protected');
    const { home, store } = freshHome();
    const key = md5(remote.url);
    writeStore(store, key, { 'tokens.json': { access_token: 'revoked-token-91', token_type: 'Bearer', expires_at: Date.now() + 3_600_000 } });
    const report = await check(bridge('oauth', remote.url), envFor(home));
    const rejected = only(report.findings, 'bridge.tokens-rejected');
    assert.equal(rejected.fix?.command?.startsWith(`rm ${join(store, `${key}_tokens.json`)}`), true, rejected.fix?.command);
    assert.equal(fromBridge(remote).length, 0);
    assert.equal(JSON.stringify(report).includes('revoked-token-91'), false);
  });

  test('an expired token without a refresh token: bridge.tokens-expired; not started', T, async () => {
    const remote = await fixture('oauth-protected');
    const { home, store } = freshHome();
    writeStore(store, md5(remote.url), { 'tokens.json': { access_token: 'old-token-5', token_type: 'Bearer', expires_in: 3600, expires_at: Date.now() - 3_600_000 } });
    const report = await check(bridge('oauth', remote.url), envFor(home));
    const expired = only(report.findings, 'bridge.tokens-expired');
    assert.equal(expired.severity, 'error');
    assert.equal(expired.evidence?.expirySource, 'expires_at');
    assert.equal(expired.evidence?.tokenState, 'expired');
    assert.equal(fromBridge(remote).length, 0);
  });

  test('an expired token with a refresh token: info, mcp-remote is started and refreshes (or falls back) itself', T, async () => {
    const remote = await fixture('oauth-protected', { token: 'fallback-token-8' });
    const { home, store } = freshHome();
    writeStore(store, md5(remote.url), {
      'tokens.json': { access_token: 'fallback-token-8', token_type: 'Bearer', refresh_token: 'refresh-zz9', expires_at: Date.now() - 1000 },
    });
    const report = await check(bridge('oauth', remote.url), envFor(home));
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(only(report.findings, 'bridge.token-refresh-pending').severity, 'info');
    // The direct check sent no token (mcp-remote refreshes first): its 401 is expected, information only.
    assert.equal(only(report.bridge!.findings, 'auth.login-required').severity, 'info');
    assert.ok(fromBridge(remote).length > 0);
    assert.equal(JSON.stringify(report).includes('refresh-zz9'), false);
  });

  test('older store layout: expires_in counts from the file time', async () => {
    const { readTokens } = await import('../src/transports/stdio/mcp-remote-cache.ts');
    const written = Date.parse('2026-01-01T00:00:00Z');
    const text = JSON.stringify({ access_token: 'a', token_type: 'Bearer', expires_in: 3600 });
    assert.equal(readTokens('f', text, written, written + 30 * 60_000).state, 'valid');
    const late = readTokens('f', text, written, written + 2 * 3_600_000);
    assert.equal(late.state, 'expired');
    assert.equal(late.expirySource, 'mtime + expires_in');
    assert.equal(readTokens('f', '{"access_token": 1}', written, written).state, 'invalid');
  });

  test('a stale client registration and a dead lock: the exact files to delete, never all of ~/.mcp-auth', T, async () => {
    const remote = await fixture('healthy-json');
    const { home, store } = freshHome();
    const key = md5(remote.url);
    writeStore(store, key, {
      'client_info.json': { client_id: 'c-1', client_secret: 'client-secret-q7', client_secret_expires_at: Math.floor(Date.now() / 1000) - 60, redirect_uris: ['http://localhost:1/oauth/callback'] },
      'tokens.json': { access_token: 'tok-old-1', token_type: 'Bearer', expires_at: Date.now() + 3_600_000 },
      'refresh_in_progress.json': { pid: 2 ** 22 + 17, nonce: 'n', at: Date.now() - 5000 },
    });
    const report = await check(bridge('plain', remote.url), envFor(home));
    const stale = only(report.findings, 'bridge.client-info-stale');
    assert.equal(stale.fix?.command, `rm ${join(store, `${key}_client_info.json`)} ${join(store, `${key}_tokens.json`)}`);
    assert.doesNotMatch(stale.fix!.summary + stale.fix!.command, /rm -rf/);
    const lock = only(report.findings, 'bridge.stale-lock');
    assert.equal(lock.severity, 'info');
    assert.equal(lock.evidence?.alive, false);
    const all = JSON.stringify(report);
    assert.equal(all.includes('client-secret-q7'), false);
    assert.equal(all.includes('tok-old-1'), false);
  });

  test('MCP_REMOTE_CONFIG_DIR set in the shell but not forwarded: the tokens there are named, fix forwards it', T, async () => {
    const remote = await fixture('oauth-protected', { token: 'tok-own-5e' });
    const { home } = freshHome();
    const own = scratchDir('own-');
    writeStore(join(own, 'mcp-remote-v1'), md5(remote.url), { 'tokens.json': { access_token: 'tok-own-5e', token_type: 'Bearer' } });
    const report = await check(bridge('oauth', remote.url), envFor(home, { MCP_REMOTE_CONFIG_DIR: own }));
    const missing = only(report.findings, 'bridge.tokens-missing');
    assert.match(missing.message, /MCP_REMOTE_CONFIG_DIR/);
    assert.deepEqual((parse(missing.fix!.toml!) as any).mcp_servers.oauth.env_vars, ['MCP_REMOTE_CONFIG_DIR']);
    // Forwarded, mcp-remote (and the direct check) use them.
    const forwarded = await check(bridge('oauth', remote.url, [], { envVars: [{ name: 'MCP_REMOTE_CONFIG_DIR', source: 'local' }] }), envFor(home, { MCP_REMOTE_CONFIG_DIR: own }));
    assert.equal(forwarded.status, 'ok', codes(forwarded).join(', '));
    assert.ok(fromBridge(remote).some((r) => r.headers.authorization === 'Bearer tok-own-5e'));
  });
});

describe('inspectMcpRemoteCache', () => {
  test('older stores, debug-log history and live leases are read; nothing is written', async () => {
    const { inspectMcpRemoteCache } = await import('../src/transports/stdio/mcp-remote-cache.ts');
    const { parseBridgeArgs } = await import('../src/transports/stdio/bridge-args.ts');
    const { home, store } = freshHome();
    const url = 'https://mcp.example.com/mcp';
    const key = md5(url);
    const old = join(home, '.mcp-auth', 'mcp-remote-0.1.18');
    writeStore(old, key, { 'tokens.json': { access_token: 'x', token_type: 'Bearer' } });
    writeStore(store, key, {
      'client_info.json': { client_id: 'c-2', redirect_uris: ['http://localhost:5555/oauth/callback'] },
      'lock.json': { pid: process.pid, port: 5555, timestamp: Date.now() },
    });
    writeFileSync(join(store, `${key}_debug.log`), '[2026-01-01][1] starting\n[2026-01-01][1] Token exchange failed: HTTP 400 invalid_client\n');
    writeFileSync(join(store, `${key}_code_verifier_abc`), 'v');
    const before = readdirSync(store).sort();
    const spec = await parseBridgeArgs({ bridge: { kind: 'mcp-remote', url, args: [url] }, env: {}, cwd: '/', readFile: async () => '' });
    const cache = await inspectMcpRemoteCache({ spec, childEnv: { HOME: home }, userEnv: { HOME: home }, platform: 'linux', nowMs: Date.now() });
    assert.ok(cache);
    assert.equal(cache.tokens, undefined, 'mcp-remote 0.15.1 reads mcp-remote-v1 only');
    assert.deepEqual(cache.elsewhere, [{ dir: old, files: [`${key}_tokens.json`] }]);
    assert.deepEqual(cache.locks.map((l) => [l.pid, l.alive]), [[process.pid, true]]);
    assert.equal(cache.abandonedSignIns, 1);
    assert.match(cache.staleClientLines[0]!, /Token exchange failed: HTTP 400/);
    assert.equal(cache.clientInfo?.clientId, 'c-2');
    assert.deepEqual(readdirSync(store).sort(), before, 'read-only');
  });
});
