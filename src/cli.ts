// Nothing heavy loads eagerly: yargs when arguments need parsing, the commands (undici, ora,
// smol-toml, chalk...) when one runs, so `--version` and `--help` start fast. In the esbuild
// bundle a module reached only through import() is evaluated only when that import() runs.
import type { CheckArgs } from './commands/check-command.ts';
import { REGISTRY } from './findings/registry.ts';
import { reportItAt } from './report/links.ts';
import { FORMATS, type Format } from './types.ts';
import { VERSION } from './version.ts';

const io = { stdout: process.stdout, stderr: process.stderr };

// A reader that stops early (`mcp-doctor check | head`) closes the pipe: the rest of the output
// is not wanted, and the exit code already decided stands. Unhandled, EPIPE crashed the process
// with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

/** The one place that decides the process exit code (contract §2). */
function finish(code: number): void {
  process.exitCode = code;
}

async function internalError(error: unknown): Promise<void> {
  const { createRedactor } = await import('./redact.ts');
  // The config's own secrets are unknown here; shape-based redaction still catches tokens and URL secrets.
  const message = createRedactor().text(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.stderr.write(`☠ mcp-doctor crashed: this is a bug in mcp-doctor, not in your setup. ${reportItAt()} with this output:\n${message}\n`);
  finish(3);
}

function colorWanted(flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return true;
}

/** A string flag given once or several times (yargs makes repeats an array). */
function toStrings(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function checkArgsFrom(argv: Record<string, unknown>): CheckArgs {
  const format: Format = argv.json === true ? 'json' : ((argv.format as Format | undefined) ?? 'text');
  const dashDash = (argv['--'] as string[] | undefined) ?? [];
  return {
    names: ((argv.names as string[] | undefined) ?? []).map(String),
    config: argv.config as string | undefined,
    overrides: toStrings(argv.c),
    profile: argv.profile as string | undefined,
    format,
    timeout: argv.timeout as number | undefined,
    verbose: argv.verbose === true,
    deep: argv.deep === true,
    strict: argv.strict === true,
    color: colorWanted(argv.color as boolean | undefined),
    url: argv.url as string | undefined,
    headers: ((argv.header as string[] | undefined) ?? []).map(String),
    bearerEnv: argv['bearer-env'] as string | undefined,
    command: dashDash.length > 0 ? dashDash.map(String) : undefined,
    concurrency: (argv.concurrency as number | undefined) ?? 16,
    fix: argv.fix === true,
    write: argv.write === true,
    verifyFixes: argv['verify-fixes'] === true,
    codex: argv.codex === true || argv['codex-bin'] !== undefined,
    codexBin: argv['codex-bin'] as string | undefined,
    refresh: argv.refresh === true,
    login:
      argv.login === true
        ? {
            auto: argv['login-auto'] === true,
            open: argv.open as boolean | undefined,
            interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
            timeoutSec: argv['login-timeout'] as number | undefined,
            clientMetadataUrl: argv['client-metadata-url'] as string | undefined,
            callTool: argv['call-tool'] as string | undefined,
          }
        : undefined,
  };
}

/** Flags that only mean something with --login (src/auth/login/login-options.ts). */
const LOGIN_FLAGS = ['login-auto', 'open', 'login-timeout', 'client-metadata-url', 'call-tool'];

const buildParser = ({ default: yargs }: typeof import('yargs'), { hideBin }: typeof import('yargs/helpers')) => yargs(hideBin(process.argv))
  .scriptName('mcp-doctor')
  .parserConfiguration({ 'populate--': true })
  .usage('$0 <command> [options]\n\nDiagnose the MCP servers configured for the Codex CLI.')
  .command(
    'check [names..]',
    'Probe the servers of the Codex config (or only the named ones) and report what is wrong and how to fix it',
    (y) =>
      y
        .positional('names', { type: 'string', array: true, describe: 'Server names ([mcp_servers.NAME]); default: all' })
        .option('config', { type: 'string', describe: 'Config file (default: $CODEX_HOME/config.toml, CODEX_HOME defaults to ~/.codex)' })
        // Not `array: true`: that would swallow the server names after it. Repeats still collect.
        .option('c', { type: 'string', requiresArg: true, describe: 'Override a config value as `codex -c key=value` does (repeatable): a dotted key, the value parsed as TOML (a string when it does not parse), above every config file but managed_config.toml' })
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, describe: 'As `codex --profile NAME`: layer $CODEX_HOME/NAME.config.toml on top of config.toml' })
        .option('format', { choices: FORMATS, default: 'text' as Format, describe: 'Output format' })
        .option('json', { type: 'boolean', describe: 'Short for --format json' })
        .option('timeout', { type: 'number', describe: "Upper bound in seconds for one server's whole check (default: its startup_timeout_sec for the handshake and again for tools/list, as Codex applies it)" })
        .option('verbose', { alias: 'v', type: 'boolean', describe: 'Also print the wire transcript (redacted)' })
        .option('deep', { type: 'boolean', describe: 'Also run the spec-conformance probes Codex does not depend on (missing session id, MCP-Protocol-Version, ended session, server/discover): for server authors' })
        .option('strict', { type: 'boolean', describe: 'Warnings count as failures for the exit code' })
        .option('color', { type: 'boolean', default: true, describe: 'Colour output (--no-color, or NO_COLOR, turns it off)' })
        .option('url', { type: 'string', describe: 'Probe one Streamable HTTP / SSE endpoint with no config file' })
        .option('header', { type: 'string', array: true, describe: 'With --url: a header "Name: value" (repeatable)' })
        .option('bearer-env', { type: 'string', describe: 'With --url: name of the variable holding a bearer token' })
        .option('concurrency', { type: 'number', default: 16, describe: 'How many servers are checked at once' })
        .option('fix', { type: 'boolean', describe: 'Also print the change to the config file that applies the fixes, as a unified diff (proves fixes first)' })
        .option('write', { type: 'boolean', describe: 'With --fix: apply the change (a timestamped backup is written next to the file first)' })
        .option('codex', { type: 'boolean', describe: 'Also ask the installed Codex (codex app-server): it starts the same servers the way a Codex session does, and its verdict is shown beside each' })
        .option('codex-bin', { type: 'string', describe: 'The Codex CLI to ask (implies --codex; default: codex on the PATH)' })
        .option('verify-fixes', { type: 'boolean', describe: 'Try each safe fix on a temporary copy of the config and mark it verified or not' })
        .option('login', { type: 'boolean', describe: 'For HTTP servers that answer 401: run the OAuth login a spec-following client runs (browser + loopback callback), then go on with the fresh token, and report whether the stored credentials or the server are at fault. The token stays in memory' })
        .option('refresh', { type: 'boolean', describe: "For HTTP servers with a stored OAuth token that Codex would refresh (expired, or refused with 401): send Codex's exact refresh request and write the new tokens (the rotated refresh token too) into Codex's file store, then check with the fresh token. A plain check never uses a refresh token" })
        .option('login-auto', { type: 'boolean', describe: 'With --login: follow the authorization URL with a plain GET instead of a browser (authorization servers that approve by themselves: test setups, the conformance suite)' })
        .option('open', { type: 'boolean', describe: 'With --login: open the browser (default: only when stdin and stderr are a terminal; --no-open never)' })
        .option('login-timeout', { type: 'number', describe: 'With --login: seconds to wait for the browser to come back (default 120)' })
        .option('client-metadata-url', { type: 'string', describe: 'With --login: the https URL of a client ID metadata document, used as client_id where the authorization server supports them' })
        .option('call-tool', { type: 'string', describe: 'With --login: call this tool (arguments {}) after tools/list, to prove tools/call is authorized too (scope step-up); name one without side effects' })
        .example('$0 check', 'Check every server in ~/.codex/config.toml')
        .example('$0 check github linear --json', 'Check two servers, JSON report')
        .example('$0 check --url URL --bearer-env VAR', 'Check one HTTP endpoint with no config file')
        .example('$0 check -- npx -y PACKAGE', 'Check one stdio command with no config file')
        .example('$0 check --format markdown > report.md', 'A report to paste into a bug report')
        .example('$0 check -v --timeout 60', 'With the wire transcript; 60 s per server')
        .example('$0 check --codex', "Also show what the installed Codex says about each server (it starts them too)")
        .example('$0 check --login linear', 'Log in to linear as a spec-following client would and show where auth breaks')
        .example('$0 check --refresh linear', "Refresh linear's stored OAuth token as Codex would, store the new tokens for Codex, and check with them"),
    async (argv) => {
      const [{ runCheckCommand, UsageError }, { fixFlagsError }, { defaultDeps }, { loginFlagsError }] = await Promise.all([
        import('./commands/check-command.ts'),
        import('./commands/fix-command.ts'),
        import('./pipeline/default-deps.ts'),
        import('./auth/login/login-options.ts'),
      ]);
      try {
        const args = checkArgsFrom(argv as Record<string, unknown>);
        if (args.concurrency < 1 || !Number.isFinite(args.concurrency)) throw new UsageError('--concurrency must be at least 1');
        const fixError = fixFlagsError(args);
        if (fixError) throw new UsageError(fixError);
        const loginError = loginFlagsError(args.login, {
          loginFlagWithout: LOGIN_FLAGS.map((f) => `--${f}`).find((f) => argv[f.slice(2)] !== undefined),
          adHocCommand: args.command !== undefined,
          fix: args.fix === true || args.verifyFixes === true,
        });
        if (loginError) throw new UsageError(loginError);
        if (args.refresh && args.login) throw new UsageError('--refresh and --login do not go together: --refresh renews the stored login, --login makes a new one in memory');
        if (args.refresh && args.command !== undefined) throw new UsageError('--refresh is for HTTP servers with a stored OAuth login, not for a stdio command');
        if (args.timeout !== undefined && (!(args.timeout > 0) || !Number.isFinite(args.timeout))) throw new UsageError('--timeout must be a positive number of seconds');
        finish(await runCheckCommand(args, io, defaultDeps()));
      } catch (error) {
        if (error instanceof UsageError) {
          process.stderr.write(`mcp-doctor: ${error.message}\n`);
          finish(2);
        } else {
          await internalError(error);
        }
      }
    },
  )
  .command(
    'explain [code]',
    'Print the documentation of one finding code (with no code: list them all)',
    (y) =>
      y
        .positional('code', { type: 'string', describe: 'A finding code, e.g. auth.login-required' })
        .example('$0 explain auth.login-required', 'What the code means and how to fix it')
        .example('$0 explain login-required', 'Unknown or partial code: the close matches (exit 2)')
        .example('$0 explain', 'Every code, grouped by stage'),
    async (argv) => {
      const { runExplainCommand } = await import('./commands/explain-command.ts');
      finish(runExplainCommand(argv.code === undefined ? undefined : String(argv.code), io));
    },
  )
  .command(
    'demo',
    'Start local demo servers (one healthy, several broken in the classic ways), check them and print the report',
    (y) =>
      y
        .option('format', { choices: FORMATS, default: 'text' as Format })
        .option('json', { type: 'boolean' })
        .option('verbose', { alias: 'v', type: 'boolean' })
        .option('deep', { type: 'boolean', describe: 'As for check: also the spec-conformance probes Codex does not depend on' })
        .option('color', { type: 'boolean', default: true })
        .example('$0 demo', 'See what mcp-doctor reports, with no Codex installed'),
    async (argv) => {
      try {
        const { runDemoCommand } = await import('./commands/demo-command.ts');
        const args = checkArgsFrom(argv as Record<string, unknown>);
        finish(await runDemoCommand(args, io));
      } catch (error) {
        await internalError(error);
      }
    },
  )
  .demandCommand(1, 'Name a command: check, explain or demo.')
  .strict()
  .example('$0 check', 'Check every server in ~/.codex/config.toml')
  .example('$0 explain auth.login-required', 'What a finding code means and how to fix it')
  .example('$0 demo', 'Check local demo servers, broken on purpose')
  .example('$0 completion >> ~/.bashrc', 'Tab completion for bash (zsh: >> ~/.zshrc)')
  .completion('completion', 'Print a shell completion script (bash/zsh)', (current: string, argv: { _: unknown[] }, completionFilter: () => void, done: (completions: string[]) => void) => {
    // Finding codes complete after `explain`; everything else is yargs' own completion.
    const words = argv._.map(String);
    if (words[words.length - 1] === 'explain' || (words.includes('explain') && words[words.length - 1] === current)) {
      done(Object.keys(REGISTRY).filter((code) => code.startsWith(current)));
      return;
    }
    completionFilter();
  })
  .version(VERSION)
  .help()
  .alias('h', 'help')
  .wrap(Math.min(110, process.stdout.columns ?? 100))
  .fail((message, error) => {
    if (error) {
      void internalError(error);
      return;
    }
    process.stderr.write(`mcp-doctor: ${message}\nRun "mcp-doctor --help" for usage.\n`);
    process.exit(2);
  });

// `mcp-doctor --version` alone is how scripts probe for the tool: answered before yargs (and the
// Unicode tables its string-width builds) load, which halves its start-up time.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  process.stdout.write(`${VERSION}\n`);
} else {
  try {
    const parser = buildParser(await import('yargs'), await import('yargs/helpers'));
    // yargs renders a command's whole help text each time it runs the command, in case the
    // handler fails (command.js: cacheHelpMessage); our handlers report their own errors, and
    // the rendering (string-width over every option) cost ~150 ms of CPU per `check`.
    const usage = (parser as unknown as { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
    if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
    await parser.parseAsync();
  } catch (error) {
    await internalError(error);
  }
}
