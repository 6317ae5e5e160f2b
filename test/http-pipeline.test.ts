import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { startFixtureServer, type ScenarioName } from '../fixtures/http/scenarios.ts';
import { startExtraServer } from '../fixtures/http/doctor-extras.ts';
import type { ServerReport } from '../src/types.ts';
import { checkHttp, codes, findingOf, stageStatuses, type HttpTable } from './helpers/http-check.ts';
import { CODEX } from '../src/codex/codex-version.ts';

/** Runs one fixture scenario through the HTTP pipeline and always closes the server. */
async function run(scenario: ScenarioName, table: Partial<HttpTable> = {}, opts: Parameters<typeof checkHttp>[1] & { delayMs?: number } = {}) {
  const server = await startFixtureServer(scenario, { delayMs: opts.delayMs });
  try {
    const report = await checkHttp({ url: server.url, ...table }, { timeoutMs: 8000, ...opts });
    return { report, server };
  } finally {
    await server.close();
  }
}

const ALL_PASS = { config: 'pass', discovery: 'pass', auth: 'pass', initialize: 'pass', tools: 'pass' };
const FAILED_AT = (stage: 'discovery' | 'auth' | 'initialize' | 'tools') => {
  const order = ['config', 'discovery', 'auth', 'initialize', 'tools'];
  const i = order.indexOf(stage);
  return Object.fromEntries(order.map((s, j) => [s, j < i ? 'pass' : j === i ? 'fail' : 'skipped']));
};

function only(report: ServerReport, code: string) {
  const f = findingOf(report, code);
  assert.ok(f, `expected ${code}; got ${codes(report).join(', ') || 'no findings'}`);
  return f;
}

/** A fix snippet must parse as TOML and describe this server's table. */
function fixTable(toml: string | undefined, name = 'srv'): Record<string, any> {
  assert.ok(toml, 'expected a TOML fix');
  const doc = parse(toml) as any;
  assert.ok(doc.mcp_servers?.[name], `snippet is not about [mcp_servers.${name}]: ${toml}`);
  return doc.mcp_servers[name];
}

/** Prose must not be mangled by redaction when no secret is involved. */
function noRedactionIn(report: ServerReport) {
  for (const f of report.findings) assert.doesNotMatch(f.message, /<redacted>/, `${f.code}: ${f.message}`);
  for (const s of report.stages) assert.doesNotMatch(s.summary, /<redacted>/, s.summary);
}

