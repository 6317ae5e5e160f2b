// Reads the import graph of src/ and checks it against the layers in docs/architecture.md.
// Kept apart from test/architecture.test.ts so that the test can also run the checks on a made-up
// graph and prove they fail when they should.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One import: `from` and `to` are paths relative to the repository root, with forward slashes. */
export interface ImportEdge {
  from: string;
  to: string;
  line: number;
  /** `import type` / `export type`: no runtime edge, but still a dependency of the design. */
  typeOnly: boolean;
}

/** Layers from the bottom up: a module may import its own layer and the layers below it. */
export type Layers = ReadonlyArray<{ name: string; paths: readonly string[] }>;

/**
 * The layers of src/, bottom first (docs/architecture.md explains each). A path ending in `/`
 * is a directory; the longest matching path decides a file's layer, so a single file can sit
 * lower than its directory (pipeline/context.ts is the contract the runner and every stage share).
 */
export const SRC_LAYERS: Layers = [
  { name: 'base', paths: ['src/types.ts', 'src/redact.ts', 'src/version.ts', 'src/limits.ts', 'src/codex/codex-version.ts', 'src/findings/'] },
  { name: 'config', paths: ['src/config/'] },
  { name: 'context', paths: ['src/pipeline/context.ts'] },
  { name: 'transports', paths: ['src/transports/'] },
  { name: 'auth', paths: ['src/auth/'] },
  { name: 'pipeline', paths: ['src/pipeline/'] },
  { name: 'stages', paths: ['src/stages/'] },
  { name: 'fix', paths: ['src/fix/'] },
  { name: 'codex', paths: ['src/codex/'] },
  { name: 'report', paths: ['src/report/'] },
  { name: 'commands', paths: ['src/commands/'] },
  { name: 'cli', paths: ['src/cli.ts'] },
];

// Static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')`.
const IMPORT = /(?:^|[;\s])(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

const posix = (path: string) => path.split(sep).join('/');

/** Every relative import of every .ts file under `srcDir` (package imports are not our layers). */
export function readImportGraph(root: string, srcDir = 'src'): { files: string[]; edges: ImportEdge[] } {
  const files = walk(join(root, srcDir)).map((f) => posix(relative(root, f)));
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    // Comments may quote imports (cli.ts explains its lazy import()s); blank them, keeping line numbers.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
    for (const match of code.matchAll(IMPORT)) {
      const specifier = match[3] ?? match[4]!;
      if (!specifier.startsWith('.')) continue;
      const to = posix(relative(root, resolve(join(root, dirname(file)), specifier)));
      // The match may begin with the newline before `import`: count lines up to the keyword.
      const at = match.index + match[0].search(/import|export/);
      const line = code.slice(0, at).split('\n').length;
      edges.push({ from: file, to, line, typeOnly: match[2] !== undefined });
    }
  }
  return { files, edges };
}

/** Strongly connected components with more than one file (or a file importing itself): the cycles. */
export function findCycles(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  // Tarjan's algorithm, iterative so that a deep graph cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of files) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; i: number }> = [{ node: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = next.get(frame.node) ?? [];
      if (frame.i < targets.length) {
        const to = targets[frame.i++]!;
        if (!next.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, i: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && targets.includes(frame.node);
        if (component.length > 1 || selfLoop) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

/** The layer of a file (its longest matching path), or undefined when no layer names it. */
export function layerOf(file: string, layers: Layers): number | undefined {
  let best: { layer: number; length: number } | undefined;
  layers.forEach((layer, i) => {
    for (const path of layer.paths) {
      const matches = path.endsWith('/') ? file.startsWith(path) : file === path;
      if (matches && (!best || path.length > best.length)) best = { layer: i, length: path.length };
    }
  });
  return best?.layer;
}

/** Files no layer names, and imports that point from a layer to a higher one. */
export function checkLayers(files: readonly string[], edges: readonly ImportEdge[], layers: Layers): { unassigned: string[]; upward: string[] } {
  const unassigned = files.filter((f) => layerOf(f, layers) === undefined);
  const upward: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from, layers);
    const to = layerOf(e.to, layers);
    if (from === undefined || to === undefined || to <= from) continue;
    upward.push(`${e.from}:${e.line} (${layers[from]!.name}) imports ${e.to} (${layers[to]!.name})${e.typeOnly ? ' [type only]' : ''}`);
  }
  return { unassigned, upward };
}
