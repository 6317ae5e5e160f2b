// "What the model sees" in the three report formats (built CLI, no Codex needed): JSON
// `tools.model`, the text report's `model sees` line (every tool with --verbose), markdown's
// line and collapsed table.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkJson, runCli, tempConfig } from './helpers/cli.ts';
import { contractViolations } from './helpers/contract-schema.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STDIO = new URL('../fixtures/model-view/tools-server.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-model-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function server(name: string, tools: unknown[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(tools));
  return `[mcp_servers.${name}]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(STDIO)}, ${JSON.stringify(file)}]\n`;
}

const config = tempConfig(
  server('plain', [{ name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }]) +
    server('odd', [
      { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string', format: 'email', minLength: 1 } } } },
      { name: 'string_schema', inputSchema: { type: 'string' } },
      { name: 'get.page', inputSchema: { type: 'object' } },
      { name: 'nothing', inputSchema: { type: 'null' } },
    ]),
);
after(() => config.cleanup());

describe('model view in the reports', () => {
  it('JSON: tools.model per kept tool, within the contract', { timeout: 60_000 }, async () => {
    const { report } = await checkJson(['--config', config.path]);
    assert.deepEqual(contractViolations(report), []);
    const odd = report.servers.find((s: any) => s.name === 'odd');
    const byName = Object.fromEntries(odd.tools.model.map((t: any) => [t.name, t]));
    assert.deepEqual(byName.echo.schema, { type: 'object', properties: { text: { type: 'string' } } });
    assert.ok(byName.echo.notes.some((n: string) => /dropped: format, minLength/.test(n)), byName.echo.notes.join(' | '));
    assert.equal(byName['get.page'].modelName, 'get_page');
    assert.deepEqual(byName.string_schema.refusals.map((r: any) => r.rule), ['parameters-not-object']);
    assert.match(byName.nothing.dropped, /singleton null/);
    assert.equal(byName.nothing.modelName, undefined);
    const plain = report.servers.find((s: any) => s.name === 'plain');
    assert.deepEqual(plain.tools.model, [{ name: 'echo', namespace: 'mcp__plain', modelName: 'echo', schema: { type: 'object', properties: { text: { type: 'string' } } }, schemaBytes: Buffer.byteLength('{"type":"object","properties":{"text":{"type":"string"}}}'), descriptionBytes: 0, notes: [] }]);
  });

  it('text: one line when the model sees something else, each tool with --verbose; nothing for a plain server', { timeout: 60_000 }, async () => {
    const plain = await runCli(['check', '--config', config.path, 'plain']);
    assert.doesNotMatch(plain.stdout, /model sees/);
    // Prose is wrapped to the terminal width: compare with whitespace folded.
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const short = await runCli(['check', '--config', config.path, 'odd']);
    assert.match(flat(short.stdout), /model sees 3 tools in mcp__odd · 1 renamed · 1 schema rewritten · 1 dropped · 1 the model API documents it refuses \(--verbose lists each tool\)/);
    const verbose = { stdout: flat((await runCli(['check', '--config', config.path, 'odd', '--verbose'])).stdout) };
    assert.match(verbose.stdout, /string_schema → mcp__odd\/string_schema — API: its parameters are not an object schema \("type": "string"\)/);
    assert.match(verbose.stdout, /get\.page → mcp__odd\/get_page/);
    assert.match(verbose.stdout, /nothing → not sent: Codex cannot build a tool from its inputSchema/);
    assert.match(verbose.stdout, /echo → mcp__odd\/echo — keywords Codex does not send are dropped: format, minLength/);
  });

  it('markdown: a "Model sees" line and a collapsed table of every tool', { timeout: 60_000 }, async () => {
    const md = await runCli(['check', '--config', config.path, 'odd', '--format', 'markdown']);
    assert.match(md.stdout, /- Model sees: 3 tools in mcp\\__odd · 1 renamed/);
    assert.match(md.stdout, /<details><summary>What the model is sent for odd \(4 tools, through Codex\)<\/summary>/);
    assert.match(md.stdout, /\| `string_schema` \| `mcp__odd\/string_schema` \| `\{"type":"string","properties":\{\}\}` \| API: its parameters are not an object schema/);
    assert.match(md.stdout, /\| `nothing` \| not sent \|  \| Codex cannot build a tool/);
  });
});
