import { parse, TomlError } from 'smol-toml';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';

/** Reads one TOML file of the config: its document, or why it is missing, or a parse-error finding. */

export interface LayerReader {
  readFile(path: string): Promise<string>;
  fileExists(path: string): Promise<boolean>;
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
    .map((line) => line.replace(/^(\s*(?:\d+:)?\s*[^=\n]*(?:token|secret|password|passwd|key|authorization|auth|bearer|cookie)[^=\n]*=\s*)(.+)$/i, '$1<redacted>'))
    .map((line) => redact.text(line))
    .join('\n');
}

function parseErrorHint(reason: string, text: string, line: number): string | undefined {
  const source = text.split(/\r?\n/)[line - 1] ?? '';
  if (/redefine/i.test(reason)) return 'the same table or key is defined twice';
  if (/escape/i.test(reason) || /"[A-Za-z]:\\/.test(source)) return 'a Windows path in "double quotes" needs \\\\ for each backslash, or \'single quotes\'';
  if (/=\s*[A-Za-z@./~][^"'\s[{]*\s*$/.test(source) && !/=\s*(?:true|false|inf|nan)\s*$/.test(source)) return 'a string value must be quoted';
  return undefined;
}

export async function readLayer(path: string, deps: LayerReader, redact: Redactor): Promise<Parsed> {
  let text: string;
  try {
    if (!(await deps.fileExists(path))) return { ok: false, missing: true, reason: 'does not exist' };
    text = await deps.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, missing: true, reason: code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (error as Error).message})` };
  }
  try {
    return { ok: true, document: parse(text, PARSE_OPTIONS) as Record<string, unknown>, text };
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

