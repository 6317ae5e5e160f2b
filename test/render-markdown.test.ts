import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Marked, type Token, type Tokens } from 'marked';
import { renderMarkdown, type MarkdownEnvironment } from '../src/report/render-markdown.ts';
import { DOCS_CODES_BASE_URL, ISSUES_URL } from '../src/report/links.ts';
import type { Report } from '../src/types.ts';
import { SAMPLE_ENVIRONMENT, sampleReport } from '../fixtures/reports/sample-report.ts';
import { runCli } from './helpers/cli.ts';

const marked = new Marked({ gfm: true, async: false });

/** Every token, depth first (lists, list items, paragraphs, inline tokens). */
function allTokens(markdown: string): Token[] {
  const out: Token[] = [];
  const walk = (tokens: Token[]) => {
    for (const token of tokens) {
      out.push(token);
      const t = token as Token & { tokens?: Token[]; items?: Token[] };
      if (t.tokens) walk(t.tokens);
      if (t.items) walk(t.items);
    }
  };
  walk(marked.lexer(markdown));
  return out;
}

const ALLOWED_HTML = [/^<details><summary>[^<>]*<\/summary>\s*$/, /^<\/details>\s*$/];

function rawHtml(markdown: string): string[] {
  return allTokens(markdown)
    .filter((t) => t.type === 'html')
    .map((t) => (t as Tokens.HTML).raw);
}

function md(report: Report = sampleReport(), env: MarkdownEnvironment = SAMPLE_ENVIRONMENT): string {
  return renderMarkdown(report, env);
}

