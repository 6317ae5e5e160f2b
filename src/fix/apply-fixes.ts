import type { LoadedConfig } from '../config/server-config.ts';
import type { Finding, Report } from '../types.ts';
import { fixEdit } from './fix-edit.ts';
import { fixTarget } from './fix-target.ts';
import { editToml, type TableEdit } from './toml-edit.ts';
import { formatKeyPath, tomlEqual } from './toml-value.ts';

/** A finding whose fix may change a config file. */
export interface FixCandidate {
  finding: Finding;
  /** The server's name; null for a file-level finding. */
  server: string | null;
  /** The config file the server's table (or the file-level finding) belongs to. */
  path: string;
  /** Set when the values the fix changes come from `-c` or the managed config: why it is not applied. */
  blocked?: string;
}

export interface ApplyResult {
  text: string;
  applied: FixCandidate[];
  skipped: Array<{ candidate: FixCandidate; reason: string }>;
}

/**
 * The findings whose fixes `--fix` considers, in report order: those of the servers that were
 * checked (all, or the ones named), plus file-level ones when no server was named. Information
 * findings are left out: they describe a choice (`enabled = false`), not a problem.
 */
export function fixCandidates(report: Report, selected: readonly string[], config?: LoadedConfig): FixCandidate[] {
  const configPath = report.config?.path;
  if (!configPath) return [];
  const out: FixCandidate[] = [];
  const wanted = (finding: Finding) => finding.fix !== undefined && finding.severity !== 'info';
  if (selected.length === 0) {
    for (const finding of report.findings) {
      if (!wanted(finding)) continue;
      // A file-level finding names the layer file it is about (a profile, /etc/codex/config.toml…),
      // except an untrusted project, whose fix (the trust entry) belongs in the user config.
      const named = finding.code !== 'config.project-untrusted' && typeof finding.evidence?.file === 'string' ? finding.evidence.file : undefined;
      const file = named ?? configPath;
      if (file === '-c') out.push({ finding, server: null, path: configPath, blocked: 'changes a value given with -c on the command line: change or drop that flag (mcp-doctor edits config files only)' });
      else out.push({ finding, server: null, path: file });
    }
  }
  for (const server of report.servers) {
    if (selected.length > 0 && !selected.includes(server.name)) continue;
    const path = server.source && server.source.length > 0 ? server.source : configPath;
    // Layers: the file that holds the values a fix changes (src/fix/fix-target.ts).
    const origins = config?.servers.find((e) => e.config.name === server.name)?.config.origins;
    for (const finding of server.findings) {
      if (!wanted(finding)) continue;
      const target = fixTarget(finding.fix!, server.name, path, origins);
      out.push('blocked' in target ? { finding, server: server.name, path, blocked: target.blocked } : { finding, server: server.name, path: target.path });
    }
  }
  return out;
}

/**
 * Applies the fixes to one file's text, one after the other. A fix is skipped (with the reason)
 * when it is not a config change, cannot be applied surgically, changes nothing, or contradicts
 * an earlier fix in the same run (two values for one key).
 */
export function applyFixes(text: string, candidates: readonly FixCandidate[]): ApplyResult {
  let current = text;
  const applied: FixCandidate[] = [];
  const skipped: ApplyResult['skipped'] = [];
  /** table + key → what an earlier fix did to it, to catch contradictions. */
  const claims = new Map<string, { value: unknown; removed: boolean; by: FixCandidate }>();
  for (const candidate of candidates) {
    if (candidate.blocked) {
      skipped.push({ candidate, reason: `not applied: it ${candidate.blocked}` });
      continue;
    }
    const planned = fixEdit(candidate.finding.fix!);
    if (planned.kind === 'none') {
      skipped.push({ candidate, reason: 'not a config change' });
      continue;
    }
    if (planned.kind === 'unusable') {
      skipped.push({ candidate, reason: `cannot be applied: ${planned.reason}` });
      continue;
    }
    const conflict = findConflict(planned.edit, claims);
    if (conflict) {
      skipped.push({ candidate, reason: `contradicts the fix for ${describe(conflict)}` });
      continue;
    }
    const outcome = editToml(current, planned.edit);
    if (!outcome.ok) {
      skipped.push({ candidate, reason: `cannot be applied surgically: ${outcome.reason}` });
      continue;
    }
    if (!outcome.changed) {
      const earlier = claimedBy(planned.edit, claims);
      skipped.push({ candidate, reason: earlier ? `the same change as the fix for ${describe(earlier)}` : 'the file already has this change' });
      continue;
    }
    current = outcome.text;
    applied.push(candidate);
    record(planned.edit, claims, candidate);
  }
  return { text: current, applied, skipped };
}

function describe(candidate: FixCandidate): string {
  return candidate.server ? `${candidate.finding.code} (${candidate.server})` : candidate.finding.code;
}

function claimKey(edit: TableEdit, key: string): string {
  return `${formatKeyPath(edit.table)}\u0000${key}`;
}

function touched(edit: TableEdit): Array<{ key: string; value: unknown; removed: boolean }> {
  const set = edit.set ?? [];
  return [
    ...(edit.remove ?? []).filter((key) => !set.some(([k]) => k === key)).map((key) => ({ key, value: undefined, removed: true })),
    ...(edit.rename ?? []).flatMap(([from, to]) => [
      { key: from, value: undefined, removed: true },
      { key: to, value: { renamedFrom: from }, removed: false },
    ]),
    ...set.map(([key, value]) => ({ key, value, removed: false })),
  ];
}

function findConflict(edit: TableEdit, claims: Map<string, { value: unknown; removed: boolean; by: FixCandidate }>): FixCandidate | undefined {
  for (const t of touched(edit)) {
    const claim = claims.get(claimKey(edit, t.key));
    if (claim && (claim.removed !== t.removed || !tomlEqual(claim.value, t.value))) return claim.by;
  }
  return undefined;
}

function claimedBy(edit: TableEdit, claims: Map<string, { by: FixCandidate }>): FixCandidate | undefined {
  for (const t of touched(edit)) {
    const claim = claims.get(claimKey(edit, t.key));
    if (claim) return claim.by;
  }
  return undefined;
}

function record(edit: TableEdit, claims: Map<string, { value: unknown; removed: boolean; by: FixCandidate }>, by: FixCandidate): void {
  for (const t of touched(edit)) {
    const key = claimKey(edit, t.key);
    if (!claims.has(key)) claims.set(key, { value: t.value, removed: t.removed, by });
  }
}
