import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { applyFixes, fixCandidates, type FixCandidate } from '../src/fix/apply-fixes.ts';
import { fixEdit } from '../src/fix/fix-edit.ts';
import { tryability } from '../src/fix/fix-safety.ts';
import { normalizeServer } from '../src/config/load-config.ts';
import type { Finding, Fix, Report, ServerReport } from '../src/types.ts';

const CONFIG = `# servers
[mcp_servers.gh]
url = "https://api.example.com/mcp"  # hosted
type = "http"   # from another client
bearer_token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"

[mcp_servers.fs]
command = "npx"
args = ["-y", "server-fs"]
startup_timeout_sec = 5
`;

function finding(code: string, fix: Fix, severity: Finding['severity'] = 'error'): Finding {
  return { code, severity, stage: 'config', message: `${code} message`, fix };
}

function candidate(server: string | null, f: Finding): FixCandidate {
  return { finding: f, server, path: '/cfg/config.toml' };
}

describe('fixEdit: what a fix asks of the file', () => {
  test('the snippet\'s keys are set in the snippet\'s table', () => {
    assert.deepEqual(fixEdit({ summary: 's', toml: '[mcp_servers.gh]\nurl = "http://h/mcp"\nstartup_timeout_sec = 60' }), {
      kind: 'edit',
      edit: { table: ['mcp_servers', 'gh'], set: [['url', 'http://h/mcp'], ['startup_timeout_sec', 60]], remove: [], rename: [] },
    });
  });

  test('removals and renames need only a table', () => {
    assert.deepEqual(fixEdit({ summary: 's', table: 'mcp_servers."my.server"', remove: ['type'], rename: { headers: 'http_headers' } }), {
      kind: 'edit',
      edit: { table: ['mcp_servers', 'my.server'], set: [], remove: ['type'], rename: [['headers', 'http_headers']] },
    });
  });

  test('a snippet without a header holds the keys of `table`', () => {
    const result = fixEdit({ summary: 's', table: 'features', toml: 'apps = false' });
    assert.deepEqual(result, { kind: 'edit', edit: { table: ['features'], set: [['apps', false]], remove: [], rename: [] } });
  });

  test('not a config change', () => {
    assert.deepEqual(fixEdit({ summary: 'Run the login', command: 'codex mcp login gh' }), { kind: 'none' });
    assert.deepEqual(fixEdit({ summary: 'A server-side fix' }), { kind: 'none' });
  });

  test('unusable as written, with the reason', () => {
    const reason = (fix: Fix) => {
      const r = fixEdit(fix);
      assert.equal(r.kind, 'unusable', JSON.stringify(fix));
      return (r as { reason: string }).reason;
    };
    assert.match(reason({ summary: 's', toml: '[mcp_servers.gh.oauth]\nclient_id = "…"', template: true }), /placeholders/);
    assert.match(reason({ summary: 's', toml: '[mcp_servers.gh]\nbearer_token_env_var = "<redacted>"' }), /redacted/);
    assert.match(reason({ summary: 's', toml: '[mcp_servers.gh.oauth]\nclient_id = "<your client id>"' }), /placeholder/);
    assert.match(reason({ summary: 's', toml: '[mcp_servers.a]\nx = 1\n\n[mcp_servers.b]\nx = 1' }), /several tables/);
    assert.match(reason({ summary: 's', toml: '[mcp_servers.a.http_headers]\n# the entries of [mcp_servers.a.headers], unchanged' }), /sets no key/);
    assert.match(reason({ summary: 's', toml: '[mcp_servers.a\nx = 1' }), /does not parse/);
    assert.match(reason({ summary: 's', remove: ['type'] }), /names no table/);
    assert.match(reason({ summary: 's', table: 'mcp_servers.b', toml: '[mcp_servers.a]\nx = 1' }), /not its `table`/);
  });
});

