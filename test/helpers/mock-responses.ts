// A small mock of the OpenAI Responses API on 127.0.0.1, for the turn-level Codex oracle
// (codex-turn-oracle.ts). Codex talks to it through a `model_providers` entry with
// `base_url = "http://127.0.0.1:PORT/v1"` and `wire_api = "responses"`.
//
// Every request is recorded (method, path, parsed JSON body). A POST to `/v1/responses` is
// answered with a streamed Responses reply (`text/event-stream`), shaped as Codex's parser reads
// it (codex-rs/codex-api/src/sse/responses.rs): `event: <type>\ndata: <json>\n\n` frames of
// `response.created`, one `response.output_item.done` per output item, then `response.completed`
// with the response id and usage. Codex only finishes the turn on `response.completed`.
// What the reply says is decided per request by `reply(body, n)`: a function call (the model
// calling a tool), an assistant message (ends the turn), or a plain HTTP error.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  path: string;
  /** The JSON body, or the raw text when it does not parse (undefined for an empty body). */
  body: any;
  /** Whether an `Authorization: Bearer <key>` header came with it (the key itself is not kept). */
  bearer: boolean;
}

export type MockReply =
  | { functionCall: { name: string; namespace?: string; arguments: string; callId?: string } }
  | { message: string }
  | { status: number; body: string };

export interface MockResponsesOptions {
  /** The reply to the n-th `/responses` request (0-based). Default: a final message "done". */
  reply?: (body: any, n: number) => MockReply | Promise<MockReply>;
  /** The bearer key the mock expects (requests without it get 401). */
  apiKey?: string;
}

export interface MockResponses {
  /** `http://127.0.0.1:PORT/v1`, the provider's `base_url`. */
  baseUrl: string;
  requests: CapturedRequest[];
  /** The `/responses` POSTs only, in order. */
  responses(): CapturedRequest[];
  /** Resolves true once `pred` holds (checked on every request), false after `ms`. */
  until(pred: () => boolean, ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Serialises a reply as the SSE stream Codex reads. */
export function sseFrames(reply: Exclude<MockReply, { status: number }>, n: number): string {
  const id = `resp_mock_${n}`;
  const item =
    'functionCall' in reply
      ? {
          type: 'function_call',
          id: `fc_mock_${n}`,
          call_id: reply.functionCall.callId ?? `call_mock_${n}`,
          name: reply.functionCall.name,
          ...(reply.functionCall.namespace !== undefined ? { namespace: reply.functionCall.namespace } : {}),
          arguments: reply.functionCall.arguments,
          status: 'completed',
        }
      : { type: 'message', id: `msg_mock_${n}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.message, annotations: [] }] };
  const events = [
    { type: 'response.created', response: { id, object: 'response', status: 'in_progress', output: [] } },
    { type: 'response.output_item.added', output_index: 0, item },
    { type: 'response.output_item.done', output_index: 0, item },
    {
      type: 'response.completed',
      response: {
        id,
        object: 'response',
        status: 'completed',
        output: [item],
        usage: { input_tokens: 1, input_tokens_details: { cached_tokens: 0 }, output_tokens: 1, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 2 },
      },
    },
  ];
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

/** Starts the mock on 127.0.0.1 (an ephemeral port). Close it when done. */
export async function startMockResponses(opts: MockResponsesOptions = {}): Promise<MockResponses> {
  const requests: CapturedRequest[] = [];
  const waiters = new Set<() => void>();
  let served = 0;
  const reply = opts.reply ?? (() => ({ message: 'done' }));

  const handle = async (req: IncomingMessage, res: ServerResponse, text: string) => {
    let body: any;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const auth = String(req.headers.authorization ?? '');
    const captured: CapturedRequest = { method: req.method ?? '', path: req.url ?? '', body, bearer: /^Bearer\s+\S/.test(auth) };
    requests.push(captured);
    for (const w of [...waiters]) w();

    if (opts.apiKey !== undefined && auth !== `Bearer ${opts.apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"mock: missing or wrong API key","type":"invalid_request_error"}}');
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').split('?')[0]!.endsWith('/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"mock: not found"}}');
      return;
    }
    const n = served++;
    let r: MockReply;
    try {
      r = await reply(body, n);
    } catch (error) {
      r = { status: 500, body: JSON.stringify({ error: { message: `mock reply threw: ${(error as Error).message}` } }) };
    }
    if ('status' in r) {
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end(sseFrames(r, n));
  };

  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      // Bounded: a Codex request with every tool is well under this.
      if (text.length < 32 * 1024 * 1024) text += c;
    });
    req.on('end', () => {
      handle(req, res, text).catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    responses: () => requests.filter((r) => r.method === 'POST' && r.path.split('?')[0]!.endsWith('/responses')),
    until: (pred, ms) =>
      new Promise((resolve) => {
        if (pred()) return resolve(true);
        const done = (v: boolean) => {
          clearTimeout(t);
          waiters.delete(check);
          resolve(v);
        };
        const t = setTimeout(() => done(false), Math.max(0, ms));
        const check = () => {
          if (pred()) done(true);
        };
        waiters.add(check);
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
