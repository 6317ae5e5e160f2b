import { REGISTRY } from '../findings/registry.ts';
import { closeCodes, listCodes, renderExplain, resolveCode } from '../report/explain.ts';
import type { Io } from './check-command.ts';

/**
 * `explain CODE` prints the code's page; no code lists them all. Contract §1: an unknown code
 * exits 2 with the list of close matches.
 */
export function runExplainCommand(code: string | undefined, io: Pick<Io, 'stdout' | 'stderr'>): number {
  if (code === undefined || code.trim() === '') {
    io.stdout.write(listCodes());
    return 0;
  }
  const known = resolveCode(code);
  if (known) {
    io.stdout.write(`${renderExplain(known)}\n`);
    return 0;
  }
  const close = closeCodes(code);
  const width = Math.max(0, ...close.map((c) => c.length));
  const suggestions = close.map((c) => `  ${c.padEnd(width)}  ${REGISTRY[c as keyof typeof REGISTRY].title}`);
  io.stderr.write(
    `mcp-doctor: unknown finding code "${code}".\n` +
      (close.length ? `Did you mean:\n${suggestions.join('\n')}\n` : '') +
      'Run "mcp-doctor explain" with no code to list every code.\n',
  );
  return 2;
}
