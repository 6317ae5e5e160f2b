/**
 * Authorization server metadata (RFC 8414 / OpenID Connect Discovery): where it is looked for,
 * what makes it unusable, and how a client gets registered with it.
 *
 * Order (MCP 2025-11-25 "Authorization Server Metadata Discovery", mcp-wire §4.4):
 *   issuer with a path  → /.well-known/oauth-authorization-server/<path>,
 *                         /.well-known/openid-configuration/<path>,
 *                         /<path>/.well-known/openid-configuration
 *   issuer without      → /.well-known/oauth-authorization-server, /.well-known/openid-configuration
 * Codex 0.169 (measured against fixtures/oauth) walks the same order and, when the issuer has a
 * path, ends with the root RFC 8414 URL; without any PRM it takes the MCP URL itself as the issuer.
 * With no metadata anywhere it still logs in through the 2025-03-26 defaults `/authorize`,
 * `/token`, `/register` on the MCP origin — while `codex mcp list` calls the server Unsupported.
 *
 * Severities follow what Codex 0.169 does (contract: error = Codex cannot use it):
 * - error: no authorization/token endpoint, `response_types_supported` without `code` (Codex:
 *   "Invalid scope: code"), PKCE methods without S256, an issuer on another origin or path
 *   ("Authorization server issuer mismatch"), no metadata at an AS the PRM names;
 * - warning: `code_challenge_methods_supported` absent (spec: MUST refuse; Codex and the official
 *   TS SDK proceed; the C# SDK and ruby-mcp-client refuse), `response_types_supported` absent or
 *   OIDC fields missing (the SDK's schema rejects them; Codex logs in), non-https endpoints.
 */
import { createHash } from 'node:crypto';
import type { CodexOAuthGlobals } from '../config/oauth-globals.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { serverHeader, serverSnippet, tomlKey, tomlValue } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, Fix } from '../types.ts';
import { isSecureOrLoopback, parseJsonObject, urlTried, type GetResponse, type HttpGet, type UrlTried } from './http-get.ts';
import { METADATA_PROTOCOL_VERSION } from './protected-resource.ts';
import { scrubForeignDocument } from './fetch-policy.ts';

export type AsMetadataKind = 'oauth' | 'oidc';

export interface AsCandidate {
  url: string;
  kind: AsMetadataKind;
}

function issuerParts(issuer: string): { origin: string; path: string } {
  const u = new URL(issuer);
  return { origin: u.origin, path: u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : u.pathname };
}

/** The MCP 2025-11-25 priority order for one issuer. */
export function asMetadataCandidates(issuer: string): AsCandidate[] {
  const { origin, path } = issuerParts(issuer);
  if (path === '') {
    return [
      { url: `${origin}/.well-known/oauth-authorization-server`, kind: 'oauth' },
      { url: `${origin}/.well-known/openid-configuration`, kind: 'oidc' },
    ];
  }
  return [
    { url: `${origin}/.well-known/oauth-authorization-server${path}`, kind: 'oauth' },
    { url: `${origin}/.well-known/openid-configuration${path}`, kind: 'oidc' },
    { url: `${origin}${path}/.well-known/openid-configuration`, kind: 'oidc' },
  ];
}

/** Codex 0.169's order: the spec's, plus the root RFC 8414 URL when the issuer has a path (measured). */
export function codexAsCandidates(issuer: string): AsCandidate[] {
  const list = asMetadataCandidates(issuer);
  const { origin, path } = issuerParts(issuer);
  if (path !== '') list.push({ url: `${origin}/.well-known/oauth-authorization-server`, kind: 'oauth' });
  return list;
}

/** The 2025-03-26 defaults used when no metadata exists: relative to the MCP server's origin. */
export function legacyEndpoints(serverUrl: string): { authorization_endpoint: string; token_endpoint: string; registration_endpoint: string } {
  const origin = new URL(serverUrl).origin;
  return { authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, registration_endpoint: `${origin}/register` };
}

export type IssuerMatch = 'exact' | 'trailing-slash' | 'different-path' | 'different-origin' | 'missing';

