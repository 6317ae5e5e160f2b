/**
 * Protected Resource Metadata (RFC 9728): where clients look for it, what they accept, and how
 * its `resource` compares with the configured URL.
 *
 * Three readers disagree (mcp-wire §4.3, §5.1; Codex measured with 0.169.0 against
 * fixtures/oauth, see fixtures/oauth/measure-codex-oauth.ts):
 * - the spec: the challenge's `resource_metadata` if present, else the path-aware well-known URL
 *   (RFC 9728 §3.1 keeps the query), then the root one;
 * - the official TS SDK: the same, keeping the query; falls back to the root only on a 4xx;
 * - Codex 0.169: the challenge's URL; else path-aware WITHOUT the query, then
 *   `<path>/.well-known/oauth-protected-resource`, then the root.
 * For `resource`, Codex 0.169 and the SDK both accept the same origin with the configured path
 * under the PRM path (so `https://h` for `https://h/mcp`, and `https://h/mcp` for `https://h/mcp/`)
 * and reject the rest (`https://h/mcp/` for `https://h/mcp`: "Protected resource metadata
 * resource mismatch"); strict RFC 9728 §3.3 clients (VS Code, gemini-cli) want identity.
 * `oauth_resource` does not change Codex's check (measured).
 */
import type { ServerConfig } from '../config/server-config.ts';
import { serverSnippet } from '../config/toml-snippet.ts';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { isSecureOrLoopback, parseJsonObject, urlTried, type GetResponse, type HttpGet, type UrlTried } from './http-get.ts';
import { scrubForeignDocument } from './fetch-policy.ts';
import { CODEX } from '../codex/codex-version.ts';

/** MCP-Protocol-Version sent on metadata GETs, as the SDK does (Codex sends 2024-11-05). */
export const METADATA_PROTOCOL_VERSION = '2025-11-25';

export type PrmCandidateKind = 'header' | 'path-aware' | 'path-aware-no-query' | 'path-appended' | 'root';

export interface PrmCandidate {
  kind: PrmCandidateKind;
  url: string;
}

/** The URL minus its fragment: the resource identifier clients derive from `url` (RFC 8707 §2). */
export function resourceIdOf(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.hash = '';
  return u.toString();
}

/** Every PRM URL any of the three readers may fetch, in a stable order, without duplicates. */
export function prmCandidates(serverUrl: string, headerUrl?: string): PrmCandidate[] {
  const u = new URL(serverUrl);
  const path = u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : u.pathname;
  const out: PrmCandidate[] = [];
  const add = (kind: PrmCandidateKind, url: string) => {
    if (!out.some((c) => c.url === url)) out.push({ kind, url });
  };
  if (headerUrl) add('header', headerUrl);
  if (path !== '' || u.search) add('path-aware', `${u.origin}/.well-known/oauth-protected-resource${path}${u.search}`);
  if (u.search && path !== '') add('path-aware-no-query', `${u.origin}/.well-known/oauth-protected-resource${path}`);
  if (path !== '') add('path-appended', `${u.origin}${path}/.well-known/oauth-protected-resource`);
  add('root', `${u.origin}/.well-known/oauth-protected-resource`);
  return out;
}

export type ResourceMatch =
  | 'exact'
  | 'trailing-slash-only'
  | 'path-prefix'
  | 'query-string-in-url'
  | 'different-path'
  | 'different-origin'
  | 'non-url';

export interface ResourceComparison {
  match: ResourceMatch;
  /** The PRM resource as published. */
  resource: unknown;
  /** The configured URL minus its fragment. */
  configured: string;
  /** Codex 0.169 accepts it (measured: same origin, configured path under the PRM path, query ignored). */
  codexAccepts: boolean;
  /** The official TS SDK's checkResourceAllowed accepts it (the same rule). */
  sdkAccepts: boolean;
  /** RFC 9728 §3.3 identity (VS Code, gemini-cli). */
  strictAccepts: boolean;
  /** For trailing-slash-only: which side carries the slash. */
  slashOn?: 'resource' | 'url';
}

/** The official SDK's `checkResourceAllowed(requested = configured URL, configured = PRM resource)`. */
function prefixAllowed(configured: URL, resource: URL): boolean {
  if (configured.origin !== resource.origin) return false;
  if (configured.pathname.length < resource.pathname.length) return false;
  const req = configured.pathname.endsWith('/') ? configured.pathname : `${configured.pathname}/`;
  const res = resource.pathname.endsWith('/') ? resource.pathname : `${resource.pathname}/`;
  return req.startsWith(res);
}

