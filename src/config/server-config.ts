import type { Finding, Transport } from '../types.ts';
import type { CliOverride } from './cli-overrides.ts';
import type { LayerKind } from './config-layers.ts';
import type { ValueOrigin } from './layer-origins.ts';

/** Codex's default `startup_timeout_sec` since PR #16080 (2026-03); 10 s before that. */
export const CODEX_DEFAULT_STARTUP_TIMEOUT_SEC = 30;

export interface EnvVarRef {
  name: string;
  source: 'local' | 'remote';
}

export interface OAuthConfig {
  clientId?: string;
  callbackUrl?: string;
  callbackPort?: number;
}

/**
 * One `[mcp_servers.NAME]` table after layers are merged and values normalised. `raw` keeps the
 * merged table as written, for fixes that must quote the user's own text.
 */
export interface ServerConfig {
  name: string;
  /** The config file the table came from (the last layer that defined it). */
  source: string;
  /** Every file that contributed keys to the merged table, lowest layer first (only when more than one). */
  definedIn?: string[];
  transport: Transport;
  raw: Record<string, unknown>;
  /** Which layer set each effective value (`command`, `args`, `env.KEY`…), for configs read from layers. */
  origins?: Record<string, ValueOrigin>;
  /** False for `enabled = false`, and for a server requirements.toml does not allow. */
  enabled: boolean;
  /** Why Codex does not start it, when that is not `enabled = false` (e.g. requirements.toml). */
  disabledReason?: string;
  required: boolean;
  // stdio
  command?: string;
  args: string[];
  env: Record<string, string>;
  envVars: EnvVarRef[];
  cwd?: string;
  // Streamable HTTP
  url?: string;
  bearerTokenEnvVar?: string;
  httpHeaders: Record<string, string>;
  envHttpHeaders: Record<string, string>;
  /** V-late: a shell command printing a JSON object of extra headers. */
  httpHeadersHelper?: string;
  oauthResource?: string;
  oauth?: OAuthConfig;
  /** V-late `auth`: `chatgpt` uses the ChatGPT session instead of an OAuth login. */
  auth?: 'oauth' | 'chatgpt';
  scopes?: string[];
  /** `environment_id`; undefined or "local" means Codex starts it here. (V-mid's `experimental_environment` is ignored by Codex 0.169.) */
  environmentId?: string;
  // both
  /** Effective startup timeout in seconds (Codex's default when unset). */
  startupTimeoutSec: number;
  /** Whether `startup_timeout_sec` (or the legacy `startup_timeout_ms`) was set explicitly. */
  startupTimeoutExplicit: boolean;
  toolTimeoutSec?: number;
  enabledTools?: string[];
  disabledTools?: string[];
}

export interface ServerEntry {
  config: ServerConfig;
  /** Findings of the `config` stage for this server. */
  findings: Finding[];
}

export interface LoadedConfig {
  /** The user config path (the file named by --config, or the default). */
  path: string;
  /**
   * The files whose settings are in effect: the user config first, then trusted project configs
   * (root first). An untrusted project config is read but not listed; a `config.project-untrusted`
   * finding names it.
   */
  files: string[];
  /** File-level findings (parse errors, untrusted project config, obsolete top-level keys). */
  findings: Finding[];
  servers: ServerEntry[];
  /** Set when the config cannot be used at all: exit 2. */
  fatal?: 'not-found' | 'parse-error';
  /** The merged top-level document. */
  document: Record<string, unknown>;
  /** Every layer in effect, lowest precedence first (`-c` as the file `-c`). */
  layers?: Array<{ layer: LayerKind; file: string }>;
  /** The requirements.toml that was read, if any. */
  requirements?: string;
  /** --profile, when given. */
  profile?: string;
  /** How the config was loaded, to load it again the same way (fix verification). */
  loadOptions?: { configPath?: string; profile?: string; overrides: CliOverride[]; systemDir?: string | null };
  /**
   * Secret values found in the config that the environment does not reveal (an inline
   * `bearer_token`, a token written where a variable name belongs, header and env values), for
   * the redactor.
   */
  secrets?: string[];
}
