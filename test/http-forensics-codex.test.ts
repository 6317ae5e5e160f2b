// Severities of the HTTP forensics pinned to the real Codex (the @openai/codex devDependency,
// through the oracle): a finding is an error exactly when Codex cannot start the server. Every
// forensics fixture goes into one config; proxy and CA cases need their own environment each.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FORENSICS_SCENARIOS, startForensicsServer, startProxy, type ForensicsName, type ForensicsServer } from '../fixtures/http/forensics-extras.ts';
import type { ServerReport } from '../src/types.ts';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { checkHttp, codes } from './helpers/http-check.ts';
import { makeTestCerts, opensslAvailable } from './helpers/tls-certs.ts';

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';
const T = { timeout: 120_000 };
const STARTUP_SEC = 6;

const tableName = (name: string) => name.replace(/[^a-zA-Z0-9_-]/g, '_');
const table = (name: string, url: string) => `[mcp_servers.${tableName(name)}]\nurl = "${url}"\nstartup_timeout_sec = ${STARTUP_SEC}\n`;

function agree(name: string, report: ServerReport, connected: boolean | undefined, error: string | undefined) {
  assert.equal(
    report.status !== 'fail',
    connected === true,
    `${name}: mcp-doctor ${report.status} (${codes(report).join(', ') || 'no findings'}), Codex ${connected ? 'connected' : `failed: ${error}`}`,
  );
}

describe('forensics fixtures: mcp-doctor fails exactly where Codex 0.169 does', { skip }, () => {
  const names = Object.keys(FORENSICS_SCENARIOS) as ForensicsName[];
  const servers = new Map<ForensicsName, ForensicsServer>();
  before(async () => {
    for (const name of names) servers.set(name, await startForensicsServer(name));
  });
  after(async () => {
    for (const s of servers.values()) await s.close();
  });

  test('every scenario, one Codex run', T, async () => {
    const toml = names.map((n) => table(n, servers.get(n)!.url)).join('\n');
    const codex = await askCodex(toml, { timeoutMs: 90_000, env: { HTTP_PROXY: undefined, HTTPS_PROXY: undefined, ALL_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, all_proxy: undefined } });
    for (const name of names) {
      const verdict = codex.servers[tableName(name)];
      assert.ok(verdict, `Codex did not report ${name}`);
      const report = await checkHttp({ url: servers.get(name)!.url, startupTimeoutSec: STARTUP_SEC }, { timeoutMs: 10_000 });
      agree(name, report, verdict.connected, verdict.errorSummary ?? verdict.error);
    }
  });
});

describe('proxy and CA variables: mcp-doctor and Codex agree', { skip }, () => {
  test('a proxy that is down, a 407, then NO_PROXY as the fix proposes', T, async () => {
    const server = await startForensicsServer('healthy');
    const guarded = await startProxy({ requireAuthorization: 'Basic dTpw' });
    try {
      const cases: Array<Record<string, string>> = [
        { HTTP_PROXY: 'http://127.0.0.1:9' },
        { HTTP_PROXY: guarded.url },
        { HTTP_PROXY: guarded.url.replace('http://', 'http://u:p@') },
        { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.0/8' },
        { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: new URL(server.url).host },
      ];
      for (const env of cases) {
        const full = { HTTP_PROXY: undefined, http_proxy: undefined, HTTPS_PROXY: undefined, https_proxy: undefined, ALL_PROXY: undefined, all_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined, ...env };
        const codex = await askCodex(table('p', server.url), { env: full, timeoutMs: 40_000 });
        const report = await checkHttp({ url: server.url, startupTimeoutSec: STARTUP_SEC }, { env, timeoutMs: 10_000 });
        agree(JSON.stringify(env), report, codex.servers.p?.connected, codex.servers.p?.errorSummary);
      }
    } finally {
      await guarded.close();
      await server.close();
    }
  });

  test('certificates: private CA with and without CODEX_CA_CERTIFICATE, CA:TRUE self-signed, missing CA file', { ...T, skip: opensslAvailable() ? false : 'openssl is not installed' }, async () => {
    const certs = makeTestCerts();
    const valid = await startForensicsServer('healthy', { tls: certs.valid });
    const self = await startForensicsServer('healthy', { tls: certs.selfSigned });
    const plain = await startForensicsServer('healthy');
    try {
      const { writeFileSync } = await import('node:fs');
      const selfPath = `${certs.dir}/self-as-ca.pem`;
      writeFileSync(selfPath, certs.selfSigned.cert);
      const envs: Array<Record<string, string>> = [{}, { CODEX_CA_CERTIFICATE: certs.ca.path }, { SSL_CERT_FILE: certs.ca.path }, { CODEX_CA_CERTIFICATE: selfPath }, { CODEX_CA_CERTIFICATE: `${certs.dir}/missing.pem` }];
      const toml = [table('valid', valid.url), table('self', self.url), table('plain', plain.url)].join('\n');
      for (const env of envs) {
        const codex = await askCodex(toml, { env: { CODEX_CA_CERTIFICATE: undefined, SSL_CERT_FILE: undefined, ...env }, timeoutMs: 40_000 });
        for (const [name, s] of [['valid', valid], ['self', self], ['plain', plain]] as const) {
          const report = await checkHttp({ url: s.url, startupTimeoutSec: STARTUP_SEC }, { env, timeoutMs: 10_000 });
          agree(`${name} with ${JSON.stringify(env)}`, report, codex.servers[name]?.connected, codex.servers[name]?.errorSummary);
        }
      }
    } finally {
      await valid.close();
      await self.close();
      await plain.close();
      certs.cleanup();
    }
  });
});
