import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startForensicsServer, type ForensicsName, type ForensicsServer } from '../fixtures/http/forensics-extras.ts';
import { startFixtureServer, type ScenarioName } from '../fixtures/http/scenarios.ts';
import type { Finding, ServerReport } from '../src/types.ts';
import { checkHttp, codes, findingOf, stageStatuses } from './helpers/http-check.ts';
import { CODEX } from '../src/codex/codex-version.ts';

/**
 * Runs one forensics fixture through the HTTP pipeline and always closes it. `deep` is
 * `check --deep`: the session, MCP-Protocol-Version and ended-session probes only run with it.
 */
async function run(name: ForensicsName, opts: { deep?: boolean } = {}): Promise<{ report: ServerReport; server: ForensicsServer }> {
  const server = await startForensicsServer(name);
  try {
    return { report: await checkHttp({ url: server.url }, { timeoutMs: 8000, deep: opts.deep }), server };
  } finally {
    await server.close();
  }
}

function only(report: ServerReport, code: string): Finding {
  const f = findingOf(report, code);
  assert.ok(f, `expected ${code}; got ${codes(report).join(', ') || 'no findings'}`);
  return f;
}

const FAILED_AT = (stage: 'initialize' | 'tools') =>
  stage === 'initialize'
    ? { config: 'pass', discovery: 'pass', auth: 'pass', initialize: 'fail', tools: 'skipped' }
    : { config: 'pass', discovery: 'pass', auth: 'pass', initialize: 'pass', tools: 'fail' };

/** A JSON-RPC request body of the recorded requests, by method. */
const posted = (server: ForensicsServer, method: string) => server.requests.filter((r) => r.method === 'POST' && r.body.includes(`"method":"${method}"`));

describe('answers whose framing Codex cannot read (errors: Codex 0.169 fails on each)', () => {
  test('initialize answered with a one-element JSON array: http.batch-response, nothing sent after it', async () => {
    const { report, server } = await run('batch-initialize');
    const f = only(report, 'http.batch-response');
    assert.equal(f.severity, 'error');
    assert.match(f.message, /Deserialize error/);
    assert.equal(f.evidence?.sdkTolerates, true);
    assert.deepEqual(stageStatuses(report), FAILED_AT('initialize'));
    assert.equal(posted(server, 'notifications/initialized').length, 0);
  });

  test('tools/list answered with an array: http.batch-response in the tools stage', async () => {
    const { report } = await run('batch-tools');
    const f = only(report, 'http.batch-response');
    assert.equal(f.stage, 'tools');
    assert.equal(f.evidence?.request, 'tools/list');
    assert.deepEqual(stageStatuses(report), FAILED_AT('tools'));
    assert.equal(report.tools, null);
  });

  test('an event stream that ends without the answer and without an event id: http.sse-no-response', async () => {
    const { report } = await run('sse-no-answer');
    const f = only(report, 'http.sse-no-response');
    assert.equal(f.severity, 'error');
    assert.match(f.message, /no event id|no client can resume/);
    assert.match(f.message, /connection closed: initialize response/);
    assert.equal(f.evidence?.lastEventId, undefined);
    assert.equal(f.evidence?.sdkTolerates, false);
    assert.ok(!findingOf(report, 'init.protocol-error'), 'the transport class, not a generic protocol error');
    assert.deepEqual(stageStatuses(report), FAILED_AT('initialize'));
  });

  test('the same with a priming event id: still an error, naming the id Codex does not resume from', async () => {
    const { report } = await run('sse-no-answer-with-id');
    const f = only(report, 'http.sse-no-response');
    assert.equal(f.evidence?.lastEventId, 'prime-1');
    assert.match(f.message, new RegExp(`Last-Event-ID\\); ${CODEX.replace(/\./g, '\\.')} does not`));
  });

  test('tools/list stream without the answer: http.sse-no-response in the tools stage, "Transport closed"', async () => {
    const { report } = await run('tools-sse-no-answer');
    const f = only(report, 'http.sse-no-response');
    assert.equal(f.stage, 'tools');
    assert.match(f.message, /Transport closed/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('tools'));
  });

  test('an answer event that is not JSON: http.sse-invalid-message', async () => {
    const { report } = await run('sse-invalid-json');
    const f = only(report, 'http.sse-invalid-message');
    assert.match(f.message, /not JSON/);
    assert.match(String(f.evidence?.event), /tools:\[\]/);
  });

  test('an answer with another id: http.sse-invalid-message naming both ids', async () => {
    const { report } = await run('sse-wrong-id');
    const f = only(report, 'http.sse-invalid-message');
    assert.match(f.message, /"someone-else" instead of 0/);
    assert.match(f.message, /conflict initialized response id/);
  });
});

