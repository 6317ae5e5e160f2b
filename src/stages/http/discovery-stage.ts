import { codexAuthorizationFor, type CodexAuthorization } from '../../auth/diagnose-auth.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import { CODEX_ACCEPT } from '../../transports/http/codex-headers.ts';
import type { Exchange, HttpResponse } from '../../transports/http/http-exchange.ts';
import { bridgeFix, describeRoute, looksLikeHtml, networkFinding, routeOf, serverHeader, urlFix } from '../../transports/http/http-findings.ts';
import { errorBody, readAnswer, type RpcAnswer } from '../../transports/http/jsonrpc.ts';
import { describeSseEvent } from '../../transports/http/sse-reader.ts';
import { withDeviation } from '../../transports/http/protocol-deviation.ts';
import { probeLegacySse, probeModern, probeSiblings } from '../../transports/http/transport-probes.ts';
import { INIT_ID, initializeSpec, sendWithRetries } from './codex-requests.ts';
import { modernOnlyFinding, notMcpFinding, redirectFinding, sseOnlyFinding, unexpectedStatus } from './discovery-findings.ts';
import type { HttpExchangeState } from './exchange-state.ts';
import { fail, failureWords } from './stage-outcome.ts';
import { refusedRedirectOutcome } from '../../transports/http/redirect-refusal.ts';
import { refineTlsFinding } from '../../transports/http/tls-findings.ts';

/**
 * The discovery stage of a Streamable HTTP server: posts `initialize` exactly as Codex does and
 * classifies the answer (network, redirects, statuses, content types, legacy SSE, hybrid,
 * modern-era servers). A usable answer is handed to the initialize stage, a 401/403 to the auth
 * stage; judging the InitializeResult itself is the initialize stage's job.
 */

/** JSON-RPC errors a 2026-07-28 server uses to refuse a legacy request. */
const MODERN_REFUSALS = new Set([-32022, -32020, -32021]);

/** The answer to `initialize`, for the initialize stage to judge. */
export interface InitializeAnswer {
  exchange: Exchange;
  answer: RpcAnswer;
}

/** The credential Codex would send (config, or a stored OAuth login), as decided in discovery. */
export type SentCredential = Pick<CodexAuthorization, 'source' | 'authorization'>;

/** What discovery hands on to the later stages besides its outcome. */
export interface DiscoveryHandoff {
  /** The answer to `initialize` (also a JSON-RPC error refused with HTTP 400). */
  init?: InitializeAnswer;
  /** The 401/403 answer to `initialize`, for the auth stage. */
  challenge?: HttpResponse;
  sent: SentCredential;
  /** Where the client log lines of the initialize POST are (retries and redirects included). */
  initRequests: { start: number; end: number };
}

export interface Discovered extends DiscoveryHandoff {
  outcome: StageOutcome;
}

/** A judged answer to `initialize`: the stage outcome, and the answer when it is worth initializing on. */
export interface JudgedAnswer {
  outcome: StageOutcome;
  init?: InitializeAnswer;
}

/** Discovery, with the proxy route the requests took (or the NO_PROXY entry that exempted them). */
export async function discoveryStage(ctx: ServerContext, st: HttpExchangeState): Promise<Discovered> {
  const found: DiscoveryHandoff = { sent: { source: 'none' }, initRequests: { start: 0, end: 0 } };
  const outcome = await discoverEndpoint(ctx, st, found);
  const via = describeRoute(ctx, routeOf(ctx, st.url));
  return { ...found, outcome: via ? { ...outcome, summary: `${outcome.summary} (${via})` } : outcome };
}

