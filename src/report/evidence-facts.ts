/**
 * The compact view of a finding's evidence: short scalar facts (`status: 503`) shown by default,
 * and the names of the bulky entries (headers, bodies, stderr) that only `--verbose` prints in full.
 */
export interface EvidenceFacts {
  facts: string[];
  /** Keys left out of `facts` because their values are long or nested. */
  more: string[];
}

const MAX_VALUE = 100;

export function evidenceFacts(evidence: Record<string, unknown> | undefined, skip: readonly string[] = []): EvidenceFacts {
  const facts: string[] = [];
  const more: string[] = [];
  for (const [key, value] of Object.entries(evidence ?? {})) {
    if (value === undefined || value === null || skip.includes(key)) continue;
    const scalar = scalarText(value);
    if (scalar !== undefined) {
      facts.push(`${key}: ${scalar}`);
      continue;
    }
    if (Array.isArray(value) && value.length > 0 && value.every((v) => scalarText(v) !== undefined)) {
      const joined = value.map((v) => scalarText(v)).join(', ');
      if (joined.length <= MAX_VALUE) {
        facts.push(`${key}: ${joined}`);
        continue;
      }
    }
    more.push(key);
  }
  return { facts, more };
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  if (value.includes('\n') || value.length > MAX_VALUE) return undefined;
  return value === '' ? '""' : value;
}
