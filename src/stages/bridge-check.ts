import { parse as parseToml } from 'smol-toml';
import { suggestedTokenVar } from '../auth/diagnose-auth.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { ServerContext, StageOutcome } from '../pipeline/context.ts';
import { REDACTED } from '../redact.ts';
import { runServer, serverStatusFromFindings, stageStatusFromFindings, type PlanFactory } from '../pipeline/run-server.ts';
import type { BridgeReport, Finding, Fix, ServerReport, Stage } from '../types.ts';
import type { BridgeSpec } from '../transports/stdio/bridge-args.ts';
import { mergeEnvVars, serverTable, shellQuote, terminalCommand } from '../transports/stdio/stdio-findings.ts';
import { apiKeyBridgeFix } from '../transports/stdio/bridge-findings.ts';
import { createHttpPlan } from './http-plan.ts';

/**
 * The remote behind a stdio bridge, checked directly: the HTTP pipeline (createHttpPlan through
 * the same runner) against the bridge's URL, sending what the bridge sends — its `--header`
 * values as it expands them, and mcp-remote's cached token when mcp-remote would present it —
 * within a sub-deadline of the stdio server's own budget. Its findings are then read as the
 * bridge meets them (a legacy SSE remote is fine through mcp-remote; fixes name the bridge's args).
 */

/** What the direct check knew once its auth stage ran: enough to tell whether mcp-remote would sign in. */
export interface RemoteAuth {
  /** Findings of the discovery and auth stages. */
  findings: Finding[];
  /** The remote refused the initialize POST with 401/403. */
  challenged: boolean;
  /** How far the check got before this was decided. */
  reached: 'auth' | 'discovery' | 'ended';
}

export interface BridgeCheck {
  spec: BridgeSpec;
  /** Resolves after the direct check's auth stage (or earlier, when discovery fails). */
  auth: Promise<RemoteAuth>;
  report: Promise<BridgeReport>;
}

export interface BridgeCheckOptions {
  /** An Authorization the bridge adds (mcp-remote's cached token); secret, already registered. */
  authorization?: string;
  /** Where that authorization comes from, for the fixes: `cache` (mcp-remote's tokens) or a `--header`. */
  authorizationSource?: 'cache' | 'header';
  /** mcp-remote's tokens file for this remote, for fixes that delete it. */
  tokensFile?: string;
  /** mcp-remote would refresh its expired token first: no token is sent, and a 401 is expected. */
  refreshPending?: boolean;
  /** Where the Authorization the direct check sends comes from, in words (set by startBridgeCheck). */
  authorizationFrom?: string;
}

/** Codes of an auth stage after which mcp-remote would open a browser to sign in. */
const SIGN_IN_CODES = new Set(['auth.login-required', 'auth.token-expired', 'auth.token-rejected', 'auth.insufficient-scope', 'auth.token-not-resource-bound']);
/** The bridge's DCR fails before any browser opens. */
const NO_SIGN_IN_CODES = new Set(['auth.oauth-unsupported']);
/** Leave the stdio server's budget a moment for its own wrap-up. */
const MARGIN_MS = 750;

export function startBridgeCheck(ctx: ServerContext, spec: BridgeSpec, options: BridgeCheckOptions = {}): BridgeCheck {
  const headers: Record<string, string> = { ...spec.headers };
  const hasAuthorization = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
  if (options.authorization && !hasAuthorization) headers.Authorization = options.authorization;
  // The direct check sends them as `http_headers`; its words should name where they really come from.
  const source = hasAuthorization ? `from ${spec.kind}'s --header` : options.authorization ? "from mcp-remote's token cache" : undefined;
  const own = { ...options, ...(source ? { authorizationFrom: source } : {}) };
  const config: ServerConfig = {
    name: ctx.server.name,
    source: ctx.server.source,
    transport: 'streamable_http',
    raw: { url: spec.url },
    enabled: true,
    required: false,
    args: [],
    env: {},
    envVars: [],
    url: spec.url,
    httpHeaders: headers,
    envHttpHeaders: {},
    startupTimeoutSec: ctx.server.startupTimeoutSec,
    startupTimeoutExplicit: ctx.server.startupTimeoutExplicit,
  };

  let decide!: (auth: RemoteAuth) => void;
  const auth = new Promise<RemoteAuth>((resolve) => (decide = resolve));
  const seen: Finding[] = [];
  // The plan's own stages, watched: the auth outcome is what the stdio plan waits for.
  const watched: PlanFactory = (c) => {
    const plan = createHttpPlan(c);
    const watch = (stage: 'discovery' | 'auth') => async (sc: ServerContext): Promise<StageOutcome> => {
      const outcome = await plan.stages[stage](sc);
      seen.push(...(outcome.findings ?? []));
      const failed = (outcome.findings ?? []).some((f) => f.severity === 'error');
      if (stage === 'auth') decide({ findings: [...seen], challenged: seen.some((f) => f.code.startsWith('auth.')), reached: 'auth' });
      else if (failed) decide({ findings: [...seen], challenged: false, reached: 'discovery' });
      return outcome;
    };
    return { ...plan, stages: { ...plan.stages, discovery: watch('discovery'), auth: watch('auth') } };
  };

  const budget = Math.max(1000, ctx.remainingMs() - MARGIN_MS);
  const nested = runServer({
    entry: { config, findings: [] },
    deps: ctx.deps,
    options: { ...ctx.options, timeoutMs: budget },
    redact: ctx.redact,
    selected: true,
    plans: { stdio: watched, streamable_http: watched },
  }).finally(() => decide({ findings: [...seen], challenged: seen.some((f) => f.code.startsWith('auth.')), reached: 'ended' }));
  return { spec, auth, report: nested.then((report) => toBridgeReport(ctx, spec, report, own)) };
}

