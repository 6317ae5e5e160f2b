// `explain CODE` quotes what real Codex did where mcp-doctor reported the code
// (src/codex/codex-says.generated.ts, written by scripts/gen-codex-behaviour.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CODEX_SAYS, CODEX_SAYS_VERSION } from '../src/codex/codex-says.generated.ts';
import { renderExplain } from '../src/report/explain.ts';
import { REGISTRY, isFindingCode } from '../src/findings/registry.ts';

describe('explain quotes Codex', () => {
  test('the measured map names registered codes, and an error never stood beside a server Codex started', () => {
    assert.match(CODEX_SAYS_VERSION, /^\d+\.\d+\.\d+/);
    for (const [code, entries] of Object.entries(CODEX_SAYS)) {
      assert.ok(isFindingCode(code), `${code} is not in the registry`);
      for (const e of entries) {
        if (e.severity === 'error') assert.notEqual(e.outcome, 'connects', `${code} was an error on ${e.example}, yet Codex started it`);
        if (e.outcome !== 'connects') assert.ok(e.error, `${code}: Codex's error text is recorded`);
      }
    }
  });

  test('a code with variants shows each, with Codex\'s exact words', () => {
    const page = renderExplain('config.invalid-server-name');
    assert.match(page, new RegExp(`## What Codex ${CODEX_SAYS_VERSION.replace(/\./g, '\\.')} did \\(measured\\)`));
    assert.match(page, /as an error \(fixture `stdio with space`\): Codex [\d.]+ says: `MCP startup failed: Invalid MCP server name 'stdio with space': must match pattern/);
    assert.match(page, /as a warning \(fixture `[^`]+`\): Codex [\d.]+ starts the server anyway\./);
  });

  test('a whole-config refusal is quoted as one', () => {
    assert.match(renderExplain('config.inline-bearer-token'), /refuses the whole config: `failed to reload config: config\.toml:LINE:COL: bearer_token is not supported for streamable_http`/);
  });

  test('codes never measured get no such section', () => {
    const unmeasured = Object.keys(REGISTRY).find((c) => !Object.hasOwn(CODEX_SAYS, c))!;
    assert.ok(unmeasured);
    assert.doesNotMatch(renderExplain(unmeasured as keyof typeof REGISTRY), /did \(measured\)/);
  });
});
