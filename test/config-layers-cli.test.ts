// `check -c key=value` and `check --profile NAME` from the command line (dist/), and where
// `--fix --write` writes when a server's values come from several layers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJson, ROOT, runCli } from './helpers/cli.ts';
import { contractViolations } from './helpers/contract-schema.ts';

const SERVER = join(ROOT, 'fixtures', 'stdio', 'server.mjs');
const T = { timeout: 90_000 };

function home(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-layers-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, env: { CODEX_HOME: dir, HOME: dir }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const healthy = (name: string) => `[mcp_servers.${name}]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "healthy"]\n`;

describe('check -c and --profile', () => {
  test('-c overrides a value (Codex syntax), names after it are still names, and the JSON says where each value came from', T, async () => {
    const h = home({ 'config.toml': `${healthy('a')}${healthy('b')}` });
    try {
      const { code, report } = await checkJson(['-c', `mcp_servers.a.args=[${JSON.stringify(SERVER)}, "exit-early"]`, '-c', 'mcp_servers.a.startup_timeout_sec=5', 'a'], { env: h.env, cwd: h.dir });
      assert.equal(code, 1);
      assert.deepEqual(contractViolations(report), [], 'the layered report still meets the contract');
      const a = report.servers.find((s: any) => s.name === 'a');
      assert.equal(a.status, 'fail');
      assert.equal(report.servers.find((s: any) => s.name === 'b').status, 'skipped', '`a` after -c was read as a server name');
      assert.deepEqual(a.configSources, {
        args: { layer: 'cli', flag: '-c mcp_servers.a.args' },
        command: { layer: 'user', file: join(h.dir, 'config.toml') },
        startup_timeout_sec: { layer: 'cli', flag: '-c mcp_servers.a.startup_timeout_sec' },
      });
      assert.match(a.stages[0].summary, /args, startup_timeout_sec from -c/);
      assert.deepEqual(report.config.layers, [
        { layer: 'user', file: join(h.dir, 'config.toml') },
        { layer: 'cli', file: '-c' },
      ]);
      // A server whose values come from one file has no configSources.
      const plain = await checkJson([], { env: h.env, cwd: h.dir });
      assert.equal(plain.report.servers[0].configSources, undefined);
      assert.equal(plain.report.config.layers, undefined);
    } finally {
      h.cleanup();
    }
  });

  test('--profile NAME layers $CODEX_HOME/NAME.config.toml (text output names both files)', T, async () => {
    const h = home({ 'config.toml': `[mcp_servers.a]\ncommand = "node"\nargs = [${JSON.stringify(SERVER)}, "exit-early"]\n`, 'fixed.config.toml': `[mcp_servers.a]\nargs = [${JSON.stringify(SERVER)}, "healthy"]\n` });
    try {
      const { code, report } = await checkJson(['--profile', 'fixed'], { env: h.env, cwd: h.dir });
      assert.equal(code, 0);
      assert.equal(report.config.profile, 'fixed');
      assert.equal(report.servers[0].configSources.args.file, join(h.dir, 'fixed.config.toml'));
      const text = await runCli(['check', '-p', 'fixed', '-c', 'mcp_servers.a.startup_timeout_sec=9'], { env: h.env, cwd: h.dir });
      assert.match(text.stdout, /config .*config\.toml \+ .*fixed\.config\.toml \+ -c flags/);
      assert.match(text.stdout, /startup_timeout_sec from -c/);
      const md = await runCli(['check', '--format', 'markdown', '-p', 'fixed'], { env: h.env, cwd: h.dir });
      assert.match(md.stdout, /- Profile: `fixed`/);
      assert.match(md.stdout, /- Config: `[^`]*fixed\.config\.toml`/);
      assert.equal((await checkJson([], { env: h.env, cwd: h.dir })).code, 1, 'without the profile the server fails');
    } finally {
      h.cleanup();
    }
  });

  test('usage errors (exit 2) in Codex\'s words: a flag without =, a profile that is not a plain name, -c with --url', T, async () => {
    const h = home({ 'config.toml': healthy('a') });
    try {
      const missing = await runCli(['check', '-c', 'mcp_servers.a.enabled'], { env: h.env, cwd: h.dir });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /Invalid override \(missing '='\): mcp_servers\.a\.enabled/);
      const profile = await runCli(['check', '--profile', '../x'], { env: h.env, cwd: h.dir });
      assert.equal(profile.code, 2);
      assert.match(profile.stderr, /invalid --profile value `\.\.\/x`; pass a plain name such as `work`/);
      const adHoc = await runCli(['check', '--url', 'http://127.0.0.1:9/mcp', '-c', 'a=1'], { env: h.env, cwd: h.dir });
      assert.equal(adHoc.code, 2);
    } finally {
      h.cleanup();
    }
  });
});

describe('--fix --write with layers', () => {
  // `type` is a key Codex ignores; its fix removes it from the file that holds it.
  test('the fix goes to the profile file that holds the value; config.toml is untouched', T, async () => {
    const user = healthy('a');
    const h = home({ 'config.toml': user, 'work.config.toml': '[mcp_servers.a]\ntype = "stdio"\n' });
    try {
      const { code, report } = await checkJson(['--profile', 'work', '--fix', '--write'], { env: h.env, cwd: h.dir });
      assert.equal(code, 0, JSON.stringify(report.fixes));
      assert.equal(report.fixes.write.written, true);
      assert.deepEqual(report.fixes.files.map((f: any) => f.path), [join(h.dir, 'work.config.toml')]);
      assert.doesNotMatch(readFileSync(join(h.dir, 'work.config.toml'), 'utf8'), /type/);
      assert.equal(readFileSync(join(h.dir, 'config.toml'), 'utf8'), user);
      assert.ok(readdirSync(h.dir).some((f) => f.startsWith('work.config.toml.bak-')), 'backup beside the profile file');
    } finally {
      h.cleanup();
    }
  });

  test('refused (exit 2, nothing written) when the value comes from -c', T, async () => {
    const user = healthy('a');
    const h = home({ 'config.toml': user });
    try {
      const run = await runCli(['check', '-c', 'mcp_servers.a.type=stdio', '--fix', '--write', '--json'], { env: h.env, cwd: h.dir });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /comes from `-c mcp_servers\.a\.type` on the command line/);
      assert.equal(JSON.parse(run.stdout).fixes.write.written, false);
      assert.equal(readFileSync(join(h.dir, 'config.toml'), 'utf8'), user);
      assert.ok(!readdirSync(h.dir).some((f) => f.includes('.bak-')));
      assert.ok(existsSync(join(h.dir, 'config.toml')));
    } finally {
      h.cleanup();
    }
  });
});
