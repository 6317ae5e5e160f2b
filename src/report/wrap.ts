// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Columns a string takes on a terminal: colour escapes take none. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

// C0/C1 controls other than tab and newline: a server's stdout, stderr or error message could
// otherwise move the cursor, clear the screen or forge lines of the report.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes server-provided text inert on a terminal: control characters become visible escapes. */
export function inert(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\r' ? '' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/**
 * Word-wraps `text` to `width` columns. The first line starts with `first` (which may carry
 * colour), the following ones with `rest`. Lines break only at spaces: a word longer than a line
 * (a URL, a path, a command) stays whole and overflows rather than being cut.
 */
export function wrapText(text: string, width: number, first = '', rest = first): string[] {
  const lines: string[] = [];
  const paragraphs = text.split('\n');
  paragraphs.forEach((paragraph, index) => {
    let line = index === 0 ? first : rest;
    let lineHasWord = false;
    // Keep at least 30 columns for text however deep the indent.
    const limit = Math.max(width, Math.max(visibleLength(first), visibleLength(rest)) + 30);
    for (const word of paragraph.split(' ')) {
      if (word === '') continue;
      if (lineHasWord && visibleLength(line) + 1 + visibleLength(word) > limit) {
        lines.push(line);
        line = rest + word;
      } else {
        line += (lineHasWord ? ' ' : '') + word;
      }
      lineHasWord = true;
    }
    lines.push(line);
  });
  return lines.map((l) => l.trimEnd());
}

/**
 * Appends lines and arrays of lines to `target` one by one: `push(...lines)` passes every element
 * as an argument, and a report with tens of thousands of lines overflowed the stack that way.
 */
export function append(target: string[], ...parts: Array<string | readonly string[]>): string[] {
  for (const part of parts) {
    if (typeof part === 'string') target.push(part);
    else for (const line of part) target.push(line);
  }
  return target;
}
