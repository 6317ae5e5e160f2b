import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import type { LoadedConfig } from '../config/server-config.ts';
import type { CheckOptions, Deps } from '../pipeline/context.ts';
import { runChecks, type RunChecksInput } from '../pipeline/run-checks.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, FixVerification, Report } from '../types.ts';
import { fixCandidates, type FixCandidate } from './apply-fixes.ts';
import { fixEdit } from './fix-edit.ts';
import { tryability } from './fix-safety.ts';
import { editToml } from './toml-edit.ts';

/** Where trial configs are written: a private temporary directory, never next to the user's file. */
export interface Scratch {
  makeDir(): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
  removeDir(dir: string): Promise<void>;
}

export const tempScratch: Scratch = {
  makeDir: () => mkdtemp(join(tmpdir(), 'mcp-doctor-verify-')),
  // The config may hold secrets (env tables): readable by the user only.
  writeFile: (path, text) => writeFile(path, text, { mode: 0o600 }),
  removeDir: (dir) => rm(dir, { recursive: true, force: true }),
};

export interface VerifyFixesInput {
  report: Report;
  config: LoadedConfig;
  /** Server names given on the command line (empty: all). */
  selected: readonly string[];
  /** The text of `config.path` the report was made from. */
  configText: string;
  deps: Deps;
  options: CheckOptions;
  redact: Redactor;
  plans: RunChecksInput['plans'];
  scratch?: Scratch;
}

/**
 * Proves fixes: for each finding whose fix is a local config change that is safe to try, a copy
 * of the config with that one fix applied is checked again — the same loader and pipeline, the
 * same deps, this server only — and the fix is marked `cleared` when the finding is gone,
 * `still-present` when it is not. Other fixes are marked `not-tried` with the reason. Servers are
 * tried concurrently (at most `options.concurrency` at once); the fixes of one server one after
 * the other. Each re-check is bounded like a normal check, by the server's own timeout.
 *
 * Sets `fix.verified`, `fix.verification` and `fix.verificationNote` on the report's findings.
 */
export async function verifyFixes(input: VerifyFixesInput): Promise<void> {
  const groups = new Map<string, FixCandidate[]>();
  for (const candidate of fixCandidates(input.report, input.selected, input.config)) {
    const key = candidate.server ?? '\u0000file';
    groups.set(key, [...(groups.get(key) ?? []), candidate]);
  }
  const tasks = [...groups.values()].map((group) => async () => {
    for (const candidate of group) {
      try {
        await verifyOne(candidate, input);
      } catch (error) {
        mark(candidate.finding, 'inconclusive', `mcp-doctor failed while trying the fix: ${error instanceof Error ? error.message : String(error)}`, input.redact);
      }
    }
  });
  await pool(tasks, Math.max(1, input.options.concurrency));
}

async function pool(tasks: Array<() => Promise<void>>, width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
}

function mark(finding: Finding, verification: FixVerification, note: string | undefined, redact: Redactor): void {
  const fix = finding.fix!;
  fix.verification = verification;
  if (verification === 'cleared') fix.verified = true;
  else if (verification === 'still-present') fix.verified = false;
  else delete fix.verified;
  if (note) fix.verificationNote = redact.text(note);
  else delete fix.verificationNote;
}

