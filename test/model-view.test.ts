// The model view (src/stages/model-view.ts) against what Codex 0.171.0 was measured to send.
// fixtures/model-view/codex-0.171.0-sent.json is the namespace Codex sent for the server of
// fixtures/model-view/awkward-tools.json, captured by the turn oracle; model-view-oracle.test.ts
// checks the same predictions against a live Codex turn (and that this recording still matches).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'smol-toml';
import { createRedactor } from '../src/redact.ts';
import { apiRefusals, codexNamespace, codexParameters, MAX_FUNCTION_NAME } from '../src/stages/model-view.ts';
import { nestingDepth } from '../src/stages/tools-depth.ts';
import { checkTools, toolsSummary } from '../src/stages/validate-tools.ts';

const TOOLS: any[] = JSON.parse(readFileSync(new URL('../fixtures/model-view/awkward-tools.json', import.meta.url), 'utf8'));
const SENT = JSON.parse(readFileSync(new URL('../fixtures/model-view/codex-0.171.0-sent.json', import.meta.url), 'utf8'));
const redact = createRedactor([]);

/** Key order is not part of JSON's meaning. */
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as any)[k])]));
  return v;
}

function schemaOf(name: string): unknown {
  return TOOLS.find((t) => t.name === name)!.inputSchema;
}

describe('model view: predictions against Codex 0.171.0 as measured', () => {
  const checked = checkTools({ tools: TOOLS, server: { name: SENT.server }, redact });
  const view = checked.model;

  test('namespace, and every tool Codex sent: the same name and the same parameters', () => {
    assert.equal(view.namespace, SENT.namespace);
    const predicted = view.tools.filter((t) => t.dropped === undefined);
    assert.deepEqual(predicted.map((t) => t.modelName).sort(), SENT.sent.map((t: any) => t.name).sort());
    for (const t of predicted) {
      const sent = SENT.sent.find((s: any) => s.name === t.modelName);
      assert.deepEqual(canon(t.schema), canon(sent.parameters), `parameters of ${t.name}`);
    }
  });

  test('the tools Codex left out: the ones it logged as skipped, plus the second of two same-named tools', () => {
    const dropped = view.tools.filter((t) => t.dropped !== undefined);
    const logged = SENT.skipped.map((s: any) => s.qualified).sort();
    const predictedLogged = dropped.filter((t) => !/another tool is also named/.test(t.dropped!)).map((t) => `${view.namespace}${t.name}`).sort();
    assert.deepEqual(predictedLogged, logged);
    // Codex's reason text is the serde error; ours quotes it (with a JSON path added).
    for (const s of SENT.skipped) {
      const ours = dropped.find((t) => `${view.namespace}${t.name}` === s.qualified)!;
      const theirs = String(s.reason).replace(/^failed to build tool spec: /, '');
      assert.ok(ours.dropped!.includes(theirs), `${ours.dropped} should quote "${theirs}"`);
    }
    const dups = view.tools.filter((t) => t.name === 'dup');
    assert.equal(dups.length, 2);
    assert.equal(dups[0]!.dropped, undefined);
    assert.match(dups[1]!.dropped!, /keeps the first/);
    assert.deepEqual(canon(SENT.sent.find((s: any) => s.name === 'dup').parameters), canon(dups[0]!.schema), 'the first "dup" is the one sent');
  });

  test('item 4: {"type":"string"} is sent as it is (plus an empty properties), and the API documents it refuses that', () => {
    const t = view.tools.find((x) => x.name === 'string_schema')!;
    assert.deepEqual(t.schema, { type: 'string', properties: {} });
    assert.deepEqual(SENT.sent.find((s: any) => s.name === 'string_schema').parameters, { type: 'string', properties: {} });
    assert.deepEqual(t.refusals.map((r) => r.rule), ['parameters-not-object']);
    assert.match(t.refusals[0]!.source, /platform\.openai\.com\/docs\/api-reference/);
  });

  test('names: Codex keeps [A-Za-z0-9_] only, so the API name rule never fires; a sent name over 64 characters does', () => {
    for (const t of view.tools.filter((x) => x.modelName)) assert.ok(!apiRefusals(t.modelName!, { type: 'object' }).some((r) => r.rule === 'name-characters'), t.modelName);
    const long = view.tools.find((t) => t.name.startsWith('a_very_long'))!;
    assert.ok(long.modelName!.length > MAX_FUNCTION_NAME, long.modelName);
    assert.ok(long.refusals.some((r) => r.rule === 'name-too-long'), JSON.stringify(long.refusals));
    const sixtyFour = view.tools.find((t) => t.name.startsWith('exactly_sixty_four'))!;
    assert.equal(sixtyFour.name.length, 64);
    assert.equal(sixtyFour.modelName, sixtyFour.name, 'kept as it is by Codex');
    assert.deepEqual(sixtyFour.refusals, [], '64 characters is within the documented limit');
    const sixtyFive = view.tools.find((t) => t.name.startsWith('sixty_five'))!;
    assert.equal(sixtyFive.name.length, 65);
    assert.equal(sixtyFive.modelName, sixtyFive.name, 'kept as it is by Codex');
    assert.deepEqual(sixtyFive.refusals.map((r) => r.rule), ['name-too-long']);
  });

  test('findings: warnings (Codex starts the server), one per class, naming the tools', () => {
    assert.ok(!checked.findings.some((f) => f.severity === 'error'), JSON.stringify(checked.findings.filter((f) => f.severity === 'error')));
    const rejects = checked.findings.find((f) => f.code === 'tools.model-rejects')!;
    assert.equal(rejects.severity, 'warning');
    for (const name of ['string_schema', 'array_schema', 'anyof_top', 'ref_top']) assert.match(rejects.message, new RegExp(`\`${name}\``));
    assert.ok(!/`echo`/.test(rejects.message), rejects.message);
    assert.ok((rejects.evidence as any).sources.length >= 1, 'sources in the evidence');
    const toml = parse(rejects.fix!.toml!) as any;
    assert.ok(toml.mcp_servers.awkward.disabled_tools.includes('string_schema'), rejects.fix!.toml);
    const drops = checked.findings.find((f) => f.code === 'tools.codex-drops')!;
    assert.equal(drops.severity, 'warning');
    for (const name of ['null_schema', 'null_list', 'props_array', 'prop_not_schema', 'required_string', 'dup']) assert.match(drops.message, new RegExp(`\`${name}\``));
  });
});

