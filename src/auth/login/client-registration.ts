/**
 * How mcp-doctor gets a client ID for a login, in the order MCP 2025-11-25 gives ("Client
 * Registration Approaches", mcp-wire §4.7): pre-registered credentials (the server table's
 * `[oauth] client_id`, or the conformance suite's MCP_CONFORMANCE_CONTEXT), then a client ID
 * metadata document (`--client-metadata-url`) when the authorization server supports CIMD, then
 * dynamic client registration (RFC 7591) with `application_type: "native"`. The client secret a
 * registration returns is registered with the Redactor before anything else reads the answer.
 */
import type { Redactor } from '../../redact.ts';
import { parseJsonObject } from '../http-get.ts';
import type { OAuthHttp } from './oauth-http.ts';

export type TokenAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

export interface ClientRegistration {
  via: 'pre-registered' | 'conformance-context' | 'cimd' | 'dcr';
  clientId: string;
  /** Secret: registered with the Redactor; never in evidence. */
  clientSecret?: string;
  authMethod: TokenAuthMethod;
}

export interface PreRegisteredClient {
  clientId: string;
  clientSecret?: string;
  /** Where it came from, for the report. */
  source: 'config' | 'conformance-context';
}

export interface RegistrationInput {
  /** The AS metadata (or undefined in the 2025-03-26 fallback without metadata). */
  metadata?: Record<string, unknown>;
  registrationEndpoint?: string;
  redirectUri: string;
  preRegistered?: PreRegisteredClient;
  clientMetadataUrl?: string;
  scope?: string;
  http: OAuthHttp;
  redact: Redactor;
}

export interface RegistrationStep {
  method: 'POST';
  url: string;
  status: number | null;
  request: Record<string, unknown>;
  response?: Record<string, unknown>;
  error?: string;
}

export type RegistrationOutcome =
  | { ok: true; registration: ClientRegistration; step?: RegistrationStep; note?: string }
  | { ok: false; problem: string; step?: RegistrationStep };

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/**
 * The token endpoint auth methods the AS accepts. RFC 8414 §2: when the field is absent the
 * default is `client_secret_basic`; without any metadata (2025-03-26 fallback) nothing is known.
 */
export function supportedAuthMethods(metadata: Record<string, unknown> | undefined): string[] | undefined {
  if (!metadata) return undefined;
  return strings(metadata.token_endpoint_auth_methods_supported) ?? ['client_secret_basic'];
}

/** The method to ask for in a registration: a public client (`none`) when the AS allows it. */
export function requestedAuthMethod(supported: string[] | undefined): TokenAuthMethod {
  if (!supported || supported.includes('none')) return 'none';
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'none';
}

/** How to authenticate a client that holds a secret (the AS's preference order, basic first). */
export function secretAuthMethod(supported: string[] | undefined): TokenAuthMethod {
  if (!supported) return 'client_secret_basic';
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

function isTokenAuthMethod(v: unknown): v is TokenAuthMethod {
  return v === 'none' || v === 'client_secret_basic' || v === 'client_secret_post';
}

export async function registerClient(input: RegistrationInput): Promise<RegistrationOutcome> {
  const { metadata, redact } = input;
  const supported = supportedAuthMethods(metadata);

  if (input.preRegistered) {
    const pre = input.preRegistered;
    redact.addSecret(pre.clientSecret);
    return {
      ok: true,
      registration: {
        via: pre.source === 'conformance-context' ? 'conformance-context' : 'pre-registered',
        clientId: pre.clientId,
        ...(pre.clientSecret ? { clientSecret: pre.clientSecret } : {}),
        authMethod: pre.clientSecret ? secretAuthMethod(supported) : 'none',
      },
    };
  }

  const cimd = metadata?.client_id_metadata_document_supported === true;
  if (cimd && input.clientMetadataUrl) {
    return { ok: true, registration: { via: 'cimd', clientId: input.clientMetadataUrl, authMethod: 'none' } };
  }

  const endpoint = input.registrationEndpoint;
  if (!endpoint) {
    const problem = cimd
      ? 'the authorization server supports client ID metadata documents but offers no dynamic client registration: pass --client-metadata-url with the HTTPS URL of your client metadata document, or configure a pre-registered client_id'
      : 'the authorization server offers neither dynamic client registration nor client ID metadata documents: a pre-registered client is needed ([mcp_servers.NAME.oauth] client_id)';
    return { ok: false, problem };
  }

  const method = requestedAuthMethod(supported);
  const body: Record<string, unknown> = {
    client_name: 'mcp-doctor',
    redirect_uris: [input.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: method,
    // OIDC defaults application_type to "web", which forbids loopback redirect URIs.
    application_type: 'native',
    ...(input.scope ? { scope: input.scope } : {}),
  };
  const res = await input.http.postJson(endpoint, body);
  const doc = parseJsonObject(res.bodyText);
  // Register first: the answer may carry a client secret and a registration access token.
  redact.addSecret(typeof doc?.client_secret === 'string' ? doc.client_secret : undefined);
  redact.addSecret(typeof doc?.registration_access_token === 'string' ? doc.registration_access_token : undefined);
  const step: RegistrationStep = { method: 'POST', url: redact.url(endpoint), status: res.status === 0 ? null : res.status, request: redact.value(body) };
  if (res.error) step.error = redact.text(res.error);
  if (doc) {
    step.response = {
      ...(typeof doc.client_id === 'string' ? { client_id: redact.text(doc.client_id) } : {}),
      hasClientSecret: typeof doc.client_secret === 'string' && doc.client_secret !== '',
      ...(doc.token_endpoint_auth_method !== undefined ? { token_endpoint_auth_method: doc.token_endpoint_auth_method } : {}),
      ...(doc.error !== undefined ? { error: redact.value(doc.error), error_description: redact.value(doc.error_description) } : {}),
    };
  }
  if (res.status === 0) return { ok: false, problem: `the registration endpoint did not answer (${redact.text(res.error ?? 'no answer')})`, step };
  if (res.status !== 201 && res.status !== 200) {
    const said = doc && typeof doc.error === 'string' ? ` (${redact.text(doc.error)}${typeof doc.error_description === 'string' ? `: ${redact.text(doc.error_description)}` : ''})` : '';
    return { ok: false, problem: `dynamic client registration was refused with HTTP ${res.status}${said}`, step };
  }
  if (!doc || typeof doc.client_id !== 'string' || doc.client_id === '') {
    return { ok: false, problem: `dynamic client registration answered HTTP ${res.status} without a client_id`, step };
  }
  const secret = typeof doc.client_secret === 'string' && doc.client_secret !== '' ? doc.client_secret : undefined;
  // The method the registration granted wins (RFC 7591 §3.2.1); a secret without a method means
  // the RFC 7591 default, client_secret_basic, unless the AS says it takes only post.
  const granted = isTokenAuthMethod(doc.token_endpoint_auth_method) ? doc.token_endpoint_auth_method : secret ? secretAuthMethod(supported) : method;
  const note =
    granted !== method ? `asked for token_endpoint_auth_method ${method}, the registration granted ${granted}` : undefined;
  return {
    ok: true,
    registration: { via: 'dcr', clientId: doc.client_id, ...(secret ? { clientSecret: secret } : {}), authMethod: granted !== 'none' && !secret ? 'none' : granted },
    step,
    ...(note ? { note } : {}),
  };
}
