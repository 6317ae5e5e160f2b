import { parse } from 'smol-toml';
import { fullPath, scanArray, scanToml, TomlScanError, type HeaderStatement, type KeyValueStatement, type ScannedToml } from './toml-scan.ts';
import { cloneToml, formatKey, formatKeyPath, formatValue, isTable, tomlEqual, UnwritableValue } from './toml-value.ts';

/**
 * A surgical editor for TOML config files. Only the characters of the statements it changes are
 * touched: every comment, blank line, key order, quoting style and line ending (CRLF stays CRLF)
 * of the rest of the file survives. After every step the text is re-parsed with smol-toml and
 * compared with the document the step should produce; any difference is a refusal, never a
 * best-effort write.
 *
 * What it will not do (and says so): edit inside inline tables (`mcp_servers = { x = { … } }`),
 * array-of-tables, or replace a key written as a table section (`[mcp_servers.x.env]`) or a
 * value whose lines carry comments.
 */

export interface TableEdit {
  /** Dotted path of the table the edit applies to: `['mcp_servers', 'github']`; `[]` is the top level. */
  table: string[];
  /** Keys deleted from the table, with their trailing comment; a key written as a sub-table loses its whole section. */
  remove?: string[];
  /** Keys renamed in place (`[from, to]`): the value stays exactly as written. */
  rename?: Array<[string, string]>;
  /** Keys set to these values: replaced in place when present, else inserted after the table's last key. */
  set?: Array<[string, unknown]>;
}

export type EditOutcome = { ok: true; text: string; changed: boolean } | { ok: false; reason: string };

class Refusal extends Error {}

/** As the config reader parses: Codex (i64) accepts integers beyond 2^53. */
const PARSE_OPTIONS = { integersAsBigInt: 'asNeeded' } as const;

type Op =
  | { kind: 'set'; table: string[]; key: string; value: unknown }
  | { kind: 'remove'; table: string[]; key: string }
  | { kind: 'rename'; table: string[]; key: string; to: string };

/**
 * Applies one table edit: removals first, then renames, then sets. A key both removed and set is
 * simply set (replaced where it stands).
 */
export function editToml(text: string, edit: TableEdit): EditOutcome {
  const set = edit.set ?? [];
  const ops: Op[] = [
    ...(edit.remove ?? []).filter((key) => !set.some(([k]) => k === key)).map((key): Op => ({ kind: 'remove', table: edit.table, key })),
    ...(edit.rename ?? []).map(([key, to]): Op => ({ kind: 'rename', table: edit.table, key, to })),
    ...set.map(([key, value]): Op => ({ kind: 'set', table: edit.table, key, value })),
  ];
  return runOps(text, ops);
}

export function setKey(text: string, table: string[], key: string, value: unknown): EditOutcome {
  return runOps(text, [{ kind: 'set', table, key, value }]);
}

export function deleteKey(text: string, table: string[], key: string): EditOutcome {
  return runOps(text, [{ kind: 'remove', table, key }]);
}

export function renameKey(text: string, table: string[], key: string, to: string): EditOutcome {
  return runOps(text, [{ kind: 'rename', table, key, to }]);
}

function runOps(text: string, ops: Op[]): EditOutcome {
  let expected: Record<string, unknown>;
  try {
    expected = parse(text, PARSE_OPTIONS) as Record<string, unknown>;
  } catch (error) {
    return { ok: false, reason: `the file does not parse as TOML (${firstLine(error)})` };
  }
  let current = text;
  try {
    for (const op of ops) {
      const before = expected;
      expected = cloneToml(before);
      applyToModel(expected, op);
      current = applyToText(current, op, before);
      verify(current, expected);
    }
  } catch (error) {
    if (error instanceof Refusal || error instanceof UnwritableValue || error instanceof TomlScanError) {
      return { ok: false, reason: error.message };
    }
    throw error;
  }
  return { ok: true, text: current, changed: current !== text };
}

