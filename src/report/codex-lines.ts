import type { CodexRunReport, CodexServerOpinion } from '../codex/types.ts';
import { compareVersions } from '../codex/codex-version.ts';
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
  const calibrated = run.calibratedVersion;
  if (calibrated && run.version && run.version !== 'unknown') {
    out.push(
      run.version === calibrated
        ? { tone: 'note', text: `mcp-doctor's verdicts are calibrated on Codex ${calibrated}, the version installed here.` }
        : {
            tone: 'note',
            text: `The installed Codex is ${run.version}; mcp-doctor's verdicts are calibrated on Codex ${calibrated}${
              compareVersions(run.version, calibrated) < 0 ? ' (a newer release)' : ' (an older release)'
            }. Where the two verdicts differ, the installed Codex's is the one your sessions get.`,
          },
    );
  }
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
