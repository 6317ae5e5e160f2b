/**
 * A real authorization server for the tests: `oidc-provider` (a certified OpenID provider library)
 * on 127.0.0.1, with RFC 8707 resource indicators, RFC 9068 JWT access tokens for resources
 * (`typ: at+jwt`, `aud` = the resource), dynamic client registration, PKCE, refresh tokens with
 * rotation, and MCP resource servers (a small Streamable HTTP MCP server) that validate the JWT
 * with `jose` the way a careful server does: signature via the AS's JWKS, `iss`, `typ`, `aud` =
 * their own URL, `exp`, and a required scope; anything else gets a 401 with a `WWW-Authenticate`
 * challenge pointing at RFC 9728 protected-resource metadata.
 *
 * Variants (RealAsOptions): strict scope list, `offline_access` without consent (refresh tokens
 * issued to every client allowed the grant, as many real ASes do), no registration endpoint,
 * pre-registered clients, resource indicators off (opaque tokens only), rotation off.
 *
 * Consent and login are automatic: the interaction URL is answered by this helper (login as
 * `user-1`, grant everything asked for), so a scripted client (`mintTokens`) or `codex mcp login`
 * (`codexLogin`, the Codex oracle) can run the authorization code flow with an HTTP client that
 * keeps cookies. Every request the AS receives at its token and registration endpoints is
 * recorded (`as.tokenRequests`, `as.registrations`) so tests can see exactly what a client sent.
 *
 * Everything listens on 127.0.0.1 with ephemeral ports; `close()` ends it all.
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import Provider, { errors } from 'oidc-provider';

export const MCP_SCOPE = 'mcp:tools';

export interface RealAsOptions {
  /** RFC 8707 resource indicators; when off every access token is opaque (default true). */
  resourceIndicators?: boolean;
  /** The AS's scopes (discovery `scopes_supported`, and what DCR accepts in `scope`). Default: openid, offline_access, mcp:tools. */
  scopes?: string[];
  /** Issue refresh tokens to every client allowed the refresh_token grant, without `offline_access` + prompt=consent. */
  offlineAccessWithoutConsent?: boolean;
  /** Dynamic client registration (default true). */
  registration?: boolean;
  /** Pre-registered clients (oidc-provider client metadata). */
  clients?: Array<Record<string, unknown>>;
  /** Refresh token rotation (default true: a used refresh token is consumed). */
  rotateRefreshToken?: boolean;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Also serve RFC 8414 metadata at `/.well-known/oauth-authorization-server` (default true). */
  oauthMetadata?: boolean;
  /** RFC 7662 introspection endpoint (default true). */
  introspection?: boolean;
}

export interface TokenRequestRecord {
  grantType: string;
  /** Every form parameter except secrets (code, code_verifier, refresh_token, client_secret are `<present>`). */
  params: Record<string, string | string[]>;
  clientAuth: 'none' | 'basic' | 'post';
  status: number;
  error?: string;
  errorDescription?: string;
}

