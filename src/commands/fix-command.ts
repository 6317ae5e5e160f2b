import { createHash, randomBytes } from 'node:crypto';
import { realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LoadedConfig } from '../config/server-config.ts';
import { applyFixes, fixCandidates, type FixCandidate } from '../fix/apply-fixes.ts';
import { unifiedDiff } from '../fix/unified-diff.ts';
import { verifyFixes, type Scratch } from '../fix/verify-fixes.ts';
import type { CheckOptions, Deps } from '../pipeline/context.ts';
import type { RunChecksInput } from '../pipeline/run-checks.ts';
import type { Redactor } from '../redact.ts';
import { exitCodeFor } from '../report/build-report.ts';
import type { Format, FixesReport, FixOutcome, Report } from '../types.ts';

/**
 * `check --verify-fixes`, `check --fix` and `check --fix --write` (docs/fixes.md).
 *
 * --verify-fixes  tries each safe fix on a temporary copy of the config and marks it proven or not.
 * --fix           also verifies, then prints the change to the config file as a unified diff after
 *                 the report (JSON: a top-level `fixes` object); the file is not touched.
 * --fix --write   applies that change: a timestamped backup next to the file first, then an
 *                 atomic replace; refused (exit 2) when the file changed since it was read or a
 *                 fix cannot be applied surgically.
 */
export interface FixFlags {
  fix: boolean;
  write: boolean;
  verifyFixes: boolean;
}

/** File operations of --write, injectable for tests. */
export interface ConfigFiles {
  read(path: string): Promise<string>;
  /** Writes `text` to a new backup file next to `path`; returns the backup's path. */
  backup(path: string, text: string, stamp: string): Promise<string>;
  /** Replaces the file's content atomically, keeping its permissions (and a symlink in place). */
  replace(path: string, text: string): Promise<void>;
}

export interface FixStepInput {
  args: Partial<FixFlags> & { names: string[]; format: Format; color: boolean; strict: boolean };
  io: { stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }; stderr: { write(s: string): unknown } };
  deps: Deps;
  config: LoadedConfig;
  report: Report;
  options: CheckOptions;
  redact: Redactor;
  plans: RunChecksInput['plans'];
  /** The check's own renderer for the chosen format. */
  render(report: Report): string;
  files?: ConfigFiles;
  scratch?: Scratch;
  /** Runs after the file was read for the diff and before it is compared and written (tests). */
  beforeWrite?(path: string): Promise<void> | void;
  now?(): Date;
}

const readsByDeps = new WeakMap<Deps, Map<string, string>>();

/**
 * Deps whose `readFile` remembers what it read, so that `--fix` diffs (and `--write` compares
 * against) exactly the text the check was made from.
 */
export function recordConfigReads(deps: Deps): Deps {
  const reads = new Map<string, string>();
  const recorded: Deps = {
    ...deps,
    readFile: async (path) => {
      const text = await deps.readFile(path);
      if (!reads.has(path)) reads.set(path, text);
      return text;
    },
  };
  readsByDeps.set(recorded, reads);
  return recorded;
}