describe('model view: the schema rewrite, rule by rule (each measured, see docs/model-view.md)', () => {
  test('properties is added to every root; a root type other than object is kept', () => {
    assert.deepEqual(codexParameters({ type: 'object' }).schema, { type: 'object', properties: {} });
    assert.deepEqual(codexParameters({ type: 'string' }).schema, { type: 'string', properties: {} });
    assert.deepEqual(codexParameters({ type: 'integer', properties: null }).schema, { type: 'integer', properties: {} });
    assert.deepEqual(codexParameters({ type: 'object' }).changes, [], 'adding an empty properties is not worth a note');
  });

  test('a root without type becomes an object, except under $ref / anyOf / oneOf / allOf', () => {
    assert.deepEqual(codexParameters({}).schema, { type: 'object', properties: {} });
    assert.deepEqual(codexParameters({ type: 'bogus' }).schema, { type: 'object', properties: {} });
    assert.equal((codexParameters(schemaOf('anyof_top')).schema as any).type, undefined);
    assert.equal((codexParameters(schemaOf('ref_top')).schema as any).type, undefined);
  });

  test('keywords outside the subset are dropped and named in the notes', () => {
    const r = codexParameters(schemaOf('keywords'));
    const note = r.changes.find((c) => c.startsWith('keywords Codex does not send'))!;
    for (const k of ['format', 'minimum', 'pattern', 'title', 'default', 'maxItems']) assert.ok(note.includes(k), `${k} in ${note}`);
    assert.ok(!note.includes('minItems'), 'minItems is kept');
  });

  test('unreadable shapes make Codex skip the tool, with the serde error', () => {
    assert.equal(codexParameters({ type: 'null' }).error, 'tool input schema must not be a singleton null type');
    assert.match(codexParameters({ type: 'object', properties: [] }).error!, /invalid type: sequence, expected a map/);
    assert.match(codexParameters({ type: 'object', required: 'a' }).error!, /invalid type: string "a", expected a sequence/);
    assert.match(codexParameters({ type: 'object', properties: { a: 1 } }).error!, /invalid type: integer `1`, expected struct JsonSchema/);
  });

  test('server names: the namespace keeps [A-Za-z0-9_]', () => {
    assert.equal(codexNamespace('my-server'), 'mcp__my_server');
    assert.equal(codexNamespace('@scope/pkg'), 'mcp___scope_pkg');
    assert.equal(codexNamespace('a.b'), 'mcp__a_b');
  });

  test('a huge schema: sent whole, noted with its size, left out of the report beyond 8 KB', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i++) properties[`field_${i}`] = { type: 'string', description: `the field number ${i}` };
    const checked = checkTools({ tools: [{ name: 'big', inputSchema: { type: 'object', properties } }], server: { name: 's' }, redact });
    const t = checked.model.tools[0]!;
    assert.ok(t.schemaBytes! > 32 * 1024, String(t.schemaBytes));
    assert.ok(t.notes.some((n) => /KB, sent with every request/.test(n)), t.notes.join(' | '));
    const summary = toolsSummary(checked, redact);
    assert.equal(summary.model![0]!.schema, undefined);
    assert.equal(summary.model![0]!.schemaBytes, t.schemaBytes);
  });

  test('the report entries are redacted', () => {
    const secret = 'sk-live-abcdefghijklmnop1234567890';
    const r = createRedactor([secret]);
    const checked = checkTools({ tools: [{ name: 'leaky', description: 'x', inputSchema: { type: 'string', description: `token ${secret}` } }], server: { name: 's' }, redact: r });
    const text = JSON.stringify(toolsSummary(checked, r)) + JSON.stringify(checked.findings);
    assert.ok(!text.includes(secret), 'the secret is redacted');
  });
});

