import type { ServerConfig } from '../../config/server-config.ts';
import { HTTP_MAX_HEADER_BYTES, HTTP_MAX_RESPONSE_HEADERS } from '../../limits.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import { timeoutFix } from '../../config/timeout-fix.ts';
import type { Finding, Fix, StageName } from '../../types.ts';
import { tlsProblem, type NetFailure } from './classify-network-error.ts';
import type { HttpResponse } from './http-exchange.ts';
import { proxyRoute, type ProxyRoute, type ProxySetting } from '../../config/network-env.ts';

/** Findings and fixes shared by the HTTP stages: network failures, URL and bridge snippets. */

const PHASE_WORDS: Record<NetFailure['phase'], string> = {
  connect: 'while connecting',
  headers: 'waiting for the response headers',
  'first-event': 'waiting for the first event of the response stream',
  body: 'while reading the response body',
};

export function isFigmaDesktop(url: URL): boolean {
  return url.port === '3845' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname) || url.hostname.startsWith('127.');
}

const FIGMA_HINT =
  'This is the address of the Figma desktop app\'s Dev Mode MCP server: open Figma desktop, enable the MCP server in Dev Mode preferences, and make sure no other program holds port 3845 (Figma serves only /mcp; /sse was dropped).';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** Where requests to `url` go under the proxy variables the dispatcher applies (none: direct). */
export function routeOf(ctx: ServerContext, url: string): ProxyRoute {
  const network = ctx.deps.network;
  if (!network) return { kind: 'direct' };
  try {
    return proxyRoute(new URL(url), network.proxy);
  } catch {
    return { kind: 'direct' };
  }
}

/** "via the proxy http://proxy:3128 ($HTTPS_PROXY)", "direct (NO_PROXY entry 10.0.0.0/8 exempts it from $HTTPS_PROXY)". */
export function describeRoute(ctx: ServerContext, route: ProxyRoute): string | undefined {
  switch (route.kind) {
    case 'direct':
      return undefined;
    case 'proxy':
      return `via the proxy ${ctx.redact.url(route.proxy.url)} ($${route.proxy.variable})`;
    case 'exempt':
      return `direct: $${route.variable} entry "${route.entry}" exempts it from the proxy in $${route.proxy.variable}`;
  }
}