/** Whether mcp-remote, started now, would open a browser to sign in (and register a client). */
export function wouldSignIn(spec: BridgeSpec, auth: RemoteAuth): boolean {
  if (spec.kind !== 'mcp-remote' || spec.browserless || !auth.challenged) return false;
  const codes = new Set(auth.findings.map((f) => f.code));
  if ([...NO_SIGN_IN_CODES].some((c) => codes.has(c))) return false;
  // Without dynamic registration mcp-remote stops before the browser, unless it has a client.
  if (codes.has('auth.registration-unavailable') && !spec.staticClient && !spec.clientMetadataUrl) return false;
  return [...codes].some((c) => SIGN_IN_CODES.has(c));
}

function toBridgeReport(ctx: ServerContext, spec: BridgeSpec, nested: ServerReport, options: BridgeCheckOptions): BridgeReport {
  let transport: BridgeReport['transport'] = nested.server.httpTransport === 'sse' ? 'sse' : 'streamable_http';
  const findings = nested.findings.map((finding) => {
    if (finding.code === 'transport.sse-only') transport = 'sse';
    return bridgeFinding(ctx, spec, finding, options);
  });
  const legacyBridged = findings.some((f) => f.code === 'bridge.remote-sse-only');
  const stages: Stage[] = nested.stages.map((stage) => {
    const summary = authorizationWords(stage.summary, options);
    if (stage.status === 'skipped' || stage.status === 'crashed' || stage.name === 'config') return { ...stage, summary };
    return { ...stage, summary, status: stageStatusFromFindings(findings.filter((f) => f.stage === stage.name)) };
  });
  // Stages skipped after one that no longer fails (a legacy SSE remote, a sign-in the bridge does itself).
  for (const stage of stages) {
    const after = /^(\w+) stage failed$/.exec(stage.summary);
    const cause = after && stage.status === 'skipped' ? stages.find((s) => s.name === after[1]) : undefined;
    if (!cause || cause.status === 'fail' || cause.status === 'crashed') continue;
    stage.summary =
      legacyBridged && cause.name === 'discovery'
        ? `not checked directly: the remote speaks legacy HTTP+SSE; the stdio check went through ${spec.kind}`
        : `not checked directly (${cause.name}: ${cause.summary})`;
  }
  return {
    kind: spec.kind,
    url: ctx.redact.url(spec.url),
    transport,
    status: serverStatusFromFindings(findings),
    stages,
    findings,
    server: nested.server,
    tools: nested.tools,
    ...(nested.transcript ? { transcript: nested.transcript } : {}),
  };
}

/**
 * A finding of the direct check as the bridge meets it. Fixes written for a `url = …` table are
 * rewritten for the bridge's `args` where that is possible, and dropped where it is not.
 */
