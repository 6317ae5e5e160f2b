/**
 * What Codex accepts in `[mcp_servers.NAME]` and around it, as data. Sources: codex-config.md
 * §2.1–2.5 (`codex-rs/config/src/mcp_types.rs`, V-early to V-late). A key present in any
 * generation is "known": mcp-doctor must not call a key unknown just because the user runs an
 * older or newer Codex than the one this list was written against.
 */

export type ServerTransport = 'stdio' | 'streamable_http';

export const STDIO_KEYS = ['command', 'args', 'env', 'env_vars', 'cwd'] as const;

export const HTTP_KEYS = [
  'url',
  'bearer_token_env_var',
  'http_headers',
  'env_http_headers',
  'http_headers_helper',
  'oauth_resource',
  'oauth',
  'auth',
  'scopes',
] as const;

export const COMMON_KEYS = [
  'enabled',
  'required',
  'startup_timeout_sec',
  'startup_timeout_ms',
  'tool_timeout_sec',
  'enabled_tools',
  'disabled_tools',
  'environment_id',
  'experimental_environment',
  'supports_parallel_tool_calls',
  'default_tools_approval_mode',
  'tools',
  'omit_tools_from',
  'name',
] as const;

/** Accepted by Codex's parser only to be rejected with a targeted error. */
export const REJECTED_KEYS = ['bearer_token'] as const;

export const KNOWN_SERVER_KEYS: readonly string[] = [...STDIO_KEYS, ...HTTP_KEYS, ...COMMON_KEYS, ...REJECTED_KEYS];

/**
 * `throw_if_set` in `McpServerConfig::try_from`: each of these makes Codex refuse the whole
 * config with "`{field} is not supported for {transport}`". `bearer_token` is rejected on both
 * but reported by its own code (`config.inline-bearer-token`).
 */
export const FORBIDDEN_FIELDS: Record<ServerTransport, readonly string[]> = {
  stdio: ['url', 'bearer_token_env_var', 'http_headers_helper', 'http_headers', 'env_http_headers', 'oauth', 'oauth_resource', 'auth'],
  streamable_http: ['args', 'env', 'env_vars', 'cwd'],
};

export const OAUTH_KEYS = ['client_id', 'callback_url', 'callback_port'] as const;
export const TOOL_KEYS = ['approval_mode', 'output_token_limit'] as const;

/** `AppToolApproval`; `writes` arrived in V-late. */
export const APPROVAL_MODES = ['auto', 'prompt', 'approve', 'writes'] as const;
/** `ema_auth` measured in Codex 0.169's error text ("expected one of `oauth`, `chatgpt`, `ema_auth`"). */
export const AUTH_MODES = ['oauth', 'chatgpt', 'ema_auth'] as const;
/** `omit_tools_from` surfaces, as Codex 0.169 names them (measured). */
export const TOOL_SURFACES = ['code_mode', 'deferred', 'direct'] as const;
export const ENV_VAR_SOURCES = ['local', 'remote'] as const;

export const CREDENTIAL_STORES = ['auto', 'file', 'keyring'] as const;
export const TRUST_LEVELS = ['trusted', 'untrusted'] as const;

/** Servers Codex (or its desktop app) provides itself; a partial table for them breaks the config. */
export const BUILT_IN_SERVERS: Record<string, string> = {
  codex_apps: 'Codex\'s built-in ChatGPT Apps server; to turn it off use `[features] apps = false` instead of a table',
  codex_app: 'a server the Codex desktop app injects',
  node_repl: 'a server the Codex desktop app injects',
};

export interface ForeignKeyHint {
  /** Where the key comes from, for the message. */
  origin: string;
  /** What to do in Codex. */
  advice: string;
  /** The Codex key that replaces it, when there is one. */
  replacement?: string;
}

/**
 * Keys other MCP clients use (Claude Desktop, Cursor, VS Code, Gemini CLI, Windsurf, Cline).
 * Codex ignores them silently, so the setting the user meant has no effect.
 */
