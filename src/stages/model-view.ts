/**
 * What the model is finally sent for a server's tools: the name and the `parameters` schema Codex
 * puts in its Responses API request, the tools it leaves out, and what the model API documents it
 * refuses. Pure: from the tool list (and the names validate-tools.ts computes) to data.
 *
 * Measured with Codex 0.171.0 by the turn-level oracle (test/helpers/codex-turn-oracle.ts, tests
 * in test/model-view-oracle.test.ts; docs/model-view.md lists each rule with its evidence):
 *
 * - MCP tools go into one `namespace` entry per server, named `mcp__<server>` (server name with
 *   every character outside [A-Za-z0-9_] replaced by `_`); inside it each tool is a `function`
 *   with `strict: false`, `description` ("" when the tool has none), the sanitised name.
 * - `parameters`: `properties: {}` is added when missing or null; then the schema is rewritten
 *   into the subset Codex models (keywords `$ref`, `type`, `description`, `enum`, `items`,
 *   `minItems`, `properties`, `required`, `additionalProperties`, `anyOf`, `oneOf`, `allOf`,
 *   `$defs`, `definitions`; everything else, e.g. `format`, `minimum`, `pattern`, `default`,
 *   `title`, is dropped), `const` becomes a one-value `enum`, a boolean schema becomes
 *   `{"type":"string"}`, unknown `type` names are dropped, a missing `type` is inferred
 *   (properties/required/additionalProperties → object, items/prefixItems → array, enum/format →
 *   string, numeric bounds → number) except under `$ref`/`anyOf`/`oneOf`/`allOf`, and a schema
 *   with nothing to infer from becomes `{}`. Objects get `properties: {}`, arrays
 *   `items: {"type":"string"}`. A root `type` of `"string"` (or any other) is sent as it is.
 * - A tool is left out ("Skipping MCP tool …: failed to build tool spec") when its root type is
 *   the single type `null`, or a keyword has the wrong JSON shape (`properties` not a map,
 *   `required` not a list, a property schema that is neither an object nor a boolean).
 * - Of several tools with the same raw name, the first is kept.
 */
import { CALIBRATED_CODEX_VERSION } from '../codex/codex-version.ts';


export const MODEL_VIEW_CODEX_VERSION = CALIBRATED_CODEX_VERSION;

/** Where each documented limit comes from (docs/model-view.md quotes them). */
export const API_SOURCES = {
  functionName:
    'OpenAI API reference, function tools: name "Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64" (https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools)',
  parameters:
    'OpenAI API reference, function tools: parameters "described as a JSON Schema object" (https://platform.openai.com/docs/api-reference/responses/create#responses-create-tools); the API answers other roots with "Invalid schema for function \'…\': schema must be a JSON Schema of \'type: "object"\', got \'type: "string"\'" (reported in github.com/alibaba/spring-ai-alibaba/issues/4576)',
} as const;

export const MAX_FUNCTION_NAME = 64;
const FUNCTION_NAME = /^[a-zA-Z0-9_-]+$/;
/** Above this many bytes a schema is worth a note: it is sent with every request. */
export const LARGE_SCHEMA_BYTES = 32 * 1024;
/** Above this many bytes a description is worth a note (Codex sends it whole). */
export const LARGE_DESCRIPTION_BYTES = 8 * 1024;

export type ApiRule = 'parameters-not-object' | 'name-too-long' | 'name-characters';

export interface ApiRefusal {
  rule: ApiRule;
  /** One sentence, specific to the tool. */
  detail: string;
  source: string;
}