export function compareResource(resource: unknown, serverUrl: string): ResourceComparison {
  const configured = resourceIdOf(serverUrl);
  const base = { resource, configured };
  let r: URL | undefined;
  if (typeof resource === 'string') {
    try {
      r = new URL(resource);
    } catch {
      r = undefined;
    }
  }
  // A URN or other opaque URI has no origin to compare: the SDK throws, Codex refuses.
  if (!r || r.origin === 'null') {
    return { ...base, match: 'non-url', codexAccepts: false, sdkAccepts: false, strictAccepts: false };
  }
  const u = new URL(configured);
  const strict = resource === configured || r.toString() === configured;
  const allowed = prefixAllowed(u, r);
  const result = (match: ResourceMatch, extra: Partial<ResourceComparison> = {}): ResourceComparison => ({
    ...base,
    match,
    codexAccepts: allowed,
    sdkAccepts: allowed,
    strictAccepts: strict,
    ...extra,
  });
  if (strict) return result('exact');
  if (r.origin !== u.origin) return result('different-origin');
  if (r.pathname === u.pathname) return result(r.search !== u.search ? 'query-string-in-url' : 'exact');
  if (r.pathname === `${u.pathname}/`) return result('trailing-slash-only', { slashOn: 'resource' });
  if (u.pathname === `${r.pathname}/`) return result('trailing-slash-only', { slashOn: 'url' });
  if (allowed) return result('path-prefix');
  return result('different-path');
}

export interface PrmDocumentCheck {
  ok: boolean;
  document?: Record<string, unknown>;
  /** Human-readable problems; `fatal` ones make the document unusable. */
  problems: Array<{ detail: string; fatal: boolean }>;
  authorizationServers: string[];
  scopesSupported?: string[];
}

/** Validates a PRM answer: a JSON object, `resource`, ≥1 usable `authorization_servers` (MCP MUST). */
export function checkPrmResponse(res: GetResponse, configuredUrl?: string): PrmDocumentCheck {
  const problems: PrmDocumentCheck['problems'] = [];
  // A document from an origin the server chose is never shown whole (fetch-policy.ts).
  const doc = configuredUrl === undefined ? parseJsonObject(res.bodyText) : scrubForeignDocument(parseJsonObject(res.bodyText), res.url, configuredUrl);
  if (!doc) {
    const ct = res.headers['content-type'] ?? 'no content type';
    problems.push({ detail: `the answer is not a JSON object (${ct})`, fatal: true });
    return { ok: false, problems, authorizationServers: [] };
  }
  const ct = res.headers['content-type'];
  if (!ct || !/application\/json/i.test(ct)) problems.push({ detail: `content type ${ct ?? '(none)'} instead of application/json`, fatal: false });
  if (typeof doc.resource !== 'string' || doc.resource === '') problems.push({ detail: 'no `resource` (RFC 9728: REQUIRED)', fatal: true });
  const list = doc.authorization_servers;
  const servers = Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  if (!Array.isArray(list) || servers.length === 0) {
    problems.push({ detail: '`authorization_servers` is missing or empty (MCP: MUST list at least one)', fatal: true });
  }
  for (const s of servers) {
    if (!URL.canParse(s)) problems.push({ detail: `authorization server ${JSON.stringify(s)} is not an absolute URL`, fatal: servers.length === 1 });
    else if (!isSecureOrLoopback(s)) problems.push({ detail: `authorization server ${s} is not https (MCP requires https except on loopback)`, fatal: false });
  }
  const check: PrmDocumentCheck = { ok: !problems.some((p) => p.fatal), document: doc, problems, authorizationServers: servers };
  if (Array.isArray(doc.scopes_supported)) check.scopesSupported = doc.scopes_supported.filter((s): s is string => typeof s === 'string');
  return check;
}

export type PrmReader = 'spec' | 'sdk' | 'codex';

export interface PrmView {
  /** The URL whose document this reader uses; undefined when it finds none. */
  url?: string;
  kind?: PrmCandidateKind;
}

export interface PrmDiscovery {
  urlsTried: UrlTried[];
  /** The document mcp-doctor uses for the rest of the chain (the spec reader's, else any reader's). */
  found?: { url: string; kind: PrmCandidateKind; check: PrmDocumentCheck };
  /** A PRM answered but was unusable (not JSON, no authorization_servers...). */
  invalid?: { url: string; kind: PrmCandidateKind; check: PrmDocumentCheck };
  views: Record<PrmReader, PrmView>;
  resource?: ResourceComparison;
  /** Where the readers disagree, in words, for the report. */
  differences: string[];
  findings: Finding[];
}

