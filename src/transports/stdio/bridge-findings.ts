import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import { suggestedKeyVar } from '../../config/toml-snippet.ts';
import type { BridgeReport, Finding, Fix } from '../../types.ts';
import type { BridgeSpec } from './bridge-args.ts';
import { UNIX_ENV_WHITELIST, WINDOWS_ENV_WHITELIST } from './child-env.ts';
import { STALE_CLIENT_SIGNS, type McpRemoteCache } from './mcp-remote-cache.ts';
import { mergeEnvVars, serverTable, shellQuote, terminalCommand } from './stdio-findings.ts';

/** Builders for the findings about a stdio bridge and mcp-remote's token store: wording and fixes, no I/O. */

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function shown(ctx: ServerContext, path: string): string {
  return ctx.redact.text(path);
}

export function bridgeNoteFinding(ctx: ServerContext, spec: BridgeSpec): Finding {
  const url = ctx.redact.url(spec.url);
  return makeFinding('stdio.bridge', {
    message: `"${ctx.server.name}" runs ${spec.kind}, a bridge to ${url}; that remote is checked directly too (the bridge diagnosis below). Codex speaks Streamable HTTP itself: if the remote passes there, \`url = "…"\` works without the bridge.`,
    evidence: {
      bridge: spec.kind,
      url,
      transports: spec.transports,
      ...(Object.keys(spec.rawHeaders).length ? { headers: Object.keys(spec.rawHeaders) } : {}),
      ...(spec.version ? { version: spec.version } : {}),
    },
    fix: { summary: 'Check the URL directly; if it passes, configure `url` instead of the bridge.', command: `mcp-doctor check --url ${url}` },
  });
}

/**
 * `${VAR}` in an mcp-remote `--header` that Codex does not pass on: mcp-remote expands it from its
 * own environment and leaves the literal text when the variable is missing.
 */
export function headerVariableFinding(ctx: ServerContext, spec: BridgeSpec, names: string[]): Finding {
  const { server } = ctx;
  const headers = Object.entries(spec.rawHeaders)
    .filter(([, value]) => names.some((n) => value.includes(`\${${n}}`)))
    .map(([name]) => name);
  const whitelist = (ctx.deps.platform === 'win32' ? WINDOWS_ENV_WHITELIST : UNIX_ENV_WHITELIST).filter((n) => n !== '__CF_USER_TEXT_ENCODING');
  const list = names.map((n) => `\`${n}\``).join(', ');
  return makeFinding('stdio.env-not-forwarded', {
    stage: 'discovery',
    message: `"${server.name}" passes ${headers.map((h) => `the ${h} header`).join(' and ')} to mcp-remote with ${names.map((n) => `\${${n}}`).join(', ')}. mcp-remote replaces that from its own environment, but Codex does not pass ${list} on (a stdio server gets only ${whitelist.join(', ')}, plus \`env_vars\` and \`env\`), so the remote receives the literal text ${names.map((n) => `"\${${n}}"`).join(', ')}. It is set in your environment.`,
    evidence: { needed: names, headers, via: 'mcp-remote --header', minimal: true, spawns: 0 },
    fix: {
      summary: `Forward ${list} by name with \`env_vars\`; mcp-remote then expands the header itself (no shell is needed, whatever config.var-not-expanded suggests for other servers).`,
      toml: serverTable(server.name, [['env_vars', mergeEnvVars(server, names)]]),
    },
  });
}

export interface CacheVerdict {
  findings: Finding[];
  /** The finding that explains why the bridge was not started (a browser sign-in). */
  notStarted?: Finding;
}

/**
 * mcp-remote's token store for this remote, judged against what the direct check saw.
 * `signIn`: the remote asks for an OAuth sign-in that mcp-remote would start in a browser.
 */