function verify(text: string, expected: Record<string, unknown>): void {
  let actual: unknown;
  try {
    actual = parse(text, PARSE_OPTIONS);
  } catch (error) {
    throw new Refusal(`the edit would leave a file that does not parse (${firstLine(error)})`);
  }
  if (!tomlEqual(actual, expected)) throw new Refusal('the edited file would not hold exactly the intended change');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

// ── the expected document ───────────────────────────────────────────────────────────────────

function modelTable(doc: Record<string, unknown>, path: string[], create: boolean): Record<string, unknown> | undefined {
  let table = doc;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (!Object.hasOwn(table, segment)) {
      if (!create) return undefined;
      table[segment] = Object.create(null);
    }
    const next = table[segment];
    if (!isTable(next)) throw new Refusal(`\`${formatKeyPath(path.slice(0, i + 1))}\` is not a table`);
    table = next;
  }
  return table;
}

function applyToModel(doc: Record<string, unknown>, op: Op): void {
  if (op.kind === 'set') {
    modelTable(doc, op.table, true)![op.key] = cloneToml(op.value);
    return;
  }
  const table = modelTable(doc, op.table, false);
  if (!table || !Object.hasOwn(table, op.key)) return;
  if (op.kind === 'rename') {
    if (op.key === op.to) return;
    if (Object.hasOwn(table, op.to)) throw new Refusal(`cannot rename \`${op.key}\` to \`${op.to}\`: \`${op.to}\` is already set in [${formatKeyPath(op.table)}]`);
    table[op.to] = table[op.key];
  }
  delete table[op.key];
}

// ── the text ────────────────────────────────────────────────────────────────────────────────

