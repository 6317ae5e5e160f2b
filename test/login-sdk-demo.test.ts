/**
 * `check --login --login-auto` against the official SDK's OAuth demo (shared/reference/peers.md
 * §3.7): `simpleStreamableHttp.js --oauth --oauth-strict` — path-based PRM only, the authorization server
 * on its own port, auto-approving, and tokens checked against the server's resource. Kept on
 * 127.0.0.1 by fixtures/http/loopback.cjs; skipped when the example is missing or cannot start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkJson } from './helpers/cli.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEMO = join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js');
const SHIM = join(ROOT, 'fixtures/http/loopback.cjs');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

let child: ChildProcess | undefined;
let skip: string | false = false;
let mcpUrl = '';
let output = '';
const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-login-demo-'));

before(async () => {
  if (!existsSync(DEMO)) {
    skip = 'SDK example server not installed';
    return;
  }
  const [mcpPort, authPort] = [await freePort(), await freePort()];
  mcpUrl = `http://localhost:${mcpPort}/mcp`;
  child = spawn(process.execPath, ['-r', SHIM, DEMO, '--oauth', '--oauth-strict'], {
    env: { ...process.env, MCP_PORT: String(mcpPort), MCP_AUTH_PORT: String(authPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = await new Promise<boolean>((res) => {
    const timer = setTimeout(() => res(false), 15_000);
    const check = () => {
      if (output.includes(`listening on port ${mcpPort}`) && output.includes(`listening on port ${authPort}`)) {
        clearTimeout(timer);
        res(true);
      }
    };
    child!.stdout!.on('data', (d: Buffer) => ((output += d.toString()), check()));
    child!.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child!.on('exit', () => (clearTimeout(timer), res(false)));
  });
  if (!ready) skip = `SDK demo did not start (ports busy?): ${output.slice(0, 300)}`;
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  rmSync(home, { recursive: true, force: true });
});

describe('check --login against the SDK OAuth demo', () => {
  test('--login-auto logs in (DCR, PKCE, resource-bound token) and lists the tools: exit 0, no token in the output', async (t) => {
    if (skip) return t.skip(skip);
    const r = await checkJson(['--url', mcpUrl, '--login', '--login-auto', '-v'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
    const s = r.report.servers[0];
    const codes = s.findings.map((f: any) => f.code);
    assert.equal(r.code, 0, `${codes.join(', ')}\n${r.stderr}`);
    assert.notEqual(s.status, 'fail');
    assert.equal(s.stages.find((x: any) => x.name === 'tools').status, 'pass');
    assert.ok(s.tools.count > 0);
    assert.ok(s.tools.names.includes('greet'), s.tools.names.join(', '));
    const ok = s.findings.find((f: any) => f.code === 'auth.login-succeeded');
    assert.ok(ok, codes.join(', '));
    const login = ok.evidence.logins[0];
    assert.equal(login.resource, mcpUrl);
    assert.equal(login.client.via, 'dcr');
    assert.deepEqual(login.scopesRequested, ['mcp:tools']);
    // The demo issues opaque tokens; none may appear, in the transcript's Authorization lines least of all.
    const authLines = JSON.stringify(s.transcript).match(/Authorization: [^\\]+/g) ?? [];
    assert.ok(authLines.length > 0, 'the transcript shows the requests that carried the token');
    for (const line of authLines) assert.equal(line, 'Authorization: Bearer <redacted>');
  });
});
