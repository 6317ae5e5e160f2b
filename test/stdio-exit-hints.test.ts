import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { exitHints, mentionedVariables, timeoutHints, type ExitHintInput } from '../src/transports/stdio/exit-hints.ts';
import { detectBridge, detectLauncher, dockerRunWithoutInteractive } from '../src/config/launchers.ts';
import { searchOrder } from '../src/stages/env-search.ts';

const base: ExitHintInput = { command: 'node', args: ['server.js'], stderr: [], code: 1, signal: null, childEnv: {}, userEnv: {} };
const ids = (input: Partial<ExitHintInput>) => exitHints({ ...base, ...input }).map((h) => h.id);

describe(exitHints.name, () => {
  test('missing Node and Python modules', () => {
    assert.deepEqual(ids({ stderr: ["Error: Cannot find module 'better-sqlite3'"] }), ['missing-module']);
    assert.deepEqual(ids({ stderr: ["ModuleNotFoundError: No module named 'mcp'"] }), ['missing-module']);
  });

  test('wrong runtime version', () => {
    assert.deepEqual(ids({ stderr: ['SyntaxError: Unexpected token ?'] }), ['runtime-version']);
    assert.deepEqual(ids({ stderr: ['ERROR: Package requires Python >=3.10'] }), ['runtime-version']);
  });

  test('docker run without -i, even with nothing on stderr', () => {
    assert.deepEqual(ids({ command: 'docker', args: ['run', '--rm', 'mcp/github'], code: 0 }), ['docker-no-interactive']);
    assert.deepEqual(ids({ command: 'docker', args: ['run', '-i', '--rm', 'mcp/github'], code: 0 }), []);
    assert.equal(dockerRunWithoutInteractive('docker', ['run', '--rm', '-it', 'img']), false);
    // A -i after the image belongs to the container's own command.
    assert.equal(dockerRunWithoutInteractive('docker', ['run', '--rm', 'img', '-i']), true);
  });

  test('a server that listens on a port speaks HTTP, not stdio', () => {
    assert.deepEqual(ids({ stderr: ['Error: listen EADDRINUSE: address already in use :::3000'] }), ['port-in-use']);
    assert.deepEqual(ids({ stderr: ['Server listening on http://localhost:8080'], code: 0 }), ['http-only']);
  });

  test('a variable named on stderr: set for the user but not passed, or not set at all', () => {
    const stderr = ['Error: MY_API_KEY environment variable is required'];
    const forwarded = exitHints({ ...base, stderr, userEnv: { MY_API_KEY: 'x' } });
    assert.equal(forwarded[0]?.id, 'missing-env');
    assert.equal(forwarded[0]?.variable, 'MY_API_KEY');
    assert.match(forwarded[0]!.text, /env_vars = \["MY_API_KEY"\]/);
    const unset = exitHints({ ...base, stderr });
    assert.match(unset[0]!.text, /not set/);
    // Already in the server's environment: not the problem.
    assert.deepEqual(ids({ stderr, childEnv: { MY_API_KEY: 'x' } }), []);
  });

  test('an interpreter missing from the PATH the server gets', () => {
    assert.deepEqual(ids({ stderr: ["/usr/bin/env: 'node': No such file or directory"], code: 127 }), ['interpreter-not-found']);
  });

  test('TLS and proxy failures name the variables Codex drops', () => {
    // Codex 0.169 keeps NODE_EXTRA_CA_CERTS, SSL_CERT_FILE… (child-env.ts) but drops SSL_CERT_DIR.
    const tls = exitHints({ ...base, stderr: ['Error: unable to verify the first certificate'], userEnv: { SSL_CERT_DIR: '/etc/ssl/corp' } });
    assert.equal(tls[0]?.id, 'ca-not-forwarded');
    assert.match(tls[0]!.text, /env_vars = \["SSL_CERT_DIR"\]/);
    const proxy = exitHints({ ...base, stderr: ['TypeError: fetch failed', 'cause: ETIMEDOUT'], userEnv: { HTTPS_PROXY: 'http://proxy:3128' } });
    assert.deepEqual(proxy.map((h) => h.id), ['proxy-not-forwarded']);
    // Forwarded already: not the problem.
    const forwarded = exitHints({ ...base, stderr: ['fetch failed'], userEnv: { HTTPS_PROXY: 'p' }, childEnv: { HTTPS_PROXY: 'p' } });
    assert.deepEqual(forwarded, []);
  });

  test('timeouts: an HTTP server, or a Python script whose stdout is buffered', () => {
    const input = { command: 'node', args: ['s.js'], stderr: ['Server listening on http://localhost:8080'], childEnv: {}, userEnv: {}, stdoutBytes: 0 };
    assert.deepEqual(timeoutHints(input).map((h) => h.id), ['http-only']);
    const py = { command: 'python3', args: ['server.py'], stderr: [], childEnv: {}, userEnv: {}, stdoutBytes: 0 };
    assert.deepEqual(timeoutHints(py).map((h) => h.id), ['python-buffered']);
    assert.deepEqual(timeoutHints({ ...py, args: ['-u', 'server.py'] }), []);
    assert.deepEqual(timeoutHints({ ...py, stdoutBytes: 10 }), []);
  });

  test('error codes in stack traces are not variables', () => {
    assert.deepEqual(mentionedVariables(["code: 'MODULE_NOT_FOUND' missing", 'ERR_MODULE_NOT_FOUND required']), []);
    assert.deepEqual(mentionedVariables(['GITHUB_PERSONAL_ACCESS_TOKEN not set']), ['GITHUB_PERSONAL_ACCESS_TOKEN']);
  });
});

