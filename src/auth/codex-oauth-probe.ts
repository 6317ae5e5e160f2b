/**
 * What Codex itself concludes about a server's OAuth support — the "Auth" column of
 * `codex mcp list`, and whether `codex mcp add --url` starts a login — which can differ from
 * what a full discovery finds.
 *
 * Two generations:
 * - Codex 0.169.0 (measured against fixtures/oauth with fixtures/oauth/measure-codex-oauth.ts):
 *   GET of the MCP URL without credentials (`MCP-Protocol-Version: 2024-11-05`) for the challenge,
 *   then the PRM (challenge URL, else path-aware without the query, `<path>/.well-known/…`, root),
 *   then the AS metadata in the 2025-11-25 order (+ the root RFC 8414 URL). Outcomes:
 *   `not_logged_in` when usable metadata is found; `unknown` when discovery errors (PRM resource
 *   mismatch, issuer mismatch, no usable metadata at a named AS); `unsupported` when there is none
 *   at all — even though `codex mcp login` then still works through the 2025-03-26 defaults
 *   `/authorize`, `/token`, `/register`.
 * - older releases (codex-config §4.1, `rmcp-client/src/auth_status.rs`): only RFC 8414 URLs on
 *   the MCP server's own origin — `/.well-known/oauth-authorization-server/<path>`,
 *   `/<path>/.well-known/oauth-authorization-server`, `/.well-known/oauth-authorization-server` —
 *   200 + JSON with `authorization_endpoint` and `token_endpoint`; no RFC 9728. An authorization
 *   server on another origin (Entra, Auth0, GitHub) made them report Unsupported.
 */
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import type { AsDiscovery } from './authorization-server.ts';
import { analyzeChallenge } from './challenge.ts';
import { parseJsonObject, urlTried, type HttpGet, type UrlTried } from './http-get.ts';
import type { PrmDiscovery } from './protected-resource.ts';
import { CODEX } from '../codex/codex-version.ts';

/** `auth_status` values of `codex mcp list --json` (0.169.0). */
export type CodexAuthStatus = 'unsupported' | 'not_logged_in' | 'unknown' | 'bearer_token' | 'o_auth';

/** The header Codex's probe sends. */
export const CODEX_PROBE_PROTOCOL_VERSION = '2024-11-05';

/** Candidate URLs of the pre-0.169 own-origin probe, in its order. */
export function legacyCodexProbeUrls(serverUrl: string): string[] {
  const u = new URL(serverUrl);
  const path = u.pathname.replace(/\/+$/, '');
  const root = `${u.origin}/.well-known/oauth-authorization-server`;
  if (path === '') return [root];
  return [`${u.origin}/.well-known/oauth-authorization-server${path}`, `${u.origin}${path}/.well-known/oauth-authorization-server`, root];
}

export interface LegacyProbeResult {
  supported: boolean;
  urlsTried: UrlTried[];
  /** The URL that answered with usable metadata. */
  url?: string;
}

/** Replays the own-origin RFC 8414 probe of older Codex releases (credential-free GETs). */
export async function probeLikeOlderCodex(serverUrl: string, get: HttpGet, redact: Redactor): Promise<LegacyProbeResult> {
  const urlsTried: UrlTried[] = [];
  for (const url of legacyCodexProbeUrls(serverUrl)) {
    const res = await get(url, { 'MCP-Protocol-Version': CODEX_PROBE_PROTOCOL_VERSION });
    urlsTried.push(urlTried('older Codex OAuth probe (RFC 8414, own origin)', res, url, redact));
    if (res.status !== 200) continue;
    const doc = parseJsonObject(res.bodyText);
    if (doc && typeof doc.authorization_endpoint === 'string' && typeof doc.token_endpoint === 'string') {
      return { supported: true, urlsTried, url: redact.url(url) };
    }
  }
  return { supported: false, urlsTried };
}

export interface CodexProbeInput {
  prm: PrmDiscovery;
  as?: AsDiscovery;
}

/**
 * Codex 0.169's verdict, derived from a discovery that already walked Codex's URLs (the PRM views
 * and the AS candidates include them), so no request is repeated.
 */
