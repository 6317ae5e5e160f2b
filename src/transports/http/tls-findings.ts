/**
 * A failed TLS handshake, explained from the certificate itself (tls-inspect.ts): whether trusting
 * it (CODEX_CA_CERTIFICATE / SSL_CERT_FILE) can work at all under Codex's rustls/webpki, and when
 * it cannot (a CA:TRUE self-signed certificate, v1, no serverAuth, the name only in the CN, the IP
 * not in the subjectAltName), the certificate to make instead: a leaf issued by a local CA, with
 * the openssl commands, and the CA trusted where Codex starts.
 */
import { isIP } from 'node:net';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import type { Finding, Fix } from '../../types.ts';
import { routeOf, serverHeader } from './http-findings.ts';
import { inspectCertificate, webpkiRefusals, type CertFacts, type WebpkiRefusal } from './tls-inspect.ts';

const WHY: Record<WebpkiRefusal, string> = {
  'ca-as-leaf': 'it is a CA certificate (basicConstraints CA:TRUE) used as the server\'s own certificate, which rustls refuses whatever is trusted (webpki CaUsedAsEndEntity; `openssl req -x509` makes CA:TRUE certificates unless told otherwise)',
  v1: 'it is an X.509 version 1 certificate (no extensions), which rustls refuses (webpki UnsupportedCertVersion)',
  'no-server-auth': 'its extendedKeyUsage does not include serverAuth, which rustls requires of a server certificate (webpki RequiredEkuNotFound)',
  'cn-only': 'it has no subjectAltName: the host name is only in the subject CN, which rustls never reads (webpki NotValidForName)',
  'ip-not-in-san': 'the URL names an IP address that is not an IP entry of its subjectAltName (webpki NotValidForName)',
  'name-not-in-san': 'the URL\'s host name is not among its subjectAltName DNS names (webpki NotValidForName)',
  expired: 'it has expired (webpki CertExpired)',
  'not-yet-valid': 'it is not valid yet (webpki CertNotValidYet)',
};

/** openssl commands for a local CA and a leaf for `host` that webpki accepts. */
export function leafCommands(host: string, opts: { haveCa?: boolean } = {}): string {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const san = isIP(bare) ? `IP:${bare}` : `DNS:${bare}`;
  const ca = opts.haveCa
    ? []
    : [
        '# once: a local CA (keep ca.key private)',
        'openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=local MCP CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"',
      ];
  return [
    ...ca,
    `# the server's certificate, issued by that CA for ${bare}`,
    `openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=${bare}"`,
    `printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth\\nsubjectAltName=${san}\\n' > server.ext`,
    'openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 825 -sha256 -extfile server.ext',
    '# serve server.pem + server.key; where Codex starts:',
    'export CODEX_CA_CERTIFICATE="$PWD/ca.pem"',
  ].join('\n');
}

function factsEvidence(facts: CertFacts, refusals: WebpkiRefusal[]): Record<string, unknown> {
  return {
    subject: facts.subject,
    issuer: facts.issuer,
    selfSigned: facts.selfIssued,
    version: facts.version,
    ca: facts.ca,
    ...(facts.keyUsage && { keyUsage: facts.keyUsage }),
    ...(facts.extKeyUsage && { extKeyUsage: facts.extKeyUsage }),
    subjectAltName: facts.subjectAltName ?? null,
    validTo: facts.validTo,
    ...(refusals.length > 0 && { codexRefuses: refusals }),
  };
}

/**
 * Rewrites a `net.tls-failed` finding with what the certificate is, when it can be read directly
 * (not through a proxy). Other findings pass through unchanged.
 */
