/** The finding for metadata URLs the server named that fetch-policy.ts kept the doctor from fetching. */
import { makeFinding } from '../findings/make-finding.ts';
import type { Finding } from '../types.ts';

export { fetchRefusal } from './fetch-policy.ts';

export function addressRefusedFinding(serverName: string, refused: Array<{ url: string; reason: string }>): Finding {
  const unique = [...new Map(refused.map((r) => [r.url, r])).values()];
  // One line per reason (that is, per host): the URLs tried there are in the evidence.
  const reasons = [...new Set(unique.map((r) => r.reason))];
  return makeFinding('auth.metadata-address-refused', {
    stage: 'auth',
    message:
      `"${serverName}" names OAuth metadata URLs that mcp-doctor did not fetch (${unique.length} URL${unique.length === 1 ? '' : 's'}): ` +
      reasons.join('; ') +
      '. A login through this server would send your client to that address.',
    evidence: { notFetched: unique.map((r) => r.url), reasons: unique.map((r) => r.reason) },
    fix: { summary: 'If the server is yours, publish its OAuth metadata on public URLs of its own origin; otherwise do not log in to it.' },
  });
}
