import type { LoginSession, ServerAnswer } from '../../auth/login/login-session.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import type { Exchange } from '../../transports/http/http-exchange.ts';
import { bodyPreview, networkFinding } from '../../transports/http/http-findings.ts';
import { isObject, readAnswer, rpcRequest, sameId } from '../../transports/http/jsonrpc.ts';
import { framingFinding, framingProblem } from '../../transports/http/answer-framing.ts';
import { closeSessionChecked } from '../../transports/http/session-probes.ts';
import { checkTools, toolsSummary } from '../validate-tools.ts';
import { httpAnswerLimits } from '../../transports/http/answer-limits.ts';
import { cursorTypeProblem } from '../codex-shape.ts';
import { sendWithRetries, startupTimeout } from './codex-requests.ts';
import { DELETE_MS, NO_ANSWER, noteSessionChange, sessionHeaders, sessionTarget, useAuthorization, type HttpExchangeState } from './exchange-state.ts';
import { fail, truncateJson } from './stage-outcome.ts';

/**
 * The tools stage of a Streamable HTTP server: lists every page of tools/list as Codex does,
 * validates the tools (validate-tools.ts, shared with stdio), checks Codex's startup budget, and
 * with check --login --call-tool makes one tools/call. With --deep it ends the session itself to
 * check the DELETE.
 */

const MAX_TOOL_PAGES = 50;

export interface ToolsInput {
  /** The initialize stage got an InitializeResult (otherwise this stage is skipped). */
  initialized: boolean;
  /** The status an unknown session id got in the initialize stage, when it was not 404. */
  staleStatus?: number;
}

export async function toolsStage(ctx: ServerContext, st: HttpExchangeState, input: ToolsInput): Promise<StageOutcome> {
  const name = ctx.server.name;
  if (!input.initialized) return { summary: 'initialize did not complete', skipped: true };
  // tools/list has startup_timeout_sec of its own in Codex 0.171.0 (see run-server.ts).
  st.codexMs = 0;
  const all: unknown[] = [];
  const seenCursors = new Set<string>();
  const sessionNotes: Finding[] = [];
  let cursor: string | undefined;
  let page = 0;
  for (;;) {
    page++;
    const id = page;
    const listSpec = (url: string) => ({
      method: 'POST' as const,
      url,
      headers: sessionHeaders(st),
      // As Codex 0.171.0 sends it: ids from 1 after initialize's 0, a progressToken from 0.
      body: rpcRequest(id, 'tools/list', { ...(cursor !== undefined && { cursor }), _meta: { progressToken: page - 1 } }),
      label: `tools/list${page > 1 ? ` page ${page}` : ''}`,
      until: (event: { message?: unknown }) => isObject(event.message) && sameId(event.message.id, id),
    });
    let ex = (await sendWithRetries(ctx, st, listSpec)).followed.exchange;
    if (st.login && (ex.response?.status === 401 || ex.response?.status === 403)) {
      // check --login: a server that lets initialize through may want a token from tools/list on.
      const out = await st.login.handle({
        request: 'tools/list',
        answer: ex.response,
        sentCredential: st.codex.auth !== undefined,
        retry: async (authorization) => {
          useAuthorization(st, authorization);
          ex = (await sendWithRetries(ctx, st, listSpec)).followed.exchange;
          return ex.response ?? NO_ANSWER;
        },
      });
      sessionNotes.push(...out.findings);
    }
    if (ex.failure || !ex.response) {
      const finding = ex.failure ? networkFinding(ctx, ex.failure, st.url, 'tools/list', 'tools', ex.elapsedMs) : undefined;
      return fail('tools/list failed', [...sessionNotes, ...(finding ? [finding] : [])]);
    }
    const res = ex.response;
    // Codex 0.169 fails the start when tools/list fails (measured: "MCP startup failed: Mcp error:
    // -32601: Method not found", "… Unexpected response type"; an HTTP error whose JSON-RPC body
    // has no id leaves it waiting: "timed out awaiting tools/list after 20s").
    const listFailed = (problem: string, evidence: Record<string, unknown>, codex = 'Codex fails to start the server') =>
      fail('tools/list failed', [
        ...sessionNotes,
        makeFinding('tools.list-failed', {
          message: `tools/list${page > 1 ? ` (page ${page})` : ''} of "${name}" failed: ${problem}. ${codex}.`,
          evidence: { page, ...evidence },
          fix: { summary: 'A server-side fix; the error is in the evidence (report it to the server maintainers with the --verbose transcript).' },
        }),
      ]);
    if (res.status >= 300) {
      return listFailed(
        `HTTP ${res.status}${res.status === 404 && st.sessionId ? ' (the session was dropped right after initialize)' : ''}`,
        { status: res.status, bodyPreview: bodyPreview(ctx, res.body) },
        /"id"\s*:\s*null/.test(res.body)
          ? 'Codex cannot match that answer (its id is null) to its request and waits until startup_timeout_sec ends ("MCP startup failed: timed out awaiting tools/list")'
          : undefined,
      );
    }
    const pageFindings: Finding[] = [];
    noteSessionChange(ctx, st, ex, pageFindings, 'tools');
    sessionNotes.push(...pageFindings);
    const limited = httpAnswerLimits(ctx, ex, id, 'tools/list', 'tools');
    if (limited) return { ...limited, findings: [...sessionNotes, ...limited.findings!] };
    const framing = framingProblem(ex, id);
    if (framing) return fail('tools/list answer unusable', [...sessionNotes, framingFinding(ctx, framing, 'tools/list', id, 'tools', ex)]);
    const answer = readAnswer(ex, id);
    if (answer.kind === 'error') {
      return listFailed(`JSON-RPC error ${answer.error.code} "${answer.error.message}"`, { error: answer.error }, `Codex fails to start the server ("MCP startup failed: Mcp error: ${answer.error.code}: ${answer.error.message}")`);
    }
    if (answer.kind === 'invalid') return listFailed(answer.problem, { status: res.status, contentType: res.headers['content-type'] ?? null });
    const result = answer.result;
    if (!isObject(result) || !Array.isArray(result.tools)) {
      return listFailed('the result has no "tools" array', { result: ctx.redact.value(truncateJson(result)) }, 'Codex fails to start the server ("MCP startup failed: Unexpected response type")');
    }
    const cursorType = cursorTypeProblem(result);
    if (cursorType) return listFailed(cursorType, {}, 'Codex fails to start the server ("MCP startup failed: Unexpected response type")');
    for (const tool of result.tools) all.push(tool); // not push(...): a page can hold 100 000s of tools
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === '') break;
    if (seenCursors.has(next)) return listFailed(`nextCursor "${next}" came back again (a cursor cycle)`, { cursors: [...seenCursors, next] });
    if (page >= MAX_TOOL_PAGES) return listFailed(`still more pages after ${MAX_TOOL_PAGES}`, { pages: page });
    seenCursors.add(next);
    cursor = next;
  }

  const checked = checkTools({ tools: all, server: ctx.server, redact: ctx.redact, stage: 'tools' });
  const findings = [...sessionNotes, ...checked.findings];
  const startup = startupTimeout(ctx, st, 'tools');
  if (startup) findings.push(startup);
  const call = st.login?.settings.callTool ? await callToolProbe(ctx, st, st.login, all) : undefined;
  if (call) findings.push(...call.findings);
  if (st.sessionId && ctx.options.deep) {
    st.sessionClosed = true;
    findings.push(...(await closeSessionChecked(ctx, st.client, { ...sessionTarget(st), sessionId: st.sessionId, staleStatus: input.staleStatus }, DELETE_MS)));
  }
  const filtered = checked.count !== all.length ? ` (of ${all.length} listed)` : '';
  return {
    summary: `${checked.count} tool${checked.count === 1 ? '' : 's'}${filtered}${page > 1 ? ` in ${page} pages` : ''}${call ? `; ${call.summary}` : ''}`,
    findings,
    tools: toolsSummary(checked, ctx.redact),
  };
}