async function verifyOne(candidate: FixCandidate, input: VerifyFixesInput): Promise<void> {
  const { finding, server: serverName } = candidate;
  const fix = finding.fix!;
  const notTried = (reason: string) => mark(finding, 'not-tried', reason, input.redact);

  const planned = fixEdit(fix);
  if (planned.kind === 'none') return notTried(fix.command ? `it needs \`${fix.command}\`` : 'it is not a config change');
  if (planned.kind === 'unusable') return notTried(`it cannot be applied as written: ${planned.reason}`);
  if (candidate.blocked) return notTried(`it ${candidate.blocked}`);
  // A config read from layers is re-read the same way with the edited text in place of the one
  // file; one built without the loader (tests) is tried as a lone file in a scratch directory.
  const layered = input.config.loadOptions !== undefined;
  const known = candidate.path === input.config.path || (layered && input.config.files.includes(candidate.path));
  if (!known) return notTried(`the table is in ${candidate.path}, not in the config file being checked`);
  const server = input.config.servers.find((entry) => entry.config.name === serverName)?.config;
  const allowed = tryability(fix, planned.edit, serverName, server);
  if (!allowed.ok) return notTried(allowed.reason);
  const text = candidate.path === input.config.path ? input.configText : await input.deps.readFile(candidate.path);
  const edited = editToml(text, planned.edit);
  if (!edited.ok) return notTried(`it cannot be applied surgically: ${edited.reason}`);
  if (!edited.changed) return notTried('the config already has this change');

  const scratch = input.scratch ?? tempScratch;
  const dir = layered ? undefined : await scratch.makeDir();
  let after: Finding[];
  let stopped: string | undefined;
  try {
    let loaded;
    if (dir === undefined) {
      // The same layers (-c, --profile, system, project…), with the edited text in place of the
      // one file: nothing is written, and the re-check sees the config Codex would.
      loaded = await loadConfig({ ...input.config.loadOptions, deps: input.deps, texts: { [candidate.path]: edited.text } });
    } else {
      const path = join(dir, 'config.toml');
      await scratch.writeFile(path, edited.text);
      loaded = await loadConfig({ configPath: path, deps: input.deps });
    }
    if (loaded.fatal) return mark(finding, 'inconclusive', 'the edited config does not load', input.redact);
    if (serverName === null) {
      after = loaded.findings;
    } else if (finding.stage === 'config') {
      // The config stage is the loader's verdict: loading the edited file is the whole re-check.
      const entry = loaded.servers.find((e) => e.config.name === serverName);
      if (!entry) return mark(finding, 'inconclusive', 'the server is not in the edited config', input.redact);
      after = entry.findings;
    } else {
      const touchesTimeout = (planned.edit.set ?? []).some(([key]) => key === 'startup_timeout_sec' || key === 'startup_timeout_ms');
      const options: CheckOptions = {
        ...input.options,
        verbose: false,
        concurrency: 1,
        // A proposed startup_timeout_sec is what is being tried: --timeout must not override it.
        timeoutMs: touchesTimeout ? undefined : input.options.timeoutMs,
      };
      const reports = await runChecks({ config: loaded, selected: [serverName], deps: input.deps, options, redact: input.redact, plans: input.plans });
      const report = reports.find((r) => r.name === serverName);
      if (!report) return mark(finding, 'inconclusive', 'the server is not in the edited config', input.redact);
      after = report.findings;
      const stage = report.stages.find((s) => s.name === finding.stage);
      if (stage && (stage.status === 'skipped' || stage.status === 'crashed')) stopped = `${stage.name} ${stage.status === 'crashed' ? 'crashed' : 'did not run'}`;
    }
  } finally {
    if (dir !== undefined) await scratch.removeDir(dir);
  }

  const before = serverName === null ? input.report.findings : (input.report.servers.find((s) => s.name === serverName)?.findings ?? []);
  const sameCode = (f: Finding) => f.code === finding.code;
  const remaining = after.filter(sameCode);
  // The same code may be reported more than once (two unknown keys): this finding is gone when
  // its message is gone and the count dropped.
  const stillThere = remaining.some((f) => f.message === finding.message) || remaining.length >= before.filter(sameCode).length;
  const newErrors = [...new Set(after.filter((f) => f.severity === 'error' && !before.some((b) => b.code === f.code)).map((f) => f.code))];
  if (stillThere) return mark(finding, 'still-present', `the re-check with this change still reported ${finding.code}`, input.redact);
  // Gone, but replaced by another error in the same stage: the change moved the problem, it did not fix it.
  const replacedBy = [...new Set(after.filter((f) => f.severity === 'error' && f.stage === finding.stage && !before.some((b) => b.code === f.code)).map((f) => f.code))];
  if (replacedBy.length > 0) {
    return mark(finding, 'inconclusive', `${finding.code} is gone with this change, but ${finding.stage} then failed with ${replacedBy.join(', ')}`, input.redact);
  }
  if (stopped) {
    return mark(finding, 'inconclusive', `the re-check stopped before ${finding.stage} (${stopped}${newErrors.length ? `; it reported ${newErrors.join(', ')}` : ''})`, input.redact);
  }
  mark(finding, 'cleared', newErrors.length ? `the finding is gone; the re-check then reported ${newErrors.join(', ')}` : undefined, input.redact);
}
