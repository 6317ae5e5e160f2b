// PLACEHOLDER: replaced by the demo work.
import type { CheckArgs, Io } from './check-command.ts';

export async function runDemoCommand(_args: CheckArgs, io: Io): Promise<number> {
  io.stderr.write('demo: not implemented yet\n');
  return 3;
}