export function cacheFindings(
  ctx: ServerContext,
  spec: BridgeSpec,
  cache: McpRemoteCache | undefined,
  remote: { signIn: boolean; rejectedCachedToken: boolean; directLogin?: boolean },
): CacheVerdict {
  const { server } = ctx;
  const findings: Finding[] = [];
  const nowMs = ctx.deps.clock.epochMs();
  const tokens = cache?.tokens;
  const where = cache ? shown(ctx, cache.dir) : 'its store (no HOME in the server\'s environment)';
  const evidence = cache
    ? {
        store: shown(ctx, cache.dir),
        key: cache.key,
        keyFrom: cache.keyParts,
        ...(tokens ? { tokensFile: shown(ctx, tokens.file), tokenState: tokens.state } : {}),
        ...(tokens?.expiresAt !== undefined ? { expiresAt: new Date(tokens.expiresAt).toISOString(), expirySource: tokens.expirySource } : {}),
        ...(cache.abandonedSignIns ? { abandonedSignIns: cache.abandonedSignIns } : {}),
        ...(cache.elsewhere.length ? { otherStores: cache.elsewhere.map((e) => ({ dir: shown(ctx, e.dir), files: e.files })) } : {}),
        ...(cache.userDirFiles?.length ? { userConfigDir: shown(ctx, cache.userBaseDir!), userConfigDirFiles: cache.userDirFiles } : {}),
      }
    : {};
  const budget = `${seconds(ctx.codexBudgetMs)} (startup_timeout_sec)`;
  const notStartedWhy = ' mcp-doctor did not start the bridge: it would open a browser tab and register an OAuth client.';
  // The remote speaks Streamable HTTP with OAuth metadata Codex can use: the bridge can go.
  const direct = remote.directLogin
    ? ` Or drop the bridge: the remote speaks Streamable HTTP with OAuth metadata Codex uses, so \`url = ${JSON.stringify(ctx.redact.url(spec.url))}\` (instead of command and args) and \`codex mcp login ${server.name}\` work too.`
    : '';
  const signInFix = {
    summary: `Sign in once from a terminal with the same command, finish the page in the browser, then stop it (Ctrl-C): the tokens are cached and Codex's next start uses them.${direct}`,
    command: terminalCommand(ctx),
  };
  const blocking = ` Codex cannot use the server until then.`;

  let notStarted: Finding | undefined;
  if (remote.signIn && (!tokens || tokens.state === 'invalid')) {
    let message = `"${server.name}": the remote asks for an OAuth sign-in and mcp-remote has no ${tokens ? 'readable ' : ''}tokens for it in ${where} (key ${cache?.key ?? '?'}). At its next start mcp-remote opens a browser and waits for the sign-in before answering anything, so under Codex the start times out after ${budget} unless the sign-in is finished in time.${blocking}`;
    if (cache?.abandonedSignIns) message += ` ${cache.abandonedSignIns} earlier sign-in${cache.abandonedSignIns === 1 ? ' was' : 's were'} started for this remote and never finished.`;
    if (cache?.elsewhere.length) message += ` Tokens for the same key exist in ${cache.elsewhere.map((e) => shown(ctx, e.dir)).join(', ')}, another mcp-remote version's store, which this one does not read.`;
    let fix: Finding['fix'] = signInFix;
    if (cache?.userDirFiles?.length) {
      message += ` Your own MCP_REMOTE_CONFIG_DIR (${shown(ctx, cache.userBaseDir!)}) holds tokens for this remote, but Codex does not pass that variable on, so mcp-remote under Codex looks in ${shown(ctx, cache.baseDir)}.`;
      fix = {
        summary: 'Forward MCP_REMOTE_CONFIG_DIR so mcp-remote under Codex reads the tokens your terminal sign-in stored.',
        toml: serverTable(server.name, [['env_vars', mergeEnvVars(server, ['MCP_REMOTE_CONFIG_DIR'])]]),
      };
    }
    notStarted = makeFinding('bridge.tokens-missing', { message: message + notStartedWhy, evidence, fix });
  } else if (tokens?.state === 'expired-refreshable') {
    findings.push(
      makeFinding('bridge.token-refresh-pending', {
        message: `"${server.name}": mcp-remote's cached access token expired ${tokens.expiresAt ? `at ${new Date(tokens.expiresAt).toISOString()}` : 'earlier'}; it has a refresh token, so mcp-remote refreshes it when it starts (not tried by mcp-doctor: a refresh can replace the refresh token).`,
        evidence,
        fix: { summary: 'Nothing to do unless the refresh fails; then sign in again once from a terminal.', command: terminalCommand(ctx) },
      }),
    );
  } else if (remote.signIn && tokens?.state === 'expired') {
    notStarted = makeFinding('bridge.tokens-expired', {
      message: `"${server.name}": mcp-remote's cached access token expired ${tokens.expiresAt ? `at ${new Date(tokens.expiresAt).toISOString()}` : 'earlier'} and there is no refresh token. mcp-remote sends it anyway, gets a 401 and starts a browser sign-in, so under Codex the start times out after ${budget} unless the sign-in is finished in time.${notStartedWhy}`,
      evidence,
      fix: { ...signInFix, summary: `Sign in again once from a terminal with the same command (it replaces ${shown(ctx, tokens.file)}).` },
    });
  } else if (remote.signIn && tokens?.state === 'valid') {
    notStarted = makeFinding('bridge.tokens-rejected', {
      severity: 'error',
      message: `"${server.name}": the remote refuses the access token mcp-remote cached (${shown(ctx, tokens.file)}), although it has not expired. mcp-remote then discards it and starts a browser sign-in, so under Codex the start times out after ${budget}.${notStartedWhy}`,
      evidence,
      fix: { summary: 'Delete that tokens file and sign in again once from a terminal with the same command.', command: `rm ${shellQuote(tokens.file)} && ${terminalCommand(ctx)}` },
    });
  } else if (remote.rejectedCachedToken && tokens) {
    findings.push(
      makeFinding('bridge.tokens-rejected', {
        message: `"${server.name}": the remote refuses the access token mcp-remote cached (${shown(ctx, tokens.file)}).`,
        evidence,
        fix: { summary: 'Delete that tokens file and sign in again once from a terminal.', command: `rm ${shellQuote(tokens.file)}` },
      }),
    );
  }
  if (notStarted) findings.push(notStarted);

  const info = cache?.clientInfo;
  if (cache && info) {
    const expired = info.secretExpiresAt !== undefined && info.secretExpiresAt <= nowMs;
    if (expired || cache.staleClientLines.length > 0) findings.push(staleClientFinding(ctx, cache, expired ? 'expired' : cache.staleClientLines));
  }

  for (const lock of cache?.locks ?? []) {
    findings.push(
      makeFinding('bridge.stale-lock', {
        message: lock.alive
          ? `"${server.name}": ${shown(ctx, lock.file)} is held by a running process (pid ${lock.pid}): another mcp-remote is signing in or refreshing for this remote, and a new instance waits for it.`
          : `"${server.name}": ${shown(ctx, lock.file)} was left by a process that no longer runs (pid ${lock.pid}); mcp-remote clears it the next time it needs it.`,
        evidence: { file: shown(ctx, lock.file), pid: lock.pid, alive: lock.alive, ...(lock.at ? { takenAt: new Date(lock.at).toISOString() } : {}) },
        fix: lock.alive
          ? { summary: `Finish or stop the other instance's sign-in (pid ${lock.pid}).` }
          : { summary: 'Nothing is needed; delete the file if you like.', command: `rm ${shellQuote(lock.file)}` },
      }),
    );
  }
  return { findings, ...(notStarted ? { notStarted } : {}) };
}

