import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StdoutLineReader, findGluedMessage, type StdoutEvent } from '../src/transports/stdio/stdout-lines.ts';

const msg = { jsonrpc: '2.0', id: 1, result: { ok: true, text: 'a } brace { in a string' } };
const line = JSON.stringify(msg);

function read(chunks: string[]): StdoutEvent[] {
  const reader = new StdoutLineReader();
  const events = chunks.flatMap((c) => reader.push(Buffer.from(c)));
  return [...events, ...reader.end()];
}

const kinds = (events: StdoutEvent[]) => events.map((e) => (e.kind === 'message' ? 'message' : e.noise));

describe(StdoutLineReader.name, () => {
  test('one JSON-RPC message per line, split across chunks anywhere', () => {
    const text = `${line}\n${line}\n`;
    for (let cut = 1; cut < text.length; cut += 7) {
      const events = read([text.slice(0, cut), text.slice(cut)]);
      assert.deepEqual(kinds(events), ['message', 'message'], `cut at ${cut}`);
    }
  });

  test('a multi-byte character split between chunks survives', () => {
    const text = `${JSON.stringify({ jsonrpc: '2.0', id: 2, result: { s: 'héllo ✓' } })}\n`;
    const bytes = Buffer.from(text);
    const at = bytes.indexOf(Buffer.from('✓')) + 1;
    const reader = new StdoutLineReader();
    const events = [...reader.push(bytes.subarray(0, at)), ...reader.push(bytes.subarray(at))];
    assert.equal(events.length, 1);
    assert.equal(events[0]!.kind, 'message');
  });

  test('a whole banner line is a non-JSON line; the message after it is intact', () => {
    const events = read([`Server starting on stdio...\n${line}\n`]);
    assert.deepEqual(kinds(events), ['non-json-line', 'message']);
  });

  test('JSON that is not JSON-RPC (structured logs) is its own kind', () => {
    assert.deepEqual(kinds(read(['{"level":30,"msg":"started"}\n'])), ['not-jsonrpc']);
  });

  test('text glued before a message is detected and the message recovered', () => {
    const events = read([`Listening${line}\n`]);
    assert.deepEqual(kinds(events), ['glued']);
    const event = events[0]!;
    assert.equal(event.kind, 'noise');
    assert.deepEqual(event.kind === 'noise' ? event.message : undefined, msg);
  });

  test('text glued after a message is detected too', () => {
    const found = findGluedMessage(`${line} done`);
    assert.deepEqual(found?.message, msg);
    assert.equal(found?.after, ' done');
  });

  test('a pretty-printed message over several lines is one multi-line event', () => {
    const pretty = JSON.stringify(msg, null, 2);
    const events = read([`${pretty}\n${line}\n`]);
    assert.deepEqual(kinds(events), ['multi-line', 'message']);
    const first = events[0]!;
    assert.deepEqual(first.kind === 'noise' ? first.message : undefined, msg);
  });

  test('a bracketed log line is not taken for the start of a JSON value', () => {
    assert.deepEqual(kinds(read([`[INFO] ready\n${line}\n`])), ['non-json-line', 'message']);
  });

  test('an unclosed value is flushed as plain lines when a real message arrives', () => {
    assert.deepEqual(kinds(read([`{ not json\nstill not\n${line}\n`])), ['non-json-line', 'non-json-line', 'message']);
  });

  test('CRLF endings are tolerated and flagged', () => {
    const events = read([`${line}\r\n`]);
    assert.deepEqual(kinds(events), ['message']);
    assert.equal(events[0]!.crlf, true);
  });

  test('a final message with no newline is reported at end of output', () => {
    const events = read([line]);
    assert.deepEqual(kinds(events), ['glued']);
  });
});
