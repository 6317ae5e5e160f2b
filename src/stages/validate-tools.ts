import { createHash } from 'node:crypto';
import type { ServerConfig } from '../config/server-config.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import { deviationEvidence, sdkSentence, type Deviation } from '../transports/http/protocol-deviation.ts';
import type { Finding, StageName, ToolModelEntry, ToolsSummary } from '../types.ts';
import { modelFindings } from './model-findings.ts';
import { modelView, type ModelView } from './model-view.ts';
import { tooDeepFinding } from './tools-depth.ts';
import { clipName, listText } from '../findings/list-text.ts';
import { REPORT_SCHEMA_BYTES, REPORT_SCHEMAS_BYTES } from '../limits.ts';
import { catalogLimitFinding, shapeFinding, toolsShapeProblems } from './codex-shape.ts';

/**
 * Checks a server's tool list the way Codex consumes it, for every transport: names as the model
 * will see them, input schemas, and the `enabled_tools` / `disabled_tools` filters.
 */

/** What the model API accepts, and what contract §5 calls a valid tool name. */
const VALID_TOOL_NAME = /^[a-zA-Z0-9_-]+$/;
const MAX_TOOL_NAME_CHARS = 64;

// Codex 0.169.0 (codex-mcp `mcp_tool_names.rs`), confirmed by capturing the tools it sends to the
// model: each server's tools sit in a namespace `mcp__<server>__`; names are sanitized to
// [A-Za-z0-9_] (so '-' and '.' become '_'); names that then collide all get `_<sha1[..12]>`; and
// `mcp__<server>__<tool>` is kept within 128 bytes by truncating the tool part before the hash.
const CODEX_QUALIFIED_MAX = 128;
const CODEX_HASH_LEN = 12;

export interface ToolCheckInput {
  /** The `tools` array exactly as the server returned it (all pages). */
  tools: unknown[];
  server: Pick<ServerConfig, 'name' | 'enabledTools' | 'disabledTools'>;
  redact: Redactor;
  /** The stage the findings belong to (default `tools`). */
  stage?: StageName;
}

export interface ToolCheckResult {
  findings: Finding[];
  /** Raw names of the tools Codex keeps after `enabled_tools` / `disabled_tools`, in server order. */
  names: string[];
  /** The count after filters (what Codex offers the model). */
  count: number;
  /** Raw name → the name Codex shows the model inside its `mcp__<server>` namespace. */
  codexNames: Map<string, string>;
  /** Per kept tool, what the model is sent (name, parameters, dropped) and what the API refuses. */
  model: ModelView;
}

interface ToolEntry {
  index: number;
  name: string;
  schemaProblem?: string;
  /** True when only `type` is missing: Codex adds `type: "object"` itself. */
  schemaTolerated?: boolean;
}