describe('healthy Streamable HTTP servers', () => {
  test('JSON answers: ok, five passing stages, exact tools, and the requests Codex sends', async () => {
    const { report, server } = await run('healthy-json');
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.deepEqual(stageStatuses(report), ALL_PASS);
    assert.deepEqual({ count: report.tools?.count, names: report.tools?.names }, { count: 3, names: ['echo', 'add', 'get_time'] });
    assert.equal(report.server.httpTransport, 'streamable');
    assert.equal(report.server.era, 'legacy');
    assert.equal(report.server.protocolVersion, '2025-06-18');
    assert.equal(report.server.name, 'fixture-healthy-json');
    assert.deepEqual(report.findings, []);

    const posts = server.requests.filter((r) => r.method === 'POST').map((r) => ({ ...r, msg: JSON.parse(r.body) }));
    const init = posts.find((p) => p.msg.method === 'initialize')!;
    assert.equal(init.headers.accept, 'text/event-stream, application/json');
    assert.equal(init.headers['mcp-protocol-version'], undefined, 'initialize carries no MCP-Protocol-Version');
    assert.equal(init.msg.params.protocolVersion, '2025-06-18');
    assert.deepEqual(init.msg.params.capabilities, { elicitation: { form: {}, url: {} } });
    const list = posts.find((p) => p.msg.method === 'tools/list' && typeof p.msg.id === 'number')!;
    assert.equal(list.headers['mcp-protocol-version'], '2025-06-18');
    assert.ok(list.headers['mcp-session-id']);
    assert.ok(posts.some((p) => p.msg.method === 'notifications/initialized'));
    assert.ok(server.requests.some((r) => r.method === 'DELETE' && r.headers['mcp-session-id'] === list.headers['mcp-session-id']), 'the session is closed');
  });

  test('event-stream answers: ok with the same tools', async () => {
    const { report } = await run('healthy-sse');
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(report.tools?.count, 3);
    assert.match(report.stages[1]!.summary, /event stream/);
  });

  test('stateless server: ok, no session probes, no DELETE', async () => {
    const { report, server } = await run('healthy-stateless');
    assert.equal(report.status, 'ok');
    assert.ok(!server.requests.some((r) => r.method === 'DELETE'));
    assert.match(report.stages[3]!.summary, /stateless/);
  });

  test('priming event, comment and a notification before the answer are read past', async () => {
    const server = await startExtraServer('sse-priming');
    try {
      const report = await checkHttp({ url: server.url });
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.equal(report.tools?.count, 2);
    } finally {
      await server.close();
    }
  });

  test('a server that also speaks 2026-07-28 is ok with transport.dual-era (info) under --deep', async () => {
    const { report } = await run('dual-era', {}, { deep: true });
    assert.equal(report.status, 'ok');
    assert.equal(only(report, 'transport.dual-era').severity, 'info');
    assert.equal(report.server.era, 'legacy');
  });

  test('without --deep the same server is ok and not asked server/discover: Codex speaks 2025-era to it', async () => {
    const { report, server } = await run('dual-era');
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(findingOf(report, 'transport.dual-era'), undefined);
    assert.equal(report.server.era, 'legacy');
    assert.ok(!server.requests.some((r) => r.body.includes('"server/discover"')), 'no server/discover sent');
  });

  test('tools/list pages are all followed', async () => {
    const { report } = await run('tools-paginated');
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.tools?.names, ['list_issues', 'get_issue', 'create_issue', 'update_issue', 'close_issue']);
    assert.match(report.stages[4]!.summary, /3 pages/);
  });
});

describe('HTTP statuses and content', () => {
  test('a persisting 503 is an error after Codex\'s three attempts', async () => {
    const { report, server } = await run('status-503');
    const f = only(report, 'http.unexpected-status');
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.evidence?.attempts, [503, 503, 503]);
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 3);
    assert.deepEqual(stageStatuses(report), FAILED_AT('discovery'));
    assert.equal(report.status, 'fail');
  });

  for (const scenario of ['status-500', 'status-502'] as const) {
    test(`${scenario} is http.unexpected-status with the status in evidence`, async () => {
      const { report } = await run(scenario);
      const f = only(report, 'http.unexpected-status');
      assert.equal(f.evidence?.status, Number(scenario.slice(-3)));
      assert.equal(f.severity, 'error');
    });
  }

  test('a 503 that clears on retry is a warning, and the server still works', async () => {
    const { report } = await run('transient-503');
    assert.equal(report.status, 'warn');
    const f = only(report, 'http.unexpected-status');
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.evidence?.attempts, [503, 503, 200]);
    assert.equal(report.tools?.count, 3);
  });

  test('an HTML page: http.not-mcp-endpoint naming the page title', async () => {
    const { report } = await run('html-page');
    const f = only(report, 'http.not-mcp-endpoint');
    assert.match(f.message, /Acme Dashboard – Sign in/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('discovery'));
    noRedactionIn(report);
  });

  test('an HTML page next to a working /mcp: the fix is the /mcp URL', async () => {
    const server = await startExtraServer('html-root-mcp-sibling', { path: '/' });
    try {
      const report = await checkHttp({ url: server.url });
      const f = only(report, 'http.not-mcp-endpoint');
      assert.equal(fixTable(f.fix?.toml).url, `${server.origin}/mcp`);
    } finally {
      await server.close();
    }
  });

  for (const scenario of ['not-found-html', 'wrong-content-type', 'missing-content-type'] as const) {
    test(`${scenario} is http.not-mcp-endpoint`, async () => {
      const { report } = await run(scenario);
      only(report, 'http.not-mcp-endpoint');
      assert.equal(report.status, 'fail');
    });
  }

  test('406 to a request with the spec\'s Accept header: http.unexpected-status blaming the header check', async () => {
    const server = await startExtraServer('not-acceptable');
    try {
      const report = await checkHttp({ url: server.url });
      const f = only(report, 'http.unexpected-status');
      assert.equal(f.severity, 'error');
      assert.match(f.message, /HTTP 406/);
      assert.match(f.message, /header check is broken/);
      assert.equal(server.requests.length, 1, 'a 406 is not retried');
    } finally {
      await server.close();
    }
  });

  test('a 307 to /mcp/ is a warning whose fix is the final URL; the check goes on there', async () => {
    const { report, server } = await run('redirect-slash');
    assert.equal(report.status, 'warn');
    const f = only(report, 'http.redirect');
    assert.equal(f.severity, 'warning');
    assert.equal(fixTable(f.fix?.toml).url, `${server.origin}/mcp/`);
    assert.equal(report.tools?.count, 3);
  });

  test('a 302 is an error: Codex re-sends the POST as a GET', async () => {
    const server = await startExtraServer('redirect-302');
    try {
      const report = await checkHttp({ url: server.url });
      const f = only(report, 'http.redirect');
      assert.equal(f.severity, 'error');
      assert.match(f.message, /GET/);
      assert.equal(fixTable(f.fix?.toml).url, `${server.origin}/mcp/`);
    } finally {
      await server.close();
    }
  });
});

