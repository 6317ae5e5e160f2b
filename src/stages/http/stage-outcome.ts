import type { StageOutcome } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';

/**
 * Findings built by modules that redact at capture time (the auth forensics). The plan redacts
 * every other finding once more; these are left alone because their prose would not survive a
 * second pass.
 */
const capturedRedacted = new WeakSet<Finding>();

export function markRedactedAtCapture<F extends Finding>(finding: F): F {
  capturedRedacted.add(finding);
  return finding;
}

export function isRedactedAtCapture(finding: Finding): boolean {
  return capturedRedacted.has(finding);
}

export function fail(summary: string, findings: Finding[], server?: StageOutcome['server']): StageOutcome {
  return { summary, findings, ...(server && { server }) };
}

export function failureWords(kind: string): string {
  switch (kind) {
    case 'dns':
      return 'host name does not resolve';
    case 'refused':
      return 'connection refused';
    case 'tls':
      return 'TLS handshake failed';
    case 'timeout':
      return 'no answer in time';
    case 'proxy':
      return 'the proxy refused the request';
    default:
      return 'connection failed';
  }
}

/** A JSON value for evidence, cut at 500 characters. */
export function truncateJson(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 500 ? `${text.slice(0, 500)}…` : value;
}
