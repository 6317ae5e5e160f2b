// Streamable HTTP answers that Codex 0.171.0 reads differently from HTTP's letter (found by blind
// testing, each asked of the oracle): a Content-Type in capitals is refused, an id sent back as
// the string of the request's number is accepted.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { checkJson, tempConfig } from './helpers/cli.ts';
import { serveJsonRpc, type JsonRpcHttp } from './helpers/jsonrpc-http.ts';

const INIT = (id: unknown) => ({ jsonrpc: '2.0', id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'w', version: '1' } } });
const TOOLS = (id: unknown) => ({ jsonrpc: '2.0', id, result: { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] } });

interface Case {
  name: string;
  /** Content-Type and id of the answers to initialize and tools/list. */
  init: { type: string; stringId?: boolean; /** The event stream as sent, around the answer's JSON. */ frame?: (json: string) => string };
  tools: { type: string; stringId?: boolean };
  codexConnects: boolean;
  code?: string;
}

const CASES: Case[] = [
  { name: 'ct_init_caps', init: { type: 'Application/JSON' }, tools: { type: 'application/json' }, codexConnects: false, code: 'wire.content-type-case' },
  { name: 'ct_init_sse_caps', init: { type: 'TEXT/EVENT-STREAM' }, tools: { type: 'application/json' }, codexConnects: false, code: 'wire.content-type-case' },
  { name: 'ct_tools_caps', init: { type: 'application/json' }, tools: { type: 'APPLICATION/JSON' }, codexConnects: false, code: 'wire.content-type-case' },
  { name: 'ct_charset', init: { type: 'application/json; charset=utf-8' }, tools: { type: 'text/event-stream; charset=utf-8' }, codexConnects: true },
  { name: 'id_string_init', init: { type: 'application/json', stringId: true }, tools: { type: 'application/json' }, codexConnects: true },
  { name: 'id_string_tools', init: { type: 'application/json' }, tools: { type: 'application/json', stringId: true }, codexConnects: true },
  // Event streams (blind testing): lone CR line endings and events of another name are read; an
  // event that is not JSON before the answer ends Codex's stream.
  { name: 'sse_cr_only', init: { type: 'text/event-stream', frame: (json) => `event: message\rdata: ${json}\r\r` }, tools: { type: 'application/json' }, codexConnects: true },
  { name: 'sse_other_event', init: { type: 'text/event-stream', frame: (json) => `event: foo\ndata: ${json}\n\n` }, tools: { type: 'application/json' }, codexConnects: true },
  { name: 'sse_garbage_first', init: { type: 'text/event-stream', frame: (json) => `event: message\ndata: not json\n\nevent: message\ndata: ${json}\n\n` }, tools: { type: 'application/json' }, codexConnects: false, code: 'http.sse-invalid-message' },
];

const servers: JsonRpcHttp[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function serve(c: Case): Promise<string> {
  const server = await serveJsonRpc((msg, _req, res) => {
    const answer = msg.method === 'initialize' ? c.init : msg.method === 'tools/list' ? c.tools : undefined;
    if (!answer) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: msg.method === 'resources/list' ? { resources: [] } : { resourceTemplates: [] } }));
    const id = answer.stringId ? String(msg.id) : msg.id;
    const json = JSON.stringify(msg.method === 'initialize' ? INIT(id) : TOOLS(id));
    const sse = answer.type.toLowerCase().startsWith('text/event-stream');
    res.writeHead(200, { 'content-type': answer.type, 'mcp-session-id': 's1' });
    const frame = msg.method === 'initialize' ? c.init.frame : undefined;
    res.end(frame ? frame(json) : sse ? `event: message\ndata: ${json}\n\n` : json);
  });
  servers.push(server);
  return server.url;
}

describe('HTTP answers as Codex reads them', () => {
  it('Content-Type case, string ids and event-stream framing: the doctor fails exactly where Codex does, and names it', { timeout: 120_000 }, async () => {
    let toml = '';
    for (const c of CASES) toml += `[mcp_servers.${c.name}]\nurl = "${await serve(c)}"\nstartup_timeout_sec = 8\n\n`;
    const cfg = tempConfig(toml);
    try {
      const { report } = await checkJson(['--config', cfg.path], { timeoutMs: 60_000 });
      for (const c of CASES) {
        const server = report.servers.find((s: any) => s.name === c.name);
        const codes = server.findings.map((f: any) => f.code);
        assert.equal(server.status === 'fail', !c.codexConnects, `${c.name}: ${server.status} ${codes.join(' ')}`);
        if (c.code) assert.ok(codes.includes(c.code), `${c.name}: ${codes.join(' ')}`);
      }
    } finally {
      cfg.cleanup();
    }
    if (!codexAvailable()) return;
    const codex = await askCodex(toml, { timeoutMs: 60_000 });
    for (const c of CASES) assert.equal(codex.servers[c.name]?.connected, c.codexConnects, `${c.name}: Codex ${codex.servers[c.name]?.error ?? 'connected'}`);
  });

  it('a bearer token with a line break or another control character: Codex fails before sending anything, so does the doctor (a tab is fine)', { timeout: 120_000 }, async () => {
    const url = await serve({ name: 'tok', init: { type: 'application/json' }, tools: { type: 'application/json' }, codexConnects: true });
    const cases: Record<string, [token: string, connects: boolean]> = {
      trailing_newline: ['tok-SECRET-value\n', false],
      embedded_crlf: ['tok-SECRET-value\r\nX-Injected: 1', false],
      control: ['tok-SECRET\u0001value', false],
      tab: ['tok-SECRET\tvalue', true],
    };
    let toml = '';
    const env: Record<string, string> = {};
    for (const [name, [token]] of Object.entries(cases)) {
      toml += `[mcp_servers.${name}]\nurl = "${url}"\nbearer_token_env_var = "TOK_${name.toUpperCase()}"\nstartup_timeout_sec = 8\n\n`;
      env[`TOK_${name.toUpperCase()}`] = token;
    }
    const cfg = tempConfig(toml);
    try {
      const { report, stdout } = await checkJson(['--config', cfg.path], { env, timeoutMs: 60_000 });
      for (const [name, [, connects]] of Object.entries(cases)) {
        const server = report.servers.find((s: any) => s.name === name);
        assert.equal(server.status === 'fail', !connects, `${name}: ${server.status}`);
        if (!connects) assert.ok(server.findings.some((f: any) => f.code === 'config.invalid-value'), name);
      }
      assert.doesNotMatch(stdout, /SECRET/);
    } finally {
      cfg.cleanup();
    }
    if (!codexAvailable()) return;
    const codex = await askCodex(toml, { timeoutMs: 60_000, env: { ...process.env, ...env } as Record<string, string> });
    for (const [name, [, connects]] of Object.entries(cases)) assert.equal(codex.servers[name]?.connected, connects, `${name}: Codex ${codex.servers[name]?.error ?? 'connected'}`);
  });
});
