import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { checkJson, runCli } from './helpers/cli.ts';
import { contractViolations } from './helpers/contract-schema.ts';
import { PROXY, T, fixture, marker, scratchDir, survivors, useBridgeScratch } from './helpers/bridge-check.ts';

/**
 * Bridged servers through the built CLI (`npm run build` first): the nested `bridge` diagnosis in
 * JSON (after the contract's fields, in the same shape), text and markdown; exit code; nothing
 * left running. HOME is a temp dir, so mcp-remote's store is empty.
 */
useBridgeScratch();

let config: string;
let env: Record<string, string>;
const urls: Record<string, string> = {};

before(async () => {
  const home = scratchDir('home-');
  urls.legacy = (await fixture('sse-only')).url;
  urls.api = (await fixture('bearer-no-oauth')).url;
  urls.oauth = (await fixture('oauth-protected')).url;
  const table = (name: string) =>
    `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([PROXY, urls[name]])}\nenv = { MCP_DOCTOR_BRIDGE_TEST = "${marker}", BROWSER = "true" }\n`;
  config = join(home, 'config.toml');
  writeFileSync(config, ['legacy', 'api', 'oauth'].map(table).join('\n'));
  env = { HOME: home, CODEX_HOME: home, DISPLAY: '' };
});

describe('bridged servers through the built CLI', () => {
  test('JSON: the bridge diagnosis follows the contract fields; exit 1; nothing survives', T, async () => {
    const { code, report } = await checkJson(['--config', config], { env, timeoutMs: 90_000 });
    assert.equal(code, 1);
    assert.deepEqual(contractViolations(report), []);
    assert.deepEqual(survivors(), []);
    const [legacy, api, oauth] = report.servers;
    // No cached sign-in: mcp-remote would wait on a browser past Codex's startup timeout (issue 16).
    assert.deepEqual([legacy.status, api.status, oauth.status], ['ok', 'fail', 'fail']);

    const keys = Object.keys(api);
    assert.ok(keys.indexOf('bridge') > keys.indexOf('tools'), `bridge comes after the contract fields: ${keys.join(', ')}`);
    assert.deepEqual(Object.keys(api.bridge).slice(0, 8), ['kind', 'url', 'transport', 'status', 'stages', 'findings', 'server', 'tools']);
    assert.deepEqual(
      api.bridge.stages.map((s: any) => s.name),
      ['config', 'discovery', 'auth', 'initialize', 'tools'],
    );
    assert.equal('transcript' in api.bridge, false, 'no transcript without --verbose');

    assert.equal(legacy.bridge.transport, 'sse');
    assert.deepEqual(legacy.bridge.findings.map((f: any) => `${f.severity} ${f.code}`), ['info bridge.remote-sse-only']);
    assert.equal(api.findings.find((f: any) => f.code === 'stdio.exited-early').evidence.bridgeCause, 'auth.oauth-unsupported');
    assert.deepEqual(oauth.findings.map((f: any) => f.code), ['stdio.bridge', 'bridge.tokens-missing']);
    // Every snippet in a nested fix parses and targets the server's own table.
    for (const server of report.servers) {
      for (const f of server.bridge.findings) if (f.fix?.toml) assert.ok((parse(f.fix.toml) as any).mcp_servers[server.name], f.fix.toml);
    }
  });

  test('text: one bridge line per server, its failing stage and findings under it', T, async () => {
    const { code, stdout } = await runCli(['check', '--config', config], { env, timeoutMs: 90_000 });
    assert.equal(code, 1);
    assert.ok(stdout.includes(`  bridge  ✔ ok  mcp-remote → ${urls.legacy}  http (legacy SSE)`), stdout);
    assert.ok(stdout.includes(`  bridge  ✖ fail  mcp-remote → ${urls.api}  http`), stdout);
    assert.match(stdout, /\n    ✖ fail     auth +\d+ ms  401 and no OAuth metadata/);
    assert.match(stdout, /\n    ✖ error  auth\.oauth-unsupported  /);
    assert.match(stdout, /mcp-remote exited\s+because the remote/);
    assert.deepEqual(survivors(), []);
  });

  test('markdown: a Bridge sub-section per bridged server', T, async () => {
    const { stdout } = await runCli(['check', '--config', config, '--format', 'markdown'], { env, timeoutMs: 90_000 });
    assert.ok(stdout.includes(`#### ✔ Bridge: mcp-remote → \`${urls.legacy}\` (ok)`), stdout);
    assert.ok(stdout.includes(`#### ✖ Bridge: mcp-remote → \`${urls.api}\` (fail)`), stdout);
    assert.ok(stdout.includes(`#### ! Bridge: mcp-remote → \`${urls.oauth}\` (warn)`), stdout);
    assert.match(stdout, /- \*\*auth\*\*: ✖ fail \(\d+ ms\) — 401 and no OAuth metadata/);
    assert.deepEqual(survivors(), []);
  });
});
