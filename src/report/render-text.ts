import type { ChalkInstance } from 'chalk';
import type { BridgeReport, Finding, FixesReport, Report, ServerReport, Stage, TranscriptEntry } from '../types.ts';
import { TEMPLATE_NOTE, fixEditLines, fixOutcomeLine, fixVerificationText } from './fix-lines.ts';
import { codexLabel, codexRunSentences, codexVerdictText } from './codex-lines.ts';
import { evidenceFacts } from './evidence-facts.ts';
import { modelChanged, modelCounts, modelSummary, modelToolLine } from './model-lines.ts';
import { ISSUES_URL, reportItAt } from './links.ts';
import { summaryParts } from './report-summary.ts';
import { CRASH_CODE, CRASH_MARK, SERVER_MARKS, SEVERITY_MARKS, STAGE_MARKS, plural, transportLabel, type Mark } from './symbols.ts';
import { transcriptLines } from './transcript-lines.ts';
import { inert, wrapText } from './wrap.ts';

export interface TextOptions {
  /** Level 0 for no colour: the layout never depends on colour. */
  chalk: ChalkInstance;
  /** Full evidence, info-finding fixes, the wire transcript and the whole stderr tail. */
  verbose: boolean;
  /** Columns to wrap prose to (default 100). TOML snippets, commands and URLs are never broken. */
  width?: number;
}

const DEFAULT_WIDTH = 100;
/** Findings' continuation lines (fix, evidence, explain) hang under the severity mark. */
const DETAIL = '      ';
/** Snippets, commands and stack lines sit one step further in. */
const BLOCK = '          ';
/** Lines of stderr shown for a server that works (with warnings); --verbose shows the whole tail. */
const STDERR_LINES_WARN = 8;

/** The text report: pure `Report → string`; the caller writes it to stdout. */
export function renderText(report: Report, options: TextOptions): string {
  return `${textLines(report, options).join('\n')}\n`;
}

export function textLines(report: Report, options: TextOptions): string[] {
  const c = options.chalk;
  const width = Math.max(40, options.width ?? DEFAULT_WIDTH);
  const out: string[] = [headerLine(report)];

  if (report.internalError) out.push('', ...internalErrorLines(report.internalError, c, width));

  if (report.codex) {
    out.push('');
    for (const { tone, text } of codexRunSentences(report.codex)) {
      const lead = tone === 'error' ? `${paint(c, SEVERITY_MARKS.error)}  ` : '';
      out.push(...wrapText(inert(text), width, lead, tone === 'error' ? DETAIL : '').map((l) => (tone === 'note' ? c.gray(l) : l)));
    }
  }

  if (report.findings.length > 0) {
    out.push('');
    for (const finding of report.findings) out.push(...findingLines(finding, undefined, options, width));
  }

  for (const server of report.servers) out.push('', ...serverLines(server, report, options, width));

  if (report.fixes) out.push('', ...fixesLines(report.fixes, c));

  out.push('', ...closingLines(report, options, width));
  return out;
}

function headerLine(report: Report): string {
  const parts = [`mcp-doctor ${report.tool.version}`];
  if (report.config === null) parts.push('no config file (ad-hoc check)');
  else {
    const extra = (report.config.files ?? []).filter((f) => f !== report.config!.path);
    const flags = report.config.layers?.some((l) => l.layer === 'cli') ? ' + -c flags' : '';
    parts.push(`config ${inert(report.config.path)}${extra.length ? ` + ${extra.map(inert).join(', ')}` : ''}${flags}`);
  }
  parts.push(plural(report.servers.length, 'server'));
  return parts.join(' · ');
}

function paint(c: ChalkInstance, mark: Mark, pad = 0): string {
  return c[mark.color](`${mark.symbol} ${mark.word.padEnd(pad)}`);
}

