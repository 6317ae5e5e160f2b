import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setKey } from '../src/fix/toml-edit.ts';
import { unifiedDiff } from '../src/fix/unified-diff.ts';
import { ROOT } from './helpers/cli.ts';

const FIXTURE = readFileSync(join(ROOT, 'fixtures', 'configs', 'commented-real-world.toml'), 'utf8');
const labels = { oldLabel: 'a/config.toml', newLabel: 'b/config.toml' };

/** Applies `diff` to `oldText` with git (outside any repository) and returns the result. */
function gitApply(oldText: string, diff: string): { ok: boolean; text: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-diff-'));
  try {
    writeFileSync(join(dir, 'config.toml'), oldText);
    writeFileSync(join(dir, 'fix.diff'), diff);
    const check = spawnSync('git', ['apply', '--check', 'fix.diff'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    if (check.status !== 0) return { ok: false, text: '', stderr: check.stderr };
    const apply = spawnSync('git', ['apply', 'fix.diff'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    return { ok: apply.status === 0, text: readFileSync(join(dir, 'config.toml'), 'utf8'), stderr: apply.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unifiedDiff', () => {
  test('headers, one hunk with three lines of context on each side', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const after = 'a\nb\nc\nd\nE\nf\ng\nh\n';
    assert.equal(unifiedDiff(before, after, labels), '--- a/config.toml\n+++ b/config.toml\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n');
  });

  test('equal texts give no diff', () => {
    assert.equal(unifiedDiff(FIXTURE, FIXTURE, labels), '');
  });

  test('changes far apart make two hunks; close ones share one', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const far = [...lines];
    far[2] = 'changed 3';
    far[25] = 'changed 26';
    const farDiff = unifiedDiff(`${lines.join('\n')}\n`, `${far.join('\n')}\n`, labels);
    assert.deepEqual(farDiff.match(/^@@.*@@$/gm), ['@@ -1,6 +1,6 @@', '@@ -23,7 +23,7 @@']);
    const near = [...lines];
    near[10] = 'changed 11';
    near[16] = 'changed 17';
    const nearDiff = unifiedDiff(`${lines.join('\n')}\n`, `${near.join('\n')}\n`, labels);
    assert.deepEqual(nearDiff.match(/^@@.*@@$/gm), ['@@ -8,13 +8,13 @@']);
  });

  test('a pure insertion at the top and a deletion at the end', () => {
    assert.equal(unifiedDiff('b\n', 'a\nb\n', labels), '--- a/config.toml\n+++ b/config.toml\n@@ -1,1 +1,2 @@\n+a\n b\n');
    assert.equal(unifiedDiff('a\nb\n', 'a\n', labels), '--- a/config.toml\n+++ b/config.toml\n@@ -1,2 +1,1 @@\n a\n-b\n');
    assert.equal(unifiedDiff('', 'a\n', labels), '--- a/config.toml\n+++ b/config.toml\n@@ -0,0 +1,1 @@\n+a\n');
  });

  test('a missing final newline is marked', () => {
    assert.equal(
      unifiedDiff('a\nb', 'a\nb\nc', labels),
      '--- a/config.toml\n+++ b/config.toml\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n',
    );
  });

  test('CRLF lines keep their CR in the diff', () => {
    const diff = unifiedDiff('a\r\nb\r\n', 'a\r\nB\r\n', labels);
    assert.equal(diff, '--- a/config.toml\n+++ b/config.toml\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+B\r\n');
  });

  test('the diff of a real fix applies with git apply and yields the edited file', () => {
    for (const text of [FIXTURE, FIXTURE.replace(/\n/g, '\r\n')]) {
      const edited = setKey(text, ['mcp_servers', 'github'], 'startup_timeout_sec', 60);
      assert.ok(edited.ok);
      const diff = unifiedDiff(text, edited.text, labels);
      const applied = gitApply(text, diff);
      assert.ok(applied.ok, applied.stderr);
      assert.equal(applied.text, edited.text);
    }
  });

  test('the diff applies with patch given the file name (absolute labels, as --fix prints them)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-diff-'));
    try {
      const path = join(dir, 'config.toml');
      writeFileSync(path, FIXTURE);
      const edited = setKey(FIXTURE, ['mcp_servers', 'docs.site'], 'url', 'http://127.0.0.1:3000/mcp');
      assert.ok(edited.ok);
      const diff = unifiedDiff(FIXTURE, edited.text, { oldLabel: path, newLabel: path });
      const result = spawnSync('patch', [path], { input: diff, encoding: 'utf8', timeout: 10_000 });
      assert.equal(result.status, 0, result.stderr + result.stdout);
      assert.equal(readFileSync(path, 'utf8'), edited.text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('property: random line edits give diffs that git applies exactly', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const base = FIXTURE.split(/(?<=\n)/);
    for (let round = 0; round < 60; round++) {
      const crlf = round % 3 === 0;
      const lines = base.map((l) => (crlf ? l.replace(/\n$/, '\r\n') : l));
      const next = [...lines];
      const edits = 1 + Math.floor(rand() * 6);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (next.length + 1));
        const kind = rand();
        const eol = crlf ? '\r\n' : '\n';
        if (kind < 0.33) next.splice(at, 0, `inserted ${round}-${e}${eol}`);
        else if (kind < 0.66 && next.length > 0) next.splice(Math.min(at, next.length - 1), 1);
        else if (next.length > 0) next[Math.min(at, next.length - 1)] = `replaced ${round}-${e}${eol}`;
      }
      let oldText = lines.join('');
      let newText = next.join('');
      if (rand() < 0.2) newText = newText.replace(/\r?\n$/, '');
      if (rand() < 0.2) oldText = oldText.replace(/\r?\n$/, '');
      const diff = unifiedDiff(oldText, newText, labels);
      if (oldText === newText) {
        assert.equal(diff, '');
        continue;
      }
      const applied = gitApply(oldText, diff);
      assert.ok(applied.ok, `round ${round}: ${applied.stderr}\n${diff}`);
      assert.equal(applied.text, newText, `round ${round}`);
    }
  });
});
