/**
 * Redaction happens when evidence is captured (contract §4): every string that enters a finding,
 * a transcript or a stderr tail goes through a Redactor first, so no renderer can leak.
 */

export const REDACTED = '<redacted>';

const SECRET_HEADER_NAMES = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
  'private-token',
]);

const SECRET_PARAM = /^(?:token|access_token|refresh_token|id_token|key|api_key|apikey|api-key|secret|client_secret|password|passwd|pwd|sig|signature|auth|code|code_verifier|session|sessionid|x-amz-signature|x-amz-credential|x-goog-signature)$/i;

/** Token shapes that are secrets wherever they appear. */
const TOKEN_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{16,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}\b/g,
  /\bxox[abpors]-[A-Za-z0-9-]{10,}\b/g,
  /\blin_(?:api|oauth)_[A-Za-z0-9]{16,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{16,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{30,}\b/g,
  /\bnpm_[A-Za-z0-9]{30,}\b/g,
];

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}\b/g;
const BEARER_IN_TEXT = /\b(Bearer|Basic|Token)\s+(?!<redacted>)(?:(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}|[A-Za-z0-9._~+/=-]{20,})/gi;
const SECRET_FLAG = /((?<![\w-])--?(?:api[-_]?key|token|access[-_]?token|secret|client[-_]?secret|password|passwd|auth|key|bearer)(?:=|\s+))("[^"]*"|'[^']*'|[^\s"']+)/gi;
const KEY_VALUE_IN_TEXT = /\b([A-Za-z_][A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY)[A-Za-z0-9_]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;]+)/g;
const JSON_SECRET_FIELD = /("(?:access_token|refresh_token|id_token|client_secret|password|token|api_key|apiKey|secret)"\s*:\s*)"[^"]*"/g;

// Cheap tests that say when a pattern above cannot match, so most strings skip it: every stage
// summary, finding and transcript line passes through text().
const MAY_HOLD_TOKEN = /gh[pousr]_|github_pat_|sk-|xox[abpors]-|lin_(?:api|oauth)_|glpat-|AKIA|AIza|npm_/;
const MAY_HOLD_SCHEME = /bearer|basic|token/i;
const MAY_HOLD_KEY_VALUE = /TOKEN|SECRET|PASSWORD|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY/;
const MAY_HOLD_JSON_SECRET = /"(?:access_token|refresh_token|id_token|client_secret|password|token|api_key|apiKey|secret)"/;

export interface Redactor {
  /** Redacts known secret values and secret-shaped substrings in free text. */
  text(input: string): string;
  /** Redacts a URL's credential-looking query parameters and userinfo. */
  url(input: string): string;
  /** Redacts header values: secret header names entirely (keeping an auth scheme), the rest as text. */
  headers(input: Record<string, string | string[] | undefined>): Record<string, string>;
  /** Deeply redacts any JSON-like value (strings go through `text`; secret-named keys are blanked). */
  value<T>(input: T): T;
  /** Registers more secret values (e.g. a token read from a credential store). */
  addSecret(value: string | undefined): void;
}

