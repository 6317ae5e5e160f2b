// The Codex oracle against tiny throwaway MCP servers: what real Codex (the @openai/codex
// devDependency, 0.169.0 when written) connects to and the exact error it reports otherwise.
// docs/codex-behaviour-measured.md is the table these tests keep honest.
//
// Timing: a healthy server is left at Codex's default startup timeout (it answers in well under
// a second on an idle machine). A server that is expected to fail by timing out gets
// `startup_timeout_sec = TIGHT`, and its test starts a healthy server with the same budget next
// to it (same Codex process, same moment) as the control: the failure is then due to the
// server, not to a budget too small for a node process to start. 1 s was enough on an idle
// 2-CPU machine but not under a load average of 8 (the test suites run in parallel), hence 3 s.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { askCodex, codexAvailable, summarizeCodexError, type AskCodexOptions, type CodexVerdict } from './helpers/codex-oracle.ts';
import { PINNED } from './helpers/test-deps.ts';

const codexPinned = () => PINNED.codex!['@openai/codex']!;

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';
const T = { timeout: 30_000 };
/** startup_timeout_sec for servers expected to time out, and for their healthy control. */
const TIGHT = 3;
/** Marks every stdio server of this run, to find leftovers with ps. */
const MARK = `mcp-doctor-oracle-test-${process.pid}`;

// ---------------------------------------------------------------- a stdio MCP server for `node -e`
const STDIO_SERVER = String.raw`
const mode = process.argv[1] || 'ok';
const out = (s) => process.stdout.write(s);
const send = (m) => out((mode === 'glued' ? 'LOG: ' : '') + JSON.stringify(m) + '\n');
if (mode === 'exit') { process.stderr.write('fatal: MY_API_KEY is not set\n'); process.exit(3); }
if (mode === 'banner') out('Tiny MCP server v1.0 listening on stdio\n');
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  let m; try { m = JSON.parse(line); } catch { return; }
  if (m.method === 'initialize') {
    if (mode === 'hang') return;
    send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'tiny-stdio', version: '1.0.0' } } });
  } else if (m.method === 'tools/list') {
    const names = mode === 'env' ? Object.keys(process.env) : mode === 'dots' ? ['search.docs', 'search_docs', 'get.page'] : ['echo'];
    send({ jsonrpc: '2.0', id: m.id, result: { tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })) } });
  } else if (m.id !== undefined) {
    send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } });
  }
});
`;

/** A `[mcp_servers.NAME]` table running STDIO_SERVER in `mode`. NAME is used verbatim (quote it yourself). */
function stdio(name: string, mode: string, extra = ''): string {
  const args = ['-e', STDIO_SERVER, mode, MARK].map((a) => JSON.stringify(a)).join(', ');
  return `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${args}]\n${extra}\n`;
}

