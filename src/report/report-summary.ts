import type { Report } from '../types.ts';
import { plural } from './symbols.ts';

/**
 * The closing line of every report, in two parts so each format can stress the first:
 * `1 of 6 servers ok` + ` · 1 warn · 3 fail · 1 skipped — 3 errors, 2 warnings`.
 */
export function summaryParts(report: Report): { head: string; rest: string } {
  const all = [...report.findings, ...report.servers.flatMap((s) => s.findings)];
  const errors = all.filter((f) => f.severity === 'error').length;
  const warnings = all.filter((f) => f.severity === 'warning').length;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  const n = report.servers.length;
  if (n === 0) return { head: 'No servers checked', rest: ` — ${counts}` };
  const { ok, warn, fail, skipped } = report.summary;
  return { head: `${ok} of ${plural(n, 'server')} ok`, rest: ` · ${warn} warn · ${fail} fail · ${skipped} skipped — ${counts}` };
}
