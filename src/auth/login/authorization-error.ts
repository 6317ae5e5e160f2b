/**
 * The error an authorization server shows instead of redirecting back. When the `redirect_uri`
 * (or the `client_id`) of an authorization request cannot be trusted, RFC 6749 §4.1.2.1 forbids
 * the redirect: the server answers the user agent directly, with an error page (oidc-provider:
 * HTML with `error` / `error_description`), a JSON body, or a redirect to its own error page with
 * `?error=…`. Reading that answer names the cause — `invalid_redirect_uri` for a pre-registered
 * client whose registered callback is not the one Codex uses — where a timeout would only say
 * that nobody came back.
 *
 * Only the OAuth error code (a known name) and a bounded, tag-stripped description are taken from
 * the page; the page itself is never echoed.
 */
import { parseJsonObject } from '../http-get.ts';

export interface AuthorizationError {
  error: string;
  description?: string;
  /** Where it was read: a JSON body, an HTML page, or the Location of an error redirect. */
  from: 'json' | 'html' | 'location';
}

/** Error codes of RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6, RFC 8707 and common extensions. */
const KNOWN = new Set([
  'invalid_request',
  'invalid_redirect_uri',
  'redirect_uri_mismatch',
  'unauthorized_client',
  'invalid_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'invalid_target',
  'invalid_request_uri',
  'invalid_request_object',
  'login_required',
  'consent_required',
  'interaction_required',
]);

const MAX_DESCRIPTION = 300;

function clean(text: string): string {
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > MAX_DESCRIPTION ? `${plain.slice(0, MAX_DESCRIPTION)}…` : plain;
}

/** Reads the OAuth error of an answer to an authorization request; undefined when it names none. */
export function readAuthorizationError(res: { status: number; headers: Record<string, string>; bodyText: string }, base?: string): AuthorizationError | undefined {
  const location = res.headers.location;
  if (location && res.status >= 300 && res.status < 400) {
    try {
      const u = new URL(location, base);
      const error = u.searchParams.get('error');
      if (error && KNOWN.has(error)) {
        const d = u.searchParams.get('error_description');
        return { error, ...(d ? { description: clean(d) } : {}), from: 'location' };
      }
    } catch {
      // not a URL: nothing to read
    }
    return undefined;
  }
  const doc = parseJsonObject(res.bodyText);
  if (doc && typeof doc.error === 'string' && KNOWN.has(doc.error)) {
    return { error: doc.error, ...(typeof doc.error_description === 'string' ? { description: clean(doc.error_description) } : {}), from: 'json' };
  }
  // An HTML page: "error: invalid_redirect_uri" / "error=…" / a known code on its own, near the word error.
  const body = res.bodyText.slice(0, 64 * 1024);
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
  const m = /\berror\s*[:=]\s*"?([a-z_]+)"?/i.exec(text) ?? /\b(invalid_redirect_uri|redirect_uri_mismatch)\b/.exec(text);
  if (!m || !KNOWN.has(m[1]!)) return undefined;
  const d = /\berror_description\s*[:=]\s*"?([^"]{1,600}?)(?:"|\s+(?:error|state|iss)\b\s*[:=]|$)/i.exec(text);
  return { error: m[1]!, ...(d ? { description: clean(d[1]!) } : {}), from: 'html' };
}

/** True when the error is about the redirect URI (its own code, or `invalid_request` saying so). */
export function isRedirectUriError(e: AuthorizationError | undefined): boolean {
  if (!e) return false;
  if (e.error === 'invalid_redirect_uri' || e.error === 'redirect_uri_mismatch') return true;
  return (e.error === 'invalid_request' || e.error === 'invalid_client' || e.error === 'unauthorized_client') && /redirect[_ ]?ur[il]/i.test(e.description ?? '');
}