describe('transport classes', () => {
  test('legacy SSE-only: transport.sse-only with an mcp-remote bridge carrying the token', async () => {
    const { report } = await run('sse-only', { bearerTokenEnvVar: 'SSE_TOKEN' }, { env: { SSE_TOKEN: 'tok-abcdef-123456' } });
    const f = only(report, 'transport.sse-only');
    assert.equal(f.severity, 'error');
    assert.equal(report.server.httpTransport, 'sse');
    const table = fixTable(f.fix?.toml);
    assert.equal(table.command, 'npx');
    assert.deepEqual(table.args.slice(0, 2), ['-y', 'mcp-remote']);
    assert.ok(table.args.includes('--transport') && table.args.includes('sse-only'));
    assert.ok(table.args.includes('Authorization:Bearer ${SSE_TOKEN}'), JSON.stringify(table.args));
    assert.deepEqual(table.env_vars, ['SSE_TOKEN']);
    assert.equal(table.url, undefined);
  });

  test('legacy SSE with a Streamable sibling: the fix is the sibling URL', async () => {
    const { report, server } = await run('sse-only-with-sibling');
    const f = only(report, 'transport.sse-only');
    assert.equal(fixTable(f.fix?.toml).url, `${server.origin}/mcp`);
  });

  test('the legacy SSE probe never leaves its stream open', async () => {
    const { server } = await run('sse-only');
    // The fixture's close() would hang on an open stream only if we had not destroyed it; a
    // second check right after must get a fresh endpoint event too.
    assert.ok(server.requests.some((r) => r.method === 'GET'));
  });

  test('hybrid: POST answered with an endpoint event', async () => {
    const { report } = await run('hybrid-sse');
    const f = only(report, 'transport.hybrid-sse');
    assert.equal(f.severity, 'error');
    assert.match(JSON.stringify(f.evidence), /event: endpoint/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('discovery'));
  });

  for (const scenario of ['modern-only', 'modern-only-404'] as const) {
    test(`${scenario}: transport.modern-only listing the supported versions`, async () => {
      const { report } = await run(scenario);
      const f = only(report, 'transport.modern-only');
      assert.match(f.message, /2026-07-28/);
      assert.equal(report.server.era, 'modern');
      const table = fixTable(f.fix?.toml);
      assert.ok(table.args.includes('--protocol'));
    });
  }
});

