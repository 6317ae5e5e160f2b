// Wire specs for fixtures/hostile/wire-stdio-server.mjs: the exact bytes a server answers
// `initialize` and `tools/list` with. Shared by the hostile tests and the differential fuzzer.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

export const WIRE_STDIO_SERVER = join(ROOT, 'fixtures', 'hostile', 'wire-stdio-server.mjs');

export type WireAnswer = (
  | { text: string; noNewline?: boolean }
  | { b64: string; noNewline?: boolean }
  | { big: { head: string; unit: string; count: number; tail: string }; noNewline?: boolean }
  | { flood: number }
) & { delayMs?: number };

export interface WireSpec {
  initialize: WireAnswer;
  tools: WireAnswer;
  stderr?: number;
}

export const VALID_INIT_RESULT = {
  protocolVersion: '2025-06-18',
  capabilities: { tools: {} },
  serverInfo: { name: 'wire', version: '1.0.0' },
};
export const VALID_TOOLS_RESULT = {
  tools: [{ name: 'echo', description: 'Echo.', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }],
};

/** `{"jsonrpc":"2.0","id":__ID__,"result":RESULT}` with RESULT given as JSON text. */
export function response(resultJson: string): string {
  return `{"jsonrpc":"2.0","id":__ID__,"result":${resultJson}}`;
}

export function validSpec(): WireSpec {
  return { initialize: { text: response(JSON.stringify(VALID_INIT_RESULT)) }, tools: { text: response(JSON.stringify(VALID_TOOLS_RESULT)) } };
}

/** Writes the specs to a temp dir; returns their paths and a cleanup. */
export function writeSpecs(specs: Record<string, WireSpec>): { dir: string; paths: Record<string, string>; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-wire-'));
  const paths: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(spec));
    paths[name] = path;
  }
  return { dir, paths, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config.toml with one stdio server per spec (`node wire-stdio-server.mjs SPEC [extra...]`). */
export function wireConfig(paths: Record<string, string>, opts: { timeoutSec?: number; extraArgs?: string[] } = {}): string {
  const lines: string[] = [];
  for (const [name, path] of Object.entries(paths)) {
    lines.push(`[mcp_servers.${name}]`);
    lines.push(`command = ${JSON.stringify(process.execPath)}`);
    lines.push(`args = ${JSON.stringify([WIRE_STDIO_SERVER, path, ...(opts.extraArgs ?? [])])}`);
    lines.push(`startup_timeout_sec = ${opts.timeoutSec ?? 10}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** A config with one stdio server `name` that serves `spec` (the spec file and config are written into `dir`); `marker` tags its processes. */
export function wireStdioConfig(dir: string, name: string, spec: WireSpec, marker: string, timeoutS: number): string {
  const specPath = join(dir, `${name}.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const config = join(dir, `${name}.toml`);
  writeFileSync(config, `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([WIRE_STDIO_SERVER, specPath, marker])}\nstartup_timeout_sec = ${timeoutS}\n`);
  return config;
}
