// A real 2026-era MCP server that nobody on this team wrote: the official TypeScript SDK v2
// (`@modelcontextprotocol/server` 2.4.0, a devDependency) served through its own
// `createMcpHandler`, mounted on plain node:http by a small adapter (IncomingMessage → web
// `Request`, web `Response` → ServerResponse, streamed bodies such as SSE passed through chunk by
// chunk). Two tools. `legacy` is the handler's own option:
//   'stateless' (the SDK default): 2026-07-28 traffic on the modern path, 2025-era traffic
//     (`initialize`, ...) answered statelessly by a fresh instance per request: a dual-era server;
//   'reject': modern-only strict; legacy requests get the unsupported-protocol-version error
//     naming the supported revisions.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

export interface SdkV2Server {
  /** The MCP endpoint, e.g. http://127.0.0.1:PORT/mcp */
  url: string;
  /** What reached the server, in order (method, path, JSON-RPC method when there was one). */
  requests: Array<{ method: string; path: string; rpcMethod?: string; headers: Record<string, string | string[] | undefined> }>;
  /** Errors the SDK reported through `onerror` (rejected requests included: reporting only). */
  errors: Error[];
  close(): Promise<void>;
}

export const SDK_V2_TOOLS = ['echo', 'add'] as const;
export const SDK_V2_SERVER_INFO = { name: 'sdk-v2-fixture', version: '2.4.0-test' };

function buildServer(): McpServer {
  const server = new McpServer(SDK_V2_SERVER_INFO);
  server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    { description: 'Add two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }) },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  return server;
}

/** node:http request → web Request (body buffered: MCP POST bodies are single small JSON documents). */
async function toWebRequest(req: IncomingMessage, origin: string, signal: AbortSignal): Promise<Request> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else headers.set(k, v);
  }
  const method = req.method ?? 'GET';
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    body = Buffer.concat(chunks);
  }
  return new Request(new URL(req.url ?? '/', origin), { method, headers, body, signal });
}

/** web Response → node:http response, streaming the body (SSE frames go out as they are produced). */
async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === 'set-cookie') return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  res.flushHeaders();
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  res.on('close', () => body.destroy());
  for await (const chunk of body) {
    if (res.destroyed) break;
    res.write(chunk);
  }
  res.end();
}

/**
 * `responseMode` is the handler's shaping of modern (2026-07-28) answers: 'auto' (the default:
 * JSON unless the handler streams), 'sse' (always an event stream, `server/discover` included).
 */
export async function startSdkV2Server(opts: { legacy: 'stateless' | 'reject'; responseMode?: 'auto' | 'sse' | 'json' }): Promise<SdkV2Server> {
  const errors: Error[] = [];
  const requests: SdkV2Server['requests'] = [];
  const handler = createMcpHandler(() => buildServer(), { legacy: opts.legacy, responseMode: opts.responseMode ?? 'auto', onerror: (e) => errors.push(e), keepAliveMs: 0 });
  const sockets = new Set<Socket>();
  let origin = '';

  const server = createServer((req, res) => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    void (async () => {
      try {
        const request = await toWebRequest(req, origin, abort.signal);
        const entry: SdkV2Server['requests'][number] = { method: request.method, path: new URL(request.url).pathname, headers: { ...req.headers } };
        requests.push(entry);
        if (request.method === 'POST') {
          try {
            const parsed = JSON.parse(await request.clone().text()) as { method?: unknown };
            if (typeof parsed?.method === 'string') entry.rpcMethod = parsed.method;
          } catch {
            // not JSON: the handler answers that itself
          }
        }
        const path = new URL(request.url).pathname;
        const response = path === '/mcp' ? await handler.fetch(request) : new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
        await sendWebResponse(res, response);
      } catch (e) {
        errors.push(e as Error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`adapter error: ${(e as Error).message}`);
      }
    })();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closed = false;
  return {
    url: `${origin}/mcp`,
    requests,
    errors,
    async close() {
      if (closed) return;
      closed = true;
      await handler.close().catch(() => undefined);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
