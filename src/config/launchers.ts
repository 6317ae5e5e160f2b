/**
 * Recognises package runners (npx, uvx, docker run…) and bridges (mcp-remote, mcp-proxy) in a
 * server's command line. Runners download on first use, which is the usual cause of a first-run
 * startup timeout (Codex issue reports F1), and a `docker run` without `-i` has no stdin (F7).
 */

export type LauncherKind = 'npx' | 'uvx' | 'bunx' | 'pnpm dlx' | 'yarn dlx' | 'pipx run' | 'docker';

export interface Launcher {
  kind: LauncherKind;
  /** The package or image it runs, when it can be told from the arguments. */
  target?: string;
  /** The target names an exact version (or digest), so no lookup of "latest" is needed. */
  pinned: boolean;
  /** A command that installs the package (or pulls the image) ahead of time. */
  preinstall?: string;
}

/** `npx.cmd` → `npx`; `/usr/local/bin/uvx` → `uvx`. */
export function programName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  return base.replace(/\.(cmd|exe|bat|ps1)$/i, '').toLowerCase();
}

/** `cmd /c npx …` and `sh -c "npx …"` are unwrapped so the real launcher is seen. */
export function unwrapShell(command: string, args: string[]): { command: string; args: string[] } {
  const name = programName(command);
  if (name === 'cmd' && args.length >= 2 && /^\/[ck]$/i.test(args[0]!)) return { command: args[1]!, args: args.slice(2) };
  if (['sh', 'bash', 'zsh'].includes(name) && args[0] === '-c' && args[1]) {
    const words = args[1].trim().split(/\s+/);
    if (words[0]) return { command: words[0], args: words.slice(1) };
  }
  return { command, args };
}

