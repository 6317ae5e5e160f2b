/**
 * `check --login --login-auto` against the official SDK's OAuth demo (shared/reference/peers.md
 * §3.7): `simpleStreamableHttp.js --oauth --oauth-strict` — path-based PRM only, the authorization server
 * on its own port, auto-approving, and tokens checked against the server's resource. Kept on
 * 127.0.0.1 by fixtures/http/loopback.cjs; skipped when the example is missing or cannot start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJson } from './helpers/cli.ts';
import { startSdkOAuthDemo, type SdkOAuthDemo } from './helpers/real-servers.ts';

let demo: SdkOAuthDemo | undefined;
let skip: string | false = false;
let mcpUrl = '';
const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-login-demo-'));

before(async () => {
  const started = await startSdkOAuthDemo(['--oauth-strict']);
  if ('skip' in started) {
    skip = started.skip;
    return;
  }
  demo = started;
  ({ mcpUrl } = started);
});

after(async () => {
  await demo?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('check --login against the SDK OAuth demo', () => {
  test('--login-auto logs in (DCR, PKCE, resource-bound token) and lists the tools: exit 0 for --url (no Codex config to fail), no token in the output', async (t) => {
    if (skip) return t.skip(skip);
    const r = await checkJson(['--url', mcpUrl, '--login', '--login-auto', '-v'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
    const s = r.report.servers[0];
    const codes = s.findings.map((f: any) => f.code);
    // `--url` names no server of a Codex config: the working login is the verdict (a warning: log in for real).
    assert.equal(r.code, 0, `${codes.join(', ')}\n${r.stderr}`);
    assert.notEqual(s.status, 'fail');
    assert.equal(s.stages.find((x: any) => x.name === 'tools').status, 'pass');
    assert.ok(s.tools.names.includes('greet'), s.tools.names.join(', '));
    const required = s.findings.find((f: any) => f.code === 'auth.login-required');
    assert.equal(required?.severity, 'warning', codes.join(', '));
    assert.ok(required.evidence.confirmedByLogin, 'the proof that a login works is in the evidence');
    const ok = s.findings.find((f: any) => f.code === 'auth.login-succeeded');
    assert.ok(ok, codes.join(', '));
    const login = ok.evidence.logins[0];
    assert.equal(login.resource, mcpUrl);
    assert.equal(login.client.via, 'dcr');
    assert.deepEqual(login.scopesRequested, ['mcp:tools']);
    // The demo issues opaque tokens; none may appear, in the transcript's Authorization lines least of all.
    const authLines = JSON.stringify(s.transcript).match(/Authorization: [^\\]+/g) ?? [];
    assert.ok(authLines.length > 0, 'the transcript shows the requests that carried the token');
    for (const line of authLines) assert.equal(line, 'Authorization: Bearer <redacted>');
  });
});
