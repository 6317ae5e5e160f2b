// Config values JavaScript reads as fine numbers that Codex 0.171.0 refuses (found by blind
// testing, asked of the oracle): a float `startup_timeout_ms` (serde wants a u64, and `1000.0`
// is a float however whole), seconds past what a Duration holds, and an empty `cwd`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { checkJson, tempConfig } from './helpers/cli.ts';

const server = (extra: string) => `[mcp_servers.c]\ncommand = ${JSON.stringify(process.execPath)}\nargs = ["-e", "setTimeout(()=>{},1)"]\n${extra}\n`;
const CASES: Record<string, string> = {
  ms_float: 'startup_timeout_ms = 1000.0',
  ms_exponent: 'startup_timeout_ms = 1e4',
  sec_past_duration: 'startup_timeout_sec = 2e19',
  tool_sec_past_duration: 'tool_timeout_sec = 1e300',
  cwd_empty: 'cwd = ""',
};

test('values Codex refuses although JavaScript reads them: the doctor fails them, named, as Codex does', { timeout: 180_000 }, async () => {
  for (const [name, line] of Object.entries(CASES)) {
    const toml = server(line);
    const cfg = tempConfig(toml);
    try {
      const { report } = await checkJson(['--config', cfg.path, '--timeout', '5'], { timeoutMs: 30_000 });
      const s = report.servers[0];
      assert.equal(s.status, 'fail', `${name}: ${s.status}`);
      assert.ok(s.findings.some((f: any) => f.code === 'config.invalid-value'), `${name}: ${s.findings.map((f: any) => f.code).join(' ')}`);
    } finally {
      cfg.cleanup();
    }
    if (!codexAvailable()) continue;
    const codex = await askCodex(toml, { timeoutMs: 30_000 });
    assert.ok(codex.configError !== undefined || codex.servers.c?.connected === false, `${name}: Codex connected`);
  }
  // The same values written as Codex takes them connect in both.
  const fine = server('startup_timeout_ms = 1000\ntool_timeout_sec = 1e9');
  const cfg = tempConfig(fine);
  try {
    const { report } = await checkJson(['--config', cfg.path, '--timeout', '5'], { timeoutMs: 30_000 });
    assert.ok(!report.servers[0].findings.some((f: any) => f.code === 'config.invalid-value'), JSON.stringify(report.servers[0].findings));
  } finally {
    cfg.cleanup();
  }
});
