// The harness of test/hostile/: runs the built CLI against a hostile server or config and
// measures what a user must never see: an exit code other than 0/1/2, a wall time past the
// timeout, a peak RSS of 300 MB or more, a secret in any output format (also base64-, URL- and
// JSON-encoded), raw control characters or a line forged by a peer-controlled string, and a
// process left behind.
//
// Peak RSS is the doctor's own (bench/resource-usage.cjs preloaded with -r writes
// process.resourceUsage().maxRSS at exit; children do not inherit it). Leftover processes are
// found by a marker: the test puts a unique string (`hostileMarker()`) into the command line of
// every process its server starts, and after the doctor exits /proc is scanned for it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './cli.ts';

const USAGE_PRELOAD = join(ROOT, 'bench', 'resource-usage.cjs');

export interface HostileRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** The doctor process's peak RSS in MB; NaN when it died before it could say (a signal). */
  peakRssMb: number;
  /** Processes still alive after the doctor exited whose command line holds the marker (killed by the harness). */
  leftover: { pid: number; cmdline: string }[];
}

/** A unique string to put into the command line of every process a hostile server starts. */
export function hostileMarker(): string {
  return `hostile-${randomUUID()}`;
}

/** Pids (other than ours) whose /proc cmdline contains `marker`. */
export function processesWithMarker(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(marker)) found.push({ pid: Number(entry), cmdline: cmdline.slice(0, 300) });
  }
  return found;
}

/**
 * Runs `dist/cli.js ...args` (build first) with a hard kill at `killAfterMs` so a hanging doctor
 * fails the test instead of hanging it. With `marker`, processes carrying it are looked for after
 * the exit (for up to `settleMs`, since a process that is being ended may need a moment) and
 * killed.
 */
