import { JSON_MAX_VALUES, mib, STDIO_MAX_LINE_BYTES } from '../../limits.ts';
import { describeWireProblem } from '../codex-wire.ts';
import type { ServerConfig } from '../../config/server-config.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import { timeoutFix } from '../../config/timeout-fix.ts';
import type { Finding, StageName } from '../../types.ts';
import { CA_BUNDLE_VARIABLES, UNIX_ENV_WHITELIST, WINDOWS_ENV_WHITELIST } from './child-env.ts';
import { downloadSign, type ExitHint } from './exit-hints.ts';
import type { Launcher } from '../../config/launchers.ts';
import type { CommandResolution } from './resolve-command.ts';
import type { ExitInfo, NoiseRecord } from './stdio-session.ts';
import { describeExit } from './stdio-session.ts';

/** Builders for the stdio findings: wording, evidence and fixes in one place, no I/O. */

/** Why a bridge failed, in words: its remote's first error (see bridgeCause in bridge-findings.ts). */
export interface BridgeCauseText {
  /** The bridge program (`mcp-remote`). */
  kind: string;
  text: string;
  code: string;
}

const STDERR_EVIDENCE_LINES = 20;
const NOISE_SAMPLES = 5;

function toml(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toml).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)} = ${toml(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return '""';
}

export function serverTable(name: string, lines: Array<[string, unknown]>): string {
  const key = /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
  return [`[mcp_servers.${key}]`, ...lines.map(([k, v]) => `${k} = ${toml(v)}`)].join('\n');
}

export function stderrTail(lines: string[], count = STDERR_EVIDENCE_LINES): string[] {
  // Trailing blank lines carry nothing; a stack trace's last lines usually do.
  const trimmed = [...lines];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1]!.trim() === '') trimmed.pop();
  return trimmed.slice(-count);
}

/** The most telling stderr line: the last one that looks like an error, else the last one. */
export function keyStderrLine(lines: string[]): string | undefined {
  const meaningful = lines.filter((l) => l.trim() !== '');
  // A program's own last word ("Fatal error: …", as mcp-remote prints) beats lines of a dumped object.
  const fatal = [...meaningful].reverse().find((l) => /\bFatal error\b/i.test(l));
  if (fatal) return fatal.length > 240 ? `${fatal.slice(0, 240)}…` : fatal;
  const errorLine = [...meaningful].reverse().find((l) => /error|exception|fatal|cannot|failed|missing|required|not found|denied/i.test(l) && !/^\s+at /.test(l));
  const line = errorLine ?? meaningful[meaningful.length - 1];
  return line && line.length > 240 ? `${line.slice(0, 240)}…` : line;
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

export function cwdNotFoundFinding(ctx: ServerContext, cwd: string): Finding {
  return makeFinding('stdio.cwd-not-found', {
    message: `The cwd of "${ctx.server.name}" does not exist or is not a directory: ${ctx.redact.text(cwd)}. The server cannot be started there.`,
    evidence: { cwd: ctx.redact.text(cwd), configured: ctx.redact.text(ctx.server.cwd ?? '') },
    fix: { summary: 'Set `cwd` to an existing directory (an absolute path), or remove it.' },
  });
}

export function commandNotFoundFinding(
  ctx: ServerContext,
  resolution: CommandResolution,
  extra: { pathFromConfig: boolean; interpreterDir?: string; childPath?: string },
): Finding {
  const { server, redact } = ctx;
  const command = server.command ?? '';
  const shown = resolution.searched.map((d) => redact.text(d));
  const windowsNames = resolution.names.length > 1 ? ` (trying ${resolution.names.join(', ')})` : '';
  let message: string;
  if (resolution.isPath) {
    message = `"${server.name}": the command ${redact.text(command)} does not exist (or is not executable)${windowsNames}, looked for in ${shown[0] ?? '?'}.`;
  } else {
    message = `"${server.name}": \`${redact.text(command)}\` is not on the PATH the server gets from Codex${windowsNames}. Searched ${shown.length} director${shown.length === 1 ? 'y' : 'ies'}: ${shown.join(', ') || '(PATH is empty)'}.`;
  }
  const elsewhere = resolution.elsewhere;
  if (elsewhere?.via === 'user-path') {
    message += ` It is at ${redact.text(elsewhere.path)} on your own PATH, but ${extra.pathFromConfig ? 'the `env` table of this server sets a PATH without that directory' : 'not on the PATH the server gets'}.`;
  } else if (elsewhere?.via === 'known-location') {
    message += ` It is installed at ${redact.text(elsewhere.path)}, a directory your PATH here lacks: Codex started from a GUI (VS Code, the desktop app) or from a shell where nvm/fnm/Homebrew is not initialised gets a PATH without it.`;
  } else if (!resolution.isPath) {
    message += ' It was not found in the usual install locations either: it may not be installed.';
  }

  const lines: Array<[string, unknown]> = [];
  if (elsewhere) {
    lines.push(['command', elsewhere.path]);
    if (extra.interpreterDir && extra.childPath !== undefined && Object.keys(server.env).length === 0) {
      lines.push(['env', { PATH: [extra.interpreterDir, extra.childPath].filter(Boolean).join(ctx.deps.platform === 'win32' ? ';' : ':') }]);
    }
  }
  const summary = elsewhere
    ? `Use the absolute path in \`command\`${
        extra.interpreterDir ? ` and put ${redact.text(extra.interpreterDir)} on the server's PATH (the program is a script that runs an interpreter from there)` : ''
      }.`
    : `Install ${redact.text(command)}, or set \`command\` to its absolute path (find it with \`${ctx.deps.platform === 'win32' ? 'where' : 'command -v'} ${command}\` in a shell where it works).`;
  return makeFinding('stdio.command-not-found', {
    message,
    evidence: redact.value({
      command,
      searched: resolution.searched,
      ...(resolution.names.length > 1 ? { namesTried: resolution.names } : {}),
      pathSource: extra.pathFromConfig ? 'env table of the server' : 'inherited by Codex (whitelisted)',
      ...(elsewhere ? { foundAt: elsewhere.path, foundVia: elsewhere.via } : {}),
    }),
    fix: {
      summary,
      ...(lines.length ? { toml: serverTable(server.name, lines) } : {}),
      ...(!elsewhere ? { command: `${ctx.deps.platform === 'win32' ? 'where' : 'command -v'} ${command}` } : {}),
    },
  });
}

