// PLACEHOLDER: replaced by the output work (ora on a TTY).
import type { ProgressSink } from '../pipeline/run-checks.ts';

export function createProgress(_options: { enabled: boolean; stream: NodeJS.WriteStream }): ProgressSink & { stop(): void } {
  return { stop() {} };
}
