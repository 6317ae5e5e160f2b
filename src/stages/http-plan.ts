import { randomUUID } from 'node:crypto';
import { codexAuthorizationFor, diagnoseAuth, type CodexAuthorization } from '../auth/diagnose-auth.ts';
import type { LoginSettings } from '../auth/login/login-flow.ts';
import { createLoginSession, type LoginSession, type ServerAnswer } from '../auth/login/login-session.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../pipeline/context.ts';
import { timeoutFix, type PlanFactory } from '../pipeline/run-server.ts';
import type { Finding, StageName } from '../types.ts';
import { CODEX_ACCEPT, CODEX_PROTOCOL_VERSION, codexHeaders, describeAuthSource, initializeParams, type CodexHeaders } from '../transports/http/codex-headers.ts';
import { createHttpClient, exchangeFollowingRedirects, type Exchange, type FollowedExchange, type HttpClient, type HttpResponse, type RedirectHop } from '../transports/http/http-exchange.ts';
import {
  bodyPreview,
  bridgeFix,
  describeRoute,
  htmlTitle,
  isFigmaDesktop,
  isLoopback,
  looksLikeHtml,
  networkFinding,
  routeOf,
  serverHeader,
  urlFix,
} from '../transports/http/http-findings.ts';
import { errorBody, isObject, readAnswer, rpcNotification, rpcRequest, type RpcAnswer, type RpcError } from '../transports/http/jsonrpc.ts';
import { describeSseEvent } from '../transports/http/sse-reader.ts';
import { framingFinding, framingProblem } from '../transports/http/answer-framing.ts';
import { withDeviation } from '../transports/http/protocol-deviation.ts';
import {
  closeSessionChecked,
  missingSessionProbe,
  protocolVersionProbes,
  sessionIdChangedFinding,
  sessionIdFinding,
  type SessionTarget,
} from '../transports/http/session-probes.ts';
import { MODERN_PROTOCOL_VERSION, probeLegacySse, probeModern, probeSiblings, type SiblingProbe } from '../transports/http/transport-probes.ts';
import { checkTools } from './validate-tools.ts';
import { refineTlsFinding } from '../transports/http/tls-findings.ts';

/**
 * The Streamable HTTP pipeline: discovery posts `initialize` exactly as Codex 0.169.0 does and
 * classifies the answer (network, redirects, statuses, content types, legacy SSE, hybrid,
 * modern-era servers); auth explains a 401/403; initialize validates the result and sends
 * `notifications/initialized`; tools lists (all pages) and validates the tools. Session probes
 * run only after a working handshake.
 */

/** Codex retries initialize, notifications/initialized and tools/list on these, after 250 and 1000 ms. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_DELAYS_MS = [250, 1000];
/** Versions Codex 0.169.0 knows; other answers are accepted by it but refused by spec-following clients. */
const KNOWN_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
/** JSON-RPC errors a 2026-07-28 server uses to refuse a legacy request. */
const MODERN_REFUSALS = new Set([-32022, -32020, -32021]);
const MAX_TOOL_PAGES = 50;
const PROBE_MS = 3000;
const DELETE_MS = 2000;
const INIT_ID = 0;

/** Findings built by modules that redact at capture time (the auth forensics). */
const capturedRedacted = new WeakSet<Finding>();

interface PlanState {
  client: HttpClient;
  codex: CodexHeaders;
  /** The endpoint in use: the configured URL, or where its redirects lead. */
  url: string;
  /** Time Codex's own requests took (initialize with retries, initialized, tools/list). */
  codexMs: number;
  init?: { exchange: Exchange; answer: RpcAnswer };
  /** The 401/403 answer to `initialize`, for the auth stage. */
  challenge?: HttpResponse;
  /** The credential Codex would send (config, or a stored OAuth login), as decided in discovery. */
  sent: Pick<CodexAuthorization, 'source' | 'authorization'>;
  /** Auth found nothing wrong but the server still refused: later stages cannot run. */
  authBlocked?: string;
  sessionId?: string;
  /** MCP-Protocol-Version for requests after `initialize`. */
  protocolVersion: string;
  sessionClosed: boolean;
  /** The status an unknown session id got, when it was not 404 (reported once). */
  staleStatus?: number;
  /** session.id-changed was reported (once per server). */
  sessionIdChanged?: boolean;
  /** Where the client log lines of the initialize POST are (retries and redirects included). */
  initRequests: { start: number; end: number };
  /** check --login: logs in when a request is refused, and keeps the fresh token. */
  login?: LoginSession;
}

export interface HttpPlanOptions {
  /** check --login (src/auth/login). */
  login?: LoginSettings;
}

export const createHttpPlan = (ctx: ServerContext, opts: HttpPlanOptions = {}): ReturnType<PlanFactory> => {
  const st: PlanState = {
    client: createHttpClient(ctx),
    codex: codexHeaders(ctx.server, ctx.deps.env),
    url: ctx.server.url ?? '',
    codexMs: 0,
    protocolVersion: CODEX_PROTOCOL_VERSION,
    sessionClosed: false,
    sent: { source: 'none' },
    initRequests: { start: 0, end: 0 },
    ...(opts.login && { login: createLoginSession(ctx, opts.login) }),
  };
  // Everything a stage reports passes the redactor once more: URLs, bodies and snippets are
  // assembled from server answers and config values. Findings of the auth forensics are
  // redacted where they are captured, and their prose would not survive a second pass.
  // Each finding shows the requests its stage made, in order (or, for a stage that made none,
  // the request whose answer led to it), so that the report says what was tried.
  const safe =
    (fn: (ctx: ServerContext, st: PlanState) => Promise<StageOutcome>, leadingRequests?: () => string[]) =>
    async (c: ServerContext): Promise<StageOutcome> => {
      const before = st.client.log.length;
      const outcome = await fn(c, st);
      let tried: string[] = [];
      if (outcome.findings?.length) {
        const own = st.client.log.length > before ? st.client.log.slice(before) : st.client.log.slice(-1);
        tried = [...(leadingRequests?.() ?? []).filter((line) => !own.includes(line)), ...own];
      }
      const findings = outcome.findings?.map((f) => {
        if (capturedRedacted.has(f)) return f;
        const withRequests = tried.length > 0 && f.evidence?.requests === undefined ? { ...f, evidence: { ...f.evidence, requests: tried } } : f;
        return c.redact.value(withRequests);
      });
      return { ...outcome, summary: c.redact.text(outcome.summary), ...(findings && { findings }) };
    };
  return {
    // The initialize stage judges the answer discovery got: its findings show that request first.
    stages: { discovery: safe(discovery), auth: safe(auth), initialize: safe(initialize, () => st.client.log.slice(st.initRequests.start, st.initRequests.end)), tools: safe(tools) },
    cleanup: async (c) => {
      st.client.abortAll();
      if (st.sessionId && !st.sessionClosed && c.remainingMs() > 200) await closeSession(c, st);
    },
  };
};