export function spawnFailedFinding(ctx: ServerContext, file: string, error: NodeJS.ErrnoException, interpreter?: string): Finding {
  const { server, redact } = ctx;
  const code = error.code ?? 'unknown';
  let message: string;
  let summary: string;
  if (code === 'EACCES') {
    message = `"${server.name}": ${redact.text(file)} exists but could not be executed (permission denied).`;
    summary = `Make it executable (\`chmod +x ${file}\`), or run it through its interpreter.`;
  } else if (code === 'ENOENT') {
    message = `"${server.name}": ${redact.text(file)} exists but could not be started: its \`#!\` line names an interpreter${interpreter ? ` (${interpreter})` : ''} that does not exist.`;
    summary = 'Fix the `#!` line, or set `command` to an existing interpreter and pass the script in `args`.';
  } else if (code === 'ENOEXEC' || code === 'UNKNOWN') {
    message = `"${server.name}": ${redact.text(file)} is not a program this machine can run (${code}).`;
    summary = 'Use a build of the program for this operating system and architecture, or run it through its interpreter.';
  } else {
    message = `"${server.name}": starting ${redact.text(file)} failed with ${code}: ${redact.text(error.message)}.`;
    summary = 'Check the command and its permissions.';
  }
  return makeFinding('stdio.spawn-failed', {
    message,
    evidence: { file: redact.text(file), code, message: redact.text(error.message) },
    fix: { summary },
  });
}

