// Writes the docs that are generated, never hand-edited:
//   docs/codes/CODE.md and docs/codes/README.md from src/findings/registry.ts,
//   docs/auth.md (the auth decision table) from src/findings/auth-decisions.ts and the registry,
//   docs/report-sample.md and docs/report-sample.html from the synthetic sample report.
//
//   node --import tsx scripts/gen-docs.ts           write them (and remove pages of codes that no longer exist)
//   node --import tsx scripts/gen-docs.ts --check   exit 1 when docs/ is out of step (CI)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Marked } from 'marked';
import { SAMPLE_ENVIRONMENT, sampleReport } from '../fixtures/reports/sample-report.ts';
import { renderCodeIndex, renderCodePage } from '../src/report/explain.ts';
import { renderAuthDecisions } from '../src/findings/auth-decisions.ts';
import { REGISTRY, type FindingCode } from '../src/findings/registry.ts';
import { renderMarkdown } from '../src/report/render-markdown.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CODES_DIR = 'docs/codes';

/** Every generated file, by path relative to the repository root. */
export function docFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const code of Object.keys(REGISTRY) as FindingCode[]) files.set(`${CODES_DIR}/${code}.md`, renderCodePage(code));
  files.set(`${CODES_DIR}/README.md`, renderCodeIndex());
  files.set('docs/auth.md', renderAuthDecisions());
  const sample = renderMarkdown(sampleReport(), SAMPLE_ENVIRONMENT);
  files.set('docs/report-sample.md', sample);
  files.set('docs/report-sample.html', sampleHtml(sample));
  return files;
}

/** The sample as GitHub would show it (GFM), in a page of its own. */
export function sampleHtml(markdown: string): string {
  const body = new Marked({ gfm: true, async: false }).parse(markdown) as string;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mcp-doctor report (sample)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
pre { background: #f6f8fa; padding: 0.75rem; overflow-x: auto; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
details { margin: 0.5rem 0 1rem; }
</style>
</head>
<body>
${body}</body>
</html>
`;
}

/** Generated pages on disk whose code is no longer in the registry. */
export function stalePages(files: Map<string, string>): string[] {
  const dir = join(ROOT, CODES_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `${CODES_DIR}/${name}`)
    .filter((path) => !files.has(path));
}

function main(argv: string[]): number {
  const files = docFiles();
  const stale = stalePages(files);
  if (argv.includes('--check')) {
    const differ = [...files].filter(([path, content]) => {
      const full = join(ROOT, path);
      return !existsSync(full) || readFileSync(full, 'utf8') !== content;
    });
    for (const [path] of differ) console.error(`out of date: ${path}`);
    for (const path of stale) console.error(`stale: ${path}`);
    if (differ.length || stale.length) console.error('Run: node --import tsx scripts/gen-docs.ts');
    return differ.length || stale.length ? 1 : 0;
  }
  for (const [path, content] of files) {
    const full = join(ROOT, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  for (const path of stale) rmSync(join(ROOT, path));
  console.log(`wrote ${files.size} files${stale.length ? `, removed ${stale.join(', ')}` : ''}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
