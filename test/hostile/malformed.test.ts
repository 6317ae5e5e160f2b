// Malformed answers Codex refuses where JavaScript reads them: every case fails with the finding
// that names the cause, over stdio and HTTP (JSON and SSE), in every format, bounded as any
// hostile case. Codex's verdicts for the same bytes: docs/codex-behaviour.md ("What Codex refuses").
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertHostileInvariants, checkAllFormats, hostileMarker, runHostile } from '../helpers/hostile.ts';
import { HTTP_INIT, HTTP_TOOLS, startWireHttp } from '../helpers/wire-http.ts';
import { response, VALID_INIT_RESULT, validSpec, WIRE_STDIO_SERVER, wireStdioConfig, type WireSpec } from '../helpers/wire-spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-malformed-'));
const stops: (() => void)[] = [];
after(() => {
  for (const stop of stops) stop();
  rmSync(dir, { recursive: true, force: true });
});
const TIMEOUT_S = 6;

function stdioConfig(name: string, spec: WireSpec, marker: string): string {
  return wireStdioConfig(dir, name, spec, marker, TIMEOUT_S);
}

async function httpConfig(name: string, spec: unknown): Promise<string> {
  const server = await startWireHttp(spec, join(dir, `${name}.json`));
  stops.push(server.stop);
  const config = join(dir, `${name}.toml`);
  writeFileSync(config, `[mcp_servers.${name}]\nurl = "${server.url}"\nstartup_timeout_sec = ${TIMEOUT_S}\n`);
  return config;
}

const initWith = (extra: Record<string, unknown>) => JSON.stringify({ ...VALID_INIT_RESULT, ...extra });
/** The text with the first byte of `marker` replaced by a raw byte, as base64. */
function withByte(text: string, marker: string, byte: number): string {
  const raw = Buffer.from(text, 'latin1');
  raw[raw.indexOf(marker)] = byte;
  return raw.toString('base64');
}
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

function finding(report: any, code: string): any {
  const f = report.servers[0].findings.find((x: any) => x.code === code);
  assert.ok(f, `no ${code} in ${JSON.stringify(report.servers[0].findings).slice(0, 1500)}`);
  return f;
}

test('stdio: capabilities.experimental holding an array fails as in Codex (wire.type-refused), every format', async () => {
  const marker = hostileMarker();
  const config = stdioConfig('exparr', { ...validSpec(), initialize: { text: response(JSON.stringify({ ...VALID_INIT_RESULT, capabilities: { tools: {}, experimental: { x: [1] } } })) } }, marker);
  const { report, text, markdown } = await checkAllFormats(['--config', config], { timeoutS: TIMEOUT_S }, { marker });
  assert.equal(report.servers[0].status, 'fail');
  assert.match(finding(report, 'wire.type-refused').message, /capabilities\.experimental\.x is an array, not an object/);
  for (const run of [text, markdown]) assert.match(run.stdout, /wire\.type-refused/);
});

test('stdio: nesting past 127 levels, a lone surrogate and invalid UTF-8 each fail, named (Codex drops the line)', async () => {
  const cases: [string, WireSpec, RegExp][] = [
    ['deep', { ...validSpec(), initialize: { text: response(initWith({ pad: 0 }).replace('"pad":0', `"pad":${deep(126)}`)) } }, /nested 128 levels deep/],
    ['surrogate', { ...validSpec(), initialize: { text: response(initWith({ zz: 'S' }).replace('"S"', '"\\ud800"')) } }, /\\ud800/],
    ['utf8', { ...validSpec(), initialize: { b64: Buffer.concat([Buffer.from(response(initWith({ zz: '' })).replace('"zz":""', '"zz":"'), 'latin1'), Buffer.from([0xff]), Buffer.from('"}}')]).toString('base64') } }, /not valid UTF-8/],
  ];
  for (const [name, spec, cause] of cases) {
    const marker = hostileMarker();
    const run = await runHostile(['check', '--json', '--config', stdioConfig(name, spec, marker)], { marker });
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    const report = JSON.parse(run.stdout);
    assert.equal(report.servers[0].status, 'fail', name);
    assert.match(finding(report, 'wire.codex-unreadable').message, cause);
  }
});