function bridgeFinding(ctx: ServerContext, spec: BridgeSpec, finding: Finding, options: BridgeCheckOptions): Finding {
  const { server, redact } = ctx;
  const kind = spec.kind;
  const url = redact.url(spec.url);
  if (finding.code === 'transport.sse-only') {
    if (spec.transports.includes('sse')) {
      return makeFinding('bridge.remote-sse-only', {
        message: `The remote at ${url} speaks the legacy HTTP+SSE transport; ${kind} bridges it${
          kind === 'mcp-remote' && spec.transports[0] === 'streamable' ? ' (its http-first strategy falls back to SSE when the POST is refused)' : ''
        }, so "${server.name}" works through the bridge. Codex itself could not use this URL directly.`,
        ...(finding.evidence ? { evidence: finding.evidence } : {}),
        fix: { summary: 'Nothing to fix while the bridge is in place.' },
      });
    }
    const args = withoutFlag(server.args, '--transport');
    return {
      ...finding,
      message: `${finding.message} ${kind} is started with \`--transport ${spec.strategy ?? 'http-only'}\`, which never falls back to SSE.`,
      fix: argsFix(ctx, args, `Let ${kind} fall back to SSE: remove \`--transport ${spec.strategy ?? 'http-only'}\` (the default is http-first).`),
    };
  }
  const rewritten = { ...finding };
  // Codex's own login and credential store play no part behind a bridge.
  rewritten.message = authorizationWords(finding.message, options)
    .replace(/`codex mcp login [^`]+`/g, 'an OAuth sign-in')
    // The direct check's budget is what is left of the stdio server's, not a --timeout.
    .replace(/\(the --timeout of [^)]*\)/g, "(what was left of this server's check)");
  if (finding.evidence && Object.keys(finding.evidence).some((k) => k.startsWith('credentials'))) {
    rewritten.evidence = Object.fromEntries(Object.entries(finding.evidence).filter(([k]) => !k.startsWith('credentials')));
  }
  if (finding.code === 'auth.login-required') {
    // mcp-remote signs in by itself; Codex's own login does not reach it.
    rewritten.message = rewritten.message.replace(/,? and Codex has no stored credentials for this name and URL\.?/, `; ${kind} sent no token.`);
    if (options.refreshPending) {
      return {
        ...rewritten,
        severity: 'info',
        message: `${rewritten.message} mcp-remote refreshes its expired token before it connects (bridge.token-refresh-pending); mcp-doctor does not refresh it, so this 401 is expected.`,
        fix: { summary: 'Nothing to fix unless the refresh fails.' },
      };
    }
    rewritten.severity = 'warning';
    rewritten.fix =
      kind === 'mcp-remote'
        ? {
            summary: `mcp-remote signs in by itself: run the same command once in a terminal and finish the sign-in in the browser; it caches the tokens, and Codex's next start uses them.`,
            command: terminalCommand(ctx),
          }
        : { summary: `${kind} does not sign in with OAuth: give it a token as a header, or use mcp-remote, which does.` };
    return rewritten;
  }
  if (finding.code === 'auth.oauth-unsupported' && kind === 'mcp-remote') {
    const variable = suggestedTokenVar(server.name);
    const header = `Authorization:Bearer \${${variable}}`;
    rewritten.fix = {
      summary: `The remote wants a token and offers no OAuth sign-in: pass it as a header (mcp-remote expands \${${variable}} from its environment) and forward the variable with env_vars.`,
      toml: serverTable(server.name, [
        ['args', [...server.args, '--header', header]],
        ['env_vars', mergeEnvVars(server, [variable])],
      ]),
    };
    return rewritten;
  }
  if ((finding.code === 'auth.api-key-required' || finding.code === 'auth.api-key-wrong-header') && kind === 'mcp-remote') {
    rewritten.fix = apiKeyBridgeFix(ctx, String(finding.evidence?.header ?? 'X-API-Key'));
    return rewritten;
  }
  if ((finding.code === 'auth.token-rejected' || finding.code === 'auth.token-expired') && options.authorizationSource === 'cache' && options.tokensFile) {
    rewritten.fix = {
      summary: `The token is the one mcp-remote cached. Delete that file and sign in again once from a terminal (the same command).`,
      command: `rm ${shellQuote(options.tokensFile)}`,
    };
    return rewritten;
  }
  if (finding.fix) rewritten.fix = bridgeFix(ctx, spec, finding.fix);
  return rewritten;
}

/** A url-table fix for the bridge: a new `url` becomes the bridge's URL argument; other keys do not apply. */
function bridgeFix(ctx: ServerContext, spec: BridgeSpec, fix: Fix): Fix {
  const { server } = ctx;
  const command = fix.command && !/^codex mcp (?:login|logout)/.test(fix.command) ? { command: fix.command } : {};
  if (fix.toml) {
    let table: Record<string, unknown> | undefined;
    try {
      const parsed = parseToml(fix.toml) as { mcp_servers?: Record<string, Record<string, unknown>> };
      table = parsed.mcp_servers?.[server.name];
    } catch {
      table = undefined;
    }
    if (table && typeof table.url === 'string' && Object.keys(table).length === 1 && !fix.remove && !fix.rename) {
      const args = server.args.map((a) => (a === spec.url ? (table!.url as string) : a));
      return { ...argsFix(ctx, args, `${fix.summary} Through ${spec.kind}: change the URL in its arguments.`), ...command };
    }
  }
  return { summary: fix.summary, ...command };
}

function argsFix(ctx: ServerContext, args: string[], summary: string): Fix {
  const toml = serverTable(ctx.server.name, [['args', args]]);
  const shown = ctx.redact.text(toml);
  return { summary, toml: shown, ...(shown !== toml || shown.includes(REDACTED) ? { template: true } : {}) };
}

function withoutFlag(args: string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) {
      i++;
      continue;
    }
    out.push(args[i]!);
  }
  return out;
}

/** "the Authorization header in http_headers" → "… from mcp-remote's token cache" (or the bridge's --header). */
function authorizationWords(text: string, options: BridgeCheckOptions): string {
  return options.authorizationFrom ? text.replace(/\b(?:in|from) http_headers\b/g, options.authorizationFrom) : text;
}