export interface ModelToolView {
  /** The raw tool name from tools/list. */
  name: string;
  /** The `mcp__<server>` namespace the tool is sent in. */
  namespace: string;
  /** The function name inside the namespace; absent when Codex leaves the tool out. */
  modelName?: string;
  /** The `parameters` Codex sends; absent when it leaves the tool out. */
  schema?: unknown;
  /** Why Codex leaves the tool out of what the model sees. */
  dropped?: string;
  /** What Codex changes (beyond adding an empty `properties`), in words. */
  notes: string[];
  /** What the model API documents it refuses in what Codex sends. */
  refusals: ApiRefusal[];
  /** Size of the `parameters` JSON Codex sends. */
  schemaBytes?: number;
  /** Size of the description Codex sends (whole: measured with a 100 000-character one). */
  descriptionBytes?: number;
}

export interface ModelView {
  namespace: string;
  codexVersion: string;
  tools: ModelToolView[];
}

export interface ModelViewInput {
  serverName: string;
  /** tools/list entries as the server sent them (all pages). */
  tools: unknown[];
  /** Raw names Codex keeps after enabled_tools / disabled_tools. */
  kept: string[];
  /** Raw name → the name inside the namespace (validate-tools.ts `codexToolNames`). */
  codexNames: Map<string, string>;
}

/** The model's view of one server's tools, in server order; filtered-out tools are not listed. */
export function modelView(input: ModelViewInput): ModelView {
  const namespace = codexNamespace(input.serverName);
  const kept = new Set(input.kept);
  const seen = new Set<string>();
  const out: ModelToolView[] = [];
  for (const tool of input.tools) {
    if (!isObject(tool) || typeof tool.name !== 'string' || tool.name === '' || !kept.has(tool.name)) continue;
    const name = tool.name;
    if (seen.has(name)) {
      out.push({ name, namespace, dropped: `another tool is also named "${name}": Codex keeps the first one only`, notes: [], refusals: [] });
      continue;
    }
    seen.add(name);
    const modelName = input.codexNames.get(name) ?? name;
    const params = codexParameters(tool.inputSchema);
    if (params.error !== undefined) {
      out.push({ name, namespace, dropped: `Codex cannot build a tool from its inputSchema (${params.error})`, notes: [], refusals: [] });
      continue;
    }
    const notes: string[] = [];
    if (modelName !== name) notes.push(`renamed to "${modelName}" (Codex keeps [A-Za-z0-9_], makes colliding names unique with a hash suffix and fits ${namespace}__<name> within 128 characters)`);
    notes.push(...params.changes);
    const schemaBytes = Buffer.byteLength(JSON.stringify(params.schema));
    if (schemaBytes > LARGE_SCHEMA_BYTES) notes.push(`its schema is ${Math.round(schemaBytes / 1024)} KB, sent with every request to the model (about ${Math.round(schemaBytes / 4 / 1000)}k tokens of context)`);
    const descriptionBytes = typeof tool.description === 'string' ? Buffer.byteLength(tool.description) : 0;
    if (descriptionBytes > LARGE_DESCRIPTION_BYTES) notes.push(`its description is ${Math.round(descriptionBytes / 1024)} KB, sent whole with every request to the model (Codex does not shorten it)`);
    out.push({ name, namespace, modelName, schema: params.schema, notes, refusals: apiRefusals(modelName, params.schema), schemaBytes, descriptionBytes });
  }
  return { namespace, codexVersion: MODEL_VIEW_CODEX_VERSION, tools: out };
}

/** `mcp__<server>`, the namespace Codex sends a server's tools in. */
export function codexNamespace(serverName: string): string {
  return `mcp__${serverName.replace(/[^A-Za-z0-9_]/gu, '_')}`;
}

/** What the model API documents it refuses in a function Codex sends. */
export function apiRefusals(modelName: string, schema: unknown): ApiRefusal[] {
  const out: ApiRefusal[] = [];
  if (!FUNCTION_NAME.test(modelName)) {
    out.push({ rule: 'name-characters', detail: `the function name "${modelName}" has characters outside [a-zA-Z0-9_-]`, source: API_SOURCES.functionName });
  }
  if (modelName.length > MAX_FUNCTION_NAME) {
    out.push({ rule: 'name-too-long', detail: `the function name Codex sends is ${modelName.length} characters, over the documented ${MAX_FUNCTION_NAME}`, source: API_SOURCES.functionName });
  }
  const type = isObject(schema) ? schema.type : undefined;
  if (type !== 'object') {
    const got = type === undefined ? 'no "type" at the root' : `"type": ${JSON.stringify(type)}`;
    out.push({ rule: 'parameters-not-object', detail: `its parameters are not an object schema (${got})`, source: API_SOURCES.parameters });
  }
  return out;
}