// ── discovery ────────────────────────────────────────────────────────────────────────────────

/** Discovery, with the proxy route the requests took (or the NO_PROXY entry that exempted them). */
async function discovery(ctx: ServerContext, st: PlanState): Promise<StageOutcome> {
  const outcome = await discoverEndpoint(ctx, st);
  const via = describeRoute(ctx, routeOf(ctx, st.url));
  return via ? { ...outcome, summary: `${outcome.summary} (${via})` } : outcome;
}

async function discoverEndpoint(ctx: ServerContext, st: PlanState): Promise<StageOutcome> {
  const name = ctx.server.name;
  let parsed: URL;
  try {
    parsed = new URL(st.url);
  } catch {
    return fail('url is not a valid URL', [
      makeFinding('http.not-mcp-endpoint', {
        stage: 'discovery',
        message: `url = "${st.url}" is not a valid URL, so Codex cannot connect to "${name}".`,
        fix: { summary: 'Write the full endpoint URL, scheme included.', toml: `${serverHeader(name)}\nurl = "https://example.com/mcp"` },
      }),
    ]);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && /^[a-z0-9.-]+:\d+(\/|$)/i.test(st.url)) {
    // `localhost:3000/mcp` parses with "localhost:" as its scheme: the scheme is missing.
    const guess = `${/^(localhost|127\.|\[::1\])/i.test(st.url) ? 'http' : 'https'}://${st.url}`;
    return fail('url has no scheme', [
      makeFinding('http.not-mcp-endpoint', {
        stage: 'discovery',
        message: `url = "${st.url}" has no scheme (http:// or https://), so Codex cannot connect to "${name}".`,
        fix: urlFix(ctx, guess, 'Write the scheme in front of the host.'),
      }),
    ]);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return fail(`unsupported scheme ${parsed.protocol}`, [
      makeFinding('http.not-mcp-endpoint', {
        stage: 'discovery',
        message: `url uses "${parsed.protocol}", but Codex speaks MCP over http:// and https:// only (Streamable HTTP).`,
        fix: { summary: 'Use the server\'s http(s) MCP endpoint, or, for a local process, configure it as a stdio server with `command`.' },
      }),
    ]);
  }
  if (st.codex.missingBearerVar) {
    const { variable, reason } = st.codex.missingBearerVar;
    return fail(`$${variable} is ${reason === 'unset' ? 'not set' : 'empty'}`, [
      makeFinding('config.env-var-unset', {
        stage: 'discovery',
        message: `bearer_token_env_var names $${variable}, which is ${reason === 'unset' ? 'not set' : 'empty'} here, so Codex refuses to start "${name}" ("Environment variable ${variable} for MCP server '${name}' is ${reason === 'unset' ? 'not set' : 'empty'}").`,
        evidence: { variable },
        fix: { summary: `Export the token where Codex is launched.`, command: `export ${variable}=...` },
      }),
    ]);
  }
  const bundle = ctx.deps.network?.ca;
  if (bundle?.error) {
    return fail(`$${bundle.variable} names an unusable CA file`, [
      makeFinding('net.ca-bundle-invalid', {
        stage: 'discovery',
        message:
          `$${bundle.variable} names ${bundle.path}, which ${bundle.error === 'no such file' ? 'does not exist' : bundle.error}. Codex loads that file before any HTTP request and fails every Streamable HTTP server, "${name}" included ` +
          `("Failed to ${bundle.error === 'holds no CERTIFICATE block' ? 'load CA certificates from' : 'read CA certificate file'} … selected by ${bundle.variable}").`,
        evidence: { variable: bundle.variable, path: bundle.path, problem: bundle.error },
        fix: {
          summary: `Point ${bundle.variable} at a PEM file holding the CA certificate(s), or unset it to use the system roots${bundle.variable === 'CODEX_CA_CERTIFICATE' ? ' (Codex then reads SSL_CERT_FILE, if set)' : ''}.`,
          command: `unset ${bundle.variable}`,
        },
      }),
    ]);
  }
  const route = routeOf(ctx, st.url);
  const via = describeRoute(ctx, route);
  if (via) ctx.transcript.add('note', `requests to ${ctx.redact.url(st.url)} go ${via}, as Codex's would`);
  if (bundle) ctx.transcript.add('note', `trusting the CA certificates in $${bundle.variable} (${bundle.path}) besides the system roots, as Codex does`);
  for (const skipped of st.codex.skipped) ctx.transcript.add('note', `header ${skipped.header} not sent: ${skipped.reason}`);
  // With no credential in the config, Codex sends a stored OAuth login (read-only lookup).
  const authorization = await codexAuthorizationFor({ server: ctx.server, deps: ctx.deps, redact: ctx.redact, nowMs: ctx.deps.clock.epochMs() });
  st.sent = { source: authorization.source, authorization: authorization.authorization };
  if (authorization.source === 'oauth' && authorization.authorization) {
    st.codex.headers.Authorization = authorization.authorization;
    st.codex.auth = { kind: 'oauth', detail: authorization.detail };
  }
  ctx.transcript.add('note', `credential Codex would send: ${authorization.detail}`);
  if (/\/sse\/?$/.test(parsed.pathname)) ctx.transcript.add('note', 'the URL ends in /sse, where legacy HTTP+SSE servers usually live; Codex needs a Streamable HTTP endpoint');

  const findings: Finding[] = [];
  const logStart = st.client.log.length;
  const sent = await sendWithRetries(ctx, st, (url) => initializeSpec(st, url));
  st.initRequests = { start: logStart, end: st.client.log.length };
  const { followed, statuses } = sent;
  const ex = followed.exchange;
  const res = ex.response;

  if (followed.hops.length > 0) st.url = followed.finalUrl;
  const redirect = followed.hops.length > 0 ? redirectFinding(ctx, st, followed) : undefined;
  if (redirect) findings.push(redirect);
  if (followed.loop) return fail('redirect loop', findings);

  if (ex.failure) {
    const finding = await refineTlsFinding(ctx, networkFinding(ctx, ex.failure, followed.finalUrl, 'initialize', 'discovery', ex.elapsedMs), followed.finalUrl);
    return fail(`${failureWords(ex.failure.kind)} (${ex.failure.phase})`, [...findings, finding]);
  }
  if (!res) return fail('no response', findings);
  if (res.status === 407 && route.kind === 'proxy') {
    const failure = { kind: 'proxy' as const, phase: 'connect' as const, code: 'PROXY_407', detail: 'the proxy answered 407 Proxy Authentication Required', proxyStatus: 407 };
    return fail('proxy demands authentication (HTTP 407)', [...findings, networkFinding(ctx, failure, st.url, 'initialize', 'discovery', ex.elapsedMs)]);
  }

  if (statuses.length > 1 && res.status < 300) {
    findings.push(
      makeFinding('http.unexpected-status', {
        stage: 'discovery',
        severity: 'warning',
        message: `initialize first got ${statuses.slice(0, -1).map((s) => `HTTP ${s}`).join(', then ')} and succeeded on retry. Codex retries the same way (after 250 ms and 1 s), so it connects, but the server is not reliably ready.`,
        evidence: { attempts: statuses },
        fix: { summary: 'Check the server (or the proxy in front of it) for why it answers with an error status at first.' },
      }),
    );
  }

  if (res.status === 401 || res.status === 403) {
    st.challenge = res;
    return { summary: `endpoint requires authentication (HTTP ${res.status})`, findings, server: { httpTransport: 'streamable' } };
  }
  if (res.status >= 300 && res.status < 400) {
    findings.push(unexpectedStatus(ctx, st, res, statuses, 'a redirect without a usable Location header'));
    return fail(`HTTP ${res.status}`, findings);
  }
  if (res.status >= 400) return refusedPost(ctx, st, ex, statuses, findings);
  return answeredPost(ctx, st, ex, findings);
}

