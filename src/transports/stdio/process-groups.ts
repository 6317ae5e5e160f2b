import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process groups started by mcp-doctor that may still have members. If mcp-doctor itself is
 * ended early (an exception, SIGINT, SIGTERM) they are SIGKILLed, so no server outlives it:
 * detached children do not get the terminal's Ctrl-C.
 */
const liveGroups = new Set<number>();
let hooksInstalled = false;

const onProcessExit = () => killAllGroups();
const onSignal = (signal: NodeJS.Signals) => {
  killAllGroups();
  removeHooks();
  // Keep the default behaviour of the signal (terminate) unless someone else handles it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
};

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', onProcessExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

function removeHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', onProcessExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
}

export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  installHooks();
}

export function forgetGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0) removeHooks();
}

function killAllGroups(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

/** Signals every process of the group; a group with no members left is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nobody left in the group.
  }
}

/**
 * Live (non-zombie) members of a process group. On Linux /proc is read, because an orphaned
 * grandchild that already exited stays a zombie where PID 1 does not reap (containers), and
 * `kill(-pgid, 0)` would count it; elsewhere `kill(-pgid, 0)` answers yes or no.
 */
export function groupMembers(pgid: number): number[] | boolean {
  if (process.platform === 'linux') {
    const members: number[] = [];
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return groupAliveByKill(pgid);
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // Fields after the command name, which may itself contain spaces and parentheses.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
      } catch {
        // The process ended while we looked.
      }
    }
    return members;
  }
  return groupAliveByKill(pgid);
}

function groupAliveByKill(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function groupAlive(pgid: number): boolean {
  const members = groupMembers(pgid);
  return Array.isArray(members) ? members.length > 0 : members;
}