export function createRedactor(secrets: Iterable<string | undefined> = []): Redactor {
  const known = new Set<string>();
  // Longest first, so that a secret containing another is removed whole.
  let longestFirst: string[] = [];
  const add = (value: string | undefined): void => {
    if (!value) return;
    const before = known.size;
    const trimmed = value.trim();
    // `${VAR}` (after an auth scheme word) names a secret, it is not one: a config or bridge
    // argument that holds only references stays readable, and the values are registered themselves.
    if (/^(?:(?:Bearer|Basic|Token)\s+)?(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*)+$/i.test(trimmed)) return;
    // Very short values would redact ordinary words; they are not meaningful secrets either.
    if (trimmed.length >= 4) for (const form of secretForms(trimmed)) known.add(form);
    const bearer = /^(?:Bearer|Basic|Token)\s+(.+)$/i.exec(trimmed);
    if (bearer?.[1] && bearer[1].length >= 4) for (const form of secretForms(bearer[1])) known.add(form);
    if (known.size !== before) longestFirst = [...known].sort((a, b) => b.length - a.length);
  };
  for (const s of secrets) add(s);

  const replaceKnown = (input: string): string => {
    if (known.size === 0) return input;
    let out = input;
    for (const secret of longestFirst) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  };

  const text = (input: string): string => {
    let out = replaceKnown(input);
    if (out.includes('eyJ')) out = out.replace(JWT, (jwt) => redactJwt(jwt));
    if (MAY_HOLD_TOKEN.test(out)) for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
    if (MAY_HOLD_SCHEME.test(out)) out = out.replace(BEARER_IN_TEXT, (_m, scheme: string) => `${scheme} ${REDACTED}`);
    if (out.includes('-')) out = out.replace(SECRET_FLAG, (_m, flag: string) => `${flag}${REDACTED}`);
    // Placeholders such as `export GH_TOKEN="<your token>"` in fix commands are not secrets.
    if (MAY_HOLD_KEY_VALUE.test(out)) {
      out = out.replace(KEY_VALUE_IN_TEXT, (m, key: string, sep: string, value: string) =>
        /^["']?</.test(value) ? m : `${key}${sep}${REDACTED}`,
      );
    }
    if (MAY_HOLD_JSON_SECRET.test(out)) out = out.replace(JSON_SECRET_FIELD, (_m, prefix: string) => `${prefix}"${REDACTED}"`);
    if (out.includes('://')) out = out.replace(/https?:\/\/[^\s"'<>]+/g, (u) => redactUrl(u));
    return out;
  };

  const url = (input: string): string => redactUrl(replaceKnown(input));

  const headers = (input: Record<string, string | string[] | undefined>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(input)) {
      if (raw === undefined) continue;
      const value = Array.isArray(raw) ? raw.join(', ') : raw;
      if (SECRET_HEADER_NAMES.has(name.toLowerCase())) {
        const scheme = /^(Bearer|Basic|Token|DPoP)\s+/i.exec(value);
        out[name] = scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
      } else {
        out[name] = text(value);
      }
    }
    return out;
  };

  const value = <T>(input: T): T => deepRedact(input, text) as T;

  return { text, url, headers, value, addSecret: add };
}

function redactUrl(input: string): string {
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch {
    return input;
  }
  let changed = false;
  if (parsed.password) {
    parsed.password = 'redacted';
    changed = true;
  }
  for (const key of [...parsed.searchParams.keys()]) {
    // An empty value holds nothing; it is also what an already redacted URL looks like to the
    // URL pattern of text() (which stops at '<'), so redacting twice must leave it alone.
    if (SECRET_PARAM.test(key) && parsed.searchParams.getAll(key).some((v) => v !== '')) {
      parsed.searchParams.set(key, 'REDACTED');
      changed = true;
    }
  }
  if (!changed) return input;
  // URLSearchParams encodes '<' and '>'; use a marker and restore the readable form.
  return parsed.toString().replaceAll('REDACTED', REDACTED).replace(/:redacted@/, `:${REDACTED}@`);
}

/** Keeps a JWT's header and claims (useful evidence), never its signature. */
export function redactJwt(jwt: string): string {
  const parts = jwt.split('.');
  if (parts.length !== 3) return REDACTED;
  return `${parts[0]}.${parts[1]}.${REDACTED}`;
}

/** Decodes a JWT's claims without verifying it (evidence only). */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json = Buffer.from(parts[1], 'base64url').toString('utf8');
    const claims: unknown = JSON.parse(json);
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const SECRET_KEY_NAMES = /^(?:authorization|cookie|access_token|refresh_token|id_token|client_secret|password|token|api_key|apikey|secret|bearer_token)$/i;

/**
 * A secret and the forms a server may echo it in: the value itself; base64 and base64url at each
 * of the three alignments it can take inside a longer encoded text (`user:secret` in a Basic
 * header), less the characters its neighbours share; percent-encoding; hex; and a tool name made
 * of it as Codex makes one (`use sk-live-…` → `use_sk_live_…`). Found by blind testing: a server
 * echoing the token base64- or URL-encoded, or inside a tool name, had it printed.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  if (secret.length >= 6) {
    const bytes = Buffer.from(secret, 'utf8');
    for (let shift = 0; shift < 3; shift++) {
      const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
      // Characters 4 on (past the group the neighbour shares) to the last group of the secret alone.
      const core = encoded.slice(shift === 0 ? 0 : 4, Math.floor((shift + bytes.length) / 3) * 4);
      if (core.length >= 8) {
        forms.add(core);
        forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
      }
    }
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64url'));
    forms.add(encodeURIComponent(secret));
    forms.add(bytes.toString('hex'));
    forms.add(bytes.toString('hex').toUpperCase());
    forms.add(secret.replace(/[^A-Za-z0-9_-]/g, '_'));
    forms.add(secret.replace(/[^A-Za-z0-9_]/g, '_'));
  }
  return [...forms].filter((f) => f.length >= 4);
}

function deepRedact(input: unknown, text: (s: string) => string): unknown {
  if (typeof input === 'string') return text(input);
  if (Array.isArray(input)) return input.map((item) => deepRedact(item, text));
  if (input && typeof input === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, val] of Object.entries(input)) {
      // Keys come from the wire too (a schema's property names): a secret there is redacted.
      out[text(key)] = SECRET_KEY_NAMES.test(key) && typeof val === 'string' && val !== '' ? REDACTED : deepRedact(val, text);
    }
    return out;
  }
  return input;
}

/** Past this depth a value is redacted as its JSON text (a peer's nesting must not exhaust the stack). */
const MAX_WALK_DEPTH = 100;

/**
 * Every string in `input` (keys and values) through `redact.text`: the last pass over a
 * whole report before it is rendered, so a wire string that a finding builder forgot to redact
 * (a server echoing the token it was sent, in a challenge, an error or a server name) is still
 * caught by the secrets registered before the first request. Strings are otherwise unchanged.
 */
export function redactStrings<T>(input: T, redact: Pick<Redactor, 'text'>): T {
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redact.text(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_WALK_DEPTH) return redact.text(safeJson(value));
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = walk(value[i], depth + 1);
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [key, val] of Object.entries(value)) out[redact.text(key)] = walk(val, depth + 1);
    return out;
  };
  return walk(input, 0) as T;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '[unserialisable]';
  }
}