export interface DiscoverPrmInput {
  serverName: string;
  serverUrl: string;
  /** Absolute `resource_metadata` from the 401 challenge (as the spec reads it). */
  headerUrl?: string;
  /** What the SDK's regex reads from the same header (may differ: see challenge.ts). */
  sdkHeaderUrl?: string;
  get: HttpGet;
  redact: Redactor;
  config?: Pick<ServerConfig, 'oauthResource'>;
}

const isOk = (r: GetResponse | undefined) => !!r && r.status >= 200 && r.status < 300;

/**
 * Fetches the PRM candidates the readers need (each URL at most once, no credentials), works out
 * which document each reader ends up with, and compares `resource` with the configured URL.
 */
export async function discoverProtectedResource(input: DiscoverPrmInput): Promise<PrmDiscovery> {
  const { serverUrl, redact, get } = input;
  const candidates = prmCandidates(serverUrl, input.headerUrl);
  if (input.sdkHeaderUrl && input.sdkHeaderUrl !== input.headerUrl && !candidates.some((c) => c.url === input.sdkHeaderUrl)) {
    candidates.unshift({ kind: 'header', url: input.sdkHeaderUrl });
  }
  const urlsTried: UrlTried[] = [];
  const cache = new Map<string, GetResponse>();
  const fetchOnce = async (c: PrmCandidate): Promise<GetResponse> => {
    const hit = cache.get(c.url);
    if (hit) return hit;
    const res = await get(c.url, { Accept: 'application/json', 'MCP-Protocol-Version': METADATA_PROTOCOL_VERSION });
    cache.set(c.url, res);
    urlsTried.push(urlTried(`protected resource metadata (${c.kind})`, res, c.url, redact));
    return res;
  };
  const byKind = (k: PrmCandidateKind) => candidates.find((c) => c.kind === k);
  const hasPath = new URL(serverUrl).pathname.replace(/\/$/, '') !== '';

  /** Walks a reader's order; returns the first candidate answering 2xx. */
  const walk = async (order: Array<PrmCandidate | undefined>, stop?: (res: GetResponse, c: PrmCandidate) => boolean): Promise<PrmView> => {
    for (const c of order) {
      if (!c) continue;
      const res = await fetchOnce(c);
      if (isOk(res)) return { url: c.url, kind: c.kind };
      if (stop?.(res, c)) return {};
    }
    return {};
  };

  const header = input.headerUrl ? byKind('header') : undefined;
  const spec = header ? await walk([header]) : await walk([hasPath ? byKind('path-aware') : undefined, byKind('root')]);
  const sdkHeader = input.sdkHeaderUrl ? candidates.find((c) => c.url === input.sdkHeaderUrl) : undefined;
  const sdk = sdkHeader
    ? await walk([sdkHeader])
    : // The SDK falls back to the root only when the path-aware URL gave no answer or a 4xx.
      await walk([byKind('path-aware'), byKind('root')], (res, c) => c.kind === 'path-aware' && res.status >= 500);
  const codex = header
    ? await walk([header])
    : await walk([byKind('path-aware-no-query') ?? byKind('path-aware'), byKind('path-appended'), byKind('root')]);
  const views: Record<PrmReader, PrmView> = { spec, sdk, codex };

  // When the challenge names a URL that fails, still look at the well-known URLs: "the PRM exists,
  // but not where the header says" is a diagnosis of its own.
  if (header && !spec.url) {
    for (const c of candidates) if (c.kind !== 'header') await fetchOnce(c);
  }

  const discovery: PrmDiscovery = { urlsTried, views, differences: [], findings: [] };
  const chosen = [spec, codex, sdk].find((v) => v.url) ?? firstOk(candidates, cache);
  if (chosen?.url) {
    const check = checkPrmResponse(cache.get(chosen.url)!, serverUrl);
    const entry = { url: redact.url(chosen.url), kind: chosen.kind!, check: redactCheck(check, redact) };
    if (check.ok) discovery.found = entry;
    else discovery.invalid = entry;
    if (check.document && check.document.resource !== undefined) discovery.resource = compareResource(check.document.resource, serverUrl);
  }
  describeDifferences(discovery, input, cache);
  discovery.findings.push(...prmFindings(discovery, input));
  return discovery;
}

