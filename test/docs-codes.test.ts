import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODES_DIR, ROOT, docFiles, stalePages } from '../scripts/gen-docs.ts';
import { AUTH_DECISIONS } from '../src/findings/auth-decisions.ts';
import { REGISTRY } from '../src/findings/registry.ts';

/** shared/contract.md §5: the codes that must exist, with a page each. */
const CONTRACT_CODES = [
  'config.not-found', 'config.parse-error', 'config.invalid-server-name', 'config.missing-transport', 'config.unsupported-field',
  'config.inline-bearer-token', 'config.unknown-field', 'config.obsolete-field', 'config.env-var-unset',
  'config.env-var-looks-like-secret', 'config.server-disabled',
  'stdio.command-not-found', 'stdio.exited-early', 'stdio.stdout-noise', 'stdio.env-not-forwarded',
  'net.dns-failed', 'net.connection-refused', 'net.tls-failed', 'net.timeout', 'http.unexpected-status', 'http.not-mcp-endpoint',
  'http.redirect', 'transport.sse-only', 'transport.hybrid-sse', 'transport.modern-only',
  'auth.login-required', 'auth.oauth-unsupported', 'auth.token-rejected', 'auth.insufficient-scope', 'auth.resource-mismatch',
  'auth.metadata-invalid', 'auth.registration-unavailable', 'auth.token-not-resource-bound', 'auth.token-expired',
  'init.protocol-error', 'init.jsonrpc-error', 'init.version-unsupported', 'timeout.startup', 'session.stale-not-404',
  'tools.list-failed', 'tools.invalid-name', 'tools.invalid-schema', 'tools.unknown-filter',
];

const REGENERATE = 'out of step with the registry: run `node --import tsx scripts/gen-docs.ts`';

describe('docs generated from the registry', () => {
  const files = docFiles();

  test('every generated file is on disk with the generated content', () => {
    for (const [path, content] of files) {
      const full = join(ROOT, path);
      assert.ok(existsSync(full), `${path} is missing; ${REGENERATE}`);
      assert.ok(readFileSync(full, 'utf8') === content, `${path} is ${REGENERATE}`);
    }
  });

  test('docs/auth.md: every auth code of the registry has a row in the decision table, and every row names an auth code', () => {
    const table = files.get('docs/auth.md')!;
    const authCodes = Object.entries(REGISTRY).filter(([, spec]) => spec.stage === 'auth').map(([code]) => code);
    const rows = new Set(AUTH_DECISIONS.map((r) => r.code as string));
    for (const code of authCodes) assert.ok(rows.has(code), `${code} has no row in src/findings/auth-decisions.ts`);
    for (const row of AUTH_DECISIONS) {
      assert.ok(Object.hasOwn(REGISTRY, row.code), `${row.code} is not in the registry`);
      assert.equal(REGISTRY[row.code].stage, 'auth', `${row.code} is not an auth code`);
      // The fix column is the registry's, verbatim (escaped): a changed fix changes the table.
      assert.ok(table.includes(REGISTRY[row.code].fix.replace(/\|/g, '\\|')), `the row of ${row.code} does not carry the registry's fix`);
    }
    assert.match(table, /\]\(refresh\.md\)/, 'links the refresh documentation');
  });

  test('no page for a code the registry does not have', () => {
    assert.deepEqual(stalePages(files), [], REGENERATE);
  });

  test('every registry code has a page, and the index links each one', () => {
    const index = files.get(`${CODES_DIR}/README.md`)!;
    for (const code of Object.keys(REGISTRY)) {
      assert.ok(files.has(`${CODES_DIR}/${code}.md`), code);
      assert.ok(index.includes(`[\`${code}\`](${code}.md)`), `index lacks ${code}`);
    }
  });

  test('every code the contract requires is registered and documented', () => {
    for (const code of CONTRACT_CODES) {
      assert.ok(Object.hasOwn(REGISTRY, code), `${code} is not in the registry`);
      assert.ok(files.has(`${CODES_DIR}/${code}.md`), `${code} has no page`);
    }
  });

  test('contract severities match the registry defaults', () => {
    const warnings = ['config.unknown-field', 'config.obsolete-field', 'http.redirect', 'auth.registration-unavailable', 'session.stale-not-404', 'tools.invalid-name', 'tools.unknown-filter'];
    for (const code of CONTRACT_CODES) {
      const expected = code === 'config.server-disabled' ? 'info' : warnings.includes(code) ? 'warning' : 'error';
      assert.equal(REGISTRY[code as keyof typeof REGISTRY].severity, expected, code);
    }
  });

  test('the sample report page is the markdown renderer output, and its HTML is rendered from it', () => {
    const md = files.get('docs/report-sample.md')!;
    const html = files.get('docs/report-sample.html')!;
    assert.match(md, /^## mcp-doctor report$/m);
    assert.match(html, /<h2>mcp-doctor report<\/h2>/);
    assert.match(html, /<details><summary>Wire transcript of linear/);
  });
});
