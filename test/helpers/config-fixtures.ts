import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'smol-toml';
import { loadConfig, type LoadConfigInput } from '../../src/config/load-config.ts';
import type { LoadedConfig } from '../../src/config/server-config.ts';
import { defaultDeps } from '../../src/pipeline/default-deps.ts';
import type { Finding } from '../../src/types.ts';
import { ROOT } from './cli.ts';

export const CONFIGS = join(ROOT, 'fixtures', 'configs');

export function fixture(name: string): string {
  return join(CONFIGS, name);
}

export interface DepsOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  codexHome?: string;
  platform?: NodeJS.Platform;
}

/** Real file system, a controlled environment, and a CODEX_HOME that holds nothing by default. */
export function configDeps(opts: DepsOptions = {}): LoadConfigInput['deps'] {
  const deps = defaultDeps({
    env: opts.env ?? {},
    cwd: opts.cwd ?? tmpdir(),
    codexHome: opts.codexHome ?? join(tmpdir(), 'mcp-doctor-no-such-codex-home'),
    platform: opts.platform ?? 'linux',
  });
  return deps;
}

export function loadFixture(name: string, opts: DepsOptions = {}): Promise<LoadedConfig> {
  return loadConfig({ configPath: fixture(name), deps: configDeps(opts) });
}

export function allFindings(config: LoadedConfig): Finding[] {
  return [...config.findings, ...config.servers.flatMap((s) => s.findings)];
}

export function serverFindings(config: LoadedConfig, name: string): Finding[] {
  const entry = config.servers.find((s) => s.config.name === name);
  assert.ok(entry, `no server ${name}; servers: ${config.servers.map((s) => s.config.name).join(', ')}`);
  return entry.findings;
}

export function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code);
}

export function only(findings: Finding[], code: string): Finding {
  const matching = findings.filter((f) => f.code === code);
  assert.equal(matching.length, 1, `expected one ${code}, got ${JSON.stringify(codes(findings))}`);
  return matching[0]!;
}

/** Every `fix.toml` parses as TOML (contract §3). */
export function assertFixesParse(findings: Finding[]): void {
  for (const f of findings) {
    if (f.fix?.toml === undefined) continue;
    assert.doesNotThrow(() => parse(f.fix!.toml!), `fix.toml of ${f.code} does not parse:\n${f.fix.toml}`);
  }
}

/** None of `secrets` appears anywhere in the findings (messages, evidence, fixes). */
export function assertNoSecrets(findings: Finding[], secrets: string[]): void {
  const text = JSON.stringify(findings);
  for (const secret of secrets) assert.ok(!text.includes(secret), `secret ${secret.slice(0, 6)}… leaked into findings`);
}

/** A directory tree of files for layering tests; `cleanup()` removes it. */
export function tempTree(files: Record<string, string>, dirs: string[] = []): { root: string; path(rel: string): string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'mcp-doctor-layers-'));
  for (const dir of dirs) mkdirSync(join(root, dir), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return { root, path: (rel) => join(root, rel), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