describe('renderMarkdown', () => {
  test('headings: the title, the environment, one per server in config order with symbol and word', () => {
    const headings = allTokens(md())
      .filter((t): t is Tokens.Heading => t.type === 'heading')
      .map((h) => `${h.depth} ${h.text}`);
    assert.deepEqual(headings, [
      '2 mcp-doctor report',
      '3 Environment',
      '3 ✔ filesystem (ok)',
      '3 ! docs (warn)',
      '3 ✖ linear (fail)',
      '3 ✖ memory (fail)',
      '3 ✖ legacy-search (fail)',
      '3 - old-notes (skipped)',
    ]);
  });

  test('the environment lists OS, Node, mcp-doctor, Codex and the config file', () => {
    const out = md();
    for (const line of ['- OS: Linux 6.8.0 (x64)', '- Node.js: v20.19.0', '- mcp-doctor: 0.1.0', '- Codex: codex-cli 0.169.0', '- Config: `/home/ada/.codex/config.toml`']) {
      assert.ok(out.split('\n').includes(line), `missing: ${line}`);
    }
    assert.match(md(sampleReport(), { os: 'x', node: 'y', codexVersion: null }), /^- Codex: not found on PATH$/m);
    assert.doesNotMatch(md(sampleReport(), { os: 'x', node: 'y' }), /Codex:/);
  });

  test('stages are a bulleted list (no table), with symbol, word, duration and summary', () => {
    const tokens = allTokens(md());
    assert.ok(!tokens.some((t) => t.type === 'table'));
    const items = tokens.filter((t): t is Tokens.ListItem => t.type === 'list_item').map((i) => i.text);
    assert.ok(items.includes('**auth**: ✖ fail (188 ms) — 401; OAuth supported; no stored credentials for linear'));
    assert.ok(items.includes('**initialize**: - skipped — auth stage failed'));
  });

  test('every finding links its code to its docs page', () => {
    const report = sampleReport();
    const links = allTokens(md(report))
      .filter((t): t is Tokens.Link => t.type === 'link')
      .map((l) => [l.text, l.href]);
    const codes = report.servers.flatMap((s) => s.findings.map((f) => f.code));
    // With a repository in package.json each code links to its page; with none, no link at all
    // (a link to a repository that does not exist is worse than none).
    if (DOCS_CODES_BASE_URL) {
      for (const code of codes) assert.ok(links.some(([text, href]) => text === `\`${code}\`` && href === `${DOCS_CODES_BASE_URL}/${code}.md`), `no link for ${code}`);
    } else {
      assert.deepEqual(links.filter(([, href]) => /\/docs\/codes\//.test(href ?? '')), []);
      for (const code of codes) assert.ok(md(report).includes(`\`${code}\``), `no ${code}`);
    }
  });

  test('fixes: the summary, TOML in toml fences, the command in a sh fence', () => {
    const report = sampleReport();
    const blocks = allTokens(md(report)).filter((t): t is Tokens.Code => t.type === 'code');
    const tomls = blocks.filter((b) => b.lang === 'toml').map((b) => b.text);
    const expected = report.servers.flatMap((s) => s.findings.map((f) => f.fix?.toml)).filter((t): t is string => t !== undefined);
    assert.deepEqual(tomls, expected);
    assert.ok(blocks.some((b) => b.lang === 'sh' && b.text === 'codex mcp login linear'));
    assert.match(md(report), /^\*\*Fix \(verified: re-checked with this change, the problem is gone\):\*\* Forward the variable by name\.$/m);
  });

  test('transcript, stderr tail and evidence sit in collapsed <details> blocks; no other raw HTML', () => {
    const out = md();
    const html = rawHtml(out);
    for (const raw of html) assert.ok(ALLOWED_HTML.some((re) => re.test(raw)), `unexpected raw HTML: ${raw}`);
    const opens = html.filter((h) => h.startsWith('<details>'));
    assert.equal(opens.length, html.length - opens.length, 'every <details> is closed');
    assert.ok(opens.some((h) => h.includes('Wire transcript of linear (5 events, redacted)')));
    assert.ok(opens.some((h) => h.includes('stderr of memory (last 4 lines)')));
    const texts = allTokens(out).filter((t): t is Tokens.Code => t.type === 'code' && t.lang === 'text').map((c) => c.text);
    assert.ok(texts.some((t) => t.includes("KeyError: 'MEMORY_API_KEY'")));
    assert.ok(texts.some((t) => t.includes('HTTP 401 Unauthorized')));
  });

  test('server-provided text cannot inject HTML or markdown', () => {
    const report = sampleReport();
    const server = report.servers[3]!;
    server.name = '<img src=x onerror=alert(1)>';
    server.findings[0]!.message = '</details><script>alert(1)</script> **bold** [click](javascript:alert(1)) <!-- hide -->';
    server.stages[3]!.summary = '# not a heading | not | a table';
    server.stderrTail = ['```', '</details>', '<script>alert(2)</script>', '````'];
    server.findings[0]!.fix!.toml = '[mcp_servers.memory]\nenv_vars = ["```"]';
    const out = md(report);

    for (const raw of rawHtml(out)) assert.ok(ALLOWED_HTML.some((re) => re.test(raw)), `unexpected raw HTML: ${raw}`);
    const tokens = allTokens(out);
    assert.ok(!tokens.some((t) => t.type === 'link' && /^javascript:/i.test((t as Tokens.Link).href)));
    assert.ok(!tokens.some((t) => t.type === 'strong' && (t as Tokens.Strong).text === 'bold'));
    // Fenced server text survives byte for byte, inside its block.
    const code = tokens.filter((t): t is Tokens.Code => t.type === 'code');
    assert.ok(code.some((c) => c.text === server.stderrTail!.join('\n')));
    assert.ok(code.some((c) => c.lang === 'toml' && c.text === '[mcp_servers.memory]\nenv_vars = ["```"]'));

    const html = marked.parse(out) as string;
    assert.doesNotMatch(html, /<script|<img|<!--|href="javascript:/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.equal((html.match(/<details>/g) ?? []).length, (html.match(/<\/details>/g) ?? []).length);
  });

  test('fix edits, templates and verification; the --fix diff in a diff fence', () => {
    const report = sampleReport();
    report.servers[1]!.findings[0]!.fix = {
      summary: 'Use the Codex keys.',
      table: 'mcp_servers.docs',
      remove: ['type'],
      toml: '[mcp_servers.docs.oauth]\nclient_id = "…"',
      template: true,
      verification: 'not-tried',
    };
    report.fixes = {
      files: [{ path: '/c.toml', diff: '--- /c.toml\n+++ /c.toml\n@@ -1 +1 @@\n-type = "http"\n' }],
      applied: [{ server: 'docs', code: 'config.unknown-field', summary: 'Delete the type line.', verification: 'cleared' }],
      skipped: [],
    };
    const out = md(report);
    assert.match(out, /^\*\*Fix \(unverified: not safe or not possible to try here\):\*\* Use the Codex keys\.$/m);
    const tokens = allTokens(out);
    assert.match(marked.parse(out) as string, /<li>remove from \[mcp_servers\.docs\]: type<\/li>/);
    const code = tokens.filter((t): t is Tokens.Code => t.type === 'code');
    assert.ok(code.some((c) => c.lang === 'toml' && c.text.startsWith('# a template') && c.text.endsWith('client_id = "…"')));
    assert.ok(code.some((c) => c.lang === 'diff' && c.text.endsWith('-type = "http"')));
    assert.ok(tokens.some((t) => t.type === 'heading' && (t as Tokens.Heading).text === 'Config change (--fix)'));
  });

  test('a crashed mcp-doctor says so and asks for a report', () => {
    const out = md({ ...sampleReport(), internalError: 'TypeError: boom\n    at x (y.ts:1:1)' });
    assert.match(out, /^### ☠ mcp-doctor crashed$/m);
    assert.match(out, ISSUES_URL ? /please report it at https:\/\// : /please report it to the mcp-doctor maintainers with/);
    assert.match(out, /```text\nTypeError: boom\n {4}at x \(y\.ts:1:1\)\n```/);
  });

  test('no ANSI escapes, and a summary line under the title', () => {
    const out = md();
    assert.ok(!out.includes('\u001b'));
    assert.match(out, /^\*\*1 of 6 servers ok\*\* · 1 warn · 3 fail · 1 skipped — 3 errors, 2 warnings$/m);
  });
});

describe('demo --format markdown --verbose (the built CLI)', () => {
  test('real server output renders to one heading per server, fenced transcripts, and no raw HTML but <details>', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--format', 'markdown', '--verbose'], { timeoutMs: 90_000 });
    assert.equal(code, 0, stderr);
    assert.ok(!stdout.includes('\u001b'), 'no ANSI escapes');
    for (const raw of rawHtml(stdout)) assert.ok(ALLOWED_HTML.some((re) => re.test(raw)), `unexpected raw HTML: ${raw}`);
    const tokens = allTokens(stdout);
    const servers = tokens.filter((t): t is Tokens.Heading => t.type === 'heading' && t.depth === 3 && t.text !== 'Environment');
    assert.ok(servers.length >= 5, `server headings: ${servers.map((h) => h.text).join(', ')}`);
    for (const h of servers) assert.match(h.text, /^[✔!✖-] \S+ \((ok|warn|fail|skipped)\)$/);
    assert.ok(tokens.some((t) => t.type === 'code' && (t as Tokens.Code).text.includes('initialize')), 'a transcript is fenced');
  });
});
