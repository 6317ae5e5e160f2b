/**
 * `check --login` flags → the settings of every login in one run. Kept here so that the command
 * layer only passes them on.
 *
 * `--login-auto` is never implied (not even without a terminal): against a real provider a plain
 * GET of the authorization URL lands on its login page and proves nothing. Without a terminal the
 * URL is still printed and the listener waits, so a person can open it on another screen.
 */
import type { LoadedConfig } from '../../config/server-config.ts';
import type { Redactor } from '../../redact.ts';
import type { PreRegisteredClient } from './client-registration.ts';
import { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_MAX_AUTHORIZATIONS, type LoginSettings } from './login-flow.ts';

/** The flags, as the CLI parsed them. */
export interface LoginArgs {
  auto: boolean;
  /** `--open` / `--no-open`; undefined: open when stdin and stderr are a terminal. */
  open?: boolean;
  /** stdin and stderr are a terminal. */
  interactive: boolean;
  timeoutSec?: number;
  clientMetadataUrl?: string;
  callTool?: string;
}

/** A usage error in the login flags, or undefined. */
export function loginFlagsError(login: LoginArgs | undefined, other: { loginFlagWithout: string | undefined; adHocCommand: boolean; fix: boolean }): string | undefined {
  if (!login) return other.loginFlagWithout ? `${other.loginFlagWithout} needs --login` : undefined;
  if (other.adHocCommand) return '--login applies to HTTP servers; a stdio server takes its credentials from its environment';
  if (other.fix) return '--login cannot be combined with --fix or --verify-fixes (each re-check would log in again)';
  if (login.timeoutSec !== undefined && (!(login.timeoutSec > 0) || !Number.isFinite(login.timeoutSec))) return '--login-timeout must be a positive number of seconds';
  if (login.clientMetadataUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(login.clientMetadataUrl);
    } catch {
      u = undefined;
    }
    // CIMD: the client_id is an https URL with a path (MCP 2025-11-25 "Client ID Metadata Documents").
    if (!u || u.protocol !== 'https:' || u.pathname === '/' || u.pathname === '') return '--client-metadata-url must be an https:// URL with a path (the URL of your client metadata document)';
  }
  if (login.callTool !== undefined && login.callTool.trim() === '') return '--call-tool needs a tool name';
  return undefined;
}

/**
 * Credentials the conformance suite hands to a client under test (its pre-registration scenario):
 * `MCP_CONFORMANCE_CONTEXT={"name":…,"client_id":…,"client_secret":…}`.
 */
export function conformanceClient(env: Record<string, string | undefined>, redact: Redactor): PreRegisteredClient | undefined {
  const raw = env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const c = doc as Record<string, unknown>;
  const secret = typeof c.client_secret === 'string' && c.client_secret !== '' ? c.client_secret : undefined;
  redact.addSecret(secret);
  if (typeof c.client_id !== 'string' || c.client_id === '') return undefined;
  return { clientId: c.client_id, ...(secret ? { clientSecret: secret } : {}), source: 'conformance-context' };
}

export function createLoginSettings(
  login: LoginArgs,
  input: { config: LoadedConfig; env: Record<string, string | undefined>; redact: Redactor; notify(line: string): void },
): LoginSettings {
  const doc = input.config.document ?? {};
  const port = doc.mcp_oauth_callback_port;
  const url = doc.mcp_oauth_callback_url;
  const pre = conformanceClient(input.env, input.redact);
  return {
    auto: login.auto,
    openBrowser: !login.auto && (login.open ?? login.interactive),
    timeoutMs: login.timeoutSec !== undefined ? Math.round(login.timeoutSec * 1000) : DEFAULT_LOGIN_TIMEOUT_MS,
    ...(login.clientMetadataUrl ? { clientMetadataUrl: login.clientMetadataUrl } : {}),
    ...(pre ? { preRegistered: pre } : {}),
    ...(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? { callbackPort: port } : {}),
    ...(typeof url === 'string' && url !== '' ? { callbackUrl: url } : {}),
    maxAuthorizations: DEFAULT_MAX_AUTHORIZATIONS,
    ...(login.callTool ? { callTool: login.callTool.trim() } : {}),
    notify: input.notify,
  };
}

/**
 * The per-server bound under `--login` when `--timeout` is not given: the longest startup budget
 * of the servers, plus the wait for the browser, plus time for the flow's own requests.
 */
export function loginBudgetMs(config: LoadedConfig, settings: LoginSettings): number {
  const startup = Math.max(0, ...config.servers.map((s) => s.config.startupTimeoutSec));
  return Math.round(startup * 1000) + (settings.auto ? 0 : settings.timeoutMs) + 30_000;
}