export function predictCodexAuthStatus({ prm, as }: CodexProbeInput): { status: CodexAuthStatus; reason: string } {
  const codexPrm = prm.views.codex.url;
  if (codexPrm) {
    if (prm.invalid) return { status: 'unknown', reason: 'the protected resource metadata is unusable' };
    if (prm.resource && !prm.resource.codexAccepts) return { status: 'unknown', reason: `protected resource metadata resource mismatch (${prm.resource.match})` };
  }
  if (!as) return { status: 'unsupported', reason: 'no authorization server was looked up' };
  if (as.found) {
    const bad = as.found.check.problems.find(
      (p) => p.field === 'issuer' || p.field === 'authorization_endpoint' || p.field === 'token_endpoint',
    );
    if (bad && bad.severity === 'error') return { status: 'unknown', reason: bad.detail };
    return { status: 'not_logged_in', reason: `OAuth metadata found at ${as.found.url}` };
  }
  if (as.source === 'prm') return { status: 'unknown', reason: 'the protected resource metadata names an authorization server without usable metadata' };
  return { status: 'unsupported', reason: 'no protected resource or authorization server metadata' };
}

export interface CodexDiscoveryComparison {
  codex: { status: CodexAuthStatus; reason: string };
  older?: LegacyProbeResult;
  /** The GET challenge Codex sees differs from the POST's (Codex's probe uses GET). */
  getChallengeDiffers?: boolean;
  urlsTried: UrlTried[];
  findings: Finding[];
}

export interface CompareCodexDiscoveryInput {
  serverName: string;
  serverUrl: string;
  prm: PrmDiscovery;
  as?: AsDiscovery;
  /** resource_metadata from the POST's challenge (what the rest of the chain used). */
  postHeaderUrl?: string;
  /** OAuth works for a spec client (metadata found), so a Codex "Unsupported" is misleading. */
  oauthWorks: boolean;
  /** The user already has stored credentials (then the misleading status matters less). */
  loggedIn: boolean;
  get: HttpGet;
  redact: Redactor;
}

/**
 * Compares Codex's own verdict with the full discovery and emits `auth.codex-discovery-differs`
 * when `codex mcp list` would mislead the user.
 */
export async function compareCodexDiscovery(input: CompareCodexDiscoveryInput): Promise<CodexDiscoveryComparison> {
  const { serverName, serverUrl, get, redact } = input;
  const urlsTried: UrlTried[] = [];
  // Codex's probe reads the challenge of a GET; a server that answers GET with 405 and no
  // challenge sends Codex to the well-known URLs instead.
  const getRes = await get(serverUrl, { 'MCP-Protocol-Version': CODEX_PROBE_PROTOCOL_VERSION, Accept: 'text/event-stream' });
  urlsTried.push(urlTried('MCP URL as Codex probes it (GET, no credentials)', getRes, serverUrl, redact));
  const getChallenge = getRes.status === 401 ? analyzeChallenge(getRes.headers['www-authenticate']) : undefined;
  const getChallengeDiffers = (getChallenge?.resourceMetadata ?? undefined) !== (input.postHeaderUrl ?? undefined);

  const codex = predictCodexAuthStatus({ prm: input.prm, as: input.as });
  const out: CodexDiscoveryComparison = { codex, urlsTried, findings: [] };
  if (getChallengeDiffers) out.getChallengeDiffers = true;

  const legacyLogin = input.as?.legacy && input.as.legacy.authorizeStatus !== null && input.as.legacy.authorizeStatus !== 404 && input.as.legacy.authorizeStatus !== 401;
  if (codex.status === 'unsupported' && legacyLogin) {
    out.findings.push(
      makeFinding('auth.codex-discovery-differs', {
        severity: 'warning',
        message: `"${serverName}" publishes no OAuth metadata, so \`codex mcp list\` shows it as Unsupported and \`codex mcp add\` does not start a login; \`codex mcp login ${serverName}\` still works through the 2025-03-26 default endpoints (${redact.url(input.as!.legacy!.endpoints.authorization_endpoint)} answered ${input.as!.legacy!.authorizeStatus}). Tokens obtained this way carry no issuer, and ${CODEX} cannot refresh them (measured).`,
        evidence: { codexAuthStatus: codex.status, reason: codex.reason, authorizeStatus: input.as!.legacy!.authorizeStatus },
        fix: { summary: 'Log in explicitly; the Auth column is misleading here. Server-side: publish RFC 9728 and RFC 8414 metadata.', command: `codex mcp login ${serverName}` },
      }),
    );
    return out;
  }

  // Codex releases before 0.169 read only own-origin RFC 8414 metadata and showed servers whose
  // authorization server lives elsewhere as Unsupported. The current release (0.171) does not, so
  // that is no longer reported: it changed nothing about what Codex does (issue 15, item 8).
  if (!input.loggedIn && codex.status === 'unknown') {
    // The cause (resource or issuer mismatch, unusable metadata) has its own finding; say what Codex shows.
    out.codex.reason = `${codex.reason} (codex mcp list shows the Auth status as Unknown)`;
  }
  return out;
}