/** A cached client registration the authorization server no longer accepts. */
export function staleClientFinding(ctx: ServerContext, cache: McpRemoteCache, why: 'expired' | string[]): Finding {
  const info = cache.clientInfo!;
  const files = [info.file, ...(cache.tokens ? [cache.tokens.file] : [])];
  const reason =
    why === 'expired'
      ? `its client secret expired at ${new Date(info.secretExpiresAt!).toISOString()}`
      : `mcp-remote reported ${JSON.stringify(why[why.length - 1]!.trim().slice(0, 160))}`;
  return makeFinding('bridge.client-info-stale', {
    message: `"${ctx.server.name}": mcp-remote reuses the OAuth client it registered earlier (${shown(ctx, info.file)}), and the authorization server no longer accepts it: ${reason}. Every sign-in then fails at the token exchange until that registration is removed.`,
    evidence: { clientInfoFile: shown(ctx, info.file), ...(why === 'expired' ? { secretExpiredAt: new Date(info.secretExpiresAt!).toISOString() } : { lines: why }) },
    fix: {
      summary: `Delete this server's registration and tokens (not the whole ~/.mcp-auth, which signs every other server out), then sign in again once from a terminal.`,
      command: `rm ${files.map((f) => shellQuote(ctx.redact.text(f))).join(' ')}`,
    },
  });
}

/** A stale registration named on the bridge's stderr during this run. */
export function staleClientFromStderr(ctx: ServerContext, cache: McpRemoteCache | undefined, stderr: string[]): Finding | undefined {
  if (!cache?.clientInfo) return undefined;
  const lines = stderr.filter((l) => STALE_CLIENT_SIGNS.test(l));
  return lines.length ? staleClientFinding(ctx, cache, lines.slice(-3)) : undefined;
}

const CAUSES: Record<string, string> = {
  'net.connection-refused': 'refuses the connection (nothing listens there)',
  'net.dns-failed': 'has a host name that does not resolve',
  'net.tls-failed': 'has a TLS certificate that is not accepted',
  'net.timeout': 'does not answer',
  'net.connection-reset': 'closes the connection before answering',
  'http.not-mcp-endpoint': 'answers, but not as an MCP endpoint',
  'http.redirect': 'redirects',
  'auth.oauth-unsupported': 'answers 401 and offers no OAuth sign-in (it needs a token)',
  'auth.api-key-required': 'answers 401 and wants an API key in a header (no OAuth)',
  'auth.api-key-wrong-header': 'answers 401: it wants the key in another header than Authorization',
  'auth.api-key-rejected': 'answers 401 to the API key sent',
  'auth.login-required': 'answers 401 and needs an OAuth sign-in',
  'auth.token-rejected': 'answers 401 to the token sent',
  'auth.token-expired': 'answers 401: the token has expired',
  'auth.insufficient-scope': 'answers 403 insufficient_scope',
  'auth.resource-mismatch': 'publishes OAuth metadata for another resource',
  'auth.metadata-invalid': 'has unusable OAuth metadata',
  'transport.sse-only': 'speaks only legacy HTTP+SSE',
  'transport.modern-only': 'speaks only the 2026-07-28 protocol and refuses initialize',
  'transport.hybrid-sse': 'mixes legacy SSE into Streamable HTTP',
};