describe('session rules (mcp-wire §2.3.5)', () => {
  test('a session id with a space: session.id-invalid warning, and the check goes on', async () => {
    const { report } = await run('session-id-space');
    const f = only(report, 'session.id-invalid');
    assert.equal(f.severity, 'warning');
    assert.equal(f.evidence?.bytes, '0x20');
    assert.equal(report.tools?.count, 2);
    assert.equal(report.status, 'warn');
  });

  test('a session id with a byte above 0x7E: session.id-invalid error (Codex drops the id), nothing sent after initialize', async () => {
    const { report, server } = await run('session-id-latin1');
    const f = only(report, 'session.id-invalid');
    assert.equal(f.severity, 'error');
    assert.equal(f.evidence?.bytes, '0xC3, 0xA9');
    assert.equal(f.evidence?.sdkTolerates, false);
    assert.deepEqual(stageStatuses(report), FAILED_AT('initialize'));
    assert.equal(posted(server, 'notifications/initialized').length, 0);
  });

  test('a new session id on later answers: session.id-changed (warning), the first id kept', async () => {
    const { report, server } = await run('session-rotating');
    const f = only(report, 'session.id-changed');
    assert.equal(f.severity, 'warning');
    assert.equal(f.stage, 'tools');
    assert.notEqual(f.evidence?.issued, f.evidence?.answered);
    const list = posted(server, 'tools/list').find((r) => r.body.includes('"id":1'))!;
    assert.equal(list.headers['mcp-session-id'], f.evidence?.issued, 'Codex keeps the id issued with the InitializeResult');
  });

  for (const [name, status] of [['missing-session-404', 404], ['missing-session-200', 200]] as const) {
    test(`${name}: a request without the id answered ${status}: session.missing-id-not-400 (--deep)`, async () => {
      const { report, server } = await run(name, { deep: true });
      const f = only(report, 'session.missing-id-not-400');
      assert.equal(f.severity, 'warning');
      assert.equal(f.evidence?.status, status);
      assert.equal(f.evidence?.specLevel, 'SHOULD');
      assert.ok(posted(server, 'ping').some((r) => r.headers['mcp-session-id'] === undefined));
      assert.equal(report.tools?.count, 2);
    });
  }

  test('DELETE answered 500: session.delete-invalid (the SDK client\'s terminateSession throws) (--deep)', async () => {
    const { report } = await run('delete-500', { deep: true });
    const f = only(report, 'session.delete-invalid');
    assert.equal(f.evidence?.status, 500);
    assert.equal(f.evidence?.sdkTolerates, false);
    assert.equal(f.stage, 'tools');
    assert.equal(report.status, 'warn');
  });

  test('a session that still works after a 200 DELETE: session.terminated-not-404 (--deep)', async () => {
    const { report, server } = await run('delete-keeps-session', { deep: true });
    const f = only(report, 'session.terminated-not-404');
    assert.match(f.message, /still works/);
    const del = server.requests.findIndex((r) => r.method === 'DELETE');
    assert.ok(del >= 0);
    assert.ok(server.requests.slice(del + 1).some((r) => r.method === 'POST' && r.headers['mcp-session-id'] === server.requests[del]!.headers['mcp-session-id']));
  });

  test('an unknown and an ended session both answered 400: reported once, as session.stale-not-404 (--deep)', async () => {
    const { report } = await run('unknown-session-400', { deep: true });
    assert.deepEqual(codes(report), ['session.stale-not-404:warning']);
    assert.match(JSON.stringify(report.transcript), /as an unknown one did/);
  });

  test('an unknown session answered 400 without --deep: session.stale-not-404 all the same, no ended-session probe', async () => {
    const { report, server } = await run('unknown-session-400');
    assert.deepEqual(codes(report), ['session.stale-not-404:warning']);
    assert.doesNotMatch(JSON.stringify(report.transcript), /as an unknown one did/);
    const del = server.requests.findIndex((r) => r.method === 'DELETE');
    assert.ok(del >= 0, 'the session is still closed');
    assert.equal(server.requests.length, del + 1, 'nothing is sent after the DELETE');
  });

  test('a stateless server: no session probe and no DELETE, even with --deep; the transcript says why', async () => {
    const { report, server } = await run('stateless', { deep: true });
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.ok(!server.requests.some((r) => r.method === 'DELETE' || r.method === 'GET'));
    assert.ok(!posted(server, 'ping').some((r) => r.body.includes('no-session')));
    assert.match(JSON.stringify(report.transcript), /stateless server\): session checks skipped/);
  });
});

