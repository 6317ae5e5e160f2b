import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { renderJson } from '../src/report/render-json.ts';
import { sampleReport } from '../fixtures/reports/sample-report.ts';
import { startFixtureServer } from '../fixtures/http/scenarios.ts';
import { contractViolations } from './helpers/contract-schema.ts';
import { ROOT, checkJson, tempConfig } from './helpers/cli.ts';

const STDIO_FIXTURE = join(ROOT, 'fixtures', 'stdio', 'server.mjs');

describe('renderJson', () => {
  test('the sample report satisfies the contract schema', () => {
    const parsed = JSON.parse(renderJson(sampleReport(), { verbose: true }));
    assert.deepEqual(contractViolations(parsed), []);
  });

  test('the schema check itself catches what the contract forbids', () => {
    const broken = JSON.parse(renderJson(sampleReport(), { verbose: false }));
    broken.servers[0].stages.reverse();
    broken.servers[1].status = 'healthy';
    broken.servers[2].findings[0].severity = 'fatal';
    broken.summary.ok = 7;
    delete broken.servers[3].tools;
    const problems = contractViolations(broken).join('\n');
    assert.match(problems, /servers\[0\]\.stages: expected the five stages in order/);
    assert.match(problems, /servers\[1\]\.status: expected one of/);
    assert.match(problems, /servers\[2\]\.findings\[0\]\.severity/);
    assert.match(problems, /summary\.ok/);
    assert.match(problems, /servers\[3\]\.tools/);
  });

  test('the transcript appears only with --verbose', () => {
    const quiet = JSON.parse(renderJson(sampleReport(), { verbose: false }));
    const verbose = JSON.parse(renderJson(sampleReport(), { verbose: true }));
    assert.ok(quiet.servers.every((s: object) => !('transcript' in s)));
    const linear = verbose.servers.find((s: { name: string }) => s.name === 'linear');
    assert.ok(Array.isArray(linear.transcript) && linear.transcript.length > 0);
  });

  test('fields come in the contract order, extra fields after, and nothing is undefined or null by accident', () => {
    const text = renderJson(sampleReport(), { verbose: false });
    const parsed = JSON.parse(text);
    assert.deepEqual(Object.keys(parsed), ['schemaVersion', 'tool', 'config', 'findings', 'servers', 'summary']);
    assert.deepEqual(Object.keys(parsed.servers[0]).slice(0, 8), ['name', 'transport', 'target', 'status', 'stages', 'findings', 'server', 'tools']);
    assert.deepEqual(Object.keys(parsed.servers[0].stages[0]), ['name', 'status', 'durationMs', 'summary']);
    assert.deepEqual(Object.keys(parsed.servers[2].findings[0]), ['code', 'severity', 'stage', 'message', 'evidence', 'fix']);
    // The only nulls the contract allows: config (ad-hoc checks) and tools (not listed).
    const nulls: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (v === null) nulls.push(path);
      else if (typeof v === 'object') for (const [k, child] of Object.entries(v as object)) walk(child, `${path}.${k}`);
    };
    walk(parsed, '$');
    assert.ok(nulls.every((p) => /^\$\.servers\.\d+\.tools$/.test(p)), `unexpected nulls: ${nulls.join(', ')}`);
    assert.ok(text.endsWith('}\n') && !text.includes('undefined'));
  });

  test('fields added to the model by other stages are kept', () => {
    const report = sampleReport();
    (report.servers[0] as unknown as Record<string, unknown>).capabilities = { tools: {} };
    const parsed = JSON.parse(renderJson(report, { verbose: false }));
    assert.deepEqual(parsed.servers[0].capabilities, { tools: {} });
  });
});

describe('check --json (the built CLI)', () => {
  test('a config with stdio, HTTP and disabled servers gives a contract-shaped report, in config order', async (t) => {
    const http = await startFixtureServer('healthy-json');
    const cfg = tempConfig(
      [
        '[mcp_servers.local_stdio]',
        `command = ${JSON.stringify(process.execPath)}`,
        `args = [${JSON.stringify(STDIO_FIXTURE)}, "healthy"]`,
        'startup_timeout_sec = 10',
        '',
        '[mcp_servers.remote_http]',
        `url = ${JSON.stringify(http.url)}`,
        'startup_timeout_sec = 10',
        '',
        '[mcp_servers.switched_off]',
        'command = "some-server"',
        'enabled = false',
        '',
      ].join('\n'),
    );
    t.after(async () => {
      cfg.cleanup();
      await http.close();
    });
    const { report, code, stderr } = await checkJson(['--config', cfg.path], { timeoutMs: 60_000 });
    assert.deepEqual(contractViolations(report), []);
    assert.deepEqual(report.servers.map((s: { name: string }) => s.name), ['local_stdio', 'remote_http', 'switched_off']);
    assert.equal(report.config.path, cfg.path);
    assert.equal(report.servers[2].status, 'skipped');
    assert.ok(report.servers.every((s: object) => !('transcript' in s)), 'transcript only with --verbose');
    assert.ok(code === 0 || code === 1, `exit ${code}: ${stderr}`);
    assert.doesNotMatch(stderr, /\u001b\[/, 'no spinner or colour on a non-TTY stderr');
  });

  test('a missing config file: exit 2, a contract-shaped report with config.not-found', async (t) => {
    const cfg = tempConfig('');
    t.after(() => cfg.cleanup());
    const { report, code } = await checkJson(['--config', join(cfg.dir, 'nope.toml')], { timeoutMs: 30_000 });
    assert.equal(code, 2);
    assert.deepEqual(contractViolations(report), []);
    assert.equal(report.findings[0].code, 'config.not-found');
    assert.deepEqual(report.servers, []);
  });

  test('an unparseable config file: exit 2 with config.parse-error', async (t) => {
    const cfg = tempConfig('[mcp_servers.a\ncommand = "x"\n');
    t.after(() => cfg.cleanup());
    const { report, code } = await checkJson(['--config', cfg.path], { timeoutMs: 30_000 });
    assert.equal(code, 2);
    assert.deepEqual(contractViolations(report), []);
    assert.equal(report.findings[0].code, 'config.parse-error');
  });
});
