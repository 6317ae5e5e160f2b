import type { ServerContext } from '../../pipeline/context.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { Finding } from '../../types.ts';
import { CODEX_PROTOCOL_VERSION } from '../../transports/http/codex-headers.ts';
import type { FollowedExchange, HttpResponse, RedirectHop } from '../../transports/http/http-exchange.ts';
import { bodyPreview, bridgeFix, htmlTitle, isFigmaDesktop, looksLikeHtml, urlFix } from '../../transports/http/http-findings.ts';
import type { RpcError } from '../../transports/http/jsonrpc.ts';
import type { SiblingProbe } from '../../transports/http/transport-probes.ts';
import { RETRY_STATUSES } from './codex-requests.ts';
import { CODEX } from '../../codex/codex-version.ts';

/**
 * The findings of the discovery stage that need more than one line to word: what the answer to
 * `initialize` says about the endpoint (not MCP, legacy SSE, modern-only, redirected, refused).
 * `url` is the endpoint in use (after redirects); they only build findings, they send nothing.
 */

export function modernOnlyFinding(ctx: ServerContext, url: string, res: HttpResponse, rpcError: RpcError | undefined, versions: string[]) {
  return makeFinding('transport.modern-only', {
    stage: 'discovery',
    message:
      `"${ctx.server.name}" speaks only the stateless 2026-07-28 protocol (server/discover lists ${versions.join(', ')}) and refuses initialize ` +
      `(HTTP ${res.status}${rpcError ? `, JSON-RPC ${rpcError.code} "${rpcError.message}"` : ''}). Clients that start with initialize — ${CODEX} among them, sending ${CODEX_PROTOCOL_VERSION} — cannot connect.`,
    evidence: { status: res.status, ...(rpcError && { error: rpcError }), supportedVersions: versions },
    fix: bridgeFix(ctx, url, ['--protocol', 'auto'], 'Ask the server to keep serving initialize-based clients; meanwhile mcp-remote can bridge it (it negotiates the protocol era).'),
  });
}

export function sseOnlyFinding(
  ctx: ServerContext,
  url: string,
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
      : bridgeFix(ctx, cross?.works ? cross.url : url, ['--transport', 'sse-only'], 'Bridge the SSE endpoint over stdio with mcp-remote.'),
  });
}

export function notMcpFinding(ctx: ServerContext, endpoint: string, res: HttpResponse, what: string, siblings: SiblingProbe) {
  const title = looksLikeHtml(res) ? htmlTitle(res.body) : undefined;
  const url = ctx.redact.url(endpoint);
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

export function unexpectedStatus(ctx: ServerContext, url: string, res: HttpResponse, statuses: number[], detail?: string) {
  const target = new URL(url);
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

/** `sentCredential`: the request carried a credential, which a cross-origin hop drops. */
export function redirectFinding(ctx: ServerContext, sentCredential: boolean, followed: FollowedExchange): Finding {
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
  const dropsAuth = hops.some((h) => h.crossOrigin) && sentCredential;
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
