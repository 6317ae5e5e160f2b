/**
 * `WWW-Authenticate` parsing per RFC 9110 §11.6.1 (challenges, auth-params, token68), with the
 * Bearer parameters of RFC 6750 §3 and RFC 9728 §5.1 extracted — and, next to it, what the
 * official TypeScript SDK's regex reads from the same header, because the two differ exactly in
 * the layouts that break SDK clients (mcp-wire §4.2, AUTH-03).
 *
 *   WWW-Authenticate = #challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 */

export interface AuthChallenge {
  /** The scheme as written (`Bearer`, `DPoP`, `Basic`...). */
  scheme: string;
  token68?: string;
  /** Parameter names lower-cased (they are case-insensitive); values unquoted and unescaped. */
  params: Record<string, string>;
  /** Parameter names that occurred more than once (RFC 9110: each MUST occur once). */
  duplicateParams: string[];
}

export interface ParsedChallenges {
  challenges: AuthChallenge[];
  /** Syntax problems, with the character offset in the joined header value. */
  errors: string[];
  /** Every header value joined with ", " (what `fetch`'s Headers.get returns). */
  joined: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;
const PARAM_START = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*["!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parses one or several `WWW-Authenticate` header values (several headers ≡ one joined by ","). */
export function parseChallenges(values: string | string[] | undefined | null): ParsedChallenges {
  const list = values === undefined || values === null ? [] : Array.isArray(values) ? values : [values];
  const joined = list.join(', ');
  const challenges: AuthChallenge[] = [];
  const errors: string[] = [];
  const s = joined;
  let i = 0;
  let current: AuthChallenge | undefined;

  const skipOws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // s[i] === '"'
    i++;
    let out = '';
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\\' && i + 1 < s.length) {
        out += s[i + 1];
        i += 2;
        continue;
      }
      if (c === '"') {
        i++;
        return out;
      }
      out += c;
      i++;
    }
    errors.push(`unterminated quoted string at ${s.length}`);
    return out;
  };
  /** Skips to the next top-level comma (inside quotes commas do not count). */
  const skipToComma = () => {
    while (i < s.length && s[i] !== ',') {
      if (s[i] === '"') readQuoted();
      else i++;
    }
  };

  while (i < s.length) {
    skipOws();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (i >= s.length) break;
    const itemStart = i;
    const name = readToken();
    if (!name) {
      errors.push(`unexpected ${JSON.stringify(s[i])} at ${i}`);
      i++;
      skipToComma();
      continue;
    }
    // A token followed (after optional whitespace) by "=" is an auth-param of the current challenge.
    const afterName = i;
    skipOws();
    if (s[i] === '=' && current && !current.token68) {
      i++;
      skipOws();
      let value: string;
      if (s[i] === '"') value = readQuoted();
      else {
        // Read like lenient clients do (up to whitespace or ","), then flag what needed quoting.
        const start = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(start, i);
        if (!value) errors.push(`empty value for ${name} at ${start}`);
        else if (![...value].every((c) => TCHAR.test(c))) errors.push(`unquoted value of ${name} needs quoting at ${start}`);
      }
      const key = name.toLowerCase();
      if (Object.hasOwn(current.params, key)) {
        if (!current.duplicateParams.includes(key)) current.duplicateParams.push(key);
      } else {
        current.params[key] = value;
      }
      skipOws();
      // A missing comma between parameters is a common server bug: flag it, keep parsing.
      if (i < s.length && s[i] !== ',') errors.push(`missing "," after parameter ${name} at ${i}`);
      continue;
    }
    if (s[i] === '=' && current?.token68) {
      errors.push(`parameter ${name} after a token68 at ${itemStart}`);
      i++;
      skipOws();
      if (s[i] === '"') readQuoted();
      else readToken();
      skipToComma();
      continue;
    }
    if (s[i] === '=' && !current) {
      errors.push(`parameter ${name} before any auth-scheme at ${itemStart}`);
      i++;
      skipOws();
      if (s[i] === '"') readQuoted();
      else readToken();
      skipToComma();
      continue;
    }
    // Otherwise the token is a new auth-scheme.
    i = afterName;
    current = { scheme: name, params: {}, duplicateParams: [] };
    challenges.push(current);
    if (s[i] !== ' ' && s[i] !== '\t') continue; // end, or a comma: a scheme with no parameters
    skipOws();
    if (i >= s.length || s[i] === ',') continue;
    // token68 only when what follows is not `token BWS "=" BWS value` (a token68 may end in "=").
    const rest = s.slice(i);
    const t68 = TOKEN68.exec(rest);
    if (t68 && !PARAM_START.test(rest)) {
      const after = rest.slice(t68[0].length).replace(/^[ \t]*/, '');
      if (after === '' || after.startsWith(',')) {
        current.token68 = t68[0];
        i += t68[0].length;
        continue;
      }
    }
    // Parameters follow: the loop reads them.
  }
  return { challenges, errors, joined };
}

