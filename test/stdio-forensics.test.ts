import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.ts';
import { testDepPath } from './helpers/test-deps.ts';
import { checkServer, codes, fixture, isAlive, spawnedPid, stdioServer } from './helpers/stdio-check.ts';
import { parseBridgeArgs, type BridgeSpec } from '../src/transports/stdio/bridge-args.ts';
import { downloadSign, exitHints, literalVariables } from '../src/transports/stdio/exit-hints.ts';
import { detectBridge } from '../src/config/launchers.ts';
import { mcpRemoteBaseDir, mcpRemoteKey, storeDirName } from '../src/transports/stdio/mcp-remote-cache.ts';

const T = { timeout: 30_000 };
let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-forensics-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

async function spec(command: string, args: string[], env: Record<string, string | undefined> = {}, files: Record<string, string> = {}): Promise<BridgeSpec> {
  const bridge = detectBridge(command, args);
  assert.ok(bridge, `${command} ${args.join(' ')} is a bridge`);
  return parseBridgeArgs({
    bridge,
    env,
    cwd: '/srv',
    readFile: async (path) => {
      if (path in files) return files[path]!;
      throw new Error('ENOENT');
    },
  });
}

/**
 * mcp-remote 0.15.1's own key function, taken from its bundle: mcp-doctor's derivation must give
 * the same file names for every combination of options.
 */
function mcpRemoteOwnHash(): (...args: unknown[]) => string {
  const source = readFileSync(testDepPath('bridges', 'mcp-remote', 'dist', 'chunk-KJCT2FXL.js'), 'utf8');
  const start = source.indexOf('function getServerUrlHash(');
  assert.ok(start >= 0, 'getServerUrlHash is in the installed mcp-remote');
  const end = source.indexOf('\n}\n', start) + 2;
  return new Function('crypto2', `${source.slice(start, end)}\nreturn getServerUrlHash;`)(nodeCrypto) as (...args: unknown[]) => string;
}

