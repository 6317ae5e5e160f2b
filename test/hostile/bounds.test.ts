// Hostile peers that send too much: the doctor stays under 300 MB, within its timeout, exits
// 0/1/2, leaves no process behind, and the finding names the cause (docs/limits.md).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HTTP_MAX_BODY_BYTES, STDIO_MAX_LINE_BYTES } from '../../src/limits.ts';
import { assertHostileInvariants, hostileMarker, runHostile } from '../helpers/hostile.ts';
import { HTTP_INIT, HTTP_TOOLS, startWireHttp } from '../helpers/wire-http.ts';
import { validSpec, WIRE_STDIO_SERVER, wireStdioConfig, type WireSpec } from '../helpers/wire-spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-bounds-'));
const stops: (() => void)[] = [];
after(() => {
  for (const stop of stops) stop();
  rmSync(dir, { recursive: true, force: true });
});
const MB = 1024 * 1024;
const TIMEOUT_S = 8;

function stdioConfig(name: string, spec: WireSpec, marker: string): string {
  return wireStdioConfig(dir, name, spec, marker, TIMEOUT_S);
}

async function httpConfig(name: string, spec: unknown, _marker: string): Promise<string> {
  const server = await startWireHttp(spec, join(dir, `${name}.json`));
  stops.push(server.stop);
  const config = join(dir, `${name}.toml`);
  writeFileSync(config, `[mcp_servers.${name}]\nurl = "${server.url}"\nstartup_timeout_sec = ${TIMEOUT_S}\n`);
  return config;
}

const bigInit = (bytes: number) => ({ head: HTTP_INIT.slice(0, -2) + ',"pad":"', unit: 'a', count: bytes, tail: '"}}' });

test('stdio: 500 MB without a newline is cut off at the line limit; Codex discards such a line too (fail, named)', async () => {
  const marker = hostileMarker();
  const config = stdioConfig('flood', { ...validSpec(), initialize: { flood: 500 * MB } }, marker);
  for (const format of [[], ['--json'], ['--verbose']]) {
    const run = await runHostile(['check', '--config', config, ...format], { marker, killAfterMs: 60_000 });
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /wire\.answer-too-large/);
    assert.ok(run.stdout.length < 200_000, `report of ${run.stdout.length} bytes`);
  }
});

test('stdio: a 16 MiB − 1 byte answer line connects, a 16 MiB one is cut off (Codex: same boundary, measured)', async () => {
  const head = '{"jsonrpc":"2.0","id":__ID__,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"w","version":"1"},"pad":"';
  const headLen = head.replace('__ID__', '0').length;
  const spec = (bytes: number): WireSpec => ({ ...validSpec(), initialize: { big: { head, unit: 'a', count: bytes - headLen - 3, tail: '"}}' } } });
  const marker = hostileMarker();
  const under = await runHostile(['check', '--json', '--config', stdioConfig('under', spec(STDIO_MAX_LINE_BYTES - 1), marker)], { marker });
  assertHostileInvariants(under, { timeoutS: TIMEOUT_S });
  assert.equal(JSON.parse(under.stdout).servers[0].status, 'ok');
  const at = await runHostile(['check', '--json', '--config', stdioConfig('at', spec(STDIO_MAX_LINE_BYTES), marker)], { marker });
  assertHostileInvariants(at, { timeoutS: TIMEOUT_S });
  const report = JSON.parse(at.stdout);
  assert.equal(report.servers[0].status, 'fail');
  assert.ok(report.servers[0].findings.some((f: any) => f.code === 'wire.answer-too-large' && f.severity === 'error'));
});

test('stdio: 200 MB of stderr keeps a bounded tail', async () => {
  const marker = hostileMarker();
  const config = stdioConfig('stderrflood', { ...validSpec(), stderr: 200 * MB }, marker);
  const run = await runHostile(['check', '--verbose', '--config', config], { marker });
  assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
  assert.ok(run.stdout.length < 2_000_000, `report of ${run.stdout.length} bytes`);
});

test('HTTP: a 200 MB JSON answer is read up to the limit and reported as not verified (warn: Codex reads any size)', async () => {
  const marker = hostileMarker();
  const config = await httpConfig('bigjson', { initialize: { body: { big: bigInit(200 * MB) } }, tools: { body: { text: HTTP_TOOLS } } }, marker);
  for (const format of [['--json'], ['--verbose'], ['--format', 'markdown', '--verbose']]) {
    const run = await runHostile(['check', '--config', config, ...format], { marker });
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    assert.match(run.stdout, /wire\.answer-too-large/);
    assert.match(run.stdout, new RegExp(`cut off at ${HTTP_MAX_BODY_BYTES / MB} MiB`));
    assert.ok(run.stdout.length < 500_000, `report of ${run.stdout.length} bytes`);
  }
});