export interface RealAs {
  issuer: string;
  origin: string;
  provider: Provider;
  metadata: Record<string, any>;
  tokenRequests: TokenRequestRecord[];
  registrations: Array<{ body: Record<string, unknown>; status: number; error?: string; errorDescription?: string }>;
  /** Make `url` a resource the AS issues JWT access tokens for. */
  addResource(url: string, scope?: string): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

const SECRET_PARAMS = new Set(['code', 'code_verifier', 'refresh_token', 'client_secret', 'client_assertion']);

export async function startRealAs(opts: RealAsOptions = {}): Promise<RealAs> {
  const server = createServer();
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  const issuer = origin;
  const resources = new Map<string, string>();
  const scopes = opts.scopes ?? ['openid', 'offline_access', MCP_SCOPE];
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const resourceIndicators = opts.resourceIndicators !== false;

  const configuration: Record<string, any> = {
    clients: opts.clients ?? [],
    jwks: { keys: [{ ...key, kid: 'k1', use: 'sig', alg: 'RS256' }] },
    scopes,
    claims: { openid: ['sub'] },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: opts.registration !== false },
      introspection: { enabled: opts.introspection !== false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: resourceIndicators,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf ?? undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
          const scope = resources.get(indicator);
          if (scope === undefined) throw new errors.InvalidTarget();
          return {
            scope,
            audience: indicator,
            accessTokenTTL: opts.accessTokenTtl ?? 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: opts.rotateRefreshToken !== false,
    ttl: { AccessToken: opts.accessTokenTtl ?? 3600, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600, Session: 3600, Interaction: 600 },
    clientBasedCORS: () => true,
    cookies: { keys: [randomBytes(16).toString('hex')] },
    renderError: async (ctx: any, out: Record<string, string>) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  };
  if (opts.offlineAccessWithoutConsent) {
    configuration.issueRefreshToken = async (_ctx: unknown, client: any) => client.grantTypeAllowed('refresh_token');
  }
  const provider = new Provider(issuer, configuration);
  provider.proxy = false;

  const tokenRequests: TokenRequestRecord[] = [];
  const registrations: RealAs['registrations'] = [];
  provider.use(async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (ctx.method !== 'POST') return;
    const body = ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, any>) : {};
    if (ctx.path === '/token') {
      const raw: Record<string, string | string[]> = {};
      const form = ctx.oidc?.body ?? {};
      for (const [k, v] of Object.entries(form as Record<string, string | string[]>)) raw[k] = SECRET_PARAMS.has(k) ? '<present>' : v;
      tokenRequests.push({
        grantType: String(form.grant_type ?? ''),
        params: raw,
        clientAuth: /^basic /i.test(String(ctx.headers.authorization ?? '')) ? 'basic' : form.client_secret ? 'post' : 'none',
        status: ctx.status,
        ...(body.error ? { error: body.error, errorDescription: body.error_description } : {}),
      });
    } else if (ctx.path === '/reg') {
      registrations.push({ body: (ctx.oidc?.body ?? {}) as Record<string, unknown>, status: ctx.status, ...(body.error ? { error: body.error, errorDescription: body.error_description } : {}) });
    }
  });

  const callback = provider.callback();
  let metadata: Record<string, any> = {};
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', origin);
      if (url.pathname.startsWith('/interaction/')) return await autoInteraction(provider, req, res);
      if (url.pathname === '/.well-known/oauth-authorization-server' && opts.oauthMetadata !== false) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(metadata));
      }
      callback(req, res);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  });
  metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, any>;

  return {
    issuer,
    origin,
    provider,
    metadata,
    tokenRequests,
    registrations,
    addResource: (url, scope = MCP_SCOPE) => void resources.set(url, scope),
    close: () => closeServer(server),
  };
}

/** The interaction endpoint: log in as `user-1` and grant whatever is missing, no person needed. */
async function autoInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details: any = await provider.interactionDetails(req, res);
  let result: Record<string, unknown>;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: 'user-1' } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const d = details.prompt.details;
    if (d.missingOIDCScope) grant!.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant!.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) for (const [indicator, s] of Object.entries(d.missingResourceScopes as Record<string, string[]>)) grant!.addResourceScope(indicator, s.join(' '));
    result = { consent: { grantId: await grant!.save() } };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

// ---------------------------------------------------------------------------------------------
// MCP resource servers that validate the AS's JWTs.

export interface McpResourceOptions {
  path?: string;
  /** The scope a token must carry (default mcp:tools); '' for none. */
  requiredScope?: string;
  /** 401 challenges without `error` / `error_description` (default false). */
  terse?: boolean;
  /** Do not register the resource with the AS (it then refuses to issue tokens for it). */
  unregistered?: boolean;
  /** PRM `scopes_supported` (default [requiredScope]). */
  scopesSupported?: string[];
}

export interface McpResource {
  url: string;
  origin: string;
  /** Every MCP POST: whether a token came, and the verdict. */
  requests: Array<{ method: string; authorized: boolean; reason?: string }>;
  close(): Promise<void>;
}

