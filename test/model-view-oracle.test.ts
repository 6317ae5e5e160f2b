// What the doctor says the model is sent, against what Codex really sends (turn-level oracle:
// `codex exec` against the mock Responses API, test/helpers/codex-turn-oracle.ts), for servers
// with awkward tools over stdio and Streamable HTTP; and issue 16 item 4 (a tool whose
// inputSchema is {"type":"string"}): the doctor's verdict agrees with Codex's startup verdict,
// what Codex sends is what the doctor reports, and the doctor's fix is accepted by Codex.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { checkJson } from './helpers/cli.ts';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { runCodexTurn, type CodexTurn } from './helpers/codex-turn-oracle.ts';
import { EVERYTHING, startEverything } from './helpers/real-servers.ts';

const STDIO = new URL('../fixtures/model-view/tools-server.mjs', import.meta.url).pathname;
const HTTP = new URL('../fixtures/model-view/tools-http-server.mjs', import.meta.url).pathname;
const AWKWARD = new URL('../fixtures/model-view/awkward-tools.json', import.meta.url).pathname;
const RECORDED = JSON.parse(readFileSync(new URL('../fixtures/model-view/codex-0.171.0-sent.json', import.meta.url), 'utf8'));
const ITEM4 = [
  {
    name: 'echo',
    title: 'Echo (title)',
    description: 'Echo',
    annotations: { title: 'Echo (annotation)', readOnlyHint: true },
    outputSchema: { type: 'object', properties: { text: { type: 'string' } } },
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  },
  { name: 'string_schema', description: 'Takes a bare string', inputSchema: { type: 'string' } },
];
const skip = codexAvailable() ? false : 'the Codex CLI is not installed (set CODEX_ORACLE_BIN or MCP_DOCTOR_TEST_CACHE)';
const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-model-view-'));
const item4File = join(dir, 'item4.json');
writeFileSync(item4File, JSON.stringify(ITEM4));
/** Tool lists Codex cannot read at all: an inputSchema that is not a JSON object, or none. */
const UNREADABLE: Record<string, unknown[]> = {
  schema_string: [ITEM4[0], { name: 'bad', inputSchema: 'x' }],
  schema_array: [ITEM4[0], { name: 'bad', inputSchema: [] }],
  schema_missing: [ITEM4[0], { name: 'bad' }],
};
/** A tool nested `levels` deep (the tool object counted): Codex reads tools/list answers up to 127 levels, the tool sits at level 4. */
function deepTool(levels: number): unknown {
  // tool (1) > inputSchema (2) > properties (3) > a chain of array items, one level each.
  let chain: unknown = { type: 'string' };
  for (let i = 0; i < levels - 4; i++) chain = { type: 'array', items: chain };
  return { name: 'deep', inputSchema: { type: 'object', properties: { a: chain } } };
}
UNREADABLE.deep_125 = [ITEM4[0], deepTool(125)];
const DEEP_OK = join(dir, 'deep_124.json');
writeFileSync(DEEP_OK, JSON.stringify([ITEM4[0], deepTool(124)]));
for (const [name, tools] of Object.entries(UNREADABLE)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(tools));

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as any)[k])]));
  return v;
}

function stdioTable(name: string, file: string, extra = ''): string {
  return `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${[STDIO, file].map((a) => JSON.stringify(a)).join(', ')}]\n${extra}\n`;
}

/** The doctor's tools.model entries and Codex's namespace, matched tool by tool. */
function compare(doctor: any, turn: CodexTurn): void {
  const model: any[] = doctor.tools.model;
  const namespace = model[0].namespace;
  const sent = turn.namespaces[namespace];
  assert.ok(sent, `Codex sent no namespace ${namespace}: ${Object.keys(turn.namespaces).join(' ')}`);
  const predicted = model.filter((t) => t.dropped === undefined);
  assert.deepEqual(predicted.map((t) => t.modelName).sort(), sent.map((t) => t.name).sort(), `tool names in ${namespace}`);
  for (const t of predicted) {
    const s: any = sent.find((x) => x.name === t.modelName)!;
    if (t.schema !== undefined) assert.deepEqual(canon(t.schema), canon(s.parameters), `parameters of ${t.name}`);
    assert.equal(Buffer.byteLength(JSON.stringify(s.parameters)), t.schemaBytes, `size of ${t.name}'s parameters`);
  }
  const skippedByLog = new Set(turn.skipped.map((s) => s.qualified));
  for (const t of model.filter((x) => x.dropped !== undefined && !/another tool is also named/.test(x.dropped))) {
    assert.ok(skippedByLog.has(`${namespace}${t.name}`), `Codex should have logged skipping ${t.name}: ${[...skippedByLog].join(' ')}`);
  }
}

