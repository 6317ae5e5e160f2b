import { FloatLiteral } from '../transports/codex-wire.ts';
import { makeFinding } from '../findings/make-finding.ts';
import { CODEX_MAX_CATALOG_ITEMS } from '../limits.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, StageName } from '../types.ts';

/**
 * The field types Codex 0.171.0 applies to an answer. Codex's rmcp (rust-sdk, git b11a40d)
 * deserialises the initialize result and each tool into typed structs (serde): a field of another
 * type makes the whole answer unreadable, where JavaScript clients and the doctor's own checks
 * accept it. Initialize: Codex then fails with "expect initialized result, but received:
 * Some(CustomResult(…))" (measured). Optional fields (`Option<T>`) accept null; unknown fields are
 * ignored. Each rule here is exercised by the differential fuzzer (test/fuzz/codex-fuzz.test.ts),
 * which compares the doctor's verdict with Codex's on mutated answers.
 */

type Rule = 'string' | 'bool' | 'object' | 'array' | 'objectOfObjects';

/** A path and what is wrong there: `capabilities.experimental.x: an array, not an object`. */
export interface ShapeProblem {
  path: string;
  expected: string;
  got: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof FloatLiteral) return 'a number';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const EXPECTED: Record<Rule, string> = {
  string: 'a string',
  bool: 'a boolean',
  object: 'an object',
  array: 'an array',
  objectOfObjects: 'an object whose values are objects',
};

/**
 * Where rmcp expects an object whose fields are all optional (a capability struct, a JsonObject),
 * Codex also takes a number with a fraction or an exponent: serde_json's `arbitrary_precision`
 * carries such a number as a one-field map, which the struct ignores (measured: `capabilities:
 * 2.5`, `capabilities.tools: 2.5`, `experimental.x: 2.5` connect; `1`, `-1`, strings, booleans,
 * arrays and null do not). JSON.parse turns `1.0` and `1e300` into integers: callers pass values
 * read again from the answer's text (codex-wire.ts `withSourceForms`), where such literals are
 * FloatLiterals.
 */
export function codexReadsAsObject(v: unknown): boolean {
  return isObject(v) || v instanceof FloatLiteral || (typeof v === 'number' && !Number.isInteger(v));
}

function fits(rule: Rule, v: unknown): boolean {
  switch (rule) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'object':
      return codexReadsAsObject(v);
    case 'array':
      return Array.isArray(v);
    case 'objectOfObjects':
      return codexReadsAsObject(v) && (!isObject(v) || Object.values(v).every(codexReadsAsObject));
  }
}

/** Optional fields: absent or null is fine (serde's Option), anything else must fit. */
function optional(out: ShapeProblem[], obj: Record<string, unknown>, path: string, fields: Record<string, Rule>): void {
  for (const [key, rule] of Object.entries(fields)) {
    if (!(key in obj) || obj[key] === null) continue;
    const v = obj[key];
    if (fits(rule, v)) continue;
    if (rule === 'objectOfObjects' && isObject(v)) {
      const [k, bad] = Object.entries(v).find(([, x]) => !codexReadsAsObject(x))!;
      out.push({ path: `${path}${key}.${k}`, expected: 'an object', got: typeName(bad) });
    } else out.push({ path: `${path}${key}`, expected: EXPECTED[rule], got: typeName(v) });
  }
}

function flags(out: ShapeProblem[], obj: Record<string, unknown>, path: string, names: string[]): void {
  optional(out, obj, path, Object.fromEntries(names.map((n) => [n, 'bool' as Rule])));
}

/** rmcp's Icon: `src` a string; `mimeType`, `theme` strings; `sizes` an array (of strings). */
function icons(out: ShapeProblem[], v: unknown, path: string): void {
  if (!Array.isArray(v)) return;
  v.forEach((icon, i) => {
    if (!isObject(icon)) return void out.push({ path: `${path}[${i}]`, expected: 'an object', got: typeName(icon) });
    if (typeof icon.src !== 'string') out.push({ path: `${path}[${i}].src`, expected: 'a string', got: typeName(icon.src) });
    optional(out, icon, `${path}[${i}].`, { mimeType: 'string', sizes: 'array', theme: 'string' });
  });
}

