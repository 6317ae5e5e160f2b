import type { ServerContext } from '../../pipeline/context.ts';
import type { HttpClient } from './http-exchange.ts';
import { isObject } from './jsonrpc.ts';

/**
 * "Can `codex mcp login` work for this URL?": protected resource metadata (RFC 9728) from the
 * challenge's `resource_metadata` or the well-known URLs, then authorization server metadata
 * (RFC 8414 / OIDC), in the order Codex 0.169.0 requests them (captured from the wire). These GETs
 * never carry credentials.
 */

/** Codex sends this version on its OAuth discovery requests. */
const DISCOVERY_PROTOCOL_VERSION = '2024-11-05';
const PER_REQUEST_MS = 5000;

export interface MetadataAttempt {
  url: string;
  status?: number;
  /** Why the document was not used ("404", "not JSON", "no token_endpoint", a network error). */
  problem?: string;
}

export interface OAuthDiscovery {
  attempts: MetadataAttempt[];
  prm?: { url: string; document: Record<string, unknown> };
  as?: { url: string; document: Record<string, unknown> };
  /** The AS metadata names both endpoints a login needs. */
  loginPossible: boolean;
}

export async function discoverOAuth(ctx: ServerContext, client: HttpClient, mcpUrl: string, resourceMetadata?: string): Promise<OAuthDiscovery> {
  const attempts: MetadataAttempt[] = [];
  const url = new URL(mcpUrl);
  const path = url.pathname.replace(/\/+$/, '');

  const prmCandidates: string[] = [];
  if (resourceMetadata && /^https?:\/\//i.test(resourceMetadata)) prmCandidates.push(resourceMetadata);
  if (path !== '') prmCandidates.push(`${url.origin}/.well-known/oauth-protected-resource${path}`, `${url.origin}${path}/.well-known/oauth-protected-resource`);
  prmCandidates.push(`${url.origin}/.well-known/oauth-protected-resource`);

  let prm: OAuthDiscovery['prm'];
  for (const candidate of unique(prmCandidates)) {
    const doc = await fetchJson(ctx, client, candidate, attempts, (d) => (Array.isArray(d.authorization_servers) || typeof d.resource === 'string' ? undefined : 'no resource or authorization_servers'));
    if (doc) {
      prm = { url: candidate, document: doc };
      break;
    }
  }

  const asBase = firstString(prm?.document.authorization_servers);
  const asCandidates: string[] = [];
  if (asBase && /^https?:\/\//i.test(asBase)) asCandidates.push(...authorizationServerUrls(asBase));
  asCandidates.push(...authorizationServerUrls(`${url.origin}${path}`));

  let as: OAuthDiscovery['as'];
  for (const candidate of unique(asCandidates)) {
    const doc = await fetchJson(ctx, client, candidate, attempts, (d) =>
      typeof d.authorization_endpoint !== 'string' ? 'no authorization_endpoint' : typeof d.token_endpoint !== 'string' ? 'no token_endpoint' : undefined,
    );
    if (doc) {
      as = { url: candidate, document: doc };
      break;
    }
  }
  return { attempts, prm, as, loginPossible: as !== undefined };
}

/** RFC 8414 §3.1 path insertion, then OIDC discovery variants, then the root document. */
function authorizationServerUrls(base: string): string[] {
  const u = new URL(base);
  const path = u.pathname.replace(/\/+$/, '');
  if (path === '') return [`${u.origin}/.well-known/oauth-authorization-server`, `${u.origin}/.well-known/openid-configuration`];
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
    `${u.origin}/.well-known/oauth-authorization-server`,
  ];
}

async function fetchJson(
  ctx: ServerContext,
  client: HttpClient,
  url: string,
  attempts: MetadataAttempt[],
  validate: (doc: Record<string, unknown>) => string | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (ctx.remainingMs() <= 0) {
    attempts.push({ url, problem: 'not tried: the deadline passed' });
    return undefined;
  }
  const ex = await client.exchange({
    method: 'GET',
    url,
    headers: { Accept: 'application/json', 'MCP-Protocol-Version': DISCOVERY_PROTOCOL_VERSION },
    label: 'OAuth metadata',
    timeoutMs: PER_REQUEST_MS,
    maxBodyBytes: 256 * 1024,
  });
  const res = ex.response;
  if (!res || ex.failure) {
    attempts.push({ url, ...(res && { status: res.status }), problem: ex.failure ? `${ex.failure.kind}: ${ex.failure.detail}` : 'no response' });
    return undefined;
  }
  if (res.status !== 200) {
    attempts.push({ url, status: res.status, problem: `HTTP ${res.status}` });
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(res.body);
  } catch {
    attempts.push({ url, status: res.status, problem: `not JSON (${res.contentType ?? 'no content type'})` });
    return undefined;
  }
  if (!isObject(doc)) {
    attempts.push({ url, status: res.status, problem: 'not a JSON object' });
    return undefined;
  }
  const problem = validate(doc);
  attempts.push({ url, status: res.status, ...(problem && { problem }) });
  return problem ? undefined : doc;
}

function firstString(value: unknown): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