// ── the schema rewrite ──────────────────────────────────────────────────────────────────────────

const KNOWN_TYPES = new Set(['string', 'number', 'boolean', 'integer', 'object', 'array', 'null']);
const COMBINERS = ['anyOf', 'oneOf', 'allOf'] as const;
/** Output order as Codex serialises it (its schema struct's field order). */
const KEPT_KEYS = ['$ref', 'type', 'description', 'enum', 'items', 'minItems', 'properties', 'required', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', '$defs', 'definitions'];
const KEPT = new Set(KEPT_KEYS);
const NUMERIC = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];

class SchemaError extends Error {}

interface Rewrite {
  dropped: Set<string>;
  coerced: string[];
}

/**
 * The `parameters` Codex 0.171.0 sends for an `inputSchema`, or the error it skips the tool for.
 * `changes` says in words what differs from the server's schema (adding an empty root
 * `properties` is not listed: Codex does it for every tool without one).
 */
export function codexParameters(inputSchema: unknown): { schema?: unknown; error?: string; changes: string[] } {
  if (!isObject(inputSchema)) return { error: `inputSchema is ${describe(inputSchema)}, not an object`, changes: [] };
  const root: Record<string, unknown> = { ...inputSchema };
  if (root.properties === undefined || root.properties === null) root.properties = {};
  const rw: Rewrite = { dropped: new Set(), coerced: [] };
  let schema: Record<string, unknown>;
  try {
    schema = rewrite(root, rw, '') as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SchemaError) return { error: error.message, changes: [] };
    throw error;
  }
  if (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.length === 1 && schema.type[0] === 'null')) {
    return { error: 'tool input schema must not be a singleton null type', changes: [] };
  }
  const changes: string[] = [];
  if (inputSchema.type === undefined && schema.type === 'object') changes.push('Codex adds "type": "object" at the root');
  if (rw.dropped.size > 0) changes.push(`keywords Codex does not send are dropped: ${[...rw.dropped].sort().join(', ')}`);
  changes.push(...rw.coerced.slice(0, 5));
  if (rw.coerced.length > 5) changes.push(`… and ${rw.coerced.length - 5} more rewritten sub-schemas`);
  return { schema, changes };
}

/** Deeper than Codex reads a tools/list answer at all (tools-depth.ts); a bound on the recursion. */
const MAX_REWRITE_DEPTH = 400;

