import { CODEX } from '../codex/codex-version.ts';
import { SPEC, type FindingSpec } from './finding-spec.ts';

/** Finding codes: stdio servers and the bridges (mcp-remote, mcp-proxy, supergateway) run as stdio servers. Part of the one registry (registry.ts). */
export const STDIO_CODES = {
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
    codexSays: ['handshaking with MCP server failed: conflict initialized response id: expected 0, got …', 'timed out awaiting tools/list after …', 'tools/list pagination timed out after …'],
  },
  'stdio.command-is-directory': {
    title: '`command` is a directory',
    severity: 'error',
    stage: 'discovery',
    explanation: 'The `command` names a directory, not a program; Codex cannot start it ("Permission denied (os error 13)").',
    detection: 'The resolved command is a directory.',
    fix: 'Point `command` at the program inside the directory (e.g. its `bin/` entry), or at the interpreter with the script in `args`.',
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
} as const satisfies Record<string, FindingSpec>;