export const FOREIGN_SERVER_KEYS: Record<string, ForeignKeyHint> = {
  type: {
    origin: 'JSON configs of Claude, Cursor and VS Code',
    advice: 'remove it: Codex has no transport key and infers the transport (`command` → stdio, `url` → Streamable HTTP)',
  },
  transport: {
    origin: 'other clients\' configs and old guides',
    advice: 'remove it: Codex has no transport key and infers the transport (`command` → stdio, `url` → Streamable HTTP)',
  },
  headers: { origin: 'JSON configs of Claude, Cursor, VS Code and Gemini CLI', advice: 'rename it to `http_headers`', replacement: 'http_headers' },
  disabled: { origin: 'Cline and Roo configs', advice: 'use `enabled = false`', replacement: 'enabled' },
  timeout: {
    origin: 'Gemini CLI and Cline configs, where it counts milliseconds',
    advice: 'use `tool_timeout_sec` (per tool call) or `startup_timeout_sec` (start-up), both in seconds',
    replacement: 'tool_timeout_sec',
  },
  serverUrl: { origin: 'Windsurf configs', advice: 'rename it to `url`', replacement: 'url' },
  httpUrl: { origin: 'Gemini CLI configs', advice: 'rename it to `url`', replacement: 'url' },
  autoApprove: {
    origin: 'Cline and Roo configs',
    advice: 'Codex has no list of auto-approved tools; set `approval_mode` per tool under `[mcp_servers.NAME.tools.TOOL]`, or `default_tools_approval_mode` for all',
    replacement: 'tools',
  },
  alwaysAllow: {
    origin: 'Cline and Roo configs',
    advice: 'Codex has no list of auto-approved tools; set `approval_mode` per tool under `[mcp_servers.NAME.tools.TOOL]`, or `default_tools_approval_mode` for all',
    replacement: 'tools',
  },
  authorization_token: {
    origin: 'Claude API connector configs',
    advice: 'put the token in an environment variable and name it with `bearer_token_env_var`',
    replacement: 'bearer_token_env_var',
  },
  trust: { origin: 'Gemini CLI configs', advice: 'remove it; per-tool approval is `default_tools_approval_mode` / `[mcp_servers.NAME.tools.TOOL] approval_mode`' },
  envFile: { origin: 'VS Code configs', advice: 'Codex reads no env files; forward variables with `env_vars` or set them in `env`' },
  includeTools: { origin: 'Gemini CLI configs', advice: 'rename it to `enabled_tools`', replacement: 'enabled_tools' },
  excludeTools: { origin: 'Gemini CLI configs', advice: 'rename it to `disabled_tools`', replacement: 'disabled_tools' },
};

/** Server-level keys that still work but come from old guides. */
export const LEGACY_SERVER_KEYS = ['startup_timeout_ms'] as const;

/** Server-level keys an earlier generation read and Codex 0.169 ignores (measured: "… is ignored"), with their successor. */
export const RENAMED_SERVER_KEYS: Record<string, string> = {
  experimental_environment: 'environment_id',
};

/** Top-level keys that used to matter for MCP and are now ignored. */
export const OBSOLETE_TOP_LEVEL_KEYS: Record<string, string> = {
  experimental_use_rmcp_client:
    'Codex needed it in late 2025 for Streamable HTTP and OAuth; the Rust MCP client is now the only one, and the key is no longer read',
};

export const OBSOLETE_FEATURE_KEYS: Record<string, string> = {
  rmcp_client: 'it gated OAuth login flows in late 2025; it is no longer a known feature (Codex logs "unknown feature key in config: rmcp_client")',
};

/** Top-level spellings that mean `mcp_servers` in other clients, or by mistake. */
export const FOREIGN_TOP_LEVEL_SERVER_TABLES = ['mcpServers', 'mcp-servers', 'mcp_server', 'mcpservers', 'servers', 'mcp'] as const;
