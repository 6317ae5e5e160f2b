// Generates docs/codex-behaviour.md and src/codex/codex-says.generated.ts from real Codex runs:
// every fixture server (test/helpers/fixture-fleet.ts) is checked by the built mcp-doctor (with
// --deep, so that the codes only the spec-conformance probes find get Codex's verdict too) and
// started by `codex app-server` (the @openai/codex devDependency, through the test oracle), and
// each config Codex refuses as a whole is asked about separately. For every finding code
// mcp-doctor reported, the docs record what Codex did with that server — connected, failed (with
// its exact error) or refused the whole config — and `mcp-doctor explain CODE` quotes it.
//
//   npm run build && node --import tsx scripts/gen-codex-behaviour.ts    (then: npm run docs)
//
// Versions: the run uses the oracle's Codex (the pinned one of scripts/test-deps.mjs, or
// CODEX_ORACLE_BIN). `--snapshot FILE` writes the run's verdicts as JSON and nothing else; each
// `--compare FILE` (a snapshot of another Codex release, e.g. docs/codex-behaviour-0.169.0.json)
// adds a section listing the fixtures on which that release behaved differently, with both
// verdicts. Racy texts (a stdio server that exits early gives "Broken pipe" or "connection
// closed: initialize response" depending on timing; a deadline names whichever step it cut) are
// compared as one.
//
// Needs Codex and takes about a minute. Ports, temp paths and sub-second timings in Codex's
// errors are normalised so that a re-run changes the files only when Codex's behaviour changes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { askCodex, codexAvailable, type CodexVerdict } from '../test/helpers/codex-oracle.ts';
import { checkJson, tempConfig, ROOT } from '../test/helpers/cli.ts';
import { FLEET_ENV, REFUSED_CONFIGS, killLeftoverPids, startFleet } from '../test/helpers/fixture-fleet.ts';
import { STDIO_FIXTURE } from '../test/helpers/stdio-check.ts';
import { EXCEPTIONS } from '../test/codex-exceptions.ts';

type Outcome = 'connects' | 'fails' | 'refuses-config';
interface Row {
  code: string;
  severity: string;
  server: string;
  outcome: Outcome;
  error?: string;
  /** The code is the server's first error (or first warning when it has no error). */
  primary: boolean;
}

const argv = process.argv.slice(2);
const snapshotOut = argv.includes('--snapshot') ? argv[argv.indexOf('--snapshot') + 1] : undefined;
const compareWith = argv.flatMap((a, i) => (a === '--compare' && argv[i + 1] ? [argv[i + 1]!] : []));

if (!codexAvailable()) {
  console.error('gen-codex-behaviour: the Codex CLI could not be found (scripts/test-deps.mjs installs it; CODEX_ORACLE_BIN overrides)');
  process.exit(1);
}

/** Ports, temp paths and timings vary between runs; the behaviour does not. Long bodies are cut. */
function normalise(text: string): string {
  const out = text
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/localhost:\d+/g, 'localhost:PORT')
    .replace(/after \d+(\.\d+)?(ms|s)\b/g, 'after <startup_timeout_sec>')
    .replace(/\$CODEX_HOME\/config\.toml:\d+:\d+/g, 'config.toml:LINE:COL')
    .replace(new RegExp(STDIO_FIXTURE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), 'fixtures/stdio/server.mjs')
    .replace(/\s*\n\s*/g, ' ');
  return out.length > 240 ? `${out.slice(0, 240)}…` : out;
}

const fleet = await startFleet();
let doctor: any;
let codex: CodexVerdict;
try {
  codex = await askCodex(fleet.toml, { env: FLEET_ENV, timeoutMs: 90_000 });
  await fleet.refresh();
  const cfg = tempConfig(fleet.toml);
  try {
    doctor = (await checkJson(['--config', cfg.path, '--concurrency', '100', '--deep'], { env: FLEET_ENV, timeoutMs: 90_000 })).report;
  } finally {
    cfg.cleanup();
  }
} finally {
  await fleet.close();
  killLeftoverPids(doctor);
}
const version = codex.version;

const rows: Row[] = [];
for (const server of doctor.servers) {
  const verdict = codex.servers[server.name];
  if (!verdict || verdict.disabled) continue;
  const primary = ['error', 'warning', 'info'].map((sev) => server.findings.find((f: any) => f.severity === sev)).find(Boolean);
  for (const f of server.findings) {
    rows.push({
      code: f.code,
      severity: f.severity,
      server: server.name,
      outcome: verdict.connected ? 'connects' : 'fails',
      error: verdict.connected ? undefined : normalise(verdict.errorSummary ?? verdict.error ?? ''),
      primary: f === primary,
    });
  }
}

