// Starts fixtures/hostile/wire-http-server.mjs with a spec (exact bytes per answer) on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

export const WIRE_HTTP_SERVER = join(ROOT, 'fixtures', 'hostile', 'wire-http-server.mjs');

export const HTTP_INIT = '{"jsonrpc":"2.0","id":__ID__,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"w","version":"1"}}}';
export const HTTP_TOOLS = '{"jsonrpc":"2.0","id":__ID__,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}}';

export async function startWireHttp(spec: unknown, specPath: string): Promise<{ url: string; child: ChildProcess; stop: () => void }> {
  writeFileSync(specPath, JSON.stringify(spec));
  const child = spawn(process.execPath, [WIRE_HTTP_SERVER, specPath], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d) => resolve(/PORT (\d+)/.exec(String(d))![1]!));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child, stop: () => child.kill('SIGKILL') };
}