function initializeSpec(st: PlanState, url: string) {
  return {
    method: 'POST' as const,
    url,
    headers: { ...st.codex.headers, Accept: CODEX_ACCEPT },
    body: rpcRequest(INIT_ID, 'initialize', initializeParams()),
    label: 'initialize',
    until: (event: { message?: unknown; kind: string }) => event.kind === 'endpoint' || (isObject(event.message) && event.message.id === INIT_ID),
  };
}

/** A non-2xx answer to `initialize`: modern-only, legacy SSE, a JSON-RPC refusal, or not MCP. */
async function refusedPost(ctx: ServerContext, st: PlanState, ex: Exchange, statuses: number[], findings: Finding[]): Promise<StageOutcome> {
  const res = ex.response!;
  const rpcError = errorBody(res.body);
  const modernHint = rpcError !== undefined && ((res.status === 400 && MODERN_REFUSALS.has(rpcError.code)) || (res.status === 404 && rpcError.code === -32601));
  if (modernHint) {
    const modern = await probeModern(ctx, st.client, st.url, st.codex.headers);
    if (modern.supportedVersions) {
      findings.push(modernOnlyFinding(ctx, st, res, rpcError, modern.supportedVersions));
      return fail('speaks only the 2026-07-28 protocol', findings, { httpTransport: 'streamable', era: 'modern' });
    }
  }
  if (res.status === 400 && rpcError && !modernHint) {
    // The transport works and the server refused `initialize` itself: the initialize stage explains it.
    st.init = { exchange: ex, answer: { kind: 'error', error: rpcError, message: {} } };
    return { summary: 'endpoint answers initialize (with an error, HTTP 400)', findings, server: { httpTransport: 'streamable', era: 'legacy' } };
  }
  if (res.status === 400 || res.status === 404 || res.status === 405) {
    const legacy = await probeLegacySse(ctx, st.client, st.url, st.codex.headers);
    if (legacy.endpoint) {
      const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
      const bridgeUrl = siblings.url ? undefined : await sameOriginSseUrl(ctx, st, legacy.endpoint.data);
      findings.push(sseOnlyFinding(ctx, st, res, legacy.endpoint.data, legacy.events.map((e) => describeSseEvent(e)), siblings, bridgeUrl));
      return fail('legacy HTTP+SSE server (no Streamable HTTP)', findings, { httpTransport: 'sse', era: 'legacy' });
    }
  }
  if (res.status === 406 || res.status === 415) {
    findings.push(
      unexpectedStatus(
        ctx,
        st,
        res,
        statuses,
        `although the request carried the headers the spec requires (Accept: ${CODEX_ACCEPT}; Content-Type: application/json): the server's header check is broken`,
      ),
    );
    return fail(`HTTP ${res.status}`, findings);
  }
  if (res.status === 404 || res.status === 405 || res.status === 410 || (looksLikeHtml(res) && res.status < 500)) {
    const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
    findings.push(notMcpFinding(ctx, st, res, `answers HTTP ${res.status}${res.status === 405 ? ' (POST not allowed)' : ''}`, siblings));
    return fail(`not an MCP endpoint (HTTP ${res.status})`, findings);
  }
  findings.push(unexpectedStatus(ctx, st, res, statuses, rpcError ? `with JSON-RPC error ${rpcError.code} "${rpcError.message}"` : undefined));
  return fail(`HTTP ${res.status}${statuses.length > 1 ? ` after ${statuses.length} attempts` : ''}`, findings);
}

