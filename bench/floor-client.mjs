#!/usr/bin/env node
// THE FLOOR: the least any client must do to learn that a server works. One process, every
// server at once, exactly initialize + notifications/initialized + tools/list, with no checks,
// no probes, no report. Plain fetch (undici) for Streamable HTTP, child_process for stdio.
//
//   node bench/floor-client.mjs TARGETS.json [--probes | --deep-probes]
//
// --probes: for Streamable HTTP, also send the four further requests a default `mcp-doctor check`
// sends to a healthy local server (GET stream, unknown session, foreign Origin, DELETE: 7 in all);
// --deep-probes: the nine of `check --deep` (also server/discover, missing session, missing /
// unsupported MCP-Protocol-Version, ended session: 12 in all). One after another, with no
// analysis: the floor for the same conversation, to tell what the doctor asks apart from how
// efficiently it asks.
//
// TARGETS.json: [{ "url": "http://..." } | { "command": "node", "args": [...] }, ...]
// Prints `{ "ok": N, "failed": M, "tools": T }` and exits 1 when a server failed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const INITIALIZE = {
  protocolVersion: '2025-06-18',
  capabilities: { elicitation: { form: {}, url: {} } },
  clientInfo: { name: 'floor-client', version: '0' },
};
const rpc = (id, method, params) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

/** The JSON-RPC answer in a JSON body or in the first SSE `data:` event that carries one. */
async function readAnswer(response) {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text);
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const message = JSON.parse(line.slice(5));
    if (message.id !== undefined) return message;
  }
  throw new Error('no answer in the event stream');
}

const DEEP = process.argv.includes('--deep-probes');
const PROBES = DEEP || process.argv.includes('--probes');

async function checkHttp(url) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const send = async (extra, body, method = 'POST') => (await fetch(url, { method, headers: { ...headers, ...extra }, body })).arrayBuffer();
  const init = await fetch(url, { method: 'POST', headers, body: rpc(0, 'initialize', INITIALIZE) });
  const session = init.headers.get('mcp-session-id');
  const answer = await readAnswer(init);
  const version = { 'mcp-protocol-version': answer.result.protocolVersion };
  const next = { ...headers, ...version, ...(session ? { 'mcp-session-id': session } : {}) };
  if (DEEP) await send({ 'mcp-protocol-version': '2026-07-28' }, rpc('d', 'server/discover', {}));
  await (await fetch(url, { method: 'POST', headers: next, body: INITIALIZED })).arrayBuffer();
  if (PROBES) {
    await send({ ...next, accept: 'text/event-stream' }, undefined, 'GET');
    await send({ ...version, 'mcp-session-id': 'unknown' }, rpc(2, 'tools/list', {}));
    if (DEEP) {
      await send(version, rpc(3, 'tools/list', {}));
      await send({ 'mcp-session-id': session ?? '' }, rpc(4, 'tools/list', {}));
      await send({ 'mcp-session-id': session ?? '', 'mcp-protocol-version': '1999-01-01' }, rpc(5, 'tools/list', {}));
    }
    await send({ origin: 'http://evil.example' }, rpc(6, 'initialize', INITIALIZE));
  }
  const list = await readAnswer(await fetch(url, { method: 'POST', headers: next, body: rpc(1, 'tools/list', {}) }));
  if (PROBES) {
    await send(next, undefined, 'DELETE');
    if (DEEP) await send(next, rpc(7, 'tools/list', {}));
  }
  return list.result.tools.length;
}

function checkStdio(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let tools;
    child.on('error', reject);
    child.on('exit', () => (tools === undefined ? reject(new Error(`${command} exited`)) : resolve(tools)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.id === 0) child.stdin.write(`${INITIALIZED}\n${rpc(1, 'tools/list', {})}\n`);
      if (message.id === 1) {
        tools = message.result.tools.length;
        child.stdin.end();
      }
    });
    child.stdin.write(`${rpc(0, 'initialize', INITIALIZE)}\n`);
  });
}

const targets = JSON.parse(readFileSync(process.argv.slice(2).find((a) => !a.startsWith('--')), 'utf8'));
const results = await Promise.allSettled(targets.map((t) => (t.url ? checkHttp(t.url) : checkStdio(t.command, t.args ?? []))));
const ok = results.filter((r) => r.status === 'fulfilled');
process.stdout.write(`${JSON.stringify({ ok: ok.length, failed: results.length - ok.length, tools: ok.reduce((n, r) => n + r.value, 0) })}\n`);
process.exitCode = ok.length === results.length ? 0 : 1;
