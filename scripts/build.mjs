// Bundles the CLI so that `mcp-doctor` starts without resolving hundreds of modules: dist/cli.js
// holds the argument handling, and what the commands need (undici, ora, smol-toml, the pipeline)
// sits in dist/chunk-*.js, loaded by import() when a command runs. Compiling one 2 MB file cost
// `mcp-doctor --version` ~130 ms of CPU over bare Node; the entry alone costs ~30 ms
// (bench/RESULTS.md).
import { build } from 'esbuild';
import { readFileSync, readdirSync, chmodSync, mkdirSync, rmSync, statSync } from 'node:fs';

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
  legalComments: 'none',
  define: { __MCP_DOCTOR_VERSION__: JSON.stringify(pkg.version) },
  // Some CommonJS dependencies call require(); give every ESM output file one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __mcpDoctorCreateRequire } from 'node:module';\nconst require = __mcpDoctorCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);

// Chunks of earlier builds: a CLI started before this build may still import them, so only
// those older than an hour go.
const current = new Set(Object.keys(result.metafile.outputs).map((path) => path.replace(/^dist\//, '')));
for (const file of readdirSync('dist')) {
  if (!/^chunk-[A-Z0-9]+\.js$/.test(file) || current.has(file)) continue;
  if (Date.now() - statSync(`dist/${file}`).mtimeMs > 3_600_000) rmSync(`dist/${file}`, { force: true });
}