/** Stdout problems seen so far: one finding per severity class. */
export function noiseFindings(ctx: ServerContext, records: NoiseRecord[], stage: StageName, phase: string): Finding[] {
  const findings: Finding[] = [];
  const name = ctx.server.name;
  const corrupting = records.filter((r) => r.kind === 'glued' || r.kind === 'multi-line');
  const lines = records.filter((r) => r.kind === 'non-json-line' || r.kind === 'not-jsonrpc');
  const fix = {
    summary:
      'Make the server write logs and banners to stderr, never stdout (console.error, logging to sys.stderr), or start it in its quiet/stdio mode (often `--stdio` or `--quiet`).',
  };
  if (corrupting.length > 0) {
    const glued = corrupting.filter((r) => r.kind === 'glued').length;
    const multi = corrupting.filter((r) => r.kind === 'multi-line').length;
    const what = [
      glued ? `${glued === 1 ? 'text' : `${glued} times text`} glued to a JSON-RPC message on the same line` : '',
      multi ? `${multi === 1 ? 'a JSON-RPC message' : `${multi} JSON-RPC messages`} pretty-printed over several lines` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    findings.push(
      makeFinding('stdio.stdout-noise', {
        stage,
        severity: 'error',
        message: `"${name}" corrupts its stdout during ${phase}: ${what}. Each message must be one line of JSON with nothing else on it; Codex cannot read such a message and times out (mcp-doctor recovered it only to go on checking).`,
        evidence: { kinds: unique(corrupting.map((r) => r.kind)), count: corrupting.length, samples: corrupting.slice(0, NOISE_SAMPLES).map((r) => r.sample) },
        fix,
      }),
    );
  }
  findings.push(...wireNoiseFindings(ctx, records, stage, phase));
  if (lines.length > 0) {
    const first = lines[0]!.sample;
    findings.push(
      makeFinding('stdio.stdout-noise', {
        stage,
        severity: 'warning',
        message: `"${name}" wrote ${lines.length} line${lines.length === 1 ? '' : 's'} to stdout during ${phase} that ${lines.length === 1 ? 'is' : 'are'} not JSON-RPC (first: ${JSON.stringify(first.length > 80 ? `${first.slice(0, 80)}…` : first)}). Codex skips such lines, but the spec forbids them and other clients fail on them.`,
        evidence: { kinds: unique(lines.map((r) => r.kind)), count: lines.length, samples: lines.slice(0, NOISE_SAMPLES).map((r) => r.sample) },
        fix,
      }),
    );
  }
  return findings;
}

/** Messages Codex's JSON reader refuses, and lines cut off at STDIO_MAX_LINE_BYTES: Codex drops both and times out. */
function wireNoiseFindings(ctx: ServerContext, records: NoiseRecord[], stage: StageName, phase: string): Finding[] {
  const findings: Finding[] = [];
  const name = ctx.server.name;
  const unreadable = records.filter((r) => r.kind === 'codex-unreadable');
  if (unreadable.length > 0) {
    const problems = unreadable.flatMap((r) => r.wire ?? []);
    const reasons = [...new Set(problems.map(describeWireProblem))];
    findings.push(
      makeFinding('wire.codex-unreadable', {
        stage,
        message: `"${name}" sent ${unreadable.length === 1 ? 'a JSON-RPC message' : `${unreadable.length} JSON-RPC messages`} during ${phase} that Codex cannot read: ${reasons.join('; ')}. Codex cannot use that answer: it drops the line and times out waiting (or, for a duplicated field, fails the request at once); mcp-doctor read it only to go on checking.`,
        evidence: { problems: problems.map((p) => ({ ...p })), count: unreadable.length, samples: unreadable.slice(0, NOISE_SAMPLES).map((r) => r.sample) },
      }),
    );
  }
  const oversized = records.filter((r) => r.kind === 'oversized-line');
  if (oversized.length > 0) {
    const bytes = Math.max(...oversized.map((r) => r.bytes ?? 0));
    findings.push(
      makeFinding('wire.answer-too-large', {
        stage,
        message: `"${name}" wrote a stdout line of ${bytes} bytes or more during ${phase}; the answer was cut off at ${mib(STDIO_MAX_LINE_BYTES)} and not read. Codex discards lines this long too (rmcp max_line_length ${STDIO_MAX_LINE_BYTES}) and times out waiting for the answer.`,
        evidence: { limitBytes: STDIO_MAX_LINE_BYTES, lineBytesAtLeast: bytes, lines: oversized.length, sample: oversized[0]!.sample.slice(0, 120) },
      }),
    );
  }
  const unparsed = records.filter((r) => r.kind === 'too-many-values');
  if (unparsed.length > 0) {
    const values = Math.max(...unparsed.map((r) => r.values ?? 0));
    findings.push(
      makeFinding('wire.answer-too-large', {
        stage,
        severity: 'warning',
        message: `"${name}" wrote a stdout line with more than ${JSON_MAX_VALUES} JSON values during ${phase} (${unparsed[0]!.bytes ?? 0} bytes). mcp-doctor does not parse an answer this large (parsing it alone could take hundreds of MB), so it did not verify it. Codex reads it and may use the server; check it with \`mcp-doctor check --codex\`.`,
        evidence: { limitValues: JSON_MAX_VALUES, valuesAtLeast: values, lineBytes: unparsed[0]!.bytes, lines: unparsed.length, sample: unparsed[0]!.sample.slice(0, 120) },
      }),
    );
  }
  return findings;
}

export function crlfFinding(ctx: ServerContext, count: number, stage: StageName): Finding {
  return makeFinding('stdio.crlf-line-endings', {
    stage,
    message: `"${ctx.server.name}" ends its stdout lines with \\r\\n (${count} line${count === 1 ? '' : 's'} so far). Codex and the official SDKs accept this; strict newline-delimited readers may not.`,
    evidence: { crlfLines: count },
    fix: { summary: 'Nothing to change for Codex. Server-side: write "\\n" only.' },
  });
}

export function startupTimeoutFinding(
  ctx: ServerContext,
  input: {
    phase: 'initialize' | 'tools/list';
    stage: StageName;
    measuredMs?: number;
    waitedMs: number;
    launcher?: Launcher;
    earlyRequests?: string[];
    /** Reasons more time would not help (an HTTP server, buffered stdout, a dropped proxy). */
    hints?: ExitHint[];
    stderr?: string[];
    /** The remote behind a bridge, when its direct check failed. */
    bridge?: BridgeCauseText;
  },
): Finding {
  const { server } = ctx;
  const budgetMs = ctx.codexBudgetMs;
  const budget = `${seconds(budgetMs)} (startup_timeout_sec${server.startupTimeoutExplicit ? '' : ', the default'})`;
  const timeoutMs = ctx.options.timeoutMs;
  // A --timeout shorter than Codex's budget cannot show that Codex would give up.
  const cutShort = !input.measuredMs && timeoutMs !== undefined && timeoutMs < budgetMs;
  let message: string;
  if (input.measuredMs) {
    message =
      input.phase === 'initialize'
        ? `"${server.name}" answered initialize only after ${seconds(input.measuredMs)} from start, but Codex allows ${budget} for the handshake, so Codex gives up on it ("timed out handshaking with MCP server").`
        : `"${server.name}" answered tools/list only ${seconds(input.measuredMs)} after it was asked, but Codex allows ${budget} for tools/list (and as much again for the handshake before it), so Codex gives up on it ("timed out awaiting tools/list").`;
  } else if (cutShort) {
    message = `"${server.name}" did not answer ${input.phase} within the --timeout of ${seconds(timeoutMs)}, which is shorter than the ${budget} Codex allows: run the check without --timeout to see whether it starts in time for Codex.`;
  } else {
    message =
      timeoutMs !== undefined && timeoutMs > budgetMs
        ? `"${server.name}" did not answer ${input.phase} within ${seconds(timeoutMs)} (the --timeout), let alone the ${budget} Codex allows.`
        : `"${server.name}" did not answer ${input.phase} within the ${budget} Codex allows.`;
  }
  const early = [...new Set(input.earlyRequests ?? [])];
  if (early.length > 0 && !input.measuredMs) {
    message += ` Before answering it sent ${early.map((m) => `\`${m}\``).join(' and ')} and may be waiting for a reply: before the initialize handshake is complete Codex answers a ping and no other request (the spec says a server SHOULD NOT send requests other than ping and logging before it).`;
  }
  const hints = input.measuredMs ? [] : (input.hints ?? []);
  if (hints.length > 0) message += ` ${hints.map((h) => h.text).join(' ')}`;
  if (input.bridge && !input.measuredMs) message += ` ${input.bridge.kind} was still waiting on its remote: ${input.bridge.text} — see the bridge diagnosis.`;
  const launcher = input.launcher;
  const downloading = launcher && input.stderr ? downloadSign(input.stderr) : undefined;
  if (launcher && hints.length === 0 && !input.bridge) {
    message += downloading
      ? ` It runs through ${launcher.kind}, and its stderr shows a first-run download (${JSON.stringify(ctx.redact.text(downloading))}): ${launcher.kind === 'docker' ? 'pulling the image' : 'installing the package'}${
          launcher.target ? ` (${ctx.redact.text(launcher.target)})` : ''
        } took the time.`
      : ` It runs through ${launcher.kind}: ${launcher.kind === 'docker' ? 'a first start pulls the image' : 'a first start downloads and installs the package'}${
          launcher.target ? ` (${ctx.redact.text(launcher.target)})` : ''
        }, which often takes longer than that.`;
    if (!launcher.pinned) message += ' An unpinned version is re-checked (and re-downloaded after each release).';
  }

  const recheckSec = Math.max(120, Math.ceil((budgetMs * 4) / 1000));
  const recheck = server.source === '--'
    ? `mcp-doctor check --timeout ${recheckSec} -- ${[server.command ?? '', ...server.args].map(shellQuote).join(' ')}`
    : `mcp-doctor check ${server.name} --timeout ${recheckSec}`;
  const evidence = {
    phase: input.phase,
    budgetMs,
    waitedMs: Math.round(input.waitedMs),
    ...(input.measuredMs ? { answeredAfterMs: Math.round(input.measuredMs) } : {}),
    ...(early.length ? { requestsBeforeInitialize: early } : {}),
    ...(launcher ? { launcher: launcher.kind, ...(launcher.target ? { package: ctx.redact.text(launcher.target) } : {}) } : {}),
    ...(hints.length ? { hints: hints.map((h) => h.id) } : {}),
    ...(downloading ? { firstRunDownload: ctx.redact.text(downloading) } : {}),
    ...(input.bridge && !input.measuredMs ? { bridgeCause: input.bridge.code } : {}),
    ...(input.stderr && input.stderr.length ? { stderrTail: stderrTail(input.stderr) } : {}),
  };
  let fix: Finding['fix'];
  if (input.bridge && !input.measuredMs) {
    fix = { summary: `More time does not help while the remote fails: the bridge diagnosis below names the cause (${input.bridge.code}) and its fix.` };
  } else if (hints.length > 0) {
    fix = { summary: hints.map((h) => h.text).join(' ') };
  } else if (early.length > 0 && !input.measuredMs) {
    fix = { summary: 'A server-side fix: answer initialize without waiting for replies to requests sent before the handshake completes. More time does not help.' };
  } else if (cutShort) {
    fix = { summary: 'Re-run the check with a --timeout at least as long as Codex\'s startup timeout.', command: ctx.redact.text(recheck) };
  } else {
    const base = timeoutFix(ctx, input.measuredMs);
    const advice: string[] = [base.summary];
    if (launcher?.preinstall) {
      advice.push(
        `Better: install it once (\`${ctx.redact.text(launcher.preinstall)}\`)${launcher.kind === 'docker' ? '' : ' and point `command` at the installed binary'}${
          launcher.pinned ? '' : ', pinning a version'
        }.`,
      );
    } else if (!input.measuredMs) {
      advice.push('To learn how long it really needs, run the check with a longer `--timeout`.');
    }
    fix = {
      summary: advice.join(' '),
      toml: base.toml,
      ...(launcher?.preinstall ? { command: ctx.redact.text(launcher.preinstall) } : !input.measuredMs ? { command: ctx.redact.text(recheck) } : {}),
    };
  }
  return makeFinding('timeout.startup', { stage: input.stage, message, evidence, fix });
}

