// The layering rule of docs/architecture.md, enforced: no import cycle in src/, and no import
// that points from a layer to a higher one (test/helpers/import-graph.ts has the layer table).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { checkLayers, findCycles, layerOf, readImportGraph, SRC_LAYERS, type ImportEdge, type Layers } from './helpers/import-graph.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const graph = readImportGraph(root);

describe('architecture: src/ imports', () => {
  it('reads the real graph (a parser that finds nothing would pass every check)', () => {
    assert.ok(graph.files.length > 100, `only ${graph.files.length} files under src/`);
    assert.ok(graph.edges.length > 300, `only ${graph.edges.length} imports`);
    const has = (from: string, to: string) => graph.edges.some((e) => e.from === from && e.to === to);
    // One of each form: a multi-line import, an `import type`, and cli.ts's lazy import().
    assert.ok(has('src/stages/stdio-plan.ts', 'src/transports/stdio/stdio-findings.ts'));
    assert.ok(graph.edges.some((e) => e.from === 'src/stages/http-plan.ts' && e.to === 'src/pipeline/context.ts' && e.typeOnly));
    assert.ok(has('src/cli.ts', 'src/commands/check-command.ts'));
  });

  it('has no import cycle', () => {
    const cycles = findCycles(graph.files, graph.edges);
    assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => `  ${c.join(' <-> ')}`).join('\n')}`);
  });

  it('puts every file in a layer', () => {
    const { unassigned } = checkLayers(graph.files, graph.edges, SRC_LAYERS);
    assert.deepEqual(unassigned, [], 'add the new directory to SRC_LAYERS (test/helpers/import-graph.ts) and to docs/architecture.md');
  });

  it('imports only from its own layer or the layers below', () => {
    const { upward } = checkLayers(graph.files, graph.edges, SRC_LAYERS);
    assert.deepEqual(upward, [], `imports that point up the layers (${SRC_LAYERS.map((l) => l.name).join(' < ')}):\n  ${upward.join('\n  ')}`);
  });
});

describe('architecture: the checks themselves', () => {
  const layers: Layers = [
    { name: 'low', paths: ['src/low/'] },
    { name: 'seam', paths: ['src/high/seam.ts'] },
    { name: 'high', paths: ['src/high/'] },
  ];
  const edge = (from: string, to: string): ImportEdge => ({ from, to, line: 1, typeOnly: false });

  it('finds a cycle of two files and a longer one, and not a diamond', () => {
    const files = ['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts', 'f.ts'];
    const cycles = findCycles(files, [edge('a.ts', 'b.ts'), edge('b.ts', 'a.ts'), edge('c.ts', 'd.ts'), edge('d.ts', 'e.ts'), edge('e.ts', 'c.ts'), edge('f.ts', 'a.ts')]);
    assert.deepEqual(cycles.map((c) => c.join(',')).sort(), ['a.ts,b.ts', 'c.ts,d.ts,e.ts']);
    assert.deepEqual(findCycles(files, [edge('a.ts', 'b.ts'), edge('a.ts', 'c.ts'), edge('b.ts', 'd.ts'), edge('c.ts', 'd.ts')]), []);
  });

  it('flags an import up the layers, allows one down, and places a file by its longest path', () => {
    assert.equal(layerOf('src/high/seam.ts', layers), 1);
    assert.equal(layerOf('src/high/other.ts', layers), 2);
    const files = ['src/low/a.ts', 'src/high/seam.ts', 'src/high/b.ts', 'src/elsewhere.ts'];
    const { upward, unassigned } = checkLayers(files, [edge('src/low/a.ts', 'src/high/seam.ts'), edge('src/high/b.ts', 'src/low/a.ts'), edge('src/high/seam.ts', 'src/high/b.ts')], layers);
    assert.deepEqual(unassigned, ['src/elsewhere.ts']);
    assert.equal(upward.length, 2);
    assert.match(upward[0]!, /^src\/low\/a\.ts:1 \(low\) imports src\/high\/seam\.ts \(seam\)/);
    assert.match(upward[1]!, /^src\/high\/seam\.ts:1 \(seam\) imports src\/high\/b\.ts \(high\)/);
  });
});
