import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { isTable } from './check-context.ts';
import { carryFloatMarks } from './float-literals.ts';

/**
 * How Codex composes its config from layers (Codex 0.171.0, `codex-rs/config/src/loader/mod.rs`;
 * each confirmed with the Codex oracle), lowest precedence first:
 *
 *   system   /etc/codex/config.toml (Windows: %ProgramData%\OpenAI\Codex\config.toml)
 *   user     $CODEX_HOME/config.toml
 *   profile  $CODEX_HOME/<name>.config.toml, with `--profile <name>`
 *   project  every `.codex/config.toml` from the project root down to the cwd, each loaded only
 *            when its directory is trusted
 *   cli      `-c key=value` session flags
 *   managed  /etc/codex/managed_config.toml (legacy managed config, above everything)
 *
 * Each one overrides the ones before it, table by table (`mergeToml`). requirements.toml is not a
 * layer: it constrains the result (src/config/requirements.ts).
 */

import type { ConfigLayerKind } from '../types.ts';

export type LayerKind = ConfigLayerKind;

export interface ConfigLayer {
  /** The file; `-c` for the session flags. */
  file: string;
  kind: LayerKind;
  document: Record<string, unknown>;
  /** `mcp_servers` names in the order they are written in the file. */
  serverOrder: string[];
}

export const DEFAULT_PROJECT_ROOT_MARKERS = ['.git'];

/** Own-property assignment: a server may legitimately be named `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `merge_toml_values`: tables merge key by key (recursively); anything else in `overlay` replaces. */
export function mergeToml(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) setOwn(out, key, value);
  for (const [key, value] of Object.entries(overlay)) {
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(out, key, isTable(existing) && isTable(value) ? mergeToml(existing, value) : value);
  }
  carryFloatMarks(out, base, overlay);
  return out;
}

export function ancestors(dir: string): string[] {
  const out: string[] = [];
  let current = resolve(dir);
  for (;;) {
    out.push(current);
    const parent = dirname(current);
    if (parent === current) return out;
    current = parent;
  }
}

/** The first ancestor of `cwd` (itself included) holding one of the markers; `cwd` when none does or the list is empty. */
export async function findProjectRoot(cwd: string, markers: string[], fileExists: (path: string) => Promise<boolean>): Promise<string> {
  if (markers.length === 0) return resolve(cwd);
  for (const dir of ancestors(cwd)) {
    for (const marker of markers) {
      if (await fileExists(join(dir, marker))) return dir;
    }
  }
  return resolve(cwd);
}

/** The git work tree root Codex also consults for trust (`resolve_root_git_project_for_trust`). */
export async function findRepoRoot(cwd: string, fileExists: (path: string) => Promise<boolean>): Promise<string | undefined> {
  for (const dir of ancestors(cwd)) {
    if (await fileExists(join(dir, '.git'))) return dir;
  }
  return undefined;
}

/** Directories from the project root down to the cwd, root first (increasing precedence). */
export function projectDirs(cwd: string, projectRoot: string): string[] {
  const dirs: string[] = [];
  for (const dir of ancestors(cwd)) {
    dirs.push(dir);
    if (dir === projectRoot) break;
  }
  return dirs.reverse();
}

export function normalizeDirKey(path: string): string {
  if (!isAbsolute(path)) return path;
  const normalized = normalize(path);
  return normalized.length > 1 && normalized.endsWith(sep) ? normalized.slice(0, -1) : normalized;
}

export interface TrustDecision {
  trusted: boolean;
  level?: 'trusted' | 'untrusted';
  /** The `[projects."<key>"]` entry that decided, or the one to add. */
  key: string;
}

/**
 * `ProjectTrustContext::decision_for_dir`: the layer's own directory, then the project root, then
 * the git repository root; the first entry with a `trust_level` decides.
 */
export function trustDecision(projects: unknown, dir: string, projectRoot: string, repoRoot: string | undefined): TrustDecision {
  const levels = new Map<string, unknown>();
  if (isTable(projects)) {
    for (const [key, entry] of Object.entries(projects)) {
      if (isTable(entry) && entry.trust_level !== undefined) levels.set(normalizeDirKey(key), entry.trust_level);
    }
  }
  for (const key of [dir, projectRoot, repoRoot]) {
    if (key === undefined) continue;
    const level = levels.get(normalizeDirKey(key));
    if (level === 'trusted' || level === 'untrusted') return { trusted: level === 'trusted', level, key };
  }
  return { trusted: false, key: repoRoot ?? projectRoot };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Server names in the order the file writes them. JavaScript objects list integer-like keys
 * ("1", "42") first whatever the insertion order, so smol-toml's key order is not enough; the
 * position of each `mcp_servers.NAME` in the text is. When a name cannot be located (inline
 * tables, `[mcp_servers]` with sub-keys), the parser's order is kept.
 */
export function serverOrder(text: string, document: Record<string, unknown>): string[] {
  const tables = document.mcp_servers;
  if (!isTable(tables)) return [];
  const names = Object.keys(tables);
  const positions = new Map<string, number>();
  for (const name of names) {
    const spellings = [JSON.stringify(name), `'${name}'`];
    if (/^[A-Za-z0-9_-]+$/.test(name)) spellings.push(name);
    // A name too long for a regular expression (a hostile config: V8 refuses a pattern of a few
    // MB) keeps the document's order, as an unmatched spelling does.
    if (name.length > 64 * 1024) return names;
    let match: RegExpExecArray | null;
    try {
      match = new RegExp(`(?:^|[\\[\\s])mcp_servers\\s*\\.\\s*(?:${spellings.map(escapeRegExp).join('|')})\\s*[.\\]=]`, 'm').exec(text);
    } catch {
      return names;
    }
    if (!match) return names;
    positions.set(name, match.index);
  }
  return [...names].sort((a, b) => positions.get(a)! - positions.get(b)!);
}
