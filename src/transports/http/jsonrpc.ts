import type { Exchange } from './http-exchange.ts';
import { rememberSource } from '../codex-wire.ts';

/** JSON-RPC 2.0 framing for the HTTP probes, and reading an answer out of a JSON or SSE body. */

export type RpcId = string | number;

export function rpcRequest(id: RpcId, method: string, params?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });
}

export function rpcNotification(method: string, params?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', method, ...(params !== undefined && { params }) });
}

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcAnswer =
  | { kind: 'result'; result: unknown; message: Record<string, unknown> }
  | { kind: 'error'; error: RpcError; message: Record<string, unknown> }
  /** No usable answer; `problem` says why in one clause ("the body is not JSON"). */
  | { kind: 'invalid'; problem: string; body?: unknown };

/** The answer to request `id` in a response (JSON body, or the SSE events read). */
export function readAnswer(exchange: Exchange, id: RpcId): RpcAnswer {
  const res = exchange.response;
  if (!res) return { kind: 'invalid', problem: 'no response' };
  if (res.sse) {
    const events = res.sse.events.filter((e) => e.kind === 'jsonrpc');
    for (const event of events) {
      if (event.invalidJson) continue;
      const answer = asAnswer(event.message, id);
      if (answer) return answer;
    }
    const bad = events.find((e) => e.invalidJson);
    if (bad) return { kind: 'invalid', problem: `an event's data is not JSON (${clip(bad.data)})` };
    if (res.sse.ended === 'stalled') return { kind: 'invalid', problem: 'the event stream stalled before the answer' };
    return {
      kind: 'invalid',
      problem:
        res.sse.events.length === 0
          ? 'the event stream ended without any event'
          : `the event stream ended after ${res.sse.events.length} event(s) without the answer to this request`,
    };
  }
  if (res.body.trim() === '') return { kind: 'invalid', problem: 'the body is empty' };
  let value: unknown;
  try {
    value = JSON.parse(res.body);
    rememberSource(value, res.body);
  } catch {
    return { kind: 'invalid', problem: `the body is not JSON (${clip(res.body)})` };
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const answer = asAnswer(item, id);
      if (answer) return answer;
    }
    return { kind: 'invalid', problem: 'the body is a JSON array without the answer to this request', body: value };
  }
  const answer = asAnswer(value, id);
  if (answer) return answer;
  return { kind: 'invalid', problem: describeNonAnswer(value, id), body: value };
}

/** A JSON-RPC error body as sent with a non-2xx status (id may be null or absent). */
export function errorBody(text: string): RpcError | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (isObject(value) && isObject(value.error) && typeof value.error.code === 'number') {
      return { code: value.error.code, message: String(value.error.message ?? ''), ...(value.error.data !== undefined && { data: value.error.data }) };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

function asAnswer(value: unknown, id: RpcId): RpcAnswer | undefined {
  if (!isObject(value) || !sameId(value.id, id)) return undefined;
  if ('error' in value && isObject(value.error)) {
    const e = value.error;
    return {
      kind: 'error',
      error: { code: typeof e.code === 'number' ? e.code : NaN, message: typeof e.message === 'string' ? e.message : '', ...(e.data !== undefined && { data: e.data }) },
      message: value,
    };
  }
  if ('result' in value) {
    if (value.jsonrpc !== '2.0') return { kind: 'invalid', problem: 'the answer lacks "jsonrpc": "2.0"', body: value };
    return { kind: 'result', result: value.result, message: value };
  }
  return { kind: 'invalid', problem: 'the answer has neither "result" nor "error"', body: value };
}

function describeNonAnswer(value: unknown, id: RpcId): string {
  if (!isObject(value)) return `the body is JSON but not a JSON-RPC object (${clip(JSON.stringify(value))})`;
  if (!('jsonrpc' in value) && !('result' in value) && !('error' in value)) return `the body is JSON but not JSON-RPC (${clip(JSON.stringify(value))})`;
  return `the answer's id is ${JSON.stringify(value.id)}, not ${JSON.stringify(id)}`;
}

/**
 * A response's id matches the request's: the same value, or the request's number sent back as a
 * string ("0" for 0), which Codex 0.171.0 (rmcp) accepts over HTTP as over stdio (measured).
 */
export function sameId(answer: unknown, request: RpcId): boolean {
  return answer === request || (typeof answer === 'string' && typeof request === 'number' && answer === String(request));
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string, max = 120): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