describe('auth', () => {
  test('401 with OAuth metadata and no token: auth.login-required, fix codex mcp login', async () => {
    const { report, server } = await run('oauth-protected', {}, { name: 'linear' });
    const f = only(report, 'auth.login-required');
    assert.equal(f.fix?.command, 'codex mcp login linear');
    assert.deepEqual(stageStatuses(report), FAILED_AT('auth'));
    assert.equal(report.stages[1]!.summary, 'endpoint requires authentication (HTTP 401)');
    const metadataGets = server.requests.filter((r) => r.method === 'GET');
    assert.ok(metadataGets.length > 0);
    assert.ok(metadataGets.every((r) => r.headers.authorization === undefined), 'metadata is fetched without credentials');
    noRedactionIn(report);
  });

  test('401 and no OAuth metadata: auth.oauth-unsupported with a bearer_token_env_var fix', async () => {
    const { report } = await run('bearer-no-oauth', {}, { name: 'api' });
    const f = only(report, 'auth.oauth-unsupported');
    assert.equal(fixTable(f.fix?.toml, 'api').bearer_token_env_var, 'API_TOKEN');
    noRedactionIn(report);
  });

  test('a good token passes auth with a summary naming its variable', async () => {
    const { report } = await run('bearer-no-oauth', { bearerTokenEnvVar: 'API_TOKEN' }, { env: { API_TOKEN: 'good-token' } });
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.equal(report.stages[2]!.summary, 'bearer token from $API_TOKEN accepted');
  });

  test('no authentication needed: auth passes saying so', async () => {
    const { report } = await run('healthy-json');
    assert.equal(report.stages[2]!.summary, 'no authentication required');
  });

  test('a rejected token: auth.token-rejected', async () => {
    const { report } = await run('oauth-protected', { bearerTokenEnvVar: 'TOKEN_X' }, { env: { TOKEN_X: 'wrong-token-value' } });
    const f = only(report, 'auth.token-rejected');
    assert.match(f.message, /\$TOKEN_X/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('auth'));
  });

  test('403 insufficient_scope: auth.insufficient-scope naming the scopes', async () => {
    const { report } = await run('insufficient-scope', { bearerTokenEnvVar: 'TOKEN_X' }, { env: { TOKEN_X: 'good-token' } });
    const f = only(report, 'auth.insufficient-scope');
    assert.match(f.message, /files:read files:write/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('auth'));
  });

  test('a stored `codex mcp login` token is sent as Codex would, and never shown', async () => {
    const token = 'stored-oauth-token-5f4e3d2c1b';
    const server = await startFixtureServer('oauth-protected', { token });
    const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-home-'));
    try {
      const entry = { server_name: 'linear', server_url: server.url, client_id: 'client-1', access_token: token, expires_at: Date.now() + 3_600_000, scopes: ['mcp:tools'] };
      writeFileSync(join(home, '.credentials.json'), JSON.stringify({ 'linear|0123456789abcdef': entry }));
      const report = await checkHttp({ url: server.url }, { name: 'linear', deps: { codexHome: home } });
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.match(report.stages[2]!.summary, /stored OAuth token/);
      assert.ok(server.requests.some((r) => r.headers.authorization === `Bearer ${token}`));
      assert.ok(!JSON.stringify(report).includes(token));
    } finally {
      rmSync(home, { recursive: true, force: true });
      await server.close();
    }
  });

  test('bearer_token_env_var naming an unset variable: config.env-var-unset, nothing sent', async () => {
    const { report, server } = await run('healthy-json', { bearerTokenEnvVar: 'NOT_SET_ANYWHERE' }, { env: {} });
    only(report, 'config.env-var-unset');
    assert.equal(server.requests.length, 0);
  });
});

