// Every config layer Codex 0.171 reads (system, user, --profile, project, -c, managed) and the
// requirements.toml allow-list, loaded from a temporary tree with the machine-wide directory
// injected (Codex has no way to move /etc/codex; test/config-layers-oracle.test.ts asks the real
// Codex about the same situations).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCliOverride, overridesLayer, CliOverrideError } from '../src/config/cli-overrides.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { fixTarget } from '../src/fix/fix-target.ts';
import { codes, configDeps, only, serverFindings, tempTree } from './helpers/config-fixtures.ts';

function layered(files: Record<string, string>, dirs: string[] = []) {
  const tree = tempTree(files, ['home/.codex', 'etc', 'work', ...dirs]);
  const load = (opts: { profile?: string; c?: string[]; configPath?: string; cwd?: string } = {}) =>
    loadConfig({
      configPath: opts.configPath,
      profile: opts.profile,
      overrides: (opts.c ?? []).map(parseCliOverride),
      systemDir: tree.path('etc'),
      deps: configDeps({ codexHome: tree.path('home/.codex'), cwd: opts.cwd ?? tree.path('work'), env: { HOME: tree.path('home') } }),
    });
  return { tree, load };
}

const server = (config: Awaited<ReturnType<typeof loadConfig>>, name: string) => {
  const entry = config.servers.find((s) => s.config.name === name);
  assert.ok(entry, `no server ${name}: ${config.servers.map((s) => s.config.name).join(', ')}`);
  return entry.config;
};

describe('-c key=value, parsed as Codex parses it', () => {
  test('TOML values, and a string when the value is not TOML (quotes stripped)', () => {
    assert.deepEqual(parseCliOverride('mcp_servers.a.args=["-y", "pkg"]').value, ['-y', 'pkg']);
    assert.equal(parseCliOverride('mcp_servers.a.startup_timeout_sec=7').value, 7);
    assert.equal(parseCliOverride('mcp_servers.a.enabled = false').value, false);
    assert.equal(parseCliOverride('mcp_servers.a.url=http://127.0.0.1:1/mcp').value, 'http://127.0.0.1:1/mcp');
    assert.equal(parseCliOverride("model='o3").value, 'o3', 'an unbalanced quote: not TOML, quotes trimmed');
    assert.equal(parseCliOverride('a.b=x=y').value, 'x=y', 'only the first = splits');
    assert.deepEqual({ ...(parseCliOverride('mcp_servers.a={ command = "x" }').value as object) }, { command: 'x' });
    assert.deepEqual(parseCliOverride(' mcp_servers.a.b =1').path, ['mcp_servers', 'a', 'b']);
  });

  test("malformed flags are refused with Codex's own words", () => {
    assert.throws(() => parseCliOverride('mcp_servers.a.enabled'), (e: Error) => e instanceof CliOverrideError && e.message === "Invalid override (missing '='): mcp_servers.a.enabled");
    assert.throws(() => parseCliOverride(' =1'), /Empty key in override/);
  });

  test('dotted keys are not quoted, later flags win, a scalar in the way becomes a table', () => {
    assert.deepEqual(parseCliOverride('mcp_servers."a.b".x=1').path, ['mcp_servers', '"a', 'b"', 'x']);
    const layer = overridesLayer(['a.b=1', 'a.b=2', 'x=1', 'x.y=2'].map(parseCliOverride));
    assert.deepEqual(JSON.parse(JSON.stringify(layer)), { a: { b: 2 }, x: { y: 2 } });
  });
});

