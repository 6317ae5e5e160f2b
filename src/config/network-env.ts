import { BlockList, isIP } from 'node:net';

/**
 * The network settings Codex takes from its environment for Streamable HTTP (the undici
 * dispatcher that applies them the same way is transports/http/network-dispatcher.ts):
 *
 * - Proxies as reqwest/hyper-util read them (measured against Codex 0.169.0): `HTTP_PROXY` for
 *   http:// URLs and `HTTPS_PROXY` for https://, upper case before lower case, `ALL_PROXY` for
 *   both when the specific one is unset; `NO_PROXY` entries are domains (matching subdomains),
 *   IP addresses or CIDR blocks, or `*` (a `host:port` entry matches nothing); no implicit
 *   exemption for loopback; nothing at all under CGI (`REQUEST_METHOD` set). http:// goes to the
 *   proxy as an absolute-form request, https:// through a CONNECT tunnel; `user:pass@` in the
 *   proxy URL becomes Basic Proxy-Authorization.
 * - The CA bundle: `CODEX_CA_CERTIFICATE`, else `SSL_CERT_FILE`, is added to the trusted roots;
 *   when the selected file is unreadable or holds no CERTIFICATE block Codex fails every HTTP
 *   request. `SSL_CERT_FILE`, when it loads, replaces the system roots (rustls-native-certs).
 *   rustls refuses a server certificate that is itself a CA (basicConstraints CA:TRUE), which
 *   Node accepts when it is among the trusted roots: the dispatcher refuses it too.
 *
 * undici's own EnvHttpProxyAgent is not used: it reads lower case first, sends https:// through
 * HTTP_PROXY when HTTPS_PROXY is unset, knows no ALL_PROXY or CIDR, and honours `host:port`
 * entries — each a way to pass where Codex fails, or the reverse.
 */

export interface ProxySetting {
  /** The proxy URL as written (may hold credentials: redact before showing). */
  url: string;
  /** The variable it came from (`HTTPS_PROXY`, `all_proxy`...). */
  variable: string;
}

export interface ProxyEnv {
  http?: ProxySetting;
  https?: ProxySetting;
  noProxy?: { value: string; variable: string };
  /** `REQUEST_METHOD` is set: reqwest ignores every proxy variable (the httpoxy guard). */
  cgi?: boolean;
}

export type ProxyRoute =
  | { kind: 'direct' }
  | { kind: 'proxy'; proxy: ProxySetting }
  /** A proxy is set for this scheme, but NO_PROXY exempts the host. */
  | { kind: 'exempt'; proxy: ProxySetting; variable: string; entry: string };

export interface CaBundle {
  /** `CODEX_CA_CERTIFICATE`, or `SSL_CERT_FILE` when the former is unset or empty. */
  variable: 'CODEX_CA_CERTIFICATE' | 'SSL_CERT_FILE';
  path: string;
  /** PEM certificates read from the file. */
  certs: string[];
  /** Why the file is unusable (then Codex fails every HTTP request). */
  error?: string;
}

export interface NetworkEnv {
  proxy: ProxyEnv;
  ca?: CaBundle;
}

export type Env = Record<string, string | undefined>;
export type ReadFile = (path: string) => string;

/** The first variable that is set, even to "" (hyper-util's `get_first_env`: "" then means none). */
function firstSet(env: Env, names: string[]): { value: string; variable: string } | undefined {
  for (const variable of names) {
    const value = env[variable];
    if (value !== undefined) return { value, variable };
  }
  return undefined;
}

function proxySetting(found: { value: string; variable: string } | undefined): ProxySetting | undefined {
  if (!found || found.value.trim() === '') return undefined;
  const raw = found.value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    const url = new URL(withScheme);
    if (!['http:', 'https:', 'socks5:', 'socks5h:'].includes(url.protocol) || url.host === '') return undefined;
    return { url: withScheme, variable: found.variable };
  } catch {
    return undefined;
  }
}

export function readProxyEnv(env: Env): ProxyEnv {
  if (env.REQUEST_METHOD !== undefined) return { cgi: true };
  const all = proxySetting(firstSet(env, ['ALL_PROXY', 'all_proxy']));
  const http = proxySetting(firstSet(env, ['HTTP_PROXY', 'http_proxy'])) ?? all;
  const https = proxySetting(firstSet(env, ['HTTPS_PROXY', 'https_proxy'])) ?? all;
  const no = firstSet(env, ['NO_PROXY', 'no_proxy']);
  return { ...(http && { http }), ...(https && { https }), ...(no && no.value.trim() !== '' && { noProxy: no }) };
}

/** The NO_PROXY entry that exempts `host` (a URL hostname, IPv6 in brackets), if any. */
export function noProxyMatch(host: string, noProxy: string): string | undefined {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address, bits] = entry.split('/');
    const entryFamily = isIP(address ?? '');
    if (entryFamily !== 0) {
      if (family !== entryFamily) continue;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const list = new BlockList();
      if (bits === undefined) list.addAddress(address!, type);
      else if (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) list.addSubnet(address!, Number(bits), type);
      else continue;
      if (list.check(bare, type)) return entry;
      continue;
    }
    if (family !== 0) continue;
    if (entry === '*') return entry;
    if (entry === bare || entry.replace(/^\./, '') === bare) return entry;
    if (bare.endsWith(entry) && (entry.startsWith('.') || bare[bare.length - entry.length - 1] === '.')) return entry;
  }
  return undefined;
}

/** Where a request to `url` goes under these settings. */
export function proxyRoute(url: URL, env: ProxyEnv): ProxyRoute {
  const proxy = url.protocol === 'https:' ? env.https : url.protocol === 'http:' ? env.http : undefined;
  if (!proxy) return { kind: 'direct' };
  const entry = env.noProxy ? noProxyMatch(url.hostname, env.noProxy.value) : undefined;
  if (entry !== undefined) return { kind: 'exempt', proxy, variable: env.noProxy!.variable, entry };
  return { kind: 'proxy', proxy };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function loadPem(path: string, read: ReadFile): { certs: string[]; error?: string } {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { certs: [], error: code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})` };
  }
  const certs = text.match(PEM_CERT) ?? [];
  return certs.length > 0 ? { certs } : { certs, error: 'holds no CERTIFICATE block' };
}

export function readCaBundle(env: Env, read: ReadFile): CaBundle | undefined {
  const codex = env.CODEX_CA_CERTIFICATE?.trim();
  const ssl = env.SSL_CERT_FILE?.trim();
  const variable = codex ? 'CODEX_CA_CERTIFICATE' : ssl ? 'SSL_CERT_FILE' : undefined;
  if (!variable) return undefined;
  const path = (variable === 'CODEX_CA_CERTIFICATE' ? codex : ssl)!;
  return { variable, path, ...loadPem(path, read) };
}
