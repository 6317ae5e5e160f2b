/**
 * The widened interop suite (issue 16): popular third-party MCP servers from npm, pinned in the
 * test-deps cache (scripts/test-deps.mjs groups `reference`, `gateways`, `saas`), started the way
 * their READMEs say, healthy and broken the ways users break them. Each file puts many servers in
 * ONE config, runs the doctor once and Codex once on it, compares every verdict, then applies the
 * fixes the doctor proposes and asks Codex again: each fixed server must connect.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { tomlKey, tomlValue } from '../../src/config/toml-snippet.ts';
import { askCodex, type CodexVerdict } from '../helpers/codex-oracle.ts';
import { checkJson } from '../helpers/cli.ts';
import { testDepPath } from '../helpers/test-deps.ts';

const bin = (group: string, pkg: string, ...rel: string[]) => testDepPath(group, pkg, ...rel);

/** Entry points of the pinned packages (what `npx -y PKG` runs). */
export const POPULAR = {
  filesystem: () => bin('reference', '@modelcontextprotocol/server-filesystem', 'dist', 'index.js'),
  memory: () => bin('reference', '@modelcontextprotocol/server-memory', 'dist', 'index.js'),
  sequentialThinking: () => bin('reference', '@modelcontextprotocol/server-sequential-thinking', 'dist', 'index.js'),
  postgres: () => bin('reference', '@modelcontextprotocol/server-postgres', 'dist', 'index.js'),
  braveSearch: () => bin('reference', '@modelcontextprotocol/server-brave-search', 'dist', 'index.js'),
  github: () => bin('reference', '@modelcontextprotocol/server-github', 'dist', 'index.js'),
  mcpProxy: () => bin('gateways', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs'),
  supergateway: () => bin('gateways', 'supergateway', 'dist', 'index.js'),
};

/** A server table as data (so a fix can be merged into it and the TOML written again). */
export type Table = Record<string, unknown>;

export function configToml(tables: Record<string, Table>, top: Table = {}): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(top)) lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
  for (const [name, table] of Object.entries(tables)) {
    lines.push('', `[mcp_servers.${tomlKey(name)}]`);
    for (const [k, v] of Object.entries(table)) if (v !== undefined) lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Merges a finding's `fix.toml` (a `[mcp_servers.NAME]` fragment) into the table. */
export function applyFixToml(table: Table, name: string, fixToml: string): Table {
  const parsed = parse(fixToml) as { mcp_servers?: Record<string, Table> };
  const patch = parsed.mcp_servers?.[name];
  assert.ok(patch, `the fix is not a [mcp_servers.${name}] fragment:\n${fixToml}`);
  // A fix that changes the transport (a bridge for a URL, a URL for a bridge) replaces the
  // other transport's keys, as a user pasting it over the table would (Codex refuses a mix).
  const base = { ...table };
  if ('command' in patch) for (const k of ['url', 'bearer_token_env_var', 'http_headers', 'env_http_headers']) delete base[k];
  if ('url' in patch) for (const k of ['command', 'args', 'env', 'env_vars', 'cwd']) delete base[k];
  return { ...base, ...patch };
}

export interface DoctorRun {
  report: any;
  code: number | null;
  byName(name: string): any;
}

/** `check --json` of a whole config in one run. */
export async function doctor(toml: string, env: Record<string, string | undefined>, args: string[] = []): Promise<DoctorRun> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-popular-'));
  try {
    const path = join(dir, 'config.toml');
    writeFileSync(path, toml);
    const { report, code } = await checkJson(['--config', path, '--concurrency', '16', ...args], { env, timeoutMs: 110_000 });
    return { report, code, byName: (name) => report.servers.find((s: any) => s.name === name) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function codex(toml: string, env: Record<string, string | undefined>, timeoutMs = 90_000): Promise<CodexVerdict> {
  return askCodex(toml, { env, timeoutMs });
}

export const codesOf = (server: any): string[] => server.findings.map((f: any) => `${f.code}:${f.severity}`);

/** The doctor's status agrees with Codex: fail exactly when Codex cannot use the server. */
export function assertAgrees(name: string, server: any, verdict: CodexVerdict): void {
  const v = verdict.servers[name];
  assert.ok(v, `Codex did not report "${name}"`);
  const codexFails = !v.connected;
  assert.equal(server.status === 'fail', codexFails, `"${name}": doctor ${server.status} (${codesOf(server).join(', ')}), Codex ${v.connected ? `connected (${v.toolCount} tools)` : `failed: ${v.errorSummary ?? v.error}`}`);
  if (v.connected && server.tools) assert.equal(server.tools.count, v.toolCount, `"${name}": tool count`);
}