function serverLines(server: ServerReport, report: Report, options: TextOptions, width: number): string[] {
  const c = options.chalk;
  const mark = SERVER_MARKS[server.status];
  const head = [paint(c, mark), c.bold(inert(server.name)), transportLabel(server.transport, server.server.httpTransport)];
  if (server.target) head.push(inert(server.target));
  if (server.tools) head.push(`· ${plural(server.tools.count, 'tool')}`);
  // A server from a project's .codex/config.toml: say which file, since the user may not expect it.
  if (server.source && report.config && server.source !== report.config.path) head.push(c.gray(`· from ${inert(server.source)}`));
  const lines: string[] = [];

  // A disabled or unselected server has nothing to show stage by stage: one reason is enough.
  if (server.status === 'skipped' && !options.verbose) {
    const reason = server.stages.find((s) => s.status === 'skipped')?.summary;
    lines.push(head.join('  ') + (reason ? c.gray(` — ${inert(reason)}`) : ''));
    for (const finding of server.findings) lines.push(...findingLines(finding, server, options, width));
    return lines;
  }

  lines.push(head.join('  '));
  for (const stage of server.stages) lines.push(...stageLines(stage, c, width));
  if (server.codex) {
    const color = server.codex.connected ? c.green : c.red;
    lines.push(...wrapText(inert(codexVerdictText(server.codex)), width, `  ${color(codexLabel(server.codex))} `, DETAIL));
  }
  if (server.tools) lines.push(...modelLines(server.tools, options, width));

  const stderrKeys = server.stderrTail?.length ? stderrEvidenceKeys(server.findings) : [];
  for (const finding of server.findings) lines.push(...findingLines(finding, server, options, width, stderrKeys));
  if (server.bridge) lines.push(...bridgeLines(server.bridge, server, options, width));

  if (options.verbose && server.transcript?.length) lines.push(...transcriptBlock(server.transcript));
  if (server.stderrTail?.length && (options.verbose || server.status !== 'ok')) {
    // A failing server's stderr usually holds the cause (often at the top of a stack trace): show all of it.
    const tail = options.verbose || server.status === 'fail' ? server.stderrTail : server.stderrTail.slice(-STDERR_LINES_WARN);
    const of = tail.length < server.stderrTail.length ? ` of ${server.stderrTail.length}` : '';
    lines.push(`  stderr (last ${plural(tail.length, 'line')}${of}):`);
    for (const line of tail) lines.push(`${DETAIL}${c.gray('│')} ${inert(line)}`);
  }
  return lines;
}

/** What the model is sent: one line when it differs from the tool list (every tool with --verbose). */
function modelLines(tools: NonNullable<ServerReport['tools']>, options: TextOptions, width: number): string[] {
  const counts = modelCounts(tools);
  if (!counts || (!modelChanged(counts) && !options.verbose)) return [];
  const c = options.chalk;
  const hint = options.verbose ? '' : ' (--verbose lists each tool)';
  const lines = wrapText(inert(`${modelSummary(counts)}${hint}`), width, `  ${c.cyan('model sees')} `, DETAIL);
  if (options.verbose) for (const t of tools.model!) lines.push(...wrapText(inert(modelToolLine(t)), width, DETAIL, `${DETAIL}  `));
  return lines;
}

/**
 * A stdio bridge's remote, checked directly: one line, then (indented one step) the stages that
 * did not pass and the remote's findings; every stage with --verbose.
 */
function bridgeLines(bridge: BridgeReport, server: ServerReport, options: TextOptions, width: number): string[] {
  const c = options.chalk;
  const head = [
    `  ${c.bold('bridge')}`,
    paint(c, SERVER_MARKS[bridge.status]),
    `${inert(bridge.kind)} → ${inert(bridge.url)}`,
    transportLabel('streamable_http', bridge.transport === 'sse' ? 'sse' : 'streamable'),
  ];
  if (bridge.tools) head.push(`· ${plural(bridge.tools.count, 'tool')}`);
  const lines = [head.join('  ')];
  const stages = options.verbose ? bridge.stages : bridge.stages.filter((s) => s.status === 'fail' || s.status === 'warn' || s.status === 'crashed');
  for (const stage of stages) lines.push(...stageLines(stage, c, width - 2).map((l) => `  ${l}`));
  for (const finding of bridge.findings) lines.push(...findingLines(finding, server, options, width - 2).map((l) => `  ${l}`));
  if (options.verbose && bridge.transcript?.length) lines.push(...transcriptBlock(bridge.transcript).map((l) => `  ${l}`));
  return lines;
}