/** A failed request → net.* finding with a fix for the class of failure. */
export function networkFinding(ctx: ServerContext, failure: NetFailure, url: string, what: string, stage: StageName, limitMs?: number): Finding {
  const target = new URL(url);
  const hostPort = `${target.hostname}:${target.port || (target.protocol === 'https:' ? '443' : '80')}`;
  const name = ctx.server.name;
  const route = routeOf(ctx, url);
  const evidence = ctx.redact.value({
    url: ctx.redact.url(url),
    request: what,
    phase: failure.phase,
    ...(failure.code && { code: failure.code }),
    error: failure.detail,
    ...(route.kind === 'proxy' && { proxy: ctx.redact.url(route.proxy.url), proxyVariable: route.proxy.variable }),
  });
  // Through a proxy the socket goes to the proxy: a refused or silent connection is the proxy's.
  const proxyConnect = route.kind === 'proxy' && failure.phase === 'connect' && ['dns', 'refused', 'timeout', 'reset'].includes(failure.kind);
  if (route.kind === 'proxy' && (failure.kind === 'proxy' || proxyConnect)) return proxyFinding(ctx, route.proxy, target, stage, evidence, failure);
  switch (failure.kind) {
    case 'dns':
      return makeFinding('net.dns-failed', {
        stage,
        message: `The host name "${target.hostname}" of "${name}" does not resolve (${failure.code}).`,
        evidence,
        fix: { summary: `Check the host name in url (a typo?); if it is an internal name, connect the VPN or use a name this machine can resolve.` },
      });
    case 'refused': {
      const figma = isFigmaDesktop(target);
      return makeFinding('net.connection-refused', {
        stage,
        message: `Nothing accepts connections on ${hostPort} (${failure.code}): the server for "${name}" is not running there, or the port is wrong.${figma ? ` ${FIGMA_HINT}` : ''}`,
        evidence,
        fix: { summary: figma ? 'Start Figma desktop and enable its Dev Mode MCP server.' : `Start the server (or the app that provides it), and check the port in url.` },
      });
    }
    case 'tls':
      return tlsFinding(ctx, failure, target, stage, evidence);
    case 'timeout': {
      const limit = limitMs !== undefined ? ` within ${seconds(limitMs)}` : '';
      const who = failure.byDeadline
        ? ctx.options.timeoutMs !== undefined && ctx.options.timeoutMs < ctx.codexBudgetMs
          ? ` (the --timeout of ${seconds(ctx.options.timeoutMs)})`
          : ` (Codex allows startup_timeout_sec = ${ctx.server.startupTimeoutSec} s for the whole start)`
        : '';
      const phaseText =
        failure.phase === 'connect'
          ? `could not connect to ${hostPort}${limit}`
          : `sent ${what} but got no answer${limit}${who}: it stalled ${PHASE_WORDS[failure.phase]}`;
      return makeFinding('net.timeout', {
        stage,
        message: `mcp-doctor ${phaseText}.`,
        evidence,
        fix:
          failure.phase === 'connect'
            ? { summary: 'Check that the host is reachable from here (firewall, VPN, proxy: Codex honours HTTPS_PROXY / NO_PROXY).' }
            : { summary: `Check that the server is healthy (its logs); if it is only slow, allow it more time.`, toml: timeoutFix(ctx).toml },
      });
    }
    case 'reset':
    case 'proxy':
    case 'other':
      // undici (llhttp) refuses a response head with bytes HTTP forbids; hyper (Codex) does too
      // ("error sending request", measured with 0.171.0): name the header, not a reset.
      if (failure.code === 'UND_ERR_HEADERS_OVERFLOW' || failure.code === 'MCP_DOCTOR_TOO_MANY_HEADERS') {
        const many = failure.code === 'MCP_DOCTOR_TOO_MANY_HEADERS';
        return makeFinding('wire.headers-too-large', {
          stage,
          message: many
            ? `The answer of ${hostPort} to ${what} has ${failure.detail}. Codex's HTTP client (hyper) refuses such a response: Codex fails ("error sending request for url", measured with 0.171.0: 100 header lines connect, 101 fail).`
            : `The response headers of ${hostPort} to ${what} are larger than ${HTTP_MAX_HEADER_BYTES} bytes. Codex's HTTP client (hyper) refuses a response head this large: Codex fails ("error sending request for url", measured with 0.171.0: about 504 KB connects, 508 KB and more fail).`,
          evidence: { ...evidence, ...(many ? { limitLines: HTTP_MAX_RESPONSE_HEADERS } : { limitBytes: HTTP_MAX_HEADER_BYTES }) },
        });
      }
      if (/Invalid header (value char|token)|HPE_INVALID_HEADER|Invalid character in header/i.test(failure.detail)) {
        return makeFinding('wire.invalid-header', {
          stage,
          message: `The answer of ${hostPort} to ${what} has a response header with a character HTTP forbids (${failure.detail}), typically a raw control character in a header value. HTTP clients refuse the whole response: Codex fails too ("error sending request for url").`,
          evidence,
        });
      }
      return makeFinding('net.connection-reset', {
        stage,
        message: `The connection to ${hostPort} was closed before ${what} got an answer (${failure.code ?? 'no code'}): ${failure.detail}.`,
        evidence,
        fix: { summary: 'Check the server\'s logs: it (or a proxy in front of it) dropped the connection. A plain-HTTP server reached with https:// (or the reverse) also looks like this.' },
      });
  }
}

