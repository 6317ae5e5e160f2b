// Many servers sending large answers at once (docs/limits.md, LARGE_ANSWER_SLOTS and
// JSON_MAX_VALUES): the doctor stays under 300 MB, reads every answer a single server could send
// it, gives Codex's verdict on each, and says "not verified" only for what it did not read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JSON_MAX_VALUES } from '../../src/limits.ts';
import { assertHostileInvariants, hostileMarker, runHostile } from '../helpers/hostile.ts';
import { HTTP_INIT, startWireHttp } from '../helpers/wire-http.ts';
import { response, VALID_INIT_RESULT, WIRE_STDIO_SERVER, type WireAnswer, type WireSpec } from '../helpers/wire-spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-concurrent-'));
const stops: (() => void)[] = [];
after(() => {
  for (const stop of stops) stop();
  rmSync(dir, { recursive: true, force: true });
});
const MiB = 1024 * 1024;
const ECHO = '{"name":"echo","inputSchema":{"type":"object"}}';
const INIT = response(JSON.stringify(VALID_INIT_RESULT));
const big = (head: string, unit: string, count: number, tail: string) => ({ big: { head: `{"jsonrpc":"2.0","id":__ID__,"result":${head}`, unit, count, tail } });
/** A valid tools/list answer of `bytes` that parses into little. */
const padded = (bytes: number) => big(`{"tools":[${ECHO}],"pad":"`, 'a', bytes, '"}}');
/** 5000 tools: Codex fails the server (catalog limit 2048), after reading all of it. */
const manyTools = big('{"tools":[', '{"name":"tool","description":"a tool","inputSchema":{"type":"object","properties":{"q":{"type":"string"}}}},', 5000, `${ECHO}]}}`);
/** More JSON values than the doctor parses. */
const numbers = big(`{"tools":[${ECHO}],"x":[`, '0,', JSON_MAX_VALUES + 1000, '0]}}');

