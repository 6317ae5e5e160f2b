/**
 * PKCE (RFC 7636) with the S256 method, the only one MCP clients may use (MCP 2025-11-25
 * "Authorization Code Protection"). The verifier is a secret until the token request is made:
 * callers register it with the Redactor before it goes anywhere.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  /** 43 characters of base64url (32 random bytes): RFC 7636 §4.1 allows 43–128 unreserved characters. */
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function createPkce(random: (size: number) => Buffer = randomBytes): Pkce {
  const verifier = random(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier), method: 'S256' };
}

/** An unguessable `state` for one authorization request (CSRF protection, OAuth 2.1 §7.12). */
export function createState(random: (size: number) => Buffer = randomBytes): string {
  return random(16).toString('base64url');
}