export async function refineTlsFinding(ctx: ServerContext, finding: Finding, url: string, inspect = inspectCertificate): Promise<Finding> {
  if (finding.code !== 'net.tls-failed' || routeOf(ctx, url).kind === 'proxy') return finding;
  const facts = await inspect(url, Math.min(3000, Math.max(0, ctx.remainingMs() - 500)));
  if (!facts) return finding;
  const target = new URL(url);
  const host = target.hostname;
  const refusals = webpkiRefusals(facts, host, ctx.deps.clock.epochMs());
  const cause = finding.evidence?.cause;
  const evidence = { ...finding.evidence, certificate: ctx.redact.value(factsEvidence(facts, refusals)) };
  const why = refusals.map((r) => WHY[r]);
  const trusted = ctx.deps.network?.ca && !ctx.deps.network.ca.error ? ctx.deps.network.ca : undefined;

  // Expired certificates keep their finding; the facts back it up.
  if (cause === 'expired') return { ...finding, evidence };
  // A wrong host name: the names it is valid for, and the URL with the first usable one.
  if (cause === 'wrong-host' && !refusals.includes('cn-only')) {
    const names = (facts.subjectAltName ?? []).map((e) => e.replace(/^DNS:/, '').replace(/^IP Address:/, '')).filter((n) => !n.includes('*'));
    if (names.length === 0) return { ...finding, evidence };
    const other = new URL(url);
    other.hostname = isIP(names[0]!) === 6 ? `[${names[0]}]` : names[0]!;
    return {
      ...finding,
      message: `${finding.message} It is valid for ${names.join(', ')} (subjectAltName; Codex never reads the CN), not for ${host}.`,
      evidence,
      fix: { summary: `Use a name the certificate is valid for in url (it must reach the same server), or have the server present a certificate with ${host} in its subjectAltName.`, toml: `${serverHeader(ctx.server.name)}\nurl = ${JSON.stringify(ctx.redact.url(other.href))}` },
    };
  }

  if (refusals.length === 0) {
    if (facts.selfIssued && cause === 'self-signed') {
      const fix: Fix = {
        summary: `The certificate is self-signed but otherwise acceptable to Codex (version 3, CA:FALSE, serverAuth, ${host} in its subjectAltName): save it and name it in CODEX_CA_CERTIFICATE where Codex starts (or SSL_CERT_FILE, which replaces the system roots).`,
        command: `openssl s_client -connect ${target.hostname}:${target.port || 443} -servername ${target.hostname} </dev/null 2>/dev/null | openssl x509 -out server-cert.pem && export CODEX_CA_CERTIFICATE="$PWD/server-cert.pem"`,
      };
      return { ...finding, evidence, fix };
    }
    return { ...finding, evidence };
  }

  const selfSigned = facts.selfIssued;
  const trustWords = trusted
    ? ` mcp-doctor trusted $${trusted.variable} (${trusted.path}) as Codex does, and Codex still refuses it:`
    : ` Naming it (or its CA) in CODEX_CA_CERTIFICATE does not help: Codex's TLS library (rustls/webpki) refuses it even when trusted, because`;
  const message = `The TLS certificate of ${target.host} (${facts.subject}${selfSigned ? ', self-signed' : `, issued by ${facts.issuer}`}) cannot be used by Codex.${trustWords} ${why.join('; ')}. Codex fails with "error sending request for url" (invalid peer certificate).`;
  const fix: Fix = {
    summary: selfSigned
      ? `A server-side fix: serve a leaf certificate (CA:FALSE, extendedKeyUsage serverAuth, ${isIP(host.replace(/^\[|\]$/g, '')) ? 'the IP address' : 'the host name'} in subjectAltName) issued by a local CA, and trust that CA where Codex starts (CODEX_CA_CERTIFICATE, or SSL_CERT_FILE). The commands make both.`
      : 'A server-side fix: re-issue the server certificate from its CA as a version 3 leaf (CA:FALSE, extendedKeyUsage serverAuth, the host in subjectAltName) and keep trusting the CA where Codex starts.',
    command: leafCommands(host, { haveCa: !selfSigned }),
  };
  return makeFinding('net.tls-failed', {
    stage: finding.stage === 'file' ? undefined : finding.stage,
    message,
    evidence,
    fix,
  });
}
