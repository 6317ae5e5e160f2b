/** `bearerTokenEnvVar`, `Bearer-Token-Env-Var` → `bearer_token_env_var`. */
export function toSnakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toLowerCase();
}

/**
 * The known key a mistyped one most likely meant, or undefined. Case and separator differences
 * (camelCase from JSON configs) count as exact matches; otherwise small edit distances relative to
 * the key's length, so that short keys do not match everything.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const normalized = toSnakeCase(input);
  const exact = candidates.find((c) => c === normalized);
  if (exact) return exact;
  let best: { key: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(normalized, candidate);
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(candidate.length, normalized.length) / 4)));
    if (d <= limit && (!best || d < best.d)) best = { key: candidate, d };
  }
  if (best) return best.key;
  // `timeout_sec` → `startup_timeout_sec`: a known key that ends with what was typed.
  const suffixed = candidates.filter((c) => normalized.length >= 4 && (c.endsWith(`_${normalized}`) || c.startsWith(`${normalized}_`)));
  return suffixed.length === 1 ? suffixed[0] : undefined;
}

/** Levenshtein edit distance (also ranks close finding codes for `explain` and close server names for `check`). */
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
