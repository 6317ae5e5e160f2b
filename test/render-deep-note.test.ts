import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { renderText } from '../src/report/render-text.ts';
import { renderMarkdown } from '../src/report/render-markdown.ts';
import { renderJson } from '../src/report/render-json.ts';
import type { Report, ServerReport } from '../src/types.ts';
import { sampleReport, stages, SAMPLE_ENVIRONMENT } from '../fixtures/reports/sample-report.ts';

// Whether the spec-conformance probes ran (`check --deep`) is part of the report: a reader of a
// pasted report must know that a clean server was not checked for them.
const plain = new Chalk({ level: 0 });
const text = (report: Report) => renderText(report, { chalk: plain, verbose: false, width: 200 });
const HINT = 'Server authors: check --deep adds the spec-conformance probes';

function httpServer(initialize: 'pass' | 'fail'): ServerReport {
  return {
    name: 'remote',
    transport: 'streamable_http',
    target: 'https://mcp.example.com/mcp',
    status: initialize === 'pass' ? 'ok' : 'fail',
    stages:
      initialize === 'pass'
        ? stages({
            config: ['pass', 0, 'Streamable HTTP, valid'],
            discovery: ['pass', 30, 'answers initialize over Streamable HTTP (JSON)'],
            auth: ['pass', 0, 'no authentication required'],
            initialize: ['pass', 10, 'protocol 2025-06-18, server remote 1.0.0, session issued'],
            tools: ['pass', 5, '2 tools'],
          })
        : stages({ config: ['pass', 0, 'Streamable HTTP, valid'], discovery: ['fail', 30, 'connection refused'] }, 'discovery stage failed'),
    findings: [],
    server: initialize === 'pass' ? { protocolVersion: '2025-06-18', name: 'remote', version: '1.0.0', httpTransport: 'streamable' } : { httpTransport: 'streamable' },
    tools: initialize === 'pass' ? { count: 2, names: ['a', 'b'] } : null,
  } as ServerReport;
}

function report(servers: ServerReport[], deep: boolean | undefined): Report {
  const summary = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const s of servers) summary[s.status]++;
  const base = { ...sampleReport(), servers, summary };
  delete base.deep;
  return deep === undefined ? base : { ...base, deep };
}

describe('reports say whether check --deep ran', () => {
  test('text: the hint for server authors appears after a default check that reached an HTTP server, not after --deep', () => {
    assert.ok(text(report([httpServer('pass')], false)).includes(HINT));
    assert.ok(!text(report([httpServer('pass')], true)).includes(HINT));
  });

  test('text: no hint when no HTTP server got as far as initialize (the probes would not have run anyway)', () => {
    assert.ok(!text(report([httpServer('fail')], false)).includes(HINT));
    const stdioOnly = sampleReport().servers.filter((s) => s.transport === 'stdio');
    assert.ok(!text(report(stdioOnly, false)).includes(HINT));
  });

  test('markdown: the environment names the probe set either way', () => {
    const md = (deep: boolean | undefined) => renderMarkdown(report([httpServer('pass')], deep), SAMPLE_ENVIRONMENT);
    assert.match(md(false), /^- Probes: default \(`check --deep` adds/m);
    assert.match(md(true), /^- Probes: with the spec-conformance probes \(`check --deep`\)$/m);
    assert.doesNotMatch(md(undefined), /^- Probes:/m);
  });

  test('json: `deep` is carried as given', () => {
    assert.equal(JSON.parse(renderJson(report([httpServer('pass')], true), { verbose: false })).deep, true);
    assert.equal(JSON.parse(renderJson(report([httpServer('pass')], false), { verbose: false })).deep, false);
  });
});
