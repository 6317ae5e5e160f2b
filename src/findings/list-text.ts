import { REPORT_EVIDENCE_ITEMS, REPORT_LIST_ITEMS, REPORT_STRING_CHARS, REPORT_TOOL_NAME_CHARS } from '../limits.ts';

/**
 * Lists in finding messages stay short whatever a server sends: at most REPORT_LIST_ITEMS items,
 * then "and N more" (the evidence keeps the count); a name longer than REPORT_TOOL_NAME_CHARS is
 * cut. 2000 tools with 7 000-character names made a 73 MB JSON report before (measured).
 */
export function listText<T>(items: readonly T[], render: (item: T) => string, max = REPORT_LIST_ITEMS): string {
  const shown = items.slice(0, max).map(render).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** A name from the wire as a report shows it: cut past `max` characters, saying how many more. */
export function clipName(name: string, max = REPORT_TOOL_NAME_CHARS): string {
  return name.length > max ? `${name.slice(0, max)}… (${name.length - max} more characters)` : name;
}

/**
 * The bound applied to what a stage reports, at capture (run-server.ts): every string cut at
 * REPORT_STRING_CHARS, and in findings' evidence every list cut at REPORT_EVIDENCE_ITEMS (with a
 * last item that says how many were left out). The builders of messages keep lists short
 * themselves (listText); this is what makes a builder that forgets safe.
 */
export function boundReportValue<T>(value: T, inEvidence = false, depth = 0): T {
  if (typeof value === 'string') return (value.length > REPORT_STRING_CHARS ? `${value.slice(0, REPORT_STRING_CHARS)}… (${value.length - REPORT_STRING_CHARS} more characters)` : value) as T;
  if (value === null || typeof value !== 'object' || depth > 200) return value;
  if (Array.isArray(value)) {
    const kept = inEvidence && value.length > REPORT_EVIDENCE_ITEMS ? [...value.slice(0, REPORT_EVIDENCE_ITEMS), `… ${value.length - REPORT_EVIDENCE_ITEMS} more`] : value;
    return kept.map((v) => boundReportValue(v, inEvidence, depth + 1)) as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = boundReportValue(v, inEvidence || k === 'evidence', depth + 1);
  return out as T;
}
