import type { LoadedConfig } from '../config/server-config.ts';
import { startMemoryGuard } from './large-answers.ts';
import type { Redactor } from '../redact.ts';
import type { ServerReport, StageName } from '../types.ts';
import type { CheckOptions, Deps } from './context.ts';
import { runServer, type PlanFactory } from './run-server.ts';

export interface ProgressSink {
  serverStarted?(name: string): void;
  stageStarted?(name: string, stage: StageName): void;
  serverFinished?(report: ServerReport): void;
}

export interface RunChecksInput {
  config: LoadedConfig;
  /** Names given on the command line; empty means every server. */
  selected: string[];
  deps: Deps;
  options: CheckOptions;
  redact: Redactor;
  plans: { stdio: PlanFactory; streamable_http: PlanFactory };
  progress?: ProgressSink;
}

/**
 * Checks servers concurrently (at most `options.concurrency` at once, so a config with hundreds
 * of servers does not spawn hundreds of processes) and returns the reports in config order.
 */
export async function runChecks(input: RunChecksInput): Promise<ServerReport[]> {
  const { config, selected } = input;
  const entries = config.servers;
  const results: ServerReport[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const index = next++;
      const entry = entries[index]!;
      const isSelected = selected.length === 0 || selected.includes(entry.config.name);
      if (isSelected && entry.config.enabled) input.progress?.serverStarted?.(entry.config.name);
      const report = await runServer({
        entry,
        deps: input.deps,
        options: input.options,
        redact: input.redact,
        selected: isSelected,
        plans: input.plans,
        onStage: (name, stage) => input.progress?.stageStarted?.(name, stage),
      });
      results[index] = report;
      input.progress?.serverFinished?.(report);
    }
  };
  const width = Math.max(1, Math.min(input.options.concurrency, entries.length));
  const stopGuard = startMemoryGuard();
  try {
    await Promise.all(Array.from({ length: width }, worker));
  } finally {
    stopGuard();
  }
  return results;
}