function firstOk(candidates: PrmCandidate[], cache: Map<string, GetResponse>): PrmView | undefined {
  const c = candidates.find((c) => isOk(cache.get(c.url)));
  return c ? { url: c.url, kind: c.kind } : undefined;
}

function redactCheck(check: PrmDocumentCheck, redact: Redactor): PrmDocumentCheck {
  return { ...check, document: check.document ? redact.value(check.document) : undefined };
}

function describeDifferences(d: PrmDiscovery, input: DiscoverPrmInput, cache: Map<string, GetResponse>): void {
  const { spec, sdk, codex } = d.views;
  const say = (v: PrmView) => (v.url ? `${v.kind} ${input.redact.url(v.url)}` : 'none');
  if (spec.url !== sdk.url || spec.url !== codex.url) {
    d.differences.push(`PRM used — spec: ${say(spec)}; official SDK: ${say(sdk)}; ${CODEX}: ${say(codex)}`);
  }
  if (input.headerUrl && !spec.url) {
    const elsewhere = [...cache.entries()].find(([url, res]) => url !== input.headerUrl && isOk(res));
    d.differences.push(
      `the challenge's resource_metadata (${input.redact.url(input.headerUrl)}) does not answer 2xx` +
        (elsewhere ? `; a PRM does answer at ${input.redact.url(elsewhere[0])}, which clients given a header URL never try` : ''),
    );
  }
  if (spec.kind === 'root' && new URL(input.serverUrl).pathname.replace(/\/$/, '') !== '') {
    d.differences.push('the PRM is only at the root well-known URL while the endpoint has a path (allowed; AUTH-07)');
  }
}

function prmFindings(d: PrmDiscovery, input: DiscoverPrmInput): Finding[] {
  const out: Finding[] = [];
  const { serverName, redact } = input;
  if (d.invalid) {
    out.push(
      makeFinding('auth.protected-resource-invalid', {
        message: `The protected resource metadata of "${serverName}" at ${d.invalid.url} is unusable: ${d.invalid.check.problems
          .filter((p) => p.fatal)
          .map((p) => p.detail)
          .join('; ')}.`,
        evidence: { url: d.invalid.url, problems: d.invalid.check.problems.map((p) => p.detail), document: d.invalid.check.document },
        fix: { summary: 'A server-side fix: serve a JSON object with `resource` (this endpoint\'s URL) and at least one entry in `authorization_servers`.' },
      }),
    );
  } else if (d.found) {
    const minor = d.found.check.problems.filter((p) => !p.fatal);
    if (minor.length) {
      out.push(
        makeFinding('auth.protected-resource-invalid', {
          severity: 'warning',
          message: `The protected resource metadata of "${serverName}" works but: ${minor.map((p) => p.detail).join('; ')}.`,
          evidence: { url: d.found.url, problems: minor.map((p) => p.detail) },
          fix: { summary: 'A server-side fix: serve the metadata as application/json with https authorization server URLs.' },
        }),
      );
    }
  }
  const cmp = d.resource;
  if (cmp && cmp.match !== 'exact') out.push(resourceMismatchFinding(cmp, serverName, redact, input.config?.oauthResource));
  const configured = input.config?.oauthResource;
  const published = d.found?.check.document?.resource;
  if (configured && typeof published === 'string' && configured !== published) {
    out.push(oauthResourceDiffersFinding(serverName, configured, published, redact));
  }
  return out;
}

/**
 * `oauth_resource` naming something else than the PRM's `resource`. Measured on 0.169: Codex then
 * sends BOTH values as `resource` in the authorization request and only the PRM's in the token
 * request (openai/codex#28830); authorization servers that accept one resource refuse the login
 * (`invalid_target`), and the rest issue a token for the PRM's resource anyway.
 */
function oauthResourceDiffersFinding(serverName: string, configured: string, published: string, redact: Redactor): Finding {
  return makeFinding('auth.resource-mismatch', {
    severity: 'warning',
    message: `\`oauth_resource\` of "${serverName}" is ${redact.url(configured)}, but the server's protected resource metadata names ${redact.url(published)}. Codex sends both as \`resource\` in the authorization request (and only the metadata's in the code exchange), which authorization servers that allow one resource refuse with invalid_target.`,
    evidence: { class: 'oauth_resource-differs', oauthResource: redact.url(configured), prmResource: redact.url(published) },
    fix: {
      summary: `Set \`oauth_resource\` to the resource the server publishes (or remove it: ${CODEX} sends that resource by itself), then log in again.`,
      toml: serverSnippet(serverName, [['oauth_resource', published]]),
      command: `codex mcp login ${serverName}`,
    },
  });
}

