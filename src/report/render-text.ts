// PLACEHOLDER: replaced by the output work.
import type { ChalkInstance } from 'chalk';
import type { Report } from '../types.ts';

export interface TextOptions {
  chalk: ChalkInstance;
  verbose: boolean;
  width: number;
}

export function renderText(report: Report, _options: TextOptions): string {
  const lines: string[] = [];
  for (const server of report.servers) {
    lines.push(`${server.status.toUpperCase()} ${server.name} (${server.transport}) ${server.target}`);
    for (const stage of server.stages) lines.push(`  ${stage.name}: ${stage.status} - ${stage.summary}`);
    for (const f of server.findings) lines.push(`  ${f.severity} ${f.code}: ${f.message}`);
  }
  lines.push(`${report.summary.ok} ok, ${report.summary.warn} warn, ${report.summary.fail} fail, ${report.summary.skipped} skipped`);
  return `${lines.join('\n')}\n`;
}