describe('initialize', () => {
  test('version rejected with a JSON-RPC error: init.version-unsupported (error) listing data.supported', async () => {
    const { report } = await run('init-version-rejected');
    const f = only(report, 'init.version-unsupported');
    assert.equal(f.severity, 'error');
    assert.match(f.message, /2024-11-05/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('initialize'));
  });

  test('unknown version answered: a warning; Codex then sends that version, which this server refuses, so tools/list fails', async () => {
    const { report, server } = await run('init-unknown-version');
    assert.equal(only(report, 'init.version-unsupported').severity, 'warning');
    // Codex 0.169 sends `MCP-Protocol-Version: 2099-01-01` after such an answer (measured), and
    // waits for a tools/list answer this fixture never gives (a 400 with id null).
    const list = server.requests.find((r) => r.body.includes('"tools/list"'));
    assert.equal(list?.headers['mcp-protocol-version'], '2099-01-01');
    assert.match(only(report, 'tools.list-failed').message, /timed out awaiting tools\/list/);
    assert.equal(report.status, 'fail');
  });

  for (const scenario of ['init-invalid-result', 'init-not-jsonrpc'] as const) {
    test(`${scenario}: init.protocol-error`, async () => {
      const { report } = await run(scenario);
      only(report, 'init.protocol-error');
      assert.deepEqual(stageStatuses(report), FAILED_AT('initialize'));
    });
  }

  test('JSON-RPC error: init.jsonrpc-error with code and message', async () => {
    const { report } = await run('init-jsonrpc-error');
    const f = only(report, 'init.jsonrpc-error');
    assert.match(f.message, /-32603/);
    assert.deepEqual(f.evidence?.error, { code: -32603, message: 'Internal error: database unavailable' });
  });

  test('initialized-not-202: init.initialized-rejected (error: Codex fails the start)', async () => {
    const { report } = await run('initialized-not-202');
    const f = only(report, 'init.initialized-rejected');
    assert.equal(f.severity, 'error');
    assert.match(f.message, /Transport channel closed/);
    assert.deepEqual(stageStatuses(report), FAILED_AT('initialize'));
  });

  test('initialized-400 with a JSON-RPC error body: a warning, Codex ignores it and connects (measured)', async () => {
    const { report } = await run('initialized-400');
    const f = only(report, 'init.initialized-rejected');
    assert.equal(f.severity, 'warning');
    assert.match(f.message, new RegExp(`${CODEX.replace(/\./g, '\\.')} ignores a JSON-RPC error there`));
    assert.equal(report.status, 'warn');
    assert.equal(report.tools?.count, 3);
  });

  test('a loopback server accepting a foreign Origin: http.origin-not-checked (info), still ok', async () => {
    const { report, server } = await run('origin-accepting');
    assert.equal(only(report, 'http.origin-not-checked').severity, 'info');
    assert.equal(report.status, 'ok');
    const probe = server.requests.find((r) => r.headers.origin === 'http://evil.example' && r.method === 'POST');
    assert.ok(probe);
    assert.ok(server.requests.some((r) => r.method === 'DELETE' && r.headers.origin === 'http://evil.example'), 'the probe session is closed');
  });

  test('GET stream answered 404 with a valid session: session.get-stream-invalid (warning)', async () => {
    const { report, server } = await run('session-get-404');
    const f = only(report, 'session.get-stream-invalid');
    assert.equal(f.severity, 'warning');
    assert.equal(f.evidence?.status, 404);
    assert.equal(report.status, 'warn');
    assert.equal(report.tools?.count, 3);
    assert.ok(server.requests.some((r) => r.method === 'GET' && r.headers['mcp-session-id'] && r.headers.accept === 'text/event-stream'));
  });

  test('notifications/initialized answered 204: a warning (Codex accepts it, the spec wants 202)', async () => {
    const server = await startExtraServer('initialized-204');
    try {
      const report = await checkHttp({ url: server.url });
      assert.equal(only(report, 'init.initialized-rejected').severity, 'warning');
      assert.equal(report.status, 'warn');
      assert.equal(report.tools?.count, 2);
    } finally {
      await server.close();
    }
  });

  for (const scenario of ['stale-session-401', 'stale-session-400', 'stale-session-200'] as const) {
    test(`${scenario}: session.stale-not-404 is a warning, tools still listed`, async () => {
      const { report } = await run(scenario);
      const f = only(report, 'session.stale-not-404');
      assert.equal(f.severity, 'warning');
      assert.equal(f.evidence?.status, Number(scenario.slice(-3)));
      assert.equal(report.status, 'warn');
      assert.equal(report.tools?.count, 3);
    });
  }
});

