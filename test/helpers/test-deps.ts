// Paths into the test-only package cache (scripts/test-deps.mjs): the Codex oracle, bridges and
// real servers are installed there, pinned, instead of into node_modules. A group that is not
// installed yet is installed on first use (npm test installs all of them up front).
import { join } from 'node:path';
// @ts-expect-error -- a plain .mjs script without type declarations
import { ensureGroup, TEST_DEPS } from '../../scripts/test-deps.mjs';

/** A group of scripts/test-deps.mjs (codex, bridges, everything, ...). */
export type TestDepGroup = string;

/** The pinned packages of a group, name -> version. */
export const PINNED: Record<string, Record<string, string>> = TEST_DEPS;

/** Absolute path of `relative` inside the installed package `pkg` of `group`. */
export function testDepPath(group: TestDepGroup, pkg: string, ...relative: string[]): string {
  const dir: string = ensureGroup(group);
  return join(dir, 'node_modules', pkg, ...relative);
}