/**
 * check --login --call-tool NAME: one tools/call with `{}` arguments, after Codex's own requests,
 * to prove calls are authorized too (servers may want more scope for calls: a 403 step-up). Only
 * a tool the server listed is called.
 */
async function callToolProbe(ctx: ServerContext, st: HttpExchangeState, login: LoginSession, listed: unknown[]): Promise<{ findings: Finding[]; summary: string }> {
  const tool = login.settings.callTool!;
  if (!listed.some((t) => isObject(t) && t.name === tool)) return { findings: [], summary: `tools/call ${tool} not made (not listed)` };
  const id = 'mcp-doctor-call-tool';
  let ex: Exchange | undefined;
  const send = async (): Promise<ServerAnswer> => {
    ex = (
      await sendWithRetries(ctx, st, (url) => ({
        method: 'POST' as const,
        url,
        headers: sessionHeaders(st),
        body: rpcRequest(id, 'tools/call', { name: tool, arguments: {} }),
        label: `tools/call ${tool}`,
        until: (event: { message?: unknown }) => isObject(event.message) && sameId(event.message.id, id),
      }))
    ).followed.exchange;
    return ex.response ?? NO_ANSWER;
  };
  const first = await send();
  const out = await login.handle({ request: `tools/call ${tool}`, answer: first, retry: async (authorization) => (useAuthorization(st, authorization), send()) });
  const res = ex?.response;
  let result: string;
  if (!ex || !res) result = 'no answer';
  else if (res.status >= 300) result = `HTTP ${res.status}`;
  else {
    const answer = readAnswer(ex, id);
    result =
      answer.kind === 'result'
        ? isObject(answer.result) && answer.result.isError === true
          ? 'answered, the tool reported an error'
          : 'answered'
        : answer.kind === 'error'
          ? `JSON-RPC error ${answer.error.code}`
          : 'not a valid answer';
  }
  return { findings: out.findings, summary: `tools/call ${tool} ${result}` };
}
