import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startForensicsServer, startProxy, type ForensicsServer, type ProxyServer } from '../fixtures/http/forensics-extras.ts';
import { noProxyMatch, proxyRoute, readCaBundle, readProxyEnv } from '../src/config/network-env.ts';
import type { Finding, ServerReport } from '../src/types.ts';
import { checkHttp, codes, findingOf } from './helpers/http-check.ts';
import { makeTestCerts, opensslAvailable, type TestCerts } from './helpers/tls-certs.ts';

function only(report: ServerReport, code: string): Finding {
  const f = findingOf(report, code);
  assert.ok(f, `expected ${code}; got ${codes(report).join(', ') || 'no findings'}`);
  return f;
}

/** The value an `export NAME=VALUE` fix command sets. */
function exported(command: string | undefined, name: string): string {
  const m = new RegExp(`^export ${name}=(.*)$`).exec(command ?? '');
  assert.ok(m, `not an export of ${name}: ${command}`);
  return m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
}

describe('proxy variables as Codex (reqwest/hyper-util) reads them', () => {
  test('upper case before lower case; ALL_PROXY when the specific one is unset; HTTPS_PROXY is not for http://', () => {
    assert.equal(readProxyEnv({ HTTP_PROXY: 'http://a:1', http_proxy: 'http://b:2' }).http?.variable, 'HTTP_PROXY');
    assert.equal(readProxyEnv({ http_proxy: 'http://b:2' }).http?.url, 'http://b:2');
    const all = readProxyEnv({ ALL_PROXY: 'http://c:3', HTTPS_PROXY: 'http://d:4' });
    assert.equal(all.http?.variable, 'ALL_PROXY');
    assert.equal(all.https?.variable, 'HTTPS_PROXY');
    assert.equal(readProxyEnv({ HTTPS_PROXY: 'http://d:4' }).http, undefined);
    // hyper-util takes the first variable that is set, even when it is empty.
    assert.equal(readProxyEnv({ HTTP_PROXY: '', http_proxy: 'http://b:2' }).http, undefined);
    assert.equal(readProxyEnv({ HTTPS_PROXY: 'proxy.corp:3128' }).https?.url, 'http://proxy.corp:3128');
    assert.deepEqual(readProxyEnv({ REQUEST_METHOD: 'GET', HTTP_PROXY: 'http://a:1' }), { cgi: true });
  });

  test('NO_PROXY: domains match their subdomains, IPs and CIDR blocks, "*"; host:port entries match nothing', () => {
    assert.equal(noProxyMatch('api.corp.example', 'corp.example'), 'corp.example');
    assert.equal(noProxyMatch('corp.example', '.corp.example'), '.corp.example');
    assert.equal(noProxyMatch('notcorp.example', 'corp.example'), undefined);
    assert.equal(noProxyMatch('10.1.2.3', 'localhost, 10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(noProxyMatch('127.0.0.1', '127.0.0.1'), '127.0.0.1');
    assert.equal(noProxyMatch('[::1]', '::1'), '::1');
    assert.equal(noProxyMatch('[2001:db8::5]', '2001:db8::/32'), '2001:db8::/32');
    assert.equal(noProxyMatch('127.0.0.1', '127.0.0.1:8080'), undefined);
    assert.equal(noProxyMatch('anything.example', '*'), '*');
    assert.equal(noProxyMatch('127.0.0.1', 'localhost'), undefined, 'no implicit loopback exemption');
  });

  test('the route of a URL names the variable, or the NO_PROXY entry that exempts it', () => {
    const env = readProxyEnv({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'internal.example' });
    assert.deepEqual(proxyRoute(new URL('https://mcp.example.com/mcp'), env), { kind: 'proxy', proxy: { url: 'http://proxy:3128', variable: 'HTTPS_PROXY' } });
    assert.equal(proxyRoute(new URL('https://mcp.internal.example/mcp'), env).kind, 'exempt');
    assert.equal(proxyRoute(new URL('http://mcp.example.com/mcp'), env).kind, 'direct');
  });

  test('the CA bundle: CODEX_CA_CERTIFICATE, else SSL_CERT_FILE; unreadable or certificate-less files are errors', () => {
    const files: Record<string, string> = { '/ca.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', '/empty.pem': 'nothing here\n' };
    const read = (path: string) => {
      if (!(path in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return files[path]!;
    };
    assert.equal(readCaBundle({}, read), undefined);
    assert.deepEqual(readCaBundle({ CODEX_CA_CERTIFICATE: '/ca.pem', SSL_CERT_FILE: '/nope.pem' }, read)?.variable, 'CODEX_CA_CERTIFICATE');
    assert.equal(readCaBundle({ CODEX_CA_CERTIFICATE: ' ', SSL_CERT_FILE: '/ca.pem' }, read)?.variable, 'SSL_CERT_FILE');
    assert.equal(readCaBundle({ CODEX_CA_CERTIFICATE: '/ca.pem' }, read)?.certs.length, 1);
    assert.equal(readCaBundle({ SSL_CERT_FILE: '/nope.pem' }, read)?.error, 'no such file');
    assert.equal(readCaBundle({ CODEX_CA_CERTIFICATE: '/empty.pem' }, read)?.error, 'holds no CERTIFICATE block');
  });
});

describe('checks through a proxy on 127.0.0.1', () => {
  let server: ForensicsServer;
  let proxy: ProxyServer;
  before(async () => {
    server = await startForensicsServer('healthy');
    proxy = await startProxy();
  });
  after(async () => {
    await server.close();
    await proxy.close();
  });

  test('HTTP_PROXY: every request goes to the proxy in absolute form; the discovery summary names it', async () => {
    proxy.records.length = 0;
    const served = server.requests.length;
    const report = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: proxy.url } });
    assert.equal(report.status, 'ok', codes(report).join(', '));
    assert.match(report.stages[1]!.summary, new RegExp(`via the proxy ${proxy.url} \\(\\$HTTP_PROXY\\)`));
    // The 7 requests of a default check of a healthy server, each one through the proxy.
    assert.equal(proxy.records.length, 7, proxy.records.map((r) => r.line).join('\n'));
    assert.equal(server.requests.length - served, proxy.records.length, 'the server got nothing that bypassed the proxy');
    assert.ok(proxy.records.every((r) => r.line.includes(` ${server.url}`)), proxy.records.map((r) => r.line).join('\n'));
    assert.match(JSON.stringify(report.transcript), /go via the proxy/);
  });

  test('lower-case http_proxy is used when HTTP_PROXY is unset', async () => {
    proxy.records.length = 0;
    const report = await checkHttp({ url: server.url }, { env: { http_proxy: proxy.url } });
    assert.equal(report.status, 'ok');
    assert.match(report.stages[1]!.summary, /\$http_proxy/);
    assert.ok(proxy.records.length > 0);
  });

  for (const entry of ['127.0.0.1', '127.0.0.0/8']) {
    test(`NO_PROXY=${entry} exempts the server: nothing reaches the proxy, and the summary says which entry`, async () => {
      proxy.records.length = 0;
      const report = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: proxy.url, NO_PROXY: entry } });
      assert.equal(report.status, 'ok');
      assert.equal(proxy.records.length, 0);
      assert.match(report.stages[1]!.summary, new RegExp(`direct: \\$NO_PROXY entry "${entry.replace(/[./]/g, '\\$&')}" exempts it from the proxy in \\$HTTP_PROXY`));
    });
  }

  test('a host:port NO_PROXY entry does not exempt (as in Codex): the proxy is used', async () => {
    proxy.records.length = 0;
    const report = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: proxy.url, NO_PROXY: new URL(server.url).host } });
    assert.equal(report.status, 'ok');
    assert.ok(proxy.records.length > 0);
  });

  test('a proxy that is not running: net.proxy-failed naming $HTTP_PROXY; its NO_PROXY fix works', async () => {
    const report = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: 'http://127.0.0.1:9' } });
    const f = only(report, 'net.proxy-failed');
    assert.ok(!findingOf(report, 'net.connection-refused'), 'the refusal is the proxy\'s, not the server\'s');
    assert.match(f.message, /\$HTTP_PROXY/);
    assert.equal(f.evidence?.proxyVariable, 'HTTP_PROXY');
    const noProxy = exported(f.fix?.command, 'NO_PROXY');
    const fixed = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: noProxy } });
    assert.equal(fixed.status, 'ok', codes(fixed).join(', '));
  });

  test('407 from the proxy: net.proxy-failed; credentials in the proxy URL then pass, and never show', async () => {
    const credentials = Buffer.from('alice:pr0xy-s3cret-pw').toString('base64');
    const guarded = await startProxy({ requireAuthorization: `Basic ${credentials}` });
    try {
      const report = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: guarded.url } });
      const f = only(report, 'net.proxy-failed');
      assert.equal(f.evidence?.proxyStatus, 407);
      assert.match(f.message, /demands authentication \(HTTP 407\), and its URL carries no user:password/);
      assert.match(f.fix!.command!, /^export HTTP_PROXY=http:\/\/USER:PASSWORD@/);

      const withAuth = guarded.url.replace('http://', 'http://alice:pr0xy-s3cret-pw@');
      const fixed = await checkHttp({ url: server.url }, { env: { HTTP_PROXY: withAuth } });
      assert.equal(fixed.status, 'ok', codes(fixed).join(', '));
      assert.ok(guarded.records.some((r) => r.proxyAuthorization === `Basic ${credentials}`));
      assert.ok(!JSON.stringify(fixed).includes('pr0xy-s3cret-pw'));
    } finally {
      await guarded.close();
    }
  });
});

