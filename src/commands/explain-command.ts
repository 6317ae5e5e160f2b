import { closeCodes, isFindingCode, renderExplain } from '../findings/explain.ts';
import type { Io } from './check-command.ts';

/** Contract §1: unknown code → exit 2 with the list of close matches. */
export function runExplainCommand(code: string, io: Io): number {
  if (isFindingCode(code)) {
    io.stdout.write(`${renderExplain(code)}\n`);
    return 0;
  }
  const close = closeCodes(code);
  io.stderr.write(
    `mcp-doctor: unknown finding code "${code}".${close.length ? `\nDid you mean:\n${close.map((c) => `  ${c}`).join('\n')}` : ''}\n`,
  );
  return 2;
}