export function compareIssuer(actual: unknown, expected: string): IssuerMatch {
  if (typeof actual !== 'string' || actual === '') return 'missing';
  if (actual === expected) return 'exact';
  const strip = (s: string) => (s.endsWith('/') ? s.slice(0, -1) : s);
  if (strip(actual) === strip(expected)) return 'trailing-slash';
  try {
    return new URL(actual).origin === new URL(expected).origin ? 'different-path' : 'different-origin';
  } catch {
    return 'different-origin';
  }
}

export interface AsProblem {
  field: string;
  detail: string;
  /** error: Codex 0.169 cannot log in; warning: Codex can, the spec or other clients object. */
  severity: 'error' | 'warning';
}

export interface AsMetadataCheck {
  kind: AsMetadataKind;
  issuerMatch: IssuerMatch;
  pkce: 'S256' | 'absent' | 'no-S256';
  registration: { dcr: boolean; cimd: boolean };
  problems: AsProblem[];
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** Validates one metadata document against the issuer used to find it. */
export function checkAsMetadata(doc: Record<string, unknown>, expectedIssuer: string, kind: AsMetadataKind): AsMetadataCheck {
  const problems: AsProblem[] = [];
  const issuerMatch = compareIssuer(doc.issuer, expectedIssuer);
  if (issuerMatch === 'missing') problems.push({ field: 'issuer', detail: 'no `issuer` (RFC 8414: REQUIRED)', severity: 'error' });
  if (issuerMatch === 'different-path' || issuerMatch === 'different-origin') {
    problems.push({
      field: 'issuer',
      detail: `issuer ${JSON.stringify(doc.issuer)} is not the issuer ${expectedIssuer} the metadata was looked up for (RFC 8414 §3.3; Codex: "Authorization server issuer mismatch")`,
      severity: 'error',
    });
  }
  for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
    const v = doc[field];
    if (typeof v !== 'string' || !URL.canParse(v)) problems.push({ field, detail: `no usable \`${field}\``, severity: 'error' });
    else if (!isSecureOrLoopback(v)) problems.push({ field, detail: `\`${field}\` ${v} is not https (MCP: MUST)`, severity: 'warning' });
  }
  const responseTypes = strings(doc.response_types_supported);
  if (!responseTypes) {
    problems.push({
      field: 'response_types_supported',
      detail: '`response_types_supported` is missing (RFC 8414: REQUIRED; the official SDK rejects the document; Codex proceeds)',
      severity: 'warning',
    });
  } else if (!responseTypes.includes('code')) {
    problems.push({
      field: 'response_types_supported',
      detail: `\`response_types_supported\` (${responseTypes.join(', ') || 'empty'}) lacks "code": no client can use the authorization code flow`,
      severity: 'error',
    });
  }
  const methods = strings(doc.code_challenge_methods_supported);
  const pkce: AsMetadataCheck['pkce'] = methods === undefined ? 'absent' : methods.includes('S256') ? 'S256' : 'no-S256';
  if (pkce === 'absent') {
    problems.push({
      field: 'code_challenge_methods_supported',
      detail:
        '`code_challenge_methods_supported` is absent: MCP 2025-11-25 says clients MUST refuse such a server; Codex and the official TS SDK proceed, stricter clients (C# SDK, ruby-mcp-client) refuse',
      severity: 'warning',
    });
  } else if (pkce === 'no-S256') {
    problems.push({
      field: 'code_challenge_methods_supported',
      detail: `PKCE methods ${JSON.stringify(methods)} lack S256, which MCP clients must use (Codex: "does not support the required PKCE code challenge method (S256)")`,
      severity: 'error',
    });
  }
  if (kind === 'oidc') {
    const missing = ['jwks_uri', 'subject_types_supported', 'id_token_signing_alg_values_supported'].filter((f) => doc[f] === undefined);
    if (missing.length) {
      problems.push({
        field: missing.join(', '),
        detail: `OpenID configuration without ${missing.join(', ')} (OIDC Discovery: REQUIRED; the official SDK rejects it; Codex proceeds)`,
        severity: 'warning',
      });
    }
  }
  const registration = {
    dcr: typeof doc.registration_endpoint === 'string' && doc.registration_endpoint !== '',
    cimd: doc.client_id_metadata_document_supported === true,
  };
  return { kind, issuerMatch, pkce, registration, problems };
}

