import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates made at test time with the openssl CLI (node:crypto cannot issue X.509): a private
 * CA, a leaf it signs for 127.0.0.1, an expired leaf, a leaf for another host name, and a
 * self-signed leaf. Nothing is committed; the directory is removed by cleanup().
 */

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestCerts {
  dir: string;
  /** The CA certificate (PEM) and its path, as CODEX_CA_CERTIFICATE / SSL_CERT_FILE would name it. */
  ca: { cert: string; path: string };
  /** Signed by the CA for IP:127.0.0.1 and DNS:localhost, valid now. */
  valid: KeyPair;
  /** Signed by the CA for 127.0.0.1, valid from 2020-01-01 to 2021-01-01. */
  expired: KeyPair;
  /** Signed by the CA for DNS:mcp.other.example only. */
  otherHost: KeyPair;
  /** Self-signed for 127.0.0.1 (no CA); `openssl req -x509`'s default makes it CA:TRUE. */
  selfSigned: KeyPair;
  /** Self-signed for 127.0.0.1 as a leaf: CA:FALSE, extendedKeyUsage serverAuth, IP in subjectAltName. */
  selfSignedLeaf: KeyPair & { path: string };
  /** Signed by the CA for IP:127.0.0.1 and DNS:localhost, extendedKeyUsage clientAuth only. */
  clientAuthOnly: KeyPair;
  /** Signed by the CA, CN=localhost, no subjectAltName (v3: basicConstraints CA:FALSE). */
  cnOnly: KeyPair;
  /** Signed by the CA, CN=localhost, no extensions at all: an X.509 v1 certificate. */
  v1: KeyPair;
  /** Signed by the CA for DNS:localhost only (reached as 127.0.0.1: the IP is not in the SAN). */
  dnsOnly: KeyPair;
  cleanup(): void;
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-certs-'));
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mcp-doctor test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    // `openssl ca` is the one command that takes explicit validity dates (for the expired leaf).
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = test_ca',
        '[test_ca]',
        `dir = ${dir}`,
        'database = $dir/index.txt',
        'serial = $dir/serial',
        'new_certs_dir = $dir',
        'certificate = $dir/ca.pem',
        'private_key = $dir/ca.key',
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'copy_extensions = copy',
        '[any]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    const leaf = (name: string, san: string | string[], dates: string[], cn = name) => {
      const exts = (Array.isArray(san) ? san : [`subjectAltName=${san}`]).flatMap((e) => ['-addext', e]);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`, ...exts], dir);
      openssl(['ca', '-batch', '-notext', '-config', 'ca.cnf', '-in', `${name}.csr`, '-out', `${name}.pem`, ...dates], dir);
      return { key: read(`${name}.key`), cert: read(`${name}.pem`) };
    };
    const valid = leaf('valid', 'IP:127.0.0.1,DNS:localhost', ['-days', '2']);
    const expired = leaf('expired', 'IP:127.0.0.1,DNS:localhost', ['-startdate', '20200101000000Z', '-enddate', '20210101000000Z']);
    const otherHost = leaf('other-host', 'DNS:mcp.other.example', ['-days', '2']);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], dir);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self-leaf.key', '-out', 'self-leaf.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment'], dir);
    const clientAuthOnly = leaf('client-auth', ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=clientAuth', 'basicConstraints=CA:FALSE'], ['-days', '2']);
    const cnOnly = leaf('cn-only', ['basicConstraints=CA:FALSE'], ['-days', '2'], 'localhost');
    const v1 = leaf('v1', [], ['-days', '2'], 'localhost');
    const dnsOnly = leaf('dns-only', 'DNS:localhost', ['-days', '2']);
    return {
      dir,
      ca: { cert: read('ca.pem'), path: join(dir, 'ca.pem') },
      valid,
      expired,
      otherHost,
      selfSigned: { key: read('self.key'), cert: read('self.pem') },
      selfSignedLeaf: { key: read('self-leaf.key'), cert: read('self-leaf.pem'), path: join(dir, 'self-leaf.pem') },
      clientAuthOnly,
      cnOnly,
      v1,
      dnsOnly,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