describe('layers in Codex order', () => {
  test('system < user: a fragment split across the two is one valid server, and each value names its file', async () => {
    const { tree, load } = layered({
      'etc/config.toml': '[mcp_servers.docs]\ncommand = "system-cmd"\nstartup_timeout_sec = 9\n',
      'home/.codex/config.toml': '[mcp_servers.docs]\nstartup_timeout_sec = 3\n',
    });
    try {
      const config = await load();
      const docs = server(config, 'docs');
      assert.deepEqual(codes(serverFindings(config, 'docs')), [], 'valid once merged: no missing-transport');
      assert.equal(docs.command, 'system-cmd');
      assert.equal(docs.startupTimeoutSec, 3, 'the user layer wins');
      assert.deepEqual(docs.origins, {
        command: { layer: 'system', file: tree.path('etc/config.toml') },
        startup_timeout_sec: { layer: 'user', file: tree.path('home/.codex/config.toml') },
      });
      assert.deepEqual(config.layers?.map((l) => l.layer), ['system', 'user']);
    } finally {
      tree.cleanup();
    }
  });

  test('--profile NAME: $CODEX_HOME/NAME.config.toml above the user config, below -c; arrays replace whole', async () => {
    const { tree, load } = layered({
      'home/.codex/config.toml': '[mcp_servers.a]\ncommand = "user"\nargs = ["u1", "u2"]\n[mcp_servers.b]\ncommand = "b"\n',
      'home/.codex/work.config.toml': '[mcp_servers.a]\nargs = ["p"]\nstartup_timeout_sec = 2\n[mcp_servers.c]\nurl = "http://127.0.0.1:1/mcp"\n',
    });
    try {
      const plain = await load();
      assert.deepEqual(plain.servers.map((s) => s.config.name), ['a', 'b'], 'no --profile: the profile file is not read');
      const config = await load({ profile: 'work', c: ['mcp_servers.a.startup_timeout_sec=4'] });
      const a = server(config, 'a');
      assert.deepEqual(a.args, ['p']);
      assert.equal(a.startupTimeoutSec, 4);
      assert.deepEqual(config.servers.map((s) => s.config.name), ['a', 'b', 'c']);
      assert.equal(server(config, 'c').source, tree.path('home/.codex/work.config.toml'));
      assert.deepEqual(a.origins?.startup_timeout_sec, { layer: 'cli', flag: '-c mcp_servers.a.startup_timeout_sec' });
      assert.deepEqual(a.origins?.args, { layer: 'profile', file: tree.path('home/.codex/work.config.toml') });
      assert.equal(config.profile, 'work');
    } finally {
      tree.cleanup();
    }
  });

  test('a missing profile file: Codex starts without it, mcp-doctor warns', async () => {
    const { tree, load } = layered({ 'home/.codex/config.toml': '[mcp_servers.a]\ncommand = "a"\n' });
    try {
      const config = await load({ profile: 'nope' });
      assert.equal(config.fatal, undefined);
      assert.match(only(config.findings, 'config.profile-not-found').message, /nope\.config\.toml/);
    } finally {
      tree.cleanup();
    }
  });

  test('legacy profiles: `profile = "x"` (even from -c) and --profile x with [profiles.x] make Codex refuse the config', async () => {
    const { tree, load } = layered({ 'home/.codex/config.toml': '[profiles.work]\nmodel = "m"\n[mcp_servers.a]\ncommand = "a"\n' });
    try {
      assert.deepEqual(codes((await load()).findings), [], 'a [profiles.x] table alone is ignored');
      assert.equal(only((await load({ profile: 'work' })).findings, 'config.legacy-profile').severity, 'error');
      assert.match(only((await load({ c: ['profile=lp'] })).findings, 'config.legacy-profile').message, /--profile lp/);
    } finally {
      tree.cleanup();
    }
  });

  test('project < -c < managed_config.toml', async () => {
    const { tree, load } = layered(
      {
        'etc/managed_config.toml': '[mcp_servers.b]\ncommand = "managed-b"\n',
        'home/.codex/config.toml': '[mcp_servers.a]\ncommand = "user-a"\n[mcp_servers.b]\ncommand = "user-b"\n',
        'work/.codex/config.toml': '[mcp_servers.a]\ncommand = "project-a"\n[mcp_servers.b]\ncommand = "project-b"\n',
      },
      ['work/.git'],
    );
    try {
      // Trust the project from the user config.
      const { writeFileSync, readFileSync } = await import('node:fs');
      const user = tree.path('home/.codex/config.toml');
      writeFileSync(user, `[projects.${JSON.stringify(tree.path('work'))}]\ntrust_level = "trusted"\n${readFileSync(user, 'utf8')}`);
      const noFlags = await load();
      assert.equal(server(noFlags, 'a').command, 'project-a');
      const config = await load({ c: ['mcp_servers.a.command=cli-a', 'mcp_servers.b.command=cli-b'] });
      assert.equal(server(config, 'a').command, 'cli-a', '-c beats the project');
      assert.equal(server(config, 'b').command, 'managed-b', 'managed_config.toml beats -c');
      assert.deepEqual(server(config, 'b').origins?.command, { layer: 'managed', file: tree.path('etc/managed_config.toml') });
      assert.deepEqual(config.layers?.map((l) => l.layer), ['user', 'project', 'cli', 'managed']);
      assert.ok(!config.files.includes('-c'), 'files lists files only');
    } finally {
      tree.cleanup();
    }
  });

  test('-c can define a server, and `-c mcp_servers={}` clears nothing (tables merge)', async () => {
    const { tree, load } = layered({ 'home/.codex/config.toml': '[mcp_servers.a]\ncommand = "a"\n' });
    try {
      const config = await load({ c: ['mcp_servers={}', 'mcp_servers.z.command=cat'] });
      assert.deepEqual(config.servers.map((s) => s.config.name), ['a', 'z']);
      assert.equal(server(config, 'z').source, '-c');
      // A table replaced by a scalar drops the origins below it.
      const replaced = await load({ c: ['mcp_servers.a.env={ K = "v" }', 'mcp_servers.a.env.K="w"'] });
      assert.deepEqual(server(replaced, 'a').env, { K: 'w' });
      assert.deepEqual(Object.keys(server(replaced, 'a').origins!), ['command', 'env.K']);
    } finally {
      tree.cleanup();
    }
  });

  test('a secret given with -c is redacted like one in a file', async () => {
    const { tree, load } = layered({ 'home/.codex/config.toml': '[mcp_servers.a]\nurl = "http://127.0.0.1:1/mcp"\n' });
    try {
      const secret = 'sk-live-0123456789abcdefABCDEF';
      const config = await load({ c: [`mcp_servers.a.bearer_token="${secret}"`] });
      assert.ok(config.secrets?.includes(secret));
      const finding = only(serverFindings(config, 'a'), 'config.inline-bearer-token');
      assert.ok(!JSON.stringify(finding).includes(secret));
      assert.deepEqual(server(config, 'a').origins?.bearer_token, { layer: 'cli', flag: '-c mcp_servers.a.bearer_token' });
    } finally {
      tree.cleanup();
    }
  });

  test('a system or profile file that does not parse stops everything, as in Codex', async () => {
    const { tree, load } = layered({ 'etc/config.toml': '[mcp_servers.a\n', 'home/.codex/config.toml': '[mcp_servers.a]\ncommand = "a"\n' });
    try {
      const config = await load();
      assert.equal(config.fatal, 'parse-error');
      assert.equal(config.findings[0]!.evidence?.file, tree.path('etc/config.toml'));
    } finally {
      tree.cleanup();
    }
  });

  test('an explicit --config naming another file is checked alone (with its -c), without machine-wide layers', async () => {
    const { tree, load } = layered({
      'etc/config.toml': '[mcp_servers.sys]\ncommand = "s"\n',
      'etc/requirements.toml': 'mcp_servers = {}\n',
      'other.toml': '[mcp_servers.a]\ncommand = "a"\n',
    });
    try {
      const config = await load({ configPath: tree.path('other.toml'), c: ['mcp_servers.a.args=["x"]'] });
      assert.deepEqual(config.servers.map((s) => s.config.name), ['a']);
      assert.equal(server(config, 'a').enabled, true);
      assert.deepEqual(server(config, 'a').args, ['x']);
    } finally {
      tree.cleanup();
    }
  });

  test('no user config, but another layer defines servers: checked, not "not found"', async () => {
    const { tree, load } = layered({ 'etc/config.toml': '[mcp_servers.sys]\ncommand = "s"\n' });
    try {
      const config = await load();
      assert.equal(config.fatal, undefined);
      assert.deepEqual(config.servers.map((s) => s.config.name), ['sys']);
      const empty = layered({});
      try {
        assert.equal((await empty.load()).fatal, 'not-found');
      } finally {
        empty.tree.cleanup();
      }
    } finally {
      tree.cleanup();
    }
  });
});