/** The server's command line, to run in a terminal (redacted, shell-quoted). */
export function terminalCommand(ctx: ServerContext): string {
  return ctx.redact.text([ctx.server.command ?? '', ...ctx.server.args].map(shellQuote).join(' '));
}

/** A word for a POSIX shell command line. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function exitedEarlyFinding(
  ctx: ServerContext,
  input: { exit: ExitInfo; startedAt: number; stderr: string[]; hints: ExitHint[]; fullEnvTried: boolean; bridge?: BridgeCauseText },
): Finding {
  const { server, redact } = ctx;
  const tail = stderrTail(input.stderr);
  const key = keyStderrLine(input.stderr);
  const after = seconds(Math.max(0, input.exit.at - input.startedAt));
  let message = input.exit.stdoutClosed
    ? `"${server.name}" closed its stdout ${after} after start, before answering initialize, and kept running. Codex shows only "connection closed: initialize response".`
    : `"${server.name}" exited (${describeExit(input.exit)}) ${after} after start, before answering initialize. Codex shows only "connection closed: initialize response".`;
  // A bridge connects to its remote before it answers anything: the remote is the usual cause.
  if (input.bridge) message += ` ${input.bridge.kind} exited because ${input.bridge.text} — see the bridge diagnosis.`;
  message += key ? ` Its stderr says: ${key}` : ' It wrote nothing to stderr.';
  if (input.fullEnvTried) message += ' It fails the same way with your full environment, so it is not a variable Codex drops.';
  const hintText = input.hints.map((h) => h.text);
  const lines: Array<[string, unknown]> = [];
  const docker = input.hints.find((h) => h.id === 'docker-no-interactive');
  if (docker) {
    const args = [...server.args];
    const run = args.indexOf('run');
    args.splice(run + 1, 0, '-i');
    lines.push(['args', args]);
  }
  const forwardable = input.hints.filter((h) => h.id === 'missing-env' && h.variable && ctx.deps.env[h.variable]);
  if (forwardable.length > 0) lines.push(['env_vars', mergeEnvVars(server, forwardable.map((h) => h.variable!))]);
  return makeFinding('stdio.exited-early', {
    message,
    evidence: {
      exitCode: input.exit.code,
      signal: input.exit.signal,
      ...(input.exit.stdoutClosed ? { stdoutClosed: true } : {}),
      stderrTail: tail,
      ...(input.hints.length ? { hints: input.hints.map((h) => h.id) } : {}),
      ...(input.bridge ? { bridgeCause: input.bridge.code } : {}),
    },
    fix: {
      summary: [
        ...(input.bridge ? [`Fix the remote first: the bridge diagnosis below names the cause (${input.bridge.code}) and its fix.`] : []),
        ...(hintText.length || input.bridge ? hintText : ['Run the command yourself with the environment Codex gives it (`fix.command`) and read what it prints on stderr.']),
      ].join(' '),
      ...(lines.length ? snippet(serverTable(server.name, lines), redact) : {}),
      ...(ctx.deps.platform !== 'win32' ? { command: reproduceCommand(ctx, { envRuledOut: input.fullEnvTried, stderr: input.stderr }) } : {}),
    },
  });
}

export function envNotForwardedFinding(
  ctx: ServerContext,
  input: {
    needed: string[];
    minimal: boolean;
    runs: number;
    failure: string;
    exit?: ExitInfo;
    stderr: string[];
    error?: { code: unknown; message: string };
    stage?: StageName;
  },
): Finding {
  const { server, redact } = ctx;
  const whitelist = (ctx.deps.platform === 'win32' ? WINDOWS_ENV_WHITELIST : UNIX_ENV_WHITELIST).filter((n) => n !== '__CF_USER_TEXT_ENCODING');
  const list = input.needed.map((n) => `\`${n}\``).join(', ');
  const exact = input.minimal || input.needed.length <= 3;
  let message = `"${server.name}" fails under the environment Codex gives it (${input.failure}) but works with your full environment. `;
  message += exact
    ? `It needs ${list}, which Codex does not pass on: a stdio server gets only ${whitelist.join(', ')}, plus \`env_vars\` and \`env\`.`
    : `It needs some of these ${input.needed.length} variables, which Codex does not pass on (the search was cut short after ${input.runs} runs): ${input.needed.slice(0, 20).join(', ')}${input.needed.length > 20 ? ', …' : ''}.`;
  const forward = input.needed.length <= 10;
  return makeFinding('stdio.env-not-forwarded', {
    ...(input.stage ? { stage: input.stage } : {}),
    message,
    evidence: {
      needed: input.needed.slice(0, 50),
      minimal: input.minimal,
      spawns: input.runs,
      ...(input.exit ? { exitCode: input.exit.code, signal: input.exit.signal } : {}),
      ...(input.error ? { error: { code: input.error.code, message: redact.text(input.error.message) } } : {}),
      stderrTail: stderrTail(input.stderr),
    },
    fix: forward
      ? {
          summary: `Forward ${list} by name with \`env_vars\` (the values stay in your environment, not in the config).`,
          toml: serverTable(server.name, [['env_vars', mergeEnvVars(server, input.needed)]]),
        }
      : { summary: 'Forward the variables the server needs with `env_vars = ["NAME", …]`; its documentation should name them.' },
  });
}

/** The table's `env_vars` with `names` appended, keeping existing entries as written. */
export function mergeEnvVars(server: Pick<ServerConfig, 'raw' | 'envVars'>, names: string[]): unknown[] {
  const raw = Array.isArray(server.raw.env_vars) ? (server.raw.env_vars as unknown[]) : [];
  const have = new Set(server.envVars.map((v) => v.name));
  return [...raw, ...names.filter((n) => !have.has(n))];
}

