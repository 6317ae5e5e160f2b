import type { Severity, StageName } from '../types.ts';
import { CODEX } from '../codex/codex-version.ts';

/**
 * The one registry of finding codes. Codes are public names (contract §5): never rename or
 * remove one. `docs/codes/<code>.md` and `mcp-doctor explain` are generated from this table, and
 * a test keeps them in step.
 */
export interface FindingSpec {
  title: string;
  /** Default severity; a few codes vary by variant (see `severityNote`). */
  severity: Severity;
  severityNote?: string;
  stage: StageName | 'file';
  /** What it means and why it happens. */
  explanation: string;
  /** How mcp-doctor detects it. */
  detection: string;
  /**
   * Found only by `check --deep`: a spec-conformance probe whose answer no Codex behaviour depends
   * on, left out of the default check so that it reports only what a Codex user can act on.
   */
  deepOnly?: true;
  /** The generic fix; findings carry a server-specific one. */
  fix: string;
  /** Text Codex prints for this situation, so users can match the line they saw. */
  codexSays?: string[];
  /** Spec sections and upstream issues. */
  refs?: string[];
}

const SPEC = 'https://modelcontextprotocol.io/specification';

export const REGISTRY = {
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

  // ── stdio ───────────────────────────────────────────────────────────────────────────────────
  'stdio.command-not-found': {
    title: 'Command not found',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'The `command` does not resolve on the PATH the server would get from Codex (Codex passes its own PATH; GUI launches and version managers such as nvm often give a shorter one). On Windows Codex applies PATHEXT, so `npx` means `npx.cmd`.',
    detection: 'The command is resolved against the child PATH (and PATHEXT on Windows), relative to `cwd`.',
    fix: 'Use the absolute path of the program in `command`, or fix the PATH Codex is launched with.',
    codexSays: ['MCP startup failed: No such file or directory (os error 2)', 'program not found'],
    refs: ['https://github.com/openai/codex/issues/2945'],
  },
  'stdio.exited-early': {
    title: 'Server exited before answering `initialize`',
    severity: 'error',
    stage: 'initialize',
    explanation:
      'The process ended before it answered `initialize`. Codex only says `connection closed: initialize response`; the cause is on the server\'s stderr, which Codex writes to its log, not to the screen.',
    detection: 'The process exits (or closes stdout) before the answer; the exit code and stderr tail are evidence.',
    fix: 'Read the stderr tail: typical causes are a missing API key (forward it with `env_vars`), a missing module or wrong runtime version, `docker run` without `-i`, or a server that speaks HTTP, not stdio.',
    codexSays: ['MCP startup failed: handshaking with MCP server failed: connection closed: initialize response'],
    refs: ['https://github.com/openai/codex/issues/6020', 'https://github.com/openai/codex/issues/5805', 'https://github.com/openai/codex/issues/7218'],
  },
  'stdio.stdout-noise': {
    title: 'Non-protocol output on stdout',
    severity: 'error',
    severityNote:
      'error when the output corrupts messages (text glued to a JSON message, pretty-printed multi-line JSON): Codex times out; warning for whole non-JSON lines (a banner, log lines): Codex skips them, the spec forbids them and other clients fail.',
    stage: 'initialize',
    explanation:
      'On stdio, stdout carries only newline-delimited JSON-RPC messages. Banners and logs belong on stderr.',
    detection: 'Every stdout line is parsed; lines that are not JSON-RPC, JSON split over lines, and text glued before a message are reported with the bytes seen.',
    fix: 'Start the server in its quiet/stdio mode (often `--stdio` or `--quiet`), or make it log to stderr.',
    codexSays: ['serde error expected value at line 1 column 1', 'timed out handshaking with MCP server after …'],
    refs: [`${SPEC}/2025-06-18/basic/transports#stdio`, 'https://github.com/openai/codex/issues/6020'],
  },
  'stdio.env-not-forwarded': {
    title: 'Needs a variable Codex does not forward',
    severity: 'error',
    stage: 'initialize',
    explanation:
      'Codex starts stdio servers with a cleared environment plus a short whitelist (HOME, PATH, USER, SHELL, LANG, TERM, TMPDIR, TZ, …), `env_vars` and `env`. API keys exported in your shell are not passed. The server fails under that environment but works with your full one.',
    detection: 'The server is run once more with the full environment; if it then works, the variables it needs are found (names in its stderr first, then a bounded search).',
    fix: 'Forward the variables by name: `env_vars = ["NAME"]`.',
    codexSays: ['MCP startup failed: handshaking with MCP server failed: connection closed: initialize response'],
    refs: ['https://github.com/openai/codex/issues/19023', 'https://github.com/openai/codex/issues/43669'],
  },
  'stdio.slow-shutdown': {
    title: 'Server ignores end of input',
    severity: 'warning',
    stage: 'tools',
    explanation:
      'After stdin was closed the server kept running, or exited but left processes it started running, until they were signalled. Codex kills the whole process group, so it works today; but clients that wait for the server to exit, or signal only its own process, leave it (or its children) behind. A server should exit on end of input, taking its children with it.',
    detection: 'After tools/list, stdin is closed and the process group is watched for 2 s (the official SDK client\'s grace before SIGTERM); then SIGTERM and SIGKILL go to the whole group.',
    fix: 'Make the server exit when stdin ends, and end the processes it started.',
  },
  'stdio.cwd-not-found': {
    title: '`cwd` does not exist',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'The `cwd` of the server table names a directory that does not exist (or is not a directory). The process cannot be started there; Codex reports the same OS error as for a missing program.',
    detection: 'The directory is checked before the command is resolved (relative paths against the directory mcp-doctor runs in).',
    fix: 'Correct `cwd` (an absolute path is safest), or remove it.',
    codexSays: ['MCP startup failed: No such file or directory (os error 2)', '{name}: cwd does not exist (…) (codex doctor)'],
  },
  'stdio.spawn-failed': {
    title: 'The command could not be started',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'The program was found but the operating system refused to start it: it is not executable (permission denied), not a program for this machine (exec format error), or a script whose `#!` line names a missing interpreter.',
    detection: 'The error of the spawn call (EACCES, ENOEXEC, …).',
    fix: 'Make the file executable (`chmod +x`), or run it through its interpreter (`command = "node"`, `args = ["/path/server.js"]`).',
    codexSays: ['MCP startup failed: Permission denied (os error 13)', 'Exec format error (os error 8)'],
  },
  'stdio.crlf-line-endings': {
    title: 'Messages end with CRLF',
    severity: 'info',
    stage: 'initialize',
    explanation:
      'The server ends its JSON-RPC lines with `\\r\\n`. The stdio transport delimits messages with `\\n`; JSON parsers treat the `\\r` as trailing whitespace, so Codex and the official SDKs accept it, but stricter line readers may not.',
    detection: 'Every stdout line is checked for a trailing carriage return.',
    fix: 'Nothing is needed for Codex; a server-side fix is to write `\\n` only (on Windows, open stdout in binary mode).',
  },
  'stdio.bridge': {
    title: 'Bridge to a remote server',
    severity: 'info',
    stage: 'discovery',
    explanation:
      'The command runs a stdio-to-HTTP bridge (`mcp-remote`, `mcp-proxy`, `supergateway`) in front of a URL. Codex speaks Streamable HTTP itself, so `url = "…"` may work without the bridge, unless the server speaks only the legacy HTTP+SSE transport; the bridge keeps its own OAuth state (`~/.mcp-auth`).',
    detection: 'The command line names a known bridge and a URL: `npx -y mcp-remote URL`, `node …/mcp-remote/dist/proxy.js URL`, an installed `mcp-remote`, `mcp-proxy URL`, `supergateway --sse URL`. The remote is then also checked directly (the HTTP pipeline, with the headers and cached token the bridge sends) and shown as the server\'s `bridge` diagnosis.',
    fix: 'Check the URL directly with `mcp-doctor check --url URL`; if it passes, configure `url` instead of the bridge.',
  },
  'bridge.remote-sse-only': {
    title: 'Remote speaks legacy SSE; the bridge handles it',
    severity: 'info',
    stage: 'discovery',
    explanation:
      'The remote behind a stdio bridge speaks the legacy HTTP+SSE transport (its POST is refused, a GET gives an `endpoint` event). Codex could not use the URL directly (`transport.sse-only`), but the bridge can: mcp-remote\'s default `http-first` strategy falls back to SSE on a refused POST, `mcp-proxy` and `supergateway --sse` speak SSE. The bridged server works; this is why the bridge is needed.',
    detection: 'Shown in a bridge diagnosis instead of `transport.sse-only` when the bridge\'s transport strategy includes SSE. With `mcp-remote --transport http-only`, `transport.sse-only` stays an error.',
    fix: 'Nothing to fix while the bridge is in place. If the server gains a Streamable HTTP endpoint, configure `url` and drop the bridge.',
  },
  'bridge.tokens-missing': {
    title: 'mcp-remote has no tokens for an OAuth remote',
    severity: 'error',
    stage: 'discovery',
    explanation:
      `The remote asks for an OAuth sign-in, and mcp-remote has no tokens for it in its store (\`~/.mcp-auth/mcp-remote-v1/<hash>_tokens.json\`, or under \`$MCP_REMOTE_CONFIG_DIR\`; the hash is md5 of the URL plus \`--resource\`, \`--authorize-param\`, \`--header\` values, \`--client-metadata-url\`, \`--token-endpoint\`). At its next start mcp-remote opens a browser and waits (\`--auth-timeout\`, 30 s) for the sign-in before it answers anything, so Codex's start times out (measured with ${CODEX}: "timed out handshaking with MCP server after N seconds"): Codex cannot use the server until a sign-in has been cached, hence an error. Once the sign-in completes, the tokens are cached and later starts work. mcp-doctor does not start the bridge in this state: it would open a browser tab and register a client.`,
    detection: 'The direct check of the remote gets a 401 with usable OAuth metadata, and no `tokens.json` for the key mcp-remote derives from the arguments (or one mcp-remote cannot read). Tokens kept by another mcp-remote version, or under a `MCP_REMOTE_CONFIG_DIR` Codex does not pass on, are named.',
    fix: 'Sign in once from a terminal with the same arguments (`npx -y mcp-remote URL …`), finish the browser page, then stop it (Ctrl-C): Codex\'s next start uses the cached tokens. Where the remote speaks Streamable HTTP with OAuth metadata Codex can use, the bridge can go: `url = "URL"` and `codex mcp login NAME`.',
    codexSays: ['timed out handshaking with MCP server after …'],
    refs: ['https://github.com/punkpeye/mcp-remote#readme'],
  },
  'bridge.tokens-expired': {
    title: 'mcp-remote\'s cached token has expired',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'The access token in mcp-remote\'s `tokens.json` is past its expiry — `expires_at` as mcp-remote 0.15.1 stores it (minus its 60 s margin), or, for files written by older releases, `expires_in` counted from the file\'s modification time — and there is no refresh token. mcp-remote sends the stale token anyway, gets a 401 from a remote that checks expiry, and starts a browser sign-in, which under Codex blocks the start until the timeout. mcp-doctor does not start the bridge in that state.',
    detection: 'The cached tokens file for the key mcp-remote derives from the arguments, and the remote\'s answer to that token in the direct check.',
    fix: 'Sign in again once from a terminal (`npx -y mcp-remote URL …`, the same arguments). Delete only that server\'s files if needed, not the whole `~/.mcp-auth`.',
    refs: ['https://github.com/punkpeye/mcp-remote/issues/166'],
  },
  'bridge.token-refresh-pending': {
    title: 'mcp-remote will refresh its expired token',
    severity: 'info',
    stage: 'discovery',
    explanation:
      'mcp-remote\'s cached access token has expired, and a refresh token is cached with it: mcp-remote refreshes the access token when it starts, before it connects. mcp-doctor does not refresh it (a refresh can rotate the refresh token, which is the user\'s state), so the direct check of the remote sends no token and its 401 is expected; the stdio check runs mcp-remote itself, which does refresh.',
    detection: 'The cached tokens file: `expires_at` (or `expires_in` from the file\'s modification time) has passed, and `refresh_token` is set.',
    fix: 'Nothing, unless the refresh fails (the stdio check shows it); then sign in again once from a terminal.',
    refs: ['https://github.com/punkpeye/mcp-remote/issues/166'],
  },
  'bridge.tokens-rejected': {
    title: 'Remote refuses mcp-remote\'s cached token',
    severity: 'warning',
    severityNote: 'error when mcp-doctor did not start the bridge because mcp-remote would start a browser sign-in (Codex\'s start then times out); warning when the token is only refused by the direct check.',
    stage: 'discovery',
    explanation:
      'mcp-remote\'s cached access token is not expired, but the remote answers 401 (or 403) to it: revoked, issued for another resource or scope, or by an older client registration. mcp-remote then discards it and starts a browser sign-in, which under Codex blocks the start until the timeout.',
    detection: 'The direct check of the remote sends the cached token, as mcp-remote would, and is refused.',
    fix: 'Delete that server\'s `<hash>_tokens.json` (the report names it) and sign in again once from a terminal.',
  },
  'bridge.client-info-stale': {
    title: 'mcp-remote\'s client registration is stale',
    severity: 'warning',
    stage: 'discovery',
    explanation:
      'mcp-remote keeps the OAuth client it registered (`<hash>_client_info.json`) and reuses it. When the authorization server no longer knows that client — it expired, the server was reset, the registration was deleted — the token exchange fails (`Token exchange failed: HTTP 400`, `invalid_client`) on every sign-in, until the cached registration is removed.',
    detection: 'A cached registration whose `client_secret_expires_at` has passed, or `Token exchange failed` / `invalid_client` in mcp-remote\'s debug log or stderr for this key.',
    fix: 'Delete that server\'s `<hash>_client_info.json` and `<hash>_tokens.json` (the fix names the files) and sign in again; removing all of `~/.mcp-auth` also signs every other server out.',
    refs: ['https://github.com/punkpeye/mcp-remote/issues/36', 'https://github.com/punkpeye/mcp-remote/issues/74'],
  },
  'bridge.stale-lock': {
    title: 'Leftover mcp-remote lock file',
    severity: 'info',
    stage: 'discovery',
    explanation:
      'mcp-remote coordinates instances for the same remote with lease files (`<hash>_refresh_in_progress.json`; older releases `<hash>_lock.json`). A file whose process no longer runs is left by an instance that was killed (Codex ends servers with SIGKILL after 2 s); mcp-remote clears it the next time it needs it. A lock held by a running process means another instance (another Codex session, another app) is signing in or refreshing for the same remote, and a new instance waits for it.',
    detection: 'The lease files for the key mcp-remote derives from the arguments, and whether their pid is alive.',
    fix: 'Nothing is needed for a dead pid (delete the file if you like). For a live one, finish or stop the other instance\'s sign-in.',
  },

  // ── network and HTTP ────────────────────────────────────────────────────────────────────────
  'net.dns-failed': {
    title: 'Host name does not resolve',
    severity: 'error',
    stage: 'discovery',
    explanation: 'DNS lookup of the URL\'s host failed: a typo, a VPN not connected, or an internal name not resolvable here.',
    detection: 'The connection fails with ENOTFOUND/EAI_AGAIN.',
    fix: 'Check the host name in `url`; connect the VPN if it is internal.',
    codexSays: ['Client error: error sending request for url (…), when send initialize request'],
  },
  'net.connection-refused': {
    title: 'Nothing listens on the port',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The host answered, but no server accepts connections on that port: the server (or the desktop app providing it) is not running, or the port is wrong.',
    detection: 'The connection fails with ECONNREFUSED.',
    fix: 'Start the server (or the app that provides it) and check the port in `url`.',
    codexSays: ['Client error: error sending request for url (…), when send initialize request'],
  },
  'net.tls-failed': {
    title: 'TLS certificate not accepted',
    severity: 'error',
    stage: 'discovery',
    explanation:
      `The TLS handshake failed: the certificate is self-signed, expired, issued for another host, or signed by a CA this machine does not trust (corporate proxies). Trusting the certificate (or its CA) with \`CODEX_CA_CERTIFICATE\` helps only if Codex's TLS library (rustls/webpki) accepts it as a server certificate at all, and webpki refuses, even when trusted, what Node and browsers let pass: a CA certificate (basicConstraints CA:TRUE, the default of \`openssl req -x509\`) as the server's own certificate (CaUsedAsEndEntity), an X.509 v1 certificate (UnsupportedCertVersion), an extendedKeyUsage without serverAuth (RequiredEkuNotFound), a host name only in the subject CN with no subjectAltName, an IP URL whose address is not an IP entry of the subjectAltName (NotValidForName); the names are webpki's error variants, ${CODEX} shows each as "error sending request for url". Each measured against ${CODEX}.`,
    detection:
      'The TLS error code from the connection; then the certificate itself, read with a second handshake that verifies nothing (not through a proxy): version, basicConstraints, keyUsage, extendedKeyUsage, subjectAltName, validity (evidence `certificate`, with `codexRefuses` naming what webpki refuses). With a CA bundle set, the check refuses what webpki refuses, as Codex does.',
    fix: 'A certificate webpki accepts and nothing vouches for: trust it (`CODEX_CA_CERTIFICATE=/path/cert.pem`, or `SSL_CERT_FILE`). One it refuses: issue a v3 leaf (CA:FALSE, extendedKeyUsage serverAuth, the host in subjectAltName) from a local CA and trust the CA; the finding gives the openssl commands.',
    codexSays: ['invalid peer certificate: UnknownIssuer', 'error sending request for url (…), when send initialize request'],
  },
  'net.timeout': {
    title: 'Connected, but no response in time',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The request was sent but no response arrived before the deadline.',
    detection: 'The per-request deadline expired while waiting for response headers (or the first event).',
    fix: 'Check that the server is healthy; if it is just slow, raise `startup_timeout_sec`.',
    codexSays: ['timed out handshaking with MCP server after …'],
  },
  'net.connection-reset': {
    title: 'Connection closed before an answer',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The connection was opened, but the server (or a proxy in front of it) closed or reset it before a complete answer arrived. Codex retries twice and then fails the start.',
    detection: 'The request fails with ECONNRESET, EPIPE or a socket closed by the other side, after Codex\'s retries.',
    fix: 'Check the server\'s logs. A plain-HTTP server reached with `https://` (or the reverse), or a proxy that drops long requests, also looks like this.',
    codexSays: ['Client error: error sending request for url (…), when send initialize request'],
  },
  'net.proxy-failed': {
    title: 'The proxy in HTTP_PROXY / HTTPS_PROXY cannot be used',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'Codex sends Streamable HTTP requests through the proxy its environment names: `HTTPS_PROXY` for https:// URLs, `HTTP_PROXY` for http:// (upper case read before lower case), `ALL_PROXY` when the specific one is unset, except for hosts `NO_PROXY` exempts. There is no per-server proxy. When that proxy is unreachable, asks for credentials (407), or refuses the CONNECT tunnel, the request never reaches the server and Codex fails the start.',
    detection: 'mcp-doctor routes its requests the same way (the proxy variables of its own environment; http:// in absolute form, https:// through CONNECT) and reports a failure to connect to the proxy, a 407, or a refused CONNECT, naming the variable. The discovery summary says which proxy applied, or which NO_PROXY entry exempted the host.',
    fix: 'Correct the variable (credentials go in the URL: `http://user:password@host:port`), or exempt the host with `NO_PROXY` (host names match their subdomains; IP addresses and CIDR blocks work; `host:port` entries do not).',
    codexSays: ['unexpected server response: HTTP 407: , when send initialize request', 'error sending request for url (…), when send initialize request'],
    refs: ['https://github.com/openai/codex/issues/29625'],
  },
  'net.ca-bundle-invalid': {
    title: 'CODEX_CA_CERTIFICATE / SSL_CERT_FILE names an unusable file',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'Codex adds the CA certificates of the file `CODEX_CA_CERTIFICATE` names (else `SSL_CERT_FILE`) to the roots it trusts. When that file is missing, unreadable or holds no PEM CERTIFICATE block, Codex fails every Streamable HTTP request — plain http:// ones included — before anything is sent.',
    detection: `The file the variable names is read as Codex would choose it (measured against ${CODEX}: \`CODEX_CA_CERTIFICATE\` wins when set and non-empty).`,
    fix: 'Point the variable at a PEM file with the CA certificate(s), or unset it to use the system roots.',
    codexSays: ['Failed to read CA certificate file … selected by CODEX_CA_CERTIFICATE: No such file or directory (os error 2)', 'Failed to load CA certificates from … selected by SSL_CERT_FILE: no certificates found in PEM file'],
  },
  'http.unexpected-status': {
    title: 'HTTP status outside the protocol',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The endpoint answered with a status the protocol does not use (e.g. 500, 502, 503). Codex retries 408/429/500/502/503/504 twice within the startup deadline; a status that persists fails the start.',
    detection: 'The status of the `initialize` POST, after the same retries Codex makes.',
    fix: 'Look at the server\'s logs; a 502/503 usually means the server behind a proxy, or the app providing it, is not running.',
    codexSays: ['HTTP {status}: {body}'],
  },
  'http.not-mcp-endpoint': {
    title: 'The URL is not an MCP endpoint',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The URL answers, but not as MCP: an HTML page (a dashboard or login page), a 404 page, or a body that is not JSON-RPC. Usually a wrong path (`/` instead of `/mcp`).',
    detection: 'The response to `initialize` has the wrong content type or no JSON-RPC body.',
    fix: 'Use the server\'s MCP endpoint URL (usually ending in `/mcp`).',
    codexSays: ['Unexpected content type: Some("missing-content-type; body: …")'],
    refs: ['https://github.com/openai/codex/issues/26955'],
  },
  'http.redirect': {
    title: 'Endpoint redirects',
    severity: 'warning',
    stage: 'discovery',
    explanation: 'The endpoint answers with a redirect (e.g. `/mcp` → `/mcp/`, or http → https). Codex follows it, but some clients and proxies do not re-send the POST, and each connection costs an extra round trip.',
    detection: 'Redirects are never followed silently: the chain is recorded.',
    fix: 'Configure the final URL.',
  },
  // ── hostile and broken peers (issue 14) ───────────────────────────────────────────────────
  'http.redirect-cross-origin': {
    title: 'Endpoint redirects to another origin',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'The endpoint answers with a redirect (301, 302, 303, 307 or 308) whose `Location` has another scheme, host or port. Codex 0.169 and 0.171 refuse to follow it ("MCP HTTP redirect to a different origin is not allowed", after retrying the request twice), so the server fails to start. The refusal protects the credentials: following would send the configured `Authorization` header (or the whole request) to a host the server chose.',
    detection:
      'Redirects are followed by mcp-doctor itself, hop by hop; a hop whose origin (scheme, host, port) differs from the URL that answered is not followed: no request, and no credential, goes to the new origin.',
    fix: 'If the new origin is the server\'s real, trustworthy address (an http → https upgrade, a moved host), configure that final URL; otherwise ask the server\'s operator why it redirects elsewhere.',
    codexSays: ['MCP HTTP redirect to a different origin is not allowed'],
  },
  'http.too-many-redirects': {
    title: 'Too many redirects',
    severity: 'error',
    stage: 'discovery',
    explanation:
      `The endpoint redirects more than 10 times in a row. Codex follows at most 10 hops (reqwest's limit; measured with ${CODEX}: a chain of 10 connects, 11 fails with "MCP HTTP request exceeded the redirect limit"), so the server fails to start.`,
    detection: 'mcp-doctor follows the same-origin hops itself and stops after the 10th, naming the chain.',
    fix: 'Configure the URL the chain should end at, or fix the redirect rules on the server or proxy.',
    codexSays: ['MCP HTTP request exceeded the redirect limit'],
  },
  'auth.metadata-address-refused': {
    title: 'OAuth metadata URL points at a private or link-local address',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'The server\'s 401 challenge or its protected resource metadata names a URL on a link-local address (169.254.0.0/16, fe80::/10: where cloud machines serve their own credentials) or on a private or loopback address while the server itself is not on one. Fetching it would make mcp-doctor (and Codex\'s login) request an address on your own network on the server\'s say-so; mcp-doctor does not fetch it, and never shows a body fetched from an origin the server chose.',
    detection: 'Every URL taken from a challenge or a metadata document is classified by its literal host address before any request; names are not resolved.',
    fix: 'If the server is yours, publish metadata URLs on the server\'s public origin. If not, do not log in to it: a server that points clients at internal addresses is misconfigured or hostile.',
  },
  'stdio.response-id-mismatch': {
    title: 'Answer\'s id does not match the request\'s',
    severity: 'error',
    severityNote:
      'error when the id is another value: Codex fails (measured with 0.171: at once for `initialize`, after startup_timeout_sec for `tools/list`); warning when it is the request\'s number written as a string ("0" for 0), which Codex accepts.',
    stage: 'initialize',
    explanation:
      'The server answered `initialize` or `tools/list` with an `id` other than the request\'s. JSON-RPC matches answers to requests by id: Codex rejects a wrong id on `initialize` at once and drops one on `tools/list`, waiting until startup_timeout_sec passes, so the server fails to start. The request\'s number sent back as a string is accepted by Codex, but not by stricter clients.',
    detection: 'A JSON-RPC response on stdout whose id matches no request in flight; the check then waits 1 s for a matching one instead of the whole timeout.',
    fix: 'Fix the server to echo the request\'s `id` unchanged, with its type (a number stays a number).',
    codexSays: ['handshaking with MCP server failed: conflict initialized response id: expected 0, got …', 'timed out awaiting tools/list after …'],
  },
  'stdio.command-is-directory': {
    title: '`command` is a directory',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The `command` names a directory, not a program; Codex cannot start it ("Permission denied (os error 13)").',
    detection: 'The resolved command is a directory.',
    fix: 'Point `command` at the program inside the directory (e.g. its `bin/` entry), or at the interpreter with the script in `args`.',
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
  'http.batch-response': {
    title: 'A single request answered with a JSON array (batch)',
    severity: 'error',
    stage: 'initialize',
    explanation:
      `Since 2025-06-18 JSON-RPC batching is gone from MCP: a request gets one JSON object. This server wraps its answer in an array, as 2025-03-26 batching allowed. ${CODEX} cannot read it ("Deserialize error: unrecognized JSON-RPC message") and fails the start; the official TypeScript SDK client accepts arrays.`,
    detection: 'The `application/json` answer to `initialize` or `tools/list` is a JSON array.',
    fix: 'A server-side fix: answer a single request with a single JSON-RPC object (drop batch support, or answer batches only to batched requests). Until then, bridge it with `mcp-remote`, which uses the SDK client.',
    codexSays: ['handshaking with MCP server failed: Deserialize error: unrecognized JSON-RPC message, when send initialize request'],
  },
  'http.sse-no-response': {
    title: 'Event stream ended without the response',
    severity: 'error',
    stage: 'initialize',
    explanation:
      `The server answered the request with an event stream and closed it without ever sending the JSON-RPC response. Without an event id a client cannot resume the stream (GET with Last-Event-ID); ${CODEX} does not resume even when there is one. Codex fails the start; the official SDK client waits until its request timeout.`,
    detection: 'The events of the response are read to the end of the stream; none is the response to the request.',
    fix: 'A server-side fix: send the JSON-RPC response on the stream before closing it (as a `message` event).',
    codexSays: ['handshaking with MCP server failed: connection closed: initialize response', 'MCP startup failed: Transport closed'],
  },
  'http.sse-invalid-message': {
    title: 'Event stream carries a message clients cannot use',
    severity: 'error',
    stage: 'initialize',
    explanation:
      `A \`message\` event of the response stream holds data that is not JSON, not a JSON-RPC message, or a response with another id than the request. Clients drop such events and keep waiting (the official SDK client) or fail at once (${CODEX}, "conflict initialized response id").`,
    detection: 'Each `message` event of the response stream is parsed and its id compared with the request\'s.',
    fix: 'A server-side fix: each event\'s `data` must be one JSON-RPC message, and the response must carry the id of the request.',
    codexSays: ['handshaking with MCP server failed: conflict initialized response id: expected 0, got …', 'handshaking with MCP server failed: connection closed: initialize response'],
  },
  'http.protocol-version-required': {
    title: 'A request without MCP-Protocol-Version is refused',
    severity: 'warning',
    stage: 'initialize',
    explanation:
      'Clients send `MCP-Protocol-Version` after `initialize`, and a server that gets none SHOULD assume 2025-03-26 (spec, Protocol Version Header). This server refuses such requests, so clients older than 2025-06-18 (and proxies that drop the header) fail. Codex and the official SDK client always send it.',
    deepOnly: true,
    detection: 'After a healthy handshake (negotiated version 2025-06-18 or later), a `ping` is sent without the header; when it is refused, a `ping` with the header is sent too, to be sure the header is the reason.',
    fix: 'A server-side fix: treat a missing MCP-Protocol-Version as 2025-03-26 instead of refusing the request.',
    refs: ['https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#protocol-version-header'],
  },
  'http.protocol-version-unchecked': {
    title: 'An unsupported MCP-Protocol-Version is accepted',
    severity: 'warning',
    stage: 'initialize',
    explanation:
      'A server that receives an invalid or unsupported `MCP-Protocol-Version` MUST answer 400 Bad Request. This one serves the request anyway, so a client that sent the wrong version never learns it. Codex always sends the version it negotiated, so it works.',
    deepOnly: true,
    detection: 'After a healthy handshake (negotiated version 2025-06-18 or later), a `ping` is sent with `MCP-Protocol-Version: 1999-01-01`; anything but 400 is reported.',
    fix: 'A server-side fix: validate the header and answer unknown versions with 400 (the official SDKs do).',
    refs: ['https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#protocol-version-header'],
  },
  'transport.sse-only': {
    title: 'Legacy HTTP+SSE server',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The server speaks only the deprecated HTTP+SSE transport (GET an event stream, POST to a separate endpoint). Codex speaks Streamable HTTP only.',
    detection: 'The POST is refused (404/405) and a GET yields an `endpoint` event.',
    fix: 'Use the server\'s Streamable HTTP URL (often `/mcp`), or bridge it over stdio with `npx -y mcp-remote URL`.',
    codexSays: ['HTTP 405', 'Unexpected content type: Some("missing-content-type; body: ")'],
    refs: ['https://github.com/openai/codex/issues/2320'],
  },
  'transport.hybrid-sse': {
    title: 'Legacy `endpoint` event inside a Streamable response',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The server answered the Streamable HTTP POST with an event stream whose first event is `event: endpoint` — the legacy HTTP+SSE transport mixed into the new one. Clients ignore that event and wait for a `message` event that never comes.',
    detection: 'The events of the POST response are read; an `endpoint` event appears before any JSON-RPC message.',
    fix: 'A server bug: the server must answer the POST with the JSON-RPC response (as `application/json`, or as an SSE `message` event). Until it is fixed, bridge it with `mcp-remote`.',
    codexSays: ['handshaking with MCP server failed: connection closed: initialize response'],
  },
  'transport.modern-only': {
    title: 'Server speaks only the stateless protocol (2026-07-28+)',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The server implements only the 2026-07-28 protocol, which has no `initialize` handshake, and rejects `initialize`. Clients that speak only the initialize-based protocol (Codex today) cannot connect.',
    detection: '`server/discover` succeeds, and `initialize` is answered with -32022 (unsupported version) or 404/-32601.',
    fix: 'Ask the server to keep serving initialize-based clients, or bridge it with `npx -y mcp-remote URL --protocol auto`.',
  },
  'transport.dual-era': {
    title: 'Server speaks both protocol eras',
    severity: 'info',
    stage: 'discovery',
    explanation: 'The server answers both the 2026-07-28 `server/discover` and the initialize-based handshake.',
    deepOnly: true,
    detection: 'Both probes succeed.',
    fix: 'Nothing to do.',
  },

  // ── auth ────────────────────────────────────────────────────────────────────────────────────
  'auth.login-required': {
    title: 'OAuth login required',
    severity: 'error',
    stage: 'auth',
    explanation: 'The server answered 401, it supports OAuth, and Codex has no usable stored credentials for it.',
    detection: '401 without a token, OAuth metadata discoverable, no usable credentials for this name and URL.',
    fix: 'Run `codex mcp login NAME`.',
    codexSays: ['Auth required, when send initialize request', 'The NAME MCP server is not logged in. Run `codex mcp login NAME`.'],
    refs: ['https://github.com/openai/codex/issues/4707'],
  },
  'auth.oauth-unsupported': {
    title: '401 and no OAuth metadata',
    severity: 'error',
    stage: 'auth',
    explanation: 'The server requires authentication but publishes no OAuth metadata, so `codex mcp login` cannot work. A token must be configured.',
    detection: '401, and neither protected-resource nor authorization-server metadata can be found.',
    fix: 'Create a token with the provider, export it, and set `bearer_token_env_var = "VAR"`.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.token-rejected': {
    title: 'Token rejected',
    severity: 'error',
    stage: 'auth',
    explanation:
      'A token was sent and the server answered 401, and neither its claims nor its authorization server name a more precise cause: an opaque token nobody can read, one whose claims look right (revoked, signed with a key the server does not trust), or one the issuing authorization server rejects too (revoked or expired).',
    detection:
      '401 to a request that carried `Authorization`, after the claims of the token (expiry, audience, issuer, scope) were read and, for an opaque token whose issuer is known, its own authorization server was asked (userinfo, or introspection where open to the client).',
    fix: 'Create a new token (or log in again) and check that it is for this server.',
    codexSays: ['MCP server rejected the access token with HTTP 401 Unauthorized'],
  },
  'auth.insufficient-scope': {
    title: 'Token lacks a required scope',
    severity: 'error',
    stage: 'auth',
    explanation: 'The server answered 403 with `insufficient_scope`, or rejected a token whose `scope` claim lacks what its challenge names: the token does not grant what this call needs.',
    detection: '403 with `WWW-Authenticate: Bearer error="insufficient_scope"`; or a 401 to a JWT whose `scope` (or `scp`) claim lacks a scope of the challenge\'s `scope`.',
    fix: 'Log in again requesting the scopes the server names (`scopes = [...]` in the server table), or create a token with them.',
  },
  'auth.resource-mismatch': {
    title: 'Protected resource metadata names another resource',
    severity: 'error',
    stage: 'auth',
    explanation: 'The `resource` in the server\'s protected resource metadata (RFC 9728) does not match the configured URL, so spec-following clients refuse the metadata and tokens get the wrong audience.',
    detection: 'The PRM `resource` is compared with the URL (exact, trailing slash, path prefix, other path, other origin, query string).',
    fix: 'Configure the URL the metadata names, or set `oauth_resource` to it.',
    codexSays: ["Metadata error: Protected resource metadata resource mismatch: reference '…', permitted '…'"],
    refs: ['https://github.com/openai/codex/issues/37387'],
  },
  'auth.metadata-invalid': {
    title: 'Authorization server metadata unusable',
    severity: 'error',
    stage: 'auth',
    explanation: 'The authorization server metadata is missing or lacks what a client needs: the authorization and token endpoints, `response_types_supported` with `code`, PKCE `S256`, or an `issuer` that matches.',
    detection: 'RFC 8414 and OIDC discovery URLs are fetched in the spec\'s order and the document is validated.',
    fix: 'A server-side fix: publish complete metadata.',
  },
  'auth.registration-unavailable': {
    title: 'No way to register a client automatically',
    severity: 'warning',
    stage: 'auth',
    explanation: 'The authorization server offers neither dynamic client registration nor client ID metadata documents, so a client ID must be registered with the provider by hand.',
    detection: 'No `registration_endpoint` and no `client_id_metadata_document_supported` in the metadata.',
    fix: 'Register an OAuth app with the provider and set `[mcp_servers.NAME.oauth] client_id = "…"`.',
    codexSays: ['Registration failed: Dynamic registration failed: Registration failed: Dynamic client registration not supported'],
    refs: ['https://github.com/openai/codex/issues/13200', 'https://github.com/openai/codex/issues/19154'],
  },
  'auth.token-not-resource-bound': {
    title: 'Token is not bound to this server',
    severity: 'error',
    severityNote: 'warning for a stored Codex login that holds a refresh token: Codex refreshes after the 401, which a passive check does not verify.',
    stage: 'auth',
    explanation:
      'The rejected token is not for this server\'s resource: its `aud` names the client or the authorization server itself (the token request left out the RFC 8707 `resource` parameter), another resource (`resource` was sent for another server), or another API; or it is an opaque token its own authorization server still accepts (alive, so not revoked: bound to something else).',
    detection:
      'The `aud` claim of the rejected JWT (stored, `bearer_token_env_var`, `http_headers`, `env_http_headers`) is compared with the PRM `resource` as an RFC 8707 resource identifier; for an opaque token, the authorization server that issued it (the recorded issuer or the `iss` matching the metadata, never another origin) is asked through its userinfo endpoint or introspection.',
    fix: 'Set `oauth_resource` to the server\'s resource and run `codex mcp login NAME` again.',
    codexSays: ['Auth required, when send initialize request'],
    refs: ['https://github.com/openai/codex/issues/12589'],
  },
  'auth.token-expired': {
    title: 'Token expired',
    severity: 'error',
    severityNote: 'warning for a stored Codex login that holds a refresh token and an issuer: Codex refreshes after the 401, which a passive check does not verify.',
    stage: 'auth',
    explanation:
      'The token has expired: a stored OAuth token without a refresh token Codex can use, or any rejected token (stored, `bearer_token_env_var`, an Authorization header) whose JWT `exp` has passed — also when Codex recorded no expiry (`expires_at` null) and sends it as is.',
    detection: '`expires_at` in the stored credentials is in the past and there is no usable refresh token; or the `exp` claim of a rejected JWT is in the past.',
    fix: 'Run `codex mcp login NAME`.',
    codexSays: ['OAuth authorization required, when send initialize request'],
  },

  // ── Codex's token refresh (src/auth/refresh-model.ts, docs/refresh.md) ─────────────────────
  'auth.refresh-will-fail': {
    title: "Codex's token refresh will be refused",
    severity: 'error',
    stage: 'auth',
    explanation:
      'Codex refreshes a stored OAuth token when it expires within 30 s (at startup) and after a 401 to a request that carried it. The refresh it will send cannot succeed: the authorization server says the refresh token is no longer active, the grant lacks a scope Codex asks for (Codex adds `offline_access` when the server lists it in `scopes_supported`), the token is bound to another resource than the one Codex names, or the server does not offer the refresh_token grant. Codex then fails the server.',
    detection:
      "Codex's refresh request is rebuilt from the stored entry and the metadata (grant, `scope`, `resource`, client_id, no client authentication) and compared with what can be known without using the refresh token: the access token's claims, `grant_types_supported`, and RFC 7662 introspection of the refresh token at the issuing authorization server (which does not consume it).",
    fix: 'Run `codex mcp login NAME` for a new grant; when the grant lacks `offline_access`, the authorization server must grant it (or stop listing it) for refreshes to keep working.',
    codexSays: ['OAuth token refresh failed: Server returned error response: invalid_scope: refresh token missing requested scope', 'OAuth token refresh failed: Server returned error response: invalid_grant: grant request is invalid'],
    refs: ['https://www.rfc-editor.org/rfc/rfc6749#section-6', 'https://www.rfc-editor.org/rfc/rfc8707#section-2.2', 'https://www.rfc-editor.org/rfc/rfc7662'],
  },
  'auth.refresh-unverified': {
    title: 'Refresh not verified',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'Codex will refresh the stored token (it has expired, or the server refused it) and connects only if the refresh succeeds. A passive check never uses a refresh token (many authorization servers rotate them: using one would spend the user\'s login), and what could be known safely does not settle the outcome.',
    detection: 'A stored token Codex would refresh, with no predicted refusal and no proof (introspection) that the grant covers the scope and resource Codex will ask for.',
    fix: 'Run `mcp-doctor check --refresh` to perform Codex\'s exact refresh and store the rotated tokens where Codex reads them, or `codex mcp login NAME`.',
  },
  'auth.refresh-expected': {
    title: "Codex's refresh is expected to succeed",
    severity: 'info',
    stage: 'auth',
    explanation:
      'The stored token will be refreshed by Codex, and the issuing authorization server confirms (by introspection, without consuming anything) that the refresh token is active and its grant covers the scope Codex asks for; the access token is bound to the resource Codex names.',
    detection: 'RFC 7662 introspection of the stored refresh token at the issuer recorded with it, compared with the refresh request Codex will send.',
    fix: 'Nothing to do; `mcp-doctor check --refresh` performs the refresh if you want it verified end to end.',
  },
  'auth.refreshed': {
    title: 'Token refreshed and stored for Codex',
    severity: 'info',
    stage: 'auth',
    explanation:
      '`check --refresh` sent Codex\'s exact refresh request and wrote the new tokens (the rotated refresh token included) into Codex\'s credential store in Codex\'s shape, so the login is kept; the check continued with the new token.',
    detection: '`--refresh`, a stored token with a refresh token, and a 200 from the token endpoint.',
    fix: 'Nothing to do.',
  },
  'auth.refresh-failed': {
    title: 'Token refresh refused',
    severity: 'error',
    stage: 'auth',
    explanation: "`check --refresh` sent Codex's exact refresh request and the authorization server refused it; Codex's own refresh gets the same answer, so the server fails in Codex until you log in again.",
    detection: '`--refresh` and a non-200 answer from the token endpoint (its `error` and `error_description` are shown).',
    fix: 'Run `codex mcp login NAME`.',
    codexSays: ['OAuth token refresh failed: Server returned error response: …'],
  },
  'auth.refresh-not-performed': {
    title: '--refresh could not refresh',
    severity: 'warning',
    stage: 'auth',
    explanation:
      '`check --refresh` did not send a refresh because the result could not be stored where Codex reads it (the entry lives in the OS keyring, which mcp-doctor does not write), or there is nothing to refresh with (no refresh token, no token endpoint). Nothing was consumed.',
    detection: '`--refresh` on a server whose stored entry cannot be refreshed and written back safely.',
    fix: 'Use `mcp_oauth_credentials_store = "file"` (then `codex mcp login NAME` once), or let Codex refresh the token itself.',
  },

  'auth.protected-resource-invalid': {
    title: 'Protected resource metadata unusable',
    severity: 'error',
    severityNote:
      'error when the metadata answers but cannot be used (not a JSON object, no `resource`, no `authorization_servers`), so clients cannot find the authorization server; warning when it works but is served wrongly (content type, non-https authorization server URLs).',
    stage: 'auth',
    explanation:
      'An MCP server that requires OAuth publishes protected resource metadata (RFC 9728) naming its `resource` and at least one authorization server. Metadata that is not a JSON object or lacks those fields leaves clients with no authorization server to log in with.',
    detection:
      'The metadata URL from the 401 challenge (else the path-aware and root well-known URLs) is fetched without credentials and validated.',
    fix: 'A server-side fix: serve `{"resource": "<the MCP URL>", "authorization_servers": ["https://…"]}` as application/json.',
    refs: ['https://www.rfc-editor.org/rfc/rfc9728', `${SPEC}/2025-11-25/basic/authorization`],
  },
  'auth.challenge-nonstandard': {
    title: '401 challenge that clients misread',
    severity: 'warning',
    severityNote:
      'warning when a real client misreads the header (no `WWW-Authenticate`, no Bearer challenge, a challenge before Bearer, an empty, relative or non-URL `resource_metadata`); info for SHOULD-level slips (no `scope`, `error=` sent although no token was sent, no `resource_metadata` when the well-known URLs work).',
    stage: 'auth',
    explanation:
      'The `WWW-Authenticate` header of a 401 tells clients where the protected resource metadata is (`resource_metadata`) and which scopes to ask for. The official TypeScript SDK reads it with a regex that only looks at a header starting with "Bearer", ignores empty values and values that are not absolute URLs, so layouts that are valid HTTP still hide the metadata from SDK-based clients.',
    detection: 'Every `WWW-Authenticate` value is parsed per RFC 9110 §11.6.1, and compared with what the SDK\'s regex reads from it.',
    fix: 'A server-side fix: answer `WWW-Authenticate: Bearer resource_metadata="https://…/.well-known/oauth-protected-resource/…", scope="…"` with the Bearer challenge first.',
    refs: ['https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1', 'https://www.rfc-editor.org/rfc/rfc6750#section-3'],
  },
  'auth.codex-discovery-differs': {
    title: 'Codex shows the server as not supporting OAuth',
    severity: 'warning',
    severityNote:
      `Reported only where it changes what Codex does: ${CODEX} (\`codex mcp list\`) shows the server as Unsupported and \`codex mcp add\` starts no login, although \`codex mcp login NAME\` works (no metadata, only the 2025-03-26 default endpoints). Older releases that misjudged an authorization server on another origin are no longer reported.`,
    stage: 'auth',
    explanation:
      'Codex decides whether a server "supports OAuth" with its own discovery, which decides what `codex mcp list` shows in the Auth column and whether `codex mcp add` starts a login. That discovery can fail while the login itself works, so users see `Unsupported` or "MCP server may or may not require login" and never run the login.',
    detection: 'Codex\'s discovery is replayed (the order measured on 0.169 and 0.171 against local fixtures) and compared with the full discovery.',
    fix: 'Run `codex mcp login NAME` anyway; the Auth column is misleading here.',
    codexSays: ['MCP server may or may not require login. Run `codex mcp login NAME` to login.', 'Unsupported'],
  },
  'auth.credentials-orphaned': {
    title: 'Stored credentials for another name or URL',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'Codex stores OAuth credentials under the server name and the exact URL. After renaming the table or changing the URL (even a trailing slash or a query string) the old login no longer applies: Codex says the server is not logged in, and the old entry lingers in the credential store.',
    detection: 'Entries of `$CODEX_HOME/.credentials.json` (and the OS keyring when readable) with the same name and another URL, or the same URL and another name.',
    fix: 'Log in again with `codex mcp login NAME`; remove the old entry with `codex mcp logout OLD-NAME` (while it is still configured) or by deleting it from `.credentials.json`.',
    codexSays: ['The NAME MCP server is not logged in. Run `codex mcp login NAME`.'],
  },
  'auth.scopes-narrower': {
    title: 'Stored login lacks scopes the server asks for',
    severity: 'warning',
    stage: 'auth',
    explanation:
      'The scopes recorded with the stored OAuth login do not include every scope the server names in its 401 challenge (or, lacking that, in `scopes_supported` of its protected resource metadata). Calls that need the missing scopes fail with 401 or 403 until the login is renewed with them.',
    detection: 'The `scopes` of the stored credentials are compared with the challenge\'s `scope` (authoritative per MCP 2025-11-25), else with the metadata\'s `scopes_supported`.',
    fix: 'Set `scopes = [...]` in the server table (or pass `--scopes`) and run `codex mcp login NAME` again.',
  },
  'auth.keyring-unavailable': {
    title: 'OS keyring not inspected',
    severity: 'info',
    stage: 'auth',
    explanation:
      'With `mcp_oauth_credentials_store` set to `auto` (the default) or `keyring`, Codex keeps OAuth tokens in the OS keyring (service "Codex MCP Credentials"). mcp-doctor reads it only through the platform\'s own command, never prompts and never writes; when that is not possible, credentials stored there were not checked.',
    detection: '`secret-tool lookup` (Linux, with a D-Bus session) or `security find-generic-password` without `-w` (macOS: presence only, to avoid a keychain prompt), bounded to 2 s with stdin closed.',
    fix: 'Nothing to fix. To let mcp-doctor (and other tools) see the login, use `mcp_oauth_credentials_store = "file"` and log in again.',
    refs: ['https://github.com/openai/codex/issues/28201'],
  },
  'auth.login-failed': {
    title: 'OAuth login fails (check --login)',
    severity: 'error',
    severityNote:
      'warning when nobody completed the browser page within `--login-timeout` (or the check deadline passed): that proves nothing about the server.',
    stage: 'auth',
    explanation:
      '`check --login` ran the OAuth 2.1 authorization-code flow with PKCE that the MCP specification asks of clients — discovery, client registration, the authorization request, the authorization response (`state`, RFC 9207 `iss`), the token request with RFC 8707 `resource` — and it stopped at the step the message names. Codex\'s own login (`codex mcp login`) follows the same steps, so it is expected to stop there too.',
    detection:
      'The flow is run against the server\'s own metadata; every request (URL, status, parameters without secret values) is in the evidence, with the answer that stopped it.',
    fix: 'Depends on the step: a pre-registered `client_id` when registration is refused or unavailable, a server-side fix for unusable metadata or a token endpoint that refuses the exchange, or completing the browser page within `--login-timeout`.',
    refs: [`${SPEC}/2025-11-25/basic/authorization`, 'https://www.rfc-editor.org/rfc/rfc9207', 'https://www.rfc-editor.org/rfc/rfc8707'],
  },
  'auth.fresh-token-rejected': {
    title: 'Server rejects a freshly issued token',
    severity: 'error',
    stage: 'auth',
    explanation:
      '`check --login` obtained a new access token from the server\'s own authorization server, requested for the server\'s resource (RFC 8707 `resource` in both the authorization and the token request), and the server still answered 401. Logging in again cannot help: the server (or a gateway in front of it) validates tokens against another audience, issuer or signing key, or does not accept the tokens its authorization server issues.',
    detection: 'A 401 to a request carrying a token issued moments before by the flow of `check --login`; the token\'s claims (when it is a JWT) and the server\'s challenge are in the evidence.',
    fix: 'A server-side fix: accept tokens issued for the resource in the evidence (audience validation, issuer, keys). Report it to the server\'s maintainers with the evidence.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.stored-token-stale': {
    title: 'Stored token rejected; a fresh login works',
    severity: 'error',
    stage: 'auth',
    explanation:
      'Codex\'s stored OAuth token was refused with 401, while a token `check --login` obtained just now from the same authorization server was accepted. The stored credentials are the problem — revoked, issued to an older client registration or another account, signed with a rotated key — not the server. (When the two tokens\' audiences differ, `auth.token-not-resource-bound` is reported instead.)',
    detection: 'The stored token gets 401; a fresh token from `check --login` gets through; their JWT claims, when readable, are compared.',
    fix: 'Run `codex mcp login NAME` to replace the stored token.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'auth.login-succeeded': {
    title: 'OAuth login works (check --login)',
    severity: 'info',
    stage: 'auth',
    explanation:
      '`check --login` logged in with the OAuth flow a spec-following client uses and the server accepted the fresh token; the check went on with it. The token stayed in memory: nothing was written to Codex\'s credential store.',
    detection: 'The flow completed and the refused request succeeded when re-sent with the fresh token.',
    fix: 'Nothing to fix here; the evidence lists every request of the flow (without secret values), for comparison with a client that fails.',
  },
  // ── auth: causes a token, the metadata or the authorization server states (issue 15) ──────
  'auth.token-issuer-mismatch': {
    title: 'Token issued by another authorization server',
    severity: 'error',
    severityNote: 'warning for a stored Codex login that holds a refresh token: Codex refreshes after the 401, which a passive check does not verify.',
    stage: 'auth',
    explanation:
      'The rejected token\'s `iss` claim names another authorization server than the one the server\'s protected resource metadata names, whose tokens the server accepts: a token from another tenant, environment or provider.',
    detection: 'The `iss` claim of the rejected JWT (read without verifying the signature) is compared with the `issuer` of the authorization server metadata.',
    fix: 'Log in again (`codex mcp login NAME`), or create the token with the authorization server the metadata names.',
    codexSays: ['MCP server rejected the access token with HTTP 401 Unauthorized', 'Auth required, when send initialize request'],
  },
  'auth.login-scope-unsupported': {
    title: '`codex mcp login` asks for a scope the authorization server does not offer',
    severity: 'error',
    severityNote: 'warning when a stored login exists (only a new login is affected).',
    stage: 'auth',
    explanation:
      `${CODEX} asks for the configured \`scopes\`, else the 401 challenge's \`scope\`, else the protected resource metadata's \`scopes_supported\`, else the authorization server's, and adds \`offline_access\` when the authorization server lists it; it names them in its dynamic client registration and in the authorization request (measured). An authorization server that validates them (oidc-provider and others: \`invalid_client_metadata\`, or \`invalid_scope\`) refuses the registration, so the login fails before the browser opens.`,
    detection: 'The scopes Codex will ask for are derived from the metadata already fetched and compared with the authorization server\'s `scopes_supported`; `check --login` shows the refusal itself.',
    fix: 'Set `scopes = [...]` in the server table to scopes the authorization server lists (Codex then asks for exactly those, plus `offline_access` when listed), and run `codex mcp login NAME`; a server-side fix when the server requires a scope its authorization server does not issue.',
    codexSays: ['Registration failed: Dynamic registration failed: Registration failed: HTTP 400 Bad Request: {"error":"invalid_client_metadata",…}'],
    refs: ['https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2', `${SPEC}/2025-11-25/basic/authorization`],
  },
  'auth.redirect-uri-rejected': {
    title: 'Authorization server refuses the redirect URI',
    severity: 'error',
    stage: 'auth',
    explanation:
      'The authorization request was refused because its `redirect_uri` is not one registered for the client: a pre-registered `client_id` whose app lists another callback URL, or Codex\'s callback port changing between logins (Codex listens on an ephemeral port unless `callback_port` / `mcp_oauth_callback_port` is set). The authorization server shows an error page instead of redirecting back, so the login never completes.',
    detection: '`check --login`: the authorization endpoint answers the authorization request with `invalid_redirect_uri` (or `invalid_request` naming `redirect_uri`) in a 400 error page, JSON body, or an error redirect.',
    fix: 'Register the redirect URI Codex uses (`http://127.0.0.1:PORT/callback/<callback id>`) with the provider for this client, and fix the port with `callback_port` (or `mcp_oauth_callback_port`).',
    codexSays: ['timed out waiting for OAuth callback'],
    refs: ['https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1', 'https://www.rfc-editor.org/rfc/rfc8252#section-7.3'],
  },

  // ── API-key gateways (issue 16) ──────────────────────────────────────────────────────────────
  'auth.api-key-required': {
    title: 'The server wants an API key in a header, not an OAuth login',
    severity: 'error',
    stage: 'auth',
    explanation:
      `The server answered 401, its answer asks for an API key (\`Invalid or missing API key\`, \`missing X-API-Key header\`, a \`WWW-Authenticate: ApiKey\` challenge), and it publishes no OAuth metadata: an API-key gateway such as \`mcp-proxy --apiKey\`, which guards every path, its OAuth default endpoints included. \`codex mcp login\` fails there (${CODEX}: "Dynamic registration failed: HTTP 401"), and \`bearer_token_env_var\` sends the key as \`Authorization: Bearer\`, which such a server ignores.`,
    detection: '401 without a credential; no protected resource or authorization server metadata, `/authorize` not a login page (401/404); the challenge parameters or the body speak of an API key, and name the header when they can (else `X-API-Key`, the convention mcp-proxy follows).',
    fix: 'Export the key in an environment variable where Codex starts and send it in the header the server names: `env_http_headers = { "X-API-Key" = "VAR" }`.',
    codexSays: ['Auth required, when send initialize request', 'Dynamic registration failed: HTTP 401'],
    refs: ['https://github.com/punkpeye/mcp-proxy#readme'],
  },
  'auth.api-key-wrong-header': {
    title: 'The key is sent as a bearer token; the server wants it in another header',
    severity: 'error',
    stage: 'auth',
    explanation:
      'A credential went out in `Authorization` (bearer_token_env_var, or an Authorization entry of http_headers / env_http_headers), the server answered 401 and asks for an API key in a header of its own (`X-API-Key`, or the one it names), and it publishes no OAuth metadata. The key may be right; it is in the wrong place.',
    detection: 'As `auth.api-key-required`, with an Authorization header sent.',
    fix: 'Name the same variable in `env_http_headers` under the header the server wants, and remove `bearer_token_env_var`.',
    codexSays: ['Auth required, when send initialize request'],
  },
  'bridge.api-key-required': {
    title: 'mcp-remote in front of an API-key gateway, without the key',
    severity: 'error',
    stage: 'discovery',
    explanation:
      'The remote behind mcp-remote answers 401 and wants an API key in a header (`auth.api-key-required` in the bridge diagnosis). mcp-remote 0.15.1 takes the 401 for an OAuth sign-in: it opens a browser and waits ("Authentication required. Waiting for authorization..."), so Codex\'s start times out. mcp-doctor does not start the bridge in that state.',
    detection: 'The direct check of the remote finds `auth.api-key-required` / `-wrong-header` / `-rejected`.',
    fix: 'Pass the key as a header: `args = [..., "--header", "X-API-Key:${VAR}"]` and `env_vars = ["VAR"]` (mcp-remote expands `${VAR}` itself).',
    codexSays: ['timed out handshaking with MCP server after …'],
  },
  'auth.api-key-rejected': {
    title: 'The API key sent in the header was refused',
    severity: 'error',
    stage: 'auth',
    explanation: 'The header the server asks for was sent (from `http_headers` or `env_http_headers`) and the server still answered 401 asking for a valid key: the key is wrong, revoked or for another deployment.',
    detection: 'As `auth.api-key-required`, with the named header configured.',
    fix: 'Export the right key where Codex starts.',
    codexSays: ['Auth required, when send initialize request'],
  },

  // ── initialize and session ──────────────────────────────────────────────────────────────────
  'init.protocol-error': {
    title: 'Invalid answer to `initialize`',
    severity: 'error',
    stage: 'initialize',
    explanation: 'The answer to `initialize` is not a valid JSON-RPC response carrying an InitializeResult (`protocolVersion`, `capabilities`, `serverInfo`).',
    detection: 'The answer is parsed and its shape checked.',
    fix: 'A server-side fix; report it to the server\'s maintainers with the transcript (`--verbose`).',
    codexSays: ['expect initialized result, but received: …'],
  },
  'init.jsonrpc-error': {
    title: '`initialize` answered with an error',
    severity: 'error',
    stage: 'initialize',
    explanation: 'The server answered `initialize` with a JSON-RPC error.',
    detection: 'The response carries `error` instead of `result`; code and message are evidence.',
    fix: 'Read the error message; it often names a missing key or setting.',
    codexSays: ['handshaking with MCP server failed: JSON-RPC error: …'],
  },
  'init.version-unsupported': {
    title: 'Protocol version not agreed',
    severity: 'error',
    severityNote:
      'error when the server rejects Codex\'s protocol version (a JSON-RPC error to `initialize`); warning when it answers with a version the client does not know (Codex proceeds; spec-following clients disconnect).',
    stage: 'initialize',
    explanation: 'Codex sends `protocolVersion: "2025-06-18"`. A server must answer with that version or another it supports; the client disconnects if it does not know the answer.',
    detection: 'The error to `initialize`, or the version in the result, is compared with the known revisions.',
    fix: 'Upgrade the server (or its MCP SDK) so that it negotiates instead of rejecting.',
    codexSays: ['handshaking with MCP server failed: JSON-RPC error: -32602: Unsupported protocol version'],
    refs: ['https://github.com/openai/codex/issues/36296'],
  },
  'init.initialized-rejected': {
    title: '`notifications/initialized` not accepted',
    severity: 'error',
    severityNote:
      `warning when ${CODEX} carries on anyway (measured): an empty \`204 No Content\`, or a JSON-RPC error body with 200 or a 4xx other than 404; error for anything else (a JSON result, an empty 400, 404, 5xx…), where Codex fails the start.`,
    stage: 'initialize',
    explanation: 'Over Streamable HTTP a notification must be answered `202 Accepted` with no body. Codex fails the start when the server answers with most other things; it ignores a JSON-RPC error message and an empty 204.',
    detection: 'The status and body of the `notifications/initialized` POST.',
    fix: 'A server-side fix (answer 202); until then bridge it with `mcp-remote`.',
    codexSays: ['Transport channel closed, when send initialized notification'],
    refs: ['https://github.com/openai/codex/issues/5044', 'https://github.com/openai/codex/issues/21535'],
  },
  'timeout.startup': {
    title: 'Startup took longer than `startup_timeout_sec`',
    severity: 'error',
    stage: 'initialize',
    explanation: 'Codex allows `startup_timeout_sec` (30 s by default) for `initialize` plus `tools/list`. First runs of `npx`/`uvx`/`docker` download packages and often exceed it.',
    detection: 'The stage deadline expired; where the server answers later, the time it really took is measured.',
    fix: 'Raise `startup_timeout_sec` to the measured value, or pre-install the package and point `command` at it.',
    codexSays: ['MCP client for `NAME` timed out after 30 seconds. Add or adjust `startup_timeout_sec` in your config.toml'],
    refs: ['https://github.com/openai/codex/issues/11851', 'https://github.com/openai/codex/pull/16080'],
  },
  'session.stale-not-404': {
    title: 'Unknown session not answered with 404',
    severity: 'warning',
    stage: 'initialize',
    explanation: 'A request with an unknown `Mcp-Session-Id` must get 404, which tells clients to initialize again. This server answers otherwise (e.g. 401 "Session not found"), so once its session expires — after a restart or an idle timeout — clients keep failing until they are restarted.',
    detection: 'A request with a random session id after a healthy handshake.',
    fix: 'A server-side fix: answer unknown sessions with 404. Until then restart Codex when tool calls start failing.',
    codexSays: ['unexpected server response: HTTP 401: unknown session', 'Unauthorized: Session not found'],
    refs: ['https://github.com/openai/codex/issues/12869', 'https://github.com/modelcontextprotocol/rust-sdk/issues/559'],
  },
  'http.origin-not-checked': {
    title: 'Local server accepts requests from any web page',
    severity: 'info',
    stage: 'initialize',
    explanation:
      'The MCP spec requires servers to validate the `Origin` header (and 2025-11-25 to answer a foreign Origin with 403). A server on this machine that accepts any Origin can be driven by a web page open in a browser (DNS rebinding). Codex sends no Origin and is not affected; the risk is to the machine. Reported as info because most example servers behave this way.',
    detection: 'For loopback URLs only: `initialize` is sent once more with `Origin: http://evil.example`; a 2xx answer means the Origin was not checked (the session it opens is closed again).',
    fix: 'A server-side fix: reject requests whose Origin is not the server\'s own with 403 (the MCP SDKs offer DNS rebinding protection: allowed origins and hosts).',
    refs: ['https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning'],
  },
  'session.get-stream-invalid': {
    title: 'GET stream refused with something other than 405',
    severity: 'warning',
    stage: 'initialize',
    explanation:
      `After the handshake clients open a GET stream for server messages. The server must answer it with an event stream or 405 Method Not Allowed. A 404 tells clients that the session has expired, so spec-following clients initialize again, and again (${CODEX} tolerates it and goes on without the stream); other answers (400, JSON) break clients that rely on the stream.`,
    detection: 'A GET with `Accept: text/event-stream` and the session id after the handshake; only the response headers are read.',
    fix: 'A server-side fix: answer the GET with `text/event-stream`, or with 405 when the server offers no stream.',
    refs: ['https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#listening-for-messages-from-the-server'],
  },

  'session.id-invalid': {
    title: 'Session id with characters outside visible ASCII',
    severity: 'warning',
    severityNote:
      `error when the id has characters above 0x7E or control characters: ${CODEX} cannot read it, sends its requests without a session and never gets its tools (measured); warning when only spaces or tabs are outside 0x21–0x7E (Codex works; the spec forbids them).`,
    stage: 'initialize',
    explanation: 'An `Mcp-Session-Id` MUST contain only visible ASCII characters (0x21 to 0x7E). Clients differ in what they do with other bytes: drop the id, re-encode it, or send it back unchanged.',
    detection: 'The `Mcp-Session-Id` of the `initialize` answer is checked character by character.',
    fix: 'A server-side fix: mint session ids from visible ASCII (a UUID or base64url of random bytes).',
    refs: ['https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management'],
  },
  'session.missing-id-not-400': {
    title: 'A request without the session id is not answered 400',
    severity: 'warning',
    stage: 'initialize',
    explanation:
      'A server that issues session ids SHOULD answer a request that lacks one (other than `initialize`) with 400 Bad Request. This server answers otherwise: a 404 tells clients their session expired, a 200 with an error hides the problem. Codex always sends the id, so it works.',
    deepOnly: true,
    detection: 'After the handshake, a `ping` is sent without `Mcp-Session-Id`; a 2xx with a normal result (the session is not required) is fine.',
    fix: 'A server-side fix: answer requests without a session id with 400.',
    refs: ['https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management'],
  },
  'session.id-changed': {
    title: 'Server changes the session id after initialize',
    severity: 'warning',
    stage: 'initialize',
    explanation:
      'The session id is assigned on the answer to `initialize`. This server sends a different `Mcp-Session-Id` on later answers. Clients disagree on what to do: the official TypeScript SDK v1 adopts the new id, v2 and Codex keep the first one. It works only as long as the server honours both.',
    detection: 'Every answer after `initialize` is compared with the session id it issued.',
    fix: 'A server-side fix: keep the id issued with the InitializeResult for the whole session.',
  },
  'session.delete-invalid': {
    title: 'DELETE of the session not answered with 2xx or 405',
    severity: 'warning',
    stage: 'tools',
    explanation:
      'Clients end a session with DELETE and the session id. The server answers 2xx when it ended the session, or 405 when it does not allow clients to end sessions. This server answers otherwise (or 404 while the session goes on): the official SDK client\'s terminateSession() throws, and sessions pile up on the server. Codex ignores the answer.',
    deepOnly: true,
    detection: 'The DELETE mcp-doctor sends after tools/list; after a 404 the session is tried once more.',
    fix: 'A server-side fix: answer DELETE with 200/204 and end the session, or with 405 Method Not Allowed.',
    refs: ['https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management'],
  },
  'session.terminated-not-404': {
    title: 'An ended session is not answered with 404',
    severity: 'warning',
    stage: 'tools',
    explanation:
      'After a session ends, the server MUST answer requests carrying its id with 404, which tells clients to initialize again. This server accepted the DELETE but then keeps serving the old id, or answers it otherwise. Codex works (it does not reuse ended sessions), but the session is not really ended.',
    deepOnly: true,
    detection: 'After a 2xx DELETE, one `ping` with the old session id.',
    fix: 'A server-side fix: forget the session on DELETE, and answer its id with 404 afterwards.',
    refs: ['https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management'],
  },
  // ── tools ───────────────────────────────────────────────────────────────────────────────────
  'tools.list-failed': {
    title: '`tools/list` failed',
    severity: 'error',
    stage: 'tools',
    explanation: 'The server finished the handshake but `tools/list` returned an error or an invalid result, or an answer nested deeper than Codex\'s JSON parser reads (a tool nested 125 levels or more, measured with 0.171), so Codex fails to start it (measured with 0.169: the server does not start with an empty tool list).',
    detection: '`tools/list` is called (following `nextCursor`) and the result validated, including its nesting depth (docs/model-view.md).',
    fix: 'A server-side fix; the error is in the evidence.',
    codexSays: [
      'MCP startup failed: Mcp error: -32601: Method not found',
      'MCP startup failed: Unexpected response type',
      'MCP startup failed: tools/list returned a repeated pagination cursor',
      'MCP startup failed: Transport send error: … Deserialize error: recursion limit exceeded',
    ],
  },
  'tools.invalid-name': {
    title: 'Tool name Codex rewrites',
    severity: 'warning',
    stage: 'tools',
    explanation: 'Tool names must match `^[a-zA-Z0-9_-]+$` and be at most 64 characters for the model API. Codex renames others (`search.docs` → `search_docs`, with a hash suffix when names then collide), so the model sees names that differ from the server\'s docs; older Codex versions fail.',
    detection: 'Each tool name is checked as Codex exposes it.',
    fix: 'A server-side fix (rename the tools); meanwhile `disabled_tools` can drop them.',
    codexSays: ["Invalid 'tools[N].name': string does not match pattern"],
    refs: ['https://github.com/openai/codex/issues/8174'],
  },
  'tools.invalid-schema': {
    title: 'Tool input schema invalid',
    severity: 'error',
    stage: 'tools',
    explanation: 'Every tool needs an `inputSchema` whose root is `type: "object"`.',
    detection: 'Each tool\'s `inputSchema` is checked.',
    fix: 'A server-side fix; meanwhile `disabled_tools` can drop the tool.',
  },
  'tools.unknown-filter': {
    title: 'Tool filter names a tool that does not exist',
    severity: 'warning',
    stage: 'tools',
    explanation: '`enabled_tools` / `disabled_tools` match exact raw tool names (no wildcards). A name the server does not have has no effect — and an `enabled_tools` list with only unknown names leaves no tools at all.',
    detection: 'The filter names are compared with the tools the server lists.',
    fix: 'Use the exact names the server lists.',
  },
  'tools.none': {
    title: 'Server offers no tools',
    severity: 'info',
    stage: 'tools',
    explanation: 'The server answered `tools/list` with no tools (or the filters removed them all).',
    detection: 'The tool count after `enabled_tools` / `disabled_tools`.',
    fix: 'Check the server\'s own configuration, and the filters.',
  },
  'tools.model-rejects': {
    title: 'Codex sends a tool the model API documents it refuses',
    severity: 'warning',
    stage: 'tools',
    explanation:
      `Codex starts the server and lists the tool, and sends it to the model as a function in the \`mcp__<server>\` namespace: the name after its own renaming, the \`inputSchema\` after its own rewriting (measured with ${CODEX}, see docs/model-view.md). The OpenAI API documents that a function's \`parameters\` is a JSON Schema object and that a function name is at most 64 characters of \`[a-zA-Z0-9_-]\`; Codex sends a root \`"type": "string"\` (or any other non-object root) as it is, and keeps names up to 128 characters with the namespace. Where the API enforces its documented rule, every request that carries the tool fails.`,
    detection: 'The `parameters` and name Codex sends are predicted from the tool list (docs/model-view.md) and checked against the documented rules.',
    fix: 'A server-side fix (an object root schema, shorter names); meanwhile `disabled_tools` hides the tool from Codex.',
    refs: ['https://platform.openai.com/docs/api-reference/responses/create#responses-create-tools', 'https://platform.openai.com/docs/guides/function-calling'],
  },
  'tools.codex-drops': {
    title: 'Codex leaves a tool out of what the model sees',
    severity: 'warning',
    stage: 'tools',
    explanation:
      'Codex starts the server, but cannot turn some of its tools into a model tool and skips them (its log says "Skipping MCP tool …: failed to build tool spec"): a root schema of the single type `null`, `properties` that is not a map, `required` that is not a list, a property schema that is neither an object nor a boolean. Of several tools with the same name Codex keeps the first. The model never sees the skipped tools; the rest of the server works.',
    detection: `The tool list is read as ${CODEX} reads it (docs/model-view.md).`,
    fix: 'A server-side fix: unique tool names and input schemas Codex can read.',
  },
  // ── what Codex's reader refuses, and bounds (issue 14; see docs/limits.md) ────────────────────
  'wire.codex-unreadable': {
    title: 'An answer Codex\'s JSON reader refuses',
    severity: 'error',
    stage: 'initialize',
    explanation:
      `The answer is JSON that JavaScript reads, but Codex reads messages with serde_json, which is stricter: it refuses nesting deeper than 127 levels, a lone UTF-16 surrogate escape such as \`"\\ud800"\`, and bytes that are not valid UTF-8, wherever they are in the message (also in fields Codex otherwise ignores). Over stdio Codex drops the line and times out waiting for the answer; over HTTP the request fails. Either way Codex cannot use the server (measured with ${CODEX}).`,
    detection: 'Each JSON-RPC message is scanned as received: its deepest nesting, its `\\u` escapes, and (from the raw bytes) its UTF-8 validity.',
    fix: 'A server-side fix: send valid UTF-8, encode characters outside the BMP as surrogate pairs (or raw UTF-8), and keep JSON nesting (input schemas included) under 127 levels.',
    codexSays: ['recursion limit exceeded', 'unexpected end of hex escape', 'lone leading surrogate in hex escape', 'invalid unicode code point', 'timed out handshaking with MCP server after …'],
  },
  'wire.answer-too-large': {
    title: 'Answer cut off at the size limit',
    severity: 'error',
    severityNote:
      'error for a stdio line of 16 MiB or more: Codex discards it too (rmcp max_line_length) and times out; warning for an HTTP body past 16 MiB: Codex reads it all, mcp-doctor stops and cannot say whether the rest is valid.',
    stage: 'initialize',
    explanation:
      'mcp-doctor reads at most a bounded number of bytes of each answer (docs/limits.md), so a server cannot exhaust its memory. Over stdio the bound is Codex\'s own: rmcp drops a line of 16 MiB or more and Codex waits for an answer that never comes. Over HTTP Codex reads any size, so mcp-doctor reports what it did not verify instead of a verdict Codex would contradict.',
    detection: 'The byte count of the stdout line or the HTTP body passes the bound; the rest is discarded unread.',
    fix: 'A server-side fix: keep answers small (page `tools/list` with `nextCursor`, shorten descriptions and schemas).',
    codexSays: ['timed out handshaking with MCP server after …', 'timed out awaiting tools/list after …'],
  },
  'wire.compression-bomb': {
    title: 'Compressed answer expands past the limit',
    severity: 'warning',
    stage: 'initialize',
    explanation:
      'The server sent a gzip-compressed body (`Content-Encoding: gzip`) that expands past mcp-doctor\'s decoded-size bound of 16 MiB: a compression bomb, or an answer far larger than any client should need. mcp-doctor stops decoding there. Codex (reqwest) decodes gzip without a bound (measured: it decoded 200 MiB of a bomb), so it may spend that memory, and fails unless the expanded text is a valid answer.',
    detection: 'The decoded byte count passes the bound while the body is decoded.',
    fix: 'A server-side fix: send the answer uncompressed or small; never compress a response to a size a client must trust.',
  },
  'wire.content-encoding': {
    title: 'Answer compressed in a way Codex does not decode',
    severity: 'error',
    stage: 'initialize',
    explanation:
      `The server compressed its answer with a \`Content-Encoding\` other than gzip (deflate, br, zstd…). ${CODEX} decodes gzip only; it reads other encodings' bytes as JSON and fails (measured).`,
    detection: 'The response\'s `Content-Encoding` header names an encoding other than gzip or identity.',
    fix: 'A server-side fix: send the answer uncompressed, or compressed with gzip only.',
    codexSays: ['Deserialize error: expected value at line 1 column 1, when send initialize request'],
  },
  'wire.invalid-header': {
    title: 'Response header with invalid characters',
    severity: 'error',
    stage: 'initialize',
    explanation:
      'A response header (name or value) holds control characters (other than tab) or other bytes HTTP forbids. HTTP parsers refuse the whole response: Codex\'s (hyper) fails the request, and so does mcp-doctor\'s (undici).',
    detection: 'The HTTP parser rejects the response head; the parser\'s error code names the cause.',
    fix: 'A server-side fix: never put raw control characters (CR, LF, NUL, ESC…) into a header value; encode them.',
  },
  'wire.type-refused': {
    title: 'An answer whose field types Codex refuses',
    severity: 'error',
    stage: 'initialize',
    explanation:
      'Codex (rmcp) reads the initialize result and the tool list into typed structures. A field of the wrong type (for example `capabilities.experimental` values that are not objects, `capabilities.tools.listChanged` that is not a boolean, a tool without an object `inputSchema`, a duplicated field name) makes the whole answer unreadable to Codex although the doctor\'s own checks, and many other clients, accept it.',
    detection: `The answer is checked against the types of rmcp's InitializeResult, ServerCapabilities, Implementation, Tool and ListToolsResult, as ${CODEX} pins them (src/stages/codex-shape.ts; every rule confirmed by the differential fuzzer, test/fuzz/).`,
    fix: 'A server-side fix: give the field the type the MCP schema gives it (objects where objects go, booleans for the *Changed flags, strings for names and versions).',
    codexSays: ['expect initialized result, but received: Some(CustomResult(…))'],
  },
  'tools.catalog-limit': {
    title: 'More tools than Codex accepts',
    severity: 'error',
    stage: 'tools',
    explanation:
      `${CODEX} accepts at most 2048 tools from one server (all pages together, codex-mcp \`MAX_MCP_CATALOG_ITEMS\`) and fails the whole server past that, instead of keeping the first 2048.`,
    detection: 'The tools of all `tools/list` pages are counted.',
    fix: 'Offer fewer tools from the server (split it into several servers, or let it expose a subset by configuration). `enabled_tools` is not expected to help: the limit applies while Codex collects the listing (codex-mcp pagination), before its tool filters (read in the source, not measured).',
    codexSays: ['tools/list exceeded the catalog limit of 2048 items'],
  },
  'codex.disagrees': {
    title: 'Codex itself disagrees with mcp-doctor',
    severity: 'error',
    severityNote:
      'error when Codex cannot start a server (or refuses the whole config) that mcp-doctor found usable: Codex is the judge, and mcp-doctor missed the cause; warning when Codex starts a server that mcp-doctor reports as failing: the errors may not apply to this Codex version.',
    stage: 'initialize',
    explanation:
      'With `check --codex`, the installed Codex starts the same servers through `codex app-server` (`mcpServerStatus/list`), the way a Codex session does, and its verdict is shown beside mcp-doctor\'s. This finding marks a server where the two differ: mcp-doctor said ok or warn but Codex could not start it, or mcp-doctor said fail but Codex connected. Either way one of the two verdicts is wrong for your setup, and it is usually mcp-doctor\'s.',
    detection: 'Codex\'s `connected` is compared with mcp-doctor\'s server status (`fail` against not connected). A server whose token in `.credentials.json` would first need a refresh is not compared: Codex works on a copy without refresh tokens (a refresh can replace your refresh token, and the copy is deleted).',
    fix: 'Trust Codex\'s error text, which the report quotes. Please report the difference with the output of `mcp-doctor check --codex --format markdown --verbose`: every disagreement is a bug in mcp-doctor or a change in Codex.',
  },
  'internal.stage-crashed': {
    title: 'mcp-doctor crashed in a stage',
    severity: 'error',
    stage: 'file',
    explanation: 'mcp-doctor itself threw an exception while checking this server. This is a bug in mcp-doctor, not in your setup.',
    detection: 'A stage threw.',
    fix: 'Please report it with the output of `mcp-doctor check --format markdown --verbose`.',
  },
} as const satisfies Record<string, FindingSpec>;

export type FindingCode = keyof typeof REGISTRY;

export function isFindingCode(code: string): code is FindingCode {
  return Object.hasOwn(REGISTRY, code);
}

export function findingSpec(code: FindingCode): FindingSpec {
  return REGISTRY[code];
}