describe(detectLauncher.name, () => {
  test('npx with a scoped, unpinned package', () => {
    assert.deepEqual(detectLauncher('npx', ['-y', '@modelcontextprotocol/server-filesystem', '/tmp']), {
      kind: 'npx',
      target: '@modelcontextprotocol/server-filesystem',
      pinned: false,
      preinstall: 'npm i -g @modelcontextprotocol/server-filesystem',
    });
  });
  test('pinned versions, Windows shims and cmd /c', () => {
    assert.equal(detectLauncher('npx.cmd', ['-y', 'mcp-remote@0.1.29', 'https://x'])?.pinned, true);
    assert.equal(detectLauncher('npx', ['-y', 'pkg@latest'])?.pinned, false);
    assert.equal(detectLauncher('cmd', ['/c', 'npx', '-y', 'pkg'])?.kind, 'npx');
  });
  test('uvx, pnpm dlx and docker', () => {
    assert.equal(detectLauncher('uvx', ['mcp-server-git'])?.preinstall, 'uv tool install mcp-server-git');
    assert.equal(detectLauncher('pnpm', ['dlx', 'pkg'])?.kind, 'pnpm dlx');
    assert.equal(detectLauncher('pnpm', ['install']), undefined);
    const docker = detectLauncher('docker', ['run', '-i', '--rm', '-e', 'TOKEN', 'ghcr.io/github/github-mcp-server']);
    assert.equal(docker?.target, 'ghcr.io/github/github-mcp-server');
    assert.equal(docker?.pinned, false);
    assert.equal(detectLauncher('node', ['server.js']), undefined);
  });
});

describe(detectBridge.name, () => {
  test('mcp-remote in front of a URL', () => {
    assert.deepEqual(detectBridge('npx', ['-y', 'mcp-remote@0.1.29', 'https://mcp.example.com/sse']), {
      kind: 'mcp-remote',
      url: 'https://mcp.example.com/sse',
      args: ['https://mcp.example.com/sse'],
      version: '0.1.29',
    });
    assert.equal(detectBridge('npx', ['-y', 'some-server']), undefined);
  });

  test('every way mcp-remote is started: node with its entry point, an installed binary, a shell', () => {
    const url = 'https://mcp.example.com/mcp';
    for (const [command, args] of [
      ['node', ['/home/u/.npm/_npx/1/node_modules/mcp-remote/dist/proxy.js', url, '--transport', 'http-only']],
      ['C:\\Program Files\\nodejs\\node.exe', ['C:\\Users\\u\\node_modules\\mcp-remote\\dist\\proxy.js', url, '--transport', 'http-only']],
      ['/usr/local/bin/mcp-remote', [url, '--transport', 'http-only']],
      ['sh', ['-c', `npx -y mcp-remote ${url} --transport http-only`]],
    ] as const) {
      const bridge = detectBridge(command, [...args]);
      assert.equal(bridge?.kind, 'mcp-remote', `${command} ${args.join(' ')}`);
      assert.deepEqual(bridge?.args, [url, '--transport', 'http-only']);
    }
    // mcp-remote-client is the debug client, not the bridge.
    assert.equal(detectBridge('npx', ['mcp-remote-client', url]), undefined);
    assert.equal(detectBridge('uvx', ['mcp-proxy', '--transport', 'streamablehttp', url])?.kind, 'mcp-proxy');
    assert.equal(detectBridge('npx', ['-y', 'supergateway', '--sse', url])?.kind, 'supergateway');
  });
});

describe(searchOrder.name, () => {
  test('names from stderr first, then likely configuration, shell bookkeeping last', () => {
    assert.deepEqual(searchOrder(['OLDPWD', 'FOO', 'GITHUB_TOKEN', 'ZED', 'MY_KEY', '_'], ['ZED']), ['ZED', 'GITHUB_TOKEN', 'MY_KEY', 'FOO', 'OLDPWD', '_']);
  });
});