export function checkTools(input: ToolCheckInput): ToolCheckResult {
  const { server, redact } = input;
  const stage = input.stage ?? 'tools';
  const findings: Finding[] = [];
  const entries: ToolEntry[] = [];
  const unnamed: number[] = [];

  // Past Codex's catalog limit Codex fails the server whatever the tools are: that is the finding
  // (and the per-tool checks of a list of any length would only cost time and memory).
  const overLimit = catalogLimitFinding(input.tools.length, server.name, stage);
  if (overLimit) return { findings: [overLimit], names: [], count: 0, codexNames: new Map(), model: modelView({ serverName: server.name, tools: [], kept: [], codexNames: new Map() }) };

  input.tools.forEach((tool, index) => {
    // An empty name is still a name to Codex 0.171.0 (it connects, measured): only a missing or
    // non-string one makes the list unreadable.
    if (!isObject(tool) || typeof tool.name !== 'string') {
      unnamed.push(index);
      return;
    }
    entries.push({ index, name: tool.name, ...schemaProblem(tool) });
  });
  // What Codex's typed reader refuses beyond name and schema (codex-shape.ts).
  const refused = shapeFinding(toolsShapeProblems(input.tools), 'tools/list', server.name, redact, stage);
  if (refused) findings.push(refused);

  const schemaFinding = invalidSchemaFinding(entries, unnamed, server.name, redact, stage);
  if (schemaFinding) findings.push(...schemaFinding);
  const deepFinding = tooDeepFinding(input.tools, server.name, redact, stage);
  if (deepFinding) findings.push(deepFinding);

  const allNames = unique(entries.map((e) => e.name));
  const kept = applyFilters(allNames, server);
  const codexNames = codexToolNames(server.name, kept);

  const nameFinding = invalidNameFinding(entries, kept, codexNames, server, redact, stage);
  if (nameFinding) findings.push(nameFinding);

  const filterFinding = unknownFilterFinding(allNames, server, redact, stage);
  if (filterFinding) findings.push(filterFinding);

  // What the model is finally sent; only meaningful when Codex can read the tool list at all.
  const model = modelView({ serverName: server.name, tools: input.tools, kept, codexNames });
  if (!deepFinding && !schemaFinding?.some((f) => f.severity === 'error')) findings.push(...modelFindings(model, server.name, redact, stage, { disabledTools: server.disabledTools, namesReported: new Set(kept.filter((n) => !isValidToolName(n))) }));

  if (kept.length === 0) {
    const filtered = allNames.length > 0;
    findings.push(
      makeFinding('tools.none', {
        stage,
        message: filtered
          ? `"${server.name}" lists ${allNames.length} tool${allNames.length === 1 ? '' : 's'}, but enabled_tools / disabled_tools remove all of them, so Codex offers none.`
          : `"${server.name}" lists no tools, so Codex offers none from it.`,
        evidence: filtered ? redact.value({ serverTools: allNames.slice(0, 50) }) : undefined,
      }),
    );
  }

  return { findings, names: kept, count: kept.length, codexNames, model };
}

/** Schemas above this size are left out of the report (their size is given): output stays bounded. */

/** The report's `tools` object for a checked list: count, names and what the model is sent, redacted. */
export function toolsSummary(checked: ToolCheckResult, redact: Redactor): ToolsSummary {
  // Schemas are shown up to REPORT_SCHEMA_BYTES each and REPORT_SCHEMAS_BYTES in all (2048 tools
  // with 8 KB schemas would be 16 MB of report); past that only their size is given.
  let shown = 0;
  const showSchema = (bytes: number | undefined) => {
    if ((bytes ?? 0) > REPORT_SCHEMA_BYTES || shown + (bytes ?? 0) > REPORT_SCHEMAS_BYTES) return false;
    shown += bytes ?? 0;
    return true;
  };
  const model: ToolModelEntry[] = checked.model.tools.map((t) => ({
    name: redact.text(clipName(t.name)),
    namespace: redact.text(clipName(t.namespace)),
    ...(t.modelName !== undefined ? { modelName: redact.text(clipName(t.modelName)) } : {}),
    ...(t.schema !== undefined && showSchema(t.schemaBytes) ? { schema: redact.value(t.schema) } : {}),
    ...(t.schemaBytes !== undefined ? { schemaBytes: t.schemaBytes } : {}),
    ...(t.descriptionBytes !== undefined ? { descriptionBytes: t.descriptionBytes } : {}),
    ...(t.dropped !== undefined ? { dropped: redact.text(t.dropped) } : {}),
    notes: t.notes.map((n) => redact.text(n)),
    ...(t.refusals.length > 0 ? { refusals: t.refusals.map((r) => ({ rule: r.rule, detail: redact.text(r.detail) })) } : {}),
  }));
  return { count: checked.count, names: checked.names.map((n) => redact.text(clipName(n))), model };
}

/** `enabled_tools` first (exact names; `[]` keeps nothing), then `disabled_tools`, as Codex does. */
export function applyFilters(names: string[], server: Pick<ServerConfig, 'enabledTools' | 'disabledTools'>): string[] {
  let kept = names;
  if (server.enabledTools !== undefined) {
    const allowed = new Set(server.enabledTools);
    kept = kept.filter((n) => allowed.has(n));
  }
  if (server.disabledTools !== undefined) {
    const denied = new Set(server.disabledTools);
    kept = kept.filter((n) => !denied.has(n));
  }
  return kept;
}

