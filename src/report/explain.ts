import { CODEX_SAYS, CODEX_SAYS_VERSION, type CodexSays } from '../codex/codex-says.generated.ts';
import { STAGE_NAMES } from '../types.ts';
import { distance } from '../config/did-you-mean.ts';
import { REGISTRY, isFindingCode, type FindingCode, type FindingSpec } from '../findings/registry.ts';

const CODES = Object.keys(REGISTRY) as FindingCode[];
/** Index order: file-level codes first, then the pipeline's stages. */
const GROUPS = ['file', ...STAGE_NAMES] as const;
const GROUP_TITLES: Record<(typeof GROUPS)[number], string> = {
  file: 'Config file and mcp-doctor itself',
  config: 'config: the [mcp_servers.NAME] table',
  discovery: 'discovery: reaching the server',
  auth: 'auth: credentials and OAuth',
  initialize: 'initialize: handshake and session',
  tools: 'tools: tools/list',
};

function spec(code: FindingCode): FindingSpec {
  return REGISTRY[code];
}

/** The page shown by `mcp-doctor explain CODE`; docs/codes/CODE.md is the same page plus a link back. */
export function renderExplain(code: FindingCode): string {
  const s = spec(code);
  const lines = [`# ${code}: ${s.title}`, ''];
  lines.push(`- Severity: ${s.severityNote ? `${otherSeverities(s)}, by variant — ${s.severityNote}` : s.severity}`);
  lines.push(`- Stage: ${s.stage === 'file' ? 'file (the config file as a whole, or mcp-doctor itself)' : s.stage}`, '');
  lines.push('## What it means', '', s.explanation, '');
  lines.push('## How mcp-doctor detects it', '', s.detection, '');
  if (s.deepOnly) {
    lines.push('Only `mcp-doctor check --deep` sends this probe: Codex works whatever the answer, so the default check leaves it out (its warning would fail a `--strict` pre-flight over an answer Codex ignores). It is for server authors, and for bug reports about other clients.', '');
  }
  if (s.codexSays?.length) {
    lines.push('## What Codex says', '', 'Look for these lines in Codex\'s output or in `~/.codex/log/codex-tui.log`:', '');
    for (const said of s.codexSays) lines.push(`- ${inlineCode(said)}`);
    lines.push('');
  }
  const measured = Object.hasOwn(CODEX_SAYS, code) ? CODEX_SAYS[code]! : [];
  if (measured.length) {
    lines.push(`## What Codex ${CODEX_SAYS_VERSION} did (measured)`, '');
    lines.push(`mcp-doctor's fixture servers are started by real Codex ${CODEX_SAYS_VERSION} and checked by mcp-doctor side by side (docs/codex-behaviour.md). Where this code was reported:`, '');
    for (const entry of measured) lines.push(`- ${codexSaysLine(entry, measured.length > 1)}`);
    lines.push('');
  }
  lines.push('## How to fix it', '', s.fix, '');
  if (!code.startsWith('internal.')) {
    lines.push('In a report, the finding usually carries a fix written for that server: a TOML snippet to paste into `config.toml`, or a command to run. Run `mcp-doctor check` again afterwards.', '');
  }
  if (s.refs?.length) {
    lines.push('## References', '');
    for (const ref of s.refs) lines.push(`- <${ref}>`);
    lines.push('');
  }
  return lines.join('\n');
}

/** docs/codes/CODE.md: the explain page and a way back to the index. */
export function renderCodePage(code: FindingCode): string {
  return `${renderExplain(code)}\n---\n\n[All finding codes](README.md) · generated from \`src/findings/registry.ts\` by \`scripts/gen-docs.ts\`: edit the registry, not this file.\n`;
}

/** docs/codes/README.md: every code, grouped by stage, with severity and title. */
export function renderCodeIndex(): string {
  const lines = [
    '# Finding codes',
    '',
    'Every finding in an mcp-doctor report has one of these codes. `mcp-doctor explain CODE` prints the same page in the terminal.',
    '',
    'Severity: **error** — the current Codex release cannot start or use the server (or refuses the whole config); **warning** — Codex works today, but the behaviour violates the MCP spec, breaks other clients or older Codex versions, or will break later; **info** — worth knowing.',
    '',
    'Codes marked `--deep` only come from spec-conformance probes that `check --deep` adds: Codex works whatever their answer, so the default check leaves them out.',
    '',
  ];
  for (const group of GROUPS) {
    const codes = CODES.filter((c) => spec(c).stage === group);
    if (codes.length === 0) continue;
    lines.push(`## ${GROUP_TITLES[group]}`, '');
    for (const code of codes) {
      const s = spec(code);
      lines.push(`- [\`${code}\`](${code}.md) — ${s.severityNote ? otherSeverities(s) : s.severity} — ${s.title}${s.deepOnly ? ' (`--deep` only)' : ''}`);
    }
    lines.push('');
  }
  lines.push('Generated from `src/findings/registry.ts` by `scripts/gen-docs.ts`.', '');
  return lines.join('\n');
}