export interface AsDiscovery {
  issuer: string;
  /** `prm`: the issuer came from the PRM; `legacy`: no PRM, the MCP origin is the AS (2025-03-26). */
  source: 'prm' | 'legacy';
  urlsTried: UrlTried[];
  found?: { url: string; kind: AsMetadataKind; metadata: Record<string, unknown>; check: AsMetadataCheck };
  /** Which candidate Codex 0.169 would use (it walks one more URL; see codexAsCandidates). */
  codexFinds?: string;
  /** No metadata: the 2025-03-26 default endpoints, and what a GET of `/authorize` answered. */
  legacy?: { endpoints: ReturnType<typeof legacyEndpoints>; authorizeStatus: number | null };
  findings: Finding[];
}

/** Top-level Codex settings that shape the login (src/config/oauth-globals.ts). */
export type { CodexOAuthGlobals };

export interface DiscoverAsInput {
  serverName: string;
  serverUrl: string;
  /** The AS from the PRM's `authorization_servers[0]`; absent → legacy mode on the MCP origin. */
  issuer?: string;
  get: HttpGet;
  redact: Redactor;
  config?: Pick<ServerConfig, 'oauth' | 'url'>;
  globals?: CodexOAuthGlobals;
}

const ok = (r: GetResponse | undefined) => !!r && r.status >= 200 && r.status < 300;

export async function discoverAuthorizationServer(input: DiscoverAsInput): Promise<AsDiscovery> {
  const { get, redact, serverUrl, serverName } = input;
  const source = input.issuer ? 'prm' : 'legacy';
  // Legacy mode: the SDK takes the origin as the AS; Codex takes the MCP URL (path included).
  const issuer = input.issuer ?? `${new URL(serverUrl).origin}/`;
  const urlsTried: UrlTried[] = [];
  const cache = new Map<string, GetResponse>();
  const fetchOnce = async (c: AsCandidate, purpose: string) => {
    const hit = cache.get(c.url);
    if (hit) return hit;
    const res = await get(c.url, { Accept: 'application/json', 'MCP-Protocol-Version': METADATA_PROTOCOL_VERSION });
    cache.set(c.url, res);
    urlsTried.push(urlTried(purpose, res, c.url, redact));
    return res;
  };

  const spec = source === 'prm' ? asMetadataCandidates(issuer) : [...codexAsCandidates(withoutQuery(serverUrl)), ...asMetadataCandidates(issuer)];
  const discovery: AsDiscovery = { issuer: redact.url(issuer), source, urlsTried, findings: [] };
  let hit: { c: AsCandidate; res: GetResponse; doc: Record<string, unknown> } | undefined;
  for (const c of dedupe(spec)) {
    const res = await fetchOnce(c, `authorization server metadata (${c.kind === 'oauth' ? 'RFC 8414' : 'OpenID'})`);
    if (!ok(res)) continue;
    const doc = scrubForeignDocument(parseJsonObject(res.bodyText), c.url, serverUrl);
    if (doc) {
      hit = { c, res, doc };
      break;
    }
  }
  if (!hit && source === 'prm') {
    // Codex's extra root URL, tried only when the spec order found nothing.
    for (const c of codexAsCandidates(issuer).filter((c) => !cache.has(c.url))) {
      const res = await fetchOnce(c, 'authorization server metadata (Codex: root RFC 8414)');
      const doc = ok(res) ? scrubForeignDocument(parseJsonObject(res.bodyText), c.url, serverUrl) : undefined;
      if (doc) {
        hit = { c, res, doc };
        discovery.codexFinds = redact.url(c.url);
        break;
      }
    }
  }

  if (hit) {
    // In legacy mode the issuer is whatever origin answered; Codex compares the origin there.
    const expected = source === 'legacy' ? issuerForLegacyHit(hit.c.url, hit.doc.issuer) : issuer;
    const check = checkAsMetadata(hit.doc, expected, hit.c.kind);
    discovery.found = { url: redact.url(hit.c.url), kind: hit.c.kind, metadata: redact.value(hit.doc), check };
    discovery.codexFinds ??= redact.url(hit.c.url);
    discovery.findings.push(...metadataFindings(discovery, input));
    return discovery;
  }

  if (source === 'legacy') {
    // No metadata anywhere: clients fall back to /authorize, /token, /register on the MCP origin.
    // A bare GET of /authorize (no client, no redirect) has no side effect; 404 means "absent".
    const endpoints = legacyEndpoints(serverUrl);
    const res = await get(endpoints.authorization_endpoint, { Accept: 'text/html' });
    urlsTried.push(urlTried('2025-03-26 default authorization endpoint', res, endpoints.authorization_endpoint, redact));
    discovery.legacy = { endpoints, authorizeStatus: res.status === 0 ? null : res.status };
    return discovery;
  }

  discovery.findings.push(
    makeFinding('auth.metadata-invalid', {
      message: urlsTried.every((u) => u.error?.startsWith('not fetched'))
        ? `The protected resource metadata of "${serverName}" names the authorization server ${redact.url(issuer)}, an address mcp-doctor does not fetch (see auth.metadata-address-refused), so its metadata was not looked at and the login cannot be checked.`
        : urlsTried.length > 0 && urlsTried.every((u) => u.status === null)
          ? `The protected resource metadata of "${serverName}" names the authorization server ${redact.url(issuer)}, but none of its ${urlsTried.length} well-known metadata URLs answered before the deadline, so the login cannot be checked (Codex's login waits on the same URLs).`
          : `The protected resource metadata of "${serverName}" names the authorization server ${redact.url(issuer)}, but it publishes no metadata at any of the ${urlsTried.length} well-known URLs (RFC 8414 or OpenID), so no client can log in.`,
      evidence: { issuer: redact.url(issuer), urlsTried },
      fix: { summary: 'A server-side fix: publish RFC 8414 metadata for the authorization server, or list the right issuer in `authorization_servers`.' },
    }),
  );
  return discovery;
}