function tlsFinding(ctx: ServerContext, failure: NetFailure, target: URL, stage: StageName, evidence: Record<string, unknown>): Finding {
  const problem = tlsProblem(failure.code);
  const name = ctx.server.name;
  const bundle = ctx.deps.network?.ca;
  const trusted = bundle && !bundle.error ? ` (mcp-doctor trusted the CA bundle in $${bundle.variable}, ${bundle.path}, as Codex does)` : '';
  const caFix: Fix = {
    summary:
      'If the certificate comes from a private CA or a corporate TLS proxy, point Codex at that CA\'s certificate (PEM, full chain) in the environment Codex starts in: CODEX_CA_CERTIFICATE (or SSL_CERT_FILE, which Codex reads when CODEX_CA_CERTIFICATE is unset).',
    command: 'export CODEX_CA_CERTIFICATE=/path/to/ca-bundle.pem',
  };
  const messages: Record<typeof problem, string> = {
    'self-signed': `The TLS certificate of ${target.host} is self-signed (${failure.code}), so nothing vouches for it${trusted}.`,
    'unknown-ca': `The TLS certificate of ${target.host} is signed by a CA this machine does not trust (${failure.code}): a private CA, or a corporate TLS proxy${trusted}.`,
    expired: `The TLS certificate of ${target.host} is expired or not yet valid (${failure.code}).`,
    'wrong-host': `The TLS certificate presented by ${target.host} is for another host name (${failure.code}).`,
    'ca-as-leaf': `The TLS certificate of ${target.host} is a CA certificate (basicConstraints CA:TRUE) used as the server's own certificate (${failure.code}). Node accepts it once it is trusted, but Codex's TLS library (rustls) refuses it (measured: a self-signed CA:TRUE certificate named in CODEX_CA_CERTIFICATE still fails).`,
    webpki: `The TLS certificate of ${target.host} is trusted, but Codex's TLS library (rustls/webpki) refuses it (${failure.detail}).`,
    'not-tls': `${target.host} does not speak TLS on this port (${failure.code}): the URL says https://, but the server answers plain HTTP.`,
    other: `The TLS handshake with ${target.host} failed (${failure.code}).`,
  };
  const fixes: Record<typeof problem, Fix> = {
    'self-signed': {
      summary:
        'Trust that certificate where Codex starts: name it in CODEX_CA_CERTIFICATE (or SSL_CERT_FILE). Codex accepts a self-signed server certificate that way only when it is not a CA certificate (CA:FALSE); better, issue the server a certificate from a private CA and name the CA.',
      command: 'export CODEX_CA_CERTIFICATE=/path/to/server-cert.pem',
    },
    'unknown-ca': caFix,
    expired: { summary: 'A server-side fix: renew the certificate. (If the clock of this machine is wrong, fix the clock.)' },
    'wrong-host': { summary: 'Use the host name the certificate was issued for in url, or have the server present a certificate for this name.' },
    'ca-as-leaf': {
      summary: 'A server-side fix: serve a leaf certificate (CA:FALSE) issued by that CA, and name the CA in CODEX_CA_CERTIFICATE. (`openssl req -x509` makes CA:TRUE certificates unless told otherwise.)',
    },
    webpki: { summary: 'A server-side fix: serve a version 3 leaf certificate (CA:FALSE, extendedKeyUsage serverAuth, the host in subjectAltName) issued by a CA trusted in CODEX_CA_CERTIFICATE.' },
    'not-tls': {
      summary: 'Use http:// for this server if it really serves plain HTTP (only sensible on a trusted network or loopback).',
      toml: `${serverHeader(name)}\nurl = ${JSON.stringify(ctx.redact.url(target.href.replace(/^https:/, 'http:')))}`,
    },
    other: caFix,
  };
  return makeFinding('net.tls-failed', {
    stage,
    message: `${messages[problem]} Codex fails the same way ("error sending request for url").`,
    evidence: { ...evidence, cause: problem, ...(bundle && !bundle.error && { caBundle: { variable: bundle.variable, path: bundle.path } }) },
    fix: fixes[problem],
  });
}

/** A proxy named by HTTP(S)_PROXY / ALL_PROXY could not be used: unreachable, 407, or a refused CONNECT. */
function proxyFinding(ctx: ServerContext, proxy: ProxySetting, target: URL, stage: StageName, evidence: Record<string, unknown>, failure: NetFailure): Finding {
  const shown = ctx.redact.url(proxy.url);
  const host = target.hostname;
  const noProxy = ctx.deps.network?.proxy.noProxy;
  const exempt: Fix = {
    summary: `If ${host} should be reached without the proxy, add it to NO_PROXY where Codex starts (Codex honours NO_PROXY: host names match their subdomains; IP addresses and CIDR blocks work; host:port entries do not).`,
    command: `export NO_PROXY=${JSON.stringify(noProxy ? `${noProxy.value},${host}` : host)}`,
  };
  const withCredentials = (() => {
    try {
      return new URL(proxy.url).username !== '';
    } catch {
      return false;
    }
  })();
  let message: string;
  let fix: Fix;
  if (failure.proxyStatus === 407) {
    message = `The proxy ${shown} that $${proxy.variable} names for this URL demands authentication (HTTP 407)${withCredentials ? ' and refused the user:password in its URL' : ', and its URL carries no user:password'}. Codex goes through the same proxy and fails ("HTTP 407").`;
    fix = { summary: `Put the proxy credentials into $${proxy.variable} as http://user:password@host:port (percent-encode special characters), or exempt ${host} with NO_PROXY.`, command: `export ${proxy.variable}=http://USER:PASSWORD@proxy-host:port` };
  } else if (failure.kind === 'proxy') {
    message = `The proxy ${shown} that $${proxy.variable} names refused to open a tunnel to ${target.host} (HTTP ${failure.proxyStatus} to CONNECT). Codex goes through the same proxy and fails ("error sending request for url").`;
    fix = { ...exempt, summary: `Ask for ${target.host} to be allowed on the proxy. ${exempt.summary}` };
  } else {
    message = `Could not reach the proxy ${shown} that $${proxy.variable} names for this URL (${failure.code ?? failure.kind}, ${failure.kind === 'timeout' ? 'no connection in time' : 'while connecting'}): the request never got to ${target.host}. Codex uses the same proxy and fails ("error sending request for url").`;
    fix = { ...exempt, summary: `Check that the proxy runs at that address and that $${proxy.variable} is right. ${exempt.summary}` };
  }
  return makeFinding('net.proxy-failed', { stage, message, evidence: { ...evidence, ...(failure.proxyStatus && { proxyStatus: failure.proxyStatus }) }, fix });
}