// ------------------------------------------------------- a Streamable HTTP MCP server on node:http
// The first path segment picks the behaviour: /ok/mcp, /401/mcp, /hybrid/mcp, /future/mcp,
// /dots/mcp, /stale/mcp, /stale-always/mcp, /redirect/mcp, /legacy/sse, /503/mcp, /bearer/mcp.
const requests: string[] = [];
let base = '';
const sessions = new Set<string>();
const httpServer = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body = '';
  for await (const chunk of req) body += chunk;
  const seg = url.pathname.split('/').filter(Boolean);
  const mode = seg[0];
  const sid = req.headers['mcp-session-id'] as string | undefined;
  requests.push(`${req.method} ${url.pathname} sid=${sid ? 'yes' : 'no'} auth=${req.headers.authorization ? 'yes' : 'no'}`);

  if (mode === '.well-known') return void res.writeHead(404).end('not found');
  if (mode === '503') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
  if (mode === 'legacy') {
    if (req.method === 'GET' && seg[1] === 'sse') {
      // Legacy HTTP+SSE: the stream announces the POST endpoint and stays open.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: endpoint\ndata: /legacy/messages?sessionId=1\n\n');
      return;
    }
    return void res.writeHead(405, { allow: 'GET' }).end('Method Not Allowed');
  }
  if (mode === 'redirect' && url.pathname === '/redirect/mcp') return void res.writeHead(307, { location: '/redirect/mcp/' }).end();
  if (mode === '401' || (mode === 'bearer' && req.headers.authorization !== 'Bearer s3cret')) {
    res.writeHead(401, { 'www-authenticate': 'Bearer realm="mcp"', 'content-type': 'application/json' });
    return void res.end('{"error":"unauthorized"}');
  }
  if (req.method === 'GET') return void res.writeHead(405, { allow: 'POST' }).end();
  if (req.method === 'DELETE') return void res.writeHead(204).end();

  let msg: { id?: number | string; method?: string; params?: { protocolVersion?: string } };
  try {
    msg = JSON.parse(body);
  } catch {
    return void res.writeHead(400).end('bad json');
  }
  // Stale sessions: /stale/ answers an unknown Mcp-Session-Id with 401 (instead of 404);
  // /stale-always/ treats even the session it just issued as unknown.
  if (msg.method !== 'initialize' && sid !== undefined && (mode === 'stale-always' || (mode === 'stale' && !sessions.has(sid)))) {
    return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized: Session not found');
  }
  if (msg.id === undefined) return void res.writeHead(202).end();

  const headers: Record<string, string> = {};
  let reply: unknown;
  if (msg.method === 'initialize') {
    const s = randomUUID();
    sessions.add(s);
    headers['mcp-session-id'] = s;
    const protocolVersion = mode === 'future' ? '2099-01-01' : msg.params?.protocolVersion;
    reply = { jsonrpc: '2.0', id: msg.id, result: { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: `http-${mode}`, version: '1.0.0' } } };
  } else if (msg.method === 'tools/list') {
    const names = mode === 'dots' ? ['search.docs', 'search_docs', 'get.page'] : ['echo'];
    reply = { jsonrpc: '2.0', id: msg.id, result: { tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })) } };
  } else {
    reply = { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } };
  }
  if (mode === 'hybrid') {
    // Legacy HTTP+SSE mixed into Streamable HTTP: the POST's SSE stream starts with `event: endpoint`.
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
    res.write('event: endpoint\ndata: /hybrid/messages?sessionId=1\n\n');
    res.write(`event: message\ndata: ${JSON.stringify(reply)}\n\n`);
    return void res.end();
  }
  res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(reply));
});

function http(name: string, path: string, extra = ''): string {
  return `[mcp_servers.${name}]\nurl = "${base}${path}"\n${extra}\n`;
}

async function ask(config: string, opts: AskCodexOptions = {}): Promise<CodexVerdict> {
  return askCodex(config, { timeoutMs: 20_000, ...opts });
}

function server(v: CodexVerdict, name: string) {
  const s = v.servers[name];
  assert.ok(s, `Codex reported no server "${name}"; got ${JSON.stringify(Object.keys(v.servers))}${v.configError ? `, configError: ${v.configError}` : ''}`);
  return s;
}

function leftovers(): string[] {
  const ps = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(MARK) && !l.includes('ps -A'));
}

/** Codex (or anything it started) still running under this test process. tsx's esbuild service is ignored. */
function codexDescendants(): string[] {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const out: string[] = [];
  const queue = [process.pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const m of rows) {
      if (Number(m[2]) === p && !/^ps /.test(m[3]!)) {
        out.push(`${m[1]} ${m[3]}`);
        queue.push(Number(m[1]));
      }
    }
  }
  return out.filter((l) => l.includes('codex') || l.includes(MARK));
}

describe('codex oracle: helper', { skip }, () => {
  it('summarizeCodexError drops rmcp transport type names and the repeated tail', () => {
    const raw =
      'MCP startup failed: handshaking with MCP server failed: Send message error Transport [rmcp::transport::worker::WorkerTransport<rmcp::X<Y>>] error: Auth required, when send initialize request: Send message error Transport [rmcp::transport::worker::WorkerTransport<rmcp::X<Y>>] error: Auth required, when send initialize request';
    assert.equal(summarizeCodexError(raw), 'MCP startup failed: handshaking with MCP server failed: Auth required, when send initialize request');
    assert.equal(summarizeCodexError('MCP startup failed: No such file or directory (os error 2)'), 'MCP startup failed: No such file or directory (os error 2)');
  });

  it('reports the installed Codex version and leaves no process behind, even when it gives up', T, async () => {
    const installed = codexPinned();
    const v = await ask(stdio('s', 'ok'));
    assert.equal(v.version, installed);
    assert.ok(v.durationMs < 10_000, `one askCodex call took ${v.durationMs} ms`);
    // A server that never answers, a startup timeout far beyond our patience: askCodex throws
    // after timeoutMs and must still kill codex and the server (its own process group).
    await assert.rejects(ask(stdio('s', 'hang', 'startup_timeout_sec = 60'), { timeoutMs: 2_000 }), /no complete answer from codex within 2000 ms/);
    assert.deepEqual(leftovers(), []);
    assert.deepEqual(codexDescendants(), []);
  });
});

