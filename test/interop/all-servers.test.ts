/**
 * Interop: real MCP servers from the npm registry, all in ONE config, checked by the built CLI in
 * one run (as a user with a full config.toml would), then the exact verdict per server. The tool
 * count is never hard-coded: the official SDK client asks each server itself, declaring the
 * capabilities Codex declares, and the doctor must list the same tools.
 *
 * Servers (every one on a free 127.0.0.1 port, in its own process group):
 * - @modelcontextprotocol/server-everything: stdio, streamableHttp, sse;
 * - the SDK's example servers: jsonResponseStreamableHttp (JSON answers), simpleStreamableHttp
 *   (SSE answers), simpleStreamableHttp --oauth (with its auto-approving authorization server:
 *   no token, a token it issued, a made-up token), simpleSseServer (legacy SSE at /mcp),
 *   sseAndStreamableHttpCompatibleServer (/mcp and /sse);
 * - mcp-remote bridging server-everything's SSE endpoint over stdio (HOME is a temp dir, so
 *   ~/.mcp-auth is never touched).
 * The config is checked twice, by default and with `--deep` (the spec-conformance probes Codex
 * does not depend on); a case names its `--deep` verdict where it differs.
 * Then the fixes the doctor proposes for the legacy SSE servers are applied (its `npx -y
 * mcp-remote` bridge run with the installed mcp-remote) and checked again: they must work.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { CLI, checkJson, runCli } from '../helpers/cli.ts';
import { portInUse } from '../helpers/real-servers.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CODEX_CAPABILITIES, EVERYTHING, MCP_REMOTE_PROXY, SDK_EXAMPLES, demoAccessToken, freePort, startServer, toolNamesFromSdk, type InteropServer, type ToolsTarget,
} from './interop-servers.ts';

const T = { timeout: 120_000 };

/** One server of the config and the verdict the doctor must give for it. */
interface Case {
  name: string;
  /** Body of `[mcp_servers.NAME]`. */
  table: string;
  status: 'ok' | 'warn' | 'fail';
  /** `code:severity`, compared as a set. */
  codes: string[];
  stages: [config: string, discovery: string, auth: string, initialize: string, tools: string];
  /** Where the SDK client reads the real tool list; null: the doctor must report no tools. */
  oracle: ToolsTarget | null;
  /** The verdict of `check --deep` where it is not the default one. */
  deep?: Pick<Case, 'status' | 'codes' | 'stages'>;
}

const verdictOf = (c: Case, deep: boolean): Pick<Case, 'status' | 'codes' | 'stages'> => (deep && c.deep ? c.deep : c);

const toml = (value: unknown) => JSON.stringify(value);
const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-interop-'));
/** Put into the `env` of every stdio server the doctor starts: finds any it leaves behind. */
const marker = `mcp-doctor-interop-${process.pid}-${Date.now()}`;
const cliEnv: Record<string, string | undefined> = { HOME: home, CODEX_HOME: join(home, '.codex'), MCP_REMOTE_CONFIG_DIR: undefined };
/** A made-up bearer token: the demo must refuse it, and no output may show it. */
const BAD_TOKEN = `bad-token-${process.pid}-interop`;
const servers: InteropServer[] = [];
const secrets: string[] = [];
const ports: number[] = [];
const cases: Case[] = [];
let startError: unknown;

const HEALTHY_HTTP: Case['stages'] = ['pass', 'pass', 'pass', 'pass', 'pass'];
const HEALTHY_STDIO: Case['stages'] = ['pass', 'pass', 'skipped', 'pass', 'pass'];
const SSE_ONLY: Case['stages'] = ['pass', 'fail', 'skipped', 'skipped', 'skipped'];

