// `check --deep` end to end (the built CLI against fixture servers on 127.0.0.1): a default check
// sends what Codex sends plus the probes that predict a Codex failure, and nothing else; the
// spec-conformance probes whose answers no Codex behaviour depends on, and the six codes only they
// find (REGISTRY deepOnly), come with --deep alone. The contract code session.stale-not-404 stays
// in the default check.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startForensicsServer, type ForensicsName } from '../fixtures/http/forensics-extras.ts';
import { startFixtureServer, type RecordedRequest, type ScenarioName } from '../fixtures/http/scenarios.ts';
import { REGISTRY, type FindingSpec } from '../src/findings/registry.ts';
import { checkJson, runCli, tempConfig, ROOT } from './helpers/cli.ts';
import { EMPTY_CODEX_HOME } from './helpers/http-check.ts';

const T = { timeout: 60_000 };
/** No stored logins of this machine, and no proxy between the CLI and 127.0.0.1. */
const ENV = {
  CODEX_HOME: EMPTY_CODEX_HOME,
  HTTP_PROXY: undefined, HTTPS_PROXY: undefined, ALL_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, all_proxy: undefined,
};

before(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
});

interface Started {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

async function withServer<R>(start: () => Promise<Started>, fn: (s: Started) => Promise<R>): Promise<R> {
  const server = await start();
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** The codes only `check --deep` may find. */
const DEEP_ONLY = new Set(Object.entries(REGISTRY as Record<string, FindingSpec>).filter(([, spec]) => spec.deepOnly).map(([code]) => code));

const scenario = (name: ScenarioName) => () => startFixtureServer(name);
const forensics = (name: ForensicsName) => () => startForensicsServer(name);

/**
 * One recorded request as "METHOD rpc-method [session, version, Origin]", the session named by
 * its relation to the one the server issued (Codex's notifications/initialized carries it).
 */
function describeRequests(requests: RecordedRequest[]): string[] {
  const rpc = (r: RecordedRequest): string | undefined => {
    try {
      return JSON.parse(r.body).method;
    } catch {
      return undefined;
    }
  };
  const issued = requests.find((r) => rpc(r) === 'notifications/initialized')?.headers['mcp-session-id'];
  return requests.map((r) => {
    const id = r.headers['mcp-session-id'];
    const session = id === undefined ? 'no session' : id === issued ? 'session' : 'unknown session';
    const version = r.headers['mcp-protocol-version'] ?? 'no version';
    const origin = r.headers.origin ? `, Origin ${r.headers.origin}` : '';
    return `${r.method}${rpc(r) ? ` ${rpc(r)}` : ''} [${session}, ${version}${origin}]`;
  });
}

/**
 * The doctor's probes run at once between notifications/initialized and Codex's tools/list (with
 * the deadline paused), so they reach the server in any order: that window is compared sorted.
 */
function probesUnordered(list: string[]): string[] {
  const start = list.findIndex((r) => r.startsWith('POST notifications/initialized')) + 1;
  const end = list.indexOf('POST tools/list [session, 2025-06-18]');
  if (start <= 0 || end < start) return list;
  return [...list.slice(0, start), ...list.slice(start, end).sort(), ...list.slice(end)];
}

/** What Codex sends, plus the unknown-session and foreign-Origin probes (a loopback URL). */
const DEFAULT_REQUESTS = [
  'POST initialize [no session, no version]',
  'POST notifications/initialized [session, 2025-06-18]',
  'GET [session, 2025-06-18]',
  'POST tools/list [unknown session, 2025-06-18]',
  'POST initialize [no session, no version, Origin http://evil.example]',
  'POST tools/list [session, 2025-06-18]',
  'DELETE [session, 2025-06-18]',
];

/** The default ones, with server/discover, the session and MCP-Protocol-Version pings, and the ended session. */
const DEEP_REQUESTS = [
  'POST initialize [no session, no version]',
  'POST server/discover [no session, 2026-07-28]',
  'POST notifications/initialized [session, 2025-06-18]',
  'GET [session, 2025-06-18]',
  'POST tools/list [unknown session, 2025-06-18]',
  'POST ping [no session, 2025-06-18]',
  'POST ping [session, no version]',
  'POST ping [session, 1999-01-01]',
  'POST initialize [no session, no version, Origin http://evil.example]',
  'POST tools/list [session, 2025-06-18]',
  'DELETE [session, 2025-06-18]',
  'POST ping [session, 2025-06-18]',
];

const codesOf = (server: any): string[] => server.findings.map((f: any) => `${f.code}:${f.severity}`);

describe('check --url of a healthy Streamable HTTP server (healthy-json)', () => {
  test('default: exactly what Codex sends plus the unknown-session and Origin probes; the session is still DELETEd; exit 0', T, async () => {
    await withServer(scenario('healthy-json'), async (server) => {
      const { code, report } = await checkJson(['--url', server.url], { env: ENV });
      assert.equal(code, 0);
      assert.equal(report.deep, false);
      const s = report.servers[0];
      assert.equal(s.status, 'ok', codesOf(s).join(', '));
      assert.equal(s.tools?.count, 3);
      assert.deepEqual(probesUnordered(describeRequests(server.requests)), probesUnordered(DEFAULT_REQUESTS));
      // None of the deep probes, by what they send.
      assert.ok(!server.requests.some((r) => /"method":"(ping|server\/discover)"/.test(r.body)));
      assert.ok(!server.requests.some((r) => r.headers['mcp-protocol-version'] === '1999-01-01'));
    });
  });

  test('--deep: the five deep requests too, in their places; still ok with no finding', T, async () => {
    await withServer(scenario('healthy-json'), async (server) => {
      const { code, report } = await checkJson(['--deep', '--url', server.url], { env: ENV });
      assert.equal(code, 0);
      assert.equal(report.deep, true);
      const s = report.servers[0];
      assert.equal(s.status, 'ok', codesOf(s).join(', '));
      assert.deepEqual(codesOf(s), []);
      assert.deepEqual(probesUnordered(describeRequests(server.requests)), probesUnordered(DEEP_REQUESTS));
    });
  });
});

describe('servers that break only the rules --deep checks: one config, checked both ways', () => {
  /** Server name in the config, how to start it, its tool count, and what --deep finds there. */
  const CASES: Array<{ name: string; start: () => Promise<Started>; tools: number; code: string; severity: string; status: 'ok' | 'warn' }> = [
    { name: 'missing-id-404', start: forensics('missing-session-404'), tools: 2, code: 'session.missing-id-not-400', severity: 'warning', status: 'warn' },
    { name: 'version-required', start: forensics('pv-header-required'), tools: 2, code: 'http.protocol-version-required', severity: 'warning', status: 'warn' },
    { name: 'version-unchecked', start: forensics('pv-any-version'), tools: 2, code: 'http.protocol-version-unchecked', severity: 'warning', status: 'warn' },
    { name: 'delete-500', start: forensics('delete-500'), tools: 2, code: 'session.delete-invalid', severity: 'warning', status: 'warn' },
    { name: 'delete-keeps-session', start: forensics('delete-keeps-session'), tools: 2, code: 'session.terminated-not-404', severity: 'warning', status: 'warn' },
    { name: 'dual-era', start: scenario('dual-era'), tools: 3, code: 'transport.dual-era', severity: 'info', status: 'ok' },
  ];
  const servers = new Map<string, Started>();
  /** One CLI run over the config, and the requests each server got during it. */
  type Run = { code: number | null; stderr: string; report: any; sent: Map<string, string[]> };
  let plain: Run;
  let deep: Run;
  let deepStrict: Run;

  before(async () => {
    try {
      for (const c of CASES) servers.set(c.name, await c.start());
      const cfg = tempConfig(CASES.map((c) => `[mcp_servers.${c.name}]\nurl = ${JSON.stringify(servers.get(c.name)!.url)}\nstartup_timeout_sec = 30\n`).join('\n'));
      const check = async (args: string[]): Promise<Run> => {
        const marks = new Map(CASES.map((c) => [c.name, servers.get(c.name)!.requests.length]));
        const result = await checkJson([...args, '--config', cfg.path], { env: ENV });
        const sent = new Map(CASES.map((c) => [c.name, probesUnordered(describeRequests(servers.get(c.name)!.requests.slice(marks.get(c.name))))]));
        return { ...result, sent };
      };
      try {
        // --strict: any warning would fail it, and none of these servers breaks a rule Codex depends on.
        plain = await check(['--strict']);
        deep = await check(['--deep']);
        deepStrict = await check(['--deep', '--strict']);
      } finally {
        cfg.cleanup();
      }
    } finally {
      await Promise.all([...servers.values()].map((s) => s.close()));
    }
  });

  test('the fixtures cover every code the registry marks deepOnly', () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.code))].sort(), [...DEEP_ONLY].sort());
  });

  test('default --strict: exit 0, every server ok, no deep-only code; none of the deep requests was sent', T, () => {
    assert.equal(plain.code, 0, JSON.stringify(plain.report.servers.map((s: any) => [s.name, codesOf(s)])));
    assert.equal(plain.report.deep, false);
    for (const c of CASES) {
      const s = plain.report.servers.find((x: any) => x.name === c.name);
      assert.equal(s.status, 'ok', `${c.name}: ${codesOf(s).join(', ')}`);
      assert.ok(!s.findings.some((f: any) => DEEP_ONLY.has(f.code)), `${c.name}: ${codesOf(s).join(', ')}`);
      assert.equal(s.tools?.count, c.tools, c.name);
      assert.deepEqual(plain.sent.get(c.name), probesUnordered(DEFAULT_REQUESTS), c.name);
    }
  });

  for (const c of CASES) {
    test(`--deep: ${c.name} → ${c.code} (${c.severity}), server ${c.status}`, T, () => {
      assert.equal(deep.report.deep, true);
      const s = deep.report.servers.find((x: any) => x.name === c.name);
      const f = s.findings.find((x: any) => x.code === c.code);
      assert.ok(f, `${c.name}: ${codesOf(s).join(', ') || 'no findings'}`);
      assert.equal(f.severity, c.severity);
      assert.equal(s.status, c.status, codesOf(s).join(', '));
      assert.equal(s.tools?.count, c.tools, c.name);
      // The deep requests were sent this time, among the default ones.
      const sent = deep.sent.get(c.name)!;
      assert.ok(sent.length > DEFAULT_REQUESTS.length, sent.join('\n'));
      assert.ok(DEFAULT_REQUESTS.every((r) => sent.includes(r)), sent.join('\n'));
    });
  }

  test('--deep: warnings only, so exit 0; with --strict they fail the check (exit 1), as before the split', T, () => {
    assert.equal(deep.code, 0, deep.stderr);
    assert.deepEqual(deep.report.summary, { ok: 1, warn: 5, fail: 0, skipped: 0 });
    assert.equal(deepStrict.code, 1, deepStrict.stderr);
    assert.deepEqual(deepStrict.report.summary, deep.report.summary);
  });
});

describe('the contract code session.stale-not-404 needs no --deep', () => {
  test('stale-session-401: found by a default check (warning, exit 0), from the unknown-session probe', T, async () => {
    await withServer(scenario('stale-session-401'), async (server) => {
      const { code, report } = await checkJson(['--url', server.url], { env: ENV });
      assert.equal(code, 0);
      assert.equal(report.deep, false);
      const s = report.servers[0];
      const f = s.findings.find((x: any) => x.code === 'session.stale-not-404');
      assert.ok(f, codesOf(s).join(', ') || 'no findings');
      assert.equal(f.severity, 'warning');
      assert.equal(f.evidence?.status, 401);
      assert.equal(s.status, 'warn');
      assert.ok(!s.findings.some((x: any) => DEEP_ONLY.has(x.code)), codesOf(s).join(', '));
      assert.deepEqual(probesUnordered(describeRequests(server.requests)), probesUnordered(DEFAULT_REQUESTS));
    });
  });
});

describe('check --help', () => {
  test('lists --deep', T, async () => {
    const { code, stdout } = await runCli(['check', '--help'], { env: ENV });
    assert.equal(code, 0);
    assert.match(stdout, /^\s+--deep\s+Also run the spec-conformance probes Codex does not depend on/m);
  });
});