export const nodeConfigFiles = (deps: Deps): ConfigFiles => ({
  read: (path) => deps.readFile(path),
  backup: async (path, text, stamp) => {
    const mode = (await stat(path)).mode & 0o777;
    for (let n = 0; ; n++) {
      const candidate = `${path}.bak-${stamp}${n === 0 ? '' : `-${n}`}`;
      try {
        await writeFile(candidate, text, { flag: 'wx', mode });
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error;
      }
    }
  },
  replace: async (path, text) => {
    // Write beside the real file (through a symlink, e.g. a dotfiles repo) and rename over it.
    const target = await realpath(path);
    const mode = (await stat(target)).mode & 0o777;
    const temp = join(dirname(target), `.${basename(target)}.mcp-doctor-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(temp, text, { flag: 'wx', mode });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  },
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `YYYYMMDD-HHMMSS` in local time, as people read file names. */
export function backupStamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Flag combinations that make no sense, as a usage message (exit 2), checked before any probing. */
export function fixFlagsError(args: Partial<FixFlags> & { url?: string; command?: string[] }): string | undefined {
  const adHoc = args.url !== undefined || (args.command !== undefined && args.command.length > 0);
  if (args.write && !args.fix) return '--write goes with --fix (mcp-doctor check --fix --write)';
  if ((args.fix || args.verifyFixes) && adHoc) return `${args.fix ? '--fix' : '--verify-fixes'} works on a config file; it cannot be used with --url or -- CMD`;
  return undefined;
}

/** Runs after the check; returns the exit code. */
export async function runFixStep(input: FixStepInput): Promise<number> {
  const { args, report, config } = input;
  const files = input.files ?? nodeConfigFiles(input.deps);
  const reads = readsByDeps.get(input.deps);
  const texts = new Map<string, string>();
  const textOf = async (path: string) => {
    if (!texts.has(path)) texts.set(path, reads?.get(path) ?? (await files.read(path)));
    return texts.get(path)!;
  };

  if (report.config) {
    await verifyFixes({
      report,
      config,
      selected: args.names,
      configText: await textOf(config.path),
      deps: input.deps,
      options: input.options,
      redact: input.redact,
      plans: input.plans,
      scratch: input.scratch,
    });
  }
  if (!args.fix) {
    input.io.stdout.write(input.render(report));
    return exitCodeFor(report, args.strict);
  }

  const fixes: FixesReport = { files: [], applied: [], skipped: [] };
  const proposed = new Map<string, string>();
  const byPath = new Map<string, FixCandidate[]>();
  for (const candidate of fixCandidates(report, args.names, config)) {
    if (candidate.blocked) {
      fixes.skipped.push(outcome(candidate, input.redact, `not applied: it ${candidate.blocked}`));
      continue;
    }
    if (candidate.finding.fix?.verification === 'still-present') {
      fixes.skipped.push(outcome(candidate, input.redact, 'tried: the finding was still there with this change'));
      continue;
    }
    byPath.set(candidate.path, [...(byPath.get(candidate.path) ?? []), candidate]);
  }
  for (const [path, candidates] of byPath) {
    const text = await textOf(path);
    const result = applyFixes(text, candidates);
    fixes.applied.push(...result.applied.map((c) => outcome(c, input.redact)));
    fixes.skipped.push(...result.skipped.map(({ candidate, reason }) => outcome(candidate, input.redact, reason)));
    if (result.text !== text) {
      proposed.set(path, result.text);
      // Context lines may hold secrets (an env table, an inline token being removed): the diff is
      // output like any other, so it is redacted; --write applies the real text.
      const diff = unifiedDiff(text, result.text, { oldLabel: path, newLabel: path });
      fixes.files.push({ path, diff: diff.split('\n').map((line) => input.redact.text(line)).join('\n') });
    }
  }

  let refused: string | undefined;
  if (args.write) {
    const unsurgical = fixes.skipped.find((s) => s.reason?.startsWith('cannot be applied surgically'));
    const layered = fixes.skipped.find((s) => s.reason?.startsWith('not applied: it '));
    if (layered) {
      // The value lives in a -c flag or the managed config: writing the other fixes would leave this one silently undone.
      refused = `not writing: the fix for ${layered.code}${layered.server ? ` (${layered.server})` : ''} ${layered.reason!.replace(/^not applied: it /, '')}. Nothing was written; apply the other fixes by naming their servers, or drop the flag first.`;
    } else if (unsurgical) {
      refused = `not writing: the fix for ${unsurgical.code}${unsurgical.server ? ` (${unsurgical.server})` : ''} ${unsurgical.reason}. Apply it by hand, or name the other servers: mcp-doctor check NAME --fix --write`;
    } else {
      refused = await writeFiles(proposed, textOf, files, input, fixes);
    }
  }
  if (refused) {
    refused = input.redact.text(refused);
    fixes.write = { written: false, backups: [], refused };
    input.io.stderr.write(`mcp-doctor: ${refused}\n`);
  }

  // The renderers show `report.fixes` (the diff, what was applied and skipped, the write).
  report.fixes = fixes;
  input.io.stdout.write(input.render(report));
  return refused ? 2 : exitCodeFor(report, args.strict);
}

async function writeFiles(
  proposed: Map<string, string>,
  textOf: (path: string) => Promise<string>,
  files: ConfigFiles,
  input: FixStepInput,
  fixes: FixesReport,
): Promise<string | undefined> {
  if (proposed.size === 0) {
    fixes.write = { written: false, backups: [] };
    return undefined;
  }
  // Every file is compared before any is written, so a refusal leaves all of them untouched.
  for (const path of proposed.keys()) {
    await input.beforeWrite?.(path);
    const current = await files.read(path);
    if (sha256(current) !== sha256(await textOf(path))) {
      return `not writing: ${path} changed since mcp-doctor read it; nothing was written. Run the command again.`;
    }
  }
  const stamp = backupStamp((input.now ?? (() => new Date()))());
  const backups: string[] = [];
  for (const [path, text] of proposed) {
    backups.push(await files.backup(path, await textOf(path), stamp));
    await files.replace(path, text);
  }
  fixes.write = { written: true, backups };
  return undefined;
}

function outcome(candidate: FixCandidate, redact: Redactor, reason?: string): FixOutcome {
  const fix = candidate.finding.fix!;
  return {
    server: candidate.server,
    code: candidate.finding.code,
    summary: fix.summary,
    path: candidate.path,
    ...(fix.verification ? { verification: fix.verification } : {}),
    ...(reason ? { reason: redact.text(reason) } : {}),
  };
}
