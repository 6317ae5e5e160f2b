/**
 * The Codex release mcp-doctor's verdicts are calibrated on: the oracle the test suite runs
 * (scripts/test-deps.mjs pins the same version, and a test checks they agree), the release
 * docs/codex-behaviour.md was measured with, and the version user-visible messages name when they
 * say what Codex does. One place, so that moving to a new Codex is one change plus a re-run of
 * the oracle suite.
 */
export const CALIBRATED_CODEX_VERSION = '0.171.0';

/** "Codex 0.171.0", for messages. */
export const CODEX = `Codex ${CALIBRATED_CODEX_VERSION}`;

/** -1, 0 or 1 as dotted numeric versions compare ("0.169.0" < "0.171.0"); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