/**
 * Problems with an InitializeResult that already has a string protocolVersion, an object
 * capabilities and serverInfo with string name and version (the doctor's own checks).
 */
export function initializeShapeProblems(result: Record<string, unknown>): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  optional(out, result, '', { instructions: 'string' });
  const caps = result.capabilities;
  if (isObject(caps)) {
    optional(out, caps, 'capabilities.', { experimental: 'objectOfObjects', logging: 'object', completions: 'object', prompts: 'object', resources: 'object', tools: 'object' });
    if (isObject(caps.prompts)) flags(out, caps.prompts, 'capabilities.prompts.', ['listChanged']);
    if (isObject(caps.resources)) flags(out, caps.resources, 'capabilities.resources.', ['subscribe', 'listChanged']);
    if (isObject(caps.tools)) flags(out, caps.tools, 'capabilities.tools.', ['listChanged']);
  }
  const info = result.serverInfo;
  if (isObject(info)) {
    optional(out, info, 'serverInfo.', { title: 'string', websiteUrl: 'string', icons: 'array' });
    icons(out, info.icons, 'serverInfo.icons');
  }
  return out;
}

/**
 * Problems in a tools/list page beyond what validate-tools already reports (a tool's name and
 * inputSchema): the other fields of rmcp's Tool, and the page's nextCursor.
 */
export function toolsShapeProblems(tools: unknown[]): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  tools.forEach((tool, i) => {
    if (!isObject(tool)) return;
    const at = `tools[${i}].`;
    optional(out, tool, at, { title: 'string', description: 'string', outputSchema: 'object', annotations: 'object', icons: 'array', _meta: 'object' });
    if (isObject(tool.annotations)) {
      optional(out, tool.annotations, `${at}annotations.`, { title: 'string' });
      flags(out, tool.annotations, `${at}annotations.`, ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']);
    }
    icons(out, tool.icons, `${at}icons`);
  });
  return out;
}

/** One finding for every problem of one answer (at most a few listed). */
export function shapeFinding(
  problems: ShapeProblem[],
  request: 'initialize' | 'tools/list',
  serverName: string,
  redact: Redactor,
  stage: StageName,
): Finding | undefined {
  if (problems.length === 0) return undefined;
  const shown = problems.slice(0, 5).map((p) => `${redact.text(p.path)} is ${p.got}, not ${p.expected}`);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  const codex =
    request === 'initialize'
      ? 'Codex fails the handshake ("expect initialized result, but received: Some(CustomResult(…))")'
      : 'Codex cannot read the tool list and fails to start the server';
  return makeFinding('wire.type-refused', {
    stage,
    message: `The answer of "${serverName}" to ${request} has fields of the wrong type for Codex: ${shown.join('; ')}${more}. ${codex}.`,
    evidence: { request, problems: problems.slice(0, 20).map((p) => ({ path: redact.text(p.path), expected: p.expected, got: p.got })), count: problems.length },
  });
}

/** More tools than Codex keeps from one server (all pages together). */
export function catalogLimitFinding(count: number, serverName: string, stage: StageName): Finding | undefined {
  if (count <= CODEX_MAX_CATALOG_ITEMS) return undefined;
  return makeFinding('tools.catalog-limit', {
    stage,
    message: `"${serverName}" lists ${count} tools; Codex accepts at most ${CODEX_MAX_CATALOG_ITEMS} from one server and fails to start it ("tools/list exceeded the catalog limit of ${CODEX_MAX_CATALOG_ITEMS} items").`,
    evidence: { tools: count, limit: CODEX_MAX_CATALOG_ITEMS },
  });
}

/** ListToolsResult.nextCursor is `Option<String>`: another type makes the page unreadable ("Unexpected response type", measured). */
export function cursorTypeProblem(result: Record<string, unknown>): string | undefined {
  const next = result.nextCursor;
  if (next === undefined || next === null || typeof next === 'string') return undefined;
  return `nextCursor is ${typeName(next)}, not a string (Codex cannot read the page: "Unexpected response type")`;
}
