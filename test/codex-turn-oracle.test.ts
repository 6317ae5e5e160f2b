// The turn-level Codex oracle itself (test/helpers/codex-turn-oracle.ts): a real `codex exec`
// turn against the mock Responses API (test/helpers/mock-responses.ts) on 127.0.0.1. The mock
// plays the model: it calls an MCP tool, Codex runs it against the server, and the result comes
// back to the mock in Codex's next request. Bounded, and nothing is left running.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { codexAvailable } from './helpers/codex-oracle.ts';
import { runCodexTurn } from './helpers/codex-turn-oracle.ts';
import { sseFrames, startMockResponses } from './helpers/mock-responses.ts';

const SERVER = new URL('../fixtures/model-view/tools-server.mjs', import.meta.url).pathname;
const MARK = `mcp-doctor-turn-oracle-test-${process.pid}`;
const skip = codexAvailable() ? false : 'the Codex CLI is not installed (set CODEX_ORACLE_BIN or MCP_DOCTOR_TEST_CACHE)';
const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-turn-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function toolsFile(name: string, tools: unknown[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(tools));
  return path;
}

function stdioServer(name: string, file: string, extra = ''): string {
  return `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${[SERVER, file, MARK].map((a) => JSON.stringify(a)).join(', ')}]\n${extra}\n`;
}

function leftovers(): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(MARK) && !l.includes('ps -eo'));
}