test('stdio: 2049 tools fail (Codex\'s catalog limit), 2048 do not', async () => {
  const tools = (n: number) => JSON.stringify({ tools: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, inputSchema: { type: 'object' } })) });
  const marker = hostileMarker();
  const over = await runHostile(['check', '--json', '--config', stdioConfig('t2049', { ...validSpec(), tools: { text: response(tools(2049)) } }, marker)], { marker });
  assertHostileInvariants(over, { timeoutS: TIMEOUT_S });
  assert.match(finding(JSON.parse(over.stdout), 'tools.catalog-limit').message, /lists 2049 tools; Codex accepts at most 2048/);
  const at = await runHostile(['check', '--json', '--config', stdioConfig('t2048', { ...validSpec(), tools: { text: response(tools(2048)) } }, marker)], { marker });
  assertHostileInvariants(at, { timeoutS: TIMEOUT_S });
  assert.notEqual(JSON.parse(at.stdout).servers[0].status, 'fail');
});

test('stdio: a duplicated typed field fails (serde refuses it), a duplicated unknown field does not', async () => {
  const marker = hostileMarker();
  const dup = await runHostile(['check', '--json', '--config', stdioConfig('dup', { ...validSpec(), initialize: { text: response(JSON.stringify(VALID_INIT_RESULT).replace('{"protocolVersion"', '{"protocolVersion":"2025-06-18","protocolVersion"')) } }, marker)], { marker });
  assertHostileInvariants(dup, { timeoutS: TIMEOUT_S });
  assert.match(finding(JSON.parse(dup.stdout), 'wire.codex-unreadable').message, /"protocolVersion" appears twice/);
  const unknown = await runHostile(['check', '--json', '--config', stdioConfig('dupunknown', { ...validSpec(), initialize: { text: response(JSON.stringify(VALID_INIT_RESULT).replace('{"protocolVersion"', '{"zz":1,"zz":2,"protocolVersion"')) } }, marker)], { marker });
  assertHostileInvariants(unknown, { timeoutS: TIMEOUT_S });
  assert.notEqual(JSON.parse(unknown.stdout).servers[0].status, 'fail');
});

test('HTTP: the same rules over JSON and SSE answers', async () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['h_exparr', { initialize: { body: { text: response(JSON.stringify({ ...VALID_INIT_RESULT, capabilities: { experimental: { x: 1 } } })) } }, tools: { body: { text: HTTP_TOOLS } } }, 'wire.type-refused', /experimental\.x is a number/],
    ['h_deep', { initialize: { body: { text: response(initWith({ pad: 0 }).replace('"pad":0', `"pad":${deep(130)}`)) } }, tools: { body: { text: HTTP_TOOLS } } }, 'wire.codex-unreadable', /nested 132 levels/],
    ['h_surrogate_sse', { initialize: { body: { text: response(initWith({ zz: 'S' }).replace('"S"', '"\\udc00"')) }, sse: true }, tools: { body: { text: HTTP_TOOLS } } }, 'wire.codex-unreadable', /lone leading surrogate/],
    ['h_utf8_sse', { initialize: { body: { b64: withByte(response(initWith({ zz: 'BADBYTE' })), 'BADBYTE', 0xff) }, sse: true }, tools: { body: { text: HTTP_TOOLS } } }, 'wire.codex-unreadable', /not valid UTF-8/],
    ['h_cursor', { initialize: { body: { text: HTTP_INIT } }, tools: { body: { text: '{"jsonrpc":"2.0","id":__ID__,"result":{"tools":[],"nextCursor":5}}' } } }, 'tools.list-failed', /nextCursor is a number/],
  ];
  for (const [name, spec, code, cause] of cases) {
    const run = await runHostile(['check', '--json', '--config', await httpConfig(name, spec)]);
    assertHostileInvariants(run, { timeoutS: TIMEOUT_S });
    const report = JSON.parse(run.stdout);
    assert.equal(report.servers[0].status, 'fail', name);
    assert.match(finding(report, code).message, cause);
  }
});
