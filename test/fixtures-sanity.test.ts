// The fixture servers are the ground truth for the doctor's tests, so they are checked here
// against an independent client: the official SDK proves the healthy ones really work, and plain
// fetch / spawn proves each broken one sends its exact bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  SCENARIOS,
  startFixtureServer,
  type FixtureOptions,
  type FixtureServer,
  type ScenarioName,
} from '../fixtures/http/scenarios.ts';

const STDIO_SERVER = fileURLToPath(new URL('../fixtures/stdio/server.mjs', import.meta.url));
const BOUNDED = { timeout: 15_000 };
const HEALTHY_TOOLS = ['echo', 'add', 'get_time'];

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fixtures-sanity', version: '0' } },
};
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
const TOOLS_LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };

async function withServer<T>(
  name: ScenarioName,
  fn: (server: FixtureServer) => Promise<T>,
  opts?: FixtureOptions,
): Promise<T> {
  const server = await startFixtureServer(name, opts);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

function post(url: string, message: unknown, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof message === 'string' ? message : JSON.stringify(message),
  });
}

/** The parsed JSON body, typed loosely for assertions. */
const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();

const request = (url: string, method: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(5000) });

/** POSTs initialize and returns the issued session id. */
async function initSession(url: string): Promise<string> {
  const response = await post(url, INIT);
  await response.text();
  const sessionId = response.headers.get('mcp-session-id');
  assert.ok(sessionId, 'initialize issues a session id');
  return sessionId;
}

/** tools/list inside a fresh session; returns the parsed JSON-RPC answer. */
async function listTools(url: string, params: unknown = {}): Promise<any> {
  const sessionId = await initSession(url);
  const response = await post(url, { ...TOOLS_LIST, params }, { 'mcp-session-id': sessionId });
  assert.equal(response.status, 200);
  return json(response);
}

/** Reads a streaming body incrementally; `until` gives up quietly after `ms`. */
function streamText(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    async until(done: (text: string) => boolean, ms: number): Promise<string> {
      const deadline = Date.now() + ms;
      while (!done(text) && Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), deadline - Date.now()))),
        ]);
        clearTimeout(timer);
        if (chunk === null || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
      return text;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** Connects the SDK client and returns the tool names it lists. */
async function sdkToolNames(transport: Transport): Promise<string[]> {
  const client = new Client({ name: 'fixtures-sanity', version: '0' });
  try {
    await client.connect(transport, { timeout: 5000 });
    const { tools } = await client.listTools(undefined, { timeout: 5000 });
    return tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}

const streamableTransport = (url: string, headers?: Record<string, string>) =>
  new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);

// ---------------------------------------------------------------------------------------------
// HTTP: the catalogue itself

test('every scenario has a kebab-case name and a description, and closes promptly with requests in flight', BOUNDED, async () => {
  for (const [name, description] of Object.entries(SCENARIOS)) {
    assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(description.length > 10, name);
    const server = await startFixtureServer(name as ScenarioName, { delayMs: 60_000 });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/(mcp|sse)$/);
    // An initialize POST and a GET (an SSE stream for the legacy servers) left hanging on purpose.
    const inFlight = [post(server.url, INIT, {}, 10_000), request(server.url, 'GET')].map((p) =>
      p.then((r) => r.body?.cancel()).catch(() => {}),
    );
    await sleep(30);
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 1000, `${name} closed in ${Date.now() - started} ms`);
    // AbortSignal.timeout does not hold the event loop open: a request undici leaves pending after
    // its socket died would end the test process ("Promise resolution is still pending"). A ref'd
    // timer keeps the loop alive until the request's own 10 s timeout settles it.
    await Promise.race([Promise.all(inFlight), sleep(11_000)]);
  }
});

