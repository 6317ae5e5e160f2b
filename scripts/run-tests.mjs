// Runs every test/**/*.test.ts file with node's own test runner (TypeScript through tsx).
// Node 20's `--test` does not expand globs itself, so the file list is built here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureGroup, TEST_DEPS } from './test-deps.mjs';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) {
    for (const entry of readdirSync(p).sort()) walk(join(p, entry));
  } else if (p.endsWith('.test.ts')) {
    files.push(p);
  }
};
for (const root of roots) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
// The test-only packages (Codex, bridges, real servers) are installed into the cache before the
// first test starts, so no test's deadline pays for a download (scripts/test-deps.mjs).
for (const group of Object.keys(TEST_DEPS)) ensureGroup(group);

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
