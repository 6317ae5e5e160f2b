/**
 * Peak memory of one mcp-doctor run whose servers all send large answers at once (the bound of
 * docs/limits.md: LARGE_ANSWER_SLOTS, JSON_MAX_VALUES). Each case starts N servers (16, the
 * default concurrency) of fixtures/hostile/wire-{stdio,http}-server.mjs answering tools/list with
 * the same large answer, runs `check --json` over them, and prints the doctor's own peak RSS
 * (bench/resource-usage.cjs), the wall time and the verdicts.
 *
 *   npm run bench:answers                 every case, 16 servers
 *   npm run bench:answers -- stdio-pad 4  one case, 4 servers   (-- --verbose: also with --verbose)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWireHttp } from '../test/helpers/wire-http.ts';
import { WIRE_STDIO_SERVER } from '../test/helpers/wire-spec.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const INIT = '{"jsonrpc":"2.0","id":__ID__,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"w","version":"1"}}}';
const ECHO = '{"name":"echo","inputSchema":{"type":"object"}}';
const big = (head: string, unit: string, count: number, tail: string) => ({ big: { head: `{"jsonrpc":"2.0","id":__ID__,"result":${head}`, unit, count, tail } });

/** tools/list answers, each about 13–16 MiB. */
const ANSWERS: Record<string, unknown> = {
  // A valid 15 MiB answer that parses into little (one long string).
  pad: big(`{"tools":[${ECHO}],"pad":"`, 'a', 15 * 1024 * 1024, '"}}'),
  // 200 000 tools: Codex fails it (catalog limit), after parsing all of it.
  tools: big('{"tools":[', '{"name":"tool","description":"d","inputSchema":{"type":"object"}},', 200_000, `${ECHO}]}}`),
  // 8 000 000 numbers: more JSON values than mcp-doctor parses.
  nums: big(`{"tools":[${ECHO}],"x":[`, '0,', 8_000_000, '0]}}'),
};

interface Row {
  case: string;
  servers: number;
  verbose: boolean;
  exit: number | null;
  seconds: number;
  peakMb: number;
  reportBytes: number;
  verdicts: Record<string, number>;
}

async function runCase(transport: 'stdio' | 'http', answer: string, n: number, verbose: boolean): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-bench-answers-'));
  const stops: (() => void)[] = [];
  try {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const spec = join(dir, `s${i}.json`);
      if (transport === 'stdio') {
        writeFileSync(spec, JSON.stringify({ initialize: { text: INIT }, tools: ANSWERS[answer] }));
        lines.push(`[mcp_servers.s${i}]`, `command = ${JSON.stringify(process.execPath)}`, `args = ${JSON.stringify([WIRE_STDIO_SERVER, spec])}`, 'startup_timeout_sec = 30', '');
      } else {
        const server = await startWireHttp({ initialize: { body: { text: INIT } }, tools: { body: ANSWERS[answer] } }, spec);
        stops.push(server.stop);
        lines.push(`[mcp_servers.s${i}]`, `url = "${server.url}"`, 'startup_timeout_sec = 30', '');
      }
    }
    const config = join(dir, 'config.toml');
    writeFileSync(config, lines.join('\n'));
    const usage = join(dir, 'usage.jsonl');
    const started = performance.now();
    const run = spawnSync(process.execPath, ['-r', join(ROOT, 'bench/resource-usage.cjs'), join(ROOT, 'dist/cli.js'), 'check', '--json', '--config', config, ...(verbose ? ['--verbose'] : [])], {
      env: { ...process.env, BENCH_USAGE_FILE: usage },
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      timeout: 300_000,
    });
    const seconds = (performance.now() - started) / 1000;
    const peak = existsSync(usage) ? (JSON.parse(readFileSync(usage, 'utf8').trim().split('\n').pop()!) as { maxRssKb: number }).maxRssKb : 0;
    const verdicts: Record<string, number> = {};
    try {
      for (const s of JSON.parse(run.stdout).servers as { status: string; findings: { code: string; severity: string }[] }[]) {
        const key = [s.status, ...s.findings.filter((f) => f.severity !== 'info' && !f.code.startsWith('session.') && !f.code.startsWith('http.origin')).map((f) => f.code)].join(' ');
        verdicts[key] = (verdicts[key] ?? 0) + 1;
      }
    } catch {
      verdicts[`unreadable report (exit ${run.status})`] = 1;
    }
    return { case: `${transport}-${answer}`, servers: n, verbose, exit: run.status, seconds: Math.round(seconds * 10) / 10, peakMb: Math.round(peak / 1024), reportBytes: run.stdout.length, verdicts };
  } finally {
    for (const stop of stops) stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const [only, count] = args.filter((a) => a !== '--verbose');
const cases = only ? [only] : ['stdio-pad', 'stdio-tools', 'stdio-nums', 'http-pad', 'http-tools', 'http-nums'];
console.log('| case | servers | --verbose | exit | seconds | peak RSS | report | verdicts |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const c of cases) {
  const [transport, answer] = c.split('-') as ['stdio' | 'http', string];
  if (!ANSWERS[answer]) throw new Error(`unknown case ${c}`);
  const row = await runCase(transport, answer, Number(count ?? 16), verbose);
  console.log(`| ${row.case} | ${row.servers} | ${row.verbose ? 'yes' : 'no'} | ${row.exit} | ${row.seconds} | ${row.peakMb} MB | ${row.reportBytes} B | ${Object.entries(row.verdicts).map(([k, v]) => `${v}× ${k}`).join('; ')} |`);
}
