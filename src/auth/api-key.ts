/**
 * API-key gateways: a 401 that asks for a static key in a request header, not for an OAuth login.
 *
 * `mcp-proxy --apiKey KEY` (npm) answers every path, its OAuth default endpoints included, with
 * 401 `WWW-Authenticate: Bearer error="invalid_token", error_description="Unauthorized: Invalid or
 * missing API key"` and checks the `X-API-Key` header; other gateways name their header in the
 * body ("missing X-API-Key header"). `codex mcp login` cannot help there (Codex 0.171:
 * "Dynamic registration failed: HTTP 401"), and `bearer_token_env_var` sends the key in
 * `Authorization`, which such a server ignores. What works is the header itself, from
 * `env_http_headers` (the value read from Codex's environment) or `http_headers`.
 *
 * Pure: reads the first 401 answer (challenge parameters, body) and the configured headers.
 */
import type { ServerConfig } from '../config/server-config.ts';
export { suggestedKeyVar } from '../config/toml-snippet.ts';
import type { ChallengeAnalysis } from './challenge.ts';

export interface ApiKeyHint {
  /** The header the server wants, as it names it (`X-API-Key`), or the convention when it names none. */
  header: string;
  /** The answer names the header itself (else `header` is the de-facto `X-API-Key`). */
  named: boolean;
  /** The words that gave it away (bounded, from the challenge or body; redact before showing). */
  said: string;
  /** The configured header (http_headers / env_http_headers) with that name, if any: then the key was sent and refused. */
  sentAs?: { header: string; from: 'http_headers' | 'env_http_headers'; variable?: string };
}

/** The default header of API-key gateways (mcp-proxy's `--apiKey`, many hosted APIs). */
export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

const KEY_WORDS = /\b(?:api[\s_-]?key|apikey|access[\s_-]?key|subscription[\s_-]?key)\b/i;
/** A header name in prose: `X-API-Key`, `x-api-key`, `Api-Key`, `X-Auth-Token`, `Ocp-Apim-Subscription-Key` (not the word `ApiKey`, a scheme). */
const HEADER_NAME = /\b((?:x-[a-z0-9]+(?:-[a-z0-9]+)*)|(?:[a-z0-9]+-)*api-key|(?:[a-z0-9]+-)+(?:key|token))\b/gi;
/** Schemes in WWW-Authenticate that mean "a key", not OAuth. */
const KEY_SCHEMES = /^(?:api-?key|x-api-key|key|apikey)$/i;

function headerIn(text: string): string | undefined {
  for (const m of text.matchAll(HEADER_NAME)) {
    const name = m[1]!;
    // A header name that is about a key or token, not any x-word (x-request-id) of an error page.
    if (/key|token|auth/i.test(name) && !/^(?:oauth|bearer)/i.test(name)) return name;
  }
  return undefined;
}

/**
 * Whether the 401 asks for an API key in a header, and which header. `undefined` when nothing in
 * the answer says "key": then the generic no-OAuth diagnosis applies.
 */
export function apiKeyHint(challenge: ChallengeAnalysis, bodyText: string | undefined, server: Pick<ServerConfig, 'httpHeaders' | 'envHttpHeaders'>): ApiKeyHint | undefined {
  const texts: string[] = [];
  for (const c of challenge.parsed.challenges) {
    if (KEY_SCHEMES.test(c.scheme)) texts.push(`${c.scheme} ${Object.values(c.params).join(' ')}`);
    else texts.push(...Object.values(c.params));
  }
  if (bodyText) texts.push(bodyText.slice(0, 4096));
  const schemeNamesKey = challenge.parsed.challenges.some((c) => KEY_SCHEMES.test(c.scheme));
  let said: string | undefined;
  let header: string | undefined;
  for (const text of texts) {
    const named = headerIn(text);
    if (named || KEY_WORDS.test(text) || schemeNamesKey) {
      said ??= text.replace(/\s+/g, ' ').trim().slice(0, 160);
      header ??= named;
    }
  }
  if (said === undefined) return undefined;
  const scheme = challenge.parsed.challenges.find((c) => KEY_SCHEMES.test(c.scheme) && /^x-/i.test(c.scheme));
  header ??= scheme?.scheme;
  const out: ApiKeyHint = { header: header ?? DEFAULT_API_KEY_HEADER, named: header !== undefined, said };
  const same = (k: string) => k.toLowerCase() === out.header.toLowerCase();
  const literal = Object.keys(server.httpHeaders ?? {}).find(same);
  const fromEnv = Object.entries(server.envHttpHeaders ?? {}).find(([k]) => same(k));
  if (fromEnv) out.sentAs = { header: fromEnv[0], from: 'env_http_headers', variable: fromEnv[1] };
  else if (literal) out.sentAs = { header: literal, from: 'http_headers' };
  return out;
}

