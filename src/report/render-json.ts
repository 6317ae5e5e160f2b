import type { Report } from '../types.ts';

/** Contract §3: one JSON document; the transcript only with --verbose. */
export function renderJson(report: Report, options: { verbose: boolean }): string {
  const servers = report.servers.map((server) => {
    if (options.verbose) return server;
    const { transcript: _transcript, ...rest } = server;
    return rest;
  });
  return `${JSON.stringify({ ...report, servers }, null, 2)}\n`;
}
