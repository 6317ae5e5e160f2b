/**
 * What a server's TLS certificate is, and what Codex's TLS stack (rustls with webpki) will refuse
 * in it even once it is trusted. Node (and so a plain check) accepts certificates webpki refuses:
 *
 * - a CA certificate (basicConstraints CA:TRUE) as the server's own certificate: `CaUsedAsEndEntity`
 *   — what `openssl req -x509` makes unless told `-addext basicConstraints=CA:FALSE`;
 * - a version 1 certificate (no extensions at all): `UnsupportedCertVersion`;
 * - an extendedKeyUsage without serverAuth (e.g. clientAuth only): `RequiredEkuNotFound`;
 * - the host name only in the subject CN, no subjectAltName: `NotValidForName` (webpki never reads
 *   the CN; Node falls back to it for DNS names);
 * - an IP address URL whose address is not an IP entry of the subjectAltName: `NotValidForName`;
 * - outside its validity period: `CertExpired` / `CertNotValidYet`.
 * Each measured against Codex 0.171.0 (test/interop/tls-webpki.test.ts).
 *
 * `inspectCertificate` fetches the certificate with a handshake that verifies nothing (the facts are
 * read, never trusted); `webpkiRefusals` is pure.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { setDelay } from '../../deadline.ts';

export type WebpkiRefusal = 'ca-as-leaf' | 'v1' | 'no-server-auth' | 'cn-only' | 'ip-not-in-san' | 'name-not-in-san' | 'expired' | 'not-yet-valid';

export interface CertFacts {
  subject: string;
  issuer: string;
  selfIssued: boolean;
  /** X.509 version (1 or 3). */
  version: number;
  /** basicConstraints CA:TRUE. */
  ca: boolean;
  /** keyUsage bits by name, when the extension is present. */
  keyUsage?: string[];
  /** extendedKeyUsage OIDs, when the extension is present. */
  extKeyUsage?: string[];
  /** subjectAltName entries (`DNS:x`, `IP Address:1.2.3.4`), when present. */
  subjectAltName?: string[];
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';
const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

/** DER length at `i` → [length, offset after it]. */
function derLength(der: Buffer, i: number): [number, number] {
  const first = der[i]!;
  if (first < 0x80) return [first, i + 1];
  const n = first & 0x7f;
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + der[i + 1 + k]!;
  return [len, i + 1 + n];
}

/** The version field of tbsCertificate: absent means v1. */
export function certVersion(der: Buffer): number {
  try {
    let [, i] = derLength(der, 1); // Certificate SEQUENCE
    [, i] = derLength(der, i + 1); // tbsCertificate SEQUENCE
    if (der[i] !== 0xa0) return 1;
    const [, inner] = derLength(der, i + 1);
    // INTEGER 0|1|2
    if (der[inner] !== 0x02) return 1;
    const [len, v] = derLength(der, inner + 1);
    return der.readUIntBE(v, Math.min(len, 6)) + 1;
  } catch {
    return 3;
  }
}

/** keyUsage bits, from the extension's DER (OID 2.5.29.15), when present. */
export function keyUsageOf(der: Buffer): string[] | undefined {
  const oid = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  try {
    let i = at + oid.length;
    if (der[i] === 0x01) i += 3; // critical BOOLEAN
    if (der[i] !== 0x04) return undefined;
    [, i] = derLength(der, i + 1);
    if (der[i] !== 0x03) return undefined;
    const [len, bits] = derLength(der, i + 1);
    const out: string[] = [];
    for (let b = 0; b < (len - 1) * 8 && b < KEY_USAGE_BITS.length; b++) if (der[bits + 1 + (b >> 3)]! & (0x80 >> (b & 7))) out.push(KEY_USAGE_BITS[b]!);
    return out;
  } catch {
    return undefined;
  }
}

export function certFacts(der: Buffer, peer?: Pick<PeerCertificate, 'ext_key_usage'>): CertFacts {
  const x = new X509Certificate(der);
  const san = x.subjectAltName?.split(/,\s*/).filter(Boolean);
  const eku = peer?.ext_key_usage ?? x.keyUsage;
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    selfIssued: x.subject === x.issuer,
    version: certVersion(der),
    ca: x.ca,
    ...(keyUsageOf(der) && { keyUsage: keyUsageOf(der) }),
    ...(eku && eku.length > 0 && { extKeyUsage: eku }),
    ...(san && san.length > 0 && { subjectAltName: san }),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    fingerprint256: x.fingerprint256,
  };
}

/** What webpki refuses in `facts` as the end-entity certificate for `host` (a URL hostname), at `nowMs`. */
export function webpkiRefusals(facts: CertFacts, host: string, nowMs: number): WebpkiRefusal[] {
  const out: WebpkiRefusal[] = [];
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (facts.version < 3) out.push('v1');
  if (facts.ca) out.push('ca-as-leaf');
  if (facts.extKeyUsage && !facts.extKeyUsage.includes(SERVER_AUTH) && !facts.extKeyUsage.includes(ANY_EKU)) out.push('no-server-auth');
  if (!facts.subjectAltName) {
    out.push('cn-only');
  } else if (isIP(bare)) {
    const ips = facts.subjectAltName.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice('IP Address:'.length).toLowerCase());
    if (!ips.includes(bare.toLowerCase())) out.push('ip-not-in-san');
  } else {
    const names = facts.subjectAltName.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase());
    const h = bare.toLowerCase();
    const match = names.some((n) => n === h || (n.startsWith('*.') && h.endsWith(n.slice(1)) && !h.slice(0, -n.length + 1).includes('.')));
    if (!match) out.push('name-not-in-san');
  }
  if (Date.parse(facts.validTo) < nowMs) out.push('expired');
  else if (Date.parse(facts.validFrom) > nowMs) out.push('not-yet-valid');
  return out;
}

/**
 * The server's certificate, from a handshake that verifies nothing (so a certificate Node refuses
 * can still be read). Bounded; undefined when no handshake completes in time.
 */
export function inspectCertificate(url: string, timeoutMs: number): Promise<CertFacts | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(undefined);
  }
  if (target.protocol !== 'https:') return Promise.resolve(undefined);
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  return new Promise((resolve) => {
    let done = false;
    const finish = (facts: CertFacts | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(facts);
    };
    const socket = connect({ host, port: Number(target.port || 443), rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const timer = setDelay(() => finish(undefined), timeoutMs);
    timer.unref?.();
    socket.once('secureConnect', () => {
      try {
        const peer = socket.getPeerCertificate();
        finish(peer?.raw ? certFacts(peer.raw, peer) : undefined);
      } catch {
        finish(undefined);
      }
    });
    socket.once('error', () => finish(undefined));
  });
}