/** What the SDK's `extractWWWAuthenticateParams` reads (v1 client/auth.ts; the same regexes in 1.32.2). */
export interface SdkChallengeView {
  /** False when the SDK ignores the header entirely (first word is not `Bearer`, or nothing follows). */
  bearer: boolean;
  resourceMetadataUrl?: string;
  scope?: string;
  error?: string;
}

export function sdkChallengeView(joined: string): SdkChallengeView {
  if (!joined) return { bearer: false };
  const [type, rest] = joined.split(' ');
  if (!type || type.toLowerCase() !== 'bearer' || !rest) return { bearer: false };
  const field = (name: string): string | undefined => {
    const m = new RegExp(`${name}=(?:"([^"]+)"|([^\\s,]+))`).exec(joined);
    return m ? (m[1] ?? m[2]) || undefined : undefined;
  };
  const view: SdkChallengeView = { bearer: true };
  const rm = field('resource_metadata');
  if (rm) {
    try {
      view.resourceMetadataUrl = new URL(rm).toString();
    } catch {
      // the SDK ignores a value that is not an absolute URL
    }
  }
  const scope = field('scope');
  if (scope) view.scope = scope;
  const error = field('error');
  if (error) view.error = error;
  return view;
}

/** A layout of the header that a real client reads differently from the RFC (AUTH-01..05, AUTH-03). */
export interface ChallengeProblem {
  kind:
    | 'no-header'
    | 'syntax'
    | 'no-bearer'
    | 'bearer-not-first'
    | 'resource-metadata-missing'
    | 'resource-metadata-empty'
    | 'resource-metadata-relative'
    | 'resource-metadata-insecure'
    | 'scope-missing'
    | 'error-without-token'
    | 'duplicate-param'
    | 'sdk-reads-differently';
  detail: string;
  /** The official TS SDK (and clients built on it) misreads or ignores the header. */
  breaksSdk?: boolean;
}

export interface ChallengeAnalysis {
  parsed: ParsedChallenges;
  /** The first Bearer challenge (what a spec-following client uses). */
  bearer?: AuthChallenge;
  /** Absolute URL from `resource_metadata` (resolved only if it is absolute). */
  resourceMetadata?: string;
  /** `resource_metadata` exactly as sent, when present. */
  resourceMetadataRaw?: string;
  scope?: string;
  scopes: string[];
  error?: string;
  errorDescription?: string;
  realm?: string;
  sdk: SdkChallengeView;
  problems: ChallengeProblem[];
}

/**
 * Parses the header(s) and reads the Bearer parameters; flags the layouts a real client would
 * misread. `tokenSent` says whether the request carried credentials (RFC 6750: no `error` then).
 */
