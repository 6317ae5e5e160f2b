import type { ServerConfig } from '../../config/server-config.ts';
import { makeFinding } from '../../findings/make-finding.ts';
import type { ServerContext } from '../../pipeline/context.ts';
import { timeoutFix } from '../../pipeline/run-server.ts';
import type { Finding, Fix, StageName } from '../../types.ts';
import { tlsProblem, type NetFailure } from './classify-network-error.ts';
import type { HttpResponse } from './http-exchange.ts';

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

/** A failed request → net.* finding with a fix for the class of failure. */
export function networkFinding(ctx: ServerContext, failure: NetFailure, url: string, what: string, stage: StageName, limitMs?: number): Finding {
  const target = new URL(url);
  const hostPort = `${target.hostname}:${target.port || (target.protocol === 'https:' ? '443' : '80')}`;
  const name = ctx.server.name;
  const evidence = ctx.redact.value({ url: ctx.redact.url(url), request: what, phase: failure.phase, ...(failure.code && { code: failure.code }), error: failure.detail });
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
    case 'other':
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
  const caFix: Fix = {
    summary:
      'If the certificate comes from a private CA or a corporate TLS proxy, point Codex at that CA bundle (PEM, full chain) in the environment Codex starts in: CODEX_CA_CERTIFICATE (or SSL_CERT_FILE).',
    command: 'export CODEX_CA_CERTIFICATE=/path/to/ca-bundle.pem',
  };
  const messages: Record<typeof problem, string> = {
    untrusted: `The TLS certificate of ${target.host} is not trusted here (${failure.code}): self-signed, or signed by a CA this machine does not know (a corporate TLS proxy?).`,
    expired: `The TLS certificate of ${target.host} is expired or not yet valid (${failure.code}).`,
    'wrong-host': `The TLS certificate presented by ${target.host} is for another host name (${failure.code}).`,
    'not-tls': `${target.host} does not speak TLS on this port (${failure.code}): the URL says https://, but the server answers plain HTTP.`,
    other: `The TLS handshake with ${target.host} failed (${failure.code}).`,
  };
  const fixes: Record<typeof problem, Fix> = {
    untrusted: caFix,
    expired: { summary: 'A server-side fix: renew the certificate. (If the clock of this machine is wrong, fix the clock.)' },
    'wrong-host': { summary: 'Use the host name the certificate was issued for in url, or have the server present a certificate for this name.' },
    'not-tls': {
      summary: 'Use http:// for this server if it really serves plain HTTP (only sensible on a trusted network or loopback).',
      toml: `${serverHeader(name)}\nurl = ${JSON.stringify(ctx.redact.url(target.href.replace(/^https:/, 'http:')))}`,
    },
    other: caFix,
  };
  return makeFinding('net.tls-failed', { stage, message: `${messages[problem]} Codex fails the same way ("error sending request for url").`, evidence, fix: fixes[problem] });
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