function withoutQuery(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.toString();
}

function dedupe(list: AsCandidate[]): AsCandidate[] {
  const seen = new Set<string>();
  return list.filter((c) => (seen.has(c.url) ? false : (seen.add(c.url), true)));
}

function issuerForLegacyHit(url: string, issuer: unknown): string {
  // Without a PRM there is no issuer identifier to compare with; Codex accepts an issuer on the
  // metadata's origin (measured), so only a foreign origin counts as a mismatch here.
  const origin = new URL(url).origin;
  if (typeof issuer === 'string' && URL.canParse(issuer) && new URL(issuer).origin === origin) return issuer;
  return `${origin}/`;
}

function metadataFindings(d: AsDiscovery, input: DiscoverAsInput): Finding[] {
  const out: Finding[] = [];
  const found = d.found!;
  const { serverName } = input;
  const errors = found.check.problems.filter((p) => p.severity === 'error');
  const warnings = found.check.problems.filter((p) => p.severity === 'warning');
  const evidence = {
    metadataUrl: found.url,
    kind: found.kind === 'oauth' ? 'RFC 8414' : 'OpenID Connect Discovery',
    issuer: found.metadata.issuer,
    expectedIssuer: d.issuer,
    pkce: found.check.pkce,
  };
  if (errors.length) {
    out.push(
      makeFinding('auth.metadata-invalid', {
        message: `The authorization server metadata of "${serverName}" (${found.url}) is unusable: ${errors.map((p) => p.detail).join('; ')}. \`codex mcp login ${serverName}\` fails.`,
        evidence: { ...evidence, problems: found.check.problems.map((p) => `${p.severity}: ${p.detail}`) },
        fix: { summary: 'A server-side fix: publish complete metadata (issuer equal to the issuer URL, authorization_endpoint and token_endpoint, response type "code", PKCE S256).' },
      }),
    );
  } else if (warnings.length) {
    out.push(
      makeFinding('auth.metadata-invalid', {
        severity: 'warning',
        message: `The authorization server metadata of "${serverName}" (${found.url}) works with Codex but breaks other clients: ${warnings.map((p) => p.detail).join('; ')}.`,
        evidence: { ...evidence, problems: warnings.map((p) => p.detail) },
        fix: { summary: 'A server-side fix: add the missing fields (for PKCE: `"code_challenge_methods_supported": ["S256"]`).' },
      }),
    );
  }
  const reg = found.check.registration;
  if (!reg.dcr && !reg.cimd && !input.config?.oauth?.clientId) {
    out.push(registrationUnavailableFinding(serverName, input.serverUrl, found.url, input.config, input.globals));
  }
  return out;
}

