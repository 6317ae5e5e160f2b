import { isAbsolute, resolve } from 'node:path';
import type { Deps } from '../pipeline/context.ts';
import { realFileProbe, resolveCommand, type FileProbe } from '../transports/stdio/resolve-command.ts';
import type { CodexCommand } from './app-server.ts';

export type CodexLocation = { found: true; codex: CodexCommand; path: string } | { found: false; reason: string };

/**
 * The Codex CLI to ask: `--codex-bin PATH` when given, else `codex` on the PATH of the
 * environment mcp-doctor runs in (the Codex the user would start from this shell).
 */
export async function locateCodex(deps: Pick<Deps, 'env' | 'platform' | 'cwd'>, bin?: string, probe: FileProbe = realFileProbe): Promise<CodexLocation> {
  if (bin !== undefined) {
    const path = isAbsolute(bin) ? bin : resolve(deps.cwd, bin);
    if (!(await probe.isFile(path))) return { found: false, reason: `--codex-bin ${bin}: no such file` };
    if (!(await probe.isExecutableFile(path, deps.platform))) return { found: false, reason: `--codex-bin ${bin}: not executable` };
    return { found: true, codex: { command: path, args: [] }, path };
  }
  const found = await resolveCommand({ command: 'codex', cwd: deps.cwd, childEnv: deps.env, userEnv: deps.env, platform: deps.platform, probe });
  if (!found.found || !found.path) return { found: false, reason: 'codex is not on the PATH (install it with `npm install -g @openai/codex`, or pass --codex-bin PATH)' };
  return { found: true, codex: { command: found.path, args: [] }, path: found.path };
}
