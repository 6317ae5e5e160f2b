/**
 * A unified diff (`diff -u` / `git apply` format) of two texts, with no dependency: Myers'
 * shortest edit script over lines, then hunks with three lines of context. Lines keep their own
 * endings, so a CRLF file yields CRLF diff lines, and a missing final newline is marked the
 * standard way (`\ No newline at end of file`).
 */

export interface DiffOptions {
  /** Header names (`--- old`, `+++ new`). */
  oldLabel: string;
  newLabel: string;
  context?: number;
}

type Edit = { kind: ' ' | '-' | '+'; line: string };

/** Returns '' when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, options: DiffOptions): string {
  if (oldText === newText) return '';
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const edits = diffLines(a, b);
  const context = options.context ?? 3;
  const out: string[] = [`--- ${options.oldLabel}\n`, `+++ ${options.newLabel}\n`];
  for (const hunk of hunks(edits, context)) {
    out.push(`@@ -${range(hunk.oldStart, hunk.oldCount)} +${range(hunk.newStart, hunk.newCount)} @@\n`);
    for (const edit of hunk.edits) {
      const ended = edit.line.endsWith('\n');
      out.push(`${edit.kind}${edit.line}${ended ? '' : '\n\\ No newline at end of file\n'}`);
    }
  }
  return out.join('');
}

/** Lines with their endings (the last one may have none). */
export function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function range(start: number, count: number): string {
  // An empty range names the line before it (0 when at the top), as diff and git do.
  return `${count === 0 ? start - 1 : start},${count}`;
}

/** Myers' O(ND) algorithm; config files differ by a few lines, so D is small. */
function diffLines(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace back from (n, m) to recover the edit script.
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) edits.push({ kind: ' ', line: a[--x]! }), y--;
    if (d === 0) break;
    if (x === prevX) edits.push({ kind: '+', line: b[--y]! });
    else edits.push({ kind: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) edits.push({ kind: ' ', line: a[--x]! }), y--;
  return edits.reverse();
}

interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  edits: Edit[];
}

function hunks(edits: Edit[], context: number): Hunk[] {
  const out: Hunk[] = [];
  const changed = edits.map((e, i) => (e.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  let i = 0;
  while (i < changed.length) {
    const first = changed[i]!;
    let last = first;
    // Changes closer than twice the context share a hunk.
    while (i + 1 < changed.length && changed[i + 1]! - last <= 2 * context + 1) last = changed[++i]!;
    i++;
    const from = Math.max(0, first - context);
    const to = Math.min(edits.length - 1, last + context);
    let oldLine = 1;
    let newLine = 1;
    for (const edit of edits.slice(0, from)) {
      if (edit.kind !== '+') oldLine++;
      if (edit.kind !== '-') newLine++;
    }
    const slice = edits.slice(from, to + 1);
    out.push({
      oldStart: oldLine,
      oldCount: slice.filter((e) => e.kind !== '+').length,
      newStart: newLine,
      newCount: slice.filter((e) => e.kind !== '-').length,
      edits: slice,
    });
  }
  return out;
}
