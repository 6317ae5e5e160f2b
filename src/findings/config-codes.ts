import { CODEX } from '../codex/codex-version.ts';
import type { FindingSpec } from './finding-spec.ts';

/** Finding codes: The config stage and the config file: how Codex reads and validates `[mcp_servers.NAME]` tables and every layer they come from. Part of the one registry (registry.ts). */
export const CONFIG_CODES = {
  // ── config ──────────────────────────────────────────────────────────────────────────────────
  'config.not-found': {
    title: 'Config file not found',
    severity: 'error',
    stage: 'file',
    explanation:
      'The Codex config file does not exist at the path checked. Codex reads `$CODEX_HOME/config.toml` (CODEX_HOME defaults to `~/.codex`); with no file there are no MCP servers to start.',
    detection: 'The file at `--config` (or the default path) cannot be opened.',
    fix: 'Pass the right file with `--config PATH`, set `CODEX_HOME`, or add a server with `codex mcp add NAME -- COMMAND` / `codex mcp add NAME --url URL`.',
    codexSays: ['No MCP servers configured yet. Try `codex mcp add my-tool -- my-command`.'],
  },
  'config.parse-error': {
    title: 'Config file is not valid TOML',
    severity: 'error',
    stage: 'file',
    explanation:
      'The config file does not parse as TOML. Codex refuses to start at all (every session fails), not only the MCP servers.',
    detection: 'smol-toml reports a syntax error; the message gives the line and column.',
    fix: 'Correct the TOML at the line and column shown (common causes: an unquoted string, a table defined twice, a stray comma, Windows paths in "..." with single backslashes — use single quotes).',
    codexSays: ['Error loading config.toml: …'],
  },
  'config.invalid-server-name': {
    title: 'Server name Codex rejects',
    severity: 'error',
    severityNote:
      `error when the name has characters every Codex release rejects (a space, \`#\`, \`+\`…): the server fails to start; warning when it uses only \`:\`, \`@\`, \`/\` or \`.\` besides \`[a-zA-Z0-9_-]\` — ${CODEX} starts it (measured), older releases and other clients refuse it.`,
    stage: 'config',
    explanation:
      'MCP server names (the `[mcp_servers.NAME]` key) must match `^[a-zA-Z0-9_-]+$` in older Codex releases and in `codex mcp add`; Codex 0.169 widened the startup check to `^[a-zA-Z0-9_:@/.-]+$`. Quoted keys such as `"@scope/pkg"`, `"ai.exa/exa"` or `"My Server"` parse as TOML, but a name outside the pattern makes that server fail at startup.',
    detection: 'The table key is checked against both patterns.',
    fix: 'Rename the table to letters, digits, `_` and `-` only. If the server uses OAuth, log in again afterwards: stored credentials are keyed by name.',
    codexSays: [
      "MCP startup failed: Invalid MCP server name '…': must match pattern ^[a-zA-Z0-9_:@/.-]+$",
      "MCP startup failed: Invalid MCP server name '…': must match pattern ^[a-zA-Z0-9_-]+$ (older releases)",
    ],
    refs: ['https://github.com/openai/codex/issues/5635'],
  },
  'config.missing-transport': {
    title: 'Neither `command` nor `url`',
    severity: 'error',
    stage: 'config',
    explanation:
      'Codex infers the transport from `command` (stdio) or `url` (Streamable HTTP). A table with neither makes Codex refuse the whole config with `invalid transport` — often an option-only table (`startup_timeout_sec` alone) or a mis-keyed sub-table such as `[mcp_servers."x.env"]`.',
    detection: 'The merged server table has no `command` and no `url`.',
    fix: 'Add `command = "..."` (stdio) or `url = "https://.../mcp"` (HTTP), or remove the stray table.',
    codexSays: ['Error loading config.toml: invalid transport', 'in `mcp_servers.NAME`'],
    refs: ['https://github.com/openai/codex/issues/29396'],
  },
  'config.unsupported-field': {
    title: 'Field not supported by this transport',
    severity: 'error',
    stage: 'config',
    explanation:
      'Codex rejects fields that belong to the other transport: stdio servers may not have `url`, `bearer_token_env_var`, `http_headers`, `env_http_headers`, `oauth`, `oauth_resource`, `auth`; HTTP servers may not have `args`, `env`, `env_vars`, `cwd`. The whole config fails to load.',
    detection: 'The forbidden-field matrix of Codex (`mcp_types.rs`) is applied to the inferred transport.',
    fix: 'Remove the field, or move it to the right kind of server.',
    codexSays: ['invalid configuration: {field} is not supported for stdio', '… is not supported for streamable_http'],
  },
  'config.inline-bearer-token': {
    title: 'Inline `bearer_token`',
    severity: 'error',
    stage: 'config',
    explanation:
      'Codex no longer accepts a token written into the config. Since about 0.149 the key makes the whole config fail to load, so every Codex session dies — not only this server.',
    detection: 'The key `bearer_token` is present.',
    fix: 'Put the token in an environment variable and name the variable: `bearer_token_env_var = "MY_TOKEN"`.',
    codexSays: ['invalid configuration: bearer_token is not supported for streamable_http'],
    refs: ['https://github.com/openai/codex/pull/5073'],
  },
  'config.unknown-field': {
    title: 'Key Codex does not know',
    severity: 'warning',
    stage: 'config',
    explanation:
      'Codex ignores keys it does not know, so the setting has no effect. Most come from other clients\' configs (`type`, `transport`, `headers`, `disabled`, `timeout`) or are typos. Under `--strict-config` they are errors.',
    detection: 'Every key is compared with the keys Codex defines; a did-you-mean is offered.',
    fix: 'Remove the key or rename it to the Codex key suggested.',
    codexSays: [
      'Codex is ignoring 1 unrecognized configuration setting. Check for typos or deprecated settings. … `mcp_servers.NAME.KEY` is ignored. (a startup warning, Codex 0.169)',
      'unknown configuration field `mcp_servers.NAME.KEY` (strict config only)',
    ],
  },
  'config.obsolete-field': {
    title: 'Obsolete key from an old guide',
    severity: 'warning',
    stage: 'config',
    explanation:
      'Keys such as `experimental_use_rmcp_client` and `[features] rmcp_client` were needed in late 2025; Codex has since removed them and ignores them (or warns). `startup_timeout_ms` is a legacy alias of `startup_timeout_sec` that Codex uses only when `startup_timeout_sec` is unset: alone it still works and is reported as info; next to `startup_timeout_sec` it is ignored, a warning.',
    detection: 'Known obsolete keys are looked for at the top level, under `[features]` and in server tables.',
    fix: 'Delete the key; the behaviour it enabled is now the default.',
    codexSays: ['`experimental_use_rmcp_client` is ignored. (a startup warning, Codex 0.169)', '`features.rmcp_client` is ignored.', 'unknown feature key in config: rmcp_client'],
  },
  'config.env-var-unset': {
    title: 'Named environment variable is not set',
    severity: 'error',
    severityNote:
      `error for \`bearer_token_env_var\`: Codex fails to start the server; warning for \`env_vars\` and \`env_http_headers\`: ${CODEX} starts the server anyway (measured) — without the variable, or without the header — and the live check shows whether the server then fails (a 401, an exit for lack of its key).`,
    stage: 'config',
    explanation:
      'A variable named by `bearer_token_env_var`, `env_vars` or `env_http_headers` is not set (or is empty) in the environment mcp-doctor runs in. Codex started the same way sends no token and fails to start the server (`bearer_token_env_var`), silently leaves the header out (`env_http_headers`), or starts the server without the variable (`env_vars`; an empty one is passed empty). GUI launches (VS Code, the desktop app, launchd) often do not see variables exported in shell rc files.',
    detection: 'Each named variable is looked up in the current environment.',
    fix: 'Export the variable where Codex is launched (or, for GUI apps, with `launchctl setenv` / the OS user environment).',
    codexSays: ["Environment variable {VAR} for MCP server '{name}' is not set", "Environment variable {VAR} for MCP server '{name}' is empty"],
    refs: ['https://github.com/github/github-mcp-server/issues/1177'],
  },
  'config.env-var-looks-like-secret': {
    title: 'A token where a variable name belongs',
    severity: 'error',
    stage: 'config',
    explanation:
      'Keys such as `bearer_token_env_var`, `env_vars` and `env_http_headers` take the NAME of an environment variable, not its value. The value looks like a token (`ghp_…`, `sk-…`, a JWT…). Codex looks for a variable with that name, finds none, and the token itself ends up in logs.',
    detection: 'The value is matched against token shapes and is not a valid variable name.',
    fix: 'Store the token in a variable (e.g. `export GITHUB_PAT=…`), write the variable\'s name in the config, and rotate the token: it has been written into a file.',
    codexSays: ["Environment variable ghp_… for MCP server '{name}' is not set"],
    refs: ['https://github.com/github/github-mcp-server/issues/1633'],
  },
  'config.server-disabled': {
    title: 'Server disabled',
    severity: 'info',
    stage: 'config',
    explanation: '`enabled = false`: Codex does not start this server, and mcp-doctor does not probe it.',
    detection: 'The `enabled` key is false.',
    fix: 'Set `enabled = true` (or remove the key) to use it.',
  },
  'config.project-untrusted': {
    title: 'Project config ignored (project not trusted)',
    severity: 'warning',
    stage: 'file',
    explanation:
      'A `.codex/config.toml` exists between the working directory and the project root, but the project is not trusted in the user config, so Codex silently drops its MCP servers.',
    detection: 'The project config is found and `[projects."<path>"] trust_level` is not "trusted".',
    fix: 'Trust the project (`[projects."/abs/path"] trust_level = "trusted"` in the user config) or move the servers to the user config.',
    refs: ['https://github.com/openai/codex/issues/9676'],
  },
  'config.invalid-value': {
    title: 'Value of the wrong type',
    severity: 'error',
    stage: 'config',
    explanation:
      'A key has a value Codex cannot deserialize (a string where a number belongs, a negative timeout, an `env_vars` entry that is neither a string nor `{ name, source }`). Codex refuses the whole config.',
    detection: 'Each known key is type-checked as Codex deserializes it.',
    fix: 'Write the value with the type shown.',
  },
  'config.env-var-invalid-name': {
    title: 'Variable name a shell cannot export',
    severity: 'warning',
    stage: 'config',
    explanation:
      'A variable named by `bearer_token_env_var`, `env_vars` or `env_http_headers` is set here, but its name is not a valid shell identifier (letters, digits and `_`, not starting with a digit). Codex looks it up verbatim, so it works in this environment, but a shell cannot `export` it: Codex started from another shell, an IDE or a launcher will not see it.',
    detection: 'The name is checked against `^[A-Za-z_][A-Za-z0-9_]*$`. (When such a variable is not set at all, `config.env-var-unset` is reported instead.)',
    fix: 'Rename the variable to UPPER_SNAKE_CASE and update the config.',
  },
  'config.var-not-expanded': {
    title: '`$VAR` is not expanded by Codex',
    severity: 'warning',
    stage: 'config',
    explanation:
      'Codex passes `args`, `env` values and `url` literally: no shell, no `$VAR` or `${VAR}` interpolation. The server receives the literal text.',
    detection: 'A `$NAME` or `${NAME}` pattern in `args`, `env` values, `url` or header values.',
    fix: 'Forward the variable by name with `env_vars = ["NAME"]` (stdio) or use `bearer_token_env_var` / `env_http_headers` (HTTP).',
    refs: ['https://github.com/openai/codex/issues/7521'],
  },
  // Config layers beyond the user file (issue 17 item 5).
  'config.disabled-by-requirements': {
    title: 'Server not allowed by requirements.toml',
    severity: 'warning',
    stage: 'config',
    explanation:
      "An administrator's `requirements.toml` (`/etc/codex/requirements.toml` on Unix) has an `[mcp_servers]` allow-list. A configured server it does not name, or whose `command` / `url` does not match the `identity` it names, is disabled: Codex does not start it and lists it as `disabled: requirements (<file>)`. Nothing fails, so a user only notices the tools are missing. mcp-doctor does not probe it either (status `skipped`).",
    detection:
      'requirements.toml is read and its `mcp_servers` entries matched against each server as Codex does: an exact `identity = { command = "…" }` or `{ url = "…" }`, or matchers (`{ command = { executable, args = [{ match = "exact" | "prefix", value } | { match = "regex", expression }] } }`, `{ url = { match, … } }`).',
    fix: 'Configure the server with the command or URL the allow-list names, or ask the administrator to allow it.',
    codexSays: ['<name> (disabled: requirements (/etc/codex/requirements.toml))'],
  },
  'config.requirements-invalid': {
    title: 'requirements.toml has an invalid MCP server entry',
    severity: 'error',
    stage: 'file',
    explanation:
      'An `[mcp_servers.NAME]` entry of `requirements.toml` has no valid `identity`. Codex cannot load its requirements and does not start at all.',
    detection: 'Each entry must be a table with `identity` = `{ command = "…" }`, `{ url = "…" }` or a matcher form.',
    fix: 'Ask the administrator who manages requirements.toml to correct the entry.',
    codexSays: ['failed to parse requirements layer /etc/codex/requirements.toml: missing field `identity`'],
  },
  'config.legacy-profile': {
    title: 'Legacy profile selection',
    severity: 'error',
    stage: 'file',
    explanation:
      `${CODEX} replaced \`[profiles.NAME]\` tables selected with \`profile = "NAME"\` by profile files: \`$CODEX_HOME/NAME.config.toml\`, selected with \`--profile NAME\`. A \`profile = "NAME"\` key, or \`--profile NAME\` while config.toml still has \`[profiles.NAME]\`, makes Codex refuse the whole config: no MCP server starts.`,
    detection: 'A `profile` key in the effective config (project configs cannot set it), or a `[profiles.NAME]` table / `profile = "NAME"` in config.toml when --profile NAME is given.',
    fix: 'Move the profile\'s settings into `$CODEX_HOME/NAME.config.toml`, delete the `profile` line and the `[profiles.NAME]` table, and start Codex with `--profile NAME`.',
    codexSays: [
      'legacy `profile = "NAME"` config is no longer supported; use `--profile NAME` with `NAME.config.toml` instead',
      '--profile `NAME` cannot be used while …/config.toml contains legacy `profile = "NAME"` or `[profiles.NAME]` config',
    ],
  },
  'config.profile-not-found': {
    title: 'Profile file not found',
    severity: 'warning',
    stage: 'file',
    explanation: '`--profile NAME` layers `$CODEX_HOME/NAME.config.toml` on top of config.toml. When that file does not exist Codex starts without a profile layer and says nothing, so a misspelt profile silently runs the base config.',
    detection: 'The profile file named by --profile does not exist.',
    fix: 'Check the name given to --profile, or create `$CODEX_HOME/NAME.config.toml`.',
  },
  'config.unreadable': {
    title: 'Config file cannot be read',
    severity: 'error',
    stage: 'file',
    explanation:
      'The config file exists but cannot be read: a symbolic link loop (ELOOP), no permission (EACCES), a directory in its place, or larger than mcp-doctor reads (see docs/limits.md). Codex fails to load the config the same way, so it starts no MCP server.',
    detection: 'Reading the file fails with an error other than "does not exist", or the file is over the size limit.',
    fix: 'Fix the path or the symbolic link (`ls -l` / `readlink -f` on it), the permissions, or the file\'s size.',
  },
} as const satisfies Record<string, FindingSpec>;
