/**
 * The redirects Codex refuses to follow, and so mcp-doctor does not follow either: one to another
 * origin (no request, credentials least of all, goes to a host the server chose) and an 11th
 * hop. Both fail the server as they fail Codex's start.
 */
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../../pipeline/context.ts';
import type { Finding } from '../../types.ts';
import { MAX_REDIRECTS, type FollowedExchange } from './http-exchange.ts';
import { urlFix } from './http-findings.ts';

/** The failed discovery outcome for a refused redirect; undefined when none was refused. */
export function refusedRedirectOutcome(ctx: ServerContext, followed: FollowedExchange): StageOutcome | undefined {
  if (!followed.refused) return undefined;
  const finding = followed.refused === 'cross-origin' ? crossOriginFinding(ctx, followed) : tooManyFinding(ctx, followed);
  return { summary: followed.refused === 'cross-origin' ? 'redirect to another origin (not followed)' : `more than ${MAX_REDIRECTS} redirects`, findings: [finding] };
}

function crossOriginFinding(ctx: ServerContext, followed: FollowedExchange): Finding {
  const hop = followed.hops[followed.hops.length - 1]!;
  const from = new URL(hop.from);
  const to = new URL(hop.to);
  const what =
    from.hostname === to.hostname && from.port === to.port && from.protocol !== to.protocol
      ? `another scheme (${from.protocol.slice(0, -1)} → ${to.protocol.slice(0, -1)})`
      : from.hostname === to.hostname && from.protocol === to.protocol
        ? `another port (${to.port || 'the default'})`
        : `another host (${ctx.redact.url(to.origin)})`;
  const before = followed.hops.slice(0, -1);
  const credentials = Object.keys(ctx.server.httpHeaders).length > 0 || Object.keys(ctx.server.envHttpHeaders).length > 0 || ctx.server.bearerTokenEnvVar !== undefined;
  return makeFinding('http.redirect-cross-origin', {
    stage: 'discovery',
    message:
      `${ctx.redact.url(hop.from)} answers ${hop.status} with a redirect to ${ctx.redact.url(hop.to)}, on ${what}. ` +
      `Codex does not follow a redirect to a different origin ("MCP HTTP redirect to a different origin is not allowed"), so "${ctx.server.name}" fails to start. ` +
      `mcp-doctor did not follow it either: no request${credentials ? ', and none of the configured credentials,' : ''} went to ${ctx.redact.url(to.origin)}.`,
    evidence: {
      status: hop.status,
      from: ctx.redact.url(hop.from),
      location: ctx.redact.url(hop.to),
      ...(before.length > 0 && { sameOriginHopsBefore: before.map((h) => `${h.status} → ${ctx.redact.url(h.to)}`) }),
      codexSays: 'MCP HTTP redirect to a different origin is not allowed',
    },
    fix: {
      ...urlFix(ctx, hop.to, `If ${ctx.redact.url(to.origin)} is the server's real address and you trust it, configure the URL the redirect points to.`),
      // mcp-doctor contacts no origin a server's redirect names, so whether that URL works is unknown.
      untried: `it points at ${ctx.redact.url(to.origin)}, which mcp-doctor did not contact (a redirect chose it): check that it is the server's real address first`,
    },
  });
}

function tooManyFinding(ctx: ServerContext, followed: FollowedExchange): Finding {
  const hops = followed.hops;
  const shown = hops.length <= 4 ? hops : [...hops.slice(0, 2), undefined, ...hops.slice(-2)];
  const chain = shown.map((h) => (h ? `${h.status} → ${ctx.redact.url(h.to)}` : '…')).join(', ');
  return makeFinding('http.too-many-redirects', {
    stage: 'discovery',
    message:
      `${ctx.redact.url(hops[0]!.from)} redirects more than ${MAX_REDIRECTS} times (${chain}). ` +
      `Codex stops after ${MAX_REDIRECTS} hops ("MCP HTTP request exceeded the redirect limit"), so "${ctx.server.name}" fails to start; mcp-doctor stopped there too.`,
    evidence: { hopsFollowed: MAX_REDIRECTS, lastLocation: ctx.redact.url(hops[hops.length - 1]!.to), codexSays: 'MCP HTTP request exceeded the redirect limit' },
    fix: { summary: 'Configure the URL the chain should end at, or fix the redirect rules on the server or proxy.' },
  });
}