/** A 2xx answer to `initialize`: JSON or an event stream carrying the result, or not MCP. */
async function answeredPost(ctx: ServerContext, st: PlanState, ex: Exchange, findings: Finding[]): Promise<StageOutcome> {
  const res = ex.response!;
  if (res.sse) {
    const first = res.sse.events.find((e) => e.kind !== 'priming');
    if (first?.kind === 'endpoint') {
      const legacy = await probeLegacySse(ctx, st.client, st.url, st.codex.headers);
      const events = res.sse.events.map((e) => describeSseEvent(e));
      findings.push(
        makeFinding('transport.hybrid-sse', {
          stage: 'discovery',
          ...withDeviation(
            `"${ctx.server.name}" answered the Streamable HTTP POST of initialize with an event stream whose first event is "event: endpoint" (${first.data}): the legacy HTTP+SSE transport mixed into Streamable HTTP. ` +
              'Codex ignores that event and waits for a JSON-RPC message that never comes, until startup_timeout_sec runs out.',
            { status: res.status, contentType: res.headers['content-type'], events },
            { specLevel: 'MUST', sdkTolerates: false, sdk: 'it ignores the event and its request times out' },
          ),
          fix: legacy.endpoint
            ? bridgeFix(ctx, st.url, ['--transport', 'sse-only'], 'A server-side fix: answer the POST with the JSON-RPC response. Until then, the legacy GET stream works; bridge it with mcp-remote.')
            : { summary: 'A server-side fix: answer the POST with the JSON-RPC response (as application/json, or as an SSE "message" event). Report it to the server maintainers.' },
        }),
      );
      return fail('POST answered with a legacy "endpoint" event', findings, { httpTransport: 'streamable', era: 'legacy' });
    }
    if (res.sse.ended === 'stalled') {
      const finding = networkFinding(ctx, { kind: 'timeout', phase: res.sse.events.length === 0 ? 'first-event' : 'body', detail: 'no answer on the stream' }, st.url, 'initialize', 'discovery');
      return fail('event stream opened, no answer', [...findings, finding]);
    }
    st.init = { exchange: ex, answer: readAnswer(ex, INIT_ID) };
  } else if (res.contentType === 'application/json') {
    const answer = readAnswer(ex, INIT_ID);
    if (answer.kind === 'invalid' && looksLikeHtml(res)) {
      const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
      findings.push(notMcpFinding(ctx, st, res, 'answers with an HTML page labelled application/json', siblings));
      return fail('not an MCP endpoint (HTML page)', findings);
    }
    st.init = { exchange: ex, answer };
  } else if ((res.status === 202 || res.status === 204) && res.body.trim() === '') {
    st.init = { exchange: ex, answer: { kind: 'invalid', problem: `initialize was answered ${res.status} with no body, as if it were a notification` } };
  } else {
    const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
    const what =
      res.contentType === 'text/html'
        ? 'answers with an HTML page'
        : res.contentType === undefined
          ? 'answers with no Content-Type'
          : `answers with Content-Type ${res.contentType}`;
    findings.push(notMcpFinding(ctx, st, res, what, siblings));
    return fail(`not an MCP endpoint (${res.contentType ?? 'no Content-Type'})`, findings);
  }

  const via = res.sse ? 'an event stream' : 'JSON';
  if (st.init.answer.kind === 'result' && ctx.options.deep) {
    // One extra request tells a dual-era server apart; legacy servers refuse it harmlessly. Codex
    // speaks the initialize-based protocol either way, so only --deep asks.
    const modern = await probeModern(ctx, st.client, st.url, st.codex.headers);
    if (modern.supportedVersions) {
      findings.push(
        makeFinding('transport.dual-era', {
          stage: 'discovery',
          message: `"${ctx.server.name}" also speaks the 2026-07-28 protocol (server/discover lists ${modern.supportedVersions.join(', ')}); Codex uses the initialize-based protocol, which it answers too.`,
          evidence: { supportedVersions: modern.supportedVersions },
        }),
      );
    }
  }
  return { summary: `answers initialize over Streamable HTTP (${via})`, findings, server: { httpTransport: 'streamable', era: 'legacy' } };
}

function modernOnlyFinding(ctx: ServerContext, st: PlanState, res: HttpResponse, rpcError: RpcError | undefined, versions: string[]) {
  return makeFinding('transport.modern-only', {
    stage: 'discovery',
    message:
      `"${ctx.server.name}" speaks only the stateless 2026-07-28 protocol (server/discover lists ${versions.join(', ')}) and refuses initialize ` +
      `(HTTP ${res.status}${rpcError ? `, JSON-RPC ${rpcError.code} "${rpcError.message}"` : ''}). Clients that start with initialize — Codex 0.169.0 among them, sending ${CODEX_PROTOCOL_VERSION} — cannot connect.`,
    evidence: { status: res.status, ...(rpcError && { error: rpcError }), supportedVersions: versions },
    fix: bridgeFix(ctx, st.url, ['--protocol', 'auto'], 'Ask the server to keep serving initialize-based clients; meanwhile mcp-remote can bridge it (it negotiates the protocol era).'),
  });
}

/**
 * The SDK client behind mcp-remote refuses an `endpoint` on another origin ("Endpoint origin does
 * not match connection origin", LSSE-02). When the server names another origin (often localhost
 * for 127.0.0.1), the same path on that origin is tried; it is used if its endpoint then matches.
 */
