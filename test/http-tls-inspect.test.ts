// What webpki refuses, read from certificates made at test time (src/transports/http/tls-inspect.ts).
// Codex's own answer to each is in test/interop/tls-webpki.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certFacts, certVersion, keyUsageOf, webpkiRefusals } from '../src/transports/http/tls-inspect.ts';
import { makeTestCerts, opensslAvailable, type TestCerts } from './helpers/tls-certs.ts';

describe('tls-inspect', { skip: opensslAvailable() ? false : 'openssl is not installed' }, () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => certs.cleanup());
  const der = (pem: string) => new X509Certificate(pem).raw;
  const refusals = (pem: string, host: string) => webpkiRefusals(certFacts(der(pem)), host, Date.now());

  test('version, basic constraints and key usage from the DER', () => {
    assert.equal(certVersion(der(certs.valid.cert)), 3);
    assert.equal(certVersion(der(certs.v1.cert)), 1);
    assert.deepEqual(keyUsageOf(der(certs.selfSignedLeaf.cert)), ['digitalSignature', 'keyEncipherment']);
    assert.deepEqual(keyUsageOf(der(certs.ca.cert)), ['keyCertSign', 'cRLSign']);
    assert.equal(keyUsageOf(der(certs.valid.cert)), undefined);
    assert.equal(certFacts(der(certs.selfSigned.cert)).ca, true);
    assert.equal(certFacts(der(certs.selfSigned.cert)).selfIssued, true);
  });

  test('each refusal, and none for a good leaf', () => {
    assert.deepEqual(refusals(certs.valid.cert, '127.0.0.1'), []);
    assert.deepEqual(refusals(certs.valid.cert, 'localhost'), []);
    assert.deepEqual(refusals(certs.selfSignedLeaf.cert, '127.0.0.1'), []);
    assert.deepEqual(refusals(certs.selfSigned.cert, '127.0.0.1'), ['ca-as-leaf']);
    assert.deepEqual(refusals(certs.clientAuthOnly.cert, '127.0.0.1'), ['no-server-auth']);
    assert.deepEqual(refusals(certs.cnOnly.cert, 'localhost'), ['cn-only']);
    assert.deepEqual(refusals(certs.v1.cert, 'localhost'), ['v1', 'cn-only']);
    assert.deepEqual(refusals(certs.dnsOnly.cert, '127.0.0.1'), ['ip-not-in-san']);
    assert.deepEqual(refusals(certs.otherHost.cert, 'localhost'), ['name-not-in-san']);
    assert.deepEqual(refusals(certs.expired.cert, '127.0.0.1'), ['expired']);
  });
});
