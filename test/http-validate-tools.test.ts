import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { createRedactor } from '../src/redact.ts';
import { checkTools, codexToolNames } from '../src/stages/validate-tools.ts';

const redact = createRedactor();
const tool = (name: string, inputSchema: unknown = { type: 'object' }) => ({ name, description: 'd', inputSchema });
const server = (extra: { enabledTools?: string[]; disabledTools?: string[] } = {}) => ({ name: 'docs', ...extra });

describe('codexToolNames', () => {
  // Expected values were captured from the tools Codex 0.169.0 sent to a model endpoint.
  test('collisions after sanitizing give every colliding tool a hash suffix', () => {
    const long = 'get_quarterly_revenue_breakdown_by_region_and_product_lines_for_fy2026';
    const names = codexToolNames('docs', ['search.docs', 'search_docs', long]);
    assert.equal(names.get('search.docs'), 'search_docs_fd223b340152');
    assert.equal(names.get('search_docs'), 'search_docs_9fe4a10d0e3e');
    assert.equal(names.get(long), long);
  });

  test("'-', spaces and '/' become '_' and over-long names are cut to fit 128 bytes with a hash", () => {
    const names = codexToolNames('my-srv', ['get-issue', 'a'.repeat(130), 'Search Docs', 'x/y', 'ok_tool', 'dup', 'dup']);
    assert.equal(names.get('get-issue'), 'get_issue');
    assert.equal(names.get('Search Docs'), 'Search_Docs');
    assert.equal(names.get('x/y'), 'x_y');
    assert.equal(names.get('ok_tool'), 'ok_tool');
    assert.equal(names.get('a'.repeat(130)), `${'a'.repeat(102)}_40f1f0c6cd6f`);
    assert.equal(names.size, 6);
    assert.equal(codexToolNames('x', ['a'.repeat(130)]).get('a'.repeat(130)), `${'a'.repeat(107)}_1267ed14822d`);
  });
});

describe('checkTools', () => {
  test('a clean list gives no findings and the names after filters', () => {
    const result = checkTools({ tools: [tool('echo'), tool('add'), tool('get-time')], server: server(), redact });
    assert.deepEqual(result.findings, []);
    assert.equal(result.count, 3);
    assert.deepEqual(result.names, ['echo', 'add', 'get-time']);
  });

  test('invalid names: a warning naming what Codex shows, with a disabled_tools fix that parses', () => {
    const long = 'x'.repeat(70);
    const result = checkTools({ tools: [tool('search.docs'), tool('search_docs'), tool(long)], server: server(), redact });
    const finding = result.findings.find((f) => f.code === 'tools.invalid-name');
    assert.ok(finding);
    assert.equal(finding.severity, 'warning');
    assert.match(finding.message, /`search\.docs` → `search_docs_fd223b340152`/);
    assert.match(finding.message, /also renames `search_docs` → `search_docs_9fe4a10d0e3e`/);
    assert.match(finding.message, new RegExp(`\`${long}\` \\(70 characters\\)`));
    assert.match(finding.message, /Codex 0\.169\.0 and 0\.171\.0 keep it .* the model API documents at most 64 characters/);
    assert.equal(result.findings.find((f) => f.code === 'tools.model-rejects'), undefined, 'the long name is reported once, by tools.invalid-name');
    const toml = parse(finding.fix!.toml!) as any;
    assert.deepEqual(toml.mcp_servers.docs.disabled_tools, ['search.docs', long]);
    assert.equal(result.count, 3);
  });

  test('a missing inputSchema is an error without a config fix (Codex fails the whole tools/list)', () => {
    const missing = checkTools({ tools: [tool('ok'), { name: 'no_schema' }], server: server(), redact });
    const a = missing.findings.find((f) => f.code === 'tools.invalid-schema');
    assert.equal(a?.severity, 'error');
    assert.match(a!.message, /no_schema/);
    assert.equal(a!.fix?.toml, undefined);
    const notObject = checkTools({ tools: [tool('ok'), { name: 'str', inputSchema: 'x' }], server: server(), redact });
    assert.equal(notObject.findings.find((f) => f.code === 'tools.invalid-schema')?.severity, 'error');
  });

  test('a root type other than "object" (issue 16 item 4): Codex lists the tool and sends it as it is, a warning that can be disabled', () => {
    const wrongType = checkTools({ tools: [tool('ok'), tool('string_schema', { type: 'string' })], server: server(), redact });
    assert.equal(wrongType.findings.find((f) => f.code === 'tools.invalid-schema'), undefined);
    const b = wrongType.findings.find((f) => f.code === 'tools.model-rejects');
    assert.equal(b?.severity, 'warning');
    assert.match(b!.message, /`string_schema` as mcp__docs\/string_schema: its parameters are not an object schema \("type": "string"\)/);
    assert.deepEqual((parse(b!.fix!.toml!) as any).mcp_servers.docs.disabled_tools, ['string_schema']);
    assert.deepEqual(wrongType.model.tools.find((t) => t.name === 'string_schema')?.schema, { type: 'string', properties: {} });
  });

  test('a schema without "type" is a warning: Codex adds it, the SDK client does not', () => {
    const result = checkTools({ tools: [tool('loose', { properties: {} })], server: server(), redact });
    const finding = result.findings.find((f) => f.code === 'tools.invalid-schema');
    assert.equal(finding?.severity, 'warning');
  });

  test('filters naming unknown tools: a warning with a did-you-mean and a corrected list', () => {
    const result = checkTools({
      tools: [tool('search_issues'), tool('create_issue')],
      server: server({ enabledTools: ['search_issue', 'create_issue'], disabledTools: ['*'] }),
      redact,
    });
    const finding = result.findings.find((f) => f.code === 'tools.unknown-filter');
    assert.ok(finding);
    assert.equal(finding.severity, 'warning');
    assert.match(finding.message, /did you mean `search_issues`/);
    const toml = parse(finding.fix!.toml!) as any;
    assert.deepEqual(toml.mcp_servers.docs.enabled_tools, ['search_issues', 'create_issue']);
    assert.deepEqual(toml.mcp_servers.docs.disabled_tools, []);
    assert.deepEqual(result.names, ['create_issue']);
  });

  test('no tools left after filters: tools.none (info)', () => {
    const result = checkTools({ tools: [tool('a'), tool('b')], server: server({ enabledTools: [] }), redact });
    const none = result.findings.find((f) => f.code === 'tools.none');
    assert.equal(none?.severity, 'info');
    assert.equal(result.count, 0);
    const empty = checkTools({ tools: [], server: server(), redact });
    assert.equal(empty.findings.find((f) => f.code === 'tools.none')?.severity, 'info');
  });

  test('a quoted server name still gives a snippet that parses', () => {
    const result = checkTools({ tools: [tool('a.b')], server: { name: 'my server' }, redact });
    const toml = parse(result.findings[0]!.fix!.toml!) as any;
    assert.deepEqual(toml.mcp_servers['my server'].disabled_tools, ['a.b']);
  });
});
