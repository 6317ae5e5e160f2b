// Response heads Codex's HTTP client (hyper) refuses for their size or their number of lines, and
// the ones it reads: the doctor's verdict is Codex's, asked of the oracle (docs/limits.md,
// HTTP_MAX_HEADER_BYTES and HTTP_MAX_RESPONSE_HEADERS). Node's own 16 KiB bound failed servers
// whose 20–500 KB headers Codex reads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HTTP_MAX_RESPONSE_HEADERS } from '../../src/limits.ts';
import { askCodex, codexAvailable } from '../helpers/codex-oracle.ts';
import { assertHostileInvariants, hostileMarker, runHostile } from '../helpers/hostile.ts';
import { HTTP_INIT, HTTP_TOOLS, startWireHttp } from '../helpers/wire-http.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-headers-'));
const stops: (() => void)[] = [];
after(() => {
  for (const stop of stops) stop();
  rmSync(dir, { recursive: true, force: true });
});

// The wire server sends three headers of its own (Content-Type, Connection, Mcp-Session-Id).
const OWN_HEADERS = 3;
const lines = (n: number) => Array.from({ length: n }, (_, i) => `X-Header-${i}: v`);
const CASES: [name: string, headers: string[], codexConnects: boolean][] = [
  ['big300k', [`X-Big: ${'a'.repeat(300_000)}`], true],
  ['big600k', [`X-Big: ${'a'.repeat(600_000)}`], false],
  ['lines100', lines(HTTP_MAX_RESPONSE_HEADERS - OWN_HEADERS), true],
  ['lines101', lines(HTTP_MAX_RESPONSE_HEADERS - OWN_HEADERS + 1), false],
];

test('response headers: large but readable ones pass, too large or too many fail as in Codex, named', async () => {
  const marker = hostileMarker();
  let toml = '';
  for (const [name, headers] of CASES) {
    const server = await startWireHttp({ initialize: { body: { text: HTTP_INIT }, headers }, tools: { body: { text: HTTP_TOOLS } } }, join(dir, `${name}.json`));
    stops.push(server.stop);
    toml += `[mcp_servers.${name}]\nurl = "${server.url}"\nstartup_timeout_sec = 8\n\n`;
  }
  const config = join(dir, 'headers.toml');
  writeFileSync(config, toml);
  const run = await runHostile(['check', '--json', '--config', config], { marker });
  assertHostileInvariants(run, { timeoutS: 8 });
  const servers = new Map<string, any>(JSON.parse(run.stdout).servers.map((s: any) => [s.name, s]));
  for (const [name, , connects] of CASES) {
    const server = servers.get(name);
    const codes = server.findings.map((f: any) => f.code);
    if (connects) assert.notEqual(server.status, 'fail', `${name}: ${codes.join(' ')}`);
    else {
      assert.equal(server.status, 'fail', name);
      assert.ok(codes.includes('wire.headers-too-large'), `${name}: ${codes.join(' ')}`);
    }
  }
  if (!codexAvailable()) return;
  const codex = await askCodex(toml, { timeoutMs: 60_000 });
  for (const [name, , connects] of CASES) assert.equal(codex.servers[name]?.connected, connects, `${name}: Codex ${codex.servers[name]?.error ?? 'connected'}`);
});
