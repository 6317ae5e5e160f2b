import type { Fix, FixOutcome, FixVerification } from '../types.ts';

/** How sure a fix is, in words (types.ts FixVerification): `short` for the text report, `long` for markdown. */
export function fixVerificationText(fix: Fix): { short: string; long: string } | undefined {
  const outcome: FixVerification | undefined = fix.verification ?? (fix.verified === true ? 'cleared' : fix.verified === false ? 'still-present' : undefined);
  switch (outcome) {
    case 'cleared':
      return { short: 'verified', long: 'verified: re-checked with this change, the problem is gone' };
    case 'still-present':
      return { short: 'tried; the problem remained', long: 'tried: re-checked with this change, the problem remained' };
    case 'inconclusive':
      return { short: 'tried; inconclusive', long: 'tried: the re-check stopped before the stage that reports it' };
    case 'not-tried':
      return { short: 'unverified', long: 'unverified: not safe or not possible to try here' };
    default:
      return undefined;
  }
}

/**
 * The key removals and renames of a fix, in the order they apply (before the keys `toml` sets),
 * e.g. `remove from [mcp_servers.x]: type` and `rename in [mcp_servers.x]: headers → http_headers`.
 */
export function fixEditLines(fix: Fix): string[] {
  const table = tableLabel(fix);
  const lines: string[] = [];
  if (fix.remove?.length) lines.push(`remove from ${table}: ${fix.remove.join(', ')}`);
  const renames = Object.entries(fix.rename ?? {});
  if (renames.length) lines.push(`rename in ${table}: ${renames.map(([from, to]) => `${from} → ${to}`).join(', ')}`);
  return lines;
}

export const TEMPLATE_NOTE = 'a template: fill in the placeholders (…) before pasting it';

function tableLabel(fix: Fix): string {
  const table = fix.table ?? /^\s*\[([^\]]+)\]/.exec(fix.toml ?? '')?.[1]?.trim();
  if (table === undefined) return 'the table';
  return table === '' ? 'the top level' : `[${table}]`;
}

/** One line about a fix `check --fix` applied or skipped. */
export function fixOutcomeLine(outcome: FixOutcome): string {
  const where = outcome.server === null ? 'config file' : outcome.server;
  const verification = outcome.verification ? fixVerificationText({ summary: '', verification: outcome.verification })?.short : undefined;
  const tail = [outcome.reason, verification].filter(Boolean).join('; ');
  return `${where}  ${outcome.code}  ${outcome.summary}${tail ? ` (${tail})` : ''}`;
}