export function slowShutdownFinding(ctx: ServerContext, input: { graceMs: number; exited: boolean; leftovers: number[] }): Finding {
  const name = ctx.server.name;
  const message = input.exited
    ? `"${name}" exited after its stdin was closed, but left ${input.leftovers.length} process${input.leftovers.length === 1 ? '' : 'es'} it started running${
        input.leftovers.some((p) => p > 0) ? ` (pid ${input.leftovers.filter((p) => p > 0).join(', ')})` : ''
      } ${seconds(input.graceMs)} later. Codex kills the whole process group, but clients that signal only the server's own process leave them behind.`
    : `"${name}" was still running ${seconds(input.graceMs)} after its stdin was closed. A stdio server should exit when its input ends; clients then have to signal it (the official SDK waits 2 s, then sends SIGTERM).`;
  return makeFinding('stdio.slow-shutdown', {
    message,
    evidence: { graceMs: input.graceMs, exitedOnEof: input.exited, ...(input.leftovers.length ? { leftoverPids: input.leftovers.filter((p) => p > 0) } : {}) },
    fix: {
      summary: input.exited
        ? 'A server-side fix: end child processes when stdin closes (or run them in the foreground so they exit with it).'
        : 'A server-side fix: exit when stdin reaches end-of-file (listen for the stream\'s end/close).',
    },
  });
}

