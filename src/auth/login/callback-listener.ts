/**
 * The loopback redirect target of a browser login: an HTTP listener on 127.0.0.1 (never another
 * interface) that waits, bounded, for the authorization server to send the browser back. The
 * redirect URI has Codex's shape, `http://127.0.0.1:<port>/callback/<callback id>`, so that a
 * client pre-registered for Codex accepts it; the port is the configured callback port, or an
 * ephemeral one.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setDelay } from '../../deadline.ts';

export interface CallbackListener {
  redirectUri: string;
  port: number;
  /** The first request to the callback path, as a full URL (it carries the code: a secret). */
  wait(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<CallbackWait>;
  close(): Promise<void>;
}

export type CallbackWait = { kind: 'received'; url: string } | { kind: 'timeout' } | { kind: 'aborted' };

const PAGE = `<!doctype html><meta charset="utf-8"><title>mcp-doctor</title><body style="font-family:sans-serif;margin:3rem">
<h1>mcp-doctor received the login</h1><p>You can close this tab and return to the terminal.</p></body>`;

export async function startCallbackListener(opts: { port?: number; path: string }): Promise<CallbackListener> {
  const sockets = new Set<Socket>();
  let received: string | undefined;
  const waiters = new Set<(url: string) => void>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1`);
    if (req.method !== 'GET' || url.pathname !== opts.path) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(PAGE);
    if (received !== undefined) return;
    received = `http://127.0.0.1:${port}${req.url ?? ''}`;
    for (const w of waiters) w(received);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    redirectUri: `http://127.0.0.1:${port}${opts.path}`,
    wait: ({ timeoutMs, signal }) =>
      new Promise<CallbackWait>((resolve) => {
        if (received !== undefined) return resolve({ kind: 'received', url: received });
        if (signal?.aborted) return resolve({ kind: 'aborted' });
        const done = (value: CallbackWait) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiters.delete(onReceived);
          resolve(value);
        };
        const onReceived = (url: string) => done({ kind: 'received', url });
        const onAbort = () => done({ kind: 'aborted' });
        const timer = setDelay(() => done({ kind: 'timeout' }), timeoutMs);
        timer.unref?.();
        waiters.add(onReceived);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