// ── Redirect URIs and registration ─────────────────────────────────────────────────────────────

/**
 * Codex's callback id: base64url(SHA-256(server URL without fragment))[first 9 bytes], 12
 * characters (codex-config §2.5). The URL is hashed in its parsed, serialized form: measured on
 * 0.169.0, `http://h:1` hashes as `http://h:1/` (while credentials keep the string as written).
 */
export function codexCallbackId(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.hash = '';
  return createHash('sha256').update(u.toString()).digest().subarray(0, 9).toString('base64url');
}

/** A fixed port to suggest when none is configured: any free port works, it only has to stay fixed. */
export const SUGGESTED_CALLBACK_PORT = 33418;

/**
 * The redirect URI Codex will use: `<callback_url>/<callback_id>` when `mcp_oauth_callback_url`
 * is set, else `http://127.0.0.1:<port>/callback/<callback_id>` (per-server `oauth.callback_port`
 * wins over `mcp_oauth_callback_port`; both measured on 0.169.0). Undefined with an ephemeral port.
 */
export function codexRedirectUri(serverUrl: string, opts: { callbackPort?: number; callbackUrl?: string }): string | undefined {
  const id = codexCallbackId(serverUrl);
  if (opts.callbackUrl) return `${opts.callbackUrl.replace(/\/+$/, '')}/${id}`;
  if (opts.callbackPort) return `http://127.0.0.1:${opts.callbackPort}/callback/${id}`;
  return undefined;
}

export function registrationUnavailableFinding(
  serverName: string,
  serverUrl: string,
  metadataUrl: string,
  config: Pick<ServerConfig, 'oauth'> | undefined,
  globals: CodexOAuthGlobals | undefined,
): Finding {
  const port = config?.oauth?.callbackPort ?? globals?.callbackPort;
  const callbackUrl = config?.oauth?.callbackUrl ?? globals?.callbackUrl;
  const fixedPort = port ?? (callbackUrl ? undefined : SUGGESTED_CALLBACK_PORT);
  const redirect = codexRedirectUri(serverUrl, { callbackPort: fixedPort, callbackUrl })!;
  const lines: Array<[string, unknown]> = [['client_id', '<your client id>']];
  if (!port && !callbackUrl) lines.push(['callback_port', SUGGESTED_CALLBACK_PORT]);
  const fix: Fix = {
    summary:
      `Register an OAuth app with the provider with the redirect URI ${redirect} ` +
      `(Codex appends /callback/${codexCallbackId(serverUrl)} for this URL; the port must stay fixed), then set its client ID` +
      (!port && !callbackUrl ? ` and the fixed callback port (or set the top-level \`mcp_oauth_callback_port = ${SUGGESTED_CALLBACK_PORT}\`).` : '.'),
    toml: serverSnippet(serverName, lines, ['oauth']),
    command: `codex mcp login ${serverName}`,
  };
  return makeFinding('auth.registration-unavailable', {
    message: `The authorization server of "${serverName}" offers neither dynamic client registration (no \`registration_endpoint\`) nor client ID metadata documents, so \`codex mcp login ${serverName}\` fails with "Dynamic client registration not supported" until a pre-registered client ID is configured.`,
    evidence: { metadataUrl, redirectUri: redirect, callbackId: codexCallbackId(serverUrl) },
    fix,
  });
}

/** `[mcp_servers.NAME.oauth]` lines, for callers composing their own snippets. */
export function oauthTableSnippet(serverName: string, entries: Record<string, unknown>): string {
  return [serverHeader(serverName, 'oauth'), ...Object.entries(entries).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)].join('\n');
}
