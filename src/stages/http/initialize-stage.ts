import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import { CODEX_PROTOCOL_VERSION } from '../../transports/http/codex-headers.ts';
import { bodyPreview, networkFinding } from '../../transports/http/http-findings.ts';
import { isObject, rpcNotification } from '../../transports/http/jsonrpc.ts';
import { describeSseEvent } from '../../transports/http/sse-reader.ts';
import { framingFinding, framingProblem } from '../../transports/http/answer-framing.ts';
import { withDeviation } from '../../transports/http/protocol-deviation.ts';
import { missingSessionProbe, protocolVersionProbes, sessionIdFinding } from '../../transports/http/session-probes.ts';
import { INIT_ID, sendWithRetries, startupTimeout } from './codex-requests.ts';
import type { InitializeAnswer } from './discovery-stage.ts';
import { noteSessionChange, sessionHeaders, sessionTarget, type HttpExchangeState } from './exchange-state.ts';
import { getStreamProbe, originProbe, staleSessionProbe } from './handshake-probes.ts';
import { fail } from './stage-outcome.ts';
import { httpAnswerLimits } from '../../transports/http/answer-limits.ts';
import { codexReadsAsObject, initializeShapeProblems, shapeFinding } from '../codex-shape.ts';
import { withSourceForms } from '../../transports/codex-wire.ts';
import { CODEX } from '../../codex/codex-version.ts';

/**
 * The initialize stage of a Streamable HTTP server: judges the InitializeResult discovery (or
 * check --login) got, takes the session id and protocol version every later request carries,
 * sends `notifications/initialized` as Codex does, then probes the session (GET stream, unknown
 * session id, foreign Origin; more with --deep).
 */

/** Versions Codex 0.169.0 knows; other answers are accepted by it but refused by spec-following clients. */
const KNOWN_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];

export interface InitializeInput {
  /** The answer to `initialize` from discovery, or from the auth stage's check --login retry. */
  init?: InitializeAnswer;
  /** Why the auth stage could not get further (the stage is then skipped with that reason). */
  authBlocked?: string;
}

export interface Initialized {
  outcome: StageOutcome;
  /** The status an unknown session id got, when it was not 404 (the tools stage's DELETE check reports it once). */
  staleStatus?: number;
}