/**
 * A shell command that starts the server the way Codex does, for a person to paste: names only,
 * never values, and only the variables that bear on the failure. Codex hands a stdio server a dozen
 * variables (child-env.ts); a line carrying all of them buries the command. HOME and PATH stay
 * (the interpreter is found on PATH, and most runtimes read HOME); the rest of Codex's list stays
 * only when the failure may depend on it: the CA-bundle variables when the stderr speaks of
 * certificates, the locale/terminal/user ones only when the server was not also tried with the
 * full environment (when it fails the same way with every variable, no variable is the cause).
 * The variables of `env_vars` stay: Codex forwards them. Long commands are wrapped with
 * backslash-newline continuations, which a shell reads as one line.
 */
export function reproduceCommand(ctx: ServerContext, input: { envRuledOut?: boolean; stderr?: string[] } = {}): string {
  const { server } = ctx;
  const tls = (input.stderr ?? []).some((line) => /certificate|CERT_|SSL|TLS|self[- ]signed/i.test(line));
  const kept = UNIX_ENV_WHITELIST.filter((n) => {
    if (n === 'HOME' || n === 'PATH') return true;
    if ((CA_BUNDLE_VARIABLES as readonly string[]).includes(n)) return tls;
    return !input.envRuledOut;
  });
  const names = [...kept.filter((n) => ctx.deps.env[n] !== undefined), ...server.envVars.filter((v) => v.source === 'local').map((v) => v.name)];
  const words = [
    ...(server.cwd ? [`cd ${shellQuote(server.cwd)} &&`] : []),
    'env -i',
    ...unique(names).map((n) => `${n}="$${n}"`),
    ...[server.command ?? '', ...server.args].map(shellQuote),
    '< /dev/null',
  ];
  const literal = Object.keys(server.env);
  const note = literal.length ? `  # plus the values of the env table: ${literal.join(', ')}` : '';
  return ctx.redact.text(`${wrapShellWords(words)}${note}`);
}

/** Joins shell words into lines of at most ~80 columns, continued with " \" and a 2-space indent. */
export function wrapShellWords(words: string[], width = 80): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(`${line} \\`);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\n');
}

/** A snippet that had to be redacted holds placeholders: shown, never applied as is. */
function snippet(toml: string, redact: ServerContext['redact']): { toml: string; template?: true } {
  const shown = redact.text(toml);
  return shown === toml ? { toml } : { toml: shown, template: true };
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
