import type { ServerConfig } from '../../config/server-config.ts';

/**
 * CA-bundle variables Codex 0.169.0 passes to a stdio server (measured on Linux with the Codex
 * oracle, docs/codex-behaviour-measured.md): a server behind a TLS-inspecting proxy keeps its CA
 * bundle. SSL_CERT_DIR, AWS_CA_BUNDLE and NIX_SSL_CERT_FILE are not among them.
 */
export const CA_BUNDLE_VARIABLES = [
  'SSL_CERT_FILE',
  'NODE_EXTRA_CA_CERTS',
  'CURL_CA_BUNDLE',
  'GIT_SSL_CAINFO',
  'PIP_CERT',
  'REQUESTS_CA_BUNDLE',
  'CARGO_HTTP_CAINFO',
  'NPM_CONFIG_CAFILE',
  'npm_config_cafile',
  'CODEX_CA_CERTIFICATE',
] as const;

/**
 * The variables Codex copies into a stdio server's cleared environment
 * (`rmcp-client/src/utils.rs::create_env_for_mcp_server`), measured with Codex 0.169.0 on Linux.
 * Everything else — API keys, proxy variables, NVM_*, NODE_OPTIONS — is dropped unless `env_vars`
 * or `env` names it. Codex also prepends its own helper directory (`…/vendor/<triple>/codex-path`,
 * which holds only `rg`) to PATH; commands resolve on the user's PATH entries after it, so that
 * directory is left out here.
 */
export const UNIX_ENV_WHITELIST = [
  'HOME',
  'LOGNAME',
  'PATH',
  'SHELL',
  'USER',
  '__CF_USER_TEXT_ENCODING',
  'LANG',
  'LC_ALL',
  'TERM',
  'TMPDIR',
  'TZ',
  ...CA_BUNDLE_VARIABLES,
] as const;

/** `codex_protocol::shell_environment::WINDOWS_CORE_ENV_VARS`; WINDIR is only in some versions. */
export const WINDOWS_ENV_WHITELIST = [
  'PATH',
  'PATHEXT',
  'SHELL',
  'COMSPEC',
  'SYSTEMROOT',
  'WINDIR',
  'SYSTEMDRIVE',
  'USERNAME',
  'USERDOMAIN',
  'USERPROFILE',
  'HOMEDRIVE',
  'HOMEPATH',
  'PROGRAMFILES',
  'PROGRAMFILES(X86)',
  'PROGRAMW6432',
  'PROGRAMDATA',
  'LOCALAPPDATA',
  'APPDATA',
  'TEMP',
  'TMP',
  'TMPDIR',
  'POWERSHELL',
  'PWSH',
] as const;

export type Env = Record<string, string | undefined>;

/** Reads a variable as the platform does: Windows names are case-insensitive (`Path` is `PATH`). */
export function lookupEnv(env: Env, name: string, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'win32') return env[name];
  if (env[name] !== undefined) return env[name];
  const upper = name.toUpperCase();
  for (const [key, value] of Object.entries(env)) if (key.toUpperCase() === upper) return value;
  return undefined;
}

/**
 * The environment Codex gives the server: `env_clear()`, then the whitelist, then `env_vars`
 * (source `local`; `remote` ones need remote stdio and are not set locally), then `env`.
 */
export function buildChildEnv(
  server: Pick<ServerConfig, 'env' | 'envVars'>,
  parentEnv: Env,
  platform: NodeJS.Platform,
): Record<string, string> {
  const out: Record<string, string> = {};
  const whitelist = platform === 'win32' ? WINDOWS_ENV_WHITELIST : UNIX_ENV_WHITELIST;
  for (const name of whitelist) {
    const value = lookupEnv(parentEnv, name, platform);
    if (value !== undefined) out[name] = value;
  }
  for (const ref of server.envVars) {
    if (ref.source !== 'local') continue;
    const value = lookupEnv(parentEnv, ref.name, platform);
    if (value !== undefined) out[ref.name] = value;
  }
  for (const [name, value] of Object.entries(server.env)) out[name] = value;
  return out;
}

/** The user's whole environment with the config's `env` on top: what a shell launch would give. */
export function buildFullEnv(server: Pick<ServerConfig, 'env'>, parentEnv: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parentEnv)) if (value !== undefined) out[name] = value;
  for (const [name, value] of Object.entries(server.env)) out[name] = value;
  return out;
}

/** Names set in `full` but absent from `reduced` (case-insensitively on Windows). */
export function droppedVariables(full: Env, reduced: Env, platform: NodeJS.Platform): string[] {
  const present = new Set(Object.keys(reduced).map((k) => (platform === 'win32' ? k.toUpperCase() : k)));
  return Object.keys(full)
    .filter((k) => full[k] !== undefined && !present.has(platform === 'win32' ? k.toUpperCase() : k))
    .sort();
}
