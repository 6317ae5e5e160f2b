// startup_timeout_sec as Codex 0.171.0 applies it (found by blind testing, asked of the oracle):
// the handshake gets it, and tools/list gets it again; the doctor's own probes and its waits do
// not count. A slow but healthy server connects in Codex, so it must not fail here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { checkJson } from './helpers/cli.ts';
import { serveJsonRpc, type JsonRpcHttp } from './helpers/jsonrpc-http.ts';
import { response, VALID_INIT_RESULT, VALID_TOOLS_RESULT, WIRE_STDIO_SERVER } from './helpers/wire-spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-budget-'));
const servers: JsonRpcHttp[] = [];
after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const BUDGET_S = 3;
// [initialize delay, tools/list delay] in ms, and whether Codex connects with BUDGET_S.
const CASES: Record<string, [number, number, boolean]> = {
  both_under: [2000, 2000, true],
  tools_over: [0, 3800, false],
  init_over: [3800, 0, false],
};

async function httpServer(initMs: number, toolsMs: number): Promise<string> {
  const server = await serveJsonRpc(async (msg, _req, res) => {
    const wait = msg.method === 'initialize' ? initMs : msg.method === 'tools/list' ? toolsMs : 0;
    await new Promise((r) => setTimeout(r, wait));
    const result = msg.method === 'initialize' ? VALID_INIT_RESULT : msg.method === 'tools/list' ? VALID_TOOLS_RESULT : {};
    if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
  });
  servers.push(server);
  return server.url;
}

test('the handshake and tools/list each get startup_timeout_sec, over stdio and HTTP, as in Codex', { timeout: 180_000 }, async () => {
  let toml = '';
  for (const [name, [initMs, toolsMs]] of Object.entries(CASES)) {
    const spec = join(dir, `${name}.json`);
    writeFileSync(spec, JSON.stringify({ initialize: { text: response(JSON.stringify(VALID_INIT_RESULT)), delayMs: initMs }, tools: { text: response(JSON.stringify(VALID_TOOLS_RESULT)), delayMs: toolsMs } }));
    toml += `[mcp_servers.stdio_${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([WIRE_STDIO_SERVER, spec])}\nstartup_timeout_sec = ${BUDGET_S}\n\n`;
    toml += `[mcp_servers.http_${name}]\nurl = "${await httpServer(initMs, toolsMs)}"\nstartup_timeout_sec = ${BUDGET_S}\n\n`;
  }
  const config = join(dir, 'budget.toml');
  writeFileSync(config, toml);
  const { report } = await checkJson(['--config', config], { timeoutMs: 90_000 });
  for (const [name, [, , connects]] of Object.entries(CASES)) {
    for (const transport of ['stdio', 'http']) {
      const server = report.servers.find((s: any) => s.name === `${transport}_${name}`);
      const codes = server.findings.map((f: any) => f.code);
      assert.equal(server.status === 'fail', !connects, `${transport}_${name}: ${server.status} ${codes.join(' ')}`);
      if (!connects) assert.ok(codes.some((c: string) => c === 'timeout.startup' || c === 'net.timeout'), `${transport}_${name}: ${codes.join(' ')}`);
    }
  }
  if (!codexAvailable()) return;
  const codex = await askCodex(toml, { timeoutMs: 90_000 });
  for (const [name, [, , connects]] of Object.entries(CASES)) {
    for (const transport of ['stdio', 'http']) assert.equal(codex.servers[`${transport}_${name}`]?.connected, connects, `${transport}_${name}: Codex ${codex.servers[`${transport}_${name}`]?.error ?? 'connected'}`);
  }
});