export async function startMcpResource(as: RealAs, opts: McpResourceOptions = {}): Promise<McpResource> {
  const path = opts.path ?? '/mcp';
  const server = createServer();
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}${path}`;
  const scope = opts.requiredScope ?? MCP_SCOPE;
  if (!opts.unregistered) as.addResource(url, scope || MCP_SCOPE);
  const jwks = createRemoteJWKSet(new URL(as.metadata.jwks_uri));
  const prmUrl = `${origin}/.well-known/oauth-protected-resource${path}`;
  const requests: McpResource['requests'] = [];

  const challenge = (error?: string, description?: string): string =>
    opts.terse || !error
      ? `Bearer resource_metadata="${prmUrl}"${scope ? `, scope="${scope}"` : ''}`
      : `Bearer error="${error}", error_description="${description}", resource_metadata="${prmUrl}"${scope ? `, scope="${scope}"` : ''}`;

  async function verify(req: IncomingMessage): Promise<{ ok: true } | { ok: false; error?: string; reason: string }> {
    const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return { ok: false, reason: 'no token' };
    try {
      const { payload } = await jwtVerify(m[1]!, jwks, { issuer: as.issuer, audience: url, typ: 'at+jwt', algorithms: ['RS256'] });
      const granted = String(payload.scope ?? '').split(' ');
      if (scope && !granted.includes(scope)) return { ok: false, error: 'invalid_token', reason: `token lacks scope ${scope}` };
      return { ok: true };
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERR_JWT_INVALID';
      const reason =
        code === 'ERR_JWT_EXPIRED'
          ? 'token expired'
          : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? `token ${(error as { claim?: string }).claim ?? 'claim'} invalid`
            : code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID'
              ? 'token is not a JWT issued for this server'
              : 'token rejected';
      return { ok: false, error: 'invalid_token', reason };
    }
  }

  server.on('request', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      if (body.length < 1_000_000) body += c.toString();
    });
    req.on('end', async () => {
      const u = new URL(req.url ?? '/', origin);
      if (req.method === 'GET' && (u.pathname === `/.well-known/oauth-protected-resource${path}` || u.pathname === '/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ resource: url, authorization_servers: [as.issuer], scopes_supported: opts.scopesSupported ?? (scope ? [scope] : []), bearer_methods_supported: ['header'] }));
      }
      if (u.pathname !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      const verdict = await verify(req);
      let msg: any = {};
      try {
        msg = JSON.parse(body || '{}');
      } catch {
        // answered below as a bad request once authorized
      }
      requests.push({ method: `${req.method} ${msg.method ?? ''}`.trim(), authorized: verdict.ok, ...(verdict.ok ? {} : { reason: verdict.reason }) });
      if (!verdict.ok) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': challenge(verdict.error, verdict.reason) });
        return res.end(JSON.stringify({ error: verdict.error ?? 'unauthorized' }));
      }
      if (req.method === 'GET') {
        res.writeHead(405, { allow: 'POST' });
        return res.end();
      }
      if (req.method === 'DELETE') {
        res.writeHead(200);
        return res.end();
      }
      if (msg.id === undefined) {
        res.writeHead(202);
        return res.end();
      }
      let result: unknown;
      if (msg.method === 'initialize') {
        result = { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'real-as-mcp', version: '1.0.0' } };
      } else if (msg.method === 'tools/list') {
        result = { tools: [{ name: 'whoami', description: 'Says who the token belongs to.', inputSchema: { type: 'object', properties: {} } }] };
      } else if (msg.method === 'ping') {
        result = {};
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's-1' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  return { url, origin, requests, close: () => closeServer(server) };
}

// ---------------------------------------------------------------------------------------------
// A scripted browser and client.

/** Follows an authorization URL like a browser that keeps cookies, until the redirect to `redirectPrefix`. */
export async function browse(authorizeUrl: string, redirectPrefix: string, maxHops = 12): Promise<URL> {
  const jar = new Map<string, string>();
  let next = authorizeUrl;
  for (let i = 0; i < maxHops; i++) {
    if (next.startsWith(redirectPrefix)) return new URL(next);
    const res = await fetch(next, {
      redirect: 'manual',
      headers: jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
      signal: AbortSignal.timeout(10_000),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const location = res.headers.get('location');
    if (!location) {
      const text = await res.text();
      throw new Error(`authorization stopped at ${res.status} ${new URL(next).pathname}: ${text.slice(0, 300)}`);
    }
    await res.arrayBuffer().catch(() => undefined);
    next = new URL(location, next).toString();
  }
  if (next.startsWith(redirectPrefix)) return new URL(next);
  throw new Error('authorization: too many redirects');
}

export interface MintOptions {
  /** RFC 8707 `resource` in the authorization and token requests (omitted when undefined). */
  resource?: string;
  scope?: string;
  /** Use this client instead of registering one. */
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  prompt?: string;
  /** Send `resource` in the authorization request but not in the token request. */
  resourceOnlyInAuthorize?: boolean;
}

export interface MintedTokens {
  clientId: string;
  accessToken: string;
  refreshToken?: string;
  expiresIn?: number;
  scope?: string;
  tokenType: string;
}

export async function registerClient(as: RealAs, redirectUri = 'http://127.0.0.1:9/callback', extra: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(as.metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'scripted',
      redirect_uris: [redirectUri],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...extra,
    }),
  });
  const body = (await res.json()) as Record<string, string>;
  if (!res.ok) throw new Error(`registration refused: ${body.error}: ${body.error_description}`);
  return body.client_id!;
}

/** Authorization code + PKCE with automatic login and consent; returns the token response. */
export async function mintTokens(as: RealAs, opts: MintOptions = {}): Promise<MintedTokens> {
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:9/callback';
  const clientId = opts.clientId ?? (await registerClient(as, redirectUri));
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URL(as.metadata.authorization_endpoint);
  const q: Record<string, string> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    scope: opts.scope ?? `${MCP_SCOPE} offline_access`,
  };
  if (opts.prompt) q.prompt = opts.prompt;
  if (opts.resource) q.resource = opts.resource;
  auth.search = new URLSearchParams(q).toString();
  const back = await browse(auth.toString(), redirectUri);
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`authorization refused: ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`);
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId });
  if (opts.resource && !opts.resourceOnlyInAuthorize) form.set('resource', opts.resource);
  return tokenCall(as, form, opts.clientSecret);
}

async function tokenCall(as: RealAs, form: URLSearchParams, clientSecret?: string): Promise<MintedTokens> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (clientSecret) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(form.get('client_id')!)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const res = await fetch(as.metadata.token_endpoint, { method: 'POST', headers, body: form });
  const body = (await res.json()) as Record<string, any>;
  if (!res.ok) throw Object.assign(new Error(`token request refused: ${body.error}: ${body.error_description}`), { error: body.error, description: body.error_description });
  return {
    clientId: form.get('client_id')!,
    accessToken: body.access_token,
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.expires_in === 'number' ? { expiresIn: body.expires_in } : {}),
    ...(body.scope ? { scope: body.scope } : {}),
    tokenType: body.token_type,
  };
}

/** A refresh_token grant (a test's own, not Codex's). */
export function refreshTokens(as: RealAs, clientId: string, refreshToken: string, extra: { scope?: string; resource?: string } = {}): Promise<MintedTokens> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
  if (extra.scope) form.set('scope', extra.scope);
  if (extra.resource) form.set('resource', extra.resource);
  return tokenCall(as, form);
}

/** Claims of a JWT access token (undefined for opaque tokens). */
export function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Codex's credential store.

export function codexStoreKey(name: string, url: string): string {
  return `${name}|${createHash('sha256').update(JSON.stringify({ type: 'http', url, headers: {} })).digest('hex').slice(0, 16)}`;
}

export interface CodexEntry {
  name: string;
  url: string;
  issuer?: string;
  clientId: string;
  accessToken: string;
  refreshToken?: string | null;
  /** Epoch ms; null for "no expiry known". */
  expiresAt?: number | null;
  scopes?: string[];
}

/** Adds (or replaces) entries in `$CODEX_HOME/.credentials.json`, Codex's file store shape (0600). */
export function writeCodexCredentials(codexHome: string, entries: CodexEntry[]): string {
  const path = join(codexHome, '.credentials.json');
  const doc: Record<string, unknown> = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  for (const e of entries) {
    doc[codexStoreKey(e.name, e.url)] = {
      server_name: e.name,
      server_url: e.url,
      ...(e.issuer ? { issuer: e.issuer } : {}),
      client_id: e.clientId,
      access_token: e.accessToken,
      expires_at: e.expiresAt ?? null,
      refresh_token: e.refreshToken ?? null,
      scopes: e.scopes ?? [],
    };
  }
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return path;
}

/** The entry for (name, url) in Codex's file store, raw, or undefined. */
export function readCodexCredential(codexHome: string, name: string, url: string): Record<string, any> | undefined {
  const path = join(codexHome, '.credentials.json');
  if (!existsSync(path)) return undefined;
  return (JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>)[codexStoreKey(name, url)];
}

/** A Codex store entry for freshly minted tokens, as `codex mcp login` writes it. */
export function entryFor(as: RealAs, name: string, url: string, t: MintedTokens, overrides: Partial<CodexEntry> = {}): CodexEntry {
  return {
    name,
    url,
    issuer: as.issuer,
    clientId: t.clientId,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken ?? null,
    expiresAt: t.expiresIn !== undefined ? Date.now() + t.expiresIn * 1000 : null,
    scopes: t.scope ? t.scope.split(' ') : [],
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// `codex mcp login` driven headlessly (the oracle mints its own tokens).

export interface CodexLoginResult {
  code: number | null;
  stdout: string;
  stderr: string;
  authorizeUrl?: string;
  /** Where the scripted browser ended (the callback Codex listens on) or why it stopped. */
  browser?: string;
}

/**
 * Runs `codex mcp login NAME` with CODEX_HOME=codexHome (its config.toml must set
 * `mcp_oauth_credentials_store = "file"`), follows the authorization URL it prints through the
 * AS's automatic interactions, and lets the redirect reach Codex's callback listener.
 */
export function codexLogin(codexBin: string, codexHome: string, name: string, extraArgs: string[] = [], timeoutMs = 40_000): Promise<CodexLoginResult> {
  return new Promise((resolve) => {
    const child = spawn(codexBin, ['mcp', 'login', name, ...extraArgs], {
      env: { ...process.env, CODEX_HOME: codexHome, BROWSER: '/bin/false', DISPLAY: '', RUST_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: CodexLoginResult = { code: null, stdout: '', stderr: '' };
    const onOut = (): void => {
      if (out.authorizeUrl) return;
      const m = /^(https?:\/\/\S+)$/m.exec(out.stdout);
      if (!m || !/[?&]response_type=code/.test(m[1]!)) return;
      out.authorizeUrl = m[1]!;
      const redirect = new URL(out.authorizeUrl).searchParams.get('redirect_uri') ?? 'http://127.0.0.1';
      browse(out.authorizeUrl, redirect)
        .then(async (u) => {
          out.browser = `callback ${u.pathname}${u.searchParams.get('error') ? ` error=${u.searchParams.get('error')}` : ''}`;
          const r = await fetch(u, { signal: AbortSignal.timeout(10_000) });
          await r.text();
        })
        .catch((e: Error) => (out.browser = `stopped: ${e.message}`));
    };
    child.stdout.on('data', (d: Buffer) => {
      out.stdout += d.toString();
      onOut();
    });
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      out.code = code;
      resolve(out);
    });
  });
}

/** A config.toml for Codex with the file credential store and one or more HTTP servers. */
export function codexConfigToml(servers: Record<string, { url: string; extra?: string }>, top = ''): string {
  let toml = `mcp_oauth_credentials_store = "file"\n${top}[features]\nplugins = false\napps = false\n[analytics]\nenabled = false\n`;
  for (const [name, s] of Object.entries(servers)) toml += `[mcp_servers.${name}]\nurl = "${s.url}"\n${s.extra ?? ''}`;
  return toml;
}


export interface TempCodexHome {
  dir: string;
  config: string;
  /** The credential store as it is now (what Codex or `--refresh` wrote back). */
  credentials(): string;
  cleanup(): void;
}

/** A temporary CODEX_HOME with one HTTP server `name` and, optionally, its stored login (else an empty store with `emptyStore`). */
export function tempCodexHome(name: string, url: string, opts: { entry?: CodexEntry; extra?: string; top?: string; emptyStore?: boolean } = {}): TempCodexHome {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-real-as-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, codexConfigToml({ [name]: { url, extra: opts.extra } }, opts.top));
  if (opts.entry) writeCodexCredentials(dir, [opts.entry]);
  else if (opts.emptyStore) writeFileSync(join(dir, '.credentials.json'), '{}');
  return { dir, config, credentials: () => readFileSync(join(dir, '.credentials.json'), 'utf8'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