async function sameOriginSseUrl(ctx: ServerContext, st: PlanState, endpoint: string): Promise<{ url: string; crossOrigin: string; works: boolean } | undefined> {
  let target: URL;
  try {
    target = new URL(endpoint, st.url);
  } catch {
    return undefined;
  }
  const configured = new URL(st.url);
  if (target.origin === configured.origin) return undefined;
  const candidate = `${target.origin}${configured.pathname}${configured.search}`;
  // Credentials stay with the configured host: the other origin is probed without them.
  const withoutAuth = Object.fromEntries(Object.entries(st.codex.headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
  const probe = await probeLegacySse(ctx, st.client, candidate, new URL(candidate).hostname === configured.hostname ? st.codex.headers : withoutAuth);
  let works = false;
  if (probe.endpoint) {
    try {
      works = new URL(probe.endpoint.data, candidate).origin === target.origin;
    } catch {
      works = false;
    }
  }
  return { url: candidate, crossOrigin: target.origin, works };
}

function sseOnlyFinding(
  ctx: ServerContext,
  st: PlanState,
  res: HttpResponse,
  endpoint: string,
  events: string[],
  siblings: SiblingProbe,
  cross?: { url: string; crossOrigin: string; works: boolean },
) {
  const name = ctx.server.name;
  const crossNote = cross
    ? ` Its endpoint is on another origin (${cross.crossOrigin}), which the official SDK client, and mcp-remote built on it, refuse ("Endpoint origin does not match connection origin")` +
      (cross.works ? `; at ${cross.url} the endpoint matches, so the bridge uses that URL.` : '; the bridge below may fail until the server names its own origin.')
    : '';
  return makeFinding('transport.sse-only', {
    stage: 'discovery',
    message:
      `"${name}" is a legacy HTTP+SSE server: the POST of initialize gets HTTP ${res.status}, and a GET gives an event stream whose first event is "endpoint" (${endpoint}). ` +
      'Codex speaks Streamable HTTP only.' +
      (siblings.url ? ` The same server answers Streamable HTTP at ${siblings.url}.` : ' No Streamable HTTP endpoint answered next to it.') +
      crossNote,
    evidence: {
      post: { status: res.status, contentType: res.headers['content-type'] },
      get: { events },
      siblingsTried: siblings.tried,
      ...(cross && { endpointOrigin: cross.crossOrigin, sameOriginUrl: cross.url, sameOriginWorks: cross.works }),
    },
    fix: siblings.url
      ? urlFix(ctx, siblings.url, `Use the server's Streamable HTTP endpoint (it answered initialize).`)
      : bridgeFix(ctx, cross?.works ? cross.url : st.url, ['--transport', 'sse-only'], 'Bridge the SSE endpoint over stdio with mcp-remote.'),
  });
}

function notMcpFinding(ctx: ServerContext, st: PlanState, res: HttpResponse, what: string, siblings: SiblingProbe) {
  const title = looksLikeHtml(res) ? htmlTitle(res.body) : undefined;
  const url = ctx.redact.url(st.url);
  return makeFinding('http.not-mcp-endpoint', {
    stage: 'discovery',
    message:
      `${url} ${what}${title ? ` titled "${title}"` : ''}, not an MCP answer to initialize.` +
      (res.contentType === undefined && res.status < 300 ? ' Codex fails with "Unexpected content type: Some("missing-content-type; body: …")".' : '') +
      (siblings.url ? ` ${siblings.url} does answer initialize.` : ' Usually the path is wrong (the MCP endpoint often ends in /mcp).'),
    evidence: {
      status: res.status,
      contentType: res.headers['content-type'] ?? null,
      ...(title && { title }),
      bodyPreview: bodyPreview(ctx, res.body),
      siblingsTried: siblings.tried,
    },
    fix: siblings.url
      ? urlFix(ctx, siblings.url, 'Use the endpoint that answers initialize.')
      : { summary: 'Use the server\'s MCP endpoint URL (see its documentation; usually ending in /mcp).' },
  });
}

function unexpectedStatus(ctx: ServerContext, st: PlanState, res: HttpResponse, statuses: number[], detail?: string) {
  const target = new URL(st.url);
  const retried = statuses.length > 1 ? ` on all ${statuses.length} attempts (Codex retries ${[...RETRY_STATUSES].join('/')} after 250 ms and 1 s, then gives up)` : '';
  const figma = isFigmaDesktop(target) && res.status >= 500;
  return makeFinding('http.unexpected-status', {
    stage: 'discovery',
    message:
      `initialize got HTTP ${res.status}${retried}${detail ? `, ${detail}` : ''}.` +
      (figma ? ' This is the Figma desktop Dev Mode MCP server address; a 5xx usually means Figma is starting or its MCP server is not enabled.' : ''),
    evidence: { status: res.status, attempts: statuses, contentType: res.headers['content-type'] ?? null, bodyPreview: bodyPreview(ctx, res.body) },
    fix: figma
      ? { summary: 'Open Figma desktop, enable the Dev Mode MCP server, and check again.' }
      : { summary: res.status >= 500 ? 'Look at the server\'s logs; a 502/503/504 usually means the server behind a proxy, or the app that provides it, is not running.' : 'Look at the server\'s logs and documentation for why it refuses the request.' },
  });
}

function redirectFinding(ctx: ServerContext, st: PlanState, followed: FollowedExchange): Finding {
  const hops = followed.hops;
  const configured = ctx.redact.url(ctx.server.url ?? '');
  const chain = hops.map((h: RedirectHop) => `${h.status} → ${ctx.redact.url(h.to)}`).join(', ');
  if (followed.loop) {
    return makeFinding('http.redirect', {
      stage: 'discovery',
      severity: 'error',
      message: `${configured} redirects in a loop (${chain}); no request reaches an MCP endpoint.`,
      evidence: { chain: hops.map((h) => ({ status: h.status, to: ctx.redact.url(h.to) })) },
      fix: { summary: 'Configure the server\'s real MCP endpoint URL; the redirect rules on the server or proxy loop.' },
    });
  }
  const breaks = hops.some((h) => h.status === 301 || h.status === 302 || h.status === 303);
  const dropsAuth = hops.some((h) => h.crossOrigin) && st.codex.auth !== undefined;
  const finalOk = (followed.exchange.response?.status ?? 0) < 300 && !followed.exchange.failure;
  return makeFinding('http.redirect', {
    stage: 'discovery',
    severity: breaks ? 'error' : 'warning',
    message:
      `${configured} redirects (${chain}). ` +
      (breaks
        ? 'Codex follows a 301/302/303 by re-sending the request as a GET without its body, so initialize never arrives and the start fails.'
        : 'Codex follows it, but every request pays an extra round trip and some clients and proxies do not re-send a POST.') +
      (dropsAuth ? ' The redirect leaves the origin, so the Authorization header is dropped on the way.' : '') +
      (finalOk ? '' : ' The final URL does not answer initialize either (see the next finding).'),
    evidence: { chain: hops.map((h) => ({ status: h.status, from: ctx.redact.url(h.from), to: ctx.redact.url(h.to) })) },
    fix: urlFix(ctx, followed.finalUrl, 'Configure the URL the redirect ends at.'),
  });
}

// ── auth ─────────────────────────────────────────────────────────────────────────────────────

async function auth(ctx: ServerContext, st: PlanState): Promise<StageOutcome> {
  const res = st.challenge;
  if (!res) {
    return { summary: st.codex.auth ? `${describeAuthSource(st.codex.auth)} accepted` : 'no authentication required' };
  }
  // The 401/403 is explained by the auth forensics: challenge, metadata, stored logins, audience.
  const diagnosis = await diagnoseAuth({
    server: ctx.server,
    first: { status: res.status, headers: res.headers, bodyText: res.body },
    sent: st.sent,
    deps: ctx.deps,
    redact: ctx.redact,
    nowMs: ctx.deps.clock.epochMs(),
    signal: ctx.signal,
    requestTimeoutMs: Math.min(5000, Math.max(500, ctx.remainingMs())),
    record: (kind, text) => ctx.transcript.add(kind, text),
  });
  let findings = diagnosis.findings.map((f) => {
    const own = f.stage === 'file' ? f : { ...f, stage: 'auth' as const };
    capturedRedacted.add(own);
    return own;
  });
  let summary = diagnosis.summary;
  if (st.login) {
    // check --login: log in, re-send initialize with the fresh token, and revise the diagnosis
    // with what that proves (stored credentials or the server at fault).
    let last: Exchange | undefined;
    const out = await st.login.afterDiagnosis(
      {
        request: 'initialize',
        answer: res,
        retry: async (authorization) => {
          useAuthorization(st, authorization);
          last = (await sendWithRetries(ctx, st, (url) => initializeSpec(st, url))).followed.exchange;
          return last.response ?? NO_ANSWER;
        },
      },
      findings,
    );
    findings = [...out.revised, ...out.findings].map((f) => (capturedRedacted.add(f), f));
    if (out.summary) summary = `${diagnosis.summary}; ${out.summary}`;
    if (out.loggedIn && last?.response && last.response.status < 300) {
      const accepted = await answeredPost(ctx, st, last, []);
      findings.push(...(accepted.findings ?? []));
      if (st.init) return { summary, findings };
    }
  }
  if (!findings.some((f) => f.severity === 'error')) {
    if (res.status === 403) {
      findings.unshift(
        makeFinding('http.unexpected-status', {
          stage: 'auth',
          message:
            `"${ctx.server.name}" answered initialize with 403 Forbidden (no insufficient_scope). ` +
            'Typical causes: the server checks the Host or Origin header (a tunnel or proxy in front of it), it allows only some OAuth clients, or the account lacks access.',
          evidence: { status: 403, bodyPreview: bodyPreview(ctx, res.body) },
          fix: { summary: 'Read the 403 body in the evidence; allow this client (or host) on the server side.' },
        }),
      );
    } else {
      // Nothing to blame, yet the server refused: Codex's stored login (refreshed at startup, or
      // in a keyring mcp-doctor does not read) may work where this check cannot go further.
      st.authBlocked = diagnosis.summary;
    }
  }
  return { summary, findings };
}

const NO_ANSWER: ServerAnswer = { status: 0, headers: {} };

/** From now on every request carries this credential (check --login's fresh token). */
function useAuthorization(st: PlanState, authorization: string): void {
  for (const k of Object.keys(st.codex.headers)) if (k.toLowerCase() === 'authorization') delete st.codex.headers[k];
  st.codex.headers.Authorization = authorization;
  st.codex.auth = { kind: 'oauth', detail: 'fresh token from check --login' };
}

// ── initialize ───────────────────────────────────────────────────────────────────────────────

async function initialize(ctx: ServerContext, st: PlanState): Promise<StageOutcome> {
  const name = ctx.server.name;
  const init = st.init;
  if (!init) return { summary: st.authBlocked ? `the server requires authentication (${st.authBlocked})` : 'no initialize answer to check', skipped: true };
  const answer = init.answer;
  const res = init.exchange.response!;

  const framing = framingProblem(init.exchange, INIT_ID);
  if (framing) {
    return fail(framing.kind === 'batch' ? 'initialize answered with a JSON array' : 'the event stream does not deliver the answer', [
      framingFinding(ctx, framing, 'initialize', INIT_ID, 'initialize', init.exchange),
    ]);
  }

  if (answer.kind === 'error') {
    const err = answer.error;
    const supported = isObject(err.data) && Array.isArray(err.data.supported) ? err.data.supported.filter((v): v is string => typeof v === 'string') : undefined;
    if (supported || /protocol version/i.test(err.message)) {
      return fail('protocol version rejected', [
        makeFinding('init.version-unsupported', {
          severity: 'error',
          ...withDeviation(
            `"${name}" rejects protocol version ${CODEX_PROTOCOL_VERSION}, which Codex 0.169.0 sends (JSON-RPC ${err.code} "${err.message}")` +
              `${supported ? `; it supports ${supported.join(', ')}` : ''}. A server should answer with a version it supports instead of refusing.`,
            { status: res.status, error: err },
            { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails with the same error' },
          ),
          fix: { summary: `Upgrade the server (or its MCP SDK) to one that negotiates${supported ? ` (it only knows ${supported.join(', ')})` : ''}, or bridge it with mcp-remote.` },
        }),
      ]);
    }
    return fail(`JSON-RPC error ${err.code}`, [
      makeFinding('init.jsonrpc-error', {
        message: `"${name}" answered initialize with JSON-RPC error ${err.code}: "${err.message}".`,
        evidence: { status: res.status, error: err },
        fix: { summary: 'Read the error message: it often names a missing setting or credential on the server side.' },
      }),
    ]);
  }
  if (answer.kind === 'invalid') {
    return fail('answer is not an InitializeResult', [
      makeFinding('init.protocol-error', {
        ...withDeviation(
          `The answer of "${name}" to initialize is not a valid JSON-RPC response: ${answer.problem}. Codex fails with "expect initialized result".`,
          { status: res.status, contentType: res.headers['content-type'] ?? null, bodyPreview: bodyPreview(ctx, res.sse ? res.sse.events.map((e) => describeSseEvent(e)).join('\n') : res.body) },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails to parse it' },
        ),
        fix: { summary: 'A server-side fix; report it to the server\'s maintainers with the --verbose transcript.' },
      }),
    ]);
  }

  const result = answer.result;
  const problems: string[] = [];
  if (!isObject(result)) problems.push('the result is not an object');
  const r = isObject(result) ? result : {};
  if (typeof r.protocolVersion !== 'string') problems.push('no protocolVersion');
  if (!isObject(r.capabilities)) problems.push('no capabilities object');
  if (!isObject(r.serverInfo)) problems.push('no serverInfo');
  else {
    if (typeof r.serverInfo.name !== 'string') problems.push('serverInfo has no name');
    if (typeof r.serverInfo.version !== 'string') problems.push('serverInfo has no version');
  }
  if (problems.length > 0) {
    return fail('invalid InitializeResult', [
      makeFinding('init.protocol-error', {
        ...withDeviation(
          `The InitializeResult of "${name}" is invalid: ${problems.join(', ')}. Codex rejects it.`,
          { result: ctx.redact.value(result) },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'its schema check rejects the result' },
        ),
        fix: { summary: 'A server-side fix: the result needs protocolVersion, capabilities and serverInfo { name, version }.' },
      }),
    ]);
  }

  const findings: Finding[] = [];
  const version = r.protocolVersion as string;
  const serverInfo = r.serverInfo as Record<string, unknown>;
  const info = { protocolVersion: version, name: serverInfo.name as string, version: serverInfo.version as string };
  if (!KNOWN_VERSIONS.includes(version)) {
    findings.push(
      makeFinding('init.version-unsupported', {
        severity: 'warning',
        ...withDeviation(
          `"${name}" answered initialize with protocol version "${version}", which no released client knows (Codex sent ${CODEX_PROTOCOL_VERSION}). Codex 0.169.0 proceeds anyway; spec-following clients disconnect.`,
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
    if (invalidId.severity === 'error') return fail('session id Codex cannot read', findings, info);
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
    return fail('notifications/initialized failed', [...findings, ...(finding ? [finding] : [])], info);
  }
  const ackRes = ack.response;
  noteSessionChange(ctx, st, ack, findings, 'initialize');
  if (ackRes.status === 204 && ackRes.body === '') {
    findings.push(
      makeFinding('init.initialized-rejected', {
        severity: 'warning',
        ...withDeviation(
          `"${name}" answered notifications/initialized with 204 No Content. Codex 0.169.0 accepts that; the spec requires 202 Accepted, and stricter clients fail.`,
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
          `"${name}" answered notifications/initialized with HTTP ${ackRes.status} and a JSON-RPC error (${error.code}: ${ctx.redact.text(error.message)}) instead of 202 Accepted. Codex 0.169.0 ignores a JSON-RPC error there and carries on (measured); the spec requires 202 Accepted, and stricter clients fail.`,
          { status: ackRes.status, jsonRpcError: { code: error.code, message: ctx.redact.text(error.message) } },
          { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails on the error status' },
        ),
        fix: { summary: 'A server-side fix: accept notifications/initialized and answer 202 Accepted with no body.' },
      }),
    );
  } else if (ackRes.status !== 202) {
    const body = ackRes.sse ? ackRes.sse.events.map((e) => describeSseEvent(e)).join('\n') : ackRes.body;
    return fail(`notifications/initialized answered HTTP ${ackRes.status}`, [
      ...findings,
      makeFinding('init.initialized-rejected', {
        ...withDeviation(
          `"${name}" answered notifications/initialized with HTTP ${ackRes.status}${body ? ' and a body' : ''} instead of 202 Accepted. ` +
            'Codex 0.169.0 fails the start with "Transport channel closed, when send initialized notification" (measured: it accepts 202, an empty 204, and a JSON-RPC error body with 200 or a 4xx other than 404).',
          { status: ackRes.status, contentType: ackRes.headers['content-type'] ?? null, bodyPreview: bodyPreview(ctx, body) },
          ackRes.status < 300
            ? { specLevel: 'MUST', sdkTolerates: true, sdk: 'it discards the body of a 2xx answer to a notification' }
            : { specLevel: 'MUST', sdkTolerates: false, sdk: 'connect() fails on the error status' },
        ),
        fix: { summary: 'A server-side fix: answer notifications with 202 Accepted and no body. Until then, bridge it with mcp-remote (it tolerates this).' },
      }),
    ], info);
  }

  const startup = startupTimeout(ctx, st, 'initialize');
  if (startup) return fail('slower than startup_timeout_sec', [...findings, startup], info);

  // The GET stream is Codex's own request, and the unknown-session answer decides whether Codex
  // recovers from a dropped session; the other probes check the spec where Codex does not care
  // (their findings say "Codex works"), so they wait for --deep.
  const deep = ctx.options.deep === true;
  if (st.sessionId) {
    const stream = await getStreamProbe(ctx, st);
    if (stream) findings.push(stream);
    const stale = await staleSessionProbe(ctx, st);
    if (stale) findings.push(stale);
    const missing = deep ? await missingSessionProbe(ctx, st.client, sessionTarget(st)) : undefined;
    if (missing) findings.push(missing);
  } else {
    ctx.transcript.add('note', 'no Mcp-Session-Id issued (stateless server): session checks skipped');
  }
  if (deep) findings.push(...(await protocolVersionProbes(ctx, st.client, sessionTarget(st))));
  const origin = await originProbe(ctx, st);
  if (origin) findings.push(origin);
  return {
    summary: `protocol ${version}, server ${info.name} ${info.version}${st.sessionId ? ', session issued' : ', stateless'}`,
    findings,
    server: info,
  };
}

function sessionTarget(st: PlanState): SessionTarget {
  return { url: st.url, headers: st.codex.headers, sessionId: st.sessionId, protocolVersion: st.protocolVersion };
}

/** SESS-11, on the requests Codex itself makes (reported once). */
function noteSessionChange(ctx: ServerContext, st: PlanState, ex: Exchange, findings: Finding[], stage: StageName): void {
  if (!st.sessionId || st.sessionIdChanged) return;
  const changed = sessionIdChangedFinding(ctx, st.sessionId, ex, stage);
  if (!changed) return;
  st.sessionIdChanged = true;
  findings.push(changed);
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

function sessionHeaders(st: PlanState): Record<string, string> {
  return {
    ...st.codex.headers,
    Accept: CODEX_ACCEPT,
    'MCP-Protocol-Version': st.protocolVersion,
    ...(st.sessionId && { 'Mcp-Session-Id': st.sessionId }),
  };
}

/**
 * The GET stream Codex opens after the handshake (seen on the wire): an event stream or 405 is
 * right; 404 says "session expired" to clients that follow the spec.
 */
async function getStreamProbe(ctx: ServerContext, st: PlanState): Promise<Finding | undefined> {
  const ex = await st.client.exchange({
    method: 'GET',
    url: st.url,
    headers: { ...sessionHeaders(st), Accept: 'text/event-stream' },
    label: 'GET stream probe',
    timeoutMs: Math.min(PROBE_MS, ctx.remainingMs()),
    headersOnly: true,
  });
  const res = ex.response;
  if (!res || ex.failure) return undefined;
  if (res.status === 405 || (res.status === 200 && res.contentType === 'text/event-stream')) return undefined;
  const what = res.status === 404 ? 'HTTP 404, which tells clients that the session has expired' : `HTTP ${res.status}${res.contentType ? ` (${res.contentType})` : ''}`;
  return makeFinding('session.get-stream-invalid', {
    ...withDeviation(
      `The GET stream for server messages (Accept: text/event-stream, with the session id) got ${what}, instead of an event stream or 405. ` +
        (res.status === 404
          ? 'Spec-following clients then initialize again in a loop; Codex 0.169.0 carries on without the stream (checked).'
          : 'Codex 0.169.0 carries on without the stream; clients that need it lose server notifications.'),
      { status: res.status, contentType: res.headers['content-type'] ?? null },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'a failed GET stream only reaches its onerror callback' },
    ),
    fix: { summary: 'A server-side fix: answer the GET with text/event-stream, or with 405 Method Not Allowed when there is no stream.' },
  });
}

/** Loopback servers only: does a foreign `Origin` get in? (DNS rebinding, HTTP-11) */
async function originProbe(ctx: ServerContext, st: PlanState): Promise<Finding | undefined> {
  if (!isLoopback(new URL(st.url))) return undefined;
  const evil = 'http://evil.example';
  const ex = await st.client.exchange({
    ...initializeSpec(st, st.url),
    headers: { ...st.codex.headers, Accept: CODEX_ACCEPT, Origin: evil },
    label: 'foreign-Origin probe',
    timeoutMs: Math.min(PROBE_MS, ctx.remainingMs()),
  });
  const res = ex.response;
  if (!res) return undefined;
  const session = res.headers['mcp-session-id'];
  if (session) {
    await st.client.exchange({
      method: 'DELETE',
      url: st.url,
      headers: { ...st.codex.headers, 'Mcp-Session-Id': session, Origin: evil },
      label: 'close foreign-Origin probe session',
      timeoutMs: Math.min(1000, ctx.remainingMs()),
    });
  }
  if (res.status >= 300 || ex.failure) return undefined;
  return makeFinding('http.origin-not-checked', {
    ...withDeviation(
      `This local server answered initialize sent with Origin: ${evil} (HTTP ${res.status}), so any web page open in a browser on this machine could talk to it (DNS rebinding). Codex itself is not affected.`,
      { status: res.status, origin: evil },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'it sends no Origin header' },
    ),
    fix: { summary: 'A server-side fix: answer a foreign Origin with 403 (enable the SDK\'s DNS rebinding protection: allowed origins and hosts).' },
  });
}

/** A request with a made-up session id must get 404, which tells clients to initialize again. */
async function staleSessionProbe(ctx: ServerContext, st: PlanState): Promise<Finding | undefined> {
  const id = 'mcp-doctor-stale-session';
  const ex = await st.client.exchange({
    method: 'POST',
    url: st.url,
    headers: { ...sessionHeaders(st), 'Mcp-Session-Id': randomUUID() },
    body: rpcRequest(id, 'tools/list'),
    label: 'unknown-session probe',
    timeoutMs: Math.min(PROBE_MS, ctx.remainingMs()),
    until: (event) => isObject(event.message) && event.message.id === id,
    maxBodyBytes: 64 * 1024,
  });
  const res = ex.response;
  if (!res || ex.failure || res.status === 404) return undefined;
  const body = res.sse ? res.sse.events.map((e) => describeSseEvent(e)).join('\n') : res.body;
  const accepted = res.status < 300 && readAnswer(ex, id).kind === 'result';
  if (!accepted) st.staleStatus = res.status;
  return makeFinding('session.stale-not-404', {
    ...withDeviation(
      `A request with an unknown Mcp-Session-Id got HTTP ${res.status}${accepted ? ' with a normal result (the server does not check sessions)' : ''} instead of 404. ` +
        'Clients (Codex included) re-initialize only on 404, so once the server drops a session — after a restart or an idle timeout — tool calls keep failing until Codex is restarted.',
      { status: res.status, bodyPreview: bodyPreview(ctx, body) },
      { specLevel: 'MUST', sdkTolerates: true, sdk: 'it works until the session is dropped, and does not re-initialize on a 404 either' },
    ),
    fix: { summary: 'A server-side fix: answer requests carrying an unknown or expired session id with 404 Not Found. Until then, restart Codex when this server\'s tool calls start failing.' },
  });
}

// ── tools ────────────────────────────────────────────────────────────────────────────────────

async function tools(ctx: ServerContext, st: PlanState): Promise<StageOutcome> {
  const name = ctx.server.name;
  if (!st.init || st.init.answer.kind !== 'result') return { summary: 'initialize did not complete', skipped: true };
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
      body: rpcRequest(id, 'tools/list', cursor !== undefined ? { cursor } : undefined),
      label: `tools/list${page > 1 ? ` page ${page}` : ''}`,
      until: (event: { message?: unknown }) => isObject(event.message) && event.message.id === id,
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
    all.push(...result.tools);
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
    findings.push(...(await closeSessionChecked(ctx, st.client, { ...sessionTarget(st), sessionId: st.sessionId, staleStatus: st.staleStatus }, DELETE_MS)));
  }
  const filtered = checked.count !== all.length ? ` (of ${all.length} listed)` : '';
  return {
    summary: `${checked.count} tool${checked.count === 1 ? '' : 's'}${filtered}${page > 1 ? ` in ${page} pages` : ''}${call ? `; ${call.summary}` : ''}`,
    findings,
    tools: { count: checked.count, names: checked.names },
  };
}

/**
 * check --login --call-tool NAME: one tools/call with `{}` arguments, after Codex's own requests,
 * to prove calls are authorized too (servers may want more scope for calls: a 403 step-up). Only
 * a tool the server listed is called.
 */
async function callToolProbe(ctx: ServerContext, st: PlanState, login: LoginSession, listed: unknown[]): Promise<{ findings: Finding[]; summary: string }> {
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
        until: (event: { message?: unknown }) => isObject(event.message) && event.message.id === id,
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

async function closeSession(ctx: ServerContext, st: PlanState): Promise<void> {
  st.sessionClosed = true;
  const ex = await st.client.exchange({
    method: 'DELETE',
    url: st.url,
    headers: sessionHeaders(st),
    label: 'close session',
    timeoutMs: Math.min(DELETE_MS, ctx.remainingMs()),
  });
  const status = ex.response?.status;
  if (status !== undefined && !(status < 300 || status === 405)) ctx.transcript.add('note', `DELETE of the session got HTTP ${status} (2xx or 405 expected)`);
}

// ── shared ───────────────────────────────────────────────────────────────────────────────────

interface Sent {
  followed: FollowedExchange;
  /** The status of every attempt (network failures are absent). */
  statuses: number[];
}

/**
 * Sends a request the way Codex does: redirects followed, and 408/429/500/502/503/504 or a
 * request error retried after 250 ms and 1 s. The time counts toward Codex's startup budget.
 */
async function sendWithRetries(ctx: ServerContext, st: PlanState, spec: (url: string) => Parameters<HttpClient['exchange']>[0]): Promise<Sent> {
  const clock = ctx.deps.clock;
  const started = clock.now();
  const statuses: number[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const followed = await exchangeFollowingRedirects(st.client, spec(st.url));
      const ex = followed.exchange;
      if (ex.response) statuses.push(ex.response.status);
      const retryable = ex.failure ? ex.failure.kind !== 'timeout' : RETRY_STATUSES.has(ex.response?.status ?? 0);
      const delay = RETRY_DELAYS_MS[attempt];
      if (!retryable || delay === undefined || ctx.remainingMs() <= delay + 100) return { followed, statuses };
      ctx.transcript.add('note', `retrying ${ex.spec.label} in ${delay} ms, as Codex does`);
      await clock.sleep(delay, ctx.signal);
    }
  } finally {
    st.codexMs += clock.now() - started;
  }
}

/** Codex allows `startup_timeout_sec` for initialize + tools/list; measured on its own requests. */
function startupTimeout(ctx: ServerContext, st: PlanState, stage: StageName): Finding | undefined {
  if (st.codexMs <= ctx.codexBudgetMs) return undefined;
  const took = (st.codexMs / 1000).toFixed(1);
  return makeFinding('timeout.startup', {
    stage,
    message:
      `Starting "${ctx.server.name}" as Codex does (${stage === 'initialize' ? 'initialize and notifications/initialized' : 'initialize through tools/list'}) took ${took} s, ` +
      `but startup_timeout_sec is ${ctx.server.startupTimeoutSec} s: Codex gives up ("timed out handshaking with MCP server").`,
    evidence: { measuredMs: Math.round(st.codexMs), startupTimeoutSec: ctx.server.startupTimeoutSec },
    fix: timeoutFix(ctx, st.codexMs),
  });
}

function fail(summary: string, findings: Finding[], server?: StageOutcome['server']): StageOutcome {
  return { summary, findings, ...(server && { server }) };
}

function failureWords(kind: string): string {
  switch (kind) {
    case 'dns':
      return 'host name does not resolve';
    case 'refused':
      return 'connection refused';
    case 'tls':
      return 'TLS handshake failed';
    case 'timeout':
      return 'no answer in time';
    case 'proxy':
      return 'the proxy refused the request';
    default:
      return 'connection failed';
  }
}

function truncateJson(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 500 ? `${text.slice(0, 500)}…` : value;
}
