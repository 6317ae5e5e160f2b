// The config layers against the real Codex (0.171.0): for each situation where a server is seen
// differently than the user file writes it — a value overridden with -c, a --profile file, a
// fragment split across two layers, the machine-wide system and managed layers, a server disabled
// by requirements.toml — Codex's effective config (`codex mcp list --json`), its per-key origins
// (`config/read`) and its verdict (`mcpServerStatus/list`) are compared with mcp-doctor's.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { withAppServer, type CodexCommand } from '../src/codex/app-server.ts';
import { codexServerStatus } from '../src/codex/server-status.ts';
import { parseCliOverride } from '../src/config/cli-overrides.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { LoadedConfig, ServerConfig } from '../src/config/server-config.ts';
import { CLI, ROOT, runCli } from './helpers/cli.ts';
import { codexMcpList, etcNamespaceAvailable, inEtcNamespace, type McpListEntry } from './helpers/codex-layers.ts';
import { codexAvailable, resolveCodex } from './helpers/codex-oracle.ts';
import { configDeps } from './helpers/config-fixtures.ts';

const skip = codexAvailable() ? false : 'the Codex CLI is not installed (test cache or CODEX_ORACLE_BIN)';
const skipNs = skip || (etcNamespaceAvailable() ? false : 'no unprivileged user+mount namespaces here (unshare -Urm): /etc/codex cannot be replaced for Codex alone');
const T = { timeout: 60_000 };
const SERVER = join(ROOT, 'fixtures', 'stdio', 'server.mjs');

interface Tree {
  root: string;
  home: string;
  work: string;
  etc: string;
  scratch: string;
  write(rel: string, text: string): void;
}

const trees: string[] = [];
function tree(files: Record<string, string> = {}): Tree {
  const root = mkdtempSync(join(tmpdir(), 'mcp-doctor-layers-oracle-'));
  trees.push(root);
  const t: Tree = {
    root,
    home: join(root, 'home'),
    work: join(root, 'work'),
    etc: join(root, 'etc'),
    scratch: join(root, 'ns'),
    write(rel, text) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    },
  };
  for (const dir of [t.home, t.work, t.etc, t.scratch]) mkdirSync(dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) t.write(rel, text);
  return t;
}
after(() => {
  for (const root of trees) rmSync(root, { recursive: true, force: true });
});

function doctor(t: Tree, opts: { profile?: string; c?: string[]; etc?: boolean } = {}): Promise<LoadedConfig> {
  return loadConfig({
    profile: opts.profile,
    overrides: (opts.c ?? []).map(parseCliOverride),
    systemDir: opts.etc ? t.etc : null,
    deps: configDeps({ codexHome: t.home, cwd: t.work, env: { HOME: t.root } }),
  });
}

function codex(t: Tree, etc: boolean): CodexCommand {
  const cmd = resolveCodex()!;
  return etc ? inEtcNamespace(cmd, t.etc, t.scratch) : cmd;
}

/** The effective servers, as both tell them: name → what matters for starting it. */
function fromCodex(list: McpListEntry[]) {
  return Object.fromEntries(
    list.map((s) => [
      s.name,
      {
        enabled: s.enabled,
        requirements: s.disabled_reason?.startsWith('requirements') ?? false,
        command: s.transport.command ?? null,
        args: s.transport.type === 'stdio' ? (s.transport.args ?? []) : null,
        url: s.transport.url ?? null,
        startup: s.startup_timeout_sec,
      },
    ]),
  );
}
function fromDoctor(config: LoadedConfig) {
  assert.equal(config.fatal, undefined, JSON.stringify(config.findings));
  const view = (s: ServerConfig) => ({
    enabled: s.enabled,
    requirements: s.disabledReason?.includes('requirements') ?? false,
    command: s.command ?? null,
    args: s.transport === 'stdio' ? s.args : null,
    url: s.url ?? null,
    startup: s.startupTimeoutExplicit ? s.startupTimeoutSec : null,
  });
  return Object.fromEntries(config.servers.map((e) => [e.config.name, view(e.config)]));
}

