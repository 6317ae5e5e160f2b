import { spawn as nodeSpawn } from 'node:child_process';
import { forgetGroup, groupAlive, groupMembers, signalGroup } from './process-groups.ts';
import type { StdioSession } from './stdio-session.ts';

// Ending a session: stdin, then SIGTERM and SIGKILL of its process group. The registry of live
// groups is process-groups.ts, which the session itself needs at spawn time (keeping it here
// made this file and stdio-session.ts import each other).

export interface EofObservation {
  /** The server process exited by itself after stdin closed. */
  exited: boolean;
  /** Milliseconds from closing stdin to the exit. */
  exitMs?: number;
  /** Processes of its group still running once the server exited (grandchildren it started). */
  leftovers: number[];
}

/**
 * Closes stdin and watches: a server SHOULD exit on EOF (spec, stdio shutdown). The official SDK
 * client waits 2 s before SIGTERM, so that is the grace a well-behaved server gets.
 */
export async function observeEof(session: StdioSession, graceMs: number): Promise<EofObservation> {
  const now = () => session.now();
  const started = now();
  session.closeStdin();
  const exit = await session.waitForExit(graceMs);
  if (!exit) return { exited: false, leftovers: [] };
  const exitMs = Math.max(0, Math.round(exit.at - started));
  if (!session.spec.processGroup) return { exited: true, exitMs, leftovers: [] };
  // Give grandchildren that follow their parent a moment, within the same grace.
  const deadline = started + graceMs;
  let members = groupMembers(session.pid);
  while ((Array.isArray(members) ? members.length > 0 : members) && now() < deadline) {
    await sleep(50);
    members = groupMembers(session.pid);
  }
  const leftovers = Array.isArray(members) ? members : members ? [-session.pid] : [];
  return { exited: true, exitMs, leftovers };
}

export interface ShutdownTimings {
  /** After closing stdin, how long to wait before SIGTERM. */
  eofGraceMs: number;
  /** After SIGTERM, how long to wait before SIGKILL. */
  termGraceMs: number;
  /** After SIGKILL, how long to wait for the exit event. */
  killGraceMs: number;
}

export const DEFAULT_SHUTDOWN: ShutdownTimings = { eofGraceMs: 500, termGraceMs: 1000, killGraceMs: 500 };

/**
 * Ends a session and everything it started: close stdin, wait, SIGTERM the process GROUP, wait,
 * SIGKILL the group. Grandchildren (an npx wrapper's node, a shell's children) die too, even
 * when the server itself already exited and left them holding its pipes.
 */
export async function shutdown(session: StdioSession, timings: ShutdownTimings = DEFAULT_SHUTDOWN): Promise<void> {
  session.closeStdin();
  // Time since an earlier EOF (the tools stage watches it) counts toward the grace.
  const sinceEof = session.now() - (session.stdinClosedAt ?? session.now());
  if (session.alive) await session.waitForExit(Math.max(0, timings.eofGraceMs - sinceEof));
  const pgid = session.pid;

  if (!session.spec.processGroup) {
    if (process.platform === 'win32') {
      if (session.alive) await taskkillTree(pgid);
    } else if (session.alive) {
      session.kill('SIGTERM');
      if (!(await session.waitForExit(timings.termGraceMs))) session.kill('SIGKILL');
    }
    await session.waitForExit(timings.killGraceMs);
    return;
  }

  const anyoneLeft = () => session.alive || groupAlive(pgid);
  if (anyoneLeft()) {
    signalGroup(pgid, 'SIGTERM');
    const until = session.now() + timings.termGraceMs;
    while (anyoneLeft() && session.now() < until) await sleep(25);
    if (anyoneLeft()) {
      signalGroup(pgid, 'SIGKILL');
      // SIGKILL cannot be ignored, but dying takes a moment: wait so that "ended" means ended.
      const killUntil = session.now() + timings.killGraceMs;
      while (anyoneLeft() && session.now() < killUntil) await sleep(10);
    }
  }
  forgetGroup(pgid);
}

function taskkillTree(pid: number): Promise<void> {
  return new Promise((resolve) => {
    try {
      const child = nodeSpawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
      const timer = setTimeout(resolve, 2000);
      child.once('exit', () => (clearTimeout(timer), resolve()));
      child.once('error', () => (clearTimeout(timer), resolve()));
    } catch {
      resolve();
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