describe('MCP-Protocol-Version header (mcp-wire §2.3.6)', () => {
  test('a request without the header refused while the same with it is served: http.protocol-version-required (--deep)', async () => {
    const { report, server } = await run('pv-header-required', { deep: true });
    const f = only(report, 'http.protocol-version-required');
    assert.equal(f.severity, 'warning');
    assert.equal(f.evidence?.status, 400);
    const pings = posted(server, 'ping');
    assert.ok(pings.some((r) => r.headers['mcp-protocol-version'] === undefined));
    assert.ok(pings.some((r) => r.body.includes('control-ping') && r.headers['mcp-protocol-version'] === '2025-06-18'));
  });

  test('1999-01-01 served: http.protocol-version-unchecked (MUST-level, SDK tolerates) (--deep)', async () => {
    const { report, server } = await run('pv-any-version', { deep: true });
    const f = only(report, 'http.protocol-version-unchecked');
    assert.equal(f.evidence?.specLevel, 'MUST');
    assert.equal(f.evidence?.sdkTolerates, true);
    assert.match(f.message, /tolerates it/);
    assert.ok(posted(server, 'ping').some((r) => r.headers['mcp-protocol-version'] === '1999-01-01'));
  });

  test('a server that negotiated 2025-03-26 is not asked: the header did not exist then (--deep)', async () => {
    const { report, server } = await run('version-2025-03-26', { deep: true });
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(report.server.protocolVersion, '2025-03-26');
    assert.ok(!posted(server, 'ping').some((r) => r.headers['mcp-protocol-version'] === '1999-01-01'));
  });
});

describe('healthy servers pay a few requests and stay ok', () => {
  test('a server that never answers ping: one probe waits its 3 s, the others are skipped, tools are still listed (--deep)', async () => {
    const { report, server } = await run('ping-hangs', { deep: true });
    assert.equal(report.tools?.count, 2);
    assert.ok(!report.findings.some((f) => f.severity !== 'info'), codes(report).join(', '));
    assert.equal(posted(server, 'ping').filter((r) => r.headers['mcp-session-id'] !== undefined).length, 1);
    assert.match(JSON.stringify(report.transcript), /skipped: an earlier probe got no answer in time/);
  });

  for (const name of ['healthy', 'healthy-sse'] as const) {
    test(`${name}: no finding; by default only what Codex sends plus the probes that predict a Codex failure`, async () => {
      const { report, server } = await run(name);
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.deepEqual(report.findings, []);
      // initialize, initialized, GET, unknown-session, foreign Origin, tools/list, DELETE.
      assert.equal(server.requests.length, 7, server.requests.map((r) => `${r.method} ${r.body.slice(0, 60)}`).join('\n'));
      assert.equal(posted(server, 'ping').length, 0);
      assert.equal(posted(server, 'server/discover').length, 0);
    });

    test(`${name} --deep: no finding; five probe requests more`, async () => {
      const { report, server } = await run(name, { deep: true });
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.deepEqual(report.findings, []);
      // The default seven, plus server/discover and the pings: no-session, no-header,
      // 1999-01-01, ended session.
      assert.equal(server.requests.length, 12, server.requests.map((r) => `${r.method} ${r.body.slice(0, 60)}`).join('\n'));
      assert.equal(posted(server, 'ping').length, 4);
      assert.equal(posted(server, 'server/discover').length, 1);
    });
  }

  for (const scenario of ['healthy-json', 'healthy-sse', 'healthy-stateless', 'dual-era'] as const satisfies readonly ScenarioName[]) {
    for (const deep of [false, true]) {
      test(`scenarios.ts ${scenario}${deep ? ' --deep' : ''}: still no warning`, async () => {
        const server = await startFixtureServer(scenario);
        try {
          const report = await checkHttp({ url: server.url }, { timeoutMs: 8000, deep });
          assert.equal(report.status, 'ok', codes(report).join(', '));
          assert.ok(!report.findings.some((f) => f.severity !== 'info'), codes(report).join(', '));
        } finally {
          await server.close();
        }
      });
    }
  }
});