describe('tools/list answers nested deeper than Codex reads (measured: 124 levels per tool read, 125 fail)', () => {
  function deepTool(levels: number): unknown {
    let chain: unknown = { type: 'string' };
    for (let i = 0; i < levels - 4; i++) chain = { type: 'array', items: chain };
    return { name: 'deep', inputSchema: { type: 'object', properties: { a: chain } } };
  }

  test('nestingDepth counts the tool object as level 1, without recursion', () => {
    assert.equal(nestingDepth(deepTool(124)), 124);
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    assert.equal(nestingDepth(v, 500), 500, 'capped, and no stack overflow');
  });

  test('124 levels: read; 125: tools.list-failed (an error), and no model findings on top', () => {
    const ok = checkTools({ tools: [deepTool(124)], server: { name: 's' }, redact });
    assert.equal(ok.findings.find((f) => f.code === 'tools.list-failed'), undefined);
    const deep = checkTools({ tools: [{ name: 'echo', inputSchema: { type: 'string' } }, deepTool(125)], server: { name: 's' }, redact });
    const f = deep.findings.find((x) => x.code === 'tools.list-failed')!;
    assert.equal(f.severity, 'error');
    assert.match(f.message, /`deep` of "s" is nested 125 levels deep/);
    assert.equal(deep.findings.find((x) => x.code === 'tools.model-rejects'), undefined, 'the server fails anyway');
  });

  test('a hostile depth does not crash the model view', () => {
    let schema: unknown = { type: 'string' };
    for (let i = 0; i < 20_000; i++) schema = { type: 'object', properties: { a: schema } };
    const r = checkTools({ tools: [{ name: 'abyss', inputSchema: schema }], server: { name: 's' }, redact });
    assert.equal(r.findings.find((x) => x.code === 'tools.list-failed')?.severity, 'error');
    assert.match(r.model.tools[0]!.dropped!, /nested more than 400 levels deep/);
  });
});