export function analyzeChallenge(values: string | string[] | undefined | null, tokenSent = false): ChallengeAnalysis {
  const parsed = parseChallenges(values);
  const problems: ChallengeProblem[] = [];
  const sdk = sdkChallengeView(parsed.joined);
  const analysis: ChallengeAnalysis = { parsed, scopes: [], sdk, problems };
  if (parsed.joined.trim() === '') {
    problems.push({ kind: 'no-header', detail: '401 without a WWW-Authenticate header (RFC 6750 §3: the resource server MUST include it)' });
    return analysis;
  }
  for (const e of parsed.errors) problems.push({ kind: 'syntax', detail: e });

  const bearerIndex = parsed.challenges.findIndex((c) => c.scheme.toLowerCase() === 'bearer');
  if (bearerIndex === -1) {
    const schemes = parsed.challenges.map((c) => c.scheme).join(', ') || '(none)';
    problems.push({ kind: 'no-bearer', detail: `no challenge of scheme Bearer (schemes: ${schemes}); OAuth clients find no resource_metadata`, breaksSdk: true });
    return analysis;
  }
  const bearer = parsed.challenges[bearerIndex]!;
  analysis.bearer = bearer;
  if (bearerIndex > 0) {
    problems.push({
      kind: 'bearer-not-first',
      detail: `the first challenge is ${parsed.challenges[0]!.scheme}, not Bearer: the official SDK reads only a header that starts with "Bearer" and ignores every parameter`,
      breaksSdk: true,
    });
  }
  for (const d of bearer.duplicateParams) problems.push({ kind: 'duplicate-param', detail: `parameter ${d} occurs more than once in the challenge` });

  const p = bearer.params;
  if (p.realm !== undefined) analysis.realm = p.realm;
  if (p.error !== undefined) analysis.error = p.error;
  if (p.error_description !== undefined) analysis.errorDescription = p.error_description;
  if (p.scope !== undefined) {
    analysis.scope = p.scope;
    analysis.scopes = p.scope.split(/\s+/).filter(Boolean);
  }
  if (p.resource_metadata !== undefined) {
    analysis.resourceMetadataRaw = p.resource_metadata;
    const raw = p.resource_metadata.trim();
    if (raw === '') {
      problems.push({ kind: 'resource-metadata-empty', detail: 'resource_metadata is empty; the SDK ignores it', breaksSdk: true });
    } else {
      let abs: URL | undefined;
      try {
        abs = new URL(raw);
      } catch {
        problems.push({
          kind: 'resource-metadata-relative',
          detail: `resource_metadata ${JSON.stringify(raw)} is not an absolute URL (RFC 9728 §5.1); the SDK ignores it`,
          breaksSdk: true,
        });
      }
      if (abs) {
        analysis.resourceMetadata = abs.toString();
        if (abs.protocol !== 'https:' && !(abs.protocol === 'http:' && /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(abs.hostname))) {
          problems.push({ kind: 'resource-metadata-insecure', detail: `resource_metadata uses ${abs.protocol} on a non-loopback host (MCP requires https)` });
        }
      }
    }
  } else {
    problems.push({ kind: 'resource-metadata-missing', detail: 'there is no resource_metadata; clients must guess the well-known URLs' });
  }
  // After a rejected token the SHOULD is moot: the scope matters on the first, token-less 401.
  if (p.scope === undefined && !tokenSent) problems.push({ kind: 'scope-missing', detail: 'there is no scope (RFC 6750 / MCP 2025-11-25: SHOULD)' });
  if (!tokenSent && p.error !== undefined) {
    problems.push({ kind: 'error-without-token', detail: `error="${p.error}" although no token was sent (RFC 6750 §3.1: SHOULD NOT)` });
  }
  if (bearerIndex === 0 && (analysis.resourceMetadata ?? undefined) !== sdk.resourceMetadataUrl && analysis.resourceMetadata) {
    problems.push({
      kind: 'sdk-reads-differently',
      detail: `the SDK's regex reads resource_metadata as ${sdk.resourceMetadataUrl ?? '(nothing)'}, not ${analysis.resourceMetadata}`,
      breaksSdk: true,
    });
  }
  return analysis;
}
