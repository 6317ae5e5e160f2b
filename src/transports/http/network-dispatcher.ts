import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { loadPem, proxyRoute, readCaBundle, readProxyEnv, type CaBundle, type Env, type NetworkEnv, type ProxyEnv, type ReadFile } from '../../config/network-env.ts';
import { certFacts, webpkiRefusals } from './tls-inspect.ts';
import { Agent, Pool, ProxyAgent, type Dispatcher } from './undici-core.ts';
import { HTTP_MAX_HEADER_BYTES } from '../../limits.ts';

/**
 * An undici dispatcher that applies the proxy and CA settings Codex reads from its environment
 * (config/network-env.ts has how it reads them) the way Codex's reqwest client does. undici's own
 * EnvHttpProxyAgent is not used; config/network-env.ts says why.
 */

/** The trusted roots: the bundle's certificates on top of SSL_CERT_FILE's (when it loads) or the system's. */
function trustedRoots(env: Env, bundle: CaBundle, read: ReadFile): string[] {
  const ssl = env.SSL_CERT_FILE?.trim();
  const base = ssl ? loadPem(ssl, read) : undefined;
  const roots = base && !base.error ? base.certs : [...rootCertificates];
  return [...roots, ...bundle.certs];
}

/**
 * rustls (webpki) refuses server certificates Node accepts from `ca`: a CA certificate as the
 * end entity, a v1 certificate, an extendedKeyUsage without serverAuth, a host name only in the
 * CN (tls-inspect.ts). The dispatcher refuses them too, as Codex would.
 */
function refuseLikeWebpki(host: string, cert: PeerCertificate): Error | undefined {
  if (cert.ca) {
    return Object.assign(new Error('the server certificate is a CA certificate (basicConstraints CA:TRUE); rustls refuses it as an end-entity certificate'), {
      code: 'CA_USED_AS_END_ENTITY',
    });
  }
  if (cert.raw) {
    const refused = webpkiRefusals(certFacts(cert.raw, cert), host, Date.now()).filter((r) => r === 'v1' || r === 'no-server-auth' || r === 'cn-only');
    if (refused.length > 0) return Object.assign(new Error(`rustls refuses the server certificate (${refused.join(', ')})`), { code: 'CERT_REFUSED_BY_WEBPKI' });
  }
  return checkServerIdentity(host, cert);
}

/** A dispatcher routing each origin directly or through its proxy, trusting `ca` when given. */
export function createNetworkDispatcher(proxy: ProxyEnv, ca?: string[]): Dispatcher {
  const tls = ca ? { ca, checkServerIdentity: refuseLikeWebpki } : undefined;
  return new Agent({
    maxHeaderSize: HTTP_MAX_HEADER_BYTES,
    ...(tls && { connect: tls }),
    factory: (origin, opts) => {
      const route = proxyRoute(new URL(String(origin)), proxy);
      if (route.kind !== 'proxy') return new Pool(origin, opts);
      return new ProxyAgent({
        uri: route.proxy.url,
        // reqwest sends http:// requests to the proxy in absolute form, and tunnels only https://.
        proxyTunnel: false,
        maxHeaderSize: HTTP_MAX_HEADER_BYTES,
        ...(tls && { requestTls: tls, proxyTls: tls }),
      });
    },
  });
}

/**
 * What the environment asks of Codex's HTTP client, and the dispatcher that does the same;
 * none when no proxy or CA variable is set (undici's global dispatcher then serves).
 */
export function networkFromEnv(env: Env, read: ReadFile): { network?: NetworkEnv; dispatcher?: Dispatcher } {
  const proxy = readProxyEnv(env);
  const ca = readCaBundle(env, read);
  if (!proxy.http && !proxy.https && !ca) return {};
  const roots = ca && !ca.error ? trustedRoots(env, ca, read) : undefined;
  return { network: { proxy, ...(ca && { ca }) }, dispatcher: createNetworkDispatcher(proxy, roots) };
}
