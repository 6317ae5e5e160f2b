import type { ServerStatus, Severity, StageStatus } from '../types.ts';

/**
 * Every status is a symbol paired with a word, so that nothing depends on colour alone (screen
 * readers, NO_COLOR, pasted reports). `color` names a chalk method; renderers apply it or not.
 */
export interface Mark {
  symbol: string;
  word: string;
  color: 'green' | 'yellow' | 'red' | 'gray' | 'magenta' | 'blue';
}

export const STAGE_MARKS: Record<StageStatus, Mark> = {
  pass: { symbol: '✔', word: 'pass', color: 'green' },
  warn: { symbol: '!', word: 'warn', color: 'yellow' },
  fail: { symbol: '✖', word: 'fail', color: 'red' },
  skipped: { symbol: '-', word: 'skipped', color: 'gray' },
  // Flutter's [☠]: a bug in mcp-doctor, never a verdict about the user's setup.
  crashed: { symbol: '☠', word: 'crashed', color: 'magenta' },
};

export const SERVER_MARKS: Record<ServerStatus, Mark> = {
  ok: { symbol: '✔', word: 'ok', color: 'green' },
  warn: { symbol: '!', word: 'warn', color: 'yellow' },
  fail: { symbol: '✖', word: 'fail', color: 'red' },
  skipped: { symbol: '-', word: 'skipped', color: 'gray' },
};

export const SEVERITY_MARKS: Record<Severity, Mark> = {
  error: { symbol: '✖', word: 'error', color: 'red' },
  warning: { symbol: '!', word: 'warning', color: 'yellow' },
  info: { symbol: '•', word: 'info', color: 'blue' },
};

export const CRASH_MARK: Mark = STAGE_MARKS.crashed;

/** The finding a stage throw turns into (see pipeline/run-server.ts). */
export const CRASH_CODE = 'internal.stage-crashed';

export function transportLabel(transport: string, httpTransport?: 'streamable' | 'sse'): string {
  if (transport === 'stdio') return 'stdio';
  if (transport === 'streamable_http') return httpTransport === 'sse' ? 'http (legacy SSE)' : 'http';
  return 'no transport';
}

export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}
