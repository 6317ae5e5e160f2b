import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { PROCESS_TREE_POLL_MS } from '../../limits.ts';

/**
 * Every process a stdio server starts, found while it runs, so that the check can end them all.
 *
 * Ending the server's process group is not enough: a grandchild that calls setsid() (or is
 * spawned detached) leaves the group, and one that ignores SIGTERM outlived the doctor. On Linux
 * the descendants of each tracked server are looked up in /proc while the server runs (one scan
 * of /proc every POLL_MS for all tracked servers, plus one at shutdown) and remembered with their
 * start time, so that a pid reused after the process ended is never signalled. At shutdown the
 * survivors get SIGTERM, then SIGKILL after a grace.
 *
 * A process started and reparented between two scans (a double fork whose middle process exits
 * within POLL_MS: `sh -c '(setsid daemon &)'` takes a millisecond) is never seen as a descendant.
 * Such an orphan is still recognised by what it inherited from the server, on every scan, if it
 * started after the server did:
 * - it holds one of the server's stdio pipes (only the server's own processes can), or
 * - it is an orphan (its parent is pid 1 or a systemd manager, where orphans are reparented) and
 *   its environment is the one the server was started with, but for what a shell on the way sets
 *   (`_`, SHLVL, PWD, OLDPWD): Codex's reduced environment plus `env`, which no unrelated process
 *   of the user has.
 * Limits: an orphan that closed the pipes and changed its environment before the next scan is
 * not recognised; elsewhere than Linux this module does nothing and the process group
 * (shutdown.ts) is what is ended.
 */

export const POLL_MS = PROCESS_TREE_POLL_MS;

interface Proc {
  ppid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  start: string;
  zombie: boolean;
}

interface Tree {
  root: number;
  /** pid -> start time of every descendant seen. */
  seen: Map<number, string>;
  /** The server's start time (clock ticks since boot): an orphan started before it is not its. */
  start?: number;
  /** The server's stdio pipes (`pipe:[inode]`). */
  pipes: Set<string>;
  /**
   * The environments of the server and its known descendants, as /proc/PID/environ shows them
   * (sorted; at most MAX_ENVS): the one it was started with, and those a wrapper on the way set
   * (a pyenv or asdf shim execs the real program with variables of its own).
   */
  envs: Set<string>;
}

const trees = new Map<number, Tree>();
let timer: NodeJS.Timeout | undefined;
let exitHook = false;

const supported = (): boolean => process.platform === 'linux';

function readProc(pid: string): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), start: fields[19] ?? '', zombie: fields[0] === 'Z' || fields[0] === 'X' };
  } catch {
    return undefined; // ended while we looked
  }
}

/** One scan of /proc: pid -> process. */
function snapshot(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const proc = readProc(entry);
    if (proc) out.set(Number(entry), proc);
  }
  return out;
}

function fdLinks(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
  } catch {
    return []; // another user's process, or gone
  }
}

function environOf(pid: number): string | undefined {
  try {
    return envSignature(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean));
  } catch {
    return undefined;
  }
}

/** Variables a shell on the way (`sh -c '(setsid daemon &)'`) sets for what it starts. */
const SHELL_SET = /^(?:_|SHLVL|PWD|OLDPWD)=/;

function envSignature(entries: string[]): string {
  return entries
    .filter((e) => !SHELL_SET.test(e))
    .sort()
    .join('\0');
}

/** Where orphans are reparented: pid 1, or a systemd (user) manager, a subreaper. */
function isReaper(pid: number): boolean {
  if (pid <= 1) return true;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

/** What a process inherited, read once per process (fds and environment do not come back). */
const inherited = new Map<string, { links: string[]; env?: string }>();

/**
 * Processes a server caused that a double fork hid from the descendant walk (see the header):
 * each new process that is no tree's yet is matched once, by pipe, else (an orphan) by its
 * environment, to the latest-started tree with that environment.
 */
function adoptOrphans(procs: Map<number, Proc>): void {
  const watching = [...trees.values()].filter((t) => t.start !== undefined && (t.pipes.size > 0 || t.envs.size > 0));
  if (watching.length === 0) return;
  const earliest = Math.min(...watching.map((t) => t.start!));
  const owned = new Set<number>();
  for (const tree of trees.values()) {
    owned.add(tree.root);
    for (const pid of tree.seen.keys()) owned.add(pid);
  }
  const live = new Set<string>();
  for (const [pid, p] of procs) {
    const start = Number(p.start);
    if (p.zombie || pid === process.pid || owned.has(pid) || !(start >= earliest)) continue;
    const key = `${pid}:${p.start}`;
    live.add(key);
    let info = inherited.get(key);
    if (!info) {
      info = { links: fdLinks(pid) };
      const env = environOf(pid);
      if (env !== undefined) info.env = env;
      inherited.set(key, info);
    }
    const byPipe = watching.find((t) => t.start! <= start && info.links.some((link) => t.pipes.has(link)));
    const byEnv = byPipe ?? (info.env === undefined ? undefined : watching.filter((t) => t.start! <= start && t.envs.has(info.env!)).sort((a, b) => b.start! - a.start!)[0]);
    // Only an orphan is taken by its environment: a process whose parent lives is someone's.
    if (byEnv && (byPipe || isReaper(p.ppid))) byEnv.seen.set(pid, p.start);
  }
  for (const key of inherited.keys()) if (!live.has(key)) inherited.delete(key);
}

/** At most this many environments are remembered per server (a process tree rarely has two). */
const MAX_ENVS = 8;

/** The environments the server and its live descendants run with now (see Tree.envs). */
function learnEnvironments(tree: Tree, procs: Map<number, Proc>): void {
  for (const [pid, start] of [[tree.root, undefined] as const, ...tree.seen]) {
    if (tree.envs.size >= MAX_ENVS) return;
    if (start !== undefined && procs.get(pid)?.start !== start) continue;
    if (!procs.has(pid)) continue;
    const env = environOf(pid);
    if (env !== undefined) tree.envs.add(env);
  }
}

/** Adds to each tree the live processes whose parent is its root or a descendant already seen. */
function update(procs: Map<number, Proc>): void {
  for (const tree of trees.values()) learnEnvironments(tree, procs);
  adoptOrphans(procs);
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) {
    let list = children.get(p.ppid);
    if (!list) children.set(p.ppid, (list = []));
    list.push(pid);
  }
  for (const tree of trees.values()) {
    // Parents: the root, and every descendant seen before that is still the same process (a
    // reparented orphan's own children are found through it).
    const queue = [tree.root];
    for (const [pid, start] of tree.seen) if (procs.get(pid)?.start === start) queue.push(pid);
    const visited = new Set<number>();
    while (queue.length > 0) {
      const parent = queue.pop()!;
      if (visited.has(parent)) continue;
      visited.add(parent);
      for (const child of children.get(parent) ?? []) {
        const p = procs.get(child)!;
        if (!tree.seen.has(child)) tree.seen.set(child, p.start);
        queue.push(child);
      }
    }
  }
}