test('HTTP: a 200 MB SSE event is cut off at the limit (warn)', async () => {
  const marker = hostileMarker();
  const config = await httpConfig('bigsse', { initialize: { body: { big: bigInit(200 * MB) }, sse: true }, tools: { body: { text: HTTP_TOOLS } } }, marker);
  const run = await runHostile(['check', '--json', '--verbose', '--config', config], { marker });
  assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
  const finding = JSON.parse(run.stdout).servers[0].findings.find((f: any) => f.code === 'wire.answer-too-large');
  assert.equal(finding?.severity, 'warning');
});

test('HTTP: a gzip bomb stops at the decoded-size limit and is named', async () => {
  const marker = hostileMarker();
  const config = await httpConfig('bomb', { initialize: { bomb: 1024 * MB, encoding: 'gzip' }, tools: { body: { text: HTTP_TOOLS } } }, marker);
  const run = await runHostile(['check', '--json', '--config', config], { marker });
  assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
  const finding = JSON.parse(run.stdout).servers[0].findings.find((f: any) => f.code === 'wire.compression-bomb');
  assert.ok(finding, run.stdout.slice(0, 2000));
  assert.match(finding.message, /Compression bomb: .* expands past 16 MiB/);
});

test('HTTP: a gzip answer is decoded (Codex reads gzip, measured): ok', async () => {
  const marker = hostileMarker();
  const config = await httpConfig('gzip', { initialize: { body: { text: HTTP_INIT }, encoding: 'gzip' }, tools: { body: { text: HTTP_TOOLS }, encoding: 'gzip' } }, marker);
  const run = await runHostile(['check', '--json', '--config', config], { marker });
  assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
  assert.notEqual(JSON.parse(run.stdout).servers[0].status, 'fail', run.stdout.slice(0, 2000));
});

test('HTTP: br and deflate answers fail as in Codex (it decodes gzip only), named', async () => {
  for (const encoding of ['br', 'deflate']) {
    const marker = hostileMarker();
    const config = await httpConfig(`enc${encoding}`, { initialize: { body: { text: HTTP_INIT }, encoding }, tools: { body: { text: HTTP_TOOLS } } }, marker);
    const run = await runHostile(['check', '--json', '--config', config], { marker });
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    const server = JSON.parse(run.stdout).servers[0];
    assert.equal(server.status, 'fail');
    assert.ok(server.findings.some((f: any) => f.code === 'wire.content-encoding'), JSON.stringify(server.findings).slice(0, 1000));
  }
});

test('HTTP: control characters in a header value are named (Codex: "error sending request"), in every format', async () => {
  const marker = hostileMarker();
  const config = await httpConfig('ctlhdr', { initialize: { body: { text: HTTP_INIT }, headers: ['X-Evil: a\u001b[31m\u0007b'] }, tools: { body: { text: HTTP_TOOLS } } }, marker);
  for (const format of [[], ['--json'], ['--format', 'markdown']]) {
    const run = await runHostile(['check', '--config', config, ...format], { marker });
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /wire\.invalid-header/);
  }
});

test('2000 tools with 7000-character names: every format stays small (names cut, lists end in "and N more")', async () => {
  const marker = hostileMarker();
  const tools = Array.from({ length: 2000 }, (_, i) => ({ name: `t${i}_${'n'.repeat(7000)}`, inputSchema: { type: 'object' } }));
  const config = stdioConfig('longnames', { ...validSpec(), tools: { text: `{"jsonrpc":"2.0","id":__ID__,"result":${JSON.stringify({ tools })}}` } }, marker);
  for (const format of [[], ['--json'], ['--verbose'], ['--format', 'markdown']]) {
    const run = await runHostile(['check', '--config', config, ...format], { marker });
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    assert.match(run.stdout, /tools\.invalid-name/);
    assert.match(run.stdout, /and 1980 more/);
    // 2000 × 7 KB names were 28–73 MB of report before; names are cut at 256 characters now.
    assert.ok(run.stdout.length < 6_000_000, `${format.join(' ') || 'text'}: report of ${run.stdout.length} bytes`);
  }
});
