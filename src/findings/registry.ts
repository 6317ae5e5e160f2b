import { AUTH_CODES } from './auth-codes.ts';
import { CONFIG_CODES } from './config-codes.ts';
import type { FindingSpec } from './finding-spec.ts';
import { HANDSHAKE_CODES } from './handshake-codes.ts';
import { HTTP_CODES } from './http-codes.ts';
import { STDIO_CODES } from './stdio-codes.ts';

export type { FindingSpec } from './finding-spec.ts';

/**
 * The one registry of finding codes. Codes are public names (contract §5): never rename or
 * remove one. `docs/codes/<code>.md` and `mcp-doctor explain` are generated from this table, and
 * a test keeps them in step.
 */
export const REGISTRY = {
  ...CONFIG_CODES,
  ...STDIO_CODES,
  ...HTTP_CODES,
  ...AUTH_CODES,
  ...HANDSHAKE_CODES,
} as const satisfies Record<string, FindingSpec>;

export type FindingCode = keyof typeof REGISTRY;

export function isFindingCode(code: string): code is FindingCode {
  return Object.hasOwn(REGISTRY, code);
}

export function findingSpec(code: FindingCode): FindingSpec {
  return REGISTRY[code];
}
