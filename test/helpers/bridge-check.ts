import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer } from '../../fixtures/http/scenarios.ts';
import { ROOT } from './cli.ts';
import { testDepPath } from './test-deps.ts';
import { checkServer, stdioServer } from './stdio-check.ts';
import type { ServerConfig } from '../../src/config/server-config.ts';
import type { Finding, ServerReport } from '../../src/types.ts';

/**
 * The real mcp-remote 0.15.1 (node_modules/mcp-remote/dist/proxy.js) in front of the HTTP fixture
 * servers, run through the stdio pipeline as `check` runs it. HOME and MCP_REMOTE_CONFIG_DIR point
 * at temp dirs (never the real home); BROWSER is a no-op and DISPLAY is unset, so nothing could
 * open a browser even if a sign-in started; every process carries a marker and none may survive.
 */

export const T = { timeout: 60_000 };
export const PROXY = testDepPath('bridges', 'mcp-remote', 'dist', 'proxy.js');
export const marker = randomUUID();
let scratch: string;
const servers: FixtureServer[] = [];

/** Registers the file's before/after hooks: a scratch directory, fixture servers closed at the end. */
export function useBridgeScratch(): void {
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-bridge-'));
  });
  after(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    rmSync(scratch, { recursive: true, force: true });
  });
}

/** A fresh directory under the scratch directory. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(scratch, prefix));
}

export async function fixture(name: Parameters<typeof startFixtureServer>[0], opts?: Parameters<typeof startFixtureServer>[1]) {
  const server = await startFixtureServer(name, opts);
  servers.push(server);
  return server;
}

/** A fresh HOME with no tokens; `store` is the directory mcp-remote 0.15.1 reads. */
export function freshHome(): { home: string; store: string } {
  const home = scratchDir('home-');
  return { home, store: join(home, '.mcp-auth', 'mcp-remote-v1') };
}

/** `node …/mcp-remote/dist/proxy.js URL ARGS` as a stdio server, with the test marker in its env. */
export function bridge(name: string, url: string, args: string[] = [], extra: Partial<ServerConfig> = {}): ServerConfig {
  return stdioServer(name, process.execPath, [PROXY, url, ...args], {
    ...extra,
    env: { MCP_DOCTOR_BRIDGE_TEST: marker, BROWSER: 'true', ...(extra.env ?? {}) },
  });
}

export function envFor(home: string, more: Record<string, string> = {}): Record<string, string | undefined> {
  return { HOME: home, PATH: process.env.PATH, ...more };
}

/** Pids of live processes whose environment carries the marker. */
export function survivors(): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!)) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`MCP_DOCTOR_BRIDGE_TEST=${marker}`)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

export async function check(config: ServerConfig, env: Record<string, string | undefined>): Promise<ServerReport> {
  const report = await checkServer(config, { env, timeoutMs: 25_000 });
  assert.deepEqual(survivors(), [], 'no process of the check outlives it');
  return report;
}

export function only(findings: Finding[], code: string): Finding {
  const found = findings.filter((f) => f.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${findings.map((f) => `${f.severity} ${f.code}`).join(', ')}`);
  return found[0]!;
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export function writeStore(store: string, key: string, files: Record<string, unknown>): void {
  mkdirSync(store, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(store, `${key}_${name}`), JSON.stringify(content));
}

/** Requests mcp-remote itself made (its fetches say `node` or `undici`; mcp-doctor's own say otherwise or nothing). */
export const fromBridge = (server: FixtureServer) => server.requests.filter((r) => r.headers['user-agent'] === 'node' || r.headers['user-agent'] === 'undici');

