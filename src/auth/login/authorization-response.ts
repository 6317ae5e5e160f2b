/**
 * The authorization response: what comes back on the redirect URI (RFC 6749 §4.1.2), and the two
 * checks a client makes before it trusts the code — `state` equals the one it sent (CSRF), and,
 * per RFC 9207 §2.4, `iss` equals the authorization server's issuer whenever it is present, and is
 * required when the server advertises `authorization_response_iss_parameter_supported`
 * (mix-up attacks; MCP 2026-07-28 makes the check a MUST, mcp-wire §4.9).
 */

export interface AuthorizationResponse {
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  errorDescription?: string;
}

/** Reads the response parameters from the redirect URL's query (the only response mode used here). */
export function parseAuthorizationResponse(url: string | URL): AuthorizationResponse {
  const params = (typeof url === 'string' ? new URL(url) : url).searchParams;
  const out: AuthorizationResponse = {};
  const take = (name: string) => params.get(name) ?? undefined;
  if (take('code') !== undefined) out.code = take('code');
  if (take('state') !== undefined) out.state = take('state');
  if (take('iss') !== undefined) out.iss = take('iss');
  if (take('error') !== undefined) out.error = take('error');
  if (take('error_description') !== undefined) out.errorDescription = take('error_description');
  return out;
}

export type ResponseProblem =
  | 'error'
  | 'no-code'
  | 'state-missing'
  | 'state-mismatch'
  | 'iss-missing'
  | 'iss-mismatch';

export interface ResponseCheck {
  ok: boolean;
  problem?: ResponseProblem;
  /** In words, without the code or the state values. */
  detail?: string;
}

export interface ResponseExpectation {
  state: string;
  /** The `issuer` of the authorization server metadata the request was built from. */
  issuer?: string;
  /** The metadata's `authorization_response_iss_parameter_supported === true`. */
  issParameterSupported?: boolean;
}

export function checkAuthorizationResponse(res: AuthorizationResponse, expect: ResponseExpectation): ResponseCheck {
  // The issuer is checked first: an error response from the wrong server is not to be believed either.
  if (res.iss !== undefined) {
    // RFC 9207 §2.4: simple string comparison, no normalisation.
    if (expect.issuer === undefined || res.iss !== expect.issuer) {
      return {
        ok: false,
        problem: 'iss-mismatch',
        detail: `the response's iss ${JSON.stringify(res.iss)} is not the issuer ${expect.issuer ? JSON.stringify(expect.issuer) : '(unknown)'} the request was sent to (RFC 9207: reject it, a mix-up attack looks like this)`,
      };
    }
  } else if (expect.issParameterSupported) {
    return {
      ok: false,
      problem: 'iss-missing',
      detail: 'the authorization server advertises authorization_response_iss_parameter_supported but its response has no iss (RFC 9207 §2.4: reject it)',
    };
  }
  if (res.state !== undefined && res.state !== expect.state) {
    return { ok: false, problem: 'state-mismatch', detail: 'the response\'s state is not the one sent with the request (a stale or forged response)' };
  }
  // An error is worth reporting even without state: servers often drop it when they refuse early.
  if (res.error !== undefined) {
    return { ok: false, problem: 'error', detail: `the authorization server answered error=${res.error}${res.errorDescription ? ` (${res.errorDescription})` : ''}` };
  }
  if (res.state === undefined) {
    return { ok: false, problem: 'state-missing', detail: 'the response carries no state, although the request sent one' };
  }
  if (!res.code) return { ok: false, problem: 'no-code', detail: 'the response has neither a code nor an error' };
  return { ok: true };
}
