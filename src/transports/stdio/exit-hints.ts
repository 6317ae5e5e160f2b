import { detectBridge, dockerRunWithoutInteractive, programName, unwrapShell } from '../../config/launchers.ts';

/**
 * Reads a failed server's (redacted) stderr tail and command line for the usual reasons a stdio
 * server dies before answering `initialize` (Codex issue reports F4, F7): Codex itself only
 * says "connection closed: initialize response" and keeps stderr in its log.
 */
export type HintId =
  | 'missing-module'
  | 'runtime-version'
  | 'docker-no-interactive'
  | 'port-in-use'
  | 'http-only'
  | 'missing-env'
  | 'interpreter-not-found'
  | 'killed'
  | 'stdin-closed'
  | 'ca-not-forwarded'
  | 'proxy-not-forwarded'
  | 'python-buffered'
  | 'literal-variable'
  | 'bridge-allow-http'
  | 'interactive-login';

export interface ExitHint {
  id: HintId;
  text: string;
  /** A variable the server asks for, when the hint is about one. */
  variable?: string;
}

export interface ExitHintInput {
  command: string;
  args: string[];
  stderr: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Variables set in the server's environment, and in the user's. */
  childEnv: Record<string, string | undefined>;
  userEnv: Record<string, string | undefined>;
  /** The config's own `env` table: its values are passed literally. */
  literalEnv?: Record<string, string>;
}

const ENV_CONTEXT = /environment|env\b|env var|variable|required|missing|not set|not found|must be set|is empty|undefined|no .*key|unset/i;
const VAR_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{2,}(?:KEY|TOKEN|SECRET)\b/g;
/** Upper-case words in stack traces and error codes that are not variables. */
const NOT_VARIABLES = /^(?:ERR_|MODULE_NOT_FOUND$|ENOENT$|EACCES$|EADDRINUSE$|ECONNREFUSED$|JSON_|HTTP_\d|UTF_8$|ISO_)/;

/** Variable names a server's stderr asks for ("Error: MY_API_KEY environment variable is required"). */
export function mentionedVariables(stderr: string[]): string[] {
  const names = new Set<string>();
  for (const line of stderr) {
    if (!ENV_CONTEXT.test(line)) continue;
    for (const match of line.matchAll(VAR_NAME)) {
      if (!NOT_VARIABLES.test(match[0])) names.add(match[0]);
    }
  }
  return [...names];
}

