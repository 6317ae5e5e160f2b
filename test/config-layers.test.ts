import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'smol-toml';
import { mergeToml, serverOrder, trustDecision } from '../src/config/config-layers.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { allFindings, assertFixesParse, codes, configDeps, only, serverFindings, tempTree } from './helpers/config-fixtures.ts';

function tempWrite(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * A home with CODEX_HOME at home/.codex and a git repository with two project layers:
 * repo/.codex/config.toml (project root) and repo/pkg/.codex/config.toml (nearer the cwd).
 */
function workspace(userToml: (root: string) => string, extra: Record<string, string> = {}) {
  const files = (root: string): Record<string, string> => ({
    'home/.codex/config.toml': userToml(root),
    'repo/.codex/config.toml': [
      '[mcp_servers.root_srv]',
      'command = "root-server"',
      '',
      '[mcp_servers.split]',
      'command = "split-server"',
      '',
      '[mcp_servers.overridden]',
      'startup_timeout_sec = 11',
    ].join('\n'),
    'repo/pkg/.codex/config.toml': ['[mcp_servers.pkg_srv]', 'url = "http://127.0.0.1:9/mcp"', '', '[mcp_servers.overridden]', 'startup_timeout_sec = 22'].join('\n'),
    ...extra,
  });
  // The user config names absolute paths inside the tree, so the tree is made in two steps.
  const tree = tempTree({}, ['repo/.git', 'repo/pkg/src']);
  for (const [rel, text] of Object.entries(files(tree.root))) {
    tempWrite(join(tree.root, rel), text);
  }
  const load = (opts: { cwd?: string; configPath?: string } = {}) =>
    loadConfig({
      configPath: opts.configPath,
      deps: configDeps({ codexHome: tree.path('home/.codex'), cwd: opts.cwd ?? tree.path('repo/pkg/src'), env: { HOME: tree.path('home') } }),
    });
  return { tree, load };
}

const USER_SERVERS = ['[mcp_servers.user_srv]', 'command = "user-server"', '', '[mcp_servers.split]', 'startup_timeout_sec = 60', '', '[mcp_servers.overridden]', 'url = "http://127.0.0.1:9/mcp"'].join('\n');

describe('project layers', () => {
  test('an untrusted project: its servers are dropped and named, with the TOML that trusts it', async () => {
    const { tree, load } = workspace(() => USER_SERVERS);
    try {
      const config = await load();
      assert.equal(config.fatal, undefined);
      assert.deepEqual(config.files, [tree.path('home/.codex/config.toml')]);
      assert.deepEqual(config.servers.map((s) => s.config.name), ['user_srv', 'split', 'overridden']);
      // Without the project layer, `split` has only options: Codex refuses the config.
      assert.deepEqual(codes(serverFindings(config, 'split')), ['config.missing-transport']);
      const untrusted = config.findings.filter((f) => f.code === 'config.project-untrusted');
      assert.equal(untrusted.length, 2);
      assert.ok(untrusted.every((f) => f.stage === 'file' && f.severity === 'warning'));
      assert.deepEqual(untrusted.map((f) => f.evidence?.droppedServers), [
        ['root_srv', 'split', 'overridden'],
        ['pkg_srv', 'overridden'],
      ]);
      assert.match(untrusted[0]!.message, /root_srv, split, overridden/);
      const trust = parse(untrusted[0]!.fix!.toml!) as { projects: Record<string, { trust_level: string }> };
      assert.deepEqual(Object.keys(trust.projects), [tree.path('repo')]);
      assert.equal(trust.projects[tree.path('repo')]!.trust_level, 'trusted');
      assertFixesParse(allFindings(config));
    } finally {
      tree.cleanup();
    }
  });

  test('a trusted project root: layers merge table by table, nearest the cwd wins', async () => {
    const { tree, load } = workspace((root) => `${USER_SERVERS}\n\n[projects."${join(root, 'repo')}"]\ntrust_level = "trusted"\n`);
    try {
      const config = await load();
      assert.deepEqual(config.files, [tree.path('home/.codex/config.toml'), tree.path('repo/.codex/config.toml'), tree.path('repo/pkg/.codex/config.toml')]);
      assert.deepEqual(config.findings, []);
      assert.deepEqual(config.servers.map((s) => s.config.name), ['user_srv', 'split', 'overridden', 'root_srv', 'pkg_srv']);
      const split = config.servers.find((s) => s.config.name === 'split')!;
      // Split across layers: valid only after merging, as in Codex.
      assert.deepEqual(split.findings, []);
      assert.equal(split.config.command, 'split-server');
      assert.equal(split.config.startupTimeoutSec, 60);
      assert.equal(split.config.source, tree.path('repo/.codex/config.toml'));
      const overridden = config.servers.find((s) => s.config.name === 'overridden')!;
      assert.equal(overridden.config.startupTimeoutSec, 22, 'the layer nearest the cwd wins');
      assert.equal(overridden.config.url, 'http://127.0.0.1:9/mcp');
      assert.equal(overridden.config.source, tree.path('repo/pkg/.codex/config.toml'));
      assert.deepEqual(overridden.config.definedIn, [tree.path('home/.codex/config.toml'), tree.path('repo/.codex/config.toml'), tree.path('repo/pkg/.codex/config.toml')]);
      assert.equal(config.servers.find((s) => s.config.name === 'user_srv')!.config.source, tree.path('home/.codex/config.toml'));
    } finally {
      tree.cleanup();
    }
  });

  test('a finding on a merged server names the file that holds the key', async () => {
    const { tree, load } = workspace((root) => `[mcp_servers.pkg_srv]
bearer_token = "MERGEDfakeTOKEN-1"

[projects."${join(root, 'repo')}"]
trust_level = "trusted"
`);
    try {
      const config = await load();
      const finding = only(serverFindings(config, 'pkg_srv'), 'config.inline-bearer-token');
      assert.equal(finding.evidence?.file, tree.path('home/.codex/config.toml'));
      assert.doesNotMatch(finding.fix!.summary, /rotate/, 'the token is in the user config, not a project one');
      assert.equal(config.servers.find((s) => s.config.name === 'pkg_srv')!.config.source, tree.path('repo/pkg/.codex/config.toml'));
    } finally {
      tree.cleanup();
    }
  });

  test('trust_level = "untrusted" is reported as such; a trusted sub-directory loads only its own layer', async () => {
    const { tree, load } = workspace(
      (root) => `${USER_SERVERS}\n\n[projects."${join(root, 'repo')}"]\ntrust_level = "untrusted"\n\n[projects."${join(root, 'repo', 'pkg')}"]\ntrust_level = "trusted"\n`,
    );
    try {
      const config = await load();
      assert.deepEqual(config.files, [tree.path('home/.codex/config.toml'), tree.path('repo/pkg/.codex/config.toml')]);
      const untrusted = only(config.findings, 'config.project-untrusted');
      assert.equal(untrusted.evidence?.file, tree.path('repo/.codex/config.toml'));
      assert.equal(untrusted.evidence?.trustLevel, 'untrusted');
      assert.match(untrusted.message, /marked untrusted/);
      assert.ok(config.servers.some((s) => s.config.name === 'pkg_srv'));
      assert.ok(!config.servers.some((s) => s.config.name === 'root_srv'));
    } finally {
      tree.cleanup();
    }
  });

  test('project_root_markers = [] makes the cwd the project root', async () => {
    const { tree, load } = workspace((root) => `project_root_markers = []\n${USER_SERVERS}\n\n[projects."${join(root, 'repo', 'pkg')}"]\ntrust_level = "trusted"\n`);
    try {
      const config = await load({ cwd: tree.path('repo/pkg') });
      assert.deepEqual(config.files, [tree.path('home/.codex/config.toml'), tree.path('repo/pkg/.codex/config.toml')]);
      assert.deepEqual(config.findings, [], 'repo/.codex is above the project root: not a layer, not reported');
    } finally {
      tree.cleanup();
    }
  });

  test('--config naming another file checks exactly that file; naming the default path behaves like the default', async () => {
    const { tree, load } = workspace((root) => `${USER_SERVERS}\n\n[projects."${join(root, 'repo')}"]\ntrust_level = "trusted"\n`, {
      'elsewhere/config.toml': '[mcp_servers.only_me]\ncommand = "x"\n',
    });
    try {
      const other = await load({ configPath: tree.path('elsewhere/config.toml') });
      assert.deepEqual(other.files, [tree.path('elsewhere/config.toml')]);
      assert.deepEqual(other.servers.map((s) => s.config.name), ['only_me']);
      assert.deepEqual(other.findings, []);

      const same = await load({ configPath: tree.path('home/.codex/config.toml') });
      assert.equal(same.files.length, 3);
    } finally {
      tree.cleanup();
    }
  });

  test('a trusted project config that does not parse is fatal; an untrusted one is only reported', async () => {
    const broken = { 'repo/pkg/.codex/config.toml': '[mcp_servers.pkg_srv]\nurl = https://nope\n' };
    const trusted = workspace((root) => `${USER_SERVERS}\n\n[projects."${join(root, 'repo')}"]\ntrust_level = "trusted"\n`, broken);
    try {
      const config = await trusted.load();
      assert.equal(config.fatal, 'parse-error');
      const finding = only(config.findings, 'config.parse-error');
      assert.equal(finding.evidence?.file, trusted.tree.path('repo/pkg/.codex/config.toml'));
    } finally {
      trusted.tree.cleanup();
    }
    const untrusted = workspace(() => USER_SERVERS, broken);
    try {
      const config = await untrusted.load();
      assert.equal(config.fatal, undefined);
      const reported = config.findings.filter((f) => f.code === 'config.project-untrusted').map((f) => f.evidence?.file);
      assert.ok(reported.includes(untrusted.tree.path('repo/pkg/.codex/config.toml')));
    } finally {
      untrusted.tree.cleanup();
    }
  });

  test('run from $HOME inside a dotfiles repo: ~/.codex is CODEX_HOME, not a project layer', async () => {
    const tree = tempTree({ 'home/.codex/config.toml': '[mcp_servers.mine]\ncommand = "x"\n' }, ['home/.git']);
    try {
      const config = await loadConfig({ deps: configDeps({ codexHome: tree.path('home/.codex'), cwd: tree.path('home') }) });
      assert.deepEqual(config.files, [tree.path('home/.codex/config.toml')]);
      assert.deepEqual(config.findings, []);
    } finally {
      tree.cleanup();
    }
  });

  test('an inline token in a project config also says to rotate it (the file may be committed)', async () => {
    const { tree, load } = workspace((root) => `[projects."${join(root, 'repo')}"]\ntrust_level = "trusted"\n`, {
      'repo/.codex/config.toml': '[mcp_servers.team]\nurl = "https://mcp.example.com/mcp"\nbearer_token = "TEAMfakeTOKEN-committed-1"\n',
    });
    try {
      const config = await load();
      const finding = only(serverFindings(config, 'team'), 'config.inline-bearer-token');
      assert.match(finding.fix!.summary, /rotate the token/);
      assert.ok(!JSON.stringify(finding).includes('TEAMfakeTOKEN-committed-1'));
    } finally {
      tree.cleanup();
    }
  });
});

describe('layer helpers', () => {
  test('mergeToml merges tables recursively and replaces everything else', () => {
    const merged = mergeToml({ a: { x: 1, y: { p: 1 } }, arr: [1, 2], s: 'a' }, { a: { y: { q: 2 } }, arr: [3], s: 'b' });
    assert.deepEqual(JSON.parse(JSON.stringify(merged)), { a: { x: 1, y: { p: 1, q: 2 } }, arr: [3], s: 'b' });
  });

  test('mergeToml keeps a server literally named __proto__ as data', () => {
    const base = parse('[mcp_servers.__proto__]\ncommand = "x"\n') as Record<string, unknown>;
    const merged = mergeToml({}, base) as { mcp_servers: Record<string, unknown> };
    assert.deepEqual(Object.keys(merged.mcp_servers), ['__proto__']);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });

  test('trustDecision: the directory, then the project root, then the repository root', () => {
    const projects = { '/r/pkg': { trust_level: 'untrusted' }, '/r/': { trust_level: 'trusted' } };
    assert.deepEqual(trustDecision(projects, '/r/pkg', '/r', '/r'), { trusted: false, level: 'untrusted', key: '/r/pkg' });
    assert.deepEqual(trustDecision(projects, '/r/other', '/r', '/r'), { trusted: true, level: 'trusted', key: '/r' });
    assert.deepEqual(trustDecision({}, '/r/other', '/r/other', '/r'), { trusted: false, key: '/r' });
  });

  test('serverOrder falls back to the parser order when a name cannot be located', () => {
    const text = '[mcp_servers]\nb = { command = "x" }\na = { command = "y" }\n';
    assert.deepEqual(serverOrder(text, parse(text) as Record<string, unknown>), ['b', 'a']);
    const quoted = "[mcp_servers.'3']\ncommand = \"x\"\n[mcp_servers.\"1\"]\ncommand = \"y\"\n";
    assert.deepEqual(serverOrder(quoted, parse(quoted) as Record<string, unknown>), ['3', '1']);
  });
});
