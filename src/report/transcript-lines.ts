import type { TranscriptEntry } from '../types.ts';
import { inert } from './wrap.ts';

const LABELS: Record<TranscriptEntry['kind'], string> = {
  'http-request': '→ http',
  'http-response': '← http',
  'sse-event': '← sse',
  'stdio-in': '→ stdin',
  'stdio-out': '← stdout',
  stderr: '! stderr',
  note: '· note',
  process: '· process',
};

const TIME_WIDTH = 9;
const LABEL_WIDTH = 9;

/**
 * The wire transcript as plain lines (`   95 ms  ← http    HTTP 401 …`), shared by the text and
 * markdown reports. Wire text is never re-wrapped: it is pasted into bug reports as it was seen;
 * continuation lines hang under the first.
 */
export function transcriptLines(entries: readonly TranscriptEntry[]): string[] {
  const lines: string[] = [];
  const hang = ' '.repeat(TIME_WIDTH + 2 + LABEL_WIDTH + 1);
  for (const entry of entries) {
    const [first = '', ...more] = inert(entry.text).split('\n');
    lines.push(`${`${entry.t} ms`.padStart(TIME_WIDTH)}  ${(LABELS[entry.kind] ?? entry.kind).padEnd(LABEL_WIDTH)} ${first}`.trimEnd());
    for (const line of more) lines.push(`${hang}${line}`.trimEnd());
  }
  return lines;
}