before(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  try {
    const [everythingHttp, everythingSse, json, stream, legacy, compat, oauth, oauthAs] = await Promise.all([
      freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort(),
    ]);
    ports.push(everythingHttp, everythingSse, json, stream, legacy, compat, oauth, oauthAs);
    const start = (spec: Parameters<typeof startServer>[0]) => startServer(spec).then((s) => (servers.push(s), s));
    await Promise.all([
      start({ args: [EVERYTHING, 'streamableHttp'], env: { PORT: String(everythingHttp) }, waitFor: [everythingHttp] }),
      start({ args: [EVERYTHING, 'sse'], env: { PORT: String(everythingSse) }, waitFor: [everythingSse] }),
      start({ args: [join(SDK_EXAMPLES, 'jsonResponseStreamableHttp.js')], waitFor: [json], portMap: { 3000: json } }),
      start({ args: [join(SDK_EXAMPLES, 'simpleStreamableHttp.js')], env: { MCP_PORT: String(stream) }, waitFor: [stream] }),
      start({ args: [join(SDK_EXAMPLES, 'simpleSseServer.js')], waitFor: [legacy], portMap: { 3000: legacy } }),
      start({ args: [join(SDK_EXAMPLES, 'sseAndStreamableHttpCompatibleServer.js')], waitFor: [compat], portMap: { 3000: compat } }),
      start({
        args: [join(SDK_EXAMPLES, 'simpleStreamableHttp.js'), '--oauth'],
        env: { MCP_PORT: String(oauth), MCP_AUTH_PORT: String(oauthAs) },
        waitFor: [oauth, oauthAs],
      }),
    ]);
    const at = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
    const oauthUrl = `http://localhost:${oauth}/mcp`;
    const token = await demoAccessToken(`http://localhost:${oauthAs}`, oauthUrl);
    Object.assign(cliEnv, { INTEROP_OAUTH_TOKEN: token, INTEROP_BAD_TOKEN: BAD_TOKEN });
    secrets.push(token, BAD_TOKEN);
    const stdioEnv = `env = { MCP_DOCTOR_INTEROP = ${toml(marker)} }`;
    const bridgeArgs = [MCP_REMOTE_PROXY, at(everythingSse, '/sse'), '--transport', 'sse-only'];
    cases.push(
      {
        name: 'everything-stdio',
        table: `command = "node"\nargs = ${toml([EVERYTHING, 'stdio'])}\n${stdioEnv}`,
        status: 'ok',
        codes: [],
        stages: HEALTHY_STDIO,
        oracle: { kind: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
      },
      {
        // Its transport answers an unknown Mcp-Session-Id with 400 (not 404), and it takes any Origin.
        name: 'everything-http',
        table: `url = ${toml(at(everythingHttp, '/mcp'))}`,
        status: 'warn',
        codes: ['session.stale-not-404:warning', 'http.origin-not-checked:info'],
        stages: ['pass', 'pass', 'pass', 'warn', 'pass'],
        oracle: { kind: 'streamable', url: at(everythingHttp, '/mcp') },
      },
      {
        name: 'everything-sse',
        table: `url = ${toml(at(everythingSse, '/sse'))}`,
        status: 'fail',
        codes: ['transport.sse-only:error'],
        stages: SSE_ONLY,
        oracle: null,
      },
      {
        // It has no DELETE route: ending the session gets Express's 404 page (see the test below).
        // Codex ignores the answer to its DELETE, so only --deep judges it.
        name: 'sdk-json-response',
        table: `url = ${toml(at(json, '/mcp'))}`,
        status: 'ok',
        codes: ['http.origin-not-checked:info'],
        stages: HEALTHY_HTTP,
        oracle: { kind: 'streamable', url: at(json, '/mcp') },
        deep: {
          status: 'warn',
          codes: ['http.origin-not-checked:info', 'session.delete-invalid:warning'],
          stages: ['pass', 'pass', 'pass', 'pass', 'warn'],
        },
      },
      {
        name: 'sdk-sse-response',
        table: `url = ${toml(at(stream, '/mcp'))}`,
        status: 'ok',
        codes: ['http.origin-not-checked:info'],
        stages: HEALTHY_HTTP,
        oracle: { kind: 'streamable', url: at(stream, '/mcp') },
      },
      {
        // The URL its protected resource metadata names (resource = http://localhost:PORT/mcp).
        // Its 401 carries error="invalid_token" with no token sent and no scope: info only.
        name: 'sdk-oauth',
        table: `url = ${toml(`http://localhost:${oauth}/mcp`)}`,
        status: 'fail',
        codes: ['auth.login-required:error', 'auth.challenge-nonstandard:info'],
        stages: ['pass', 'pass', 'fail', 'skipped', 'skipped'],
        oracle: null,
      },
      {
        // The same server with a token from its own authorization server, as bearer_token_env_var.
        name: 'sdk-oauth-token',
        table: `url = ${toml(oauthUrl)}\nbearer_token_env_var = "INTEROP_OAUTH_TOKEN"`,
        status: 'ok',
        codes: ['http.origin-not-checked:info'],
        stages: HEALTHY_HTTP,
        oracle: { kind: 'streamable', url: oauthUrl, headers: { Authorization: `Bearer ${token}` } },
      },
      {
        // The demo's token check throws a plain Error on an unknown token: HTTP 500, not 401, and
        // Codex gives up after its retries. The 500 is what the doctor reports.
        name: 'sdk-oauth-bad-token',
        table: `url = ${toml(oauthUrl)}\nbearer_token_env_var = "INTEROP_BAD_TOKEN"`,
        status: 'fail',
        codes: ['http.unexpected-status:error'],
        stages: ['pass', 'fail', 'skipped', 'skipped', 'skipped'],
        oracle: null,
      },
      {
        // The SSE stream is at GET /mcp: a trap for path-based transport guessing.
        name: 'sdk-legacy-sse',
        table: `url = ${toml(at(legacy, '/mcp'))}`,
        status: 'fail',
        codes: ['transport.sse-only:error'],
        stages: SSE_ONLY,
        oracle: null,
      },
      {
        name: 'sdk-compat-mcp',
        table: `url = ${toml(at(compat, '/mcp'))}`,
        status: 'ok',
        codes: ['http.origin-not-checked:info'],
        stages: HEALTHY_HTTP,
        oracle: { kind: 'streamable', url: at(compat, '/mcp') },
      },
      {
        name: 'sdk-compat-sse',
        table: `url = ${toml(at(compat, '/sse'))}`,
        status: 'fail',
        codes: ['transport.sse-only:error'],
        stages: SSE_ONLY,
        oracle: null,
      },
      {
        // The tools are the SSE server's own: the bridge forwards Codex's initialize. The doctor
        // names the bridge (info) and checks its remote directly (see the test below).
        name: 'mcp-remote-bridge',
        table: `command = "node"\nargs = ${toml(bridgeArgs)}\n${stdioEnv}`,
        status: 'ok',
        codes: ['stdio.bridge:info'],
        stages: HEALTHY_STDIO,
        oracle: { kind: 'sse', url: at(everythingSse, '/sse') },
      },
    );
  } catch (error) {
    startError = error;
  }
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(home, { recursive: true, force: true });
  const open = (await Promise.all(ports.map(async (p) => ((await portInUse(p)) ? p : undefined)))).filter((p) => p !== undefined);
  assert.deepEqual(open, [], 'every server port is closed again');
});

