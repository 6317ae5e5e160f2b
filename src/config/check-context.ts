import { makeFinding, type FindingInput } from '../findings/make-finding.ts';
import type { FindingCode } from '../findings/registry.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, Transport } from '../types.ts';

/** What every check of one `[mcp_servers.NAME]` table needs; checks append to `findings`. */
export interface ServerCheckContext {
  name: string;
  /** The merged table, as written. */
  table: Record<string, unknown>;
  transport: Transport;
  /** The file that defined the table last (the highest layer). */
  source: string;
  /** The project `.codex/config.toml` files among the layers (often committed to a repository). */
  projectFiles: string[];
  /** Undefined when there is no environment to check against. */
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  /** False when `environment_id` names a remote executor: launch-time rules differ. */
  local: boolean;
  redact: Redactor;
  findings: Finding[];
  /** For a table merged from several layers: the file that set each top-level key last. */
  keyFiles?: Record<string, string>;
}

/**
 * Adds a finding with its message and evidence redacted. Fix text is built from placeholders
 * and redacted values by the caller, so it is left as written (a redacted `export X=...` would
 * read `export X=<redacted>`).
 */
export function addFinding(ctx: ServerCheckContext, code: FindingCode, input: FindingInput): void {
  let evidence = input.evidence;
  // Merged tables: name the file that holds the key, which is the one to edit.
  const key = typeof evidence?.key === 'string' ? evidence.key.split(/[.[]/)[0]! : undefined;
  if (evidence && key && ctx.keyFiles && Object.hasOwn(ctx.keyFiles, key)) evidence = { ...evidence, file: ctx.keyFiles[key] };
  const finding = makeFinding(code, {
    ...input,
    message: ctx.redact.text(input.message),
    evidence: evidence ? ctx.redact.value(evidence) : undefined,
    fix: input.fix ? { ...input.fix, summary: ctx.redact.text(input.fix.summary) } : undefined,
  });
  ctx.findings.push(finding);
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'bigint') return 'an integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a float';
  return `a ${typeof value}`;
}

export function isTable(value: unknown): value is Record<string, unknown> {
  // smol-toml's TomlDate extends Date; tables are null-prototype objects.
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function where(ctx: Pick<ServerCheckContext, 'name'>): string {
  return `[mcp_servers.${/^[A-Za-z0-9_-]+$/.test(ctx.name) ? ctx.name : JSON.stringify(ctx.name)}]`;
}

/**
 * `env_vars` as written with `add` appended (and `replace` swapped out), so that a snippet which
 * sets `env_vars` keeps the user's other entries, `{ name, source }` tables included.
 */
export function envVarsWith(ctx: Pick<ServerCheckContext, 'table'>, add: string[], replace?: string): unknown[] {
  const current = Array.isArray(ctx.table.env_vars) ? ctx.table.env_vars : [];
  const nameOf = (e: unknown) => (typeof e === 'string' ? e : isTable(e) && typeof e.name === 'string' ? e.name : undefined);
  const kept = current.filter((e) => nameOf(e) !== replace);
  for (const name of add) if (!kept.some((e) => nameOf(e) === name)) kept.push(name);
  return kept;
}

/** Whether `key` of this table was written in a project config, which may be committed. */
export function keyInProject(ctx: Pick<ServerCheckContext, 'keyFiles' | 'source' | 'projectFiles'>, key: string): boolean {
  const file = ctx.keyFiles && Object.hasOwn(ctx.keyFiles, key) ? ctx.keyFiles[key]! : ctx.source;
  return ctx.projectFiles.includes(file);
}