/**
 * The names Codex 0.169.0 gives a server's tools inside the `mcp__<server>` namespace. Duplicate
 * raw names are dropped by Codex (it keeps the first), so they map to one entry here.
 */
export function codexToolNames(serverName: string, rawNames: string[]): Map<string, string> {
  const namespace = `mcp__${sanitize(serverName)}__`;
  const candidates = unique(rawNames).map((raw) => ({
    raw,
    identity: `${serverName}\0${serverName}\0\0${raw}\0${raw}`,
    callable: sanitize(raw),
  }));

  const byCallable = new Map<string, number>();
  for (const c of candidates) byCallable.set(c.callable, (byCallable.get(c.callable) ?? 0) + 1);
  for (const c of candidates) {
    if ((byCallable.get(c.callable) ?? 0) > 1) c.callable = `${c.callable}${hashSuffix(c.identity)}`;
  }

  // Codex assigns the final names in identity order, so a later clash is resolved the same way.
  const ordered = [...candidates].sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const c of ordered) {
    let name = c.callable;
    if (!(namespace.length + name.length <= CODEX_QUALIFIED_MAX && !used.has(namespace + name))) {
      for (let attempt = 0; ; attempt++) {
        const suffix = hashSuffix(attempt === 0 ? c.identity : `${c.identity}\0${attempt}`);
        const room = Math.max(0, CODEX_QUALIFIED_MAX - namespace.length - suffix.length);
        name = `${c.callable.slice(0, room)}${suffix}`;
        if (!used.has(namespace + name)) break;
      }
    }
    used.add(namespace + name);
    out.set(c.raw, name);
  }
  return out;
}

/** The model-visible qualified form, e.g. `mcp__docs__search_docs`. */
export function codexQualifiedName(serverName: string, codexName: string): string {
  return `mcp__${sanitize(serverName)}__${codexName}`;
}

export function isValidToolName(name: string): boolean {
  return VALID_TOOL_NAME.test(name) && name.length <= MAX_TOOL_NAME_CHARS;
}

function sanitize(name: string): string {
  const out = name.replace(/[^A-Za-z0-9_]/g, '_');
  return out === '' ? '_' : out;
}

function hashSuffix(identity: string): string {
  return `_${createHash('sha1').update(identity).digest('hex').slice(0, CODEX_HASH_LEN)}`;
}

function schemaProblem(tool: Record<string, unknown>): Pick<ToolEntry, 'schemaProblem' | 'schemaTolerated'> {
  if (!('inputSchema' in tool) || tool.inputSchema === undefined) return { schemaProblem: 'no inputSchema' };
  const schema = tool.inputSchema;
  if (schema === null) return { schemaProblem: 'inputSchema is null' };
  if (!isObject(schema)) return { schemaProblem: `inputSchema is ${Array.isArray(schema) ? 'an array' : `a ${typeof schema}`}, not an object` };
  // A root without "type" but with other keywords: Codex sends it with "type": "object" added.
  if (!('type' in schema) && !('$ref' in schema) && !('anyOf' in schema) && !('oneOf' in schema) && !('allOf' in schema)) {
    return { schemaProblem: 'inputSchema has no "type" (must be "object")', schemaTolerated: true };
  }
  // Any other root (a "type" that is not "object", a $ref / anyOf root): Codex 0.171 lists the
  // tool and sends the schema on; what the model API makes of it is model-view.ts's to report.
  return {};
}