export async function initializeStage(ctx: ServerContext, st: HttpExchangeState, input: InitializeInput): Promise<Initialized> {
  const name = ctx.server.name;
  const init = input.init;
  if (!init) return { outcome: { summary: input.authBlocked ? `the server requires authentication (${input.authBlocked})` : 'no initialize answer to check', skipped: true } };
  const answer = init.answer;
  const res = init.exchange.response!;

  const limited = httpAnswerLimits(ctx, init.exchange, INIT_ID, 'initialize', 'initialize');
  if (limited) return { outcome: limited };
  const framing = framingProblem(init.exchange, INIT_ID);
  if (framing) {
    return { outcome: fail(framing.kind === 'batch' ? 'initialize answered with a JSON array' : 'the event stream does not deliver the answer', [
      framingFinding(ctx, framing, 'initialize', INIT_ID, 'initialize', init.exchange),
    ]) };
  }

  if (answer.kind === 'error') {
    const err = answer.error;
    const supported = isObject(err.data) && Array.isArray(err.data.supported) ? err.data.supported.filter((v): v is string => typeof v === 'string') : undefined;
    if (supported || /protocol version/i.test(err.message)) {
      return { outcome: fail('protocol version rejected', [
        makeFinding('init.version-unsupported', {
          severity: 'error',
          ...withDeviation(
            `"${name}" rejects protocol version ${CODEX_PROTOCOL_VERSION}, which ${CODEX} sends (JSON-RPC ${err.code} "${err.message}")` +
              `${supported ? `; it supports ${supported.join(', ')}` : ''}. A server should answer with a version it supports instead of refusing.`,
            { status: res.status, error: err },
            { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails with the same error' },
          ),
          fix: { summary: `Upgrade the server (or its MCP SDK) to one that negotiates${supported ? ` (it only knows ${supported.join(', ')})` : ''}, or bridge it with mcp-remote.` },
        }),
      ]) };
    }
    return { outcome: fail(`JSON-RPC error ${err.code}`, [
      makeFinding('init.jsonrpc-error', {
        message: `"${name}" answered initialize with JSON-RPC error ${err.code}: "${err.message}".`,
        evidence: { status: res.status, error: err },
        fix: { summary: 'Read the error message: it often names a missing setting or credential on the server side.' },
      }),
    ]) };
  }
  if (answer.kind === 'invalid') {
    return { outcome: fail('answer is not an InitializeResult', [
      makeFinding('init.protocol-error', {
        ...withDeviation(
          `The answer of "${name}" to initialize is not a valid JSON-RPC response: ${answer.problem}. Codex fails with "expect initialized result".`,
          { status: res.status, contentType: res.headers['content-type'] ?? null, bodyPreview: bodyPreview(ctx, res.sse ? res.sse.events.map((e) => describeSseEvent(e)).join('\n') : res.body) },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails to parse it' },
        ),
        fix: { summary: 'A server-side fix; report it to the server\'s maintainers with the --verbose transcript.' },
      }),
    ]) };
  }

  const result = answer.result;
  const problems: string[] = [];
  if (!isObject(result)) problems.push('the result is not an object');
  const r = isObject(result) ? result : {};
  if (typeof r.protocolVersion !== 'string') problems.push('no protocolVersion');
  if (!codexReadsAsObject(withSourceForms(r).capabilities)) problems.push('no capabilities object');
  if (!isObject(r.serverInfo)) problems.push('no serverInfo');
  else {
    if (typeof r.serverInfo.name !== 'string') problems.push('serverInfo has no name');
    if (typeof r.serverInfo.version !== 'string') problems.push('serverInfo has no version');
  }
  if (problems.length > 0) {
    return { outcome: fail('invalid InitializeResult', [
      makeFinding('init.protocol-error', {
        ...withDeviation(
          `The InitializeResult of "${name}" is invalid: ${problems.join(', ')}. Codex rejects it.`,
          { result: ctx.redact.value(result) },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'its schema check rejects the result' },
        ),
        fix: { summary: 'A server-side fix: the result needs protocolVersion, capabilities and serverInfo { name, version }.' },
      }),
    ]) };
  }

  // Judged on the literals as written: `1.0` is what Codex reads as an object, not the integer 1.
  const refused = shapeFinding(initializeShapeProblems(withSourceForms(r)), 'initialize', name, ctx.redact, 'initialize');
  if (refused) return { outcome: fail('an InitializeResult Codex cannot read (field types)', [refused]) };

  const findings: Finding[] = [];
  const version = r.protocolVersion as string;
  const serverInfo = r.serverInfo as Record<string, unknown>;
  const info = { protocolVersion: version, name: serverInfo.name as string, version: serverInfo.version as string };
  if (!KNOWN_VERSIONS.includes(version)) {
    findings.push(
      makeFinding('init.version-unsupported', {
        severity: 'warning',
        ...withDeviation(
          `"${name}" answered initialize with protocol version "${version}", which no released client knows (Codex sent ${CODEX_PROTOCOL_VERSION}). ${CODEX} proceeds anyway; spec-following clients disconnect.`,
          { requested: CODEX_PROTOCOL_VERSION, answered: version, known: KNOWN_VERSIONS },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() throws "Server\'s protocol version is not supported"' },
        ),
        fix: { summary: `A server-side fix: answer with a supported version (the one requested, ${CODEX_PROTOCOL_VERSION}, when it supports it).` },
      }),
    );
  }
  // Codex 0.169 sends the version the server answered on every later request, even one it does
  // not know (measured: `MCP-Protocol-Version: 2099-01-01`); a server that then rejects its own
  // version fails in Codex too.
  st.protocolVersion = version;
  st.sessionId = res.headers['mcp-session-id'];
  const invalidId = st.sessionId !== undefined ? sessionIdFinding(ctx, st.sessionId) : undefined;
  if (invalidId) {
    findings.push(invalidId);
    if (invalidId.severity === 'error') return { outcome: fail('session id Codex cannot read', findings, info) };
  }

  const sent = await sendWithRetries(ctx, st, (url) => ({
    method: 'POST',
    url,
    headers: sessionHeaders(st),
    body: rpcNotification('notifications/initialized'),
    label: 'notifications/initialized',
  }));
  const ack = sent.followed.exchange;
  if (ack.failure || !ack.response) {
    const finding = ack.failure ? networkFinding(ctx, ack.failure, st.url, 'notifications/initialized', 'initialize', ack.elapsedMs) : undefined;
    return { outcome: fail('notifications/initialized failed', [...findings, ...(finding ? [finding] : [])], info) };
  }
  const ackRes = ack.response;
  noteSessionChange(ctx, st, ack, findings, 'initialize');
  if (ackRes.status === 204 && ackRes.body === '') {
    findings.push(
      makeFinding('init.initialized-rejected', {
        severity: 'warning',
        ...withDeviation(
          `"${name}" answered notifications/initialized with 204 No Content. ${CODEX} accepts that; the spec requires 202 Accepted, and stricter clients fail.`,
          { status: 204 },
          { specLevel: 'MUST', sdkTolerates: true, sdk: 'it accepts any 2xx, but opens its GET stream only after a 202' },
        ),
        fix: { summary: 'A server-side fix: answer notifications with 202 Accepted and no body.' },
      }),
    );
  } else if (ackRes.status !== 202 && initializedErrorCodexIgnores(ackRes)) {
    const error = initializedErrorCodexIgnores(ackRes)!;
    findings.push(
      makeFinding('init.initialized-rejected', {
        severity: 'warning',
        ...withDeviation(
          `"${name}" answered notifications/initialized with HTTP ${ackRes.status} and a JSON-RPC error (${error.code}: ${ctx.redact.text(error.message)}) instead of 202 Accepted. ${CODEX} ignores a JSON-RPC error there and carries on (measured); the spec requires 202 Accepted, and stricter clients fail.`,
          { status: ackRes.status, jsonRpcError: { code: error.code, message: ctx.redact.text(error.message) } },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails on the error status' },
        ),
        fix: { summary: 'A server-side fix: accept notifications/initialized and answer 202 Accepted with no body.' },
      }),
    );
  } else if (ackRes.status !== 202) {
    const body = ackRes.sse ? ackRes.sse.events.map((e) => describeSseEvent(e)).join('\n') : ackRes.body;
    return { outcome: fail(`notifications/initialized answered HTTP ${ackRes.status}`, [
      ...findings,
      makeFinding('init.initialized-rejected', {
        ...withDeviation(
          `"${name}" answered notifications/initialized with HTTP ${ackRes.status}${body ? ' and a body' : ''} instead of 202 Accepted. ` +
            `${CODEX} fails the start with "Transport channel closed, when send initialized notification" (measured: it accepts 202, an empty 204, and a JSON-RPC error body with 200 or a 4xx other than 404).`,
          { status: ackRes.status, contentType: ackRes.headers['content-type'] ?? null, bodyPreview: bodyPreview(ctx, body) },
          ackRes.status < 300
            ? { specLevel: 'MUST', sdkTolerates: true, sdk: 'it discards the body of a 2xx answer to a notification' }
            : { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails on the error status' },
        ),
        fix: { summary: 'A server-side fix: answer notifications with 202 Accepted and no body. Until then, bridge it with mcp-remote (it tolerates this).' },
      }),
    ], info) };
  }

  const startup = startupTimeout(ctx, st, 'initialize');
  if (startup) return { outcome: fail('slower than startup_timeout_sec', [...findings, startup], info) };

  // The GET stream is Codex's own request, and the unknown-session answer decides whether Codex
  // recovers from a dropped session; the other probes check the spec where Codex does not care
  // (their findings say "Codex works"), so they wait for --deep.
  const deep = ctx.options.deep === true;
  let staleStatus: number | undefined;
  // The probes run at once, with the deadline paused: they are the doctor's, not Codex's, so a
  // slow server must not run out of time for tools/list because of them (blind testing: a server
  // taking 2.6 s per initialize failed here, with Codex connecting in 3.2 s). Each is bounded.
  const resume = ctx.pauseDeadline?.() ?? (() => undefined);
  try {
    if (!st.sessionId) ctx.transcript.add('note', 'no Mcp-Session-Id issued (stateless server): session checks skipped');
    const [stream, stale, origin] = await Promise.all([
      st.sessionId ? getStreamProbe(ctx, st) : undefined,
      st.sessionId ? staleSessionProbe(ctx, st) : undefined,
      originProbe(ctx, st),
    ]);
    if (stream) findings.push(stream);
    if (stale?.finding) findings.push(stale.finding);
    staleStatus = stale?.staleStatus;
    if (origin) findings.push(origin);
    // --deep's probes one after the other: their answers depend on the session's state.
    if (deep && st.sessionId) {
      const missing = await missingSessionProbe(ctx, st.client, sessionTarget(st));
      if (missing) findings.push(missing);
    }
    if (deep) findings.push(...(await protocolVersionProbes(ctx, st.client, sessionTarget(st))));
  } finally {
    resume();
  }
  return {
    outcome: {
      summary: `protocol ${version}, server ${info.name} ${info.version}${st.sessionId ? ', session issued' : ', stateless'}`,
      findings,
      server: info,
    },
    ...(staleStatus !== undefined && { staleStatus }),
  };
}

/**
 * A JSON-RPC error answered to notifications/initialized that Codex 0.169 reads as a message and
 * ignores: measured with 200, 400, 401 and 403 and a JSON body `{"jsonrpc":"2.0","error":{…}}`
 * (any id). The same body with 404 (session expired) or 500 fails, as does any other body.
 */
function initializedErrorCodexIgnores(res: { status: number; headers: Record<string, string | undefined>; body: string }): { code: number; message: string } | undefined {
  if (!(res.status === 200 || (res.status >= 400 && res.status < 500 && res.status !== 404))) return undefined;
  if (!/application\/json/i.test(res.headers['content-type'] ?? '')) return undefined;
  try {
    const message = JSON.parse(res.body) as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } };
    if (message.jsonrpc !== '2.0' || typeof message.error?.code !== 'number') return undefined;
    return { code: message.error.code, message: String(message.error.message ?? '') };
  } catch {
    return undefined;
  }
}