describe('codex oracle: stdio servers', { skip, concurrency: 2 }, () => {
  after(() => assert.deepEqual(leftovers(), []));

  it('healthy server: connected, tools listed, also within the TIGHT startup budget', T, async () => {
    const v = await ask(stdio('plain', 'ok') + stdio('tight', 'ok', `startup_timeout_sec = ${TIGHT}`));
    for (const name of ['plain', 'tight']) {
      const s = server(v, name);
      assert.equal(s.connected, true, s.error);
      assert.deepEqual(s.tools, ['echo']);
      assert.equal(s.toolCount, 1);
      assert.equal(s.serverInfo?.name, 'tiny-stdio');
      assert.equal(s.error, undefined);
    }
    assert.equal(v.configError, undefined);
  });

  it('banner line on stdout before the first message: Codex skips it and connects', T, async () => {
    const s = server(await ask(stdio('s', 'banner')), 's');
    assert.equal(s.connected, true, s.error);
    assert.deepEqual(s.tools, ['echo']);
  });

  it('text glued to a JSON message: Codex times out', T, async () => {
    const v = await ask(stdio('glued', 'glued', `startup_timeout_sec = ${TIGHT}`) + stdio('control', 'ok', `startup_timeout_sec = ${TIGHT}`));
    assert.equal(server(v, 'control').connected, true, 'a healthy server must start within the same budget');
    const s = server(v, 'glued');
    assert.equal(s.connected, false);
    // e.g. "... after 2.999999126s: deadline has elapsed" (sub-second budgets print "999.99ms")
    assert.match(s.error!, /^MCP startup failed: timed out handshaking with MCP server after (2\.9\d*|3(\.\d+)?)s: deadline has elapsed$/);
  });

  it('server exits before answering initialize: "connection closed: initialize response"', T, async () => {
    const s = server(await ask(stdio('s', 'exit')), 's');
    assert.equal(s.connected, false);
    assert.equal(s.errorSummary, 'MCP startup failed: handshaking with MCP server failed: connection closed: initialize response');
    // Verbatim, Codex repeats the cause.
    assert.equal(s.error, `${s.errorSummary}: connection closed: initialize response`);
  });

  it('command not on PATH: "No such file or directory (os error 2)"', T, async () => {
    const s = server(await ask('[mcp_servers.s]\ncommand = "mcp-doctor-no-such-command"\n'), 's');
    assert.equal(s.connected, false);
    assert.equal(s.error, 'MCP startup failed: No such file or directory (os error 2)');
  });

  it('reduced environment: secrets and proxies are not passed, env_vars and env are', T, async () => {
    const env = { MY_API_KEY: 'k', OTHER_SECRET: 'o', HTTPS_PROXY: 'http://proxy.invalid:3128', UNSET_ONE: undefined };
    const v = await ask(stdio('plain', 'env') + stdio('fwd', 'env', 'env_vars = ["MY_API_KEY", "UNSET_ONE"]\nenv = { LITERAL = "v" }'), { env });
    const plain = server(v, 'plain').tools!; // tool names = the server's environment variable names
    assert.ok(plain.includes('PATH') && plain.includes('HOME'), plain.join(' '));
    for (const k of ['MY_API_KEY', 'OTHER_SECRET', 'HTTPS_PROXY', 'LITERAL', 'CODEX_HOME']) assert.ok(!plain.includes(k), `${k} leaked: ${plain.join(' ')}`);
    const fwd = server(v, 'fwd');
    // An env_vars entry naming an unset variable is not an error for Codex: the server starts without it.
    assert.equal(fwd.connected, true, fwd.error);
    assert.ok(fwd.tools!.includes('MY_API_KEY') && fwd.tools!.includes('LITERAL'), fwd.tools!.join(' '));
    assert.ok(!fwd.tools!.includes('UNSET_ONE') && !fwd.tools!.includes('OTHER_SECRET'));
  });

  it('tool names with dots: listed raw, the model sees them sanitised and collisions hash-suffixed', T, async () => {
    const s = server(await ask(stdio('s', 'dots'), { session: true }), 's');
    assert.equal(s.connected, true, s.error);
    assert.deepEqual(s.tools, ['get.page', 'search.docs', 'search_docs']);
    assert.equal(s.modelNamespace, 'mcp__s');
    const model = s.modelTools!;
    assert.equal(model.length, 3, model.join(' '));
    assert.ok(model.includes('get_page'), model.join(' '));
    // search.docs -> search_docs collides with the real search_docs: both get a suffix.
    assert.equal(model.filter((n) => /^search_docs_[0-9a-f]{12}$/.test(n)).length, 2, model.join(' '));
  });

  it('required = true and the server fails: the session itself does not start', T, async () => {
    const v = await ask(stdio('s', 'exit', 'required = true'), { session: true });
    assert.match(
      v.sessionError!,
      /Failed to initialize session: required MCP servers failed to initialize: s: handshaking with MCP server failed: connection closed: initialize response/,
    );
  });

  it('enabled = false: listed, not started', T, async () => {
    const s = server(await ask(stdio('s', 'ok', 'enabled = false')), 's');
    assert.equal(s.disabled, true);
    assert.equal(s.connected, false);
    assert.equal(s.error, undefined);
  });
});

