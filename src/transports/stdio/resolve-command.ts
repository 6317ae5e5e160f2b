import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { lookupEnv, type Env } from './child-env.ts';

/** The file-system questions resolution asks; injectable so tests can fake a machine. */
export interface FileProbe {
  isExecutableFile(file: string, platform: NodeJS.Platform): Promise<boolean>;
  isFile(file: string): Promise<boolean>;
  isDirectory(dir: string): Promise<boolean>;
  listDirectory(dir: string): Promise<string[]>;
  /** The first bytes of a file (for `#!` lines), or undefined when unreadable. */
  readHead(file: string): Promise<string | undefined>;
}

export const realFileProbe: FileProbe = {
  async isExecutableFile(file, platform) {
    try {
      const info = await stat(file);
      if (!info.isFile()) return false;
      // Windows has no execute bit: existence with a PATHEXT extension is what counts.
      if (platform === 'win32') return true;
      await access(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  async isFile(file) {
    try {
      return (await stat(file)).isFile();
    } catch {
      return false;
    }
  },
  async isDirectory(dir) {
    try {
      return (await stat(dir)).isDirectory();
    } catch {
      return false;
    }
  },
  async listDirectory(dir) {
    try {
      return await readdir(dir);
    } catch {
      return [];
    }
  },
  async readHead(file) {
    try {
      return (await readFile(file)).subarray(0, 256).toString('utf8');
    } catch {
      return undefined;
    }
  },
};

export interface ResolveCommandInput {
  command: string;
  /** The directory the server starts in (absolute). */
  cwd: string;
  /** The environment the server gets: its PATH (and PATHEXT on Windows) are what Codex searches. */
  childEnv: Env;
  /** The environment mcp-doctor runs in, to tell "not installed" from "not on the server's PATH". */
  userEnv: Env;
  platform: NodeJS.Platform;
  probe?: FileProbe;
}

export interface CommandResolution {
  found: boolean;
  /** Absolute path of the program when found. */
  path?: string;
  /** The command has a directory part, so no PATH search applies. */
  isPath: boolean;
  /** Directories searched, in order (for a path command: its directory). */
  searched: string[];
  /** File names tried in each directory (PATHEXT variants on Windows). */
  names: string[];
  /** When not found: where else the program exists, and how that was found. */
  elsewhere?: { path: string; via: 'user-path' | 'known-location' };
  /** When not found: a file of that name that exists but is not executable (spawning it gives EACCES). */
  notExecutable?: string;
  /** When not found: the command names a directory (spawning it gives EACCES, "Permission denied"). */
  directory?: string;
}

const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';

function pathApi(platform: NodeJS.Platform) {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** Joins in the directory's own separator style, so Windows-shaped tests work on a POSIX disk. */
function joinDir(dir: string, name: string, platform: NodeJS.Platform): string {
  if (platform !== 'win32') return path.posix.join(dir, name);
  const sep = dir.includes('\\') || /^[A-Za-z]:/.test(dir) ? '\\' : '/';
  return dir.endsWith('\\') || dir.endsWith('/') ? dir + name : dir + sep + name;
}

export function hasDirectoryPart(command: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' ? /[\\/]/.test(command) || /^[A-Za-z]:/.test(command) : command.includes('/');
}

export function splitPathList(value: string | undefined, platform: NodeJS.Platform): string[] {
  if (!value) return [];
  return value.split(platform === 'win32' ? ';' : ':').map((d) => d.trim().replace(/^"(.*)"$/, '$1'));
}

/**
 * File names to try for `command`: on Windows the PATHEXT variants (`npx` → `npx.CMD`…), as
 * `which::which_in` does; a name that already carries one of those extensions is tried as is.
 */
export function candidateNames(command: string, env: Env, platform: NodeJS.Platform): string[] {
  if (platform !== 'win32') return [command];
  const exts = (lookupEnv(env, 'PATHEXT', platform) ?? DEFAULT_PATHEXT)
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('.'));
  const lower = command.toLowerCase();
  if (exts.some((e) => lower.endsWith(e.toLowerCase()))) return [command];
  // Windows file names are case-insensitive; the lower-case variant is the one found on disk in
  // practice (npx.cmd), and on a case-sensitive test disk it is the one that matches.
  return exts.flatMap((e) => [command + e.toLowerCase(), ...(e.toLowerCase() !== e ? [command + e] : [])]);
}

async function searchDirs(
  dirs: string[],
  names: string[],
  platform: NodeJS.Platform,
  probe: FileProbe,
): Promise<string | undefined> {
  for (const dir of dirs) {
    for (const name of names) {
      const file = joinDir(dir, name, platform);
      if (await probe.isExecutableFile(file, platform)) return file;
    }
  }
  return undefined;
}

/** Where version managers and package managers put binaries that a GUI-launched PATH lacks. */
async function knownLocations(userEnv: Env, platform: NodeJS.Platform, probe: FileProbe): Promise<string[]> {
  const api = pathApi(platform);
  if (platform === 'win32') {
    const dirs: string[] = [];
    const appData = lookupEnv(userEnv, 'APPDATA', platform);
    const programFiles = lookupEnv(userEnv, 'PROGRAMFILES', platform);
    const profile = lookupEnv(userEnv, 'USERPROFILE', platform);
    if (appData) dirs.push(api.join(appData, 'npm'));
    if (programFiles) dirs.push(api.join(programFiles, 'nodejs'));
    if (profile) dirs.push(api.join(profile, '.local', 'bin'), api.join(profile, '.cargo', 'bin'));
    return dirs;
  }
  const home = userEnv.HOME;
  const dirs: string[] = [];
  if (home) {
    const nvm = api.join(userEnv.NVM_DIR ?? api.join(home, '.nvm'), 'versions', 'node');
    // Newest first: `v22.1.0` sorts after `v20.9.0` numerically, not lexically.
    const versions = (await probe.listDirectory(nvm)).sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
    dirs.push(...versions.map((v) => api.join(nvm, v, 'bin')));
    dirs.push(
      ...['.local/bin', '.cargo/bin', '.bun/bin', '.volta/bin', '.deno/bin', '.npm-global/bin', 'n/bin', 'Library/pnpm', '.local/share/pnpm'].map(
        (d) => api.join(home, d),
      ),
    );
  }
  dirs.push('/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin', '/snap/bin');
  return dirs;
}

/**
 * Resolves `command` as Codex would: a name with a directory part against `cwd`, a bare name on
 * the CHILD environment's PATH (with PATHEXT on Windows). When that fails, also looks on the
 * user's own PATH and in well-known install locations, to tell "not installed" from "not on
 * the PATH the server gets" (GUI launches, nvm loaded only in interactive shells).
 */
export async function resolveCommand(input: ResolveCommandInput): Promise<CommandResolution> {
  const { command, cwd, childEnv, userEnv, platform } = input;
  const probe = input.probe ?? realFileProbe;
  const api = pathApi(platform);
  const names = candidateNames(command, childEnv, platform);

  if (hasDirectoryPart(command, platform)) {
    const absolute = api.isAbsolute(command) ? command : joinDir(cwd, command, platform);
    const dir = api.dirname(absolute);
    const base = api.basename(absolute);
    const tried = candidateNames(base, childEnv, platform);
    const found = await searchDirs([dir], tried, platform, probe);
    if (found) return { found: true, path: found, isPath: true, searched: [dir], names: tried };
    const result: CommandResolution = { found: false, isPath: true, searched: [dir], names: tried };
    if (await probe.isFile(absolute)) result.notExecutable = absolute;
    else if (await probe.isDirectory(absolute)) result.directory = absolute;
    return result;
  }

  const childPath = lookupEnv(childEnv, 'PATH', platform);
  // An empty PATH entry means the current directory (POSIX execvp), i.e. the server's cwd.
  const searched = splitPathList(childPath, platform).map((d) => (d === '' ? cwd : d));
  const found = await searchDirs(searched, names, platform, probe);
  if (found) return { found: true, path: found, isPath: false, searched, names };

  const result: CommandResolution = { found: false, isPath: false, searched, names };
  for (const dir of searched) {
    const file = joinDir(dir, command, platform);
    if (platform !== 'win32' && (await probe.isFile(file))) {
      result.notExecutable = file;
      return result;
    }
  }
  const userDirs = splitPathList(lookupEnv(userEnv, 'PATH', platform), platform).filter((d) => d !== '' && !searched.includes(d));
  const userNames = candidateNames(command, userEnv, platform);
  const onUserPath = await searchDirs(userDirs, userNames, platform, probe);
  if (onUserPath) {
    result.elsewhere = { path: onUserPath, via: 'user-path' };
    return result;
  }
  const known = (await knownLocations(userEnv, platform, probe)).filter((d) => !searched.includes(d));
  const atKnown = await searchDirs(known, userNames, platform, probe);
  if (atKnown) result.elsewhere = { path: atKnown, via: 'known-location' };
  return result;
}

/**
 * The interpreter of a `#!/usr/bin/env NAME` script (npx, most npm bins, Python entry points): the
 * script is found but the kernel still needs NAME on the server's PATH.
 */
export async function envInterpreter(file: string, probe: FileProbe = realFileProbe): Promise<string | undefined> {
  const head = await probe.readHead(file);
  const match = head ? /^#!\s*\/usr\/bin\/env\s+(?:-S\s+)?([^\s]+)/.exec(head) : null;
  return match?.[1];
}