describe('applyFixes', () => {
  test('applies each fix surgically and keeps the rest of the file', () => {
    const fixes = [
      candidate('gh', finding('config.unknown-field', { summary: 'drop type', table: 'mcp_servers.gh', remove: ['type'] })),
      candidate('gh', finding('config.inline-bearer-token', { summary: 'use a var', toml: '[mcp_servers.gh]\nbearer_token_env_var = "GH_TOKEN"', remove: ['bearer_token'] })),
      candidate('fs', finding('timeout.startup', { summary: 'more time', toml: '[mcp_servers.fs]\nstartup_timeout_sec = 45' })),
    ];
    const result = applyFixes(CONFIG, fixes);
    assert.deepEqual(result.skipped, []);
    assert.equal(result.applied.length, 3);
    assert.equal(
      result.text,
      `# servers
[mcp_servers.gh]
url = "https://api.example.com/mcp"  # hosted
bearer_token_env_var = "GH_TOKEN"

[mcp_servers.fs]
command = "npx"
args = ["-y", "server-fs"]
startup_timeout_sec = 45
`,
    );
  });

  test('skips, with reasons: not a config change, unusable, contradicting, already done, not surgical', () => {
    const text = `${CONFIG}\n[mcp_servers]\ninline = { url = "http://h/mcp" }\n`;
    const login = candidate('gh', finding('auth.login-required', { summary: 'log in', command: 'codex mcp login gh' }));
    const template = candidate('gh', finding('auth.registration-unavailable', { summary: 'client id', toml: '[mcp_servers.gh.oauth]\nclient_id = "…"', template: true }));
    const first = candidate('fs', finding('timeout.startup', { summary: 'more time', toml: '[mcp_servers.fs]\nstartup_timeout_sec = 45' }));
    const contradicting = candidate('fs', finding('config.invalid-value', { summary: 'other time', toml: '[mcp_servers.fs]\nstartup_timeout_sec = 90' }));
    const same = candidate('fs', finding('config.other', { summary: 'same time', toml: '[mcp_servers.fs]\nstartup_timeout_sec = 45' }));
    const done = candidate('gh', finding('config.x', { summary: 'already', toml: '[mcp_servers.gh]\nurl = "https://api.example.com/mcp"' }));
    const inline = candidate('inline', finding('timeout.startup', { summary: 'more time', toml: '[mcp_servers.inline]\nstartup_timeout_sec = 45' }));
    const result = applyFixes(text, [login, template, first, contradicting, same, done, inline]);
    assert.deepEqual(result.applied, [first]);
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.candidate.finding.code, s.reason]));
    assert.equal(reasons['auth.login-required'], 'not a config change');
    assert.match(reasons['auth.registration-unavailable']!, /^cannot be applied: it has placeholders/);
    assert.equal(reasons['config.invalid-value'], 'contradicts the fix for timeout.startup (fs)');
    assert.equal(reasons['config.other'], 'the same change as the fix for timeout.startup (fs)');
    assert.equal(reasons['config.x'], 'the file already has this change');
    assert.match(reasons['timeout.startup']!, /^cannot be applied surgically: .*inline table/);
    assert.equal((parse(result.text) as any).mcp_servers.fs.startup_timeout_sec, 45);
  });
});

describe('fixCandidates', () => {
  const server = (name: string, findings: Finding[], source?: string): ServerReport => ({
    name,
    transport: 'stdio',
    target: 'x',
    status: 'fail',
    stages: [],
    findings,
    server: {},
    tools: null,
    ...(source ? { source } : {}),
  });
  const report = (servers: ServerReport[], findings: Finding[] = []): Report => ({
    schemaVersion: 1,
    tool: { name: 'mcp-doctor', version: '0' },
    config: { path: '/home/u/.codex/config.toml' },
    findings,
    servers,
    summary: { ok: 0, warn: 0, fail: servers.length, skipped: 0 },
  });

  test('file-level and server findings with a fix; info findings and unnamed servers left out', () => {
    const obsolete = finding('config.obsolete-field', { summary: 'x', table: '', remove: ['experimental_use_rmcp_client'] }, 'warning');
    const disabled = finding('config.server-disabled', { summary: 'enable', toml: '[mcp_servers.a]\nenabled = true' }, 'info');
    const timeout = finding('timeout.startup', { summary: 't', toml: '[mcp_servers.b]\nstartup_timeout_sec = 60' });
    const noFix = { ...finding('init.protocol-error', { summary: '' }), fix: undefined };
    const r = report([server('a', [disabled]), server('b', [timeout, noFix], '/proj/.codex/config.toml')], [obsolete]);
    assert.deepEqual(fixCandidates(r, []), [
      { finding: obsolete, server: null, path: '/home/u/.codex/config.toml' },
      { finding: timeout, server: 'b', path: '/proj/.codex/config.toml' },
    ]);
    assert.deepEqual(fixCandidates(r, ['a']), []);
  });

  test('no config file (--url, -- CMD): nothing to fix', () => {
    assert.deepEqual(fixCandidates({ ...report([server('server', [finding('x', { summary: 's', toml: '[mcp_servers.server]\na = 1' })])]), config: null }, []), []);
  });
});