test('requests are recorded with method, path, headers and body', BOUNDED, async () => {
  await withServer('healthy-json', async (server) => {
    await post(`${server.url}?probe=1`, INIT, { 'x-probe': 'yes' }).then((r) => r.text());
    await request(server.url, 'GET').then((r) => r.text());
    assert.equal(server.requests.length, 2);
    const [first, second] = server.requests;
    assert.equal(first?.method, 'POST');
    assert.equal(first?.path, '/mcp?probe=1');
    assert.equal(first?.headers['x-probe'], 'yes');
    assert.deepEqual(JSON.parse(first?.body ?? ''), INIT);
    assert.equal(second?.method, 'GET');
    assert.equal(second?.body, '');
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP: healthy fixtures, proved with the official SDK client

const SDK_CONNECTS: Array<[ScenarioName, FixtureOptions?]> = [
  ['healthy-json'],
  ['healthy-sse'],
  ['healthy-stateless'],
  ['dual-era'],
  ['origin-accepting'],
  ['redirect-slash'],
  ['slow-init', { delayMs: 200 }],
  // These work until a session goes stale.
  ['stale-session-401'],
  ['stale-session-400'],
  ['stale-session-200'],
  ['session-get-404'],
];

for (const [name, opts] of SDK_CONNECTS) {
  test(`SDK client connects to ${name} and lists its tools`, BOUNDED, async () => {
    await withServer(name, async (server) => assert.deepEqual(await sdkToolNames(streamableTransport(server.url)), HEALTHY_TOOLS), opts);
  });
}

test('healthy-json: the SDK client sends initialize, initialized, GET (405) and tools/list', BOUNDED, async () => {
  await withServer('healthy-json', async (server) => {
    await sdkToolNames(streamableTransport(server.url));
    const seen = server.requests.map((r) => `${r.method} ${r.method === 'POST' ? JSON.parse(r.body).method : ''}`.trim());
    assert.deepEqual(seen.slice(0, 4).sort(), ['GET', 'POST initialize', 'POST notifications/initialized', 'POST tools/list'].sort());
  });
});

test('healthy-json: exact transport answers (202, 405, 406, 415, 403 Origin, 400 version, 404 stale, DELETE)', BOUNDED, async () => {
  await withServer('healthy-json', async (server) => {
    const init = await post(server.url, INIT);
    assert.equal(init.status, 200);
    assert.match(init.headers.get('content-type') ?? '', /^application\/json/);
    const sessionId = init.headers.get('mcp-session-id')!;
    assert.match(sessionId, /^[\x21-\x7e]+$/);
    assert.deepEqual(await json(init), {
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'fixture-healthy-json', version: '1.0.0' } },
    });

    const notified = await post(server.url, INITIALIZED, { 'mcp-session-id': sessionId });
    assert.equal(notified.status, 202);
    assert.equal(await notified.text(), '');

    const get = await request(server.url, 'GET', { accept: 'text/event-stream', 'mcp-session-id': sessionId });
    assert.equal(get.status, 405);
    await get.text();

    const noAccept = await post(server.url, INIT, { accept: 'application/json' });
    assert.equal(noAccept.status, 406);
    assert.equal(
      await noAccept.text(),
      '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Not Acceptable: Client must accept both application/json and text/event-stream"},"id":null}',
    );
    const textBody = await post(server.url, INIT, { 'content-type': 'text/plain' });
    assert.equal(textBody.status, 415);
    await textBody.text();
    const evil = await post(server.url, INIT, { origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    await evil.text();
    const noSession = await post(server.url, TOOLS_LIST);
    assert.equal(noSession.status, 400);
    await noSession.text();
    const badVersion = await post(server.url, TOOLS_LIST, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(badVersion.status, 400);
    await badVersion.text();
    const goodVersion = await post(server.url, TOOLS_LIST, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(goodVersion.status, 200);
    await goodVersion.text();

    const stale = await post(server.url, TOOLS_LIST, { 'mcp-session-id': randomUUID() });
    assert.equal(stale.status, 404);
    assert.equal(await stale.text(), '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');

    const deleted = await request(server.url, 'DELETE', { 'mcp-session-id': sessionId });
    assert.equal(deleted.status, 200);
    await deleted.text();
    const afterDelete = await post(server.url, TOOLS_LIST, { 'mcp-session-id': sessionId });
    assert.equal(afterDelete.status, 404);
    await afterDelete.text();
  });
});

test('legacy servers negotiate: known versions are echoed, others get 2025-06-18', BOUNDED, async () => {
  await withServer('healthy-stateless', async (server) => {
    for (const [asked, answered] of [
      ['2025-11-25', '2025-11-25'],
      ['2024-11-05', '2024-11-05'],
      ['1999-01-01', '2025-06-18'],
    ]) {
      const response = await post(server.url, { ...INIT, params: { ...INIT.params, protocolVersion: asked } });
      assert.equal(response.headers.get('mcp-session-id'), null);
      assert.equal((await json(response)).result.protocolVersion, answered);
    }
  });
});

test('healthy-sse answers each request with one `event: message` and ends the stream', BOUNDED, async () => {
  await withServer('healthy-sse', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const text = await response.text();
    assert.match(text, /^event: message\ndata: \{"jsonrpc":"2\.0","id":1,"result":\{.*\}\}\n\n$/);
  });
});

test('origin-accepting answers a foreign Origin with 200', BOUNDED, async () => {
  await withServer('origin-accepting', async (server) => {
    const response = await post(server.url, INIT, { origin: 'http://evil.example' });
    assert.equal(response.status, 200);
    await response.text();
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP: transports and eras

test('sse-only: POST /sse 405, POST /mcp 404, GET /sse endpoint event, answers on the stream', BOUNDED, async () => {
  await withServer('sse-only', async (server) => {
    assert.equal(server.url, `${server.origin}/sse`);
    const postSse = await post(server.url, INIT);
    assert.equal(postSse.status, 405);
    await postSse.text();
    const postMcp = await post(`${server.origin}/mcp`, INIT);
    assert.equal(postMcp.status, 404);
    assert.match(await postMcp.text(), /<pre>Cannot POST \/mcp<\/pre>/);

    const get = await request(server.url, 'GET', { accept: 'text/event-stream' });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), 'text/event-stream');
    const stream = streamText(get);
    try {
      const endpoint = await stream.until((t) => t.includes('\n\n'), 2000);
      const match = /^event: endpoint\ndata: (\/messages\?sessionId=[0-9a-f-]{36})\n\n$/.exec(endpoint);
      assert.ok(match, endpoint);
      const accepted = await post(server.origin + match[1], INIT);
      assert.equal(accepted.status, 202);
      assert.equal(await accepted.text(), 'Accepted');
      const all = await stream.until((t) => t.split('\n\n').length > 2, 2000);
      assert.match(all.slice(endpoint.length), /^event: message\ndata: \{"jsonrpc":"2\.0","id":1,"result":\{"protocolVersion":"2025-06-18",/);
    } finally {
      await stream.cancel();
    }
  });
});

test('sse-only works with the SDK legacy SSE client', BOUNDED, async () => {
  await withServer('sse-only', async (server) => assert.deepEqual(await sdkToolNames(new SSEClientTransport(new URL(server.url))), HEALTHY_TOOLS));
});

test('sse-only-with-sibling: /sse is legacy SSE and /mcp is healthy Streamable HTTP', BOUNDED, async () => {
  await withServer('sse-only-with-sibling', async (server) => {
    assert.deepEqual(await sdkToolNames(new SSEClientTransport(new URL(server.url))), HEALTHY_TOOLS);
    assert.deepEqual(await sdkToolNames(streamableTransport(`${server.origin}/mcp`)), HEALTHY_TOOLS);
  });
});

test('sse-cross-origin-endpoint: the SDK refuses the foreign endpoint', BOUNDED, async () => {
  await withServer('sse-cross-origin-endpoint', async (server) => {
    await assert.rejects(sdkToolNames(new SSEClientTransport(new URL(server.url))), /origin/i);
  });
});

test('hybrid-sse: POST gets an SSE stream whose first event is `endpoint`, then nothing', BOUNDED, async () => {
  await withServer('hybrid-sse', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const stream = streamText(response);
    try {
      const first = await stream.until((t) => t.includes('\n\n'), 2000);
      assert.match(first, /^event: endpoint\ndata: \/messages\/\?session_id=[0-9a-f]{32}\n\n$/);
      assert.equal(await stream.until(() => false, 300), first);
    } finally {
      await stream.cancel();
    }
  });
});

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

function modernPost(url: string, method: string, params: Record<string, unknown> = {}): Promise<Response> {
  return post(
    url,
    { jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: MODERN_META } },
    { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method },
  );
}

test('modern-only: server/discover, tools/list with _meta, initialize 400 -32022, GET/DELETE 405', BOUNDED, async () => {
  await withServer('modern-only', async (server) => {
    const discover = await modernPost(server.url, 'server/discover');
    assert.equal(discover.status, 200);
    assert.equal(discover.headers.get('mcp-session-id'), null);
    assert.deepEqual(await json(discover), {
      jsonrpc: '2.0',
      id: 7,
      result: {
        resultType: 'complete',
        supportedVersions: ['2026-07-28'],
        capabilities: { tools: {} },
        ttlMs: 60000,
        cacheScope: 'public',
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'fixture-modern-only', version: '1.0.0' } },
      },
    });

    const tools = await json(modernPost(server.url, 'tools/list'));
    assert.equal(tools.result.resultType, 'complete');
    assert.deepEqual(tools.result.tools.map((t: { name: string }) => t.name), HEALTHY_TOOLS);
    assert.deepEqual(tools.result._meta, { 'io.modelcontextprotocol/serverInfo': { name: 'fixture-modern-only', version: '1.0.0' } });

    const init = await post(server.url, INIT);
    assert.equal(init.status, 400);
    assert.equal(
      await init.text(),
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2026-07-28"],"requested":"2025-06-18"}}}',
    );

    const noHeader = await post(server.url, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: MODERN_META } });
    assert.equal(noHeader.status, 400);
    assert.equal((await json(noHeader)).error.code, -32020);
    const unknown = await modernPost(server.url, 'ping');
    assert.equal(unknown.status, 404);
    assert.equal((await json(unknown)).error.code, -32601);

    for (const method of ['GET', 'DELETE']) {
      const response = await request(server.url, method);
      assert.equal(response.status, 405);
      await response.text();
    }
  });
});

test('modern-only-404 answers initialize with 404 -32601', BOUNDED, async () => {
  await withServer('modern-only-404', async (server) => {
    const init = await post(server.url, INIT);
    assert.equal(init.status, 404);
    assert.equal(await init.text(), '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}');
  });
});

test('dual-era answers server/discover and initialize', BOUNDED, async () => {
  await withServer('dual-era', async (server) => {
    const discover = await json(modernPost(server.url, 'server/discover'));
    assert.deepEqual(discover.result.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
    const init = await post(server.url, INIT);
    assert.equal((await json(init)).result.protocolVersion, '2025-06-18');
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP: authorization

const PRM_PATH = '/.well-known/oauth-protected-resource/mcp';

test('oauth-protected: 401 challenge, PRM, AS metadata, wrong token, right token', BOUNDED, async () => {
  await withServer('oauth-protected', async (server) => {
    const challenge = await post(server.url, INIT);
    assert.equal(challenge.status, 401);
    assert.equal(
      challenge.headers.get('www-authenticate'),
      `Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="${server.origin}${PRM_PATH}"`,
    );
    await challenge.text();

    assert.deepEqual(await json(request(server.origin + PRM_PATH, 'GET')), {
      resource: server.url,
      authorization_servers: [`${server.origin}/`],
      scopes_supported: ['mcp:tools'],
    });
    const metadata = await json(request(`${server.origin}/.well-known/oauth-authorization-server`, 'GET'));
    assert.equal(metadata.issuer, `${server.origin}/`);
    assert.equal(metadata.authorization_endpoint, `${server.origin}/authorize`);
    assert.equal(metadata.token_endpoint, `${server.origin}/token`);
    assert.equal(metadata.registration_endpoint, `${server.origin}/register`);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);

    const wrong = await post(server.url, INIT, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", /);
    await wrong.text();

    assert.deepEqual(await sdkToolNames(streamableTransport(server.url, { Authorization: 'Bearer good-token' })), HEALTHY_TOOLS);
  });
});

test('oauth-protected accepts the token given in opts', BOUNDED, async () => {
  await withServer(
    'oauth-protected',
    async (server) => {
      const old = await post(server.url, INIT, { authorization: 'Bearer good-token' });
      assert.equal(old.status, 401);
      await old.text();
      assert.deepEqual(await sdkToolNames(streamableTransport(server.url, { Authorization: 'Bearer s3cret' })), HEALTHY_TOOLS);
    },
    { token: 's3cret' },
  );
});

test('oauth variants: resource mismatch, no PKCE, no registration', BOUNDED, async () => {
  await withServer('oauth-resource-mismatch', async (server) => {
    assert.equal((await json(request(server.origin + PRM_PATH, 'GET'))).resource, `${server.origin}/api`);
  });
  const asMetadata = async (server: FixtureServer) =>
    json(request(`${server.origin}/.well-known/oauth-authorization-server`, 'GET'));
  await withServer('oauth-no-pkce', async (server) => {
    const metadata = await asMetadata(server);
    assert.equal('code_challenge_methods_supported' in metadata, false);
    assert.equal(metadata.registration_endpoint, `${server.origin}/register`);
  });
  await withServer('oauth-no-registration', async (server) => {
    const metadata = await asMetadata(server);
    assert.equal('registration_endpoint' in metadata, false);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  });
});

test('bearer-no-oauth: 401 Bearer realm, no metadata anywhere, the token works', BOUNDED, async () => {
  await withServer('bearer-no-oauth', async (server) => {
    const challenge = await post(server.url, INIT);
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers.get('www-authenticate'), 'Bearer realm="api"');
    await challenge.text();
    for (const path of [
      PRM_PATH,
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]) {
      const response = await request(server.origin + path, 'GET');
      assert.equal(response.status, 404, path);
      await response.text();
    }
    assert.deepEqual(await sdkToolNames(streamableTransport(server.url, { Authorization: 'Bearer good-token' })), HEALTHY_TOOLS);
  });
});

test('insufficient-scope: 401 without a token, 403 insufficient_scope with any token', BOUNDED, async () => {
  await withServer('insufficient-scope', async (server) => {
    const challenge = await post(server.url, INIT);
    assert.equal(challenge.status, 401);
    await challenge.text();
    const forbidden = await post(server.url, INIT, { authorization: 'Bearer good-token' });
    assert.equal(forbidden.status, 403);
    assert.equal(
      forbidden.headers.get('www-authenticate'),
      `Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="${server.origin}${PRM_PATH}"`,
    );
    await forbidden.text();
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP: statuses, content types, redirects

for (const [name, status, body] of [
  ['status-500', 500, 'Internal Server Error'],
  ['status-502', 502, 'Bad Gateway'],
  ['status-503', 503, 'Service Unavailable'],
] as const) {
  test(`${name} always answers ${status}`, BOUNDED, async () => {
    await withServer(name, async (server) => {
      for (const response of [await post(server.url, INIT), await request(server.url, 'GET')]) {
        assert.equal(response.status, status);
        assert.equal(response.headers.get('content-type'), 'text/plain');
        assert.equal(await response.text(), body);
      }
    });
  });
}

test('transient-503: two 503s, then healthy', BOUNDED, async () => {
  await withServer('transient-503', async (server) => {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await post(server.url, INIT);
      statuses.push(response.status);
      await response.text();
    }
    assert.deepEqual(statuses, [503, 503, 200]);
  });
});

test('html-page and not-found-html answer with HTML', BOUNDED, async () => {
  await withServer('html-page', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    const body = await response.text();
    assert.ok(body.startsWith('<!doctype html><html><head><title>Acme Dashboard – Sign in</title>'), body);
  });
  await withServer('not-found-html', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await response.text(), /^<!DOCTYPE html>\n[\s\S]*<pre>Cannot POST \/mcp<\/pre>/);
  });
});

test('wrong-content-type and missing-content-type send JSON under the wrong header', BOUNDED, async () => {
  for (const [name, contentType] of [
    ['wrong-content-type', 'text/plain'],
    ['missing-content-type', null],
  ] as const) {
    await withServer(name, async (server) => {
      const response = await post(server.url, INIT);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), contentType);
      assert.equal(JSON.parse(await response.text()).result.protocolVersion, '2025-06-18');
      await assert.rejects(sdkToolNames(streamableTransport(server.url)), /content type/i);
    });
  }
});

test('redirect-slash: 307 to /mcp/; redirect-https: 308 to https', BOUNDED, async () => {
  await withServer('redirect-slash', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.status, 307);
    assert.equal(response.headers.get('location'), '/mcp/');
    await response.text();
    const final = await post(`${server.url}/`, INIT);
    assert.equal(final.status, 200);
    await final.text();
  });
  await withServer('redirect-https', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.status, 308);
    assert.equal(response.headers.get('location'), server.url.replace('http:', 'https:'));
    await response.text();
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP: sessions and the initialized notification

for (const [name, status, body] of [
  ['stale-session-401', 401, '{"error":"unauthorized","message":"Session not found"}'],
  ['stale-session-400', 400, '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"},"id":null}'],
  ['stale-session-200', 200, '{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"Session not found"}}'],
] as const) {
  test(`${name}: an unknown session id gets ${status}`, BOUNDED, async () => {
    await withServer(name, async (server) => {
      const response = await post(server.url, TOOLS_LIST, { 'mcp-session-id': randomUUID() });
      assert.equal(response.status, status);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(await response.text(), body);
    });
  });
}

test('session-get-404: GET with a valid session gets 404', BOUNDED, async () => {
  await withServer('session-get-404', async (server) => {
    const sessionId = await initSession(server.url);
    const response = await request(server.url, 'GET', { accept: 'text/event-stream', 'mcp-session-id': sessionId });
    assert.equal(response.status, 404);
    await response.text();
  });
});

for (const [name, status, body] of [
  ['initialized-not-202', 200, '{"jsonrpc":"2.0","id":null,"result":{}}'],
  ['initialized-400', 400, '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: missing id"},"id":null}'],
] as const) {
  test(`${name}: notifications/initialized gets ${status}`, BOUNDED, async () => {
    await withServer(name, async (server) => {
      const sessionId = await initSession(server.url);
      const response = await post(server.url, INITIALIZED, { 'mcp-session-id': sessionId });
      assert.equal(response.status, status);
      assert.equal(await response.text(), body);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP: timing

test('hang-headers never sends headers (and records the request)', BOUNDED, async () => {
  await withServer('hang-headers', async (server) => {
    await assert.rejects(post(server.url, INIT, {}, 300), { name: 'TimeoutError' });
    assert.deepEqual(JSON.parse(server.requests[0]?.body ?? ''), INIT);
  });
});

test('hang-sse sends SSE headers and then nothing', BOUNDED, async () => {
  await withServer('hang-sse', async (server) => {
    const response = await post(server.url, INIT);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const stream = streamText(response);
    try {
      assert.equal(await stream.until(() => false, 300), '');
    } finally {
      await stream.cancel();
    }
  });
});

test('slow-init answers initialize after delayMs', BOUNDED, async () => {
  await withServer(
    'slow-init',
    async (server) => {
      const started = Date.now();
      const response = await post(server.url, INIT);
      assert.equal(response.status, 200);
      await response.text();
      assert.ok(Date.now() - started >= 290, `answered after ${Date.now() - started} ms`);
    },
    { delayMs: 300 },
  );
});

// ---------------------------------------------------------------------------------------------
// HTTP: initialize

test('init-version-rejected: -32602 for 2025-06-18, a result for 2024-11-05', BOUNDED, async () => {
  await withServer('init-version-rejected', async (server) => {
    const rejected = await post(server.url, INIT);
    assert.equal(rejected.status, 200);
    assert.equal(
      await rejected.text(),
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unsupported protocol version","data":{"supported":["2024-11-05"],"requested":"2025-06-18"}}}',
    );
    const accepted = await post(server.url, { ...INIT, params: { ...INIT.params, protocolVersion: '2024-11-05' } });
    assert.equal((await json(accepted)).result.protocolVersion, '2024-11-05');
  });
});

test('init-unknown-version answers 2099-01-01, which the SDK refuses', BOUNDED, async () => {
  await withServer('init-unknown-version', async (server) => {
    assert.equal((await json(post(server.url, INIT))).result.protocolVersion, '2099-01-01');
    await assert.rejects(sdkToolNames(streamableTransport(server.url)), /protocol version/i);
  });
});

test('init-invalid-result, init-jsonrpc-error, init-not-jsonrpc', BOUNDED, async () => {
  const cases: Array<[ScenarioName, string]> = [
    ['init-invalid-result', '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18"}}'],
    ['init-jsonrpc-error', '{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error: database unavailable"}}'],
    ['init-not-jsonrpc', '{"ok":true}'],
  ];
  for (const [name, body] of cases) {
    await withServer(name, async (server) => {
      const response = await post(server.url, INIT);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(await response.text(), body, name);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// HTTP: tools/list

test('tools-invalid-name lists search.docs, search_docs and a 70-character name', BOUNDED, async () => {
  await withServer('tools-invalid-name', async (server) => {
    const names = (await listTools(server.url)).result.tools.map((t: { name: string }) => t.name);
    assert.deepEqual(names.slice(0, 2), ['search.docs', 'search_docs']);
    assert.equal(names[2].length, 70);
  });
});

test('tools-invalid-schema has a tool without inputSchema and one with type string', BOUNDED, async () => {
  await withServer('tools-invalid-schema', async (server) => {
    const tools = (await listTools(server.url)).result.tools;
    assert.equal(tools[0].inputSchema.type, 'object');
    assert.equal('inputSchema' in tools[1], false);
    assert.deepEqual(tools[2].inputSchema, { type: 'string' });
  });
});

test('tools-paginated serves 5 tools over 3 pages and rejects an unknown cursor', BOUNDED, async () => {
  await withServer('tools-paginated', async (server) => {
    const sessionId = await initSession(server.url);
    const list = async (params: unknown) =>
      json(post(server.url, { ...TOOLS_LIST, params }, { 'mcp-session-id': sessionId }));
    const names: string[] = [];
    const cursors: string[] = [];
    let cursor: string | undefined;
    do {
      const { result } = await list(cursor === undefined ? {} : { cursor });
      names.push(...result.tools.map((t: { name: string }) => t.name));
      cursor = result.nextCursor;
      if (cursor !== undefined) cursors.push(cursor);
    } while (cursor !== undefined);
    assert.equal(names.length, 5);
    assert.deepEqual(cursors, ['page-2', 'page-3']);
    assert.equal((await list({ cursor: 'bogus' })).error.code, -32602);
  });
});

test('tools-list-error and tools-list-invalid', BOUNDED, async () => {
  await withServer('tools-list-error', async (server) => {
    assert.deepEqual((await listTools(server.url)).error, { code: -32601, message: 'Method not found' });
  });
  await withServer('tools-list-invalid', async (server) => {
    assert.deepEqual((await listTools(server.url)).result, { tools: 'nope' });
  });
});

// ---------------------------------------------------------------------------------------------
// stdio

const MINIMAL_ENV = { PATH: process.env.PATH ?? '' };
const stdioLine = (message: unknown) => `${JSON.stringify(message)}\n`;

/** Spawns the stdio fixture; the caller must call kill() (also safe after exit). */
function spawnStdio(mode: string, args: string[] = [], env: NodeJS.ProcessEnv = MINIMAL_ENV) {
  const child = spawn(process.execPath, [STDIO_SERVER, mode, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (data: string) => (output.stdout += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (output.stderr += data));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output,
    exited,
    send: (message: unknown) => child.stdin.write(stdioLine(message)),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function waitFor(condition: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function stdioTransport(mode: string, args: string[] = [], env?: Record<string, string>) {
  return new StdioClientTransport({ command: process.execPath, args: [STDIO_SERVER, mode, ...args], env, stderr: 'pipe' });
}

for (const [mode, args, env] of [
  ['healthy', [], undefined],
  ['banner', [], undefined], // the SDK drops the whole non-JSON line
  ['crlf', [], undefined], // the SDK strips the \r
  ['slow', ['--delay', '200'], undefined],
  ['needs-env', [], { MY_API_KEY: 'set' }],
] as const) {
  test(`SDK stdio client connects to ${mode}`, BOUNDED, async () => {
    assert.deepEqual(await sdkToolNames(stdioTransport(mode, [...args], env)), ['echo', 'add']);
  });
}

test('stdio healthy: exact initialize answer, tools/list, exits on stdin EOF', BOUNDED, async () => {
  const server = spawnStdio('healthy');
  try {
    server.send(INIT);
    server.send(INITIALIZED);
    server.send({ ...INIT, id: 2, params: { ...INIT.params, protocolVersion: '1999-01-01' } });
    server.send(TOOLS_LIST);
    assert.ok(await waitFor(() => server.output.stdout.split('\n').length > 3));
    const lines = server.output.stdout.split('\n');
    assert.equal(
      lines[0],
      '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"stdio-fixture-healthy","version":"1.0.0"}}}',
    );
    assert.equal(JSON.parse(lines[1]!).result.protocolVersion, '2025-06-18');
    assert.deepEqual(JSON.parse(lines[2]!).result.tools.map((t: { name: string }) => t.name), ['echo', 'add']);
    server.child.stdin.end();
    assert.equal(await server.exited, 0);
  } finally {
    server.kill();
  }
});

const STDOUT_SHAPES: Array<[string, RegExp]> = [
  ['banner', /^Server starting on stdio\.\.\.\n\{"jsonrpc":"2\.0","id":1,"result":\{.*\}\}\n$/],
  ['banner-glued', /^Listening\{"jsonrpc":"2\.0","id":1,"result":\{.*\}\}\n$/],
  ['pretty-json', /^\{\n {2}"jsonrpc": "2\.0",\n {2}"id": 1,\n {2}"result": \{\n[\s\S]*\n\}\n$/],
  ['crlf', /^\{"jsonrpc":"2\.0","id":1,"result":\{.*\}\}\r\n$/],
];

for (const [mode, shape] of STDOUT_SHAPES) {
  test(`stdio ${mode}: exact stdout bytes around the initialize answer`, BOUNDED, async () => {
    const server = spawnStdio(mode);
    try {
      server.send(INIT);
      assert.ok(await waitFor(() => /\}\r?\n$/.test(server.output.stdout)), server.output.stdout);
      await sleep(50); // nothing else may follow
      assert.match(server.output.stdout, shape);
    } finally {
      server.kill();
    }
  });
}

test('stdio exit-early: stderr says the module is missing, exit 1, no stdout', BOUNDED, async () => {
  const server = spawnStdio('exit-early');
  try {
    server.send(INIT);
    assert.equal(await server.exited, 1);
    assert.equal(server.output.stdout, '');
    assert.match(server.output.stderr, /^Error: Cannot find module 'better-sqlite3'$/m);
  } finally {
    server.kill();
  }
});

test('stdio needs-env: exits 1 naming the variable unless it is set', BOUNDED, async () => {
  for (const [args, name] of [
    [[], 'MY_API_KEY'],
    [['--var', 'ACME_TOKEN'], 'ACME_TOKEN'],
  ] as const) {
    const server = spawnStdio('needs-env', [...args], { ...MINIMAL_ENV, MY_API_KEY: '' });
    try {
      assert.equal(await server.exited, 1);
      assert.equal(server.output.stderr, `Error: ${name} environment variable is required\n`);
    } finally {
      server.kill();
    }
  }
  const server = spawnStdio('needs-env', ['--var', 'ACME_TOKEN'], { ...MINIMAL_ENV, ACME_TOKEN: 'x' });
  try {
    server.send(INIT);
    assert.ok(await waitFor(() => server.output.stdout.includes('\n')));
  } finally {
    server.kill();
  }
});

test('stdio slow: answers initialize after --delay', BOUNDED, async () => {
  const server = spawnStdio('slow', ['--delay', '300']);
  try {
    const started = Date.now();
    server.send(INIT);
    assert.ok(await waitFor(() => server.output.stdout.includes('\n')));
    assert.ok(Date.now() - started >= 290);
  } finally {
    server.kill();
  }
});

test('stdio hang: never answers, exits on stdin EOF', BOUNDED, async () => {
  const server = spawnStdio('hang');
  try {
    server.send(INIT);
    await sleep(300);
    assert.equal(server.output.stdout, '');
    server.child.stdin.end();
    assert.equal(await server.exited, 0);
  } finally {
    server.kill();
  }
});

test('stdio ignore-eof: survives stdin EOF and SIGTERM', BOUNDED, async () => {
  const server = spawnStdio('ignore-eof');
  try {
    server.send(INIT);
    assert.ok(await waitFor(() => server.output.stdout.includes('\n')));
    server.child.stdin.end();
    await sleep(200);
    server.child.kill('SIGTERM');
    await sleep(200);
    assert.equal(server.child.exitCode, null);
    assert.equal(server.child.signalCode, null);
  } finally {
    server.kill();
  }
});

test('stdio fork-stubborn: the grandchild ignores SIGTERM and outlives its parent', BOUNDED, async () => {
  const server = spawnStdio('fork-stubborn');
  let grandchild = 0;
  try {
    assert.ok(await waitFor(() => /grandchild pid \d+\n/.test(server.output.stderr)));
    grandchild = Number(/grandchild pid (\d+)/.exec(server.output.stderr)![1]);
    server.send(INIT);
    assert.ok(await waitFor(() => server.output.stdout.includes('\n')));
    server.child.stdin.end();
    assert.equal(await server.exited, 0);
    process.kill(grandchild, 'SIGTERM');
    await sleep(200);
    assert.ok(isAlive(grandchild));
  } finally {
    server.kill();
    if (grandchild && isAlive(grandchild)) process.kill(grandchild, 'SIGKILL');
  }
});

test('stdio tools-invalid-name, jsonrpc-error-init, version-rejected', BOUNDED, async () => {
  const answers = async (mode: string, messages: unknown[]) => {
    const server = spawnStdio(mode);
    try {
      for (const message of messages) server.send(message);
      assert.ok(await waitFor(() => server.output.stdout.split('\n').length > messages.length));
      return server.output.stdout.trim().split('\n').map((line) => JSON.parse(line));
    } finally {
      server.kill();
    }
  };
  const [, tools] = await answers('tools-invalid-name', [INIT, TOOLS_LIST]);
  const names = tools.result.tools.map((t: { name: string }) => t.name);
  assert.deepEqual(names.slice(0, 2), ['search.docs', 'search_docs']);
  assert.equal(names[2].length, 70);
  const [initError] = await answers('jsonrpc-error-init', [INIT]);
  assert.deepEqual(initError.error, { code: -32603, message: 'Internal error: database unavailable' });
  const [rejected, accepted] = await answers('version-rejected', [INIT, { ...INIT, id: 2, params: { ...INIT.params, protocolVersion: '2024-11-05' } }]);
  assert.deepEqual(rejected.error.data, { supported: ['2024-11-05'], requested: '2025-06-18' });
  assert.equal(accepted.result.protocolVersion, '2024-11-05');
});

test('stdio print-env lists the variable names it received', BOUNDED, async () => {
  const transport = stdioTransport('print-env', [], { ACME_FLAG: '1' });
  const client = new Client({ name: 'fixtures-sanity', version: '0' });
  try {
    await client.connect(transport, { timeout: 5000 });
    const result = await client.callTool({ name: 'print_env', arguments: {} }, undefined, { timeout: 5000 });
    const names = JSON.parse((result.content as Array<{ text: string }>)[0]!.text);
    assert.ok(names.includes('ACME_FLAG'));
  } finally {
    await client.close();
  }
});
