/**
 * mcp-remote bridging to an OAuth server with no cached login (issue 16, item 1), against the
 * real mcp-remote (pinned) and the SDK's OAuth demo (a real authorization server that approves by
 * itself). mcp-remote opens a browser and waits for the sign-in longer than Codex's startup
 * timeout: Codex cannot use the server, so the doctor says `fail` (bridge.tokens-missing, error).
 * Then both fixes it proposes are applied the way a user would, with a "browser" ($BROWSER) that
 * follows the authorization redirects as a user clicking "allow" would:
 *   1. the sign-in by hand: the fix's own command run once in a terminal until mcp-remote has
 *      cached its tokens; Codex, started again with the same HOME, connects;
 *   2. dropping the bridge: `url` + `codex mcp login NAME` (file credential store); Codex connects.
 * HOME, CODEX_HOME and mcp-remote's store are temp dirs; every process started is ended.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { askCodex, codexAvailable, resolveCodex } from '../helpers/codex-oracle.ts';
import { MCP_REMOTE_PROXY, SDK_EXAMPLES, freePort, killGroup, startServer, type InteropServer } from './interop-servers.ts';
import { POPULAR, applyFixToml, assertAgrees, codesOf, codex, configToml, doctor, type Table } from './popular.ts';

const skip = codexAvailable() ? false : 'the Codex oracle is not installed';
const STARTUP_S = 6;

describe('mcp-remote in front of an OAuth remote, no cached login', { skip, timeout: 170_000 }, () => {
  let demo: InteropServer;
  let scratch: string;
  let home: string;
  let url: string;
  let browser: string;
  const env = () => ({ HOME: home, MCP_REMOTE_CONFIG_DIR: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-remote-login-'));
    home = join(scratch, 'home');
    mkdirSync(home);
    const [mcp, as] = [await freePort(), await freePort()];
    demo = await startServer({ args: [join(SDK_EXAMPLES, 'simpleStreamableHttp.js'), '--oauth'], env: { MCP_PORT: String(mcp), MCP_AUTH_PORT: String(as) }, waitFor: [mcp, as] });
    url = `http://localhost:${mcp}/mcp`;
    // The "browser": follows the authorization redirects to the client's callback, as a user
    // approving the page would (the demo approves without a page).
    const follow = join(scratch, 'follow.mjs');
    writeFileSync(
      follow,
      `let u = process.argv[2];\nfor (let i = 0; i < 6 && u; i++) {\n  const r = await fetch(u, { redirect: 'manual', signal: AbortSignal.timeout(5000) }).catch(() => undefined);\n  const loc = r?.headers.get('location');\n  u = loc ? new URL(loc, u).href : undefined;\n}\n`,
    );
    browser = join(scratch, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(follow)} "$1"\n`);
    chmodSync(browser, 0o755);
  });

  after(async () => {
    await demo?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('doctor: fail (bridge.tokens-missing, error) as Codex times out; both fixes make Codex connect', async () => {
    // BROWSER=true: a browser "opens" and nobody finishes the page in time, as under Codex.
    const table: Table = { command: process.execPath, args: [MCP_REMOTE_PROXY, url], env: { BROWSER: 'true' }, startup_timeout_sec: STARTUP_S };
    const toml = configToml({ remote: table });
    const [d, c] = await Promise.all([doctor(toml, env()), codex(toml, env())]);
    const s = d.byName('remote');
    assert.equal(s.status, 'fail', codesOf(s).join(', '));
    const missing = s.findings.find((f: any) => f.code === 'bridge.tokens-missing');
    assert.equal(missing?.severity, 'error', codesOf(s).join(', '));
    assert.match(missing.message, /Codex cannot use the server until then/);
    assert.match(missing.fix.summary, /codex mcp login remote/);
    assert.equal(d.code, 1);
    assertAgrees('remote', s, c);
    assert.match(c.servers.remote!.error ?? '', /timed out|timeout/i, c.servers.remote!.error);

    // Fix 1: the fix's command, run by hand once, with a browser that completes the sign-in.
    const signIn = spawn('sh', ['-c', missing.fix.command], { env: { ...process.env, ...env(), HOME: home, BROWSER: browser }, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let err = '';
    signIn.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    const store = join(home, '.mcp-auth');
    const tokens = () => (existsSync(store) ? readdirSync(store, { recursive: true }).map(String).some((f) => f.endsWith('_tokens.json')) : false);
    const deadline = Date.now() + 30_000;
    while (!tokens() && Date.now() < deadline && signIn.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    await killGroup(signIn);
    assert.ok(tokens(), `the sign-in by hand cached no tokens:\n${err}`);
    const [d1, c1] = await Promise.all([doctor(toml, env()), codex(toml, env())]);
    assert.equal(c1.servers.remote?.connected, true, c1.servers.remote?.error);
    assert.notEqual(d1.byName('remote').status, 'fail', codesOf(d1.byName('remote')).join(', '));
    assertAgrees('remote', d1.byName('remote'), c1);

    // Fix 2: drop the bridge (url) and log in with Codex itself.
    const codexHome = join(scratch, 'codex-home');
    mkdirSync(codexHome);
    const direct = applyFixToml({ startup_timeout_sec: STARTUP_S }, 'remote', `[mcp_servers.remote]\nurl = ${JSON.stringify(url)}`);
    const directToml = configToml({ remote: direct }, { mcp_oauth_credentials_store: 'file' });
    writeFileSync(join(codexHome, 'config.toml'), directToml);
    const cmd = resolveCodex()!;
    const login = spawnSync(cmd.command, [...cmd.args, 'mcp', 'login', 'remote'], {
      env: { ...process.env, HOME: home, CODEX_HOME: codexHome, BROWSER: browser, DISPLAY: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(login.status, 0, `codex mcp login: ${login.stdout}\n${login.stderr}`.slice(-3000));
    const verdict = await askCodex(directToml, { env: { HOME: home }, timeoutMs: 60_000, credentialsFrom: codexHome });
    assert.equal(verdict.servers.remote?.connected, true, verdict.servers.remote?.error);
  });

  test('other bridges the doctor knows (supergateway --streamableHttp) do not sign in: they exit at once, fail in both, the remote named', async () => {
    const toml = configToml({ sg: { command: process.execPath, args: [POPULAR.supergateway(), '--streamableHttp', url], startup_timeout_sec: STARTUP_S } });
    const d = await doctor(toml, env());
    const c = await codex(toml, env());
    const s = d.byName('sg');
    assertAgrees('sg', s, c);
    const exited = s.findings.find((f: any) => f.code === 'stdio.exited-early');
    assert.equal(exited?.evidence?.bridgeCause, 'auth.login-required', codesOf(s).join(', '));
  });
});

describe('any stdio server that waits on an interactive sign-in at start', { skip, timeout: 120_000 }, () => {
  test('doctor: fail with the sign-in named (as Codex times out); signing in once by hand makes Codex connect', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-login-at-start-'));
    try {
      const script = join(ROOT, 'fixtures', 'interop', 'login-at-start.mjs');
      const toml = configToml({ 'login-at-start': { command: process.execPath, args: [script], startup_timeout_sec: 4 } });
      const env = { HOME: home };
      const [d, c] = await Promise.all([doctor(toml, env), codex(toml, env)]);
      const s = d.byName('login-at-start');
      assertAgrees('login-at-start', s, c);
      assert.equal(s.status, 'fail');
      const f = s.findings.find((x: any) => x.code === 'timeout.startup');
      assert.ok(f?.evidence?.hints?.includes('interactive-login'), codesOf(s).join(', '));
      assert.match(f.fix.summary, /Run the same command once in a terminal/);
      // The fix: the same command once by hand, the sign-in finished (the fixture's approve switch).
      const byHand = spawnSync(process.execPath, [script], { env: { ...process.env, HOME: home, LOGIN_AT_START_APPROVE: '1' }, input: '', encoding: 'utf8', timeout: 20_000 });
      assert.equal(byHand.status, 0, byHand.stderr);
      const [d1, c1] = await Promise.all([doctor(toml, env), codex(toml, env)]);
      assert.equal(c1.servers['login-at-start']?.connected, true, c1.servers['login-at-start']?.error);
      assertAgrees('login-at-start', d1.byName('login-at-start'), c1);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