/** `auth.resource-mismatch`: error when Codex 0.169 refuses the metadata, warning when only strict clients do. */
export function resourceMismatchFinding(cmp: ResourceComparison, serverName: string, redact: Redactor, oauthResource?: string): Finding {
  const r = typeof cmp.resource === 'string' ? redact.url(cmp.resource) : JSON.stringify(cmp.resource);
  const u = redact.url(cmp.configured);
  const evidence: Record<string, unknown> = {
    class: cmp.match,
    prmResource: r,
    configuredUrl: u,
    codexAccepts: cmp.codexAccepts,
    officialSdkAccepts: cmp.sdkAccepts,
    strictClientsAccept: cmp.strictAccepts,
  };
  if (oauthResource) evidence.oauthResource = redact.url(oauthResource);
  const relogin = ' Stored credentials are keyed by the URL, so run the login again after changing it.';
  let message: string;
  let fix: Finding['fix'];
  switch (cmp.match) {
    case 'trailing-slash-only':
      if (cmp.slashOn === 'resource') {
        message = `The protected resource metadata of "${serverName}" names ${r}, the configured URL is ${u}: they differ by a trailing slash. Codex refuses the metadata ("Protected resource metadata resource mismatch"), so \`codex mcp login ${serverName}\` fails.`;
      } else {
        message = `The protected resource metadata of "${serverName}" names ${r}, the configured URL is ${u} (trailing slash). Codex and the official SDK accept this; strict RFC 9728 clients (VS Code, gemini-cli) refuse it.`;
      }
      fix = {
        summary: `Configure the URL exactly as the metadata names it (the server must answer there).${relogin}`,
        toml: serverSnippet(serverName, [['url', String(cmp.resource)]]),
        command: `codex mcp login ${serverName}`,
      };
      break;
    case 'path-prefix':
      message = `The protected resource metadata of "${serverName}" names ${r}, a parent of the configured URL ${u}. Codex and the official SDK accept a path prefix; strict RFC 9728 clients require the identical URL and refuse it, and tokens are issued for ${r} rather than for this endpoint.`;
      fix = { summary: `A server-side fix: publish \`"resource": "${u}"\` in the protected resource metadata. Codex needs no change.` };
      break;
    case 'query-string-in-url':
      message = `The configured URL of "${serverName}" (${u}) carries a query string that the protected resource metadata's resource (${r}) lacks. ${CODEX} and the official SDK accept this; older Codex versions failed with "Protected resource metadata resource mismatch" (openai/codex#37387) and strict clients still do.`;
      fix = {
        summary: `If login fails on an older Codex, log in once with the URL without its query: codex mcp -c 'mcp_servers.${serverName}.url="${r}"' login ${serverName} (credentials are then stored under that URL; upgrading Codex is the lasting fix).`,
      };
      break;
    case 'different-path':
      message = `The protected resource metadata of "${serverName}" names ${r}, which is not the configured URL ${u} nor a parent of it. Codex refuses the metadata ("Protected resource metadata resource mismatch"), so login fails; setting \`oauth_resource\` does not change that check.`;
      fix = {
        summary: `Use the URL the metadata names if the MCP endpoint answers there; otherwise the server must publish \`"resource": "${u}"\`.${relogin}`,
        toml: serverSnippet(serverName, [['url', String(cmp.resource)]]),
        command: `codex mcp login ${serverName}`,
      };
      break;
    case 'different-origin':
      message = `The protected resource metadata of "${serverName}" names ${r}, another origin than the configured URL ${u} (often the authorization server's URL by mistake). Every client refuses it.`;
      fix = { summary: `A server-side fix: publish \`"resource": "${u}"\` in the protected resource metadata.` };
      break;
    default:
      message = `The protected resource metadata of "${serverName}" names ${r} as its resource, which is not a URL: clients cannot compare it with ${u} and refuse it.`;
      fix = { summary: `A server-side fix: publish \`"resource": "${u}"\` in the protected resource metadata.` };
  }
  return makeFinding('auth.resource-mismatch', {
    severity: cmp.codexAccepts ? 'warning' : 'error',
    message,
    evidence,
    fix,
  });
}
