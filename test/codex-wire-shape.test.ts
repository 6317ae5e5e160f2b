// Unit tests of what Codex's reader refuses (src/transports/codex-wire.ts, codex-shape.ts) and of the
// stdout line bound (src/transports/stdio/stdout-lines.ts). The Codex verdicts behind each rule
// are measured by test/fuzz/codex-fuzz.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JSON_MAX_DEPTH, STDIO_MAX_LINE_BYTES } from '../src/limits.ts';
import { createRedactor } from '../src/redact.ts';
import { catalogLimitFinding, cursorTypeProblem, initializeShapeProblems, shapeFinding, toolsShapeProblems } from '../src/stages/codex-shape.ts';
import { duplicateKeys, wireProblems } from '../src/transports/codex-wire.ts';
import { StdoutLineReader } from '../src/transports/stdio/stdout-lines.ts';

const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

test('nesting: the deepest level Codex reads is the limit, one more is refused (the message object counts)', () => {
  assert.deepEqual(wireProblems(`{"a":${nested(JSON_MAX_DEPTH - 1)}}`), []);
  const [p] = wireProblems(`{"a":${nested(JSON_MAX_DEPTH)}}`);
  assert.equal(p?.kind, 'too-deep');
  // Brackets inside strings do not count.
  assert.deepEqual(wireProblems(`{"a":"${'['.repeat(500)}"}`), []);
});

test('surrogates: lone high or low escapes are refused, pairs are not', () => {
  assert.equal(wireProblems('{"a":"\\ud800"}')[0]?.codexSays, 'unexpected end of hex escape');
  assert.equal(wireProblems('{"a":"\\ud800\\u0041"}')[0]?.kind, 'lone-surrogate');
  assert.equal(wireProblems('{"a":"\\udc00"}')[0]?.codexSays, 'lone leading surrogate in hex escape');
  assert.deepEqual(wireProblems('{"a":"\\ud83d\\ude00 \\\\ud800"}'), []);
  assert.equal(wireProblems('{"a":1}', { invalidUtf8: true })[0]?.kind, 'invalid-utf8');
});

test('duplicate keys: refused in typed structs, read in free-form objects', () => {
  assert.deepEqual(duplicateKeys('{"result":{"a":{"x":1,"x":2},"b":[{"y":1},{"y":2}]}}'), [{ path: 'result.a', key: 'x' }]);
  assert.equal(wireProblems('{"result":{"serverInfo":{"name":"a","name":"b"}}}')[0]?.kind, 'duplicate-field');
  assert.deepEqual(wireProblems('{"result":{"zz":1,"zz":2,"tools":[{"name":"a","inputSchema":{"properties":{"p":1,"p":2}}}]}}'), []);
});

test('initialize field types, as rmcp reads them (null is an absent Option)', () => {
  const base = { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'a', version: '1' } };
  assert.deepEqual(initializeShapeProblems(base), []);
  assert.deepEqual(initializeShapeProblems({ ...base, capabilities: { tools: { listChanged: null }, experimental: { x: {} } }, instructions: null }), []);
  // serde_json's arbitrary_precision: a fractional number reads as an object, an integer does not.
  assert.deepEqual(initializeShapeProblems({ ...base, capabilities: { tools: 2.5, experimental: { x: 0.5 } } }), []);
  assert.equal(initializeShapeProblems({ ...base, capabilities: { tools: 1 } })[0]?.path, 'capabilities.tools');
  const problems = initializeShapeProblems({ ...base, capabilities: { experimental: { x: [1] }, tools: { listChanged: 'yes' }, logging: true }, instructions: 3, serverInfo: { name: 'a', version: '1', title: 1, icons: [{ src: 1 }] } });
  assert.deepEqual(problems.map((p) => p.path).sort(), ['capabilities.experimental.x', 'capabilities.logging', 'capabilities.tools.listChanged', 'instructions', 'serverInfo.icons[0].src', 'serverInfo.title']);
  const f = shapeFinding(problems, 'initialize', 'srv', createRedactor([]), 'initialize')!;
  assert.equal(f.code, 'wire.type-refused');
  assert.match(f.message, /and 1 more/);
});

test('tools: field types, the catalog limit, nextCursor', () => {
  assert.deepEqual(toolsShapeProblems([{ name: 'a', inputSchema: { type: 'object' }, description: null, annotations: { readOnlyHint: true } }]), []);
  assert.deepEqual(toolsShapeProblems([{ name: 'a', description: 5, annotations: { readOnlyHint: 'true' }, outputSchema: 'x' }]).map((p) => p.path).sort(), ['tools[0].annotations.readOnlyHint', 'tools[0].description', 'tools[0].outputSchema']);
  assert.equal(catalogLimitFinding(2048, 's', 'tools'), undefined);
  assert.equal(catalogLimitFinding(2049, 's', 'tools')?.code, 'tools.catalog-limit');
  assert.equal(cursorTypeProblem({ nextCursor: null }), undefined);
  assert.match(cursorTypeProblem({ nextCursor: 5 })!, /nextCursor is a number/);
});

test('stdout lines: a line at the bound is cut off, counted and sampled, and reading goes on after its newline', () => {
  const reader = new StdoutLineReader();
  const block = Buffer.alloc(1024 * 1024, 0x61);
  const events = [];
  for (let i = 0; i < STDIO_MAX_LINE_BYTES / block.length; i++) events.push(...reader.push(block));
  events.push(...reader.push(Buffer.from('tail\n{"jsonrpc":"2.0","id":1,"result":{}}\n')));
  assert.equal(events.length, 2);
  assert.equal(events[0]!.kind === 'noise' && events[0]!.noise, 'oversized-line');
  assert.equal((events[0] as any).bytes, STDIO_MAX_LINE_BYTES + 4);
  assert.ok(events[0]!.raw.length <= 200);
  assert.equal(events[1]!.kind, 'message');
});

test('stdout lines: invalid UTF-8 is seen per line, also when a character is split across chunks', () => {
  const reader = new StdoutLineReader();
  const line = Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"a":"é"}}\n');
  const cut = line.indexOf(0xc3) + 1;
  const ok = [...reader.push(line.subarray(0, cut)), ...reader.push(line.subarray(cut))];
  assert.equal(ok[0]!.kind, 'message');
  const bad = Buffer.from(line);
  bad[cut - 1] = 0xff;
  const [event] = reader.push(bad);
  assert.equal(event!.kind === 'noise' && event!.noise, 'codex-unreadable');
});