/** Pids of processes (other than zombies) whose environment carries the marker. */
function processesWithMarker(): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`MCP_DOCTOR_INTEROP=${marker}`)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

type Report = Awaited<ReturnType<typeof checkJson>>['report'];
const codesOf = (server: any) => server.findings.map((f: any) => `${f.code}:${f.severity}`).sort();

describe('one config with every real server, one run of the built CLI (and one with --deep)', () => {
  let run: Awaited<ReturnType<typeof checkJson>> | undefined;
  let deepRun: Awaited<ReturnType<typeof checkJson>> | undefined;
  const runOf = (deep: boolean) => (deep ? deepRun : run);
  const oracle = new Map<string, string[]>();

  before(async () => {
    if (startError) return;
    const config = join(home, 'config.toml');
    // 30 s instead of Codex's 10 s: a loaded test machine must not turn a slow start into a finding.
    writeFileSync(config, cases.map((c) => `[mcp_servers.${c.name}]\n${c.table}\nstartup_timeout_sec = 30\n`).join('\n'));
    // The SDK client reads the real tool lists while the doctor runs: both see the same servers.
    const [result] = await Promise.all([
      checkJson(['--config', config], { env: cliEnv, timeoutMs: 60_000 }),
      ...cases.map(async (c) => {
        if (c.oracle) oracle.set(c.name, await toolNamesFromSdk(c.oracle));
      }),
    ]);
    run = result;
    // After the default run, not beside it: two cores, and a slow start must not become a finding.
    deepRun = await checkJson(['--deep', '--config', config], { env: cliEnv, timeoutMs: 60_000 });
  });

  test('the servers started', () => {
    assert.equal(startError, undefined, String((startError as Error | undefined)?.stack ?? ''));
  });

  for (const deep of [false, true]) {
    test(`${deep ? '--deep: ' : ''}exit 1 (some servers fail), reports in config order, nothing on stderr`, () => {
      const result = runOf(deep);
      assert.ok(result, 'the CLI ran');
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, '');
      assert.equal(result.report.deep, deep);
      assert.deepEqual(result.report.servers.map((s: any) => s.name), cases.map((c) => c.name));
      const count = (status: string) => cases.filter((c) => verdictOf(c, deep).status === status).length;
      assert.deepEqual(result.report.summary, { ok: count('ok'), warn: count('warn'), fail: count('fail'), skipped: 0 });
    });
  }

  test('no stdio server the doctor started outlives it', () => {
    assert.ok(run && deepRun);
    assert.deepEqual(processesWithMarker(), []);
  });

  for (const c of [
    'everything-stdio', 'everything-http', 'everything-sse', 'sdk-json-response', 'sdk-sse-response', 'sdk-oauth',
    'sdk-oauth-token', 'sdk-oauth-bad-token', 'sdk-legacy-sse', 'sdk-compat-mcp', 'sdk-compat-sse', 'mcp-remote-bridge',
  ]) {
    for (const deep of [false, true]) {
      test(`${c}${deep ? ' --deep' : ''}: exact verdict, tools as the server itself lists them`, T, () => {
        const result = runOf(deep);
        assert.ok(result, 'the CLI ran');
        const found = cases.find((x) => x.name === c)!;
        const expected = { ...found, ...verdictOf(found, deep) };
        const server = result.report.servers.find((s: any) => s.name === c);
        const context = JSON.stringify(server?.findings?.map((f: any) => [f.code, f.message]), null, 1);
        assert.deepEqual(codesOf(server), [...expected.codes].sort(), context);
        assert.equal(server.status, expected.status, context);
        assert.deepEqual(server.stages.map((s: any) => s.status), expected.stages, context);
        if (expected.oracle) {
          const names = oracle.get(c)!;
          assert.ok(names.length > 0, 'the SDK client read tools');
          assert.equal(server.tools?.count, names.length, `doctor: ${server.tools?.names}\nSDK:    ${names}`);
          assert.deepEqual([...server.tools.names].sort(), [...names].sort());
        } else {
          assert.equal(server.tools, null);
        }
      });
    }
  }

  test('mcp-remote-bridge: the remote behind the bridge is checked too, and found to be legacy SSE', () => {
    assert.ok(run);
    const server = run.report.servers.find((s: any) => s.name === 'mcp-remote-bridge');
    const remote = cases.find((c) => c.name === 'mcp-remote-bridge')!.table.match(/"(http:[^"]+)"/)![1];
    assert.equal(server.bridge?.kind, 'mcp-remote');
    assert.equal(server.bridge?.url, remote);
    assert.equal(server.bridge?.server?.httpTransport, 'sse');
    assert.deepEqual(codesOf(server.bridge), ['bridge.remote-sse-only:info']);
  });

  test('sdk-json-response: the DELETE --deep faults it for really is a 404, which the SDK client does not tolerate', async () => {
    assert.ok(run);
    const url = cases.find((c) => c.name === 'sdk-json-response')!.table.match(/"(http:[^"]+)"/)![1]!;
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const client = new Client({ name: 'interop-oracle', version: '0' }, { capabilities: CODEX_CAPABILITIES });
    await client.connect(transport, { signal: AbortSignal.timeout(10_000) });
    try {
      await assert.rejects(transport.terminateSession(), (e: any) => e.code === 404);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test('sdk-oauth-bad-token: the 500 is in evidence', () => {
    assert.ok(run);
    const f = run.report.servers.find((s: any) => s.name === 'sdk-oauth-bad-token').findings[0];
    assert.equal(f.evidence?.status, 500);
  });

  test('no token reaches any output: JSON, and the verbose markdown transcript of the token servers', async () => {
    assert.ok(run && deepRun);
    assert.equal(secrets.length, 2);
    const markdown = await runCli(['check', 'sdk-oauth-token', 'sdk-oauth-bad-token', '--config', join(home, 'config.toml'), '--format', 'markdown', '-v'], { env: cliEnv, timeoutMs: 60_000 });
    assert.equal(markdown.code, 1, markdown.stderr);
    assert.match(markdown.stdout, /Authorization: Bearer <redacted>/);
    for (const secret of secrets) {
      for (const [label, text] of [['json', run.stdout + run.stderr], ['json --deep', deepRun.stdout + deepRun.stderr], ['markdown', markdown.stdout + markdown.stderr]] as const) {
        assert.ok(!text.includes(secret), `a token appears in the ${label} output`);
      }
    }
  });

  test('sdk-oauth: the fix is `codex mcp login`', () => {
    assert.ok(run);
    const f = run.report.servers.find((s: any) => s.name === 'sdk-oauth').findings.find((x: any) => x.code === 'auth.login-required');
    assert.equal(f.fix?.command, 'codex mcp login sdk-oauth');
  });

  describe('the fixes it proposes for the legacy SSE servers work when applied', () => {
    let fixed: Report | undefined;
    let fixedCode: number | null = null;
    const fixOracle = new Map<string, string[]>();
    const sseNames = ['everything-sse', 'sdk-legacy-sse', 'sdk-compat-sse'];

    before(async () => {
      if (!run) return;
      const tables: string[] = [];
      for (const name of sseNames) {
        const server: any = run.report.servers.find((s: any) => s.name === name);
        const fix: any = server.findings.find((f: any) => f.code === 'transport.sse-only')?.fix;
        if (!fix?.toml) continue;
        const table: any = (parse(fix.toml) as any).mcp_servers[name];
        let body: string;
        if (table.url) {
          body = `url = ${toml(table.url)}`;
          fixOracle.set(name, await toolNamesFromSdk({ kind: 'streamable', url: table.url }));
        } else {
          // `npx -y mcp-remote ARGS` with the installed mcp-remote (no registry access in tests).
          assert.deepEqual([table.command, ...table.args.slice(0, 2)], ['npx', '-y', 'mcp-remote']);
          const args = [MCP_REMOTE_PROXY, ...table.args.slice(2)];
          body = `command = "node"\nargs = ${toml(args)}\nenv = { MCP_DOCTOR_INTEROP = ${toml(marker)} }`;
          // The tools of the SSE server itself, read over SSE by the SDK client.
          const sseUrl = table.args.find((a: string) => a.startsWith('http'));
          fixOracle.set(name, await toolNamesFromSdk({ kind: 'sse', url: sseUrl }));
        }
        tables.push(`[mcp_servers.${name}]\n${body}\nstartup_timeout_sec = 30\n`);
      }
      const config = join(home, 'fixed.toml');
      writeFileSync(config, tables.join('\n'));
      const result = await checkJson(['--config', config], { env: cliEnv, timeoutMs: 60_000 });
      fixed = result.report;
      fixedCode = result.code;
    });

    test('every legacy SSE server got a fix with a TOML snippet', () => {
      assert.deepEqual([...fixOracle.keys()].sort(), [...sseNames].sort());
    });

    for (const name of sseNames) {
      test(`${name}: with the fix applied it is ok and serves the server's tools`, T, () => {
        assert.ok(fixed, 'the CLI ran on the fixed config');
        const server = fixed.servers.find((s: any) => s.name === name);
        assert.ok(server, name);
        const context = JSON.stringify(server.findings.map((f: any) => [f.code, f.message]), null, 1);
        // The bridges are stdio servers named as bridges (info); the Streamable URL keeps its Origin note.
        const expectedCodes = server.transport === 'stdio' ? ['stdio.bridge:info'] : ['http.origin-not-checked:info'];
        assert.deepEqual(codesOf(server), expectedCodes, context);
        assert.equal(server.status, 'ok', context);
        const names = fixOracle.get(name)!;
        assert.equal(server.tools?.count, names.length, `doctor: ${server.tools?.names}\nSDK:    ${names}`);
        assert.deepEqual([...server.tools.names].sort(), [...names].sort());
      });
    }

    test('exit 0 on the fixed config, and the bridges were stopped', () => {
      assert.ok(fixed);
      assert.equal(fixedCode, 0);
      assert.deepEqual(processesWithMarker(), []);
    });
  });
});
