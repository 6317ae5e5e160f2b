import type { ServerConfig } from '../../config/server-config.ts';
import { VERSION } from '../../version.ts';

/**
 * The request headers Codex 0.169.0 sends to a Streamable HTTP server (captured from the wire):
 * `Accept: text/event-stream, application/json`, JSON content type, its own User-Agent, the
 * configured `http_headers` and `env_http_headers`, and `Authorization: Bearer` from
 * `bearer_token_env_var`. `MCP-Protocol-Version` is added only after `initialize`.
 */

export const CODEX_ACCEPT = 'text/event-stream, application/json';
/** What Codex 0.169.0 sends as `protocolVersion` in `initialize`. */
export const CODEX_PROTOCOL_VERSION = '2025-06-18';

/** Where the credential Codex would send comes from, for messages ("bearer token from $VAR"). */
export type AuthSource =
  | { kind: 'bearer_token_env_var'; variable: string }
  | { kind: 'http_headers'; header: string }
  | { kind: 'env_http_headers'; header: string; variable: string }
  /** A stored `codex mcp login` token (`.credentials.json` or the keyring). */
  | { kind: 'oauth'; detail: string };

export interface CodexHeaders {
  /** Headers for every MCP request (no Accept / Content-Type: the exchange adds those). */
  headers: Record<string, string>;
  /** Set when an `Authorization` header will be sent. */
  auth?: AuthSource;
  /** `bearer_token_env_var` names a variable that is unset or blank: Codex refuses to start. */
  missingBearerVar?: { variable: string; reason: 'unset' | 'empty' };
  /**
   * Its value holds characters a header cannot (CR, LF, other controls): unlike a bad
   * `http_headers` value, Codex does not skip it but fails to start the server ("invalid HTTP
   * header: failed to parse header value", measured with 0.171.0; no request is sent).
   */
  invalidBearerVar?: { variable: string };
  /** Headers Codex skips (a blank env variable, an invalid name or value), with the reason. */
  skipped: Array<{ header: string; reason: string }>;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space and tab (and obs-text); a CR or LF would split the header.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function codexHeaders(server: Pick<ServerConfig, 'bearerTokenEnvVar' | 'httpHeaders' | 'envHttpHeaders'>, env: Record<string, string | undefined>): CodexHeaders {
  const headers: Record<string, string> = {};
  const skipped: CodexHeaders['skipped'] = [];
  let auth: AuthSource | undefined;

  const put = (name: string, value: string, source: AuthSource | undefined): void => {
    if (!HEADER_NAME.test(name)) {
      skipped.push({ header: name, reason: 'invalid header name (Codex skips it with a warning in its log)' });
      return;
    }
    if (!HEADER_VALUE.test(value)) {
      skipped.push({ header: name, reason: 'invalid header value (Codex skips it with a warning in its log)' });
      return;
    }
    // Header names are case-insensitive: a later entry replaces an earlier one, as in a HeaderMap.
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    headers[name] = value;
    if (name.toLowerCase() === 'authorization') auth = source;
  };

  for (const [name, value] of Object.entries(server.httpHeaders)) put(name, value, { kind: 'http_headers', header: name });
  for (const [name, variable] of Object.entries(server.envHttpHeaders)) {
    const value = env[variable];
    if (value === undefined || value.trim() === '') {
      skipped.push({ header: name, reason: `$${variable} is ${value === undefined ? 'not set' : 'empty'} (Codex leaves the header out)` });
      continue;
    }
    put(name, value, { kind: 'env_http_headers', header: name, variable });
  }

  let missingBearerVar: CodexHeaders['missingBearerVar'];
  let invalidBearerVar: CodexHeaders['invalidBearerVar'];
  if (server.bearerTokenEnvVar !== undefined) {
    const value = env[server.bearerTokenEnvVar];
    if (value === undefined) missingBearerVar = { variable: server.bearerTokenEnvVar, reason: 'unset' };
    else if (value.trim() === '') missingBearerVar = { variable: server.bearerTokenEnvVar, reason: 'empty' };
    else if (!HEADER_VALUE.test(value)) invalidBearerVar = { variable: server.bearerTokenEnvVar };
    else put('Authorization', `Bearer ${value}`, { kind: 'bearer_token_env_var', variable: server.bearerTokenEnvVar });
  }

  headers['User-Agent'] = `mcp-doctor/${VERSION} (codex-mcp-client compatible)`;
  return { headers, auth, missingBearerVar, ...(invalidBearerVar && { invalidBearerVar }), skipped };
}

/** "bearer token from $GITHUB_PAT", "Authorization from http_headers"... */
export function describeAuthSource(source: AuthSource): string {
  switch (source.kind) {
    case 'bearer_token_env_var':
      return `bearer token from $${source.variable}`;
    case 'http_headers':
      return `${source.header} header from http_headers`;
    case 'env_http_headers':
      return `${source.header} header from $${source.variable} (env_http_headers)`;
    case 'oauth':
      return source.detail;
  }
}

/** The `clientInfo` and `capabilities` Codex 0.169.0 sends, with mcp-doctor's own name. */
export function initializeParams(protocolVersion = CODEX_PROTOCOL_VERSION): Record<string, unknown> {
  return {
    protocolVersion,
    capabilities: { elicitation: { form: {}, url: {} } },
    clientInfo: { name: 'mcp-doctor', title: 'mcp-doctor (checking as Codex would)', version: VERSION },
  };
}
