/**
 * Real MCP servers from the npm registry (installed as dev dependencies) for the interop tests:
 * each runs in its own process group on a free 127.0.0.1 port and close() ends the whole group.
 * Example servers that hard-code port 3000 are moved to a free port by a preload
 * (fixtures/interop/port-remap.cjs), so they can all run at once and never meet a developer's own
 * server on 3000.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ROOT } from '../helpers/cli.ts';
import { EVERYTHING, LOOPBACK_PRELOAD, MCP_REMOTE_PROXY, SDK_EXAMPLES, freePort, portInUse } from '../helpers/real-servers.ts';

export { EVERYTHING, MCP_REMOTE_PROXY, SDK_EXAMPLES, freePort };
export const PORT_REMAP_PRELOAD = join(ROOT, 'fixtures', 'interop', 'port-remap.cjs');

export interface InteropServer {
  pid: number;
  origin: string;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

export interface ServerSpec {
  /** Script and arguments for `node`. */
  args: string[];
  env?: Record<string, string>;
  /** Ports the server must be listening on before it counts as started. */
  waitFor: number[];
  /** Hard-coded port → free port, applied by the preload. */
  portMap?: Record<number, number>;
}

/** Starts `node -r loopback -r port-remap ARGS` in a new process group and waits for its ports. */
export async function startServer(spec: ServerSpec, startupMs = 20_000): Promise<InteropServer> {
  const portMap = Object.entries(spec.portMap ?? {})
    .map(([from, to]) => `${from}:${to}`)
    .join(',');
  const child = spawn(process.execPath, ['-r', LOOPBACK_PRELOAD, '-r', PORT_REMAP_PRELOAD, ...spec.args], {
    cwd: ROOT,
    env: { ...process.env, ...spec.env, MCP_DOCTOR_PORT_MAP: portMap },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const server: InteropServer = {
    pid: child.pid!,
    origin: `http://127.0.0.1:${spec.waitFor[0]}`,
    output: () => output,
    close: () => killGroup(child),
  };
  const deadline = Date.now() + startupMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${spec.args[0]} exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    const listening = await Promise.all(spec.waitFor.map(portInUse));
    if (listening.every(Boolean)) return server;
    if (Date.now() > deadline) {
      await server.close();
      throw new Error(`${spec.args[0]} did not listen on ${spec.waitFor.join(', ')} within ${startupMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM to the process group, SIGKILL after 2 s: nothing the server started survives it. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
  // Children that ignored SIGTERM outlive the leader; the group id still reaches them.
  signal('SIGKILL');
}

/**
 * The capabilities Codex 0.169.0 declares in `initialize`, over stdio and HTTP alike (measured:
 * a stdio server started by `codex app-server` logged `"capabilities":{"elicitation":{"form":{},"url":{}}}`).
 * Servers register tools by client capability (server-everything adds `trigger-url-elicitation`
 * only for `elicitation.url`), so the count to compare with is what a client declaring these sees.
 */
export const CODEX_CAPABILITIES = { elicitation: { form: {}, url: {} } };

export type ToolsTarget =
  | { kind: 'streamable'; url: string; headers?: Record<string, string> }
  | { kind: 'sse'; url: string }
  | { kind: 'stdio'; command: string; args: string[]; env?: Record<string, string> };

/** Tool names as the official SDK client reads them (every page), independently of mcp-doctor. */
export async function toolNamesFromSdk(target: ToolsTarget, timeoutMs = 20_000): Promise<string[]> {
  const transport: Transport =
    target.kind === 'streamable'
      ? new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: target.headers ?? {} } })
      : target.kind === 'sse'
        ? new SSEClientTransport(new URL(target.url))
        : new StdioClientTransport({ command: target.command, args: target.args, env: { ...(process.env as Record<string, string>), ...target.env }, stderr: 'pipe' });
  const client = new Client({ name: 'interop-oracle', version: '0' }, { capabilities: CODEX_CAPABILITIES });
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await client.connect(transport, { signal });
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { signal });
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return names;
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * An access token from the SDK's OAuth demo (simpleStreamableHttp.js --oauth), which approves by
 * itself: dynamic registration, authorize with PKCE S256 and `resource` (no browser: the 302
 * carries the code), token exchange.
 */
export async function demoAccessToken(asOrigin: string, resource: string): Promise<string> {
  const signal = () => AbortSignal.timeout(5000);
  const redirect = 'http://127.0.0.1:1/callback';
  const registration = (await (
    await fetch(`${asOrigin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'interop', redirect_uris: [redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] }),
      signal: signal(),
    })
  ).json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${asOrigin}/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: registration.client_id,
    redirect_uri: redirect,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
    scope: 'mcp:tools',
    state: 'interop',
  }).toString();
  const approved = await fetch(authorize, { redirect: 'manual', signal: signal() });
  const code = new URL(approved.headers.get('location') ?? 'http://invalid/').searchParams.get('code');
  if (!code) throw new Error(`the demo did not approve: HTTP ${approved.status}`);
  const token = (await (
    await fetch(`${asOrigin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: registration.client_id, redirect_uri: redirect, resource }),
      signal: signal(),
    })
  ).json()) as { access_token?: string };
  if (!token.access_token) throw new Error('the demo issued no access token');
  return token.access_token;
}