/**
 * Why a bridge that failed probably did: the remote's own first error, in words, for the stdio
 * finding ("mcp-remote exited: the remote answers 401 … — see the bridge diagnosis").
 */
export function bridgeCause(spec: BridgeSpec, bridge: BridgeReport): { code: string; text: string } | undefined {
  const error = bridge.findings.find((f) => f.severity === 'error') ?? bridge.findings.find((f) => f.severity === 'warning' && f.code.startsWith('auth.'));
  if (error) {
    let phrase = CAUSES[error.code];
    if (!phrase && error.code === 'http.unexpected-status') {
      const status = error.evidence?.status ?? (Array.isArray(error.evidence?.attempts) ? (error.evidence!.attempts as unknown[]).at(-1) : undefined);
      phrase = status !== undefined ? `answers HTTP ${String(status)}` : 'answers with an unexpected HTTP status';
    }
    if (!phrase && error.code.startsWith('auth.')) phrase = 'refuses the request (HTTP 401/403)';
    if (!phrase && error.code.startsWith('init.')) phrase = 'does not complete initialize';
    if (!phrase && error.code.startsWith('tools.')) phrase = 'fails tools/list';
    if (!phrase) phrase = `fails the direct check (${error.message.split(/(?<=\.)\s/)[0]!.slice(0, 160)})`;
    let text = `the remote ${bridge.url} ${phrase} (${error.code})`;
    if (spec.unexpanded.length) text += `; mcp-remote sent the literal ${spec.unexpanded.map((n) => `\${${n}}`).join(', ')}`;
    return { code: error.code, text };
  }
  const streamableOnly = bridge.status !== 'fail' && bridge.transport === 'streamable_http' && bridge.stages.find((s) => s.name === 'discovery')?.status !== 'fail';
  if (streamableOnly && !spec.transports.includes('streamable')) {
    const hint =
      spec.kind === 'mcp-proxy'
        ? 'add `--transport streamablehttp`'
        : spec.kind === 'supergateway'
          ? 'use `--streamableHttp URL` instead of `--sse URL`'
          : 'drop `--transport sse-only`';
    return { code: 'transport', text: `the remote ${bridge.url} speaks Streamable HTTP, but ${spec.kind} is set to connect with legacy SSE: ${hint}` };
  }
  return undefined;
}

/**
 * mcp-remote in front of an API-key gateway: the key goes in `--header NAME:${VAR}` (mcp-remote
 * expands `${VAR}` from its own environment) and the variable is forwarded with env_vars.
 */
export function apiKeyBridgeFix(ctx: ServerContext, header: string): Fix {
  const { server } = ctx;
  const variable = suggestedKeyVar(server.name);
  return {
    summary: `Export ${variable}=<the key> where Codex is started, pass it to mcp-remote as the ${header} header (mcp-remote expands \${${variable}} itself) and forward the variable with env_vars.`,
    toml: serverTable(server.name, [
      ['args', [...server.args, '--header', `${header}:\${${variable}}`]],
      ['env_vars', mergeEnvVars(server, [variable])],
    ]),
  };
}

/** The remote wants an API key in a header that mcp-remote does not send: mcp-remote starts an OAuth sign-in instead. */
export function apiKeyBridgeFinding(ctx: ServerContext, spec: BridgeSpec, keyFinding: Finding): Finding {
  const header = String(keyFinding.evidence?.header ?? 'X-API-Key');
  const sent = Object.keys(spec.rawHeaders).some((h) => h.toLowerCase() === header.toLowerCase());
  return makeFinding('bridge.api-key-required', {
    message: `"${ctx.server.name}": the remote ${ctx.redact.url(spec.url)} answers 401 and wants an API key in the ${header} header (${keyFinding.code})${sent ? ', and refuses the one mcp-remote sends' : ', which mcp-remote does not send'}. mcp-remote takes the 401 for an OAuth sign-in, opens a browser and waits, so Codex's start times out. mcp-doctor did not start the bridge: it would open a browser tab.`,
    evidence: { header, headerSent: sent, remoteCode: keyFinding.code },
    fix: sent ? { summary: 'Export the right key where Codex is started (the variable the --header names, forwarded with env_vars).' } : apiKeyBridgeFix(ctx, header),
  });
}
