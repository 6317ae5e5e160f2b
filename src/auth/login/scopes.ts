/**
 * Which scopes to ask for (MCP 2025-11-25 "Scope Selection Strategy", mcp-wire §4.8): the `scope`
 * of the 401 challenge, else every `scopes_supported` of the protected resource metadata, else
 * none (the `scope` parameter is left out). Step-up after a 403 `insufficient_scope` asks for the
 * union of what was asked before and what the server now names.
 */

export type ScopeSource = 'challenge' | 'scopes_supported' | 'config' | 'none';

export interface ScopeSelection {
  scopes: string[];
  from: ScopeSource;
}

export function splitScopes(value: string | undefined | null): string[] {
  return value ? value.split(/\s+/).filter(Boolean) : [];
}

export function selectScopes(input: { challenge?: string[]; scopesSupported?: string[]; configured?: string[] }): ScopeSelection {
  if (input.challenge && input.challenge.length > 0) return { scopes: dedupe(input.challenge), from: 'challenge' };
  if (input.scopesSupported && input.scopesSupported.length > 0) return { scopes: dedupe(input.scopesSupported), from: 'scopes_supported' };
  // `scopes` in the server table is what Codex asks for when the server names none.
  if (input.configured && input.configured.length > 0) return { scopes: dedupe(input.configured), from: 'config' };
  return { scopes: [], from: 'none' };
}

/** The scopes of `a` followed by those of `b` that `a` lacks (order kept: it shows in evidence). */
export function unionScopes(a: string[], b: string[]): string[] {
  return dedupe([...a, ...b]);
}

/** True when every scope of `wanted` is already in `have`. */
export function coversScopes(have: string[], wanted: string[]): boolean {
  return wanted.every((s) => have.includes(s));
}

/** The `scope` parameter, or undefined when there is nothing to ask for (then it is omitted). */
export function scopeParam(scopes: string[]): string | undefined {
  return scopes.length > 0 ? scopes.join(' ') : undefined;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}