describe('requirements.toml', () => {
  const USER = [
    '[mcp_servers.a]',
    'command = "system-a"',
    '[mcp_servers.b]',
    'command = "user-b"',
    'args = ["sys"]',
    '[mcp_servers.s]',
    'url = "http://127.0.0.1:1/mcp"',
    '[mcp_servers.off]',
    'command = "x"',
    'enabled = false',
  ].join('\n');

  async function withRequirements(requirements: string, c: string[] = []) {
    const { tree, load } = layered({ 'etc/requirements.toml': requirements, 'home/.codex/config.toml': USER });
    try {
      const config = await load({ c });
      const disabled = (name: string) => {
        const s = server(config, name);
        return s.enabled ? undefined : (s.disabledReason ?? 'enabled = false');
      };
      const state = config.fatal ? {} : Object.fromEntries(['a', 'b', 's'].map((n) => [n, disabled(n) ?? 'enabled']));
      return { config, state, path: tree.path('etc/requirements.toml') };
    } finally {
      tree.cleanup();
    }
  }

  test('exact identities: listed and matching runs, mismatched or unlisted is disabled (the cases measured with Codex)', async () => {
    const { config, state, path } = await withRequirements('[mcp_servers.a.identity]\ncommand = "system-a"\n[mcp_servers.b.identity]\ncommand = "other"\n');
    assert.deepEqual(state, { a: 'enabled', b: `disabled by requirements (${path})`, s: `disabled by requirements (${path})` });
    const b = only(serverFindings(config, 'b'), 'config.disabled-by-requirements');
    assert.equal(b.severity, 'warning');
    assert.match(b.message, /allows `b` only as the stdio command "other", but its command is "user-b"/);
    assert.match(only(serverFindings(config, 's'), 'config.disabled-by-requirements').message, /does not list `s`/);
    assert.deepEqual(codes(serverFindings(config, 'off')), ['config.server-disabled'], 'already off: no second finding');
    assert.equal(config.requirements, path);
  });

  test('-c can make a server match (requirements judge the effective config); enabled=true cannot override them', async () => {
    const ok = await withRequirements('[mcp_servers.b.identity]\ncommand = "other"\n', ['mcp_servers.b.command=other']);
    assert.equal(ok.state.b, 'enabled');
    const still = await withRequirements('[mcp_servers.a.identity]\ncommand = "system-a"\n', ['mcp_servers.s.enabled=true']);
    assert.notEqual(still.state.s, 'enabled');
  });

  test('an empty allow-list disables every server; url identities and matchers', async () => {
    assert.deepEqual(Object.values((await withRequirements('mcp_servers = {}\n')).state).filter((s) => s === 'enabled'), []);
    assert.equal((await withRequirements('[mcp_servers.s.identity]\nurl = "http://127.0.0.1:1/mcp"\n')).state.s, 'enabled');
    const matcher = (args: string) => withRequirements(`[mcp_servers.b]\nidentity = { command = { executable = "user-b", args = [${args}] } }\n`);
    assert.equal((await matcher('{ match = "exact", value = "sys" }')).state.b, 'enabled');
    assert.equal((await matcher('{ match = "prefix", value = "s" }')).state.b, 'enabled');
    assert.equal((await matcher('{ match = "regex", expression = "s.s" }')).state.b, 'enabled');
    assert.notEqual((await matcher('{ match = "regex", expression = "s" }')).state.b, 'enabled', 'regex must match the whole argument');
    assert.notEqual((await matcher('')).state.b, 'enabled', 'as many arguments as matchers');
    const url = await withRequirements('[mcp_servers.s]\nidentity = { url = { match = "prefix", value = "http://127.0.0.1:" } }\n');
    assert.equal(url.state.s, 'enabled');
  });

  test('an entry without identity is an error Codex stops on; a file that does not parse is fatal', async () => {
    const invalid = await withRequirements('[mcp_servers.s]\nfoo = 1\n');
    assert.equal(only(invalid.config.findings, 'config.requirements-invalid').severity, 'error');
    assert.equal((await withRequirements('[mcp_servers.s\n')).config.fatal, 'parse-error');
  });
});