function invalidSchemaFinding(entries: ToolEntry[], unnamed: number[], serverName: string, redact: Redactor, stage: StageName): Finding[] {
  const bad = entries.filter((e) => e.schemaProblem);
  const findings: Finding[] = [];
  const breaking = bad.filter((e) => !e.schemaTolerated);
  const tolerated = bad.filter((e) => e.schemaTolerated);
  // A tool Codex cannot deserialize (no name, no inputSchema, an inputSchema that is not a JSON
  // object) fails the whole tools/list: measured with 0.169 and 0.171 ("Unexpected response type").
  // disabled_tools cannot help: the list is read before the filters apply.
  if (breaking.length > 0 || unnamed.length > 0) {
    const described = [
      ...breaking.map((e) => `\`${clipName(e.name)}\` (${e.schemaProblem})`),
      ...unnamed.map((i) => `tools[${i}] (no name)`),
    ];
    findings.push(
      makeFinding('tools.invalid-schema', {
        stage,
        message:
          `${described.length} tool${described.length === 1 ? '' : 's'} of "${serverName}" cannot be used: ${listText(described, (d) => d)}. ` +
          'Codex rejects the whole tools/list answer and fails to start the server ("MCP startup failed: Unexpected response type", measured with 0.169 and 0.171).',
        evidence: redact.value({
          tools: [
            ...breaking.map((e) => ({ index: e.index, name: e.name, problem: e.schemaProblem })),
            ...unnamed.map((index) => ({ index, problem: 'no name' })),
          ],
        }),
        fix: { summary: 'A server-side fix: every tool needs a name and an inputSchema that is a JSON object (with "type": "object"). Report it to the server maintainers.' },
      }),
    );
  }
  if (tolerated.length > 0) {
    findings.push(
      makeFinding('tools.invalid-schema', {
        stage,
        severity: 'warning',
        message:
          `${tolerated.length} tool${tolerated.length === 1 ? '' : 's'} of "${serverName}" ha${tolerated.length === 1 ? 's' : 've'} an inputSchema without "type": ${listText(tolerated, (e) => `\`${clipName(e.name)}\``)}. ` +
          'Codex adds "type": "object" itself, but the official MCP SDK client rejects the whole tool list.',
        evidence: redact.value({ tools: tolerated.map((e) => ({ index: e.index, name: e.name, problem: e.schemaProblem })) }),
        fix: { summary: 'A server-side fix: declare "type": "object" at the root of every inputSchema.' },
      }),
    );
  }
  return findings;
}

function invalidNameFinding(
  entries: ToolEntry[],
  kept: string[],
  codexNames: Map<string, string>,
  server: ToolCheckInput['server'],
  redact: Redactor,
  stage: StageName,
): Finding | undefined {
  const keptSet = new Set(kept);
  const invalid = unique(entries.map((e) => e.name)).filter((n) => keptSet.has(n) && !isValidToolName(n));
  if (invalid.length === 0) return undefined;
  const invalidSet = new Set(invalid);
  // Valid names can be renamed too, when an invalid one collides with them after sanitizing.
  const renamedValid = kept.filter((n) => !invalidSet.has(n) && codexNames.get(n) !== n);
  const describe = (n: string) => `\`${clipName(n)}\` → \`${clipName(codexNames.get(n) ?? n)}\``;
  const reasons = (n: string) => [
    ...(VALID_TOOL_NAME.test(n) ? [] : ['characters outside [a-zA-Z0-9_-]']),
    ...(n.length > MAX_TOOL_NAME_CHARS ? [`${n.length} characters (over ${MAX_TOOL_NAME_CHARS})`] : []),
  ];
  const renamed = invalid.filter((n) => codexNames.get(n) !== n);
  const keptLong = invalid.filter((n) => codexNames.get(n) === n);
  const parts: string[] = [];
  if (renamed.length > 0) {
    parts.push(`${renamed.length} tool name${renamed.length === 1 ? '' : 's'} of "${server.name}" ${renamed.length === 1 ? 'is' : 'are'} not valid for the model API, so Codex renames ${renamed.length === 1 ? 'it' : 'them'}: ${listText(renamed, describe)}.`);
  }
  if (renamedValid.length > 0) parts.push(`Because of the collision Codex also renames ${listText(renamedValid, describe)}.`);
  if (keptLong.length > 0) {
    parts.push(
      `${listText(keptLong, (n) => `\`${clipName(n)}\` (${n.length} characters)`)} ${keptLong.length === 1 ? 'is' : 'are'} longer than ${MAX_TOOL_NAME_CHARS} characters: Codex 0.169.0 and 0.171.0 keep ${keptLong.length === 1 ? 'it' : 'them'} (they allow 128 bytes including the mcp__${sanitize(server.name)}__ prefix) and send ${keptLong.length === 1 ? 'it' : 'them'} to the model as ${keptLong.length === 1 ? 'it is' : 'they are'}, but the model API documents at most ${MAX_TOOL_NAME_CHARS} characters for a function name, and older Codex versions and clients following SEP-986 allow ${MAX_TOOL_NAME_CHARS}.`,
    );
  }
  let message = parts.join(' ');
  if (renamed.length > 0) message += ' The model sees the new names, not the ones in the server\'s docs; older Codex versions fail with "Invalid \'tools[N].name\'".';
  const deviation: Deviation = { specLevel: 'SHOULD', sdkTolerates: true, sdk: 'it does not check tool names' };
  message += ` ${sdkSentence(deviation)}`;
  const disabled = unique([...(server.disabledTools ?? []), ...invalid]);
  return makeFinding('tools.invalid-name', {
    stage,
    message,
    evidence: redact.value({
      tools: [...invalid, ...renamedValid].map((n) => ({
        name: n,
        codexName: codexNames.get(n) ?? n,
        qualifiedName: codexQualifiedName(server.name, codexNames.get(n) ?? n),
        ...(invalidSet.has(n) ? { problems: reasons(n) } : { problems: ['collides with a renamed tool'] }),
      })),
      ...deviationEvidence(deviation),
    }),
    fix: {
      summary: 'Ask the server maintainers to use names matching ^[a-zA-Z0-9_-]{1,64}$. To hide these tools from Codex meanwhile, disable them.',
      toml: `${serverHeader(server.name)}\ndisabled_tools = ${tomlArray(disabled)}`,
    },
  });
}

function unknownFilterFinding(allNames: string[], server: ToolCheckInput['server'], redact: Redactor, stage: StageName): Finding | undefined {
  const known = new Set(allNames);
  const unknownEnabled = (server.enabledTools ?? []).filter((n) => !known.has(n));
  const unknownDisabled = (server.disabledTools ?? []).filter((n) => !known.has(n));
  if (unknownEnabled.length === 0 && unknownDisabled.length === 0) return undefined;
  const parts: string[] = [];
  if (unknownEnabled.length > 0) parts.push(`enabled_tools names ${list(unknownEnabled)}`);
  if (unknownDisabled.length > 0) parts.push(`disabled_tools names ${list(unknownDisabled)}`);
  const suggestions: Record<string, string> = {};
  for (const n of [...unknownEnabled, ...unknownDisabled]) {
    const close = closest(n, allNames);
    if (close) suggestions[n] = close;
  }
  const hint = Object.entries(suggestions).map(([n, c]) => `\`${n}\` → did you mean \`${c}\`?`);
  const lines: string[] = [];
  if (server.enabledTools !== undefined) {
    lines.push(`enabled_tools = ${tomlArray(unique(server.enabledTools.map((n) => suggestions[n] ?? n).filter((n) => known.has(n))))}`);
  }
  if (server.disabledTools !== undefined) {
    lines.push(`disabled_tools = ${tomlArray(unique(server.disabledTools.map((n) => suggestions[n] ?? n).filter((n) => known.has(n))))}`);
  }
  return makeFinding('tools.unknown-filter', {
    stage,
    message:
      `${parts.join('; ')}, which "${server.name}" does not list (names are exact, no wildcards), so ${unknownEnabled.length + unknownDisabled.length === 1 ? 'that entry has' : 'those entries have'} no effect.` +
      (hint.length > 0 ? ` ${hint.join(' ')}` : ''),
    evidence: redact.value({ unknownEnabled, unknownDisabled, serverTools: allNames.slice(0, 100) }),
    fix: {
      summary: hint.length > 0 ? 'Use the exact names the server lists (suggested corrections applied).' : 'Remove the names the server does not list.',
      toml: `${serverHeader(server.name)}\n${lines.join('\n')}`,
    },
  });
}

function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function list(names: string[]): string {
  return listText(names, (n) => `"${clipName(n)}"`);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function serverHeader(name: string): string {
  return `[mcp_servers.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
}

function tomlArray(values: string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}
