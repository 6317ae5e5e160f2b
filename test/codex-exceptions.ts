/**
 * Deliberate disagreements between mcp-doctor and Codex on the fixture servers, by server name
 * (test/helpers/fixture-fleet.ts). `doctor` is the status mcp-doctor reports, `codex` whether
 * Codex connects, `why` the reason. The agreement suite (test/codex-agreement.test.ts) expects
 * exactly these, and scripts/gen-codex-behaviour.ts lists them in docs/codex-behaviour.md.
 */
export const EXCEPTIONS: Record<string, { doctor: 'ok' | 'warn' | 'fail'; codex: boolean; why: string }> = {};