describe('which file a fix edits', () => {
  const fix = { summary: 's', toml: '[mcp_servers.a]\nstartup_timeout_sec = 60' };
  test('the layer holding the value; refused when it is a -c flag or the managed config', () => {
    assert.deepEqual(fixTarget(fix, 'a', '/u', { startup_timeout_sec: { layer: 'profile', file: '/p' }, command: { layer: 'user', file: '/u' } }), { path: '/p' });
    assert.deepEqual(fixTarget(fix, 'a', '/u', { command: { layer: 'system', file: '/s' } }), { path: '/u' }, 'a new key: the table file');
    const cli = fixTarget(fix, 'a', '/u', { startup_timeout_sec: { layer: 'cli', flag: '-c mcp_servers.a.startup_timeout_sec' } });
    assert.match((cli as { blocked: string }).blocked, /comes from `-c mcp_servers\.a\.startup_timeout_sec`/);
    const managed = fixTarget(fix, 'a', '/u', { startup_timeout_sec: { layer: 'managed', file: '/etc/codex/managed_config.toml' } });
    assert.match((managed as { blocked: string }).blocked, /managed config/);
    const onlyFlags = fixTarget(fix, 'a', '/u', { command: { layer: 'cli', flag: '-c mcp_servers.a.command' } });
    assert.match((onlyFlags as { blocked: string }).blocked, /only `-c` flags define/);
  });
});
