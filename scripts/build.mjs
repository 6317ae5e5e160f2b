// Bundles the CLI so that `mcp-doctor` starts without resolving hundreds of modules: dist/cli.js
// holds the argument handling, and what the commands need (undici, ora, smol-toml, the pipeline)
// sits in dist/chunk-*.js, loaded by import() when a command runs. Compiling one 2 MB file cost
// `mcp-doctor --version` ~130 ms of CPU over bare Node; the entry alone costs ~30 ms
// (bench/RESULTS.md).
import { build } from 'esbuild';
import { readFileSync, readdirSync, chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

/**
 * string-width (in yargs, cliui, wrap-ansi and ora) builds Unicode property regexes and an
 * Intl.Segmenter when it is imported: ~50 ms of CPU on every start, for widths that are almost
 * always of plain ASCII. Each copy is loaded on its first non-ASCII string instead; for printable
 * ASCII (no escape codes) every version answers the string's length, which is what it returns here.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      resolveDir: '.',
      contents: `let real;
export default function stringWidth(input, options) {
  if (typeof input === 'string' && /^[\u0020-\u007E]*$/.test(input)) return input.length;
  real ??= require(${JSON.stringify(args.path)}).default;
  return real(input, options);
}
`,
    }));
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
const result = await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  // Chunks sit next to cli.js, so paths relative to import.meta.url mean the same in every file.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  metafile: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: false,
  // Less source to parse on every start (~15 ms); identifiers stay, so crash stacks still name functions.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  define: {
    __MCP_DOCTOR_VERSION__: JSON.stringify(pkg.version),
    __MCP_DOCTOR_PACKAGE_LINKS__: JSON.stringify({ repository: pkg.repository ?? null, bugs: pkg.bugs ?? null }),
  },
  // Some CommonJS dependencies call require(); give every ESM output file one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __mcpDoctorCreateRequire } from 'node:module';\nconst require = __mcpDoctorCreateRequire(import.meta.url);",
  },
  plugins: [lazyStringWidth],
  logLevel: 'warning',
  // Written below, file by file and atomically: tests build while other test processes run the
  // CLI, and a chunk read half-written is a crash (a SyntaxError in the middle of a report).
  write: false,
});
// Chunks first, the entry last: a CLI starting meanwhile never finds an entry whose chunks are missing.
const outputs = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith('/cli.js')) - Number(b.path.endsWith('/cli.js')));
for (const file of outputs) {
  let same = false;
  try {
    same = readFileSync(file.path).equals(file.contents);
  } catch {
    // not there yet
  }
  if (same) continue;
  const temp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temp, file.contents);
  renameSync(temp, file.path);
}
chmodSync('dist/cli.js', 0o755);

// Chunks of earlier builds: a CLI started before this build may still import them, so only
// those older than an hour go.
const current = new Set(Object.keys(result.metafile.outputs).map((path) => path.replace(/^dist\//, '')));
for (const file of readdirSync('dist')) {
  if (!/^chunk-[A-Z0-9]+\.js$/.test(file) || current.has(file)) continue;
  if (Date.now() - statSync(`dist/${file}`).mtimeMs > 3_600_000) rmSync(`dist/${file}`, { force: true });
}
