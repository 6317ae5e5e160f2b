// Item 7 of issue 15: after `check --login` logged in, a server Codex cannot start (nothing is
// stored for Codex) stays `fail`, with the proof that `codex mcp login NAME` works — and the
// oracle confirms both halves: Codex fails now, and connects after that very command.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startOAuthFixture } from '../fixtures/oauth/oauth-fixtures.ts';
import { askCodex, codexAvailable, resolveCodex } from './helpers/codex-oracle.ts';
import { checkJson } from './helpers/cli.ts';
import { codexConfigToml, codexLogin } from './helpers/real-as.ts';

test('check --login proves the login works, yet the server stays failed until codex mcp login; Codex agrees on both', { skip: !codexAvailable() && 'Codex CLI not available' }, async () => {
  const f = await startOAuthFixture({ separateAs: true });
  const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-login-verdict-'));
  try {
    const config = join(home, 'config.toml');
    writeFileSync(config, codexConfigToml({ fx: { url: f.url } }));
    const r = await checkJson(['--config', config, '--login', '--login-auto'], { env: { CODEX_HOME: home }, timeoutMs: 60_000 });
    const s = r.report.servers[0];
    assert.equal(s.status, 'fail');
    assert.equal(r.code, 1);
    const required = s.findings.find((x: any) => x.code === 'auth.login-required');
    assert.equal(required.severity, 'error');
    assert.equal(required.fix.command, 'codex mcp login fx');
    assert.ok(required.evidence.confirmedByLogin, 'the proof that the login works');
    assert.ok(s.findings.some((x: any) => x.code === 'auth.login-succeeded'));

    const before = await askCodex(readFileSync(config, 'utf8'), { credentialsJson: '{}' });
    assert.equal(before.servers.fx!.connected, false, 'Codex cannot start it: nothing stored');

    // The fix, applied: Codex's own login, then Codex connects.
    const cmd = resolveCodex()!;
    const login = await codexLogin(cmd.command === process.execPath ? cmd.args[0]! : cmd.command, home, 'fx');
    assert.equal(login.code, 0, login.stderr);
    const afterLogin = await askCodex(readFileSync(config, 'utf8'), { credentialsJson: readFileSync(join(home, '.credentials.json'), 'utf8') });
    assert.equal(afterLogin.servers.fx!.connected, true, JSON.stringify(afterLogin.servers.fx));
  } finally {
    await f.close();
    rmSync(home, { recursive: true, force: true });
  }
});
