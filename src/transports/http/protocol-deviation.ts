/**
 * How a protocol deviation is graded beyond Codex (the severity already says what Codex does):
 * the spec's keyword, and whether the official MCP TypeScript SDK client (1.x) still connects,
 * lists the tools and ends the session despite it — measured against the same fixtures in
 * test/http-sdk-tolerance.test.ts. Every protocol finding carries both in its evidence
 * (`specLevel`, `sdkTolerates`) and says the second in words, so a bug report shows whether
 * "it works in my other client" is expected.
 */
export interface Deviation {
  specLevel: 'MUST' | 'SHOULD';
  sdkTolerates: boolean;
  /** What the SDK client does, in a clause ("it reads arrays", "its request times out"). */
  sdk: string;
}

export function deviationEvidence(d: Deviation): { specLevel: Deviation['specLevel']; sdkTolerates: boolean } {
  return { specLevel: d.specLevel, sdkTolerates: d.sdkTolerates };
}

/** One sentence for the finding's message. */
export function sdkSentence(d: Deviation): string {
  return `The official MCP TypeScript SDK client ${d.sdkTolerates ? 'tolerates it' : 'does not tolerate it'}: ${d.sdk}.`;
}

/** Message suffix and evidence fields in one go. */
export function withDeviation(message: string, evidence: Record<string, unknown>, d: Deviation): { message: string; evidence: Record<string, unknown> } {
  return { message: `${message} ${sdkSentence(d)}`, evidence: { ...evidence, ...deviationEvidence(d) } };
}
