// Report links come from package.json: a crash banner never names an address that does not exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, runCli } from './helpers/cli.ts';
import { ISSUES_URL, linksFromPackage, REPO_URL } from '../src/report/links.ts';

describe('project links from package.json', () => {
  test('repository and bugs in their string and object forms', () => {
    assert.deepEqual(linksFromPackage({}), {});
    assert.deepEqual(linksFromPackage({ repository: { type: 'git', url: 'git+https://github.com/o/r.git' } }), {
      repo: 'https://github.com/o/r',
      issues: 'https://github.com/o/r/issues',
    });
    assert.deepEqual(linksFromPackage({ repository: 'o/r' }), { repo: 'https://github.com/o/r', issues: 'https://github.com/o/r/issues' });
    assert.deepEqual(linksFromPackage({ repository: 'https://git.example.org/o/r', bugs: { url: 'https://bugs.example.org/r' } }), {
      repo: 'https://git.example.org/o/r',
      issues: 'https://bugs.example.org/r',
    });
    // A non-GitHub repository without `bugs`: no address is guessed.
    assert.deepEqual(linksFromPackage({ repository: 'https://git.example.org/o/r' }), { repo: 'https://git.example.org/o/r' });
    assert.deepEqual(linksFromPackage({ bugs: 'https://bugs.example.org/' }), { issues: 'https://bugs.example.org/' });
  });

  test('the links in force are this package.json\'s', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual({ repo: REPO_URL, issues: ISSUES_URL }, { repo: linksFromPackage(pkg).repo, issues: linksFromPackage(pkg).issues });
  });

  test('the built CLI names no address that package.json does not give (demo report)', { timeout: 60_000 }, async () => {
    const run = await runCli(['explain', 'internal.stage-crashed']);
    assert.equal(run.code, 0);
    if (!ISSUES_URL) assert.ok(!/github\.com\/mcp-doctor/.test(run.stdout + run.stderr), run.stdout);
  });
});
