#!/usr/bin/env node
// Test-only heavyweights, installed on demand into a cache instead of node_modules.
//
// `npm install` installs what the CLI needs and light dev tools; the Codex oracle (a 400 MB
// native binary), the real npm servers of the interop suite and the bridges are needed by the
// tests only, so they live here, pinned, each group in its own npm prefix under
// .cache/test-deps/<group>/ (git-ignored; MCP_DOCTOR_TEST_CACHE moves it, e.g. to share one cache
// between clones). A group is (re)installed when its directory does not record exactly the pinned
// packages. `npm test` installs every group before the first test file starts, so no test's own
// deadline pays for a download; tests reach the packages through test/helpers/test-deps.ts.
//
//   node scripts/test-deps.mjs [GROUP...]     install the groups (default: all), print their dirs
//   node scripts/test-deps.mjs --list         the groups and their pinned packages
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every pinned test-only package, by group. Versions are exact: a verdict measured on one Codex is not another's. */
export const TEST_DEPS = {
  /** The Codex oracle: the release the verdicts are calibrated on (src/codex/codex-version.ts says the same). */
  codex: { '@openai/codex': '0.171.0' },
  /** Bridges run as stdio servers in front of HTTP fixtures. */
  bridges: { 'mcp-remote': '0.15.1' },
  /** The reference server of the MCP project, in its three transports. */
  everything: { '@modelcontextprotocol/server-everything': '2026.8.31' },
  /** Popular third-party servers of the widened interop suite (test/interop/popular-*.test.ts), started as their READMEs say. */
  reference: {
    '@modelcontextprotocol/server-filesystem': '2026.8.31',
    '@modelcontextprotocol/server-memory': '2026.8.31',
    '@modelcontextprotocol/server-sequential-thinking': '2026.8.31',
    '@modelcontextprotocol/server-postgres': '0.6.2',
    '@modelcontextprotocol/server-brave-search': '0.6.2',
    '@modelcontextprotocol/server-github': '2025.4.8',
  },
  /** stdio <-> HTTP gateways users put in front of stdio servers (API-key auth included). */
  gateways: { 'mcp-proxy': '6.7.19', supergateway: '4.0.0', fastmcp: '4.20.16' },
  /** Servers of hosted APIs: testable up to startup and tools/list with a made-up key, as Codex startup is. */
  saas: {
    '@upstash/context7-mcp': '4.1.1',
    'tavily-mcp': '0.2.22',
    'firecrawl-mcp': '3.26.0',
    'exa-mcp-server': '3.4.1',
    '@notionhq/notion-mcp-server': '2.5.2',
    '@playwright/mcp': '0.0.86',
  },
};

export function cacheRoot() {
  return process.env.MCP_DOCTOR_TEST_CACHE ? resolve(process.env.MCP_DOCTOR_TEST_CACHE) : join(ROOT, '.cache', 'test-deps');
}

export function groupDir(group) {
  return join(cacheRoot(), group);
}

function specOf(group) {
  const packages = TEST_DEPS[group];
  if (!packages) throw new Error(`unknown test-deps group "${group}" (known: ${Object.keys(TEST_DEPS).join(', ')})`);
  return Object.entries(packages).map(([name, version]) => `${name}@${version}`).sort();
}

function installedSpec(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'installed.json'), 'utf8')).packages;
  } catch {
    return undefined;
  }
}

export function isInstalled(group) {
  return JSON.stringify(installedSpec(groupDir(group))) === JSON.stringify(specOf(group));
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Installs a group unless it is already there. Parallel test processes may ask at once: a lock
 * directory (mkdir is atomic) lets one install while the others wait; a lock older than 10
 * minutes is a crashed installer's and is taken over.
 */
export function ensureGroup(group, log = (line) => process.stderr.write(`${line}\n`)) {
  const dir = groupDir(group);
  if (isInstalled(group)) return dir;
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = `${dir}.lock`;
  const waitUntil = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (isInstalled(group)) return dir;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if (age > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > waitUntil) throw new Error(`timed out waiting for another install of ${group} (${lock})`);
      else sleep(500);
    }
  }
  try {
    if (isInstalled(group)) return dir;
    const spec = specOf(group);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `mcp-doctor-test-deps-${group}`, private: true })}\n`);
    log(`test-deps: installing ${spec.join(' ')} into ${dir} ...`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel', 'error', '--save-exact', ...spec], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
      shell: process.platform === 'win32',
    });
    if (r.status !== 0) throw new Error(`npm install of ${spec.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
    writeFileSync(join(dir, 'installed.json'), `${JSON.stringify({ packages: spec }, null, 2)}\n`);
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const group of Object.keys(TEST_DEPS)) process.stdout.write(`${group}\t${specOf(group).join(' ')}\n`);
    process.exit(0);
  }
  const groups = args.length ? args : Object.keys(TEST_DEPS);
  try {
    for (const group of groups) process.stdout.write(`${group}\t${ensureGroup(group)}\n`);
  } catch (error) {
    process.stderr.write(`test-deps: ${error.message}\n`);
    process.exit(1);
  }
}
