/**
 * The parts of undici the doctor uses, imported from undici's own modules instead of its index.
 * The index loads everything undici has (fetch, WebSocket, cookies, caches, mocks: ~1 MB of
 * JavaScript) and cost every `check` ~60 ms of start-up CPU (bench/RESULTS.md); these modules are
 * the dispatchers and the request API, the same code `import { request } from 'undici'` runs.
 */
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import AgentImpl from 'undici/lib/dispatcher/agent.js';
import PoolImpl from 'undici/lib/dispatcher/pool.js';
import ProxyAgentImpl from 'undici/lib/dispatcher/proxy-agent.js';
import api from 'undici/lib/api/index.js';
import DispatcherBase from 'undici/lib/dispatcher/dispatcher.js';
import globalDispatcher from 'undici/lib/global.js';
import { HTTP_MAX_HEADER_BYTES } from '../../limits.ts';

// What undici's index does first: every dispatcher gets request(), connect()... as methods.
// ProxyAgent opens its CONNECT tunnels with `client.connect()`, so without this https through a
// proxy fails.
Object.assign((DispatcherBase as { prototype: object }).prototype, api);

export type { Dispatcher } from 'undici';
export const Agent = AgentImpl as unknown as typeof Undici.Agent;
export const Pool = PoolImpl as unknown as typeof Undici.Pool;
export const ProxyAgent = ProxyAgentImpl as unknown as typeof Undici.ProxyAgent;
const globalOf = (globalDispatcher as { getGlobalDispatcher: () => Dispatcher }).getGlobalDispatcher;
let own: Dispatcher | undefined;

/**
 * The dispatcher for requests that name none: undici's global one, as long as nothing replaced
 * it, with Codex's header bound (HTTP_MAX_HEADER_BYTES) instead of Node's 16 KiB. Codex read a
 * 500 KB header where undici's default refused it (a verdict Codex contradicted).
 */
export function getGlobalDispatcher(): Dispatcher {
  const current = globalOf();
  if (!isDefault(current)) return current;
  own ??= new Agent({ maxHeaderSize: HTTP_MAX_HEADER_BYTES });
  return own;
}

let firstGlobal: Dispatcher | undefined;
function isDefault(current: Dispatcher): boolean {
  firstGlobal ??= current;
  return current === firstGlobal;
}

type RequestOptions = { dispatcher?: Dispatcher } & Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Dispatcher.HttpMethod };

/** undici's `request(url, options)`: what its index wraps around the same request API. */
export function request(url: string | URL, options: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  return dispatcher.request({
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
  });
}