function rewrite(node: unknown, rw: Rewrite, path: string, depth = 0): unknown {
  const at = path === '' ? 'the root' : path;
  if (depth > MAX_REWRITE_DEPTH) throw new SchemaError(`nested more than ${MAX_REWRITE_DEPTH} levels deep`);
  if (typeof node === 'boolean') {
    rw.coerced.push(`${at}: the boolean schema ${node} is sent as {"type":"string"}`);
    return { type: 'string' };
  }
  if (!isObject(node)) throw new SchemaError(`${serdeKind(node)}, expected struct JsonSchema${path ? ` at ${path}` : ''}`);
  const map: Record<string, unknown> = { ...node };

  if ('const' in map) {
    map.enum = [map.const];
    delete map.const;
    rw.coerced.push(`${at}: "const" is sent as a one-value "enum"`);
  }
  if (map.properties !== undefined && map.properties !== null) {
    if (!isObject(map.properties)) throw new SchemaError(`${serdeKind(map.properties)}, expected a map${path ? ` at ${path}/properties` : ' at properties'}`);
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(map.properties)) props[k] = rewrite(v, rw, `${path}/properties/${k}`, depth + 1);
    map.properties = props;
  } else if (map.properties === null) {
    delete map.properties;
  }
  if (map.items !== undefined) map.items = rewrite(map.items, rw, `${path}/items`, depth + 1);
  if (map.additionalProperties !== undefined && typeof map.additionalProperties !== 'boolean') {
    map.additionalProperties = rewrite(map.additionalProperties, rw, `${path}/additionalProperties`, depth + 1);
  }
  for (const k of COMBINERS) {
    if (map[k] === undefined) continue;
    if (!Array.isArray(map[k])) throw new SchemaError(`${serdeKind(map[k])}, expected a sequence at ${path}/${k}`);
    map[k] = (map[k] as unknown[]).map((v, i) => rewrite(v, rw, `${path}/${k}/${i}`, depth + 1));
  }
  for (const k of ['$defs', 'definitions']) {
    if (!isObject(map[k])) continue;
    const defs: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(map[k] as Record<string, unknown>)) defs[name] = rewrite(v, rw, `${path}/${k}/${name}`, depth + 1);
    map[k] = defs;
  }
  if (map.required !== undefined && !Array.isArray(map.required)) throw new SchemaError(`${serdeKind(map.required)}, expected a sequence at ${path}/required`);
  if (map.enum !== undefined && !Array.isArray(map.enum)) throw new SchemaError(`${serdeKind(map.enum)}, expected a sequence at ${path}/enum`);
  if (map.description !== undefined && typeof map.description !== 'string') throw new SchemaError(`${serdeKind(map.description)}, expected a string at ${path}/description`);

  let types = typeNames(map.type);
  if (map.type !== undefined && types.length === 0) rw.coerced.push(`${at}: "type": ${JSON.stringify(map.type)} is not a JSON Schema type and is dropped`);
  if (types.length === 0) {
    const combined = typeof map.$ref === 'string' || COMBINERS.some((k) => map[k] !== undefined);
    if (!combined) {
      if ('properties' in map || 'required' in map || 'additionalProperties' in map) types = ['object'];
      else if ('items' in map || 'prefixItems' in map) types = ['array'];
      else if ('enum' in map || 'format' in map) types = ['string'];
      else if (NUMERIC.some((k) => k in map)) types = ['number'];
      else {
        if (Object.keys(map).length > 0) rw.coerced.push(`${at}: no type can be inferred, so Codex sends {} (any value) instead of ${truncate(JSON.stringify(node), 80)}`);
        return {};
      }
      if (path !== '') rw.coerced.push(`${at}: Codex adds "type": "${types[0]}"`);
    }
  }
  if (types.length === 1) map.type = types[0];
  else if (types.length > 1) map.type = types;
  else delete map.type;
  if (types.includes('object') && map.properties === undefined) map.properties = {};
  if (types.includes('array') && map.items === undefined) map.items = { type: 'string' };

  const out: Record<string, unknown> = {};
  for (const k of KEPT_KEYS) if (map[k] !== undefined) out[k] = map[k];
  for (const k of Object.keys(map)) if (!KEPT.has(k)) rw.dropped.add(k);
  return out;
}

function typeNames(type: unknown): string[] {
  if (typeof type === 'string') return KNOWN_TYPES.has(type) ? [type] : [];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string' && KNOWN_TYPES.has(t));
  return [];
}

/** serde_json's way of naming a value in "invalid type: …" errors. */
function serdeKind(value: unknown): string {
  const what =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'sequence'
        : typeof value === 'string'
          ? `string ${JSON.stringify(value)}`
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? `integer \`${value}\``
              : `floating point \`${value}\``
            : typeof value === 'boolean'
              ? `boolean \`${value}\``
              : isObject(value)
                ? 'map'
                : typeof value;
  return `invalid type: ${what}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
