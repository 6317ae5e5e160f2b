import { parse, TomlError } from 'smol-toml';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { CONFIG_MAX_BYTES } from '../limits.ts';
import { markFloatLiterals } from './float-literals.ts';
import { CODEX } from '../codex/codex-version.ts';

/** Reads one TOML file of the config: its document, or why it is missing, or a parse-error finding. */

export interface LayerReader {
  readFile(path: string): Promise<string>;
  fileExists(path: string): Promise<boolean>;
  /** Size in bytes (following links), undefined when unknown; throws as stat does. */
  fileSize?(path: string): Promise<number | undefined>;
}

/** smol-toml turns integers beyond 2^53 into a parse error by default; Codex (i64) accepts them. */
const PARSE_OPTIONS = { integersAsBigInt: 'asNeeded' } as const;

export type Parsed = { ok: true; document: Record<string, unknown>; text: string } | { ok: false; finding: Finding } | { ok: false; missing: true; reason: string };

/**
 * A TOML excerpt may hold secrets (the line that failed could be `bearer_token = "..."`); values
 * of secret-looking keys are blanked before it becomes evidence.
 */
function redactExcerpt(excerpt: string, redact: Redactor): string {
  return excerpt
    .split('\n')
    .map(blankSecretValue)
    .map((line) => redact.text(line.length > EXCERPT_LINE_CHARS ? `${line.slice(0, EXCERPT_LINE_CHARS)}… (${line.length - EXCERPT_LINE_CHARS} more characters)` : line))
    .join('\n');
}

/** Characters of one excerpt line kept (a hostile config's line can be megabytes). */
const EXCERPT_LINE_CHARS = 240;
const SECRET_KEY = /token|secret|password|passwd|key|authorization|auth|bearer|cookie/i;

/**
 * `name = value` with a secret-looking name (anything before the first `=`): the value blanked.
 * Not one regular expression: `[^=]*word[^=]*=` backtracked for 57 s on a 500 KB line (measured).
 */
function blankSecretValue(line: string): string {
  const eq = line.indexOf('=');
  if (eq < 0 || !SECRET_KEY.test(line.slice(0, eq))) return line;
  const value = line.slice(eq + 1);
  const space = value.length - value.trimStart().length;
  return value.trim() === '' ? line : `${line.slice(0, eq + 1 + space)}<redacted>`;
}

function parseErrorHint(reason: string, text: string, line: number): string | undefined {
  const source = text.split(/\r?\n/)[line - 1] ?? '';
  if (/redefine/i.test(reason)) return 'the same table or key is defined twice';
  if (/escape/i.test(reason) || /"[A-Za-z]:\\/.test(source)) return 'a Windows path in "double quotes" needs \\\\ for each backslash, or \'single quotes\'';
  if (/=\s*[A-Za-z@./~][^"'\s[{]*\s*$/.test(source) && !/=\s*(?:true|false|inf|nan)\s*$/.test(source)) return 'a string value must be quoted';
  return undefined;
}

/** The largest config file read (docs/limits.md): real configs are a few KB. */
const MAX_CONFIG_BYTES = CONFIG_MAX_BYTES;

export async function readLayer(path: string, deps: LayerReader, redact: Redactor): Promise<Parsed> {
  let text: string;
  try {
    // The size first: a config of tens of MB is no config (Codex 0.171 spends minutes and GBs on
    // one), and reading and parsing it would break the doctor's own bounds.
    const size = await deps.fileSize?.(path);
    if (size !== undefined && size > MAX_CONFIG_BYTES) return { ok: false, finding: unreadableFinding(path, `is ${formatMiB(size)}, larger than the ${formatMiB(MAX_CONFIG_BYTES)} mcp-doctor reads`, 'too-large') };
    text = await deps.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Only "no such file" is a missing config; a symbolic link loop, a permission or a directory
    // in its place is a config Codex cannot read either ("Failed to read config file …").
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, missing: true, reason: 'does not exist' };
    return { ok: false, finding: unreadableFinding(path, readErrorWords(code, error), code ?? 'error') };
  }
  if (text.length > MAX_CONFIG_BYTES) return { ok: false, finding: unreadableFinding(path, `is larger than the ${formatMiB(MAX_CONFIG_BYTES)} mcp-doctor reads`, 'too-large') };
  try {
    const document = parse(text, PARSE_OPTIONS) as Record<string, unknown>;
    markFloatLiterals(document, text);
    return { ok: true, document, text };
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    const column = error instanceof TomlError ? error.column : undefined;
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
    const hint = line !== undefined ? parseErrorHint(reason, text, line) : undefined;
    return {
      ok: false,
      finding: makeFinding('config.parse-error', {
        message: `${path}${line !== undefined ? `, line ${line}, column ${column}` : ''}: ${redact.text(reason)}. Codex cannot load this file, so it refuses to start at all.`,
        evidence: {
          file: path,
          ...(line !== undefined ? { line, column } : {}),
          ...(error instanceof TomlError && error.codeblock ? { excerpt: redactExcerpt(error.codeblock, redact) } : {}),
        },
        fix: { summary: `Correct the TOML at line ${line ?? '?'}, column ${column ?? '?'}${hint ? `: ${hint}` : ''}.` },
      }),
    };
  }
}


function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

function readErrorWords(code: string | undefined, error: unknown): string {
  switch (code) {
    case 'ELOOP':
      return 'cannot be read: it is a symbolic link loop (ELOOP: too many levels of symbolic links)';
    case 'EACCES':
    case 'EPERM':
      return `cannot be read: permission denied (${code})`;
    case 'EISDIR':
      return 'is a directory (EISDIR)';
    default:
      return `cannot be read (${code ?? (error as Error).message})`;
  }
}

function unreadableFinding(path: string, words: string, cause: string): Finding {
  return makeFinding('config.unreadable', {
    message:
      cause === 'too-large'
        ? `The config file ${path} ${words}. Codex cannot use it either: ${CODEX} was still loading a 50 MB config after 60 s, at 1.4 GB (measured).`
        : `The config file ${path} ${words}. Codex cannot load it either ("Failed to read config file …"), so it starts no MCP server.`,
    evidence: { file: path, cause },
    fix: {
      summary:
        cause === 'ELOOP'
          ? `Point ${path} (or the link it is) at a real file: \`ls -l\` and \`readlink -f\` show where the loop is.`
          : cause === 'too-large'
            ? 'Check that --config names the Codex config.toml; a real one is a few KB.'
            : 'Make the file readable by you (permissions, owner), or pass the right file with --config.',
      ...(cause === 'ELOOP' ? { command: `ls -l ${JSON.stringify(path)}` } : {}),
    },
  });
}
