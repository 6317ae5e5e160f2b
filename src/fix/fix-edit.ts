import { parse } from 'smol-toml';
import { REDACTED } from '../redact.ts';
import type { Fix } from '../types.ts';
import type { TableEdit } from './toml-edit.ts';
import { fullPath, parseDottedKey, scanToml } from './toml-scan.ts';
import { isTable } from './toml-value.ts';

/**
 * What a fix asks of the config file, read from its typed fields (docs/fixes.md): `none` when it
 * is not a config change (a login, a server-side fix), `unusable` when it is one but cannot be
 * applied as written (placeholders, a redacted value, several tables).
 */
export type FixEditResult = { kind: 'none' } | { kind: 'edit'; edit: TableEdit } | { kind: 'unusable'; reason: string };

export function fixEdit(fix: Fix): FixEditResult {
  const renames = Object.entries(fix.rename ?? {});
  const removes = fix.remove ?? [];
  if (fix.toml === undefined && removes.length === 0 && renames.length === 0) return { kind: 'none' };
  if (fix.template) return { kind: 'unusable', reason: 'it has placeholders to fill in by hand' };
  if (fix.untried) return { kind: 'unusable', reason: fix.untried };

  let table: string[] | undefined;
  if (fix.table !== undefined) {
    try {
      table = parseDottedKey(fix.table);
    } catch {
      return { kind: 'unusable', reason: `its table \`${fix.table}\` is not a TOML key` };
    }
  }

  const set: Array<[string, unknown]> = [];
  if (fix.toml !== undefined) {
    const snippet = readSnippet(fix.toml, table);
    if ('reason' in snippet) return { kind: 'unusable', reason: snippet.reason };
    table = snippet.table;
    set.push(...snippet.set);
  }
  if (table === undefined) return { kind: 'unusable', reason: 'it names no table (`table`)' };

  for (const [key, value] of set) {
    const placeholder = findPlaceholder(value);
    if (placeholder) return { kind: 'unusable', reason: `the value of \`${key}\` ${placeholder}` };
  }
  if (set.length === 0 && removes.length === 0 && renames.length === 0) {
    return { kind: 'unusable', reason: 'its snippet sets no key (it only illustrates the change)' };
  }
  return { kind: 'edit', edit: { table, set, remove: [...removes], rename: renames } };
}

function readSnippet(toml: string, table: string[] | undefined): { table: string[]; set: Array<[string, unknown]> } | { reason: string } {
  let document: Record<string, unknown>;
  let statements;
  try {
    document = parse(toml, { integersAsBigInt: 'asNeeded' }) as Record<string, unknown>;
    statements = scanToml(toml).statements;
  } catch {
    return { reason: 'its TOML snippet does not parse' };
  }
  const headers = statements.filter((s) => s.kind === 'header');
  if (headers.length > 1) return { reason: 'its snippet spans several tables; apply it by hand' };
  const header = headers[0];
  if (header?.array) return { reason: 'its snippet is an array of tables' };
  if (header && statements.indexOf(header) !== 0) return { reason: 'its snippet has keys outside its table' };
  // A snippet without a header holds the keys of `table` itself.
  const snippetTable = header ? fullPath(header) : [];
  if (header && table && (snippetTable.length !== table.length || snippetTable.some((s, i) => s !== table[i]))) {
    return { reason: `its snippet's table [${snippetTable.join('.')}] is not its \`table\`` };
  }
  let values: unknown = document;
  for (const segment of snippetTable) values = isTable(values) ? values[segment] : undefined;
  if (!isTable(values)) return { reason: 'its snippet does not hold a table' };
  return { table: header ? snippetTable : (table ?? []), set: Object.entries(values) };
}

/** Values that must not be written as they stand: a redacted secret, or a placeholder for the user to fill in. */
function findPlaceholder(value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (value.includes(REDACTED)) return 'is redacted in the report';
    if (value.includes('…') || /^<[^<>]+>$/.test(value.trim())) return `is a placeholder (${value})`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findPlaceholder(item);
      if (found) return found;
    }
  } else if (isTable(value)) {
    for (const item of Object.values(value)) {
      const found = findPlaceholder(item);
      if (found) return found;
    }
  }
  return undefined;
}
