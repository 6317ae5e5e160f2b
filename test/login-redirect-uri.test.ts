// check --login against an authorization server that refuses the redirect URI of a pre-registered
// client with an error page (oidc-provider's default HTML page, 400 invalid_redirect_uri): the
// doctor reads the error and names it (auth.redirect-uri-rejected) with the redirect URI Codex
// will send, in --login-auto and in browser mode (where one plain GET before the browser finds it,
// instead of waiting --login-timeout for a page nobody can get past). The real-AS variant is in
// test/auth-causes-real-as.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { parse as parseToml } from 'smol-toml';
import { checkJson } from './helpers/cli.ts';
import { startOAuthFixture } from '../fixtures/oauth/oauth-fixtures.ts';
import { codexCallbackId, SUGGESTED_CALLBACK_PORT } from '../src/auth/authorization-server.ts';

const homes: string[] = [];
after(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function home(toml: string): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-redirect-'));
  homes.push(dir);
  writeFileSync(join(dir, 'config.toml'), toml);
  return { dir, config: join(dir, 'config.toml') };
}


/** A port nothing listens on right now (bound and released), for a fixed callback port. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const codes = (s: any) => s.findings.map((f: any) => `${f.severity}:${f.code}`).join(', ');

describe('check --login: the authorization server refuses the redirect URI', () => {
  for (const mode of [['--login-auto'], ['--no-open', '--login-timeout', '60']]) {
    for (const fixedPort of [true, false]) {
      test(`${mode[0]}, ${fixedPort ? 'callback port configured' : 'no callback port'}: auth.redirect-uri-rejected names the AS's error and the URI to register`, async () => {
        const fx = await startOAuthFixture({ separateAs: true, allowedRedirectUris: ['http://127.0.0.1:9/elsewhere'] });
        try {
          const port = await freePort();
          const h = home(`mcp_oauth_credentials_store = "file"\n${fixedPort ? `mcp_oauth_callback_port = ${port}\n` : ''}[mcp_servers.fx]\nurl = "${fx.url}"\n[mcp_servers.fx.oauth]\nclient_id = "pre-registered"\n`);
          const started = Date.now();
          const r = await checkJson(['--config', h.config, '--login', ...mode], { env: { CODEX_HOME: h.dir }, timeoutMs: 60_000 });
          const s = r.report.servers[0];
          assert.equal(r.code, 1);
          const f = s.findings.find((x: any) => x.code === 'auth.redirect-uri-rejected');
          assert.ok(f, `${codes(s)}: ${JSON.stringify(s.findings.map((x: any) => x.message))}`);
          assert.match(f.message, /invalid_redirect_uri \("redirect_uri did not match any of the client's registered redirect_uris"\)/);
          assert.match(f.message, /pre-registered client "pre-registered"/);
          assert.doesNotMatch(JSON.stringify(s), /does not approve without a person/);
          const uri = `http://127.0.0.1:${fixedPort ? port : SUGGESTED_CALLBACK_PORT}/callback/${codexCallbackId(fx.url)}`;
          assert.equal(f.evidence.codexRedirectUri, uri);
          assert.ok(f.fix.summary.includes(uri));
          if (fixedPort) assert.equal(f.fix.toml, undefined);
          else assert.equal((parseToml(f.fix.toml) as any).mcp_servers.fx.oauth.callback_port, SUGGESTED_CALLBACK_PORT);
          assert.ok(Date.now() - started < 30_000, 'no wait for the browser');
          // The page itself is never echoed.
          assert.doesNotMatch(r.stdout, /oops! something went wrong/);
          // Only the authorization request reached the AS: no token request.
          assert.equal(fx.requests.filter((q) => q.path.startsWith('/token')).length, 0);
        } finally {
          await fx.close();
        }
      });
    }
  }
});
