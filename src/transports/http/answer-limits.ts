import { makeFinding } from '../../findings/make-finding.ts';
import { HTTP_MAX_BODY_BYTES, HTTP_MAX_DECODED_BYTES, JSON_MAX_VALUES, LARGE_ANSWER_BYTES, LARGE_ANSWER_SLOTS, mib, SSE_MAX_EVENTS } from '../../limits.ts';

/** Why an answer was left unread when its server waited too long for a large-answer slot (stdio and HTTP). */
export const LARGE_ANSWER_WAIT = `longer than ${mib(LARGE_ANSWER_BYTES)}, it waited for one of the ${LARGE_ANSWER_SLOTS} servers' worth of memory mcp-doctor gives large answers (other servers checked at once held them) until the deadline passed; check this server alone or with --concurrency 1`;
import type { ServerContext, StageOutcome } from '../../pipeline/context.ts';
import { describeWireProblem, wireProblems, type WireProblem } from '../codex-wire.ts';
import type { StageName } from '../../types.ts';
import type { Exchange } from './http-exchange.ts';
import { isObject, type RpcId, sameId } from './jsonrpc.ts';

/**
 * An HTTP answer checked against the doctor's bounds and Codex's JSON reader, before anything
 * reads its content: a body cut off at a limit (Codex reads any size: a warning that says what was
 * not verified, never a verdict Codex would contradict), a compression bomb, and a message that
 * serde_json refuses (too deep, lone surrogate, invalid UTF-8: Codex fails). Undefined: go on.
 */
export function httpAnswerLimits(ctx: ServerContext, exchange: Exchange, id: RpcId, request: 'initialize' | 'tools/list', stage: StageName): StageOutcome | undefined {
  const res = exchange.response;
  if (!res) return undefined;
  const name = ctx.server.name;
  if (res.truncated && res.cutBy !== undefined) {
    const evidence = { request, status: res.status, contentType: res.headers['content-type'] ?? null, cutAtBytes: res.cutAtBytes, ...(res.decoded && { contentEncoding: res.decoded }) };
    if (res.cutBy === 'compression-bomb') {
      return {
        summary: `compression bomb: the answer expands past ${mib(HTTP_MAX_DECODED_BYTES)}`,
        findings: [
          makeFinding('wire.compression-bomb', {
            stage,
            message: `Compression bomb: the ${res.decoded} answer of "${name}" to ${request} expands past ${mib(HTTP_MAX_DECODED_BYTES)}, so mcp-doctor stopped decoding it and did not verify it. Codex decodes it without a limit.`,
            evidence: { ...evidence, limitBytes: HTTP_MAX_DECODED_BYTES },
          }),
        ],
      };
    }
    if (res.cutBy === 'values') {
      return {
        summary: `an answer with more than ${JSON_MAX_VALUES} JSON values, too large to parse (not verified)`,
        findings: [
          makeFinding('wire.answer-too-large', {
            stage,
            severity: 'warning',
            message: `The answer of "${name}" to ${request} holds more than ${JSON_MAX_VALUES} JSON values (${res.cutAtBytes ?? 0} bytes). mcp-doctor does not parse an answer this large (parsing it alone could take hundreds of MB), so it did not verify it. Codex reads it and may use the server; check it with \`mcp-doctor check --codex\`.`,
            evidence: { ...evidence, limitValues: JSON_MAX_VALUES, valuesAtLeast: res.values },
          }),
        ],
      };
    }
    const what =
      res.cutBy === 'events'
        ? `after ${SSE_MAX_EVENTS} events without the answer`
        : res.cutBy === 'budget'
          ? `at ${mib(res.cutAtBytes ?? 0)}: ${LARGE_ANSWER_WAIT}`
          : `at ${mib(HTTP_MAX_BODY_BYTES)}`;
    return {
      summary: `the answer was cut off ${what} (not verified past it)`,
      findings: [
        makeFinding('wire.answer-too-large', {
          stage,
          severity: 'warning',
          message: `The answer of "${name}" to ${request} was cut off ${what}: mcp-doctor reads no more than that of one answer, so it did not verify the rest. Codex reads answers of any size and may still use the server; check it with \`mcp-doctor check --codex\`.`,
          evidence: { ...evidence, limitBytes: HTTP_MAX_BODY_BYTES, ...(res.cutBy === 'events' && { limitEvents: SSE_MAX_EVENTS }) },
        }),
      ],
    };
  }
  // rmcp (Codex 0.171.0) compares the Content-Type as written, case included: "Application/JSON"
  // or "TEXT/EVENT-STREAM" fail ("Unexpected content type: Some(…)", measured); undici and the
  // doctor's own reading compare media types without case, as HTTP says.
  const written = res.headers['content-type'];
  const essence = written?.split(';')[0]!.trim().toLowerCase();
  if (written !== undefined && res.status < 300 && (essence === 'application/json' || essence === 'text/event-stream') && !written.trimStart().startsWith(essence)) {
    return {
      summary: `Content-Type "${ctx.redact.text(written)}", which Codex does not read`,
      findings: [
        makeFinding('wire.content-type-case', {
          stage,
          message: `The answer of "${name}" to ${request} has Content-Type "${ctx.redact.text(written)}". Media types are case-insensitive in HTTP, but Codex compares the header as written and fails ("Unexpected content type: Some(\"${ctx.redact.text(written)}\")").`,
          evidence: { request, status: res.status, contentType: ctx.redact.text(written) },
        }),
      ],
    };
  }
  if (res.contentEncoding !== undefined) {
    return {
      summary: `an answer with Content-Encoding ${res.contentEncoding}, which Codex does not decode`,
      findings: [
        makeFinding('wire.content-encoding', {
          stage,
          message: `The answer of "${name}" to ${request} is compressed with Content-Encoding "${ctx.redact.text(res.contentEncoding)}". Codex decodes gzip only: it reads these bytes as JSON and fails ("Deserialize error: expected value at line 1 column 1").`,
          evidence: { request, status: res.status, contentEncoding: ctx.redact.text(res.contentEncoding) },
        }),
      ],
    };
  }
  let problems: WireProblem[] = [];
  if (res.sse) {
    const event = res.sse.events.find((e) => e.kind === 'jsonrpc' && isObject(e.message) && sameId(e.message.id, id));
    if (event) problems = wireProblems(event.data, { invalidUtf8: res.invalidUtf8 && event.data.includes('\uFFFD') });
  } else if (res.body !== '') {
    problems = wireProblems(res.body, { invalidUtf8: res.invalidUtf8 });
  }
  if (problems.length === 0) return undefined;
  return {
    summary: `an answer Codex cannot read (${problems.map((p) => p.codexSays).join(', ')})`,
    findings: [
      makeFinding('wire.codex-unreadable', {
        stage,
        message: `The answer of "${name}" to ${request} is JSON that Codex cannot read: ${problems.map(describeWireProblem).join('; ')}. Codex fails the request.`,
        evidence: { request, status: res.status, problems: problems.map((p) => ({ ...p })) },
      }),
    ],
  };
}
