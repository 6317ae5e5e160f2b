/** `command` names a directory: Codex's spawn fails with "Permission denied (os error 13)" (measured, 0.171). */
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';

export function commandIsDirectoryFinding(ctx: ServerContext, directory: string): Finding {
  const shown = ctx.redact.text(directory);
  return makeFinding('stdio.command-is-directory', {
    stage: 'discovery',
    message: `The command of "${ctx.server.name}", ${shown}, is a directory, not a program. Codex cannot start it ("MCP startup failed: Permission denied (os error 13)").`,
    evidence: { command: shown, kind: 'directory' },
    fix: { summary: `Point \`command\` at the program inside ${shown} (often its bin/ entry), or at the interpreter with the script in \`args\`.` },
  });
}
