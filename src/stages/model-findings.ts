import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, StageName } from '../types.ts';
import type { ModelView } from './model-view.ts';

/**
 * Findings about what the model is sent (model-view.ts): tools Codex leaves out, and functions
 * Codex sends that the model API documents it refuses. Both are warnings: Codex starts the
 * server and lists its tools (measured with 0.171.0), the server's other tools work.
 */
export function modelFindings(
  view: ModelView,
  serverName: string,
  redact: Redactor,
  stage: StageName,
  opts: { disabledTools?: string[]; namesReported?: Set<string> } = {},
): Finding[] {
  const findings: Finding[] = [];
  const disabledTools = opts.disabledTools ?? [];
  const dropped = view.tools.filter((t) => t.dropped !== undefined);
  if (dropped.length > 0) {
    findings.push(
      makeFinding('tools.codex-drops', {
        stage,
        message:
          `Codex ${view.codexVersion} leaves ${dropped.length} tool${dropped.length === 1 ? '' : 's'} of "${serverName}" out of what the model is sent: ` +
          `${dropped.map((t) => `\`${t.name}\` (${t.dropped})`).join('; ')}. The server starts and its other tools work; the model never sees ${dropped.length === 1 ? 'this one' : 'these'}.`,
        evidence: redact.value({ codexVersion: view.codexVersion, tools: dropped.map((t) => ({ name: t.name, dropped: t.dropped })) }),
        fix: { summary: 'A server-side fix: give each tool a unique name and an inputSchema Codex can read (an object schema whose "properties" is a map and "required" a list). Report it to the server maintainers.' },
      }),
    );
  }
  // A raw name that is itself invalid is tools.invalid-name's to report (with its length and the
  // documented limit); here only what that finding does not say: schemas, and names that Codex
  // itself pushes over the limit (a hash suffix after a collision).
  const refusalsOf = (t: ModelView['tools'][number]) => t.refusals.filter((r) => !(opts.namesReported?.has(t.name) && r.rule !== 'parameters-not-object'));
  const refused = view.tools.filter((t) => refusalsOf(t).length > 0).map((t) => ({ ...t, refusals: refusalsOf(t) }));
  if (refused.length > 0) {
    const sources = [...new Set(refused.flatMap((t) => t.refusals.map((r) => r.source)))];
    findings.push(
      makeFinding('tools.model-rejects', {
        stage,
        message:
          `Codex ${view.codexVersion} starts "${serverName}" and sends ${refused.length === 1 ? 'a tool' : `${refused.length} tools`} to the model in a form the model API documents it refuses: ` +
          `${refused.map((t) => `\`${t.name}\` as ${view.namespace}/${t.modelName}: ${t.refusals.map((r) => r.detail).join('; ')}`).join('. ')}. ` +
          'Where the API enforces this, every request that carries the tool fails, not only calls to it (with models that load MCP tools up front, that is every turn).',
        evidence: redact.value({
          codexVersion: view.codexVersion,
          tools: refused.map((t) => ({ name: t.name, namespace: t.namespace, modelName: t.modelName, parameters: truncatedSchema(t.schema), refusals: t.refusals.map((r) => ({ rule: r.rule, detail: r.detail })) })),
          sources,
        }),
        fix: {
          summary: 'A server-side fix (an inputSchema with "type": "object" at the root, and tool names of at most 64 characters). Until then, hide the tools from Codex.',
          toml: `${serverHeader(serverName)}\ndisabled_tools = ${tomlArray([...new Set([...disabledTools, ...refused.map((t) => t.name)])])}`,
        },
      }),
    );
  }
  return findings;
}

function truncatedSchema(schema: unknown): unknown {
  const text = JSON.stringify(schema);
  return text.length > 400 ? `${text.slice(0, 399)}…` : schema;
}

function serverHeader(name: string): string {
  return `[mcp_servers.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
}

function tomlArray(values: string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}