describe('TLS with certificates made at test time', { skip: opensslAvailable() ? false : 'openssl is not installed' }, () => {
  let certs: TestCerts;
  const servers: ForensicsServer[] = [];
  const https = async (which: 'valid' | 'expired' | 'otherHost' | 'selfSigned') => {
    const s = await startForensicsServer('healthy', { tls: certs[which] });
    servers.push(s);
    return s;
  };
  before(() => {
    certs = makeTestCerts();
  });
  after(async () => {
    for (const s of servers) await s.close();
    certs.cleanup();
  });

  test('a certificate from a private CA: net.tls-failed (unknown CA) whose CODEX_CA_CERTIFICATE fix works when applied', async () => {
    const s = await https('valid');
    const report = await checkHttp({ url: s.url }, { env: {} });
    const f = only(report, 'net.tls-failed');
    assert.equal(f.evidence?.cause, 'unknown-ca');
    assert.equal(f.evidence?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.match(f.fix!.summary, /CODEX_CA_CERTIFICATE.*SSL_CERT_FILE/);
    assert.equal(f.fix?.command, 'export CODEX_CA_CERTIFICATE=/path/to/ca-bundle.pem');

    const fixed = await checkHttp({ url: s.url }, { env: { CODEX_CA_CERTIFICATE: certs.ca.path } });
    assert.equal(fixed.status, 'ok', codes(fixed).join(', '));
    assert.match(JSON.stringify(fixed.transcript), /trusting the CA certificates in \$CODEX_CA_CERTIFICATE/);
  });

  test('SSL_CERT_FILE is read when CODEX_CA_CERTIFICATE is unset; CODEX_CA_CERTIFICATE wins when both are set', async () => {
    const s = await https('valid');
    assert.equal((await checkHttp({ url: s.url }, { env: { SSL_CERT_FILE: certs.ca.path } })).status, 'ok');
    // Codex ignores a missing SSL_CERT_FILE when CODEX_CA_CERTIFICATE is usable (measured).
    assert.equal((await checkHttp({ url: s.url }, { env: { CODEX_CA_CERTIFICATE: certs.ca.path, SSL_CERT_FILE: join(certs.dir, 'missing.pem') } })).status, 'ok');
  });

  test('self-signed: cause self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)', async () => {
    const s = await https('selfSigned');
    const f = only(await checkHttp({ url: s.url }, { env: {} }), 'net.tls-failed');
    assert.equal(f.evidence?.cause, 'self-signed');
    assert.match(f.message, /self-signed/);
    assert.match(f.fix!.summary, /CA:FALSE/);
  });

  test('a self-signed CA:TRUE certificate named in CODEX_CA_CERTIFICATE: still refused, as rustls (Codex) does', async () => {
    const s = await https('selfSigned');
    const selfPath = join(certs.dir, 'self.pem');
    writeFileSync(selfPath, certs.selfSigned.cert);
    const f = only(await checkHttp({ url: s.url }, { env: { CODEX_CA_CERTIFICATE: selfPath } }), 'net.tls-failed');
    assert.equal(f.evidence?.cause, 'ca-as-leaf');
    assert.equal(f.evidence?.code, 'CA_USED_AS_END_ENTITY');
    assert.deepEqual(f.evidence?.caBundle, { variable: 'CODEX_CA_CERTIFICATE', path: selfPath });
  });

  test('expired (CA trusted): cause expired', async () => {
    const s = await https('expired');
    const f = only(await checkHttp({ url: s.url }, { env: { CODEX_CA_CERTIFICATE: certs.ca.path } }), 'net.tls-failed');
    assert.equal(f.evidence?.cause, 'expired');
    assert.equal(f.evidence?.code, 'CERT_HAS_EXPIRED');
    assert.match(f.fix!.summary, /renew/);
  });

  test('issued for another host name (CA trusted): cause wrong-host', async () => {
    const s = await https('otherHost');
    const f = only(await checkHttp({ url: s.url }, { env: { CODEX_CA_CERTIFICATE: certs.ca.path } }), 'net.tls-failed');
    assert.equal(f.evidence?.cause, 'wrong-host');
    assert.equal(f.evidence?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(f.message, /another host name/);
  });

  test('https through a CONNECT tunnel, trusting the CA: ok, and the proxy saw only the CONNECT', async () => {
    const s = await https('valid');
    const proxy = await startProxy();
    try {
      const report = await checkHttp({ url: s.url }, { env: { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.ca.path } });
      assert.equal(report.status, 'ok', codes(report).join(', '));
      assert.match(report.stages[1]!.summary, /\$HTTPS_PROXY/);
      assert.ok(proxy.records.length > 0 && proxy.records.every((r) => r.line === `CONNECT ${new URL(s.url).host}`), proxy.records.map((r) => r.line).join('\n'));
    } finally {
      await proxy.close();
    }
  });

  test('a CONNECT the proxy refuses: net.proxy-failed naming $HTTPS_PROXY and the status', async () => {
    const s = await https('valid');
    const proxy = await startProxy({ refuseConnect: 403 });
    try {
      const report = await checkHttp({ url: s.url }, { env: { HTTPS_PROXY: proxy.url, CODEX_CA_CERTIFICATE: certs.ca.path } });
      const f = only(report, 'net.proxy-failed');
      assert.equal(f.evidence?.proxyStatus, 403);
      assert.match(f.message, /\$HTTPS_PROXY names refused to open a tunnel .* \(HTTP 403 to CONNECT\)/);
    } finally {
      await proxy.close();
    }
  });

  test('CODEX_CA_CERTIFICATE naming a missing file: net.ca-bundle-invalid, and no request is sent (Codex fails every HTTP server)', async () => {
    const s = await startForensicsServer('healthy');
    servers.push(s);
    const report = await checkHttp({ url: s.url }, { env: { CODEX_CA_CERTIFICATE: join(certs.dir, 'nope.pem') } });
    const f = only(report, 'net.ca-bundle-invalid');
    assert.equal(f.severity, 'error');
    assert.equal(f.fix?.command, 'unset CODEX_CA_CERTIFICATE');
    assert.equal(s.requests.length, 0);
    const fixed = await checkHttp({ url: s.url }, { env: {} });
    assert.equal(fixed.status, 'ok');
  });
});