describe('tools', () => {
  test('invalid names: the names Codex shows', async () => {
    const { report } = await run('tools-invalid-name', {}, { name: 'docs' });
    const f = only(report, 'tools.invalid-name');
    assert.match(f.message, /`search\.docs` → `search_docs_fd223b340152`/);
    assert.equal(report.status, 'warn');
  });

  test('invalid schema: error', async () => {
    const { report } = await run('tools-invalid-schema');
    assert.equal(only(report, 'tools.invalid-schema').severity, 'error');
    assert.deepEqual(stageStatuses(report), FAILED_AT('tools'));
  });

  for (const scenario of ['tools-list-error', 'tools-list-invalid'] as const) {
    test(`${scenario}: tools.list-failed`, async () => {
      const { report } = await run(scenario);
      only(report, 'tools.list-failed');
      assert.deepEqual(stageStatuses(report), FAILED_AT('tools'));
      assert.equal(report.tools, null);
    });
  }

  test('a cursor cycle: tools.list-failed naming the cursor', async () => {
    const server = await startExtraServer('tools-cursor-cycle');
    try {
      const report = await checkHttp({ url: server.url });
      assert.match(only(report, 'tools.list-failed').message, /cycle/);
    } finally {
      await server.close();
    }
  });

  test('enabled_tools naming a missing tool: tools.unknown-filter; the count is after filters', async () => {
    const { report } = await run('healthy-json', { enabledTools: ['echo', 'ad'] });
    assert.equal(only(report, 'tools.unknown-filter').severity, 'warning');
    assert.deepEqual({ count: report.tools?.count, names: report.tools?.names }, { count: 1, names: ['echo'] });
  });

  test('no tools at all: tools.none (info), server ok', async () => {
    const server = await startExtraServer('custom-tools', { tools: [] });
    try {
      const report = await checkHttp({ url: server.url });
      assert.equal(only(report, 'tools.none').severity, 'info');
      assert.equal(report.status, 'ok');
      assert.deepEqual({ count: report.tools?.count, names: report.tools?.names }, { count: 0, names: [] });
    } finally {
      await server.close();
    }
  });
});

describe('redaction', () => {
  test('a token and a header secret never appear in the report or transcript', async () => {
    const token = 'tok_SECRET_9f8e7d6c5b4a';
    const headerSecret = 'hdr-SECRET-1a2b3c4d5e6f';
    for (const scenario of ['healthy-json', 'oauth-protected', 'sse-only', 'status-503'] as const) {
      const { report, server } = await run(
        scenario,
        { bearerTokenEnvVar: 'MY_TOKEN', httpHeaders: { 'X-Api-Key': headerSecret } },
        { env: { MY_TOKEN: token } },
      );
      const text = JSON.stringify(report);
      assert.ok(!text.includes(token), `${scenario}: token leaked`);
      assert.ok(!text.includes(headerSecret), `${scenario}: header secret leaked`);
      assert.ok(report.transcript && report.transcript.length > 0);
      // The secrets were really sent, so their absence from the output means something.
      assert.ok(server.requests.some((r) => r.headers.authorization === `Bearer ${token}` && r.headers['x-api-key'] === headerSecret));
    }
  });
});