/** `found` collects what later stages need; the outcome is the stage's own verdict. */
async function discoverEndpoint(ctx: ServerContext, st: HttpExchangeState, found: DiscoveryHandoff): Promise<StageOutcome> {
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
  if (st.codex.invalidBearerVar) {
    const { variable } = st.codex.invalidBearerVar;
    return fail(`$${variable} holds characters a header cannot`, [
      makeFinding('config.invalid-value', {
        stage: 'discovery',
        message: `bearer_token_env_var names $${variable}, whose value holds a character an HTTP header cannot carry (a line break or another control character), so Codex fails to start "${name}" before sending anything ("invalid HTTP header: failed to parse header value").`,
        evidence: { variable },
        fix: { summary: `Set $${variable} to the token alone, without line breaks (a token read from a file often ends with one).`, command: `export ${variable}="$(printf %s "$${variable}" | tr -d '\r\n')"` },
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
  const authorization = await codexAuthorizationFor({ server: ctx.server, deps: ctx.deps, redact: ctx.redact, nowMs: ctx.deps.clock.epochMs(), mode: ctx.options.codexGlobals?.credentialsStore });
  found.sent = { source: authorization.source, authorization: authorization.authorization };
  if (authorization.source === 'oauth' && authorization.authorization) {
    st.codex.headers.Authorization = authorization.authorization;
    st.codex.auth = { kind: 'oauth', detail: authorization.detail };
  }
  ctx.transcript.add('note', `credential Codex would send: ${authorization.detail}`);
  if (/\/sse\/?$/.test(parsed.pathname)) ctx.transcript.add('note', 'the URL ends in /sse, where legacy HTTP+SSE servers usually live; Codex needs a Streamable HTTP endpoint');

  const findings: Finding[] = [];
  const logStart = st.client.log.length;
  const sent = await sendWithRetries(ctx, st, (url) => initializeSpec(st, url));
  found.initRequests = { start: logStart, end: st.client.log.length };
  const { followed, statuses } = sent;
  const ex = followed.exchange;
  const res = ex.response;

  if (followed.hops.length > 0) st.url = followed.finalUrl;
  if (followed.refused) return refusedRedirectOutcome(ctx, followed)!;
  const redirect = followed.hops.length > 0 ? redirectFinding(ctx, st.codex.auth !== undefined, followed) : undefined;
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
    found.challenge = res;
    return { summary: `endpoint requires authentication (HTTP ${res.status})`, findings, server: { httpTransport: 'streamable' } };
  }
  if (res.status >= 300 && res.status < 400) {
    findings.push(unexpectedStatus(ctx, st.url, res, statuses, 'a redirect without a usable Location header'));
    return fail(`HTTP ${res.status}`, findings);
  }
  const judged = res.status >= 400 ? await refusedPost(ctx, st, ex, statuses, findings) : await answeredPost(ctx, st, ex, findings);
  found.init = judged.init;
  return judged.outcome;
}

/** A non-2xx answer to `initialize`: modern-only, legacy SSE, a JSON-RPC refusal, or not MCP. */
async function refusedPost(ctx: ServerContext, st: HttpExchangeState, ex: Exchange, statuses: number[], findings: Finding[]): Promise<JudgedAnswer> {
  const res = ex.response!;
  const rpcError = errorBody(res.body);
  const modernHint = rpcError !== undefined && ((res.status === 400 && MODERN_REFUSALS.has(rpcError.code)) || (res.status === 404 && rpcError.code === -32601));
  if (modernHint) {
    const modern = await probeModern(ctx, st.client, st.url, st.codex.headers);
    if (modern.supportedVersions) {
      findings.push(modernOnlyFinding(ctx, st.url, res, rpcError, modern.supportedVersions));
      return { outcome: fail('speaks only the 2026-07-28 protocol', findings, { httpTransport: 'streamable', era: 'modern' }) };
    }
  }
  if (res.status === 400 && rpcError && !modernHint) {
    // The transport works and the server refused `initialize` itself: the initialize stage explains it.
    return {
      outcome: { summary: 'endpoint answers initialize (with an error, HTTP 400)', findings, server: { httpTransport: 'streamable', era: 'legacy' } },
      init: { exchange: ex, answer: { kind: 'error', error: rpcError, message: {} } },
    };
  }
  if (res.status === 400 || res.status === 404 || res.status === 405) {
    const legacy = await probeLegacySse(ctx, st.client, st.url, st.codex.headers);
    if (legacy.endpoint) {
      const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
      const bridgeUrl = siblings.url ? undefined : await sameOriginSseUrl(ctx, st, legacy.endpoint.data);
      findings.push(sseOnlyFinding(ctx, st.url, res, legacy.endpoint.data, legacy.events.map((e) => describeSseEvent(e)), siblings, bridgeUrl));
      return { outcome: fail('legacy HTTP+SSE server (no Streamable HTTP)', findings, { httpTransport: 'sse', era: 'legacy' }) };
    }
  }
  if (res.status === 406 || res.status === 415) {
    findings.push(
      unexpectedStatus(
        ctx,
        st.url,
        res,
        statuses,
        `although the request carried the headers the spec requires (Accept: ${CODEX_ACCEPT}; Content-Type: application/json): the server's header check is broken`,
      ),
    );
    return { outcome: fail(`HTTP ${res.status}`, findings) };
  }
  if (res.status === 404 || res.status === 405 || res.status === 410 || (looksLikeHtml(res) && res.status < 500)) {
    const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
    findings.push(notMcpFinding(ctx, st.url, res, `answers HTTP ${res.status}${res.status === 405 ? ' (POST not allowed)' : ''}`, siblings));
    return { outcome: fail(`not an MCP endpoint (HTTP ${res.status})`, findings) };
  }
  findings.push(unexpectedStatus(ctx, st.url, res, statuses, rpcError ? `with JSON-RPC error ${rpcError.code} "${rpcError.message}"` : undefined));
  return { outcome: fail(`HTTP ${res.status}${statuses.length > 1 ? ` after ${statuses.length} attempts` : ''}`, findings) };
}

/** A 2xx answer to `initialize`: JSON or an event stream carrying the result, or not MCP. */
export async function answeredPost(ctx: ServerContext, st: HttpExchangeState, ex: Exchange, findings: Finding[]): Promise<JudgedAnswer> {
  let init: InitializeAnswer;
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
      return { outcome: fail('POST answered with a legacy "endpoint" event', findings, { httpTransport: 'streamable', era: 'legacy' }) };
    }
    if (res.sse.ended === 'stalled') {
      const finding = networkFinding(ctx, { kind: 'timeout', phase: res.sse.events.length === 0 ? 'first-event' : 'body', detail: 'no answer on the stream' }, st.url, 'initialize', 'discovery');
      return { outcome: fail('event stream opened, no answer', [...findings, finding]) };
    }
    init = { exchange: ex, answer: readAnswer(ex, INIT_ID) };
  } else if (res.contentType === 'application/json') {
    const answer = readAnswer(ex, INIT_ID);
    if (answer.kind === 'invalid' && looksLikeHtml(res)) {
      const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
      findings.push(notMcpFinding(ctx, st.url, res, 'answers with an HTML page labelled application/json', siblings));
      return { outcome: fail('not an MCP endpoint (HTML page)', findings) };
    }
    init = { exchange: ex, answer };
  } else if ((res.status === 202 || res.status === 204) && res.body.trim() === '') {
    init = { exchange: ex, answer: { kind: 'invalid', problem: `initialize was answered ${res.status} with no body, as if it were a notification` } };
  } else {
    const siblings = await probeSiblings(ctx, st.client, st.url, st.codex.headers);
    const what =
      res.contentType === 'text/html'
        ? 'answers with an HTML page'
        : res.contentType === undefined
          ? 'answers with no Content-Type'
          : `answers with Content-Type ${res.contentType}`;
    findings.push(notMcpFinding(ctx, st.url, res, what, siblings));
    return { outcome: fail(`not an MCP endpoint (${res.contentType ?? 'no Content-Type'})`, findings) };
  }

  const via = res.sse ? 'an event stream' : 'JSON';
  if (init.answer.kind === 'result' && ctx.options.deep) {
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
  return { outcome: { summary: `answers initialize over Streamable HTTP (${via})`, findings, server: { httpTransport: 'streamable', era: 'legacy' } }, init };
}

/**
 * The SDK client behind mcp-remote refuses an `endpoint` on another origin ("Endpoint origin does
 * not match connection origin", LSSE-02). When the server names another origin (often localhost
 * for 127.0.0.1), the same path on that origin is tried; it is used if its endpoint then matches.
 */
async function sameOriginSseUrl(ctx: ServerContext, st: HttpExchangeState, endpoint: string): Promise<{ url: string; crossOrigin: string; works: boolean } | undefined> {
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