/** "error or warning" for codes whose severity depends on the variant (the default first). */
function otherSeverities(s: FindingSpec): string {
  return s.severity === 'error' ? 'error or warning' : `${s.severity} or error`;
}

/** The plain list printed by `mcp-doctor explain` with no code. */
export function listCodes(): string {
  const width = Math.max(...CODES.map((c) => c.length));
  const lines: string[] = [];
  for (const group of GROUPS) {
    const codes = CODES.filter((c) => spec(c).stage === group);
    if (codes.length === 0) continue;
    lines.push(`${GROUP_TITLES[group]}:`);
    for (const code of codes) lines.push(`  ${code.padEnd(width)}  ${spec(code).severity.padEnd(7)}  ${spec(code).title}`);
    lines.push('');
  }
  lines.push('mcp-doctor explain CODE prints what a code means and how to fix it.');
  return `${lines.join('\n')}\n`;
}

/** A registered code written in another case (`AUTH.Login-Required`) is still that code. */
export function resolveCode(input: string): FindingCode | undefined {
  const lower = input.trim().toLowerCase();
  return CODES.find((c) => c === lower);
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Close matches for an unknown code, best first: the code without its prefix (`login-required`),
 * other spellings (`auth_login_required`), a stage name (`auth` lists that stage's codes), words
 * it contains (`token expired`), then typos by edit distance.
 */
export function closeCodes(input: string, limit = 8): string[] {
  const q = input.trim().toLowerCase();
  if (!q) return [];
  // A bare prefix (`auth`, `stdio.`) asks for the whole family.
  const family = CODES.filter((c) => c.startsWith(`${q.replace(/\.$/, '')}.`));
  if (family.length > 0) return family;
  const nq = norm(q);
  const words = q.split(/[^a-z0-9]+/).filter((w) => w.length >= 3);
  const scored: { code: string; tier: number; d: number; i: number }[] = [];
  CODES.forEach((code, i) => {
    const name = code.slice(code.indexOf('.') + 1);
    const d = Math.min(distance(nq, norm(code)), distance(nq, norm(name)));
    let tier: number | undefined;
    if (nq === norm(code) || nq === norm(name)) tier = 0;
    else if (q.length >= 3 && code.includes(q)) tier = 1;
    else if (words.length > 0 && words.every((w) => code.includes(w))) tier = 2;
    else if (d <= Math.max(2, Math.floor(nq.length / 4))) tier = 3;
    if (tier !== undefined) scored.push({ code, tier, d, i });
  });
  scored.sort((a, b) => a.tier - b.tier || a.d - b.d || a.i - b.i);
  return scored.slice(0, limit).map((s) => s.code);
}

/** "Codex 0.169.0 says: `…`" for one measured variant of a code. */
function codexSaysLine(entry: CodexSays, byVariant: boolean): string {
  const variant = byVariant ? `as ${entry.severity === 'error' ? 'an error' : `a ${entry.severity}`} (fixture ${inlineCode(entry.example)}): ` : `fixture ${inlineCode(entry.example)}: `;
  switch (entry.outcome) {
    case 'connects':
      return `${variant}Codex ${CODEX_SAYS_VERSION} starts the server anyway.`;
    case 'refuses-config':
      return `${variant}Codex ${CODEX_SAYS_VERSION} refuses the whole config: ${inlineCode(`failed to reload config: ${entry.error ?? ''}`)}`;
    default:
      return `${variant}Codex ${CODEX_SAYS_VERSION} says: ${inlineCode(entry.error ?? 'failed')}`;
  }
}

function inlineCode(text: string): string {
  let run = 0;
  for (const m of text.matchAll(/`+/g)) run = Math.max(run, m[0].length);
  const ticks = '`'.repeat(run + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

export { isFindingCode };
