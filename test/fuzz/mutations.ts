// Mutations of valid `initialize` and `tools/list` answers for the differential fuzzer: a fixed
// catalogue (named cases whose verdicts docs/codex-behaviour.md lists) and seeded random mutants.
// Each case is a WireSpec for fixtures/hostile/wire-stdio-server.mjs: the exact bytes served.

import { VALID_INIT_RESULT, VALID_TOOLS_RESULT, type WireAnswer, type WireSpec } from '../helpers/wire-spec.ts';
import { prng } from '../helpers/prng.ts';

export { prng };

export interface FuzzCase {
  /** TOML-safe server name. */
  name: string;
  /** What was changed, for reports and the docs table. */
  what: string;
  /** Mutation family (exceptions are keyed by it). */
  family: string;
  spec: WireSpec;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Target = 'initialize' | 'tools';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const envelope = (resultText: string, id = '__ID__') => `{"jsonrpc":"2.0","id":${id},"result":${resultText}}`;
const text = (t: string): WireAnswer => ({ text: t });
const bytes = (b: Buffer): WireAnswer => ({ b64: b.toString('base64') });

function spec(target: Target, answer: WireAnswer): WireSpec {
  const base: WireSpec = { initialize: text(envelope(JSON.stringify(VALID_INIT_RESULT))), tools: text(envelope(JSON.stringify(VALID_TOOLS_RESULT))) };
  return { ...base, [target]: answer };
}

function withResult(target: Target, result: Json): WireSpec {
  return spec(target, text(envelope(JSON.stringify(result))));
}

const init = () => clone(VALID_INIT_RESULT) as unknown as { [k: string]: any };
const tools = () => clone(VALID_TOOLS_RESULT) as unknown as { [k: string]: any };
const nest = (n: number, leaf: Json = 0): Json => {
  let v: Json = leaf;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
/** A string value in the text replaced by raw bytes (for invalid UTF-8). */
function withBytes(target: Target, result: Json, marker: string, raw: number[]): WireSpec {
  const t = Buffer.from(envelope(JSON.stringify(result)), 'utf8');
  const at = t.indexOf(marker);
  return spec(target, bytes(Buffer.concat([t.subarray(0, at), Buffer.from(raw), t.subarray(at + marker.length)])));
}
const replaceText = (target: Target, result: Json, from: string, to: string) => spec(target, text(envelope(JSON.stringify(result)).replace(from, to)));

/** The catalogue: one case per rule, named; docs/codex-behaviour.md's table lists Codex's verdict for each. */
export function catalogue(): FuzzCase[] {
  const c: FuzzCase[] = [];
  const add = (name: string, family: string, what: string, s: WireSpec) => c.push({ name: `cat_${name}`, family, what, spec: s });
  add('valid', 'valid', 'the valid answers', withResult('initialize', init()));
  let r = init();
  r.capabilities.experimental = { x: [1] };
  add('exp_array', 'type', 'initialize: `capabilities.experimental.x` is an array', withResult('initialize', r));
  r = init();
  r.capabilities.experimental = { x: {} };
  add('exp_object', 'type', 'initialize: `capabilities.experimental.x` is an object', withResult('initialize', r));
  r = init();
  r.capabilities.tools = { listChanged: 'yes' };
  add('listchanged_string', 'type', 'initialize: `capabilities.tools.listChanged` is a string', withResult('initialize', r));
  r = init();
  r.capabilities.tools = { listChanged: null };
  add('listchanged_null', 'null', 'initialize: `capabilities.tools.listChanged` is null', withResult('initialize', r));
  r = init();
  r.capabilities.logging = true;
  add('logging_bool', 'type', 'initialize: `capabilities.logging` is a boolean', withResult('initialize', r));
  r = init();
  r.capabilities.tools = [];
  add('tools_cap_array', 'type', 'initialize: `capabilities.tools` is an array', withResult('initialize', r));
  r = init();
  r.capabilities = 2.5;
  add('capabilities_float', 'type', 'initialize: `capabilities` is the number 2.5', withResult('initialize', r));
  // Fractions and exponents that JavaScript reads as integers: Codex reads them as it reads 2.5.
  r = init();
  r.capabilities = 'FLOAT';
  add('capabilities_1_0', 'type', 'initialize: `capabilities` is the literal `1.0`', replaceText('initialize', r, '"FLOAT"', '1.0'));
  add('capabilities_1e300', 'type', 'initialize: `capabilities` is the literal `1e300`', replaceText('initialize', r, '"FLOAT"', '1e300'));
  r = init();
  r.capabilities.tools = 'FLOAT';
  add('tools_cap_1e3', 'type', 'initialize: `capabilities.tools` is the literal `1E3`', replaceText('initialize', r, '"FLOAT"', '1E3'));
  r = init();
  r.capabilities.experimental = { x: 'FLOAT' };
  add('exp_1_0', 'type', 'initialize: `capabilities.experimental.x` is the literal `1.0`', replaceText('initialize', r, '"FLOAT"', '1.0'));
  r = init();
  r.capabilities = 1;
  add('capabilities_int', 'type', 'initialize: `capabilities` is the number 1', withResult('initialize', r));
  r = init();
  r.instructions = 42;
  add('instructions_number', 'type', 'initialize: `instructions` is a number', withResult('initialize', r));
  r = init();
  r.serverInfo.title = 7;
  add('title_number', 'type', 'initialize: `serverInfo.title` is a number', withResult('initialize', r));
  r = init();
  r.serverInfo.version = 1;
  add('version_number', 'type', 'initialize: `serverInfo.version` is a number', withResult('initialize', r));
  r = init();
  delete r.serverInfo.version;
  add('version_missing', 'missing', 'initialize: `serverInfo.version` is missing', withResult('initialize', r));
  r = init();
  r.zzUnknown = { a: [1, 2, { b: null }] };
  add('unknown_field', 'unknown', 'initialize: an unknown field', withResult('initialize', r));
  r = init();
  r.pad = nest(125);
  add('depth_127', 'depth', 'initialize: nested 127 levels deep (message included)', withResult('initialize', r));
  r = init();
  r.pad = nest(126);
  add('depth_128', 'depth', 'initialize: nested 128 levels deep', withResult('initialize', r));
  r = init();
  r.serverInfo.name = 'SURR';
  add('lone_high_surrogate', 'surrogate', 'initialize: a string holds `\\ud800` alone', replaceText('initialize', r, '"SURR"', '"\\ud800"'));
  add('lone_low_surrogate', 'surrogate', 'initialize: a string holds `\\udc00` alone', replaceText('initialize', r, '"SURR"', '"\\udc00"'));
  add('surrogate_pair', 'surrogate', 'initialize: a string holds a valid pair `\\ud83d\\ude00`', replaceText('initialize', r, '"SURR"', '"\\ud83d\\ude00"'));
  r = init();
  r.zz = 'BYTES';
  add('invalid_utf8', 'utf8', 'initialize: an unknown field holds the byte 0xFF', withBytes('initialize', r, 'BYTES', [0xff]));
  add('overlong_utf8', 'utf8', 'initialize: an unknown field holds an overlong encoding (C0 AF)', withBytes('initialize', r, 'BYTES', [0xc0, 0xaf]));
  add('valid_utf8', 'utf8', 'initialize: an unknown field holds valid UTF-8 (é)', withBytes('initialize', r, 'BYTES', [0xc3, 0xa9]));
  add('dup_known_key', 'duplicate', 'initialize: `protocolVersion` appears twice', replaceText('initialize', init(), '{"protocolVersion":"2025-06-18"', '{"protocolVersion":"2025-06-18","protocolVersion":"2025-06-18"'));
  add('dup_unknown_key', 'duplicate', 'initialize: an unknown field appears twice', replaceText('initialize', init(), '{"protocolVersion"', '{"zz":1,"zz":2,"protocolVersion"'));
  add('string_id', 'id', 'initialize: the id is the request id as a string ("0" for 0)', spec('initialize', text(envelope(JSON.stringify(init()), '__IDSTR__'))));
  add('batch', 'batch', 'initialize: the answer wrapped in a JSON array (batch)', spec('initialize', text(`[${envelope(JSON.stringify(init()))}]`)));
  let t = tools();
  t.tools[0].annotations = { readOnlyHint: 'true' };
  add('annotation_string', 'type', 'tools/list: `annotations.readOnlyHint` is a string', withResult('tools', t));
  t = tools();
  t.tools[0].description = 5;
  add('description_number', 'type', 'tools/list: a tool\'s `description` is a number', withResult('tools', t));
  t = tools();
  t.tools[0].outputSchema = 'x';
  add('output_schema_string', 'type', 'tools/list: `outputSchema` is a string', withResult('tools', t));
  t = tools();
  t.nextCursor = 5;
  add('cursor_number', 'type', 'tools/list: `nextCursor` is a number', withResult('tools', t));
  t = tools();
  t.tools = Array.from({ length: 2048 }, (_, i) => ({ name: `t${i}`, inputSchema: { type: 'object' } }));
  add('tools_2048', 'catalog', 'tools/list: 2048 tools', withResult('tools', t));
  t.tools.push({ name: 'one_more', inputSchema: { type: 'object' } });
  add('tools_2049', 'catalog', 'tools/list: 2049 tools', withResult('tools', t));
  t = tools();
  t.tools[0].inputSchema.properties.text = nest(120, {});
  add('tools_depth_127', 'depth', 'tools/list: an input schema nested to 127 levels', withResult('tools', t));
  t.tools[0].inputSchema.properties.text = nest(121, {});
  add('tools_depth_128', 'depth', 'tools/list: an input schema nested to 128 levels', withResult('tools', t));
  // The message itself (found by blind testing, measured with Codex 0.171.0).
  const initText = JSON.stringify(VALID_INIT_RESULT);
  add('dup_message_id', 'duplicate', 'initialize: the answer holds `"id"` twice', spec('initialize', text(`{"jsonrpc":"2.0","id":99,"id":__ID__,"result":${initText}}`)));
  add('dup_message_result', 'duplicate', 'initialize: the answer holds `"result"` twice', spec('initialize', text(`{"jsonrpc":"2.0","id":__ID__,"result":{"bogus":1},"result":${initText}}`)));
  add('bom_first_line', 'encoding', 'initialize: a byte order mark before the answer', spec('initialize', text(`\ufeff${envelope(initText)}`)));
  add('bom_later_line', 'encoding', 'tools/list: a byte order mark before the answer', spec('tools', text(`\ufeff${envelope(JSON.stringify(VALID_TOOLS_RESULT))}`)));
  add('ids_from_zero', 'id', 'answers carry the literal ids 0 (initialize) and 1 (tools/list), as Codex numbers them', {
    initialize: text(envelope(initText, '0')),
    tools: text(envelope(JSON.stringify(VALID_TOOLS_RESULT), '1')),
  });
  add('null_id_error', 'id', 'initialize: an error with `"id": null` comes before the answer', spec('initialize', text(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}\n${envelope(initText)}`)));
  t = tools();
  t.tools[0].name = '';
  add('tool_name_empty', 'value', 'tools/list: a tool whose name is the empty string', withResult('tools', t));
  return c;
}


type Path = (string | number)[];
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}
function getAt(v: any, p: Path): any {
  return p.reduce((o, k) => o?.[k], v);
}
function setAt(v: any, p: Path, x: Json): Json {
  if (p.length === 0) return x;
  getAt(v, p.slice(0, -1))[p[p.length - 1]!] = x;
  return v;
}

/** Seeded random mutants: one or two mutations each, of either answer. */
export function randomCases(seed: number, count: number): FuzzCase[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const values = (): Json => pick<() => Json>([() => null, () => true, () => 0, () => -1.5, () => 'x', () => '', () => [], () => ({}), () => [1, 'a'], () => ({ k: 1 })])();
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const target: Target = rnd() < 0.6 ? 'initialize' : 'tools';
    let result: Json = target === 'initialize' ? init() : tools();
    const notes: string[] = [];
    let family = '';
    let textEdit: ((t: string) => string) | undefined;
    let byteEdit: number[] | undefined;
    const rounds = rnd() < 0.7 ? 1 : 2;
    for (let m = 0; m < rounds; m++) {
      const all = paths(result).filter((p) => p.length > 0);
      const p = pick(all);
      const parent = getAt(result, p.slice(0, -1));
      const op = pick(['type', 'type', 'type', 'delete', 'null', 'unknown', 'depth', 'huge', 'surrogate', 'utf8', 'duplicate']);
      family ||= op;
      const where = p.join('.');
      switch (op) {
        case 'type': {
          const v = values();
          result = setAt(result, p, v);
          notes.push(`${where} = ${JSON.stringify(v)}`);
          break;
        }
        case 'null':
          result = setAt(result, p, null);
          notes.push(`${where} = null`);
          break;
        case 'delete':
          if (Array.isArray(parent)) parent.splice(p[p.length - 1] as number, 1);
          else delete parent[p[p.length - 1]!];
          notes.push(`delete ${where}`);
          break;
        case 'unknown': {
          const obj = getAt(result, p) && typeof getAt(result, p) === 'object' && !Array.isArray(getAt(result, p)) ? getAt(result, p) : parent;
          if (obj && typeof obj === 'object' && !Array.isArray(obj)) obj[`zz${i}`] = values();
          notes.push(`unknown field near ${where}`);
          break;
        }
        case 'depth': {
          const n = 110 + Math.floor(rnd() * 30);
          result = setAt(result, p, nest(n));
          notes.push(`${where} nested ${n} arrays`);
          break;
        }
        case 'huge': {
          const n = Math.floor(rnd() * 2_000_000);
          result = setAt(result, p, 'h'.repeat(n));
          notes.push(`${where} = string of ${n}`);
          break;
        }
        case 'surrogate': {
          result = setAt(result, p, 'SURR');
          const esc = pick(['\\ud800', '\\udbff', '\\udc00', '\\ud800\\u0041', '\\ud83d\\ude00']);
          textEdit = (t) => t.replace('"SURR"', `"${esc}"`);
          notes.push(`${where} = "${esc}"`);
          break;
        }
        case 'utf8': {
          result = setAt(result, p, 'BYTES');
          byteEdit = pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xc3, 0xa9], [0xf0, 0x9f, 0x98, 0x80]]);
          notes.push(`${where} = bytes ${byteEdit.map((b) => b.toString(16)).join(' ')}`);
          break;
        }
        case 'duplicate': {
          const key = typeof p[p.length - 1] === 'string' ? (p[p.length - 1] as string) : undefined;
          if (key && parent && typeof parent === 'object' && !Array.isArray(parent)) {
            const dupValue = JSON.stringify(parent[key]);
            textEdit = (t) => t.replace(`"${key}":`, `"${key}":${dupValue},"${key}":`);
            notes.push(`duplicate key ${where}`);
          }
          break;
        }
      }
    }
    let s: WireSpec;
    const t = envelope(JSON.stringify(result));
    if (byteEdit && t.includes('BYTES')) {
      const b = Buffer.from(t, 'utf8');
      const at = b.indexOf('BYTES');
      s = spec(target, bytes(Buffer.concat([b.subarray(0, at), Buffer.from(byteEdit), b.subarray(at + 5)])));
    } else s = spec(target, text(textEdit ? textEdit(t) : t));
    out.push({ name: `rnd_${seed}_${i}`, family, what: `${target}: ${notes.join('; ')}`, spec: s });
  }
  return out;
}
