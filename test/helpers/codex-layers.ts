// Asking the real Codex about config layers: `codex [-p NAME] mcp list --json` (the effective
// servers, with `enabled` and `disabled_reason`; `codex app-server` takes no --profile) and
// `codex app-server`'s `config/read` (the effective config with Codex's own per-key origins).
//
// The machine-wide layers live in /etc/codex and Codex 0.171 offers no way to move them. So a test
// that needs them runs Codex in a private mount namespace (`unshare -Urm`: an unprivileged user
// namespace where the process is root) in which /etc is an overlay with a tmpfs upper layer and
// the test's directory is bind-mounted on /etc/codex. Nothing outside that process sees it; other
// processes on the machine keep the real /etc. Where user namespaces are unavailable the tests
// say so and skip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodexCommand } from '../../src/codex/app-server.ts';

const SCRIPT = [
  'set -e',
  'mount -t tmpfs tmpfs "$1"',
  'mkdir "$1/u" "$1/w"',
  'mount -t overlay overlay -o lowerdir=/etc,upperdir="$1/u",workdir="$1/w" /etc',
  'mkdir -p /etc/codex',
  'mount --bind "$2" /etc/codex',
  'shift 2',
  'exec "$@"',
].join('\n');

let namespaces: boolean | undefined;

/** Whether `unshare -Urm` with an overlay on /etc works here. */
export function etcNamespaceAvailable(): boolean {
  if (namespaces !== undefined) return namespaces;
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-ns-'));
  const etc = mkdtempSync(join(tmpdir(), 'mcp-doctor-etc-'));
  try {
    const r = spawnSync('unshare', ['-Urm', 'sh', '-c', SCRIPT, 'sh', scratch, etc, 'test', '-d', '/etc/codex'], { timeout: 10_000 });
    namespaces = r.status === 0;
  } catch {
    namespaces = false;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(etc, { recursive: true, force: true });
  }
  return namespaces;
}

/** A command prefix that runs `cmd` with `etcDir` as /etc/codex; `scratch` is an empty directory for the overlay. */
export function inEtcNamespace(cmd: CodexCommand, etcDir: string, scratch: string): CodexCommand {
  return { command: 'unshare', args: ['-Urm', 'sh', '-c', SCRIPT, 'sh', scratch, etcDir, cmd.command, ...cmd.args] };
}

export interface McpListEntry {
  name: string;
  enabled: boolean;
  disabled_reason: string | null;
  transport: { type: string; command?: string; args?: string[]; url?: string };
  startup_timeout_sec: number | null;
}

/** `codex [-p NAME] mcp list --json [-c …]` with CODEX_HOME = `home`, run in `cwd`. */
export function codexMcpList(cmd: CodexCommand, opts: { home: string; cwd: string; profile?: string; overrides?: string[]; env?: NodeJS.ProcessEnv }): McpListEntry[] | { error: string } {
  const args = [...cmd.args, ...(opts.profile ? ['-p', opts.profile] : []), 'mcp', 'list', '--json', ...(opts.overrides ?? []).flatMap((o) => ['-c', o])];
  const r = spawnSync(cmd.command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env, CODEX_HOME: opts.home }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    const text = `${r.stderr ?? ''}`.split('\n').filter((l) => l && !l.startsWith('WARNING') && !/^\s*\d+: /.test(l) && l.trim() !== 'Stack backtrace:').join('\n');
    return { error: text || `codex exited with ${r.status ?? r.signal} ${r.error?.message ?? ''}` };
  }
  return JSON.parse(r.stdout) as McpListEntry[];
}
