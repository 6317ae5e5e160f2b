import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.ts';
import { testDepPath } from './test-deps.ts';

/**
 * Real MCP servers from node_modules for end-to-end tests, all bound to 127.0.0.1 (through the
 * loopback preload) and killed by close(). Several SDK examples hard-code port 3000: those are
 * started under a lock file so that test files running in parallel take turns, and a test gets
 * `{ skip }` instead of a server when something else holds the port.
 */

export const LOOPBACK_PRELOAD = join(ROOT, 'fixtures', 'http', 'loopback.cjs');
export const EVERYTHING = testDepPath('everything', '@modelcontextprotocol/server-everything', 'dist', 'index.js');
export const SDK_EXAMPLES = join(ROOT, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'examples', 'server');
export const MCP_REMOTE_PROXY = testDepPath('bridges', 'mcp-remote', 'dist', 'proxy.js');

export interface RealServer {
  port: number;
  origin: string;
  /** Output of the server so far (stdout and stderr), for failure messages. */
  output(): string;
  close(): Promise<void>;
}

export type Started = RealServer | { skip: string };

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `@modelcontextprotocol/server-everything` over HTTP (`streamableHttp` serves /mcp, `sse` serves /sse). */
export async function startEverything(mode: 'streamableHttp' | 'sse'): Promise<RealServer> {
  const port = await freePort();
  return startNode([EVERYTHING, mode], { PORT: String(port) }, port);
}

export const SDK_EXAMPLE_PORTS = {
  /** Port from MCP_PORT; /mcp with sessions, SSE answers. */
  simpleStreamableHttp: undefined,
  /** Fixed 3000; /mcp with sessions, JSON answers. */
  jsonResponseStreamableHttp: 3000,
  /** Fixed 3000; legacy HTTP+SSE: GET /mcp gives the endpoint, POST /messages. */
  simpleSseServer: 3000,
  /** Fixed 3000; Streamable HTTP at /mcp and legacy HTTP+SSE at /sse. */
  sseAndStreamableHttpCompatibleServer: 3000,
  /** Fixed 3000; stateless /mcp. */
  simpleStatelessStreamableHttp: 3000,
} as const;
export type SdkExample = keyof typeof SDK_EXAMPLE_PORTS;

/**
 * Starts one of the SDK's example servers. For the fixed-port ones the lock is held until
 * close(); when port 3000 is busy with something else the result is `{ skip }`.
 */
export async function startSdkExample(name: SdkExample): Promise<Started> {
  const script = join(SDK_EXAMPLES, `${name}.js`);
  const fixed = SDK_EXAMPLE_PORTS[name];
  if (fixed === undefined) {
    const port = await freePort();
    return startNode([script], { MCP_PORT: String(port) }, port);
  }
  const release = await lockPort(fixed, 30_000);
  if (!release) return { skip: `another test holds the lock for port ${fixed}` };
  if (await portInUse(fixed)) {
    release();
    return { skip: `port ${fixed} is in use by another program` };
  }
  try {
    const server = await startNode([script], {}, fixed);
    return {
      ...server,
      close: async () => {
        try {
          await server.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

async function startNode(args: string[], env: Record<string, string>, port: number): Promise<RealServer> {
  const child = spawn(process.execPath, ['-r', LOOPBACK_PRELOAD, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000)));
  const close = () => stop(child);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    if (await portInUse(port)) return { port, origin: `http://127.0.0.1:${port}`, output: () => output, close };
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  throw new Error(`server did not listen on ${port} within 15 s:\n${output}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** A lock file per fixed port; a stale lock (older than 2 minutes) is taken over. */
async function lockPort(port: number, waitMs: number): Promise<(() => void) | undefined> {
  const path = join(tmpdir(), `mcp-doctor-test-port-${port}.lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx'));
      return () => rmSync(path, { force: true });
    } catch {
      try {
        if (Date.now() - statSync(path).mtimeMs > 120_000) rmSync(path, { force: true });
      } catch {
        // Removed meanwhile: try again.
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface SdkOAuthDemo {
  mcpUrl: string;
  asOrigin: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The SDK's `simpleStreamableHttp.js --oauth` demo (peers.md §3.7): path-based PRM, an
 * auto-approving authorization server on its own port, both kept on loopback by the preload.
 * Resolves to `{ skip }` when the example is missing or does not come up (ports busy).
 */
export async function startSdkOAuthDemo(extraArgs: string[] = []): Promise<SdkOAuthDemo | { skip: string }> {
  const demo = join(SDK_EXAMPLES, 'simpleStreamableHttp.js');
  if (!existsSync(demo)) return { skip: 'SDK example server not installed' };
  const [mcpPort, authPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['-r', LOOPBACK_PRELOAD, demo, '--oauth', ...extraArgs], {
    env: { ...process.env, MCP_PORT: String(mcpPort), MCP_AUTH_PORT: String(authPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = await new Promise<boolean>((resolveReady) => {
    const timer = setTimeout(() => resolveReady(false), 15_000);
    const check = () => {
      if (out.includes(`listening on port ${mcpPort}`) && out.includes(`listening on port ${authPort}`)) {
        clearTimeout(timer);
        resolveReady(true);
      }
    };
    child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), check()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => (clearTimeout(timer), resolveReady(false)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  if (!ready) {
    await stop();
    return { skip: `SDK demo did not start (ports busy?): ${out.slice(0, 300)}` };
  }
  return { mcpUrl: `http://localhost:${mcpPort}/mcp`, asOrigin: `http://localhost:${authPort}`, output: () => out, stop };
}
