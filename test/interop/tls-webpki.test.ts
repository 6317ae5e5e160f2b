/**
 * Self-made certificates Codex's TLS stack (rustls/webpki) refuses even when trusted (issue 16,
 * item 2), each asked of Codex 0.171: a self-signed CA:TRUE certificate as the server's own, a
 * leaf with extendedKeyUsage clientAuth only, the name only in the CN, an X.509 v1 certificate,
 * an IP URL whose address is not in the subjectAltName, an expired one. The doctor must fail
 * exactly those, say why from the certificate (basic constraints, EKU, SAN, version), and not
 * propose "trust it" where trusting cannot help. Then its fixes are applied: the openssl commands
 * it gives are run as they are (a local CA and a leaf), the server serves the leaf, the CA is
 * named in CODEX_CA_CERTIFICATE, and Codex connects; a self-signed leaf that webpki accepts is
 * trusted the way its fix says, and Codex connects.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startForensicsServer, type ForensicsServer } from '../../fixtures/http/forensics-extras.ts';
import { codexAvailable, type CodexVerdict } from '../helpers/codex-oracle.ts';
import { makeTestCerts, opensslAvailable, type KeyPair, type TestCerts } from '../helpers/tls-certs.ts';
import { applyFixToml, assertAgrees, codesOf, codex, configToml, doctor, type DoctorRun, type Table } from './popular.ts';

const skip = !codexAvailable() ? 'the Codex oracle is not installed' : !opensslAvailable() ? 'openssl is not installed' : false;

describe('certificates webpki refuses: the doctor agrees with Codex and its fixes work', { skip, timeout: 170_000 }, () => {
  let certs: TestCerts;
  let scratch: string;
  const servers: ForensicsServer[] = [];
  const serve = async (pair: KeyPair, host = '127.0.0.1') => {
    const s = await startForensicsServer('healthy', { tls: pair, host });
    servers.push(s);
    return s.url;
  };

  before(() => {
    certs = makeTestCerts();
    scratch = mkdtempSync(join(tmpdir(), 'mcp-doctor-webpki-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    certs?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('trusted CA (and trusted self-signed certificates): Codex refuses exactly what the doctor fails, for the reason it names', async () => {
    // One bundle: the CA, the self-signed CA:TRUE certificate and the self-signed leaf.
    const bundle = join(scratch, 'bundle.pem');
    writeFileSync(bundle, [certs.ca.cert, certs.selfSigned.cert, certs.selfSignedLeaf.cert].join('\n'));
    const env = { CODEX_CA_CERTIFICATE: bundle };
    const cases: Record<string, { url: string; refuses: string[] | null }> = {
      valid: { url: await serve(certs.valid), refuses: null },
      'self-leaf-trusted': { url: await serve(certs.selfSignedLeaf), refuses: null },
      'self-ca-trusted': { url: await serve(certs.selfSigned), refuses: ['ca-as-leaf'] },
      'client-auth-only': { url: await serve(certs.clientAuthOnly), refuses: ['no-server-auth'] },
      'cn-only': { url: await serve(certs.cnOnly, 'localhost'), refuses: ['cn-only'] },
      'v1-cert': { url: await serve(certs.v1, 'localhost'), refuses: ['v1'] },
      'ip-not-in-san': { url: await serve(certs.dnsOnly), refuses: ['ip-not-in-san'] },
      expired: { url: await serve(certs.expired), refuses: ['expired'] },
    };
    const tables: Record<string, Table> = Object.fromEntries(Object.entries(cases).map(([n, c]) => [n, { url: c.url, startup_timeout_sec: 10 }]));
    const toml = configToml(tables);
    const [d, c]: [DoctorRun, CodexVerdict] = await Promise.all([doctor(toml, env), codex(toml, env)]);
    let wrongHostFix = '';
    for (const [name, e] of Object.entries(cases)) {
      const s = d.byName(name);
      assertAgrees(name, s, c);
      if (e.refuses === null) {
        assert.notEqual(s.status, 'fail', `${name}: ${codesOf(s).join(', ')}`);
        continue;
      }
      const f = s.findings.find((x: any) => x.code === 'net.tls-failed');
      assert.ok(f, `${name}: ${codesOf(s).join(', ')}`);
      for (const r of e.refuses) assert.ok(f.evidence.certificate?.codexRefuses?.includes(r), `${name}: ${JSON.stringify(f.evidence.certificate)}`);
      if (name === 'ip-not-in-san') {
        // Node refuses it too (another host name); the fix names the URL the certificate is for.
        assert.match(f.message, /valid for localhost/);
        wrongHostFix = f.fix.toml;
      } else if (name !== 'expired') {
        // Trusting it did not help; the fix is a new certificate, not CODEX_CA_CERTIFICATE alone.
        assert.match(f.message, /Codex still refuses it/, name);
        assert.match(f.fix.command, /openssl x509 -req/, name);
      }
    }
    // The wrong-host fix applied: Codex connects.
    const fixedToml = configToml({ 'ip-not-in-san': applyFixToml(tables['ip-not-in-san']!, 'ip-not-in-san', wrongHostFix) });
    const fixed = await codex(fixedToml, env);
    assert.equal(fixed.servers['ip-not-in-san']?.connected, true, fixed.servers['ip-not-in-san']?.error);
  });

  test('untrusted: the self-signed CA:TRUE certificate gets the local-CA commands, which work when run; the self-signed leaf gets "trust it", which works', async () => {
    const caLike = await serve(certs.selfSigned);
    const leaf = await serve(certs.selfSignedLeaf);
    const toml = configToml({ 'self-ca': { url: caLike }, 'self-leaf': { url: leaf } });
    const [d, c] = await Promise.all([doctor(toml, { CODEX_CA_CERTIFICATE: undefined, SSL_CERT_FILE: undefined }), codex(toml, { CODEX_CA_CERTIFICATE: undefined, SSL_CERT_FILE: undefined })]);
    for (const name of ['self-ca', 'self-leaf']) assertAgrees(name, d.byName(name), c);

    const caFinding = d.byName('self-ca').findings.find((x: any) => x.code === 'net.tls-failed');
    assert.match(caFinding.message, /CA:TRUE/);
    assert.match(caFinding.message, /does not help/);
    assert.deepEqual(caFinding.evidence.certificate.codexRefuses, ['ca-as-leaf']);
    assert.equal(caFinding.evidence.certificate.ca, true);
    // Run the fix's commands as they are, serve the leaf they make, trust the CA they make.
    const work = mkdtempSync(join(scratch, 'fix-'));
    const run = spawnSync('sh', ['-ec', caFinding.fix.command.replace(/^export CODEX_CA_CERTIFICATE=.*$/m, '')], { cwd: work, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(caFinding.fix.command, /export CODEX_CA_CERTIFICATE="\$PWD\/ca\.pem"/);
    const fixedUrl = await serve({ key: readFileSync(join(work, 'server.key'), 'utf8'), cert: readFileSync(join(work, 'server.pem'), 'utf8') });

    const leafFinding = d.byName('self-leaf').findings.find((x: any) => x.code === 'net.tls-failed');
    assert.match(leafFinding.fix.command, /export CODEX_CA_CERTIFICATE=/);
    assert.equal(leafFinding.evidence.certificate.codexRefuses, undefined);
    // Its fix saves the certificate the server presents and names it; the same file as written here.
    const saved = join(scratch, 'server-cert.pem');
    writeFileSync(saved, certs.selfSignedLeaf.cert);

    const fixedToml = configToml({ 'self-ca': { url: fixedUrl } });
    const leafToml = configToml({ 'self-leaf': { url: leaf } });
    const [c1, c2, d1] = await Promise.all([
      codex(fixedToml, { CODEX_CA_CERTIFICATE: join(work, 'ca.pem') }),
      codex(leafToml, { CODEX_CA_CERTIFICATE: saved }),
      doctor(fixedToml, { CODEX_CA_CERTIFICATE: join(work, 'ca.pem') }),
    ]);
    assert.equal(c1.servers['self-ca']?.connected, true, c1.servers['self-ca']?.error);
    assert.equal(c2.servers['self-leaf']?.connected, true, c2.servers['self-leaf']?.error);
    assert.notEqual(d1.byName('self-ca').status, 'fail', codesOf(d1.byName('self-ca')).join(', '));
  });
});