const refusals: Array<{ name: string; code: string; configError: string; doctorSeverity: string }> = [];
const healthy = `[mcp_servers.fine]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([STDIO_FIXTURE, 'healthy'])}\n\n`;
for (const [name, c] of Object.entries(REFUSED_CONFIGS)) {
  const toml = healthy + c.toml;
  const cfg = tempConfig(toml);
  try {
    const [verdict, run] = await Promise.all([askCodex(toml, { timeoutMs: 30_000 }), checkJson(['--config', cfg.path], { timeoutMs: 30_000 })]);
    const finding = [...run.report.findings, ...run.report.servers.flatMap((s: any) => s.findings)].find((f: any) => f.code === c.code);
    const configError = normalise((verdict.configError ?? '').replace(/^failed to reload config: /, ''));
    refusals.push({ name, code: c.code, configError, doctorSeverity: finding?.severity ?? 'none' });
    rows.push({ code: c.code, severity: finding?.severity ?? 'none', server: name, outcome: 'refuses-config', error: configError, primary: true });
  } finally {
    cfg.cleanup();
  }
}

const cleanServers: Record<string, { connects: boolean; error?: string }> = {};
for (const s of doctor.servers.filter((s: any) => s.findings.length === 0 && codex.servers[s.name] && !codex.servers[s.name]!.disabled)) {
  const v = codex.servers[s.name]!;
  cleanServers[s.name] = { connects: v.connected, ...(v.connected ? {} : { error: normalise(v.errorSummary ?? '') }) };
}

interface Snapshot {
  version: string;
  rows: Row[];
  clean: typeof cleanServers;
}
if (snapshotOut) {
  const snapshot: Snapshot = { version, rows, clean: cleanServers };
  writeFileSync(snapshotOut, `${JSON.stringify(snapshot, null, 1)}\n`);
  console.log(`Codex ${version}: snapshot of ${rows.length} rows written to ${snapshotOut}`);
  process.exit(0);
}

/** Errors whose wording depends on timing, not on the Codex release: compared as one. */
function comparable(error: string | undefined): string {
  // Which step a startup deadline interrupts (the handshake, tools/list, the client's own
  // startup timer) depends on the machine's load, not on the release.
  if (/timed out/.test(error ?? '')) return 'timed out';
  return (error ?? '')
    .replace(/Broken pipe \(os error 32\)(, when send initialize request)?/g, 'connection closed: initialize response')
    .replace(/: deadline has elapsed/g, '');
}

// ------------------------------------------------------------------ src/codex/codex-says.generated.ts
const codes = [...new Set(rows.map((r) => r.code))].sort();
const says: Record<string, Array<{ severity: string; outcome: Outcome; error?: string; example: string }>> = {};
const SEVERITY_ORDER = ['error', 'warning', 'info', 'none'];
for (const code of codes) {
  says[code] = [];
  const severities = [...new Set(rows.filter((r) => r.code === code).map((r) => r.severity))].sort((a, b) => SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b));
  for (const severity of severities) {
    const mine = rows.filter((r) => r.code === code && r.severity === severity);
    // The clearest example: where the code is the server's main finding, failures first.
    const pick = mine.find((r) => r.primary && r.outcome !== 'connects') ?? mine.find((r) => r.primary) ?? mine[0]!;
    says[code].push({ severity, outcome: pick.outcome, ...(pick.error ? { error: pick.error } : {}), example: pick.server });
  }
}
const ts = `// GENERATED by scripts/gen-codex-behaviour.ts from real Codex runs over the fixtures: do not edit.
// What Codex did with a server for which mcp-doctor reported each code (docs/codex-behaviour.md).

export interface CodexSays {
  /** The severity mcp-doctor gave the finding (codes whose severity depends on the variant have one entry each). */
  severity: 'error' | 'warning' | 'info';
  /** connects: Codex started the server anyway; fails: it could not; refuses-config: it refused the whole config. */
  outcome: 'connects' | 'fails' | 'refuses-config';
  /** Codex's error, summarised and normalised (ports, paths, timings). */
  error?: string;
  /** The fixture server or config case it was measured on. */
  example: string;
}

export const CODEX_SAYS_VERSION = ${JSON.stringify(version)};

export const CODEX_SAYS: Record<string, CodexSays[]> = ${JSON.stringify(says, null, 2)};
`;
writeFileSync(join(ROOT, 'src', 'codex', 'codex-says.generated.ts'), ts);