const https: ChildProcess[] = [];
let httpUrl = '';
let httpDeepUrl = '';
let httpDeepOkUrl = '';

async function startHttp(file: string): Promise<string> {
  const child = spawn(process.execPath, [HTTP, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  https.push(child);
  const port = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the HTTP fixture did not start')), 10_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(t);
      resolve(line.replace('PORT ', '').trim());
    });
  });
  return `http://127.0.0.1:${port}/mcp`;
}

before(async () => {
  if (skip) return;
  httpUrl = await startHttp(item4File);
  httpDeepUrl = await startHttp(join(dir, 'deep_125.json'));
  httpDeepOkUrl = await startHttp(DEEP_OK);
});

after(() => {
  for (const child of https) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('model view: the doctor against a real Codex turn', { skip }, () => {
  it('awkward tools over stdio, item 4 over stdio and HTTP: every name and schema the doctor predicts is what Codex sends; drops match', { timeout: 120_000 }, async () => {
    // filt: the filters apply before Codex names the tools (search.docs disabled: search_docs keeps its name).
    const filtFile = join(dir, 'filt.json');
    writeFileSync(filtFile, JSON.stringify(['search.docs', 'search_docs', 'get.page', 'get_page'].map((name) => ({ name, inputSchema: { type: 'object' } }))));
    const filt = stdioTable('filt', filtFile, 'disabled_tools = ["search.docs"]\nenabled_tools = ["search.docs", "search_docs", "get.page", "get_page"]');
    const config = stdioTable('awkward', AWKWARD) + stdioTable('my-server', item4File) + `[mcp_servers.web]\nurl = ${JSON.stringify(httpUrl)}\n` + filt;
    const turn = await runCodexTurn(config, {
      waitFor: ['mcp__awkward', 'mcp__my_server', 'mcp__web', 'mcp__filt'],
      call: (tools) => {
        const t = tools.find((x) => x.namespace === 'mcp__web' && x.name === 'string_schema');
        return t && { namespace: t.namespace, name: t.name, arguments: { value: 'a bare string is not an object' } };
      },
    });
    assert.equal(turn.exitCode, 0, turn.stderr);
    const cfg = join(dir, 'config.toml');
    writeFileSync(cfg, config);
    const { report } = await checkJson(['--config', cfg], { timeoutMs: 60_000 });
    const byName = Object.fromEntries(report.servers.map((s: any) => [s.name, s]));

    for (const name of ['awkward', 'my-server', 'web', 'filt']) compare(byName[name], turn);
    assert.ok(turn.namespaces.mcp__filt!.some((t) => t.name === 'search_docs'), 'no suffix once search.docs is filtered out');
    assert.equal(byName['my-server'].tools.model[0].namespace, 'mcp__my_server', 'a dash in the server name becomes _');
    assert.equal(byName.web.transport, 'streamable_http');

    // The recording the unit tests use is still what this Codex sends.
    assert.equal(turn.version, RECORDED.codexVersion, 'recorded with another Codex version: re-record fixtures/model-view/codex-0.171.0-sent.json');
    assert.deepEqual(canon(turn.namespaces.mcp__awkward!.map(({ namespace: _, ...t }) => t)), canon(RECORDED.sent));
    assert.deepEqual(turn.skipped.filter((s) => s.qualified.startsWith('mcp__awkward')).map((s) => s.qualified).sort(), RECORDED.skipped.map((s: any) => s.qualified).sort());

    // Only name, description and parameters reach the model: no title, annotations or outputSchema.
    const raw = turn.requests.filter((r) => r.path.endsWith('/responses'))[turn.offeredAt]!.body.tools.find((t: any) => t.name === 'mcp__web');
    for (const fn of raw.tools) assert.deepEqual(Object.keys(fn).sort(), ['description', 'name', 'parameters', 'strict', 'type'], JSON.stringify(fn));
    assert.equal(raw.tools.find((fn: any) => fn.name === 'echo').description, 'Echo');

    // Item 4 end to end: Codex offers the string-schema tool, runs a call to it, and the result reaches the model.
    assert.deepEqual(turn.namespaces.mcp__web!.find((t) => t.name === 'string_schema')!.parameters, { type: 'string', properties: {} });
    assert.match(JSON.stringify(turn.callOutput?.output), /called string_schema with \{\\"value\\":\\"a bare string is not an object\\"\}/);
  });

  it('item 4: Codex starts the server and lists the tool, so the doctor says warn (not fail), naming the documented rule and its source; a tool list Codex cannot read fails for both', { timeout: 120_000 }, async () => {
    // startup_timeout_sec: Codex waits that long for a tools/list answer it could not parse.
    const unreadable = Object.keys(UNREADABLE).map((name) => stdioTable(name, join(dir, `${name}.json`), 'startup_timeout_sec = 8')).join('');
    const config =
      stdioTable('item4', item4File) +
      `[mcp_servers.web]\nurl = ${JSON.stringify(httpUrl)}\n` +
      unreadable +
      `[mcp_servers.web_deep_125]\nurl = ${JSON.stringify(httpDeepUrl)}\nstartup_timeout_sec = 8\n` +
      stdioTable('deep_124', DEEP_OK) +
      `[mcp_servers.web_deep_124]\nurl = ${JSON.stringify(httpDeepOkUrl)}\n`;
    const codex = await askCodex(config);
    const cfg = join(dir, 'item4.toml');
    writeFileSync(cfg, config);
    const { report, code } = await checkJson(['--config', cfg], { timeoutMs: 60_000 });
    assert.equal(code, 1, 'the unreadable tool lists fail');
    // The class boundary: a schema Codex cannot deserialize fails the server for Codex and for the doctor.
    for (const name of Object.keys(UNREADABLE).filter((n) => n.startsWith('schema_'))) {
      assert.equal(codex.servers[name]?.connected, false, name);
      assert.match(codex.servers[name]!.error!, /MCP startup failed: Unexpected response type/);
      const s = report.servers.find((x: any) => x.name === name);
      assert.equal(s.status, 'fail', name);
      assert.equal(s.findings.find((x: any) => x.code === 'tools.invalid-schema')?.severity, 'error', name);
    }
    // A schema nested too deep for Codex's JSON parser: the answer is dropped, Codex times out (stdio and HTTP).
    for (const [name, codexSays] of [
      ['deep_125', /MCP startup failed: timed out awaiting tools\/list/],
      ['web_deep_125', /MCP startup failed: Transport send error: .* Deserialize error: recursion limit exceeded/],
    ] as const) {
      assert.equal(codex.servers[name]?.connected, false, name);
      assert.match(codex.servers[name]!.error!, codexSays, name);
      const s = report.servers.find((x: any) => x.name === name);
      assert.equal(s.status, 'fail', name);
      // Named by the tools stage (tools.list-failed) or, over HTTP, already by the wire reader
      // (wire.codex-unreadable): either way an error that says how deep the answer nests.
      const depth = s.findings.find((x: any) => ['tools.list-failed', 'wire.codex-unreadable'].includes(x.code) && /nested \d+ levels/.test(x.message));
      assert.equal(depth?.severity, 'error', `${name}: ${s.findings.map((x: any) => x.code).join(', ')}`);
    }
    for (const name of ['deep_124', 'web_deep_124']) {
      assert.equal(codex.servers[name]?.connected, true, codex.servers[name]?.error);
      assert.notEqual(report.servers.find((x: any) => x.name === name).status, 'fail', name);
    }
    for (const name of ['item4', 'web']) {
      assert.equal(codex.servers[name]?.connected, true, codex.servers[name]?.error);
      assert.ok(codex.servers[name]!.tools!.includes('string_schema'), codex.servers[name]!.tools!.join(' '));
      const s = report.servers.find((x: any) => x.name === name);
      assert.equal(s.status, 'warn');
      const f = s.findings.find((x: any) => x.code === 'tools.model-rejects');
      assert.equal(f?.severity, 'warning');
      assert.match(f.message, /`string_schema` .* its parameters are not an object schema \("type": "string"\)/);
      assert.ok(f.evidence.sources.some((src: string) => /https:\/\/platform\.openai\.com\/docs\/api-reference/.test(src)), JSON.stringify(f.evidence.sources));
      assert.ok(!s.findings.some((x: any) => x.severity === 'error'), JSON.stringify(s.findings.map((x: any) => x.code)));
    }
  });

  it("item 4: the doctor's fix (disabled_tools) is accepted by Codex: the tool is no longer sent, the rest is, the doctor says ok", { timeout: 120_000 }, async () => {
    const base = stdioTable('item4', item4File);
    const cfg = join(dir, 'fix.toml');
    writeFileSync(cfg, base);
    const { report } = await checkJson(['--config', cfg], { timeoutMs: 60_000 });
    const fix = report.servers[0].findings.find((x: any) => x.code === 'tools.model-rejects').fix;
    const disabled = (parse(fix.toml) as any).mcp_servers.item4.disabled_tools;
    assert.deepEqual(disabled, ['string_schema']);
    const fixed = stdioTable('item4', item4File, `disabled_tools = ${JSON.stringify(disabled)}`);
    writeFileSync(cfg, fixed);
    const after = await checkJson(['--config', cfg], { timeoutMs: 60_000 });
    assert.equal(after.report.servers[0].status, 'ok', JSON.stringify(after.report.servers[0].findings));
    const turn = await runCodexTurn(fixed, { waitFor: ['mcp__item4'] });
    assert.equal(turn.exitCode, 0, turn.stderr);
    assert.deepEqual(turn.namespaces.mcp__item4!.map((t) => t.name), ['echo']);
    compare(after.report.servers[0], turn);
  });
});

describe('model view: a server nobody here wrote (server-everything, pinned), stdio and Streamable HTTP', { skip }, () => {
  it('every tool: the name and parameters the doctor reports are what Codex sends', { timeout: 150_000 }, async () => {
    const web = await startEverything('streamableHttp');
    try {
      const config =
        `[mcp_servers.everything]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(EVERYTHING)}, "stdio"]\n` +
        `[mcp_servers.everything-http]\nurl = ${JSON.stringify(`${web.origin}/mcp`)}\n`;
      const turn = await runCodexTurn(config, { waitFor: ['mcp__everything', 'mcp__everything_http'] });
      assert.equal(turn.waited, true, Object.keys(turn.namespaces).join(' '));
      const cfg = join(dir, 'everything.toml');
      writeFileSync(cfg, config);
      const { report } = await checkJson(['--config', cfg], { timeoutMs: 60_000 });
      for (const s of report.servers) {
        assert.ok(s.tools?.model?.length > 0, `${s.name}: ${JSON.stringify(s.findings.map((f: any) => f.code))}`);
        compare(s, turn);
      }
    } finally {
      await web.close();
    }
  });
});

describe('model view: sizes (the "huge schema" class)', { skip }, () => {
  it('300 tools and a 100 000-character description: all sent, the description whole; the doctor says how much goes with every request', { timeout: 150_000 }, async () => {
    const tools: unknown[] = [{ name: 'longdesc', description: 'x'.repeat(100_000), inputSchema: { type: 'object' } }];
    for (let i = 0; i < 300; i++) tools.push({ name: `t${i}`, inputSchema: { type: 'object', properties: { a: { type: 'string', description: 'y'.repeat(200) } } } });
    const file = join(dir, 'many.json');
    writeFileSync(file, JSON.stringify(tools));
    const config = stdioTable('many', file);
    const turn = await runCodexTurn(config, { waitFor: ['mcp__many'] });
    assert.equal(turn.waited, true);
    const sent = turn.namespaces.mcp__many!;
    assert.equal(sent.length, 301);
    assert.equal(sent.find((t) => t.name === 'longdesc')!.description, 'x'.repeat(100_000));
    const cfg = join(dir, 'many.toml');
    writeFileSync(cfg, config);
    const { report } = await checkJson(['--config', cfg], { timeoutMs: 60_000 });
    compare(report.servers[0], turn);
    const long = report.servers[0].tools.model.find((t: any) => t.name === 'longdesc');
    assert.equal(long.descriptionBytes, 100_000);
    assert.ok(long.notes.some((n: string) => /description is 98 KB, sent whole/.test(n)), long.notes.join(' | '));
  });
});