describe('tryability: which fixes are safe to try on a copy', () => {
  const http = normalizeServer('gh', { url: 'https://api.example.com/sse' }, '/cfg');
  const stdio = normalizeServer('fs', { command: 'npx', args: ['-y', 'pkg'] }, '/cfg');
  const edit = (fix: Fix) => {
    const r = fixEdit(fix);
    assert.equal(r.kind, 'edit');
    return (r as { edit: any }).edit;
  };
  const check = (fix: Fix, name: string | null, server = http) => tryability(fix, edit(fix), name, server);

  test('yes: a sibling endpoint on the same host, timeouts, env_vars, tool filters, removals, renames', () => {
    for (const fix of [
      { summary: 's', toml: '[mcp_servers.gh]\nurl = "https://api.example.com/mcp"' },
      { summary: 's', toml: '[mcp_servers.gh]\nstartup_timeout_sec = 60', command: 'mcp-doctor check gh --timeout 120' },
      { summary: 's', toml: '[mcp_servers.gh]\ndisabled_tools = ["search.docs"]' },
      { summary: 's', table: 'mcp_servers.gh', remove: ['type'] },
      { summary: 's', table: 'mcp_servers.gh', rename: { serverUrl: 'url' } },
    ] satisfies Fix[]) {
      assert.deepEqual(check(fix, 'gh'), { ok: true }, JSON.stringify(fix));
    }
    // Remove + set of the same value is a rename, even for a key that is not tried otherwise.
    const withHeaders = normalizeServer('gh', { url: 'https://api.example.com/mcp', headers: { 'X-Team': 'a' } }, '/cfg');
    const moved: Fix = { summary: 's', toml: '[mcp_servers.gh]\nhttp_headers = { X-Team = "a" }', remove: ['headers'] };
    assert.deepEqual(tryability(moved, edit(moved), 'gh', withHeaders), { ok: true });
    const changed: Fix = { summary: 's', toml: '[mcp_servers.gh]\nhttp_headers = { X-Team = "b" }', remove: ['headers'] };
    assert.equal(tryability(changed, edit(changed), 'gh', withHeaders).ok, false);
    assert.deepEqual(check({ summary: 's', toml: '[mcp_servers.fs]\nenv_vars = ["API_KEY"]' }, 'fs', stdio), { ok: true });
    // File-level fixes are re-checked by loading the file only.
    assert.deepEqual(check({ summary: 's', table: 'features', remove: ['rmcp_client'] }, null), { ok: true });
  });

  test('no: logins and installs, other programs, credentials, other hosts, other tables, enabling', () => {
    const cases: Array<[Fix, RegExp]> = [
      [{ summary: 's', toml: '[mcp_servers.gh]\noauth_resource = "https://api.example.com"', command: 'codex mcp login gh' }, /codex mcp login gh/],
      [{ summary: 's', toml: '[mcp_servers.gh]\ncommand = "npx"\nargs = ["-y", "mcp-remote", "https://api.example.com/sse"]', remove: ['url'] }, /different program/],
      [{ summary: 's', toml: '[mcp_servers.gh]\nbearer_token_env_var = "GH_TOKEN"' }, /credentials/],
      [{ summary: 's', toml: '[mcp_servers.gh]\nurl = "https://evil.example.net/mcp"' }, /another host/],
      [{ summary: 's', toml: '[mcp_servers.gh.oauth]\nclient_id = "abc"' }, /not the server's own table/],
      [{ summary: 's', toml: '[mcp_servers.gh]\nenabled = true' }, /enable/],
      [{ summary: 's', table: 'mcp_servers.gh', remove: ['enabled'] }, /enable/],
    ];
    for (const [fix, reason] of cases) {
      const result = check(fix, 'gh');
      assert.equal(result.ok, false, JSON.stringify(fix));
      assert.match((result as { reason: string }).reason, reason);
    }
  });
});
