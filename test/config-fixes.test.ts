// The fixes are data a later `check --fix` applies: `toml` sets keys of one table, `remove` and
// `rename` edit the same table, `command` exports a variable. This test applies each fix to the
// fixture's document (as plain data, independent of the file editor) together with the variable
// its command exports, loads the result again, and expects the finding gone: a fix that does not
// fix is a bug.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { loadConfig } from '../src/config/load-config.ts';
import type { Finding, Fix } from '../src/types.ts';
import { CONFIGS, configDeps, fixture, tempTree } from './helpers/config-fixtures.ts';

const ENV = { HOME: '/home/u', DOCTOR_TEST_SET_TOKEN: 'set-secret-value-1234', DOCTOR_TEST_EMPTY_TOKEN: '', 'doctor-test-dashed': 'dashed-secret-5678' };

/**
 * Fixes that are right but cannot clear their finding in one table edit: the stale entry sits in a
 * sub-table the snippet must not rewrite (it would repeat the other values, which may be secrets).
 * Their summaries say what to delete by hand.
 */
const PARTIAL = /^config\.var-not-expanded (?:env|http_headers)\./;

type Table = Record<string, unknown>;

function tablePath(fix: Fix): string[] | undefined {
  if (fix.table !== undefined) {
    if (fix.table === '') return [];
    // A dotted key parses as nested single-key tables.
    const doc = parse(`${fix.table} = 0`) as Table;
    const path: string[] = [];
    let node: unknown = doc;
    while (node && typeof node === 'object') {
      const [key] = Object.keys(node as Table);
      if (key === undefined) break;
      path.push(key);
      node = (node as Table)[key];
    }
    return path;
  }
  const header = /^\[([^\]]+)\]/.exec(fix.toml ?? '');
  return header ? tablePath({ ...fix, table: header[1]! }) : undefined;
}

/** Applies a fix as `check --fix` would; undefined when it is not an edit of one table. */
function applyFix(document: Table, fix: Fix): Table | undefined {
  if (fix.template) return undefined;
  if (fix.toml === undefined && !fix.remove && !fix.rename) return undefined;
  if (fix.toml !== undefined && (fix.toml.match(/^\[/gm) ?? []).length !== 1) return undefined;
  const path = tablePath(fix);
  if (!path) return undefined;
  const copy = structuredClone(JSON.parse(JSON.stringify(document))) as Table;
  let table: Table = copy;
  for (const key of path) {
    table[key] ??= {};
    table = table[key] as Table;
  }
  for (const key of fix.remove ?? []) delete table[key];
  for (const [from, to] of Object.entries(fix.rename ?? {})) {
    table[to] = table[from];
    delete table[from];
  }
  if (fix.toml !== undefined) {
    let snippet: unknown = JSON.parse(JSON.stringify(parse(fix.toml)));
    for (const key of path) snippet = (snippet as Table)[key];
    Object.assign(table, snippet as Table);
  }
  return copy;
}

function exportedVariables(fix: Fix): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of (fix.command ?? '').matchAll(/(?:export|setx) ([A-Za-z_][A-Za-z0-9_]*)/g)) out[match[1]!] = 'value-from-the-fix';
  return out;
}

function sameFinding(a: Finding, b: Finding): boolean {
  return a.code === b.code && JSON.stringify(a.evidence?.key ?? a.evidence?.name) === JSON.stringify(b.evidence?.key ?? b.evidence?.name);
}

describe('fixes clear their findings', () => {
  test('every applicable fix of every fixture, applied alone', async () => {
    const tree = tempTree({});
    let applied = 0;
    try {
      for (const name of readdirSync(CONFIGS).filter((f) => f.endsWith('.toml'))) {
        const original = readFileSync(fixture(name), 'utf8');
        let document: Table;
        try {
          document = parse(original, { integersAsBigInt: 'asNeeded' }) as Table;
        } catch {
          continue;
        }
        const before = await loadConfig({ configPath: fixture(name), deps: configDeps({ env: ENV }) });
        const findings: Array<{ server: string | null; finding: Finding }> = [
          ...before.findings.map((finding) => ({ server: null, finding })),
          ...before.servers.flatMap((s) => s.findings.map((finding) => ({ server: s.config.name, finding }))),
        ];
        for (const { server, finding } of findings) {
          if (!finding.fix || finding.severity === 'info') continue;
          const edited = applyFix(document, finding.fix);
          if (!edited) continue;
          const label = `${finding.code} ${String(finding.evidence?.key ?? finding.evidence?.name ?? '')}`;
          const path = join(tree.root, `${applied}-${name}`);
          writeFileSync(path, stringify(edited));
          const after = await loadConfig({ configPath: path, deps: configDeps({ env: { ...ENV, ...exportedVariables(finding.fix) } }) });
          assert.equal(after.fatal, undefined, `${name}: ${label}: the fixed file does not load`);
          const remaining = server === null ? after.findings : (after.servers.find((s) => s.config.name === server)?.findings ?? []);
          const still = remaining.some((f) => sameFinding(f, finding));
          if (PARTIAL.test(label)) assert.ok(still, `${name}: ${label} is listed as partial but now clears: update PARTIAL`);
          else assert.ok(!still, `${name} [${server}]: applying the fix of ${label} does not clear it:\n${JSON.stringify(finding.fix, null, 2)}`);
          applied++;
        }
      }
    } finally {
      tree.cleanup();
    }
    assert.ok(applied >= 40, `only ${applied} fixes were applicable`);
  });
});
