/**
 * RFC 9110 §11.6.1 `WWW-Authenticate` parsing: one header may hold several challenges, each a
 * scheme followed by a token68 or by comma-separated `name=value` parameters (values quoted or
 * not). Kept separate so the deeper auth checks can grow on it.
 */

export interface Challenge {
  /** Lower-cased scheme (`bearer`, `basic`, `dpop`...). */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
  token68?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const TOKEN68 = /^([A-Za-z0-9._~+/-]+=*)[ \t]*(?=,|$)/;

export function parseWwwAuthenticate(header: string | undefined): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  let rest = header.trim();
  let current: Challenge | undefined;

  const skipSpace = () => {
    rest = rest.replace(/^[ \t]+/, '');
  };

  while (rest.length > 0) {
    skipSpace();
    if (rest.startsWith(',')) {
      rest = rest.slice(1);
      continue;
    }
    const token = TOKEN.exec(rest)?.[0];
    if (!token) {
      // Unparseable remainder: stop rather than guess.
      break;
    }
    const after = rest.slice(token.length);
    const afterSpace = after.replace(/^[ \t]*/, '');
    if (current && afterSpace.startsWith('=') && !afterSpace.startsWith('==')) {
      // name=value belonging to the current challenge
      rest = afterSpace.slice(1).replace(/^[ \t]*/, '');
      let value: string;
      if (rest.startsWith('"')) {
        const parsed = readQuoted(rest);
        value = parsed.value;
        rest = parsed.rest;
      } else {
        const m = /^[^,\s]*/.exec(rest)![0];
        value = m;
        rest = rest.slice(m.length);
      }
      current.params[token.toLowerCase()] = value;
      continue;
    }
    // A new challenge: scheme, then optionally a token68.
    current = { scheme: token.toLowerCase(), params: {} };
    challenges.push(current);
    rest = after;
    skipSpace();
    // A token68 (`Negotiate abc==`) is only one if nothing but a comma or the end follows it.
    const t68 = TOKEN68.exec(rest);
    if (t68) {
      current.token68 = t68[1];
      rest = rest.slice(t68[0].length);
    }
  }
  return challenges;
}

function readQuoted(input: string): { value: string; rest: string } {
  let value = '';
  let i = 1;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === '\\' && i + 1 < input.length) {
      value += input[i + 1];
      i += 2;
      continue;
    }
    if (ch === '"') return { value, rest: input.slice(i + 1) };
    value += ch;
    i++;
  }
  return { value, rest: '' };
}

export function bearerChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer');
}

/** The scopes named by `scope="a b"` in a challenge. */
export function challengeScopes(challenge: Challenge | undefined): string[] {
  const scope = challenge?.params.scope;
  return scope ? scope.split(/\s+/).filter(Boolean) : [];
}