describe('codex oracle: streamable HTTP servers', { skip, concurrency: 2 }, () => {
  before(async () => {
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    httpServer.closeAllConnections();
    await new Promise((r) => httpServer.close(r));
  });

  const HANDSHAKE = 'MCP startup failed: handshaking with MCP server failed: ';

  it('healthy server: connected, tools listed', T, async () => {
    const s = server(await ask(http('h', '/ok/mcp')), 'h');
    assert.equal(s.connected, true, s.error);
    assert.deepEqual(s.tools, ['echo']);
    assert.equal(s.serverInfo?.name, 'http-ok');
    assert.equal(s.authStatus, 'unsupported');
  });

  it('401 without OAuth metadata: "Auth required, when send initialize request"', T, async () => {
    const s = server(await ask(http('h', '/401/mcp')), 'h');
    assert.equal(s.connected, false);
    assert.equal(s.errorSummary, `${HANDSHAKE}Auth required, when send initialize request`);
  });

  it('POST answered with an SSE stream that starts with `event: endpoint`: fails', T, async () => {
    const s = server(await ask(http('h', '/hybrid/mcp')), 'h');
    assert.equal(s.connected, false);
    assert.equal(s.errorSummary, `${HANDSHAKE}connection closed: initialize response`);
  });

  it('initialize answered with protocolVersion "2099-01-01": Codex accepts it', T, async () => {
    const s = server(await ask(http('h', '/future/mcp')), 'h');
    assert.equal(s.connected, true, s.error);
    assert.deepEqual(s.tools, ['echo']);
  });

  it('tool named search.docs: listed raw, the model sees search_docs (hash-suffixed on collision)', T, async () => {
    const s = server(await ask(http('docs', '/dots/mcp'), { session: true }), 'docs');
    assert.equal(s.connected, true, s.error);
    assert.deepEqual(s.tools, ['get.page', 'search.docs', 'search_docs']);
    assert.equal(s.modelNamespace, 'mcp__docs');
    assert.ok(s.modelTools!.includes('get_page'), s.modelTools!.join(' '));
    assert.equal(s.modelTools!.filter((n) => /^search_docs_[0-9a-f]{12}$/.test(n)).length, 2, s.modelTools!.join(' '));
  });

  it('unknown session answered with 401 instead of 404: Codex connects (its own session is valid)', T, async () => {
    const s = server(await ask(http('h', '/stale/mcp')), 'h');
    assert.equal(s.connected, true, s.error);
  });

  it('session rejected with 401 right after initialize: fails at the initialized notification', T, async () => {
    const s = server(await ask(http('h', '/stale-always/mcp')), 'h');
    assert.equal(s.connected, false);
    assert.equal(s.errorSummary, `${HANDSHAKE}Transport channel closed, when send initialized notification`);
  });

  it('307 redirect /mcp -> /mcp/: Codex follows it and connects', T, async () => {
    const s = server(await ask(http('h', '/redirect/mcp')), 'h');
    assert.equal(s.connected, true, s.error);
    assert.ok(requests.some((r) => r.startsWith('POST /redirect/mcp/ ')), requests.join('\n'));
  });

  it('legacy SSE-only server: POST refused with 405, fails (and OAuth discovery waits ~5 s on the open stream)', T, async () => {
    const v = await ask(http('h', '/legacy/sse'));
    const s = server(v, 'h');
    assert.equal(s.connected, false);
    assert.equal(s.errorSummary, `${HANDSHAKE}unexpected server response: HTTP 405: Method Not Allowed, when send initialize request`);
  });

  it('503 always: fails after retries with the status and body', T, async () => {
    const before = requests.filter((r) => r.startsWith('POST /503/')).length;
    const s = server(await ask(http('h', '/503/mcp')), 'h');
    assert.equal(s.connected, false);
    assert.equal(s.errorSummary, `${HANDSHAKE}unexpected server response: HTTP 503: Service Unavailable, when send initialize request`);
    assert.equal(requests.filter((r) => r.startsWith('POST /503/')).length - before, 3, 'initialize is tried 3 times');
  });

  it('bearer_token_env_var: sent when set; unset fails before any request', T, async () => {
    const cfg = http('h', '/bearer/mcp', 'bearer_token_env_var = "MCP_DOCTOR_TEST_TOKEN"');
    const ok = server(await ask(cfg, { env: { MCP_DOCTOR_TEST_TOKEN: 's3cret' } }), 'h');
    assert.equal(ok.connected, true, ok.error);
    assert.equal(ok.authStatus, 'bearerToken');
    const unset = server(await ask(cfg, { env: { MCP_DOCTOR_TEST_TOKEN: undefined } }), 'h');
    assert.equal(unset.connected, false);
    assert.equal(unset.error, "MCP startup failed: Environment variable MCP_DOCTOR_TEST_TOKEN for MCP server 'h' is not set");
  });
});