describe('mcp-remote arguments and its store key', () => {
  test('headers are read as mcp-remote reads them; ${VAR} comes from the bridge\'s environment or stays literal', async () => {
    const s = await spec('npx', ['-y', 'mcp-remote', 'https://mcp.example.com/mcp', '--header', 'Authorization: Bearer ${AUTH}', '--header', 'X-Org:${ORG}', '--header', 'X-Empty:${EMPTY}'], {
      AUTH: 'secret-1',
      EMPTY: '',
    });
    assert.equal(s.url, 'https://mcp.example.com/mcp');
    assert.deepEqual(s.rawHeaders, { Authorization: 'Bearer ${AUTH}', 'X-Org': '${ORG}', 'X-Empty': '${EMPTY}' });
    assert.deepEqual(s.headers, { Authorization: 'Bearer secret-1', 'X-Org': '${ORG}', 'X-Empty': '' });
    assert.deepEqual(s.unexpanded, ['ORG']);
    assert.deepEqual(s.expanded.sort(), ['AUTH', 'EMPTY']);
    assert.deepEqual(s.transports, ['streamable', 'sse']);
  });

  test('--header-file, transport strategies, resource, device code', async () => {
    const s = await spec('mcp-remote', ['https://x.example/mcp', '--header-file', 'hdrs.txt', '--transport', 'sse-first', '--resource', ' https://x.example/ ', '--device-code'], {}, {
      '/srv/hdrs.txt': '# comment\nX-Key: abc\n\nX-Two:def\n',
    });
    assert.deepEqual(s.rawHeaders, { 'X-Key': 'abc', 'X-Two': 'def' });
    assert.deepEqual(s.transports, ['sse', 'streamable']);
    assert.equal(s.resource, 'https://x.example/');
    assert.equal(s.browserless, true);
    assert.deepEqual((await spec('mcp-remote', ['https://x.example/mcp', '--transport', 'http-only'])).transports, ['streamable']);
    assert.equal((await spec('mcp-remote', ['https://x.example/mcp', '--resource', 'https://r/', '--disable-resource-parameter'])).resource, undefined);
    assert.equal((await spec('mcp-remote', ['https://x.example/mcp', '--header-file', 'missing.txt'])).unreadableHeaderFile, 'missing.txt');
  });

  test('mcp-proxy speaks SSE unless told otherwise; supergateway by its flag', async () => {
    assert.deepEqual((await spec('uvx', ['mcp-proxy', 'https://x.example/sse'])).transports, ['sse']);
    const streamable = await spec('uvx', ['mcp-proxy', '--transport', 'streamablehttp', '-H', 'Authorization', 'Bearer t', 'https://x.example/mcp']);
    assert.deepEqual(streamable.transports, ['streamable']);
    assert.deepEqual(streamable.headers, { Authorization: 'Bearer t' });
    assert.deepEqual((await spec('npx', ['-y', 'supergateway', '--streamableHttp', 'https://x.example/mcp'])).transports, ['streamable']);
    assert.deepEqual((await spec('npx', ['-y', 'supergateway', '--sse', 'https://x.example/sse', '--oauth2Bearer', 'tok'])).headers, { Authorization: 'Bearer tok' });
  });

  test('the key equals getServerUrlHash of the installed mcp-remote for every option that feeds it', async () => {
    const own = mcpRemoteOwnHash();
    const cases: string[][] = [
      ['https://mcp.example.com/mcp'],
      ['https://mcp.example.com/mcp', '--header', 'Authorization:Bearer ${AUTH}', '--header', 'A-First: 1'],
      ['https://mcp.example.com/mcp', '--resource', 'https://mcp.example.com/', '--authorize-param', 'prompt=consent', '--authorize-param', 'audience=x'],
      ['https://mcp.example.com/mcp', '--client-metadata-url', 'https://client.example/meta.json'],
      ['https://mcp.example.com/mcp', '--client-credentials', '--token-endpoint', 'https://as.example/token'],
    ];
    for (const args of cases) {
      const s = await spec('mcp-remote', args, { AUTH: 'value-that-is-not-hashed' });
      const { key } = mcpRemoteKey(s);
      assert.equal(key, own(s.url, s.resource, s.rawHeaders, s.authorizeParams, s.clientMetadataUrl, s.tokenEndpoint), args.join(' '));
    }
    assert.equal(mcpRemoteKey(await spec('mcp-remote', ['http://localhost:3103/mcp'])).key, createHash('md5').update('http://localhost:3103/mcp').digest('hex'));
  });

  test('store location: MCP_REMOTE_CONFIG_DIR or HOME/.mcp-auth, mcp-remote-v1 unless an old release is pinned', () => {
    assert.equal(mcpRemoteBaseDir({ HOME: '/home/u' }, 'linux'), '/home/u/.mcp-auth');
    assert.equal(mcpRemoteBaseDir({ HOME: '/home/u', MCP_REMOTE_CONFIG_DIR: '/cfg' }, 'linux'), '/cfg');
    assert.equal(mcpRemoteBaseDir({ USERPROFILE: 'C:\\Users\\u' }, 'win32'), 'C:\\Users\\u\\.mcp-auth');
    assert.equal(storeDirName(undefined), 'mcp-remote-v1');
    assert.equal(storeDirName('0.15.1'), 'mcp-remote-v1');
    assert.equal(storeDirName('0.1.18'), 'mcp-remote-0.1.18');
  });
});

