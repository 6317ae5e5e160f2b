import type { CodexRunReport, CodexServerOpinion } from '../codex/types.ts';
import { plural } from './symbols.ts';

/** `check --codex`: the sentences about the Codex run, for the top of a report (plain text). */
export function codexRunSentences(run: CodexRunReport): Array<{ tone: 'info' | 'error' | 'note'; text: string }> {
  if (run.unavailable !== undefined) return [{ tone: 'note', text: `Codex was not asked (--codex): ${run.unavailable}.` }];
  const out: Array<{ tone: 'info' | 'error' | 'note'; text: string }> = run.configError
    ? [{ tone: 'error', text: `Codex ${run.version} (asked with --codex) refuses your whole config: ${run.configError}. No MCP server starts in Codex until this is fixed.` }]
    : [
        {
          tone: 'info',
          text: `Codex ${run.version} was asked too (--codex): it started the checked servers itself, the way a Codex session does, and its verdict is shown beside each.`,
        },
      ];
  for (const warning of run.warnings ?? []) out.push({ tone: 'note', text: `Codex warns: ${warning.replace(/\s*\n\s*/g, ' ')}` });
  return out;
}

/** "connected (3 tools)" or Codex's error. */
export function codexVerdictText(opinion: CodexServerOpinion): string {
  const said = opinion.connected ? `connected (${plural(opinion.tools ?? 0, 'tool')})` : (opinion.error ?? 'failed');
  return opinion.note ? `${said} — note: ${opinion.note}` : said;
}

export function codexLabel(opinion: CodexServerOpinion): string {
  return `Codex ${opinion.version} says:`;
}