describe('mock Responses API', () => {
  it('answers with the SSE frames Codex reads, and refuses a wrong key', async () => {
    const mock = await startMockResponses({ apiKey: 'k1', reply: () => ({ functionCall: { name: 'echo', namespace: 'mcp__s', arguments: '{}' } }) });
    try {
      const ok = await fetch(`${mock.baseUrl}/responses`, { method: 'POST', headers: { authorization: 'Bearer k1', 'content-type': 'application/json' }, body: '{"tools":[]}' });
      assert.equal(ok.headers.get('content-type'), 'text/event-stream');
      const text = await ok.text();
      const events = text
        .split('\n\n')
        .filter(Boolean)
        .map((frame) => JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
      assert.deepEqual(events.map((e) => e.type), ['response.created', 'response.output_item.added', 'response.output_item.done', 'response.completed']);
      assert.equal(events[2].item.type, 'function_call');
      assert.equal(events[2].item.namespace, 'mcp__s');
      assert.equal(typeof events[3].response.id, 'string');
      const bad = await fetch(`${mock.baseUrl}/responses`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' });
      assert.equal(bad.status, 401);
      await bad.text();
      assert.equal(mock.responses().length, 2);
      assert.deepEqual(mock.responses()[0]!.body, { tools: [] });
      assert.equal(mock.requests.every((r) => r.bearer), true);
    } finally {
      await mock.close();
    }
    assert.match(sseFrames({ message: 'hi' }, 0), /"type":"output_text","text":"hi"/);
  });
});

describe('turn-level Codex oracle (codex exec)', { skip }, () => {
  it('captures the tools offered, makes a call through the mock, and captures the result Codex sends back', { timeout: 90_000 }, async () => {
    const file = toolsFile('echo', [{ name: 'echo', description: 'Echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }]);
    const turn = await runCodexTurn(stdioServer('fx', file), {
      waitFor: ['mcp__fx'],
      call: (tools) => {
        const t = tools.find((x) => x.namespace === 'mcp__fx' && x.name === 'echo');
        return t && { namespace: t.namespace, name: t.name, arguments: { text: 'hello from the mock model' } };
      },
    });
    assert.equal(turn.timedOut, false, turn.stderr);
    assert.equal(turn.exitCode, 0, turn.stderr);
    assert.match(turn.version, /^\d+\.\d+\.\d+/);
    // What the model is offered: the server's tool in its namespace, as a non-strict function.
    assert.deepEqual(turn.namespaces.mcp__fx, [
      { namespace: 'mcp__fx', name: 'echo', description: 'Echo', strict: false, parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
    ]);
    // Codex's own tools are there too, outside the MCP namespace.
    assert.ok(turn.tools.some((t) => t.namespace === undefined), turn.tools.map((t) => t.name).join(' '));
    // The call reached the server, and its answer went back to the model.
    assert.equal(turn.call?.name, 'echo');
    const output = JSON.stringify(turn.callOutput?.output);
    assert.match(output, /called echo with \{\\"text\\":\\"hello from the mock model\\"\}/);
    const item = turn.events.find((e) => e.type === 'item.completed' && e.item?.type === 'mcp_tool_call');
    assert.equal(item?.item?.server, 'fx');
    assert.equal(item?.item?.status, 'completed');
    assert.equal(turn.finalMessage, 'mcp-doctor mock model: done');
    assert.equal(turn.waited, true);
    // One request per wait step, then the one offering the tools, then the one carrying the result.
    assert.equal(turn.requests.filter((r) => r.path.endsWith('/responses')).length, turn.offeredAt + 2);
    assert.deepEqual(leftovers(), []);
  });

  it('a call to a tool that is not offered: Codex answers the model with an error, the turn still ends', { timeout: 90_000 }, async () => {
    const file = toolsFile('one', [{ name: 'echo', inputSchema: { type: 'object' } }]);
    const turn = await runCodexTurn(stdioServer('fx', file), { waitFor: ['mcp__fx'], call: () => ({ namespace: 'mcp__fx', name: 'no_such_tool', arguments: {} }) });
    assert.equal(turn.exitCode, 0, turn.stderr);
    assert.ok(turn.callOutput, 'Codex sends a function_call_output for the unknown call');
    assert.doesNotMatch(JSON.stringify(turn.callOutput!.output), /called no_such_tool/);
    assert.deepEqual(leftovers(), []);
  });

  // Codex 0.171 exec does not hold the first model request for a server that never answers (it
  // went ahead after ~4 s with startup_timeout_sec = 60), so the bound here is shorter than that.
  it('waiting for a server that never comes: the wait is bounded, the turn goes on without it', { timeout: 90_000 }, async () => {
    const hang = join(dir, 'hang-wait.mjs');
    writeFileSync(hang, `process.stdin.resume(); setInterval(() => {}, 1000); // ${MARK}\n`);
    const file = toolsFile('echo2', [{ name: 'echo', inputSchema: { type: 'object' } }]);
    const config = stdioServer('fx', file) + `[mcp_servers.hang]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(hang)}, ${JSON.stringify(MARK)}]\nstartup_timeout_sec = 60\n`;
    const turn = await runCodexTurn(config, { waitFor: ['mcp__fx', 'mcp__hang'], waitMs: 3000 });
    assert.equal(turn.waited, false);
    assert.equal(turn.exitCode, 0, turn.stderr);
    assert.ok(turn.namespaces.mcp__fx, Object.keys(turn.namespaces).join(' '));
    assert.equal(turn.namespaces.mcp__hang, undefined);
    assert.deepEqual(leftovers(), []);
  });

  it('bounded: a server that never answers initialize, a bound shorter than the turn: the run ends and nothing is left running', { timeout: 60_000 }, async () => {
    const hang = join(dir, 'hang.mjs');
    writeFileSync(hang, `process.stdin.resume(); setInterval(() => {}, 1000); // ${MARK}\n`);
    const config = `[mcp_servers.hang]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(hang)}, ${JSON.stringify(MARK)}]\nstartup_timeout_sec = 60\n`;
    // The mock keeps the turn going (it waits for the server that never comes, for longer than the
    // bound): without that, Codex may send its first request early and the turn can end within
    // the bound (seen in CI at ~1.5 s), which is not what this test is about.
    const turn = await runCodexTurn(config, { timeoutMs: 1500, waitFor: ['mcp__hang'], waitMs: 30_000 });
    assert.equal(turn.timedOut, true);
    assert.deepEqual(leftovers(), []);
  });
});
