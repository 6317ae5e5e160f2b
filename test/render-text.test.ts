import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { renderText } from '../src/report/render-text.ts';
import { ISSUES_URL } from '../src/report/links.ts';
import { wrapText } from '../src/report/wrap.ts';
import type { Report, ServerReport } from '../src/types.ts';
import { sampleReport, stages } from '../fixtures/reports/sample-report.ts';

const plain = new Chalk({ level: 0 });
const text = (report: Report, opts: { verbose?: boolean; width?: number } = {}) =>
  renderText(report, { chalk: plain, verbose: opts.verbose ?? false, width: opts.width ?? 100 });
const lines = (output: string) => output.split('\n');
const ESC = '\u001b';

function withServers(servers: ServerReport[], extra: Partial<Report> = {}): Report {
  const summary = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const s of servers) summary[s.status]++;
  return { ...sampleReport(), servers, summary, ...extra };
}

describe('renderText', () => {
  test('a header line, then one block per server in config order, then the summary', () => {
    const out = lines(text(sampleReport()));
    assert.equal(out[0], 'mcp-doctor 0.1.0 · config /home/ada/.codex/config.toml · 6 servers');
    const headers = ['✔ ok  filesystem  stdio  ', '! warn  docs  stdio  ', '✖ fail  linear  http  https://mcp.linear.app/mcp', '✖ fail  memory  stdio  ', '✖ fail  legacy-search  http (legacy SSE)  ', '- skipped  old-notes  stdio  notes-mcp — server is disabled (enabled = false)'];
    const positions = headers.map((h) => out.findIndex((l) => l.startsWith(h)));
    assert.ok(positions.every((p) => p > 0), `missing a server header: ${JSON.stringify(positions)}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'servers in config order');
    assert.ok(out.includes('✔ ok  filesystem  stdio  npx -y @modelcontextprotocol/server-filesystem /home/ada/src  · 14 tools'));
    assert.ok(out.includes('1 of 6 servers ok · 1 warn · 3 fail · 1 skipped — 3 errors, 2 warnings'));
  });

  test('one line per stage: symbol and word, duration, summary; skipped stages give their reason', () => {
    const out = text(sampleReport());
    assert.match(out, /^ {2}✔ pass {5}config {10}0 ms {2}Streamable HTTP, valid$/m);
    assert.match(out, /^ {2}✖ fail {5}auth {10}188 ms {2}401; OAuth supported; no stored credentials for linear$/m);
    assert.match(out, /^ {2}- skipped {2}initialize {12}auth stage failed$/m);
    assert.match(out, /^ {2}- skipped {2}auth {18}stdio servers take credentials from their environment$/m);
  });

  test('a finding: severity mark and word, code, message; then fix, TOML, command, evidence and explain', () => {
    const out = text(sampleReport());
    assert.match(out, /^ {2}✖ error {2}auth\.login-required {2}The server answered 401/m);
    assert.match(out, /^ {6}fix: Log in once; Codex stores the token and refreshes it\.$/m);
    assert.match(out, /^ {10}\$ codex mcp login linear$/m);
    assert.match(out, /^ {6}explain: mcp-doctor explain auth\.login-required$/m);
    assert.match(out, /^ {10}\[mcp_servers\.legacy-search\]\n {10}url = "http:\/\/127\.0\.0\.1:8931\/mcp"$/m);
    assert.match(out, /^ {6}fix \(verified\): Forward the variable by name\.$/m);
    assert.match(out, /^ {6}evidence: postStatus: 405 · endpointEvent: \/messages\?sessionId=<redacted>$/m);
    assert.match(out, /^ {2}! warning {2}stdio\.stdout-noise {2}/m);
  });

  test('a fix with removals, renames and a template, and how sure it is', () => {
    const report = sampleReport();
    report.servers[1]!.findings[0]!.fix = {
      summary: 'Use the Codex keys.',
      table: 'mcp_servers.docs',
      remove: ['type'],
      rename: { headers: 'http_headers' },
      toml: '[mcp_servers.docs.oauth]\nclient_id = "…"',
      template: true,
      verification: 'not-tried',
      verificationNote: 'needs a client registered with the provider',
    };
    const out = text(report);
    assert.match(
      out,
      /^ {6}fix \(unverified\): Use the Codex keys\.\n {10}remove from \[mcp_servers\.docs\]: type\n {10}rename in \[mcp_servers\.docs\]: headers → http_headers\n {10}# a template: fill in the placeholders \(…\) before pasting it\n {10}\[mcp_servers\.docs\.oauth\]\n {10}client_id = "…"\n {10}note: needs a client registered with the provider$/m,
    );
    report.servers[1]!.findings[0]!.fix = { summary: 'x', verification: 'still-present' };
    assert.match(text(report), /^ {6}fix \(tried; the problem remained\): x$/m);
    report.servers[1]!.findings[0]!.fix = { summary: 'x', table: '', remove: ['experimental_use_rmcp_client'] };
    assert.match(text(report), /^ {10}remove from the top level: experimental_use_rmcp_client$/m);
  });

  test('check --fix: the diff, the applied and skipped fixes, whether files were written', () => {
    const report: Report = {
      ...sampleReport(),
      fixes: {
        files: [{ path: '/home/ada/.codex/config.toml', diff: '--- /home/ada/.codex/config.toml\n+++ /home/ada/.codex/config.toml\n@@ -3,2 +3,2 @@\n [mcp_servers.legacy-search]\n-url = "http://127.0.0.1:8931/sse"\n+url = "http://127.0.0.1:8931/mcp"\n' }],
        applied: [{ server: 'legacy-search', code: 'transport.sse-only', summary: "Use the server's Streamable HTTP endpoint.", verification: 'cleared' }],
        skipped: [{ server: 'linear', code: 'auth.login-required', summary: 'Log in once.', reason: 'not a config change' }],
      },
    };
    const out = text(report);
    assert.match(out, /^Config change \(--fix\): 1 fix applied, 1 skipped$/m);
    assert.match(out, /^ {4}-url = "http:\/\/127\.0\.0\.1:8931\/sse"\n {4}\+url = "http:\/\/127\.0\.0\.1:8931\/mcp"$/m);
    assert.match(out, /^ {2}applied:\n {4}legacy-search {2}transport\.sse-only {2}Use the server's Streamable HTTP endpoint\. \(verified\)$/m);
    assert.match(out, /^ {2}skipped:\n {4}linear {2}auth\.login-required {2}Log in once\. \(not a config change\)$/m);
    assert.match(out, /^ {2}The config files were not changed \(add --write to apply this change; a backup is kept\)\.$/m);
    assert.ok(out.indexOf('Config change') < out.indexOf('1 of 6 servers ok'), 'before the summary line');
    report.fixes!.write = { written: true, backups: ['/home/ada/.codex/config.toml.bak'] };
    assert.match(text(report), /^ {2}written; backup: \/home\/ada\/\.codex\/config\.toml\.bak$/m);
  });

  test('info findings stay one line unless --verbose', () => {
    const quiet = text(sampleReport());
    assert.match(quiet, /^ {2}• info {2}config\.server-disabled {2}enabled = false: Codex does not start this server\.$/m);
    assert.doesNotMatch(quiet, /Set enabled = true/);
    assert.match(text(sampleReport(), { verbose: true }), /^ {6}fix: Set enabled = true/m);
  });

  test('evidence is compact by default and complete with --verbose', () => {
    const report = withServers([
      {
        ...sampleReport().servers[2]!,
        findings: [{ ...sampleReport().servers[2]!.findings[0]!, evidence: { status: 401, headers: { 'www-authenticate': 'Bearer realm="x"' } } }],
      },
    ]);
    const quiet = text(report);
    assert.match(quiet, /evidence: status: 401 · \(with --verbose: headers\)/);
    assert.doesNotMatch(quiet, /realm/);
    const verbose = text(report, { verbose: true });
    assert.match(verbose, /^ {6}evidence:\n {10}\{\n {10} {2}"status": 401,/m);
    assert.match(verbose, /realm/);
  });

  test('the wire transcript only with --verbose; the stderr tail of a failing server always', () => {
    const quiet = text(sampleReport());
    assert.doesNotMatch(quiet, /wire transcript/);
    assert.match(quiet, /^ {2}stderr \(last 4 lines\):\n {6}│ Starting memory-mcp 0\.9\.1$/m);
    const verbose = text(sampleReport(), { verbose: true });
    assert.match(verbose, /^ {2}wire transcript \(redacted, 5 events\):$/m);
    assert.match(verbose, /^ {10}95 ms {2}← http {4}HTTP 401 Unauthorized$/m);
    assert.match(verbose, /^ {27}www-authenticate: Bearer resource_metadata=/m);
  });

  test('a failing server shows its whole stderr tail; a warning one its last lines unless --verbose', () => {
    const tail = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const failing = text(withServers([{ ...sampleReport().servers[3]!, stderrTail: tail }]));
    assert.match(failing, /stderr \(last 20 lines\):\n {6}│ line 1$/m);
    const warning = withServers([{ ...sampleReport().servers[1]!, stderrTail: tail }]);
    const quiet = text(warning);
    assert.match(quiet, /stderr \(last 8 lines of 20\):/);
    assert.doesNotMatch(quiet, /│ line 12$/m);
    assert.match(quiet, /│ line 13$/m);
    assert.match(text(warning, { verbose: true }), /│ line 1$/m);
    assert.doesNotMatch(text(withServers([{ ...sampleReport().servers[0]!, stderrTail: tail }])), /stderr/, 'a healthy server: only with --verbose');
  });

  test('a crashed stage renders ☠ and asks for a report, with the stack', () => {
    const crashed: ServerReport = {
      name: 'weird',
      transport: 'stdio',
      target: 'weird-server',
      status: 'fail',
      stages: stages({ config: ['pass', 0, 'stdio, valid'], discovery: ['crashed', 3, 'mcp-doctor crashed: boom'] }, 'discovery stage crashed'),
      findings: [
        {
          code: 'internal.stage-crashed',
          severity: 'error',
          stage: 'discovery',
          message: 'mcp-doctor crashed in the discovery stage: boom. This is a bug in mcp-doctor; please report it.',
          evidence: { stack: ['Error: boom', '    at discover (src/stages/x.ts:1:1)'] },
        },
      ],
      server: {},
      tools: null,
    };
    const out = text(withServers([crashed]));
    assert.match(out, /^ {2}☠ crashed {2}discovery {7}3 ms {2}mcp-doctor crashed: boom$/m);
    assert.match(out, /^ {2}☠ crashed {2}internal\.stage-crashed {2}mcp-doctor crashed in the discovery stage/m);
    // The address comes from package.json; with none there, none is printed (never a made-up one).
    if (ISSUES_URL) assert.ok(out.includes(ISSUES_URL));
    else assert.ok(!/https?:\/\//.test(out), out);
    assert.match(out, /^ {10}mcp-doctor check weird --format markdown --verbose$/m);
    assert.match(out, /^ {10}at discover \(src\/stages\/x\.ts:1:1\)$/m);
    assert.match(out, ISSUES_URL ? /please report it at/ : /please report it\./);
  });

  test('an internal error renders the crash text first', () => {
    const out = lines(text(withServers([], { internalError: 'TypeError: x is undefined\n    at run (cli.ts:3:4)' })));
    assert.equal(out[2], '☠ crashed  mcp-doctor crashed: TypeError: x is undefined');
    assert.ok(out.some((l) => l.includes('This is a bug in mcp-doctor') && l.includes('Please report it')));
    assert.ok(out.includes('      at run (cli.ts:3:4)'));
  });

  test('file-level findings come before the servers; no servers gives its own summary', () => {
    const report: Report = {
      ...withServers([]),
      findings: [
        {
          code: 'config.parse-error',
          severity: 'error',
          stage: 'file',
          message: 'Invalid TOML at line 3, column 7: expected "=".',
          fix: { summary: 'Correct the TOML at line 3, column 7.' },
        },
      ],
    };
    const out = lines(text(report));
    assert.equal(out[0], 'mcp-doctor 0.1.0 · config /home/ada/.codex/config.toml · 0 servers');
    assert.equal(out[2], '  ✖ error  config.parse-error  Invalid TOML at line 3, column 7: expected "=".');
    assert.ok(out.includes('No servers checked — 1 error, 0 warnings'));
  });

  test('a server defined in a project config says where it comes from', () => {
    const report = sampleReport();
    report.config = { path: '/home/ada/.codex/config.toml', files: ['/home/ada/.codex/config.toml', '/work/app/.codex/config.toml'] };
    report.servers[0]!.source = '/work/app/.codex/config.toml';
    report.servers[1]!.source = '/home/ada/.codex/config.toml';
    const out = text(report);
    assert.match(out, /^mcp-doctor 0\.1\.0 · config \/home\/ada\/\.codex\/config\.toml \+ \/work\/app\/\.codex\/config\.toml · 6 servers$/m);
    assert.match(out, /^✔ ok {2}filesystem .* · 14 tools {2}· from \/work\/app\/\.codex\/config\.toml$/m);
    assert.doesNotMatch(out, /^! warn {2}docs .*from/m);
  });

  test('an ad-hoc check says there is no config file', () => {
    assert.match(text(withServers([], { config: null })), /^mcp-doctor 0\.1\.0 · no config file \(ad-hoc check\) · 0 servers$/m);
  });

  test('prose wraps to the width; TOML snippets, commands and URLs are never broken', () => {
    const report = sampleReport();
    const longUrl = `https://example.com/${'a'.repeat(90)}/mcp`;
    report.servers[4]!.findings[0]!.message += ` See ${longUrl} for more.`;
    const out = lines(text(report, { width: 70 }));
    for (const line of out.slice(1)) {
      const unbreakable = line.includes(longUrl) || /^ {10}\S/.test(line) || /^\S.*  (stdio|http)/.test(line) || line.includes('resource_metadata=');
      if (!unbreakable) assert.ok(line.length <= 70, `longer than 70: "${line}"`);
    }
    assert.ok(out.some((l) => l.includes(longUrl)), 'the URL stays on one line');
    assert.ok(out.includes('          disabled_tools = ["search.docs", "get.page"]'), 'TOML lines are kept whole');
  });

  test('the layout does not depend on colour: colour output minus escapes equals plain output', () => {
    const colored = renderText(sampleReport(), { chalk: new Chalk({ level: 1 }), verbose: true, width: 100 });
    assert.ok(colored.includes(ESC), 'level 1 colours something');
    assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ''), text(sampleReport(), { verbose: true }));
    assert.ok(!text(sampleReport(), { verbose: true }).includes(ESC), 'level 0 writes no escapes');
  });

  test('server-provided text cannot send terminal escapes', () => {
    const report = sampleReport();
    report.servers[3]!.stderrTail = ['\u001b[2J\u001b[Hcleared your screen', 'bell\u0007'];
    report.servers[3]!.findings[0]!.message = 'exited \u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007';
    const out = text(report, { verbose: true });
    assert.ok(!out.includes(ESC) && !out.includes('\u0007'));
    assert.match(out, /\\x1b\[2J/);
  });

  test('closing hints: explain, and markdown for bug reports', () => {
    const out = text(sampleReport());
    assert.match(out, /mcp-doctor explain CODE/);
    assert.match(out, /--format markdown/);
  });
});

describe('wrapText', () => {
  test('breaks at spaces only, with a hanging indent', () => {
    assert.deepEqual(wrapText('aaa bbb ccc ddd', 40, '> ', '  '), ['> aaa bbb ccc ddd']);
    const wrapped = wrapText('one two three four five six seven eight nine ten eleven twelve', 40, '* ', '    ');
    assert.deepEqual(wrapped, ['* one two three four five six seven', '    eight nine ten eleven twelve']);
    const word = 'x'.repeat(80);
    assert.deepEqual(wrapText(`a ${word} b`, 40), ['a', word, 'b']);
  });
});