// ------------------------------------------------------------------ docs/codex-behaviour.md
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => {
  const ticks = /`/.test(text) ? '``' : '`';
  return `${ticks}${ticks === '``' ? ' ' : ''}${cell(text)}${ticks === '``' ? ' ' : ''}${ticks}`;
};
const outcomeWord: Record<Outcome, string> = { connects: 'connects', fails: '**fails**', 'refuses-config': '**refuses the whole config**' };
const md: string[] = [
  '# What Codex does with each finding (generated)',
  '',
  `Generated by \`scripts/gen-codex-behaviour.ts\` from one run of **Codex ${version}** (\`codex app-server\`, \`mcpServerStatus/list\`) and of mcp-doctor over every fixture server: each HTTP scenario of \`fixtures/http/scenarios.ts\`, the extras of \`fixtures/http/doctor-extras.ts\`, each mode of \`fixtures/stdio/server.mjs\`, and config variants (\`test/helpers/fixture-fleet.ts\`), all in one config; and each config Codex refuses as a whole, separately. Do not edit: run \`npm run build && node --import tsx scripts/gen-codex-behaviour.ts\`, then \`npm run docs\`.`,
  '',
  'The rule these runs keep (`test/codex-agreement.test.ts`): mcp-doctor reports a server as `fail` exactly when Codex cannot start it. `mcp-doctor explain CODE` quotes the Codex line below. Codex errors are summarised (rmcp\'s transport type names and the repeated tail removed) and normalised: `127.0.0.1:PORT`, `after <startup_timeout_sec>`, `config.toml:LINE:COL`. Hand-measured background: [codex-behaviour-measured.md](codex-behaviour-measured.md).',
  '',
  '## By finding code',
  '',
  '| code | mcp-doctor | fixture | Codex ' + version + ' | Codex says |',
  '|---|---|---|---|---|',
];
for (const c of codes) {
  for (const r of rows.filter((x) => x.code === c)) {
    md.push(`| ${code(c)} | ${r.severity}${r.primary ? '' : ' (secondary)'} | ${code(r.server)} | ${outcomeWord[r.outcome]} | ${r.error ? code(r.error) : '—'} |`);
  }
}
md.push('', '## Configs Codex refuses as a whole', '', 'No server starts, not even the valid one beside the culprit. mcp-doctor reports the code as an error that says so.', '');
md.push('| case | code | mcp-doctor | Codex ' + version + ' says |', '|---|---|---|---|');
for (const r of refusals) md.push(`| ${cell(r.name)} | ${code(r.code)} | ${r.doctorSeverity} | ${code(`failed to reload config: ${r.configError}`)} |`);
md.push('', '## Servers without a finding', '', 'Servers mcp-doctor found nothing wrong with, and what Codex did:', '');
md.push(Object.entries(cleanServers).map(([name, v]) => `${code(name)} (${v.connects ? 'connects' : `**fails**: ${code(v.error ?? '')}`})`).join(', ') + '.', '');
for (const file of compareWith) {
  const other = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const say = (r: { outcome?: Outcome; connects?: boolean; error?: string } | undefined) =>
    !r ? 'not measured' : `${r.outcome ? outcomeWord[r.outcome] : r.connects ? 'connects' : '**fails**'}${r.error ? `: ${code(r.error)}` : ''}`;
  const diffs: string[] = [];
  for (const r of rows) {
    const o = other.rows.find((x) => x.code === r.code && x.server === r.server);
    if (!o) continue;
    if (o.outcome !== r.outcome || comparable(o.error) !== comparable(r.error)) diffs.push(`| ${code(r.code)} | ${code(r.server)} | ${say(o)} | ${say(r)} |`);
  }
  for (const [name, now] of Object.entries(cleanServers)) {
    const before = other.clean[name];
    if (before && (before.connects !== now.connects || comparable(before.error) !== comparable(now.error))) diffs.push(`| — | ${code(name)} | ${say(before)} | ${say(now)} |`);
  }
  md.push(`## Where Codex ${other.version} differed`, '');
  md.push(
    `The same fixtures measured with Codex ${other.version} (\`${file.replace(`${ROOT}/`, '')}\`, a snapshot of \`--snapshot\`). ` +
      (diffs.length ? 'Only the fixtures whose outcome or error differ are listed.' : `None: Codex ${other.version} did the same on every fixture both runs measured.`),
    '',
  );
  if (diffs.length) md.push(`| code | fixture | Codex ${other.version} | Codex ${version} |`, '|---|---|---|---|', ...diffs, '');
}
md.push('## Documented exceptions', '');
const exceptions = Object.entries(EXCEPTIONS);
if (exceptions.length === 0) {
  md.push('None: on every fixture server mcp-doctor says `fail` exactly when Codex does not connect.', '');
} else {
  md.push('Servers where mcp-doctor deliberately differs from Codex (`test/codex-exceptions.ts`; the agreement suite expects exactly these):', '');
  for (const [name, e] of exceptions) md.push(`- ${code(name)}: mcp-doctor \`${e.doctor}\`, Codex ${e.codex ? 'connects' : 'fails'} — ${e.why}`);
  md.push('');
}
// The differential fuzzer's section (test/fuzz/codex-fuzz.test.ts writes it between its markers)
// is kept as it is: it has its own generator and its own check.
const docPath = join(ROOT, 'docs', 'codex-behaviour.md');
const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
const fuzzBegin = previous.indexOf('<!-- codex-refuses:begin');
const fuzzEnd = previous.indexOf('<!-- codex-refuses:end -->');
if (fuzzBegin >= 0 && fuzzEnd > fuzzBegin) md.push(previous.slice(fuzzBegin, fuzzEnd + '<!-- codex-refuses:end -->'.length), '');
writeFileSync(docPath, md.join('\n'));
console.log(`Codex ${version}: ${codes.length} codes, ${rows.length} rows, ${refusals.length} refused configs`);
