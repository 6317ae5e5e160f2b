import type { ServerContext } from '../../pipeline/context.ts';
import { VERSION } from '../../version.ts';
import { CODEX_ACCEPT, initializeParams } from './codex-headers.ts';
import { exchangeFollowingRedirects, type Exchange, type HttpClient } from './http-exchange.ts';
import { isObject, readAnswer, rpcRequest, sameId } from './jsonrpc.ts';
import type { SseEvent } from './sse-reader.ts';

/**
 * The side probes of discovery: the legacy HTTP+SSE GET, the 2026-07-28 `server/discover`, and
 * sibling URLs that may answer Streamable HTTP. Each is bounded and never leaves a stream open.
 */

export const MODERN_PROTOCOL_VERSION = '2026-07-28';
const SSE_PROBE_MS = 5000;
const PROBE_MS = 3000;

export interface LegacySseProbe {
  exchange: Exchange;
  /** The first event, when it is `endpoint`. */
  endpoint?: SseEvent;
  /** The events read (at most the first real one). */
  events: SseEvent[];
}

/** GET with `Accept: text/event-stream`, reading only up to the first real event. */
export async function probeLegacySse(ctx: ServerContext, client: HttpClient, url: string, headers: Record<string, string>): Promise<LegacySseProbe> {
  const exchange = await client.exchange({
    method: 'GET',
    url,
    headers: { ...headers, Accept: 'text/event-stream' },
    label: 'legacy HTTP+SSE probe',
    timeoutMs: Math.min(SSE_PROBE_MS, ctx.remainingMs()),
    until: (event) => event.kind !== 'priming',
    maxBodyBytes: 64 * 1024,
  });
  const events = exchange.response?.sse?.events ?? [];
  const first = events.find((e) => e.kind !== 'priming');
  return { exchange, events, ...(exchange.response?.status === 200 && first?.kind === 'endpoint' && { endpoint: first }) };
}

export interface ModernProbe {
  exchange: Exchange;
  /** Set when the server speaks the 2026-07-28 protocol. */
  supportedVersions?: string[];
  serverInfo?: { name?: string; version?: string };
}

/** POST `server/discover` as a 2026-07-28 client would (per-request `_meta`, `Mcp-Method`). */
export async function probeModern(ctx: ServerContext, client: HttpClient, url: string, headers: Record<string, string>): Promise<ModernProbe> {
  const id = 'mcp-doctor-discover';
  const exchange = await client.exchange({
    method: 'POST',
    url,
    headers: { ...headers, Accept: CODEX_ACCEPT, 'MCP-Protocol-Version': MODERN_PROTOCOL_VERSION, 'Mcp-Method': 'server/discover' },
    body: rpcRequest(id, 'server/discover', {
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
        'io.modelcontextprotocol/clientInfo': { name: 'mcp-doctor', version: VERSION },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    }),
    label: 'modern-era probe (server/discover)',
    timeoutMs: Math.min(PROBE_MS, ctx.remainingMs()),
    until: (event) => isObject(event.message) && sameId(event.message.id, id),
    maxBodyBytes: 256 * 1024,
  });
  if (!exchange.response || exchange.failure) return { exchange };
  const answer = readAnswer(exchange, id);
  if (answer.kind === 'result' && isObject(answer.result) && Array.isArray(answer.result.supportedVersions)) {
    const versions = answer.result.supportedVersions.filter((v): v is string => typeof v === 'string');
    const meta = isObject(answer.result._meta) ? answer.result._meta['io.modelcontextprotocol/serverInfo'] : undefined;
    return {
      exchange,
      supportedVersions: versions,
      ...(isObject(meta) && { serverInfo: { name: stringOr(meta.name), version: stringOr(meta.version) } }),
    };
  }
  // -32022 naming a modern version: the server is modern but wants another revision.
  if (answer.kind === 'error' && answer.error.code === -32022 && isObject(answer.error.data) && Array.isArray(answer.error.data.supported)) {
    const versions = answer.error.data.supported.filter((v): v is string => typeof v === 'string');
    if (versions.some((v) => v >= '2026')) return { exchange, supportedVersions: versions };
  }
  return { exchange };
}

export interface SiblingProbe {
  /** The first candidate that answered `initialize` with a valid result. */
  url?: string;
  tried: Array<{ url: string; outcome: string }>;
}

/** Sibling endpoints worth trying when the configured URL is not Streamable HTTP. */
export function siblingCandidates(url: string): string[] {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  const path = u.pathname.replace(/\/+$/, '');
  const out: string[] = [];
  const add = (p: string) => {
    const candidate = `${u.origin}${p === '' ? '/' : p}`;
    if (candidate !== url && !out.includes(candidate)) out.push(candidate);
  };
  const segments = path.split('/');
  const last = segments.at(-1) ?? '';
  const parent = segments.slice(0, -1).join('/');
  if (last === 'sse') {
    add(`${parent}/mcp`);
    if (parent !== '') add(parent);
  } else if (last !== 'mcp') {
    add(`${path}/mcp`);
  }
  add('/mcp');
  return out.slice(0, 3);
}

/**
 * Tries each sibling with the `initialize` Codex would send; a session a sibling opens is
 * closed again at once.
 */
export async function probeSiblings(ctx: ServerContext, client: HttpClient, url: string, headers: Record<string, string>): Promise<SiblingProbe> {
  const tried: SiblingProbe['tried'] = [];
  for (const candidate of siblingCandidates(url)) {
    if (ctx.remainingMs() < 500) break;
    const followed = await exchangeFollowingRedirects(client, {
      method: 'POST',
      url: candidate,
      headers: { ...headers, Accept: CODEX_ACCEPT },
      body: rpcRequest(0, 'initialize', initializeParams()),
      label: 'sibling endpoint probe',
      timeoutMs: Math.min(PROBE_MS, ctx.remainingMs()),
      until: (event) => isObject(event.message) && sameId(event.message.id, 0),
      maxBodyBytes: 256 * 1024,
    });
    const ex = followed.exchange;
    const answer = ex.response && !ex.failure ? readAnswer(ex, 0) : undefined;
    if (answer?.kind === 'result' && isObject(answer.result) && typeof answer.result.protocolVersion === 'string') {
      const session = ex.response!.headers['mcp-session-id'];
      if (session) {
        await client.exchange({
          method: 'DELETE',
          url: followed.finalUrl,
          headers: { ...headers, 'Mcp-Session-Id': session },
          label: 'close sibling probe session',
          timeoutMs: Math.min(1000, ctx.remainingMs()),
        });
      }
      tried.push({ url: candidate, outcome: 'answers initialize' });
      return { url: followed.finalUrl, tried };
    }
    tried.push({
      url: candidate,
      outcome: ex.failure ? `${ex.failure.kind} (${ex.failure.phase})` : ex.response ? `HTTP ${ex.response.status}${ex.response.contentType ? ` ${ex.response.contentType}` : ''}` : 'no answer',
    });
  }
  return { tried };
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