/** Keys Codex rejects on a stdio server (`… is not supported for stdio`). */
const HTTP_ONLY_KEYS = ['url', 'bearer_token_env_var', 'bearer_token', 'http_headers', 'env_http_headers', 'http_headers_helper', 'oauth', 'oauth_resource', 'auth'];

/** `[mcp_servers.NAME]` with the name quoted when it is not a bare key. */
export function serverHeader(name: string): string {
  return `[mcp_servers.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
}

export function tomlArray(values: string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

export function urlFix(ctx: ServerContext, url: string, summary: string): Fix {
  return { summary, toml: `${serverHeader(ctx.server.name)}\nurl = ${JSON.stringify(ctx.redact.url(url))}` };
}

/**
 * A stdio bridge through mcp-remote carrying over the configured credentials: `${VAR}` in a
 * `--header` value is expanded by mcp-remote itself, so the variable is forwarded with env_vars.
 */
export function bridgeFix(ctx: ServerContext, url: string, extraArgs: string[], summary: string): Fix {
  const server: ServerConfig = ctx.server;
  const target = new URL(url);
  const args = ['-y', 'mcp-remote', ctx.redact.url(url), ...extraArgs];
  if (target.protocol === 'http:' && !isLoopback(target)) args.push('--allow-http');
  const envVars: string[] = [];
  let hasAuthorization = false;
  if (server.bearerTokenEnvVar) {
    args.push('--header', `Authorization:Bearer \${${server.bearerTokenEnvVar}}`);
    envVars.push(server.bearerTokenEnvVar);
    hasAuthorization = true;
  }
  for (const [header, value] of Object.entries(server.httpHeaders)) {
    if (hasAuthorization && header.toLowerCase() === 'authorization') continue;
    args.push('--header', `${header}:${value}`);
  }
  for (const [header, variable] of Object.entries(server.envHttpHeaders)) {
    args.push('--header', `${header}:\${${variable}}`);
    if (!envVars.includes(variable)) envVars.push(variable);
  }
  const lines = [serverHeader(server.name), 'command = "npx"', `args = ${tomlArray(args)}`];
  if (envVars.length > 0) lines.push(`env_vars = ${tomlArray(envVars)}`);
  const secretsInline = Object.keys(server.httpHeaders).length > 0;
  const remove = HTTP_ONLY_KEYS.filter((key) => Object.hasOwn(server.raw, key));
  return {
    summary:
      `${summary} This makes it a stdio server: remove ${remove.length > 0 ? remove.join(', ') : 'url'} from [mcp_servers.${server.name}] (Codex rejects ${remove.length > 1 ? 'them' : 'it'} on a stdio server) and set command and args as shown.` +
      (secretsInline ? ' Put the http_headers values back where the snippet shows <redacted>.' : ''),
    // Static header values are the user's own secrets: they go through redaction like all output.
    toml: ctx.redact.text(lines.join('\n')),
    ...(remove.length > 0 && { remove }),
    ...(secretsInline && { template: true }),
  };
}

/** The `<title>` of an HTML page, for "this URL serves a web page" messages. */
export function htmlTitle(body: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body);
  if (!match) return undefined;
  const title = match[1]!.replace(/\s+/g, ' ').trim();
  return title === '' ? undefined : title.slice(0, 200);
}

export function looksLikeHtml(response: HttpResponse): boolean {
  return response.contentType === 'text/html' || /^\s*<(!doctype|html|head|body)/i.test(response.body);
}

/** A short, redacted, single-line body preview for evidence. */
export function bodyPreview(ctx: ServerContext, body: string, max = 500): string {
  const text = body.length > max ? `${body.slice(0, max)}…` : body;
  return ctx.redact.text(text);
}
