import { REGISTRY, isFindingCode, type FindingCode } from './registry.ts';

/** The page shown by `mcp-doctor explain CODE` and written to docs/codes/CODE.md. */
export function renderExplain(code: FindingCode): string {
  const spec = REGISTRY[code];
  const lines = [`# ${code}: ${spec.title}`, '', `Severity: ${spec.severity}${'severityNote' in spec ? ` (${spec.severityNote})` : ''}`, `Stage: ${spec.stage}`, ''];
  lines.push('## What it means', '', spec.explanation, '', '## How mcp-doctor detects it', '', spec.detection, '', '## Fix', '', spec.fix, '');
  if ('codexSays' in spec && spec.codexSays.length) {
    lines.push('## What Codex says', '', ...spec.codexSays.map((s) => `- \`${s}\``), '');
  }
  if ('refs' in spec && spec.refs.length) lines.push('## References', '', ...spec.refs.map((r) => `- ${r}`), '');
  return lines.join('\n');
}

/** Close matches for an unknown code: same prefix, or small edit distance. */
export function closeCodes(input: string): string[] {
  const codes = Object.keys(REGISTRY);
  const lower = input.toLowerCase();
  const scored = codes
    .map((code) => ({ code, d: distance(lower, code) }))
    .filter(({ code, d }) => d <= Math.max(3, Math.floor(code.length / 3)) || code.includes(lower) || lower.includes(code.split('.')[1] ?? '~'));
  scored.sort((a, b) => a.d - b.d);
  return scored.slice(0, 5).map((s) => s.code);
}

export function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

export { isFindingCode };