function tick(): void {
  if (trees.size === 0) return;
  update(snapshot());
}

/**
 * Starts recording the descendants of `root` (a server process just spawned with `env`, its
 * whole environment).
 */
export function trackTree(root: number, env?: Record<string, string>): void {
  if (!supported() || trees.has(root)) return;
  const self = readProc(String(root));
  const pipes = new Set<string>();
  for (const fd of [0, 1, 2]) {
    try {
      const link = readlinkSync(`/proc/${root}/fd/${fd}`);
      if (link.startsWith('pipe:')) pipes.add(link);
    } catch {
      // gone already, or not ours to read
    }
  }
  trees.set(root, {
    root,
    seen: new Map(),
    ...(self && { start: Number(self.start) }),
    pipes,
    envs: new Set(env ? [envSignature(Object.entries(env).map(([k, v]) => `${k}=${v}`))] : []),
  });
  if (!timer) {
    timer = setInterval(tick, POLL_MS);
    timer.unref();
  }
  if (!exitHook) {
    exitHook = true;
    // The doctor ended early (an exception, a signal): SIGKILL what is known, synchronously.
    process.on('exit', killAllKnown);
  }
  tick();
}

/**
 * Scans now (the caller is about to end `root`: once it is gone, its orphans are reparented and
 * can no longer be told apart from anyone else's processes).
 */
export function scanTree(root: number): void {
  if (trees.has(root)) update(snapshot());
}

/** Descendants of `root` recorded so far that are still the same, live processes. */
export function liveDescendants(root: number, procs: Map<number, Proc> = snapshot()): number[] {
  const tree = trees.get(root);
  if (!tree) return [];
  const out: number[] = [];
  for (const [pid, start] of tree.seen) {
    const p = procs.get(pid);
    if (p && p.start === start && !p.zombie) out.push(pid);
  }
  return out;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

function killAllKnown(): void {
  const procs = snapshot();
  for (const root of trees.keys()) signal(liveDescendants(root, procs), 'SIGKILL');
}

function stopTracking(root: number): void {
  trees.delete(root);
  if (trees.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Ends every recorded descendant of `root` still alive (the server itself is ended by the
 * caller): one last scan, SIGTERM, up to `termGraceMs` for them to go, SIGKILL, up to
 * `killGraceMs`. Returns the pids that had to be ended.
 */
export async function endDescendants(root: number, timings: { termGraceMs: number; killGraceMs: number }): Promise<number[]> {
  if (!trees.has(root)) return [];
  update(snapshot());
  const ended = liveDescendants(root);
  if (ended.length > 0) {
    signal(ended, 'SIGTERM');
    const until = performance.now() + timings.termGraceMs;
    while (liveDescendants(root).length > 0 && performance.now() < until) await sleep(25);
    const stubborn = liveDescendants(root);
    if (stubborn.length > 0) {
      signal(stubborn, 'SIGKILL');
      const killUntil = performance.now() + timings.killGraceMs;
      while (liveDescendants(root).length > 0 && performance.now() < killUntil) await sleep(10);
    }
  }
  // A process that forks a successor and exits (every few ms, a "fork loop") outruns one round:
  // scan and SIGKILL until two scans in a row find nothing, within the kill grace.
  const loopUntil = performance.now() + timings.killGraceMs;
  const hadDescendants = trees.get(root)!.seen.size > 0;
  let quiet = 0;
  while (hadDescendants && quiet < 2 && performance.now() < loopUntil) {
    update(snapshot());
    const live = liveDescendants(root);
    if (live.length === 0) quiet++;
    else {
      quiet = 0;
      for (const pid of live) if (!ended.includes(pid)) ended.push(pid);
      signal(live, 'SIGKILL');
    }
    await sleep(5);
  }
  stopTracking(root);
  return ended;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
