import { makeFinding } from '../findings/make-finding.ts';
import { clipName, listText } from '../findings/list-text.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, StageName } from '../types.ts';

/**
 * How deeply Codex can read a tools/list answer. Its JSON parser (serde_json, recursion limit 128)
 * gives up on a message nested 128 levels deep or more; Codex then drops the answer and waits:
 * "MCP startup failed: timed out awaiting tools/list after <startup_timeout_sec>" over stdio, and
 * over Streamable HTTP at once: "MCP startup failed: Transport send error: … Deserialize error:
 * recursion limit exceeded at line 1 column N". Measured with
 * Codex 0.171.0 (test/model-view-oracle.test.ts): the `tools/list` response
 * `{"result": {"tools": [{..tool..}]}}` puts a tool object at level 4, so a tool nested 124
 * levels deep (its own level counted) is the most Codex reads; 125 fails the server.
 */
export const CODEX_MAX_MESSAGE_DEPTH = 127;
/** Levels above a tool object in a tools/list response: the message, `result`, `tools`. */
const ENVELOPE_DEPTH = 3;

/** Nesting depth of arrays/objects in `value` (a scalar is 0), counted up to `cap` without recursion. */
export function nestingDepth(value: unknown, cap = 10_000): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max >= cap) return cap;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return max;
}

/** An error when a tool nests deeper than Codex's parser reads the tools/list answer. */
export function tooDeepFinding(tools: unknown[], serverName: string, redact: Redactor, stage: StageName): Finding | undefined {
  const limit = CODEX_MAX_MESSAGE_DEPTH - ENVELOPE_DEPTH;
  const deep = tools
    .map((tool, index) => ({ index, name: typeof (tool as any)?.name === 'string' ? String((tool as any).name) : undefined, depth: nestingDepth(tool, limit + 1000) }))
    .filter((t) => t.depth > limit);
  if (deep.length === 0) return undefined;
  const names = deep.map((t) => (t.name !== undefined ? `\`${clipName(t.name)}\`` : `tools[${t.index}]`));
  return makeFinding('tools.list-failed', {
    stage,
    message:
      `${listText(names, (n) => n)} of "${serverName}" ${deep.length === 1 ? 'is' : 'are'} nested ${Math.max(...deep.map((t) => t.depth))} levels deep, so the tools/list answer nests deeper than the 127 levels Codex's JSON parser reads. ` +
      'Codex cannot parse the answer and fails to start the server (measured with 0.171.0: over stdio it drops the answer, "MCP startup failed: timed out awaiting tools/list after <startup_timeout_sec>"; over HTTP "MCP startup failed: Transport send error: … Deserialize error: recursion limit exceeded"). disabled_tools cannot help: the whole answer is unreadable.',
    evidence: redact.value({ tools: deep.map((t) => ({ index: t.index, name: t.name, depth: t.depth })), maxToolDepth: limit }),
    fix: { summary: `A server-side fix: flatten the tool's input (or output) schema to at most ${limit} levels of nesting (in practice far fewer). Report it to the server maintainers.` },
  });
}
