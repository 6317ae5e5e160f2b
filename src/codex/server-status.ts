/**
 * What Codex says about each MCP server: `mcpServerStatus/list` through `codex app-server`
 * (src/codex/app-server.ts), turned into one verdict per server.
 */
import { CodexAppServerError, isNoSuchMethod, withAppServer, type AppServerSession, type AppServerSetup, type CredentialsCopy } from './app-server.ts';

export interface CodexServerVerdict {
  /** Codex initialized the server and got its tool list. */
  connected: boolean;
  /** `enabled = false` (Codex lists the server but does not start it). */
  disabled?: boolean;
  /** Raw tool names, sorted, as the server returned them. */
  tools?: string[];
  toolCount?: number;
  /** Codex's error text verbatim (`toolsError`, or a session's startup error), temp paths replaced by `$CODEX_HOME`. */
  error?: string;
  /** `error` without rmcp's transport type names and the repeated tail (see summarizeCodexError). */
  errorSummary?: string;
  /** unknown | unsupported | notLoggedIn | bearerToken | oAuth. */
  authStatus?: string;
  serverInfo?: { name: string; version: string; title?: string | null };
  /** In a thread: connected | failed | disabled | authenticationRequired | starting… */
  runtimeStatus?: string;
  /** In a thread: the last `mcpServer/startupStatus/updated` status (ready | failed | cancelled). */
  startupStatus?: string;
  /** In a thread: the user-visible startup error ("MCP client for `x` failed to start: …"). */
  startupError?: string;
  /** In a thread: the tool namespace the model sees (`mcp__<sanitised server name>`). */
  modelNamespace?: string;
  /** In a thread: the tool names the model sees inside that namespace. */
  modelTools?: string[];
}

/** What one app-server run found. */
export interface CodexStatus {
  /** Codex's version, e.g. "0.169.0". */
  version: string;
  /** Per server, keyed by the TOML table key. Empty when Codex refuses the config. */
  servers: Record<string, CodexServerVerdict>;
  /** Codex refuses the whole config: "failed to reload config: $CODEX_HOME/config.toml:5:1: …". */
  configError?: string;
  /** `configWarning` / `warning` notifications (ignored keys…); the sandbox's bubblewrap notice dropped. */
  warnings: string[];
  credentials: CredentialsCopy;
  durationMs: number;
  /** Tail of Codex's stderr. */
  stderr: string;
}

/**
 * Drops rmcp's `Send message error Transport [<type>] error: ` noise and the `A: A` repetition of
 * Codex's error chains: `…failed: Auth required, when send initialize request`.
 */
export function summarizeCodexError(error: string): string {
  let s = error.replace(/Send message error Transport \[[^\]]*\] error: /g, '');
  for (let i = s.indexOf(': '); i !== -1; i = s.indexOf(': ', i + 1)) {
    const tail = s.slice(i + 2);
    if (tail && s.slice(0, i).endsWith(tail)) {
      s = s.slice(0, i);
      break;
    }
  }
  return s;
}

/** One McpServerStatus entry as a verdict. */
export function verdictOf(status: any, clean: (s: string) => string = (s) => s): CodexServerVerdict {
  const tools = Object.keys(status.tools ?? {}).sort();
  const v: CodexServerVerdict = {
    connected: status.toolsError == null && status.serverInfo != null && (status.runtimeStatus == null || status.runtimeStatus === 'connected'),
  };
  if (status.authStatus != null) v.authStatus = String(status.authStatus);
  if (status.serverInfo) v.serverInfo = { name: status.serverInfo.name, version: status.serverInfo.version, title: status.serverInfo.title };
  if (v.connected) {
    v.tools = tools;
    v.toolCount = tools.length;
  }
  if (status.toolsError != null) {
    v.error = clean(String(status.toolsError));
    v.errorSummary = summarizeCodexError(v.error);
  }
  if (status.runtimeStatus != null) v.runtimeStatus = String(status.runtimeStatus);
  // Measured: without a thread a disabled server comes back with neither serverInfo nor toolsError.
  if (status.runtimeStatus === 'disabled' || (status.runtimeStatus == null && status.serverInfo == null && status.toolsError == null)) v.disabled = true;
  return v;
}

export type ListOutcome = { data: any[] } | { configError: string };

/**
 * `mcpServerStatus/list` with every page. With `names`, one request per name (`serverName`), sent
 * together: Codex then starts only those servers, in parallel.
 */
export async function listServerStatus(session: AppServerSession, opts: { names?: string[]; threadId?: string } = {}): Promise<ListOutcome> {
  const one = async (serverName?: string): Promise<ListOutcome> => {
    const data: any[] = [];
    let cursor: string | null = null;
    do {
      const params: Record<string, unknown> = { detail: 'full' };
      if (cursor) params.cursor = cursor;
      if (opts.threadId) params.threadId = opts.threadId;
      if (serverName !== undefined) params.serverName = serverName;
      const page = await session.request('mcpServerStatus/list', params);
      if (page.error) {
        if (isNoSuchMethod(page.error)) {
          throw new CodexAppServerError('no-such-method', `Codex ${session.version}'s app-server has no mcpServerStatus/list (${page.error.message.slice(0, 120)})`, session.stderrTail());
        }
        if (/config/i.test(page.error.message)) return { configError: session.clean(page.error.message) };
        throw new CodexAppServerError('protocol', `mcpServerStatus/list failed: ${session.clean(page.error.message)}`, session.stderrTail());
      }
      data.push(...((page.result?.data as any[] | undefined) ?? []));
      cursor = page.result?.nextCursor ?? null;
    } while (cursor);
    return { data };
  };
  if (!opts.names) return one();
  const outcomes = await Promise.all(opts.names.map((name) => one(name)));
  const refused = outcomes.find((o): o is { configError: string } => 'configError' in o);
  if (refused) return refused;
  return { data: outcomes.flatMap((o) => ('data' in o ? o.data.filter((s) => opts.names!.includes(String(s.name))) : [])) };
}

/** configWarning / warning notifications as one line each, without duplicates and sandbox noise. */
export function warningsOf(session: AppServerSession): string[] {
  const out: string[] = [];
  for (const n of session.notifications) {
    if (n.method !== 'configWarning' && n.method !== 'warning') continue;
    const text = session.clean([n.params?.summary ?? n.params?.message, n.params?.details].filter(Boolean).join(': '));
    if (text && !/bubblewrap/i.test(text) && !out.includes(text)) out.push(text);
  }
  return out;
}

export interface CodexStatusInput extends Omit<AppServerSetup, 'clientName'> {
  /** Only these servers (the others are not started); default: every server of the config. */
  names?: string[];
}

/** Runs Codex once over a config and returns its verdict for each server. */
export async function codexServerStatus(input: CodexStatusInput): Promise<CodexStatus> {
  const started = performance.now();
  const { value, stderr } = await withAppServer({ ...input, clientName: 'mcp-doctor' }, async (session) => {
    const listed = await listServerStatus(session, { names: input.names });
    const status: CodexStatus = { version: session.version, servers: {}, warnings: [], credentials: session.credentials, durationMs: 0, stderr: '' };
    if ('configError' in listed) status.configError = listed.configError;
    else for (const s of listed.data) status.servers[String(s.name)] = verdictOf(s, session.clean);
    status.warnings = warningsOf(session);
    return status;
  });
  value.durationMs = Math.round(performance.now() - started);
  value.stderr = stderr;
  return value;
}
