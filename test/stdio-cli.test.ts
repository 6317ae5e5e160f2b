import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse } from 'smol-toml';
import { checkJson, runCli, tempConfig, ROOT } from './helpers/cli.ts';
import { STDIO_FIXTURE, fixture, isAlive } from './helpers/stdio-check.ts';

const T = { timeout: 60_000 };
const node = JSON.stringify(process.execPath);
const table = (name: string, args: string[], extra = '') =>
  `[mcp_servers.${name}]\ncommand = ${node}\nargs = ${JSON.stringify(args)}\n${extra}`;
const mode = (name: string, m: string, extra = '') => table(name, [STDIO_FIXTURE, m], extra);

before(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
});

function allFixes(report: any): any[] {
  return report.servers.flatMap((s: any) => s.findings).filter((f: any) => f.fix);
}

describe('check over stdio (built CLI)', () => {
  test('`check -- CMD ARGS`: a healthy server exits 0 with its tools', T, async () => {
    const { code, report } = await checkJson(['--', process.execPath, STDIO_FIXTURE, 'healthy']);
    assert.equal(code, 0);
    assert.equal(report.config, null);
    assert.equal(report.servers[0].transport, 'stdio');
    assert.equal(report.servers[0].status, 'ok');
    assert.deepEqual({ count: report.servers[0].tools?.count, names: report.servers[0].tools?.names }, { count: 2, names: ['echo', 'add'] });
  });

  test('warnings exit 0, and 1 with --strict', T, async () => {
    const cfg = tempConfig([mode('banner', 'banner'), mode('ok', 'healthy')].join('\n'));
    try {
      const plain = await checkJson(['--config', cfg.path]);
      assert.equal(plain.code, 0);
      assert.deepEqual(plain.report.servers.map((s: any) => s.status), ['warn', 'ok']);
      const strict = await runCli(['check', '--config', cfg.path, '--strict', '--json']);
      assert.equal(strict.code, 1);
    } finally {
      cfg.cleanup();
    }
  });

  test('failures exit 1, and every fix parses as TOML', T, async () => {
    const cfg = tempConfig(
      [
        mode('early', 'exit-early'),
        mode('glued', 'banner-glued'),
        table('slow', [STDIO_FIXTURE, 'slow', '--delay', '2000'], 'startup_timeout_sec = 1\n'),
        table('missing', ['x'], '').replace(node, '"mcpd-no-such-command"'),
        mode('names', 'tools-invalid-name'),
      ].join('\n'),
    );
    try {
      const { code, report } = await checkJson(['--config', cfg.path, '--timeout', '8']);
      assert.equal(code, 1);
      const byName = Object.fromEntries(report.servers.map((s: any) => [s.name, s.findings.map((f: any) => f.code)]));
      assert.deepEqual(byName.early, ['stdio.exited-early']);
      assert.deepEqual(byName.glued, ['stdio.stdout-noise']);
      assert.deepEqual(byName.slow, ['timeout.startup']);
      assert.deepEqual(byName.missing, ['stdio.command-not-found']);
      assert.deepEqual(byName.names, ['tools.invalid-name']);
      const tomls = allFixes(report).filter((f) => f.fix.toml);
      assert.deepEqual(tomls.map((f) => f.code).sort(), ['timeout.startup', 'tools.invalid-name']);
      for (const f of tomls) assert.doesNotThrow(() => parse(f.fix.toml), `${f.code}: ${f.fix.toml}`);
    } finally {
      cfg.cleanup();
    }
  });

  test('no secret in any format: a forwarded-key problem and a leaky server', T, async () => {
    const key = 'sk-proj-cli0123456789abcdefXYZ';
    const leaked = 'leaky-cli-secret-9876543210';
    const cfg = tempConfig(
      [
        mode('needs', 'needs-env'),
        table('leaky', [fixture('leaky-server.mjs'), '--exit'], `env = { LEAKY_SECRET = "${leaked}" }\n`),
      ].join('\n'),
    );
    try {
      for (const format of ['json', 'text', 'markdown']) {
        const result = await runCli(['check', '--config', cfg.path, '--format', format, '--verbose'], { env: { MY_API_KEY: key } });
        assert.equal(result.code, 1, result.stderr);
        for (const secret of [key, leaked]) {
          assert.ok(!result.stdout.includes(secret), `${format} stdout leaks ${secret}`);
          assert.ok(!result.stderr.includes(secret), `${format} stderr leaks ${secret}`);
        }
        if (format === 'json') {
          const report = JSON.parse(result.stdout);
          const needs = report.servers.find((s: any) => s.name === 'needs');
          assert.deepEqual(needs.findings.map((f: any) => f.code), ['stdio.env-not-forwarded']);
          assert.deepEqual(JSON.parse(JSON.stringify(parse(needs.findings[0].fix.toml))), { mcp_servers: { needs: { env_vars: ['MY_API_KEY'] } } });
          const leaky = report.servers.find((s: any) => s.name === 'leaky');
          assert.ok(leaky.stderrTail.includes('debug: LEAKY_SECRET=<redacted>'));
        }
      }
    } finally {
      cfg.cleanup();
    }
  });

  test('nothing the check started is alive afterwards, grandchildren included', T, async () => {
    const cfg = tempConfig([mode('fork', 'fork-stubborn'), mode('stubborn', 'ignore-eof'), mode('hang', 'hang', 'startup_timeout_sec = 1\n')].join('\n'));
    try {
      const { code, report } = await checkJson(['--config', cfg.path]);
      assert.equal(code, 1);
      const pids: number[] = [];
      for (const server of report.servers) {
        const pid = /\(pid (\d+)\)/.exec(server.stages.find((s: any) => s.name === 'discovery').summary)?.[1];
        assert.ok(pid, `${server.name} names its pid`);
        pids.push(Number(pid));
      }
      const fork = report.servers.find((s: any) => s.name === 'fork');
      const grandchild = fork.stderrTail.find((l: string) => l.startsWith('grandchild pid '));
      assert.ok(grandchild);
      pids.push(Number(grandchild.slice('grandchild pid '.length)));
      for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is still alive`);
    } finally {
      cfg.cleanup();
    }
  });
});