function stageLines(stage: Stage, c: ChalkInstance, width: number): string[] {
  const mark = STAGE_MARKS[stage.status];
  const duration = stage.status === 'skipped' ? '' : `${stage.durationMs} ms`;
  const prefix = `  ${paint(c, mark, 7)}  ${stage.name.padEnd(10)}  ${c.gray(duration.padStart(8))}  `;
  const rest = ' '.repeat(2 + 2 + 7 + 2 + 10 + 2 + 8 + 2);
  return wrapText(inert(stage.summary), width, prefix, rest);
}

/** Evidence keys that repeat the server's stderr tail, which is printed once below the findings. */
function stderrEvidenceKeys(findings: Finding[]): string[] {
  const keys = new Set<string>();
  for (const f of findings) for (const key of Object.keys(f.evidence ?? {})) if (/^stderr/i.test(key)) keys.add(key);
  return [...keys];
}

function findingLines(finding: Finding, server: ServerReport | undefined, options: TextOptions, width: number, skipKeys: string[] = []): string[] {
  const c = options.chalk;
  const crashed = finding.code === CRASH_CODE;
  const mark = crashed ? CRASH_MARK : SEVERITY_MARKS[finding.severity];
  const lines = wrapText(inert(finding.message), width, `  ${paint(c, mark)}  ${c.bold(inert(finding.code))}  `, DETAIL);
  // `info` is worth knowing, not acting on: one line unless --verbose.
  if (finding.severity === 'info' && !options.verbose) return lines;

  if (crashed) {
    lines.push(...wrapText(`This is a bug in mcp-doctor, not in your setup. ${reportItAt()} with the output of:`, width, DETAIL, DETAIL));
    lines.push(`${BLOCK}mcp-doctor check${server ? ` ${shellWord(server.name)}` : ''} --format markdown --verbose`);
    const stack = finding.evidence?.stack;
    if (Array.isArray(stack)) for (const line of stack) lines.push(`${BLOCK}${c.gray(inert(String(line).trim()))}`);
  }

  if (finding.fix) {
    const fix = finding.fix;
    const verification = fixVerificationText(fix);
    const label = verification ? `fix (${verification.short}):` : 'fix:';
    lines.push(...wrapText(inert(fix.summary), width, `${DETAIL}${c.green(label)} `, BLOCK));
    for (const line of fixEditLines(fix)) lines.push(`${BLOCK}${c.cyan(inert(line))}`);
    if (fix.toml) {
      // A TOML comment, so that the snippet still pastes as valid TOML.
      if (fix.template) lines.push(`${BLOCK}${c.gray(`# ${TEMPLATE_NOTE}`)}`);
      for (const line of fix.toml.split('\n')) lines.push(`${BLOCK}${c.cyan(inert(line))}`);
    }
    // A long command comes wrapped with backslash-newline continuations: each line indented alike.
    if (fix.command) fix.command.split('\n').forEach((line, i) => lines.push(`${BLOCK}${c.cyan(`${i ? '  ' : '$ '}${inert(line)}`)}`));
    if (fix.verificationNote) lines.push(...wrapText(inert(fix.verificationNote), width, `${BLOCK}${c.gray('note:')} `, BLOCK));
  }

  if (finding.evidence && Object.keys(finding.evidence).length > 0) {
    if (options.verbose) {
      lines.push(`${DETAIL}${c.gray('evidence:')}`);
      for (const line of JSON.stringify(finding.evidence, null, 2).split('\n')) lines.push(`${BLOCK}${inert(line)}`);
    } else {
      const { facts, more } = evidenceFacts(finding.evidence, crashed ? ['stack', ...skipKeys] : skipKeys);
      const text = [...facts.map(inert), ...(more.length ? [`(with --verbose: ${more.map(inert).join(', ')})`] : [])].join(' · ');
      if (text) lines.push(...wrapText(text, width, `${DETAIL}${c.gray('evidence:')} `, BLOCK));
    }
  }

  if (!crashed) lines.push(`${DETAIL}${c.gray('explain:')} mcp-doctor explain ${inert(finding.code)}`);
  return lines;
}

/** `check --fix`: the config change as a unified diff, and what was applied or left out. */
function fixesLines(fixes: FixesReport, c: ChalkInstance): string[] {
  const lines = [c.bold(`Config change (--fix): ${plural(fixes.applied.length, 'fix', 'fixes')} applied, ${fixes.skipped.length} skipped`)];
  for (const file of fixes.files) {
    for (const line of inert(file.diff).replace(/\n$/, '').split('\n')) {
      const color = line.startsWith('+++') || line.startsWith('---') ? c.bold : line.startsWith('+') ? c.green : line.startsWith('-') ? c.red : line.startsWith('@@') ? c.cyan : (t: string) => t;
      lines.push(`    ${color(line)}`);
    }
  }
  if (fixes.applied.length) lines.push('  applied:', ...fixes.applied.map((o) => `    ${inert(fixOutcomeLine(o))}`));
  if (fixes.skipped.length) lines.push('  skipped:', ...fixes.skipped.map((o) => `    ${inert(fixOutcomeLine(o))}`));
  if (fixes.write?.written) {
    lines.push(`  written${fixes.write.backups.length ? `; backup: ${fixes.write.backups.map(inert).join(', ')}` : ''}`);
  } else if (fixes.write?.refused) {
    lines.push(`  not written: ${inert(fixes.write.refused)}`);
  } else if (fixes.files.length) {
    lines.push('  The config files were not changed (add --write to apply this change; a backup is kept).');
  }
  return lines;
}

function transcriptBlock(entries: TranscriptEntry[]): string[] {
  return [`  wire transcript (redacted, ${plural(entries.length, 'event')}):`, ...transcriptLines(entries).map((line) => `${DETAIL}${line}`)];
}

function internalErrorLines(error: string, c: ChalkInstance, width: number): string[] {
  const [first = 'unknown error', ...rest] = inert(error).split('\n');
  return [
    ...wrapText(first, width, `${paint(c, CRASH_MARK)}  mcp-doctor crashed: `, DETAIL),
    ...wrapText(`This is a bug in mcp-doctor, not in your setup. ${reportItAt()} and include this output.`, width, DETAIL, DETAIL),
    ...rest.slice(0, 12).map((line) => `${DETAIL}${c.gray(line.trim())}`),
  ];
}

function closingLines(report: Report, options: TextOptions, width: number): string[] {
  const all = [...report.findings, ...report.servers.flatMap((s) => s.findings)];
  const { head, rest } = summaryParts(report);
  const lines = [options.chalk.bold(head + rest)];

  const hints: string[] = [];
  const crashed = report.internalError !== undefined || all.some((f) => f.code === CRASH_CODE);
  if (crashed) hints.push(`mcp-doctor itself crashed (☠ above): ${ISSUES_URL ? `please report it at ${ISSUES_URL}` : 'please report it'}.`);
  if (report.servers.length === 0 && !report.findings.some((f) => f.severity === 'error') && report.config !== null) {
    hints.push('No MCP servers are configured. Add one with: codex mcp add NAME -- COMMAND (stdio), or codex mcp add NAME --url URL (HTTP).');
  }
  if (all.some((f) => f.severity !== 'info')) hints.push('For what a finding means and how to fix it: mcp-doctor explain CODE');
  const httpAnswered = report.servers.some((s) => s.transport === 'streamable_http' && s.stages.some((st) => st.name === 'initialize' && (st.status === 'pass' || st.status === 'warn')));
  if (report.deep === false && httpAnswered) hints.push('Server authors: check --deep adds the spec-conformance probes Codex does not depend on (session id, MCP-Protocol-Version, DELETE).');
  hints.push(`Run with --format markdown to paste this report into a bug report${options.verbose ? '' : ' (add --verbose for the wire transcript)'}.`);
  for (const hint of hints) lines.push(...wrapText(hint, width).map((l) => options.chalk.gray(l)));
  return lines;
}

/** Quotes a server name for a command line when it needs it (names Codex rejects can hold anything). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
