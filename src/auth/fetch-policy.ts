/**
 * What auth forensics may fetch, and show, of the URLs a server names (a `resource_metadata` in
 * its challenge, `authorization_servers` in its metadata). The user configured one URL; every
 * other URL is the server's choice, so:
 *
 * - a link-local address (169.254.0.0/16, fe80::/10, the cloud metadata host names) is never
 *   fetched: that is where cloud machines serve their own credentials, and no authorization
 *   server lives there;
 * - a private, loopback or unspecified address is fetched only when the configured server is on
 *   the same kind of address (a server on 10.0.0.5 may well have its authorization server on
 *   10.0.0.6; a public server naming 192.168.1.1 or 127.0.0.1 is pointing the doctor at the
 *   user's own network);
 * - host names are not resolved (that would be a request of its own), so they are fetched;
 * - a document fetched from an origin other than the configured one is never shown whole: only
 *   the URL-valued and short enumeration-like fields a diagnosis quotes survive (see
 *   scrubForeignDocument).
 *
 * Codex itself does no OAuth discovery while it starts a server (measured with 0.171: a server
 * answering 401 with a foreign resource_metadata gets no request there); `codex mcp login`
 * follows whatever the server names. The doctor is stricter than the login because it runs
 * unattended, in onboarding scripts, against servers nobody vetted.
 */

export type AddressKind = 'loopback' | 'link-local' | 'private' | 'unspecified' | 'public' | 'name';

/** Host names that are link-local metadata services whatever they resolve to. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'metadata.azure.com']);

/** The kind of a URL host (as `URL.hostname` gives it: IPv6 in brackets), by its literal form. */
export function classifyHost(hostname: string): AddressKind {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (METADATA_NAMES.has(host)) return 'link-local';
  const v4 = parseIpv4(host);
  if (v4) return classifyIpv4(v4);
  if (host.includes(':')) return classifyIpv6(host);
  return 'name';
}

function parseIpv4(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function classifyIpv4([a, b]: number[]): AddressKind {
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b! >= 64 && b! <= 127) return 'private'; // carrier-grade NAT (RFC 6598)
  return 'public';
}

function classifyIpv6(host: string): AddressKind {
  // WHATWG URL parsing normalises IPv6, and IPv4-mapped addresses to ::ffff:a.b.c.d or ::ffff:hhhh:hhhh.
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(host);
  if (mapped) {
    if (mapped[1]) return classifyIpv4(parseIpv4(mapped[1]) ?? [255, 255]);
    const hi = parseInt(mapped[2]!, 16);
    const lo = parseInt(mapped[3]!, 16);
    return classifyIpv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  if (host === '::1') return 'loopback';
  if (host === '::') return 'unspecified';
  const first = parseInt(host.split(':')[0] || '0', 16);
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  return 'public';
}

const LOCALISH: ReadonlySet<AddressKind> = new Set(['loopback', 'private', 'unspecified']);

/**
 * Why `target` (a URL the server named) is not fetched, or undefined when it may be. `configured`
 * is the server's configured URL.
 */
export function fetchRefusal(configured: string | undefined, target: string): string | undefined {
  let t: URL;
  try {
    t = new URL(target);
  } catch {
    return undefined; // the caller reports an invalid URL itself
  }
  const kind = classifyHost(t.hostname);
  if (kind === 'link-local') return `${t.hostname} is a link-local address (where cloud machines serve their own credentials)`;
  if (!LOCALISH.has(kind)) return undefined;
  let own: AddressKind = 'public';
  try {
    if (configured) own = classifyHost(new URL(configured).hostname);
  } catch {
    // no usable configured URL: treat it as public
  }
  if (own === kind || (LOCALISH.has(own) && own !== 'loopback' && kind !== 'loopback')) return undefined;
  return `${t.hostname} is a ${kind} address and the configured server (${own === 'name' ? 'a host name' : `a ${own} address`}) is not`;
}

/** True when `url` is not on the configured URL's origin (so the server chose it). */
export function isForeignOrigin(configured: string | undefined, url: string): boolean {
  try {
    return new URL(url).origin !== new URL(configured ?? '').origin;
  } catch {
    return true;
  }
}

/** A short token a metadata field holds by its nature (S256, client_secret_basic, a scope name). */
const ENUM_LIKE = /^[A-Za-z0-9_.:/-]{1,48}$/;
const NOT_SHOWN = (length: number) => `<${length} characters from an origin the server chose, not shown>`;

/**
 * A document fetched from `url`: unchanged on the configured origin; elsewhere, string values
 * survive only when they are absolute http(s) URLs or short enumeration-like tokens (what
 * OAuth metadata is made of), and objects only one level down. A credential-shaped body (long
 * random strings, keys, free text) is reduced to its shape.
 */
export function scrubForeignDocument<T extends Record<string, unknown> | undefined>(doc: T, url: string, configured: string | undefined): T {
  if (!doc || !isForeignOrigin(configured, url)) return doc;
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return keepString(value) ? value : NOT_SHOWN(value.length);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= 2) return Array.isArray(value) ? `<a list of ${value.length}, not shown>` : '<an object, not shown>';
    if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).slice(0, 100)) out[ENUM_LIKE.test(k) ? k : '<key not shown>'] = scrub(v, depth + 1);
    return out;
  };
  return scrub(doc, 0) as T;
}

function keepString(value: string): boolean {
  if (/^https?:\/\/[^\s]+$/i.test(value) && value.length <= 2048 && URL.canParse(value)) return true;
  // Enumeration-like, and not a random-looking token: letters and digits mixed over 20 characters is a key.
  return ENUM_LIKE.test(value) && !(value.length > 20 && /\d/.test(value) && /[A-Za-z]/.test(value) && !/[_:.-]/.test(value));
}