describe('every HTTP finding shows the requests tried, in order', () => {
  // The last three break rules only --deep checks.
  const names: ForensicsName[] = ['batch-initialize', 'sse-no-answer', 'session-id-space', 'session-rotating', 'missing-session-404', 'pv-header-required', 'delete-500'];
  const deepOnly = new Set<ForensicsName>(['missing-session-404', 'pv-header-required', 'delete-500']);
  for (const name of names) {
    test(`${name}: evidence.requests is the stage's requests as "METHOD URL (label) → outcome"`, async () => {
      const { report, server } = await run(name, { deep: deepOnly.has(name) });
      const findings = report.findings.filter((f) => f.severity !== 'info');
      assert.ok(findings.length > 0);
      for (const f of findings) {
        const requests = f.evidence?.requests as string[] | undefined;
        assert.ok(Array.isArray(requests) && requests.length > 0, `${f.code} has no requests`);
        for (const line of requests) assert.match(line, new RegExp(`^(POST|GET|DELETE) ${server.origin.replace(/[.]/g, '\\.')}/mcp \\(.+\\) → .+ ms$`));
        assert.equal(typeof f.evidence?.sdkTolerates, 'boolean', `${f.code} says whether the SDK client tolerates it`);
        assert.match(String(f.evidence?.specLevel), /^(MUST|SHOULD)$/);
      }
    });
  }

  test('initialize-stage findings about the initialize answer list that POST first', async () => {
    const { report } = await run('sse-wrong-id');
    const requests = only(report, 'http.sse-invalid-message').evidence?.requests as string[];
    assert.match(requests[0]!, /^POST .* \(initialize\) → HTTP 200 text\/event-stream, 1 event \(closed\)/);
  });

  test('the existing protocol findings say whether the SDK client tolerates them', async () => {
    const cases: Array<[ScenarioName, string, boolean]> = [
      ['stale-session-401', 'session.stale-not-404', true],
      ['session-get-404', 'session.get-stream-invalid', true],
      ['init-unknown-version', 'init.version-unsupported', false],
      ['initialized-400', 'init.initialized-rejected', false],
      ['hybrid-sse', 'transport.hybrid-sse', false],
      ['tools-invalid-name', 'tools.invalid-name', true],
      ['origin-accepting', 'http.origin-not-checked', true],
    ];
    for (const [scenario, code, tolerates] of cases) {
      const server = await startFixtureServer(scenario);
      try {
        const report = await checkHttp({ url: server.url }, { timeoutMs: 8000 });
        const f = only(report, code);
        assert.equal(f.evidence?.sdkTolerates, tolerates, `${scenario}: ${code}`);
        assert.match(f.message, tolerates ? /SDK client tolerates it/ : /SDK client does not tolerate it/);
      } finally {
        await server.close();
      }
    }
  });
});
