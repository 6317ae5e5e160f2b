/**
 * The realistic row (issue 16): a config of a dozen popular third-party servers, mixed stdio and
 * HTTP, as a user has it — the doctor's wall time for `check` against Codex's own startup of the
 * same config: `codex app-server` (Codex 0.171.0 from the test-deps cache) from spawn until
 * `mcpServerStatus/list` answers, which it does once every server's startup has ended (ready or
 * failed). Both run against the same servers, one after the other, RUNS times.
 *
 *   npm run bench -- --realistic     only this row; written into bench/RESULTS.md between its own markers
 *
 * Servers: stdio — filesystem, memory, sequential-thinking, postgres (no database), brave-search
 * and github (made-up keys), context7, tavily, notion (made-up keys), @playwright/mcp; HTTP —
 * mcp-proxy in front of memory, supergateway in front of sequential-thinking, a fastmcp server.
 * All pinned in scripts/test-deps.mjs (groups reference, gateways, saas, codex).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { withAppServer } from '../src/codex/app-server.ts';
import { listServerStatus } from '../src/codex/server-status.ts';
import { freePort, startServer, type InteropServer } from '../test/interop/interop-servers.ts';
import { POPULAR, configToml, type Table } from '../test/interop/popular.ts';
import { testDepPath } from '../test/helpers/test-deps.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const RUNS = Number(process.env.MCP_DOCTOR_BENCH_RUNS ?? 3);
const node = process.execPath;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const spread = (xs: number[]) => `${s(median(xs))} (${s(Math.min(...xs))}–${s(Math.max(...xs))})`;

async function doctorOnce(config: string, home: string): Promise<{ ms: number; statuses: Record<string, string> }> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(node, [CLI, 'check', '--json', '--config', config], {
    env: { ...process.env, HOME: home, CODEX_HOME: join(home, '.codex'), NO_COLOR: '1' },
    maxBuffer: 64 * 2 ** 20,
    timeout: 180_000,
  }).catch((e) => e as { stdout: string });
  const ms = performance.now() - started;
  const report = JSON.parse(stdout);
  return { ms, statuses: Object.fromEntries(report.servers.map((x: any) => [x.name, x.status])) };
}

async function codexOnce(toml: string, home: string): Promise<{ ms: number; statuses: Record<string, string> }> {
  const script = testDepPath('codex', '@openai/codex', 'bin', 'codex.js');
  const started = performance.now();
  const { value } = await withAppServer(
    {
      codex: { command: node, args: [script] },
      deps: { spawn, env: { ...process.env, HOME: home }, platform: process.platform },
      configToml: toml,
      timeoutMs: 180_000,
      clientName: 'mcp-doctor-bench',
    },
    async (session) => {
      const r = await listServerStatus(session);
      if ('configError' in r) throw new Error(`Codex refused the config: ${r.configError}`);
      return Object.fromEntries(r.data.map((x: any) => [x.name, x.toolsError == null && x.serverInfo != null ? 'connected' : 'failed']));
    },
  );
  return { ms: performance.now() - started, statuses: value };
}

export async function realisticRow(): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-bench-realistic-'));
  const servers: InteropServer[] = [];
  try {
    const [proxyPort, sgPort, fastPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const start = (spec: Parameters<typeof startServer>[0]) => startServer(spec, 60_000).then((x) => (servers.push(x), x));
    await Promise.all([
      start({ args: [POPULAR.mcpProxy(), '--port', String(proxyPort), '--host', '127.0.0.1', '--', node, POPULAR.memory()], waitFor: [proxyPort] }),
      start({ args: [POPULAR.supergateway(), '--stdio', `${JSON.stringify(node)} ${JSON.stringify(POPULAR.sequentialThinking())}`, '--outputTransport', 'streamableHttp', '--port', String(sgPort)], waitFor: [sgPort] }),
      start({ args: [join(ROOT, 'fixtures', 'interop', 'fastmcp-server.mjs')], env: { PORT: String(fastPort), FASTMCP_DIR: join(testDepPath('gateways', 'fastmcp'), '..') }, waitFor: [fastPort] }),
    ]);
    const saas = (pkg: string, ...rel: string[]) => testDepPath('saas', pkg, ...rel);
    const tables: Record<string, Table> = {
      filesystem: { command: node, args: [POPULAR.filesystem(), scratch] },
      memory: { command: node, args: [POPULAR.memory()] },
      'sequential-thinking': { command: node, args: [POPULAR.sequentialThinking()] },
      postgres: { command: node, args: [POPULAR.postgres(), 'postgresql://127.0.0.1:1/nodb'] },
      'brave-search': { command: node, args: [POPULAR.braveSearch()], env: { BRAVE_API_KEY: 'bench-fake' } },
      github: { command: node, args: [POPULAR.github()], env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'bench-fake' } },
      context7: { command: node, args: [saas('@upstash/context7-mcp', 'dist', 'index.js')] },
      tavily: { command: node, args: [saas('tavily-mcp', 'build', 'index.js')], env: { TAVILY_API_KEY: 'bench-fake' } },
      notion: { command: node, args: [saas('@notionhq/notion-mcp-server', 'bin', 'cli.mjs')], env: { NOTION_TOKEN: 'bench-fake' } },
      playwright: { command: node, args: [saas('@playwright/mcp', 'cli.js'), '--headless'] },
      'mcp-proxy': { url: `http://127.0.0.1:${proxyPort}/mcp` },
      supergateway: { url: `http://127.0.0.1:${sgPort}/mcp` },
      fastmcp: { url: `http://127.0.0.1:${fastPort}/mcp` },
    };
    const toml = configToml(tables);
    const config = join(scratch, 'config.toml');
    writeFileSync(config, toml);
    const doctor: number[] = [];
    const codex: number[] = [];
    let agree = true;
    for (let i = 0; i < RUNS; i++) {
      const d = await doctorOnce(config, scratch);
      const c = await codexOnce(toml, scratch);
      doctor.push(d.ms);
      codex.push(c.ms);
      for (const name of Object.keys(tables)) if ((d.statuses[name] === 'fail') !== (c.statuses[name] !== 'connected')) agree = false;
      process.stderr.write(`realistic run ${i + 1}: doctor ${s(d.ms)}, codex ${s(c.ms)}\n`);
    }
    const ratio = (median(doctor) / median(codex)).toFixed(2);
    return [
      `### Realistic config: ${Object.keys(tables).length} popular servers (10 stdio, 3 HTTP)`,
      '',
      `- ${new Date().toISOString()}; ${cpus().length} cores; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')}; ${RUNS} runs each, alternating, median (min–max)`,
      '',
      '| config | mcp-doctor check | Codex 0.171 startup (app-server until every status is known) | doctor / Codex | verdicts agree |',
      '|---|---|---|---|---|',
      `| ${Object.keys(tables).join(', ')} | ${spread(doctor)} | ${spread(codex)} | ${ratio}x | ${agree ? 'yes' : '**no**'} |`,
    ].join('\n');
  } finally {
    await Promise.all(servers.map((x) => x.close()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

const BEGIN = '<!-- bench:realistic:begin (generated by bench/realistic.ts; npm run bench -- --realistic) -->';
const END = '<!-- bench:realistic:end -->';

export function writeRealistic(section: string): void {
  const block = `${BEGIN}\n${section}\n${END}`;
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, next);
}