describe('codex oracle: config-level verdicts', { skip, concurrency: 2 }, () => {
  it('inline bearer_token: Codex refuses the whole config', T, async () => {
    const v = await ask(stdio('fine', 'ok') + '[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nbearer_token = "x"\n');
    assert.match(v.configError!, /^failed to reload config: \$CODEX_HOME\/config\.toml:\d+:\d+: bearer_token is not supported for streamable_http$/);
    assert.deepEqual(v.servers, {}, 'no server is started, not even the valid one');
  });

  it('server names: `.`, `@`, `/` are accepted (tools namespaced with `_`), a space fails that server only', T, async () => {
    const v = await ask(stdio('"a.b"', 'ok') + stdio('"@scope/pkg"', 'ok') + stdio('"Salesforce DX"', 'ok'), { session: true });
    assert.equal(server(v, 'a.b').connected, true, server(v, 'a.b').error);
    assert.equal(server(v, 'a.b').modelNamespace, 'mcp__a_b');
    assert.equal(server(v, '@scope/pkg').connected, true);
    assert.equal(server(v, '@scope/pkg').modelNamespace, 'mcp___scope_pkg');
    const bad = server(v, 'Salesforce DX');
    assert.equal(bad.connected, false);
    assert.equal(bad.error, "MCP startup failed: Invalid MCP server name 'Salesforce DX': must match pattern ^[a-zA-Z0-9_:@/.-]+$");
    assert.equal(bad.startupError, `MCP client for \`Salesforce DX\` failed to start: ${bad.error}`);
  });

  it('type = "http": ignored with a warning, the server connects', T, async () => {
    const v = await ask(stdio('s', 'ok', 'type = "http"'));
    assert.equal(server(v, 's').connected, true);
    assert.ok(v.warnings.some((w) => w.includes('`mcp_servers.s.type` is ignored')), v.warnings.join('\n'));
  });

  it('neither command nor url: "invalid transport" for the whole config', T, async () => {
    const v = await ask('[mcp_servers.x]\nstartup_timeout_sec = 5\n' + stdio('fine', 'ok'));
    assert.equal(v.configError, 'failed to reload config: $CODEX_HOME/config.toml:1:1: invalid transport');
    assert.deepEqual(v.servers, {});
  });

  it('url + args: "args is not supported for streamable_http" for the whole config', T, async () => {
    const v = await ask('[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\nargs = ["--x"]\n');
    assert.equal(v.configError, 'failed to reload config: $CODEX_HOME/config.toml:1:1: args is not supported for streamable_http');
  });

  it('TOML syntax error: line and column', T, async () => {
    const v = await ask('[mcp_servers.s]\ncommand = \n');
    assert.equal(v.configError, 'failed to reload config: $CODEX_HOME/config.toml:2:11: string values must be quoted, expected literal string');
  });
});