function agreeOnEffectiveConfig(codexList: McpListEntry[] | { error: string }, config: LoadedConfig): void {
  assert.ok(Array.isArray(codexList), `Codex refused: ${'error' in codexList ? codexList.error : ''}`);
  assert.deepEqual(fromDoctor(config), fromCodex(codexList));
}

describe('effective config: codex mcp list --json vs mcp-doctor', { skip }, () => {
  test('a value overridden with -c (a string that is not TOML, an array, a number, a new server)', T, async () => {
    const t = tree({ 'home/config.toml': '[mcp_servers.a]\ncommand = "user"\nargs = ["u"]\n[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\n' });
    const c = ['mcp_servers.a.args=["x", "y"]', 'mcp_servers.h.url=http://127.0.0.1:1/mcp', 'mcp_servers.h.startup_timeout_sec=7', 'mcp_servers.z.command="cat"'];
    agreeOnEffectiveConfig(codexMcpList(codex(t, false), { home: t.home, cwd: t.work, overrides: c }), await doctor(t, { c }));
  });

  test('--profile: a fragment split between config.toml and NAME.config.toml, and a server only the profile has', T, async () => {
    const t = tree({
      'home/config.toml': '[mcp_servers.a]\ncommand = "user"\nstartup_timeout_sec = 1\n[mcp_servers.part]\nstartup_timeout_sec = 4\n',
      'home/work.config.toml': '[mcp_servers.a]\nargs = ["p"]\nstartup_timeout_sec = 2\n[mcp_servers.part]\ncommand = "from-profile"\n[mcp_servers.c]\nurl = "http://127.0.0.1:1/mcp"\n',
    });
    agreeOnEffectiveConfig(codexMcpList(codex(t, false), { home: t.home, cwd: t.work, profile: 'work' }), await doctor(t, { profile: 'work' }));
    // A profile file that does not exist: Codex carries on with the base config alone, where `part`
    // has no transport, so it refuses the config; mcp-doctor warns about the profile and finds the same error.
    const base = codexMcpList(codex(t, false), { home: t.home, cwd: t.work, profile: 'nope' });
    assert.ok(!Array.isArray(base) && /mcp_servers\.part/.test(base.error), JSON.stringify(base));
    const noProfile = await doctor(t, { profile: 'nope' });
    assert.deepEqual(noProfile.findings.map((f) => f.code), ['config.profile-not-found']);
    assert.deepEqual(noProfile.servers.find((e) => e.config.name === 'part')?.findings.map((f) => f.code), ['config.missing-transport']);
  });

  test('legacy profiles: Codex refuses the config exactly when mcp-doctor reports config.legacy-profile', T, async () => {
    const t = tree({ 'home/config.toml': '[profiles.work]\nmodel = "m"\n[mcp_servers.a]\ncommand = "a"\n', 'home/work.config.toml': '' });
    for (const [opts, refused] of [
      [{}, false],
      [{ profile: 'work' }, true],
      [{ c: ['profile=work'] }, true],
    ] as const) {
      const list = codexMcpList(codex(t, false), { home: t.home, cwd: t.work, profile: 'profile' in opts ? opts.profile : undefined, overrides: 'c' in opts ? [...opts.c] : [] });
      const config = await doctor(t, { ...opts, c: 'c' in opts ? [...opts.c] : [] });
      assert.equal(!Array.isArray(list), refused, JSON.stringify(list));
      if (refused) assert.match((list as { error: string }).error, /legacy `profile|--profile `work` cannot be used/);
      assert.equal(config.findings.some((f) => f.code === 'config.legacy-profile' && f.severity === 'error'), refused);
    }
  });

  test('a fragment split between the user config and a trusted project config', T, async () => {
    const t = tree({ 'work/.codex/config.toml': '[mcp_servers.p]\nargs = ["from-project"]\n[mcp_servers.a]\ncommand = "project"\n' });
    mkdirSync(join(t.work, '.git'));
    t.write('home/config.toml', `[projects.${JSON.stringify(t.work)}]\ntrust_level = "trusted"\n[mcp_servers.p]\ncommand = "user-p"\n[mcp_servers.a]\ncommand = "user"\n`);
    const c = ['mcp_servers.a.command=cli'];
    agreeOnEffectiveConfig(codexMcpList(codex(t, false), { home: t.home, cwd: t.work, overrides: c }), await doctor(t, { c }));
  });
});

describe('machine-wide layers (/etc/codex, in a private mount namespace)', { skip: skipNs }, () => {
  const SYSTEM = '[mcp_servers.a]\ncommand = "system-a"\nstartup_timeout_sec = 9\n[mcp_servers.b]\ncommand = "system-b"\nargs = ["sys"]\n[mcp_servers.s]\nurl = "http://127.0.0.1:1/mcp"\n';
  const USER = '[mcp_servers.a]\nstartup_timeout_sec = 3\n[mcp_servers.b]\ncommand = "user-b"\n';

  test('system < user < -c < managed_config.toml: effective values and Codex\'s own per-key origins', T, async () => {
    const t = tree({ 'etc/config.toml': SYSTEM, 'etc/managed_config.toml': '[mcp_servers.b]\ncommand = "managed-b"\n', 'home/config.toml': USER });
    const c = ['mcp_servers.a.args=["cli"]', 'mcp_servers.b.command=cli-b'];
    agreeOnEffectiveConfig(codexMcpList(codex(t, true), { home: t.home, cwd: t.work, overrides: c }), await doctor(t, { c, etc: true }));

    // config/read with Codex's origins; the doctor loads the same files from the app-server's CODEX_HOME.
    const { value } = await withAppServer(
      { codex: codex(t, true), deps: { spawn, env: process.env, platform: process.platform }, configToml: USER, overrides: c.flatMap((o) => ['-c', o]), cwd: t.work, timeoutMs: 30_000 },
      async (s) => {
        const read = await s.request('config/read', { includeLayers: false, cwd: t.work });
        assert.equal(read.error, undefined, JSON.stringify(read.error));
        const config = await loadConfig({ overrides: c.map(parseCliOverride), systemDir: t.etc, deps: configDeps({ codexHome: s.home, cwd: t.work, env: {} }) });
        return { origins: read.result.origins as Record<string, { type: string; file?: string }>, config, home: s.home };
      },
    );
    const codexOrigins: Record<string, string> = {};
    for (const [key, meta] of Object.entries(value.origins)) {
      const origin = (meta as unknown as { name: { type: string; file?: string } }).name;
      const m = /^mcp_servers\.([^.]+)\.(.+?)(?:\.\d+)*$/.exec(key);
      if (!m) continue;
      const file = origin.file === undefined ? '' : origin.file.replace('/etc/codex', t.etc);
      codexOrigins[`${m[1]}.${m[2]}`] = `${origin.type}:${file}`;
    }
    const LAYER = { system: 'system', user: 'user', cli: 'sessionFlags', managed: 'legacyManagedConfigTomlFromFile', profile: 'user', project: 'project' } as const;
    const doctorOrigins: Record<string, string> = {};
    for (const { config: s } of value.config.servers) {
      for (const [key, origin] of Object.entries(s.origins ?? {})) doctorOrigins[`${s.name}.${key}`] = `${LAYER[origin.layer]}:${origin.file ?? ''}`;
    }
    assert.deepEqual(doctorOrigins, codexOrigins);
    assert.equal(doctorOrigins['b.command'], `legacyManagedConfigTomlFromFile:${join(t.etc, 'managed_config.toml')}`);
  });

  test('requirements.toml: the same servers are disabled, Codex does not start them, mcp-doctor skips them', T, async () => {
    const home = `[mcp_servers.ok]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "healthy"]\n[mcp_servers.blocked]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "healthy"]\n[mcp_servers.other]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "exit-early"]\n`;
    const t = tree({ 'etc/requirements.toml': '[mcp_servers.ok.identity]\ncommand = "node"\n[mcp_servers.blocked.identity]\ncommand = "npx"\n', 'home/config.toml': home });
    agreeOnEffectiveConfig(codexMcpList(codex(t, true), { home: t.home, cwd: t.work }), await doctor(t, { etc: true }));

    const status = await codexServerStatus({ codex: codex(t, true), deps: { spawn, env: process.env, platform: process.platform }, configToml: home, cwd: t.work, timeoutMs: 45_000 });
    assert.equal(status.servers.ok?.connected, true);
    assert.equal(status.servers.blocked?.disabled, true, JSON.stringify(status.servers.blocked));
    assert.equal(status.servers.other?.disabled, true);

    // The CLI itself reads the real /etc/codex: run it in the same namespace.
    const report = await checkJsonIn(t, []);
    const by = Object.fromEntries(report.servers.map((s: any) => [s.name, s]));
    assert.equal(by.ok.status, 'ok');
    for (const name of ['blocked', 'other']) {
      assert.equal(by[name].status, 'skipped');
      assert.ok(by[name].findings.some((f: any) => f.code === 'config.disabled-by-requirements'));
      assert.match(by[name].stages[1].summary, /disabled by requirements \(\/etc\/codex\/requirements\.toml\)/);
    }
    assert.equal(report.config.requirements, '/etc/codex/requirements.toml');
  });
});

describe('verdicts: codex app-server vs mcp-doctor check', { skip }, () => {
  test('a -c override that repairs a server, and one that breaks it', T, async () => {
    const t = tree({ 'home/config.toml': `[mcp_servers.s]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "exit-early"]\n` });
    for (const [mode, connected] of [
      ['healthy', true],
      ['exit-early', false],
    ] as const) {
      const c = [`mcp_servers.s.args=[${JSON.stringify(SERVER)}, "${mode}"]`];
      const status = await codexServerStatus({
        codex: codex(t, false),
        deps: { spawn, env: process.env, platform: process.platform },
        configToml: readFileSync(join(t.home, 'config.toml'), 'utf8'),
        overrides: c.flatMap((o) => ['-c', o]),
        cwd: t.work,
        timeoutMs: 45_000,
      });
      assert.equal(status.servers.s?.connected, connected, JSON.stringify(status.servers.s));
      const r = await runCli(['check', '--json', ...c.flatMap((o) => ['-c', o])], { env: { CODEX_HOME: t.home }, cwd: t.work });
      const report = JSON.parse(r.stdout);
      assert.equal(report.servers[0].status, connected ? 'ok' : 'fail');
      assert.equal(report.servers[0].configSources.args.flag, '-c mcp_servers.s.args');
    }
  });

  test('--profile through check --codex: Codex (given the profile) agrees with mcp-doctor', T, async () => {
    const t = tree({
      'home/config.toml': `[mcp_servers.s]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "exit-early"]\n`,
      'home/fixed.config.toml': `[mcp_servers.s]\nargs = [${JSON.stringify(SERVER)}, "healthy"]\n`,
    });
    const bin = resolveCodex()!;
    const r = await runCli(['check', '--json', '--profile', 'fixed', '--codex-bin', bin.args[0] ?? bin.command], { env: { CODEX_HOME: t.home }, cwd: t.work, timeoutMs: 90_000 });
    const report = JSON.parse(r.stdout);
    assert.equal(report.servers[0].status, 'ok', r.stdout);
    assert.equal(report.servers[0].codex?.connected, true, JSON.stringify(report.codex));
    assert.ok(!report.servers[0].findings.some((f: any) => f.code === 'codex.disagrees'));
  });
});

/** `mcp-doctor check --json` inside the namespace where /etc/codex is the tree's etc directory. */
function checkJsonIn(t: Tree, args: string[]): Promise<any> {
  const cmd = inEtcNamespace({ command: process.execPath, args: [CLI] }, t.etc, t.scratch);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, [...cmd.args, 'check', '--json', ...args], { cwd: t.work, env: { ...process.env, CODEX_HOME: t.home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`no JSON report: ${out.slice(0, 500)} ${err.slice(-500)}`));
      }
    });
  });
}