function stdioEntry(name: string, spec: WireSpec, marker: string, timeoutS: number): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([WIRE_STDIO_SERVER, path, marker])}\nstartup_timeout_sec = ${timeoutS}\n`;
}

async function httpEntry(name: string, tools: unknown, timeoutS: number): Promise<string> {
  const server = await startWireHttp({ initialize: { body: { text: HTTP_INIT } }, tools: { body: tools } }, join(dir, `${name}.http.json`));
  stops.push(server.stop);
  return `[mcp_servers.${name}]\nurl = "${server.url}"\nstartup_timeout_sec = ${timeoutS}\n`;
}

test('16 servers, stdio and HTTP, all sending large answers at once: under 300 MB, every answer read, Codex verdicts', async () => {
  const marker = hostileMarker();
  const entries: string[] = [];
  for (let i = 0; i < 6; i++) entries.push(stdioEntry(`pad${i}`, { initialize: { text: INIT }, tools: padded(15 * MiB) }, marker, 30));
  for (let i = 0; i < 4; i++) entries.push(stdioEntry(`many${i}`, { initialize: { text: INIT }, tools: manyTools as WireAnswer }, marker, 30));
  for (let i = 0; i < 4; i++) entries.push(await httpEntry(`web${i}`, padded(15 * MiB), 30));
  for (let i = 0; i < 2; i++) entries.push(stdioEntry(`nums${i}`, { initialize: { text: INIT }, tools: numbers as WireAnswer }, marker, 30));
  const config = join(dir, 'sixteen.toml');
  writeFileSync(config, entries.join('\n'));
  const run = await runHostile(['check', '--json', '--config', config], { marker, killAfterMs: 120_000 });
  assertHostileInvariants(run, { timeoutS: 60 });
  const servers = new Map<string, any>(JSON.parse(run.stdout).servers.map((s: any) => [s.name, s]));
  const codes = (name: string) => servers.get(name).findings.map((f: any) => `${f.code}:${f.severity}`);
  for (let i = 0; i < 6; i++) {
    assert.equal(servers.get(`pad${i}`).status, 'ok', codes(`pad${i}`).join(' '));
    assert.equal(servers.get(`pad${i}`).tools.count, 1);
  }
  for (let i = 0; i < 4; i++) {
    assert.equal(servers.get(`many${i}`).status, 'fail');
    assert.ok(codes(`many${i}`).includes('tools.catalog-limit:error'), codes(`many${i}`).join(' '));
  }
  // Read whole (no "cut off" by memory shared with the others): the HTTP tools are counted.
  for (let i = 0; i < 4; i++) {
    assert.ok(!codes(`web${i}`).some((c: string) => c.startsWith('wire.answer-too-large')), codes(`web${i}`).join(' '));
    assert.equal(servers.get(`web${i}`).tools?.count, 1, codes(`web${i}`).join(' '));
  }
  for (let i = 0; i < 2; i++) {
    const finding = servers.get(`nums${i}`).findings.find((f: any) => f.code === 'wire.answer-too-large');
    assert.equal(finding?.severity, 'warning', codes(`nums${i}`).join(' '));
    assert.equal(finding.evidence.limitValues, JSON_MAX_VALUES);
    assert.equal(servers.get(`nums${i}`).status, 'warn');
  }
});

test('a server waiting behind another server\'s large answer is not timed out for it: its deadline stands still, then "not verified" (warn), never fail', async () => {
  const marker = hostileMarker();
  // The hog starts a 2 MiB line and never ends it: it holds the one slot until its own deadline
  // (Codex times out on it too: fail). The other answers later with a large, valid answer.
  const hog = stdioEntry('hog', { initialize: { text: INIT }, tools: { flood: 2 * MiB } }, marker, 4);
  const late = stdioEntry('late', { initialize: { text: INIT }, tools: { ...padded(3 * MiB), delayMs: 500 } }, marker, 1);
  const server = await startWireHttp({ initialize: { body: { text: HTTP_INIT } }, tools: { body: padded(3 * MiB), delayMs: 300 } }, join(dir, 'lateweb.http.json'));
  stops.push(server.stop);
  const lateweb = `[mcp_servers.lateweb]\nurl = "${server.url}"\nstartup_timeout_sec = 1\n`;
  const config = join(dir, 'hog.toml');
  writeFileSync(config, `${hog}\n${late}\n${lateweb}`);
  const run = await runHostile(['check', '--json', '--config', config], { marker });
  assertHostileInvariants(run, { timeoutS: 4 });
  const servers = new Map<string, any>(JSON.parse(run.stdout).servers.map((s: any) => [s.name, s]));
  assert.equal(servers.get('hog').status, 'fail');
  for (const name of ['late', 'lateweb']) {
    const lateServer = servers.get(name);
    assert.equal(lateServer.status, 'warn', `${name}: ${JSON.stringify(lateServer.findings).slice(0, 1500)}`);
    const finding = lateServer.findings.find((f: any) => f.code === 'wire.answer-too-large');
    assert.equal(finding?.severity, 'warning');
    assert.match(finding.message, /--concurrency 1/);
    assert.ok(!lateServer.findings.some((f: any) => f.code === 'timeout.startup' || f.code === 'net.timeout'));
  }
  // Checked alone, the same server is read and ok: the warning was about the doctor, not the server.
  const alone = await runHostile(['check', '--json', '--config', config, 'late', 'lateweb'], { marker });
  for (const name of ['late', 'lateweb']) assert.notEqual(JSON.parse(alone.stdout).servers.find((s: any) => s.name === name).status, 'fail', alone.stdout.slice(0, 1500));
});

test('HTTP: a body and an SSE event with more JSON values than the doctor parses: not verified (warn), bounded', async () => {
  const marker = hostileMarker();
  for (const sse of [false, true]) {
    const server = await startWireHttp({ initialize: { body: { text: HTTP_INIT } }, tools: { body: numbers, ...(sse && { sse: true }) } }, join(dir, `values-${sse}.json`));
    stops.push(server.stop);
    const config = join(dir, `values-${sse}.toml`);
    writeFileSync(config, `[mcp_servers.values]\nurl = "${server.url}"\nstartup_timeout_sec = 8\n`);
    for (const format of [['--json'], ['--verbose']]) {
      const run = await runHostile(['check', '--config', config, ...format], { marker });
      assertHostileInvariants(run, { timeoutS: 8 });
      assert.equal(run.code, 0);
      assert.match(run.stdout, /wire\.answer-too-large/);
      assert.match(run.stdout, new RegExp(`more than ${JSON_MAX_VALUES} JSON values`));
      assert.ok(run.stdout.length < 500_000, `report of ${run.stdout.length} bytes`);
    }
  }
});
