// docs/limits.md lists every exported bound of src/limits.ts with the same value (one source).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as limits from '../src/limits.ts';
import { ROOT } from './helpers/cli.ts';

test('docs/limits.md lists the constants of src/limits.ts with their values', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'limits.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)) rows.set(m[1]!, m[2]!.trim());
  const constants = Object.entries(limits).filter(([, v]) => typeof v === 'number') as [string, number][];
  assert.ok(constants.length >= 10);
  for (const [name, value] of constants) {
    assert.ok(rows.has(name), `docs/limits.md has no row for ${name}`);
    assert.equal(rows.get(name), String(value), `docs/limits.md gives ${name} as ${rows.get(name)}, src/limits.ts as ${value}`);
  }
  for (const name of rows.keys()) assert.ok(name in limits, `docs/limits.md lists ${name}, which src/limits.ts does not export`);
});