export function exitHints(input: ExitHintInput): ExitHint[] {
  const hints: ExitHint[] = [];
  const text = input.stderr.join('\n');
  const real = unwrapShell(input.command, input.args);
  const program = programName(real.command);

  if (dockerRunWithoutInteractive(input.command, input.args)) {
    hints.push({
      id: 'docker-no-interactive',
      text: '`docker run` has no `-i`: the container gets no stdin, reads end-of-file and exits. Add `-i` (and `--rm`) before the image name.',
    });
  }

  const module = /Cannot find (?:module|package) '([^']+)'|ERR_MODULE_NOT_FOUND|ModuleNotFoundError: No module named '([^']+)'|No module named '?([\w.]+)'?|cannot load such file -- (\S+)/.exec(text);
  if (module) {
    const name = module[1] ?? module[2] ?? module[3] ?? module[4];
    const python = /ModuleNotFoundError|No module named/.test(module[0]);
    hints.push({
      id: 'missing-module',
      text: `A module is missing${name ? ` (${name})` : ''}: ${
        python
          ? 'install the server\'s dependencies into the Python environment `command` runs (`pip install …` / `uv sync`), or point `command` at that environment\'s interpreter'
          : 'run `npm install` (and the build step) in the server\'s directory, and check `cwd` and the paths in `args`'
      }.`,
    });
  }

  const runtime =
    /requires Python\s*([<>=!~]+\s*[\d.]+)?|Python ([\d.]+) or (?:newer|later|higher) is required|SyntaxError: Unexpected token|SyntaxError: .*(?:import|export|\?\?|\?\.)|ERR_REQUIRE_ESM|is not supported by this version of Node|The engine "node" is incompatible|requires Node(?:\.js)? ([^\s,]+)|Unsupported engine|node: bad option/.exec(
      text,
    );
  if (runtime) {
    const which = /python/i.test(runtime[0]) ? 'Python' : 'Node.js';
    hints.push({
      id: 'runtime-version',
      text: `The server needs a newer ${which} than the one it started with (${runtime[0].trim()}). The PATH the server gets may find an older ${which} than your shell does: point \`command\` at the right interpreter's absolute path.`,
    });
  }

  // A bridge is a stdio server by design: its own HTTP talk ("callback server running at …") is not a hint.
  const bridge = detectBridge(input.command, input.args);
  if (bridge?.kind === 'mcp-remote' && refusesPlainHttp(bridge.url, bridge.args)) {
    hints.push({
      id: 'bridge-allow-http',
      text: 'mcp-remote refuses an http:// URL unless the host is localhost or 127.0.0.1 ("Non-HTTPS URLs are only allowed for localhost"): use the https:// URL, or add "--allow-http" to `args` for a trusted network.',
    });
  }
  if (!bridge) hints.push(...httpServerHints(text));
  else if (bridge.kind === 'mcp-remote' && /EADDRINUSE|address already in use/i.test(text)) {
    hints.push({
      id: 'port-in-use',
      text: 'mcp-remote\'s OAuth callback port is taken: another mcp-remote for the same remote is signing in (a host often starts several), or another program holds the port. Finish that sign-in, or pass a free port as the argument after the URL.',
    });
  }

  for (const name of mentionedVariables(input.stderr)) {
    const forServer = input.childEnv[name];
    const forUser = input.userEnv[name];
    if (forServer !== undefined && forServer !== '') continue;
    hints.push({
      id: 'missing-env',
      variable: name,
      text:
        forUser !== undefined && forUser !== ''
          ? `Its stderr names ${name}, which is set in your environment but not passed to the server: Codex forwards only a few variables. Add \`env_vars = ["${name}"]\`.`
          : `Its stderr names ${name}, which is not set, neither for the server nor in your environment: export it where Codex is launched and add \`env_vars = ["${name}"]\`, or set it in \`[mcp_servers.NAME.env]\`.`,
    });
  }

  const envMissing = /(?:env|\/usr\/bin\/env): ['‘"]?([^'’":\s]+)['’"]?: No such file or directory/.exec(text);
  if (input.code === 127 || envMissing) {
    const interpreter = envMissing?.[1];
    hints.push({
      id: 'interpreter-not-found',
      text: interpreter
        ? `\`${interpreter}\` is not on the PATH the server gets (the script starts with \`#!/usr/bin/env ${interpreter}\`). Put its directory on the server's PATH (\`env = { PATH = "…" }\`) or run the script with the interpreter's absolute path as \`command\`.`
        : 'A program it runs was not found (exit code 127): the PATH the server gets lacks something your shell has.',
    });
  }

  hints.push(...networkHints(text, input));
  hints.push(...literalVariableHints(input));

  if (input.signal === 'SIGKILL' || input.code === 137) {
    hints.push({ id: 'killed', text: 'It was killed with SIGKILL (out of memory, or a sandbox/antivirus).' });
  }

  if (hints.length === 0 && input.code === 0 && program !== 'docker') {
    hints.push({
      id: 'stdin-closed',
      text: 'It exited normally (code 0) without answering: it may not be an MCP stdio server, or it needs an argument to start in stdio mode.',
    });
  }
  return hints;
}

function httpServerHints(text: string): ExitHint[] {
  if (/EADDRINUSE|address already in use/i.test(text)) {
    return [
      {
        id: 'port-in-use',
        text: 'It tried to listen on a port that is already in use: it is probably starting an HTTP server, not a stdio one. Look for its stdio mode (a `--stdio` flag or `stdio` argument), or configure it as `url = "http://127.0.0.1:PORT/mcp"` if it is meant to run separately.',
      },
    ];
  }
  if (/listening on (?:https?:\/\/|port|\S+:\d+)|server (?:is )?running on (?:https?:\/\/|port)|started on port|Uvicorn running on|streamable.?http (?:server|transport)|transport.*sse/i.test(text)) {
    return [
      {
        id: 'http-only',
        text: 'Its output suggests it runs as an HTTP server rather than over stdio. Start it in its stdio mode (often a `--stdio` flag, a `stdio` argument or `--transport stdio`), or run it separately and configure `url = "http://…/mcp"`.',
      },
    ];
  }
  return [];
}

const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

/**
 * TLS and proxy failures of a server that calls out: Codex drops proxy variables (F26) and some
 * CA settings such as SSL_CERT_DIR (0.169 keeps the CA-bundle files, child-env.ts), so a server
 * that works from the shell fails behind a corporate proxy. Only variables missing from the
 * server's environment are named.
 */
function networkHints(text: string, input: Pick<ExitHintInput, 'childEnv' | 'userEnv'>): ExitHint[] {
  const dropped = (names: string[]) => names.filter((n) => input.userEnv[n] && !input.childEnv[n]);
  const hints: ExitHint[] = [];
  if (/certificate|x509|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT|CERT_HAS_EXPIRED|unable to verify the first certificate|SSLError|CERTIFICATE_VERIFY_FAILED/i.test(text)) {
    const names = dropped(CA_VARIABLES);
    hints.push({
      id: 'ca-not-forwarded',
      text: names.length
        ? `A TLS certificate was not trusted, and your environment sets ${names.join(', ')}, which Codex does not pass on: add \`env_vars = [${names.map((n) => `"${n}"`).join(', ')}]\`.`
        : 'A TLS certificate was not trusted: behind a corporate proxy, give the server your CA bundle (`NODE_EXTRA_CA_CERTS` for Node, `SSL_CERT_FILE` / `REQUESTS_CA_BUNDLE` for Python) via `env` or `env_vars`.',
    });
  }
  const proxies = dropped(PROXY_VARIABLES);
  if (proxies.length > 0 && /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|getaddrinfo|ECONNRESET|fetch failed|Connection refused|timed out|Name or service not known|network is unreachable/i.test(text)) {
    hints.push({
      id: 'proxy-not-forwarded',
      text: `A network request failed, and your environment sets ${proxies.join(', ')}, which Codex does not pass on: add \`env_vars = [${proxies.map((n) => `"${n}"`).join(', ')}]\`.`,
    });
  }
  return hints;
}

/**
 * Why a running server may never answer: it is an HTTP server, or a script whose stdout is
 * block-buffered because it is not a terminal (Python's print without flush).
 */
export function timeoutHints(input: Pick<ExitHintInput, 'command' | 'args' | 'stderr' | 'childEnv' | 'userEnv'> & { stdoutBytes: number }): ExitHint[] {
  const text = input.stderr.join('\n');
  const hints = [...(detectBridge(input.command, input.args) ? [] : httpServerHints(text)), ...networkHints(text, input), ...interactiveLoginHints(input.stderr)];
  const real = unwrapShell(input.command, input.args);
  const program = programName(real.command);
  const python = /^python[\d.]*$/.test(program) || ((program === 'uv' || program === 'poetry') && real.args[0] === 'run');
  if (python && input.stdoutBytes === 0 && !real.args.includes('-u') && !input.childEnv.PYTHONUNBUFFERED) {
    hints.push({
      id: 'python-buffered',
      text: 'It wrote nothing at all to stdout. A Python script that answers with print() is block-buffered when stdout is not a terminal: use print(..., flush=True), run `python -u`, or set `env = { PYTHONUNBUFFERED = "1" }`.',
    });
  }
  return hints;
}

/** A server that waits for someone to sign in (a browser page, a device code) before it answers. */
const LOGIN_WAIT = /(?:open|visit|go to|navigate to|browse to)\b.{0,60}(?:https?:\/\/|url|link|browser)|(?:waiting|wait) for (?:the )?(?:authori[sz]ation|authentication|sign[- ]?in|log[- ]?in|browser|oauth)|device code|enter (?:the|this) code|authori[sz]e (?:this|the) (?:app|application|device)|(?:sign|log) ?in (?:in|with) (?:your|the) browser|opening (?:the |your )?browser/i;

/**
 * Any stdio server (an OAuth bridge, a CLI-style server with its own login) whose stderr shows it
 * waiting on an interactive sign-in: under Codex nobody completes it before the startup timeout.
 */
export function interactiveLoginHints(stderr: string[]): ExitHint[] {
  const line = stderr.find((l) => LOGIN_WAIT.test(l));
  if (!line) return [];
  return [
    {
      id: 'interactive-login',
      text: `Its stderr shows it waiting for an interactive sign-in (${JSON.stringify(line.trim().slice(0, 140))}): Codex starts it with no one to finish that, so the start times out, and more time does not help. Run the same command once in a terminal, finish the sign-in so it stores its credentials, then start Codex again; or give it a token or key through \`env\` / \`env_vars\` if it takes one.`,
    },
  ];
}

const VARIABLE_REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g;
const SHELLS = ['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'cmd', 'powershell', 'pwsh'];

/**
 * `$VAR` / `${VAR}` passed literally (F5): Codex expands nothing in `args` or `env` values, so a
 * server that then fails most likely got the text instead of the value. A shell wrapper expands
 * its own script, and mcp-remote expands `${VAR}` in its `--header` values itself.
 */
export function literalVariables(input: Pick<ExitHintInput, 'command' | 'args'> & { env?: Record<string, string> }): Array<{ name: string; where: string }> {
  const real = unwrapShell(input.command, input.args);
  if (SHELLS.includes(programName(input.command)) || SHELLS.includes(programName(real.command))) return [];
  const bridge = detectBridge(input.command, input.args);
  const found = new Map<string, string>();
  input.args.forEach((arg, i) => {
    if (bridge?.kind === 'mcp-remote' && input.args[i - 1] === '--header') return;
    for (const match of arg.matchAll(VARIABLE_REFERENCE)) if (!found.has(match[1]!)) found.set(match[1]!, 'args');
  });
  for (const [key, value] of Object.entries(input.env ?? {})) {
    for (const match of value.matchAll(VARIABLE_REFERENCE)) if (!found.has(match[1]!)) found.set(match[1]!, `env.${key}`);
  }
  return [...found].map(([name, where]) => ({ name, where }));
}

function literalVariableHints(input: ExitHintInput): ExitHint[] {
  const found = literalVariables({ command: input.command, args: input.args, env: input.literalEnv });
  if (found.length === 0) return [];
  const names = found.map((f) => f.name);
  const places = [...new Set(found.map((f) => `\`${f.where}\``))].join(' and ');
  const seen = names.filter((n) => input.stderr.some((l) => l.includes(`$${n}`) || l.includes(`\${${n}}`)));
  return [
    {
      id: 'literal-variable',
      variable: names[0],
      text: `${places} pass${found.length === 1 && !places.includes(' and ') ? 'es' : ''} ${names.map((n) => `$${n}`).join(', ')} literally: Codex expands no variables (config.var-not-expanded), so the server got the text, not the value${
        seen.length ? ` (its stderr shows the literal ${seen.map((n) => `$${n}`).join(', ')})` : ''
      }. Forward ${names.join(', ')} with \`env_vars\` and let the server read ${names.length > 1 ? 'them' : 'it'} from its environment, or let a shell expand ${names.length > 1 ? 'them' : 'it'} (\`command = "sh"\`, \`args = ["-c", "exec …"]\`).`,
    },
  ];
}

/** stderr lines of a package runner that is downloading or installing (a first run). */
const DOWNLOAD_LINE =
  /The following package was not found and will be installed|npm (?:WARN exec|notice)|^added \d+ packages?|Progress: resolved \d+|Packages: \+\d+|Resolved, downloaded and extracted|Downloading |Installed \d+ packages? in|Resolved \d+ packages? in|Prepared \d+ packages? in|Unable to find image .* locally|Pulling from |Pulling fs layer|Pull complete|Downloaded newer image|Collecting \S+/;

/** The stderr line showing that the launcher was downloading when time ran out (first run, F1). */
export function downloadSign(stderr: string[]): string | undefined {
  const line = [...stderr].reverse().find((l) => DOWNLOAD_LINE.test(l.trim()));
  return line ? line.trim().slice(0, 200) : undefined;
}

/** mcp-remote 0.15.1 (`parseCommandLineArgs`): plain http only for localhost / 127.0.0.1, or with --allow-http. */
function refusesPlainHttp(url: string, args: string[]): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && parsed.hostname !== 'localhost' && parsed.hostname !== '127.0.0.1' && !args.includes('--allow-http');
  } catch {
    return false;
  }
}