/** First argument that is not a flag, skipping the values of flags listed in `withValue`. */
function firstOperand(args: string[], withValue: string[] = []): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (arg.startsWith('-')) {
      if (withValue.includes(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

function valueOf(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    for (const name of names) {
      if (arg === name) return args[i + 1];
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    }
  }
  return undefined;
}

function npmPinned(spec: string): boolean {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return false;
  const version = spec.slice(at + 1);
  return version !== '' && !['latest', 'next', 'beta', 'canary'].includes(version) && /\d/.test(version);
}

const DOCKER_VALUE_FLAGS = [
  '-e', '--env', '--env-file', '-v', '--volume', '--name', '-p', '--publish', '--network', '--net', '-w', '--workdir',
  '--entrypoint', '--mount', '-u', '--user', '--platform', '--label', '-l', '--add-host', '--memory', '-m', '--cpus',
  '--pull', '--restart', '-h', '--hostname', '--user-data', '--cap-add', '--cap-drop', '--device', '--tmpfs',
];

export function detectLauncher(command: string, args: string[]): Launcher | undefined {
  const real = unwrapShell(command, args);
  const name = programName(real.command);
  const a = real.args;
  switch (name) {
    case 'npx': {
      const target = valueOf(a, ['-p', '--package']) ?? firstOperand(a, ['-c', '--call']);
      return { kind: 'npx', target, pinned: !!target && npmPinned(target), preinstall: target ? `npm i -g ${target}` : undefined };
    }
    case 'bunx': {
      const target = firstOperand(a, ['-p', '--package']);
      return { kind: 'bunx', target, pinned: !!target && npmPinned(target), preinstall: target ? `bun add -g ${target}` : undefined };
    }
    case 'pnpm':
    case 'yarn': {
      if (a[0] !== 'dlx') return undefined;
      const target = firstOperand(a.slice(1), ['-p', '--package']);
      const kind: LauncherKind = name === 'pnpm' ? 'pnpm dlx' : 'yarn dlx';
      const install = name === 'pnpm' ? 'pnpm add -g' : 'npm i -g';
      return { kind, target, pinned: !!target && npmPinned(target), preinstall: target ? `${install} ${target}` : undefined };
    }
    case 'uvx': {
      const target = valueOf(a, ['--from']) ?? firstOperand(a, ['--with', '--python', '-p', '--index-url', '--from']);
      const pinned = !!target && /==|@\d/.test(target);
      return { kind: 'uvx', target, pinned, preinstall: target ? `uv tool install ${target}` : undefined };
    }
    case 'uv': {
      if (a[0] !== 'tool' || a[1] !== 'run') return undefined;
      const target = valueOf(a, ['--from']) ?? firstOperand(a.slice(2), ['--with', '--python', '-p']);
      return { kind: 'uvx', target, pinned: !!target && /==|@\d/.test(target), preinstall: target ? `uv tool install ${target}` : undefined };
    }
    case 'pipx': {
      if (a[0] !== 'run') return undefined;
      const target = valueOf(a, ['--spec']) ?? firstOperand(a.slice(1), ['--python']);
      return { kind: 'pipx run', target, pinned: !!target && /==/.test(target), preinstall: target ? `pipx install ${target}` : undefined };
    }
    case 'docker':
    case 'podman': {
      const run = a.indexOf('run');
      if (run < 0) return undefined;
      const target = firstOperand(a.slice(run + 1), DOCKER_VALUE_FLAGS);
      const pinned = !!target && (/@sha256:/.test(target) || (/:[^/]+$/.test(target) && !/:latest$/.test(target)));
      return { kind: 'docker', target, pinned, preinstall: target ? `${name} pull ${target}` : undefined };
    }
    default:
      return undefined;
  }
}

/** `docker run` without `-i` gives the container no stdin: it reads EOF and exits at once. */
export function dockerRunWithoutInteractive(command: string, args: string[]): boolean {
  const real = unwrapShell(command, args);
  const name = programName(real.command);
  if (name !== 'docker' && name !== 'podman') return false;
  const run = real.args.indexOf('run');
  if (run < 0) return false;
  for (const arg of real.args.slice(run + 1)) {
    if (!arg.startsWith('-')) break; // the image: flags after it belong to the container
    if (arg === '--interactive' || arg === '--interactive=true') return false;
    if (/^-[a-zA-Z]+$/.test(arg) && arg.includes('i')) return false;
  }
  return true;
}

export type BridgeKind = 'mcp-remote' | 'mcp-proxy' | 'supergateway';

export interface Bridge {
  kind: BridgeKind;
  url: string;
  /** The bridge's own arguments (the words after the program or package that names it). */
  args: string[];
  /** The version a package spec pins (`mcp-remote@0.1.18`), when it pins one. */
  version?: string;
}

const BRIDGE_KINDS: BridgeKind[] = ['mcp-remote', 'mcp-proxy', 'supergateway'];

/** `mcp-remote`, `mcp-remote@0.15.1`, `/usr/local/bin/mcp-remote`, `…/node_modules/mcp-remote/dist/proxy.js`. */
function bridgeWord(word: string): { kind: BridgeKind; version?: string } | undefined {
  const segments = word.split(/[\\/]/);
  for (const kind of BRIDGE_KINDS) {
    if (programName(word) === kind) return { kind };
    const spec = /^(?:@[^/]+\/)?([^@/]+)(?:@(.+))?$/.exec(word);
    if (spec && spec[1] === kind) return { kind, ...(spec[2] && /\d/.test(spec[2]) && spec[2] !== 'latest' ? { version: spec[2] } : {}) };
    // A package's entry point run by node: the package directory names the bridge.
    if (segments.length > 1 && segments.slice(0, -1).includes(kind) && /\.(?:m?js|cjs)$/.test(word)) return { kind };
  }
  return undefined;
}

/** A stdio server that is really a bridge to a remote URL (`npx -y mcp-remote https://…`). */
export function detectBridge(command: string, args: string[]): Bridge | undefined {
  const real = unwrapShell(command, args);
  const words = [real.command, ...real.args];
  for (let i = 0; i < words.length; i++) {
    const found = bridgeWord(words[i]!);
    if (!found) continue;
    const rest = words.slice(i + 1);
    const url = rest.find((w) => /^https?:\/\//i.test(w));
    return url ? { kind: found.kind, url, args: rest, ...(found.version ? { version: found.version } : {}) } : undefined;
  }
  return undefined;
}