describe('what a failing stdio server is told', () => {
  test('`$VAR` passed literally: the hint names it, the stderr shows it, full environment fails the same way', T, async () => {
    const config = stdioServer('keyed', process.execPath, [fixture('api-key-arg.mjs'), '--api-key', '$API_KEY']);
    const report = await checkServer(config, { env: { PATH: process.env.PATH, HOME: scratch, API_KEY: 'key-abc123' } });
    assert.equal(report.status, 'fail', codes(report).join(', '));
    const exited = report.findings.find((f) => f.code === 'stdio.exited-early');
    assert.ok(exited, codes(report).join(', '));
    assert.ok((exited.evidence?.hints as string[]).includes('literal-variable'));
    assert.match(exited.fix!.summary, /`args` passes \$API_KEY literally: Codex expands no variables \(config\.var-not-expanded\)/);
    assert.match(exited.fix!.summary, /its stderr shows the literal \$API_KEY/);
    assert.match(exited.fix!.summary, /env_vars/);
    assert.match(exited.message, /fails the same way with your full environment/);
    assert.equal(JSON.stringify(report).includes('key-abc123'), false);
    const pid = spawnedPid(report);
    assert.ok(pid && !isAlive(pid));
  });

  test('literal variables: shells and mcp-remote headers expand their own', () => {
    assert.deepEqual(literalVariables({ command: 'node', args: ['s.js', '--token', '${GH_TOKEN}'], env: { KEY: '$OTHER' } }), [
      { name: 'GH_TOKEN', where: 'args' },
      { name: 'OTHER', where: 'env.KEY' },
    ]);
    assert.deepEqual(literalVariables({ command: 'sh', args: ['-c', 'exec srv --token $GH_TOKEN'] }), []);
    assert.deepEqual(literalVariables({ command: 'npx', args: ['-y', 'mcp-remote', 'https://x/mcp', '--header', 'Authorization:Bearer ${T}'] }), []);
  });

  test('mcp-remote\'s own output is not read as an HTTP server; its callback port in use has its own hint', () => {
    const base = { command: 'npx', args: ['-y', 'mcp-remote', 'https://x/mcp'], code: 1, signal: null, childEnv: {}, userEnv: {} };
    const quiet = exitHints({ ...base, stderr: ['Using transport strategy: sse-only', 'OAuth callback server running at http://127.0.0.1:12558'] });
    assert.equal(quiet.some((h) => h.id === 'http-only'), false);
    const busy = exitHints({ ...base, stderr: ['Error: listen EADDRINUSE: address already in use 127.0.0.1:12558'] });
    assert.match(busy.find((h) => h.id === 'port-in-use')!.text, /callback port/);
    const plain = (url: string, ...more: string[]) => exitHints({ ...base, args: ['-y', 'mcp-remote', url, ...more], stderr: [] }).some((h) => h.id === 'bridge-allow-http');
    assert.equal(plain('http://10.0.0.5:8080/mcp'), true);
    assert.equal(plain('http://10.0.0.5:8080/mcp', '--allow-http'), false);
    assert.equal(plain('http://localhost:8080/mcp'), false);
    assert.equal(plain('https://10.0.0.5/mcp'), false);
  });

  test('a first-run download on stderr is named when the start times out', T, async () => {
    const bin = mkdtempSync(join(scratch, 'bin-'));
    const npx = join(bin, 'npx');
    writeFileSync(
      npx,
      `#!/bin/sh\necho "npm WARN exec The following package was not found and will be installed: @acme/slow-mcp@1.2.0" >&2\nexec "${process.execPath}" "${fixture('server.mjs')}" hang\n`,
    );
    chmodSync(npx, 0o755);
    const config = stdioServer('slowpkg', 'npx', ['-y', '@acme/slow-mcp@1.2.0'], { startupTimeoutSec: 1, startupTimeoutExplicit: true });
    const report = await checkServer(config, { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const timeout = report.findings.find((f) => f.code === 'timeout.startup');
    assert.ok(timeout, codes(report).join(', '));
    assert.match(String(timeout.evidence?.firstRunDownload), /will be installed/);
    assert.match(timeout.message, /its stderr shows a first-run download/);
    assert.equal(timeout.fix?.command, 'npm i -g @acme/slow-mcp@1.2.0');
    const pid = spawnedPid(report);
    assert.ok(pid && !isAlive(pid));
  });

  test('download signs of npm, uv, pnpm, bun and docker', () => {
    for (const line of [
      'npm WARN exec The following package was not found and will be installed: x@1',
      'Installed 12 packages in 1.2s',
      'Progress: resolved 10, reused 0, downloaded 3, added 0',
      'Resolved, downloaded and extracted [12]',
      "Unable to find image 'ghcr.io/x/y:latest' locally",
      'abc123: Pulling fs layer',
    ]) {
      assert.ok(downloadSign(['starting…', line, '']), line);
    }
    assert.equal(downloadSign(['Server listening on stdio']), undefined);
  });
});