function applyToText(text: string, op: Op, model: Record<string, unknown>): string {
  const scanned = scanToml(text);
  guardTable(scanned, op.table);
  switch (op.kind) {
    case 'set':
      return setInText(scanned, op.table, op.key, op.value, modelTable(model, op.table, false)?.[op.key]);
    case 'remove':
      return removeInText(scanned, op.table, op.key);
    case 'rename':
      return renameInText(scanned, op.table, op.key, op.to);
  }
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** Refuses tables that live inside a value (inline tables) or in an array of tables. */
function guardTable(scanned: ScannedToml, table: string[]): void {
  if (table.length === 0) return;
  for (const statement of scanned.statements) {
    const path = fullPath(statement);
    if (statement.kind === 'kv' && startsWith(table, path)) {
      const written = scanned.text.slice(statement.key[0]!.start, statement.key.at(-1)!.end);
      throw new Refusal(
        `[${formatKeyPath(table)}] is written inside the value of \`${written}\` at line ${statement.line} (an inline table); ` +
          `mcp-doctor only edits [table] sections and plain key = value lines, so edit it by hand or turn it into a [${formatKeyPath(table)}] section`,
      );
    }
    if (statement.kind === 'header' && statement.array && startsWith(table, path)) {
      throw new Refusal(`[${formatKeyPath(table)}] is part of an array of tables ([[${formatKeyPath(path)}]] at line ${statement.line}); edit it by hand`);
    }
  }
}

interface Occurrences {
  /** `key = value` exactly at table.key. */
  exact?: KeyValueStatement;
  /** Dotted keys below table.key (`key.sub = …`). */
  dotted: KeyValueStatement[];
  /** Sections of table.key and below (`[table.key]`, `[table.key.sub]`). */
  headers: HeaderStatement[];
}

function occurrences(scanned: ScannedToml, keyPath: string[]): Occurrences {
  const out: Occurrences = { dotted: [], headers: [] };
  for (const statement of scanned.statements) {
    const path = fullPath(statement);
    if (!startsWith(path, keyPath)) continue;
    if (statement.kind === 'header') out.headers.push(statement);
    else if (path.length === keyPath.length) out.exact = statement;
    else out.dotted.push(statement);
  }
  return out;
}

function setInText(scanned: ScannedToml, table: string[], key: string, value: unknown, old: unknown): string {
  const { text } = scanned;
  const found = occurrences(scanned, [...table, key]);
  if (found.exact) {
    const kv = found.exact;
    if (tomlEqual(old, value)) return text;
    const appended = Array.isArray(old) && Array.isArray(value) ? appendToArray(scanned, kv, old, value) : undefined;
    if (appended !== undefined) return appended;
    const oldText = text.slice(kv.valueStart, kv.valueEnd);
    // A comment can sit inside a value only when the value spans lines; replacing it would drop the comment.
    if (/[\r\n]/.test(oldText) && oldText.includes('#')) {
      throw new Refusal(`the current value of \`${key}\` (line ${kv.line}) has comments inside it; edit it by hand`);
    }
    const literal = oldText.startsWith("'") && !oldText.startsWith("'''");
    return text.slice(0, kv.valueStart) + formatValue(value, { literalStrings: literal }) + text.slice(kv.valueEnd);
  }
  const asTable = found.headers[0] ?? found.dotted[0];
  if (asTable) {
    throw new Refusal(`\`${key}\` is written as a table in [${formatKeyPath(table)}] (line ${asTable.line}); mcp-doctor does not rewrite table sections, so edit it by hand`);
  }
  return insertKey(scanned, table, key, value);
}

/**
 * `env_vars = ["A"]` → `["A", "B"]` appends after the last item, keeping the array's layout and
 * any comments in it. Returns undefined when `value` does not extend `old`.
 */
function appendToArray(scanned: ScannedToml, kv: KeyValueStatement, old: unknown[], value: unknown[]): string | undefined {
  const { text, eol } = scanned;
  if (value.length <= old.length || !old.every((item, i) => tomlEqual(item, value[i]))) return undefined;
  if (text[kv.valueStart] !== '[') return undefined;
  const layout = scanArray(text, kv.valueStart);
  const extra = value.slice(old.length).map((v) => formatValue(v));
  const multiline = /[\r\n]/.test(text.slice(kv.valueStart, kv.valueEnd));
  const last = layout.items.at(-1);
  if (!last) {
    if (multiline) return undefined;
    return text.slice(0, layout.close) + extra.join(', ') + text.slice(layout.close);
  }
  if (!multiline) {
    const at = layout.trailingComma ?? last.end;
    const insert = layout.trailingComma !== undefined ? ` ${extra.join(', ')},` : `, ${extra.join(', ')}`;
    return text.slice(0, at) + insert + text.slice(at);
  }
  // One item per line: copy the last item's indentation; new items go after its line (and its comment).
  const lineStart = text.lastIndexOf('\n', last.start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const afterItem = layout.trailingComma ?? last.end;
  const lineEnd = endOfLine(text, afterItem);
  if (lineEnd > layout.close) return undefined; // the closing bracket shares the line: no clean place to add one
  const trailing = layout.trailingComma !== undefined;
  const lines = extra.map((item, i) => `${eol}${indent}${item}${trailing || i < extra.length - 1 ? ',' : ''}`).join('');
  const withComma = trailing ? text : text.slice(0, last.end) + ',' + text.slice(last.end);
  const shift = trailing ? 0 : 1;
  return withComma.slice(0, lineEnd + shift) + lines + withComma.slice(lineEnd + shift);
}

/** Offset of the line ending (before `\r\n` / `\n`) at or after `from`. */
function endOfLine(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  if (nl === -1) return text.length;
  return text[nl - 1] === '\r' ? nl - 1 : nl;
}

function endsWithNewline(text: string): boolean {
  return text.endsWith('\n');
}

function insertKey(scanned: ScannedToml, table: string[], key: string, value: unknown): string {
  const { text, eol, statements } = scanned;
  const valueText = formatValue(value);
  const header = statements.find((s): s is HeaderStatement => s.kind === 'header' && !s.array && samePath(fullPath(s), table));
  const inSection = statements.filter((s): s is KeyValueStatement => s.kind === 'kv' && samePath(s.section, table));

  if (header || (table.length === 0 && inSection.length > 0)) {
    const last = inSection.at(-1);
    const line = `${last?.indent ?? ''}${formatKey(key)}${separatorLike(last)}${valueText}`;
    return insertLineAfter(text, last?.end ?? header!.end, line, eol);
  }

  // The table is defined by dotted keys from an enclosing section: `x.url = …` under [mcp_servers].
  const dotted = statements.filter(
    (s): s is KeyValueStatement => s.kind === 'kv' && s.section.length < table.length && startsWith(fullPath(s), table) && fullPath(s).length > table.length,
  );
  const lastDotted = dotted.at(-1);
  if (lastDotted) {
    const keyIndex = table.length - lastDotted.section.length;
    const prefix = text.slice(lastDotted.key[0]!.start, lastDotted.key[keyIndex]!.start);
    const line = `${lastDotted.indent}${prefix}${formatKey(key)}${separatorLike(lastDotted)}${valueText}`;
    return insertLineAfter(text, lastDotted.end, line, eol);
  }

  const line = `${formatKey(key)} = ${valueText}`;
  const block = table.length === 0 ? line : `[${formatKeyPath(table)}]${eol}${line}`;
  // Before the first sub-table section ([mcp_servers.x.env]) when there is one, else at the end.
  const firstSub =
    table.length === 0
      ? statements.find((s) => s.kind === 'header')
      : statements.find((s) => s.kind === 'header' && startsWith(fullPath(s), table));
  if (firstSub) {
    const at = aboveComments(text, firstSub.start);
    return text.slice(0, at) + block + eol + eol + text.slice(at);
  }
  if (text.trim() === '') return text + block + eol;
  let lead = '';
  if (!endsWithNewline(text)) lead += eol;
  if (!/\n[ \t]*\r?\n$/.test(lead === '' ? text : text + lead)) lead += eol;
  return text + lead + block + (endsWithNewline(text) ? eol : '');
}

function separatorLike(kv: KeyValueStatement | undefined): string {
  return kv && !/\s/.test(kv.separator) ? '=' : ' = ';
}

function insertLineAfter(text: string, offset: number, line: string, eol: string): string {
  // The statement may end the file without a newline; keep the file's ending as it was.
  if (offset === text.length && !endsWithNewline(text) && text.length > 0) return text + eol + line;
  return text.slice(0, offset) + line + eol + text.slice(offset);
}

/** Moves `offset` (a line start) up over the comment lines directly above it. */
function aboveComments(text: string, offset: number): number {
  let at = offset;
  while (at > 0) {
    const prevStart = text.lastIndexOf('\n', at - 2) + 1;
    if (!/^[ \t]*#/.test(text.slice(prevStart, at))) break;
    at = prevStart;
  }
  return at;
}

function removeInText(scanned: ScannedToml, table: string[], key: string): string {
  const { text, statements } = scanned;
  const found = occurrences(scanned, [...table, key]);
  const ranges: Array<[number, number]> = [];
  if (found.exact) ranges.push([found.exact.start, found.exact.end]);
  for (const kv of found.dotted) ranges.push([kv.start, kv.end]);
  for (const header of found.headers) {
    // The section runs to its last statement; comments after that belong to what follows.
    const index = statements.indexOf(header);
    let end = header.end;
    for (const s of statements.slice(index + 1)) {
      if (s.kind === 'header') break;
      end = s.end;
    }
    ranges.push([header.start, end]);
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  let out = text;
  for (const [start, end] of merged.reverse()) {
    let from = start;
    // Removing the last line of a file without a final newline: take the newline before it instead.
    if (end === out.length && !endsWithNewline(out) && from > 0) from -= out[from - 2] === '\r' ? 2 : 1;
    out = out.slice(0, from) + out.slice(end);
  }
  return out;
}

function renameInText(scanned: ScannedToml, table: string[], key: string, to: string): string {
  const { text } = scanned;
  if (key === to) return text;
  const found = occurrences(scanned, [...table, key]);
  const spans: Array<{ start: number; end: number }> = [];
  for (const kv of [...(found.exact ? [found.exact] : []), ...found.dotted]) {
    // A statement inside [table.key] itself needs no change: its header is renamed.
    if (kv.section.length <= table.length) spans.push(kv.key[table.length - kv.section.length]!);
  }
  for (const header of found.headers) spans.push(header.path[table.length]!);
  if (spans.length === 0) return text;
  const target = occurrences(scanned, [...table, to]);
  if (target.exact || target.dotted.length || target.headers.length) {
    throw new Refusal(`cannot rename \`${key}\` to \`${to}\`: \`${to}\` is already set in [${formatKeyPath(table)}]`);
  }
  let out = text;
  for (const span of spans.sort((a, b) => b.start - a.start)) out = out.slice(0, span.start) + formatKey(to) + out.slice(span.end);
  return out;
}
