import type { ToolModelEntry, ToolsSummary } from '../types.ts';
import { plural } from './symbols.ts';

/**
 * "What the model sees" (tools.model, docs/model-view.md) in words, for the text and markdown
 * reports. Pure: plain strings, the renderers add colour and escaping.
 */

export interface ModelCounts {
  namespace: string;
  sent: number;
  renamed: number;
  rewritten: number;
  dropped: number;
  refused: number;
  /** Bytes of names, descriptions and schemas sent with every request. */
  bytes: number;
}

export function modelCounts(tools: ToolsSummary): ModelCounts | undefined {
  const model = tools.model;
  if (!model || model.length === 0) return undefined;
  return {
    namespace: model[0]!.namespace,
    sent: model.filter((t) => t.dropped === undefined).length,
    renamed: model.filter((t) => t.modelName !== undefined && t.modelName !== t.name).length,
    rewritten: model.filter((t) => t.dropped === undefined && schemaNotes(t).some((n) => !SIZE_NOTE.test(n))).length,
    dropped: model.filter((t) => t.dropped !== undefined).length,
    refused: model.filter((t) => (t.refusals?.length ?? 0) > 0).length,
    bytes: model.reduce((sum, t) => sum + (t.dropped === undefined ? (t.schemaBytes ?? 0) + (t.descriptionBytes ?? 0) + (t.modelName?.length ?? 0) : 0), 0),
  };
}

/** True when the model sees something other than the server's tools as listed. */
export function modelChanged(counts: ModelCounts): boolean {
  return counts.renamed + counts.rewritten + counts.dropped + counts.refused > 0 || counts.bytes >= 64 * 1024;
}

/** "12 tools in mcp__docs · 2 renamed · 1 schema rewritten · 1 dropped · 1 the API documents it refuses". */
export function modelSummary(counts: ModelCounts): string {
  const size = counts.bytes >= 64 * 1024 ? ` (${Math.round(counts.bytes / 1024)} KB with every request)` : '';
  const parts = [`${plural(counts.sent, 'tool')} in ${counts.namespace}${size}`];
  if (counts.renamed) parts.push(`${counts.renamed} renamed`);
  if (counts.rewritten) parts.push(`${plural(counts.rewritten, 'schema')} rewritten`);
  if (counts.dropped) parts.push(`${counts.dropped} dropped`);
  if (counts.refused) parts.push(`${counts.refused} the model API documents it refuses`);
  return parts.join(' · ');
}

/** One line per tool: `name → namespace/modelName`, and what changes on the way. */
export function modelToolLine(t: ToolModelEntry): string {
  if (t.dropped !== undefined) return `${t.name} → not sent: ${t.dropped}`;
  const name = `${t.name} → ${t.namespace}/${t.modelName}`;
  const extra = [...schemaNotes(t), ...(t.refusals ?? []).map((r) => `API: ${r.detail}`)];
  return extra.length > 0 ? `${name} — ${extra.join('; ')}` : name;
}

/** The schema sent, as compact JSON cut to `max` characters. */
export function schemaText(t: ToolModelEntry, max = 300): string {
  if (t.schema === undefined) return t.schemaBytes !== undefined ? `(${Math.round(t.schemaBytes / 1024)} KB, not in the report)` : '';
  const text = JSON.stringify(t.schema);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** model-view.ts's notes about sizes (not changes). */
const SIZE_NOTE = /^its (schema|description) is \d+ KB/;

/** Notes other than the rename (which the name line already shows). */
function schemaNotes(t: ToolModelEntry): string[] {
  return t.notes.filter((n) => !n.startsWith('renamed to '));
}