export async function runHostile(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; killAfterMs?: number; marker?: string; settleMs?: number } = {},
): Promise<HostileRun> {
  const usageDir = mkdtempSync(join(tmpdir(), 'mcp-doctor-hostile-'));
  const usageFile = join(usageDir, 'usage.jsonl');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', BENCH_USAGE_FILE: usageFile, ...opts.env })) {
    if (v !== undefined) env[k] = v;
  }
  const started = performance.now();
  const result = await new Promise<Omit<HostileRun, 'peakRssMb' | 'leftover' | 'wallMs' | 'args'>>((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', USAGE_PRELOAD, CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The test's own memory stays bounded too: past 8 MB of output the rest is counted, not kept
    // (an unbounded report is a failure the assertions below report by its size).
    const cap = 8 * 1024 * 1024;
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], stdoutBytes: 0, stderrBytes: 0 };
    child.stdout.on('data', (d: Buffer) => {
      if (out.stdoutBytes < cap) out.stdout.push(d);
      out.stdoutBytes += d.length;
    });
    child.stderr.on('data', (d: Buffer) => {
      if (out.stderrBytes < cap) out.stderr.push(d);
      out.stderrBytes += d.length;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out.stdout).toString('utf8');
      const stderr = Buffer.concat(out.stderr).toString('utf8');
      resolve({
        code,
        signal,
        stdout: out.stdoutBytes > cap ? `${stdout}\n[harness: stdout was ${out.stdoutBytes} bytes]` : stdout,
        stderr: out.stderrBytes > cap ? `${stderr}\n[harness: stderr was ${out.stderrBytes} bytes]` : stderr,
      });
    });
  });
  const wallMs = performance.now() - started;
  let peakRssMb = Number.NaN;
  try {
    const lines = readFileSync(usageFile, 'utf8').trim().split('\n');
    peakRssMb = JSON.parse(lines[lines.length - 1]!).maxRssKb / 1024;
  } catch {
    // no line: the process was killed by a signal
  }
  rmSync(usageDir, { recursive: true, force: true });
  let leftover: { pid: number; cmdline: string }[] = [];
  if (opts.marker) {
    const deadline = performance.now() + (opts.settleMs ?? 1500);
    for (;;) {
      leftover = processesWithMarker(opts.marker);
      if (leftover.length === 0 || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of leftover) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  return { args, ...result, wallMs, peakRssMb, leftover };
}

/** The forms a secret can take in an output: as is, JSON-escaped, URL-encoded, base64 (std and url). */
export function secretForms(secret: string): string[] {
  const forms = new Set([
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    Buffer.from(secret).toString('hex'),
    // As a tool name Codex makes of it (`use <secret>` → `use_<secret with _>`).
    secret.replace(/[^A-Za-z0-9_]/g, '_'),
  ]);
  return [...forms].filter((f) => f.length >= 8);
}

export interface HostileExpectations {
  /** The server's (or whole check's) timeout in seconds: the wall time must stay within it + 3 s. */
  timeoutS: number;
  /** Every secret the doctor was given; none may appear in stdout or stderr in any form. */
  secrets?: string[];
  /** Text a peer-controlled string placed after a newline: no output line may start with it. */
  forged?: string[];
  /** Allowed exit codes (default 0, 1, 2). */
  exitCodes?: number[];
  /** Peak RSS bound in MB (default 300). */
  maxRssMb?: number;
}

/**
 * Raw C0 controls other than \n and \t, DEL and C1 controls (ESC, BEL, NUL, CR included), the
 * line and paragraph separators, and the bidirectional controls (U+202E reorders a line).
 */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The invariants every hostile case must keep, whatever the case's own finding is. */
export function assertHostileInvariants(run: HostileRun, expect: HostileExpectations): void {
  const where = `mcp-doctor ${run.args.join(' ')}`;
  const tail = `\n--- stdout (head) ---\n${run.stdout.slice(0, 3000)}\n--- stderr (head) ---\n${run.stderr.slice(0, 3000)}`;
  assert.ok(
    run.code !== null && (expect.exitCodes ?? [0, 1, 2]).includes(run.code),
    `${where}: exit ${run.code} (signal ${run.signal})${tail}`,
  );
  assert.ok(run.wallMs <= (expect.timeoutS + 3) * 1000, `${where}: took ${Math.round(run.wallMs)} ms for a ${expect.timeoutS} s timeout`);
  assert.ok(run.peakRssMb < (expect.maxRssMb ?? 300), `${where}: peak RSS ${run.peakRssMb.toFixed(0)} MB`);
  for (const secret of expect.secrets ?? []) {
    for (const form of secretForms(secret)) {
      assert.ok(!run.stdout.includes(form), `${where}: a secret (${form.slice(0, 4)}…) is in stdout${tail}`);
      assert.ok(!run.stderr.includes(form), `${where}: a secret (${form.slice(0, 4)}…) is in stderr${tail}`);
    }
  }
  const isJson = run.args.includes('--json') || run.args.includes('json');
  if (!isJson) {
    const bad = RAW_CONTROL.exec(run.stdout);
    assert.equal(bad, null, `${where}: raw control character U+${bad?.[0].charCodeAt(0).toString(16).padStart(4, '0')} in stdout${tail}`);
  } else {
    assert.doesNotThrow(() => JSON.parse(run.stdout), `${where}: stdout is not one JSON document${tail}`);
  }
  for (const forged of expect.forged ?? []) {
    for (const line of `${run.stdout}\n${run.stderr}`.split('\n')) {
      assert.ok(!line.trimStart().startsWith(forged), `${where}: a forged line: ${JSON.stringify(line.slice(0, 200))}`);
    }
  }
  assert.deepEqual(run.leftover, [], `${where}: processes left behind`);
}

/** Runs the same check in text, JSON and markdown and asserts the invariants on each. */
export async function checkAllFormats(
  args: string[],
  expect: HostileExpectations,
  opts: Parameters<typeof runHostile>[1] = {},
): Promise<{ text: HostileRun; json: HostileRun; markdown: HostileRun; report: any }> {
  const text = await runHostile(['check', ...args], opts);
  assertHostileInvariants(text, expect);
  const json = await runHostile(['check', '--json', ...args], opts);
  assertHostileInvariants(json, expect);
  const markdown = await runHostile(['check', '--format', 'markdown', ...args], opts);
  assertHostileInvariants(markdown, expect);
  return { text, json, markdown, report: JSON.parse(json.stdout) };
}
