// A 401 whose OAuth metadata URLs never answer is not "a server without OAuth" (found by blind
// testing): the finding says none of them answered before the deadline.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, test } from 'node:test';
import { checkJson, tempConfig } from './helpers/cli.ts';
import { EMPTY_CODEX_HOME } from './helpers/http-check.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

test('metadata URLs that never answer: named as unanswered, not as "publishes no OAuth metadata"', { timeout: 60_000 }, async () => {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/')) return; // never answers
    res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' }).end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
  const cfg = tempConfig(`[mcp_servers.a]\nurl = "${url}"\nstartup_timeout_sec = 3\n`);
  try {
    const { report } = await checkJson(['--config', cfg.path], { env: { CODEX_HOME: EMPTY_CODEX_HOME }, timeoutMs: 30_000 });
    const s = report.servers[0];
    assert.equal(s.status, 'fail');
    const finding = s.findings.find((f: any) => f.code === 'auth.oauth-unsupported');
    assert.ok(finding, JSON.stringify(s.findings.map((f: any) => f.code)));
    assert.match(finding.message, /answered before the deadline/);
    assert.doesNotMatch(finding.message, /publishes no OAuth metadata/);
    assert.equal(finding.evidence.unanswered, true);
  } finally {
    cfg.cleanup();
  }
});
