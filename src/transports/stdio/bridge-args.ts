import type { Bridge, BridgeKind } from '../../config/launchers.ts';

/**
 * What a stdio bridge (mcp-remote, mcp-proxy, supergateway) sends to its remote, read from its
 * arguments the way the bridge itself reads them. For mcp-remote 0.15.1 that is
 * `parseCommandLineArgs` in node_modules/mcp-remote/dist/chunk-KJCT2FXL.js: `--header "Name:
 * value"` pairs (and `--header-file`) are taken out first, the URL is then the first argument,
 * and `${VAR}` in header values is replaced from the bridge's own environment
 * (`substituteEnvVars`), which under Codex is the cleared child environment: a variable that is
 * not in it is sent as the literal `${VAR}`.
 */
export interface BridgeSpec {
  kind: BridgeKind;
  url: string;
  /** Headers as written in the arguments (mcp-remote derives its cache key from these, unexpanded). */
  rawHeaders: Record<string, string>;
  /** Headers as the bridge sends them. */
  headers: Record<string, string>;
  /** `${VAR}` placeholders the bridge's environment lacks, so the literal text goes out. */
  unexpanded: string[];
  /** `${VAR}` placeholders that were expanded: their values are secrets. */
  expanded: string[];
  /** The HTTP transports the bridge tries, in order. */
  transports: Array<'streamable' | 'sse'>;
  /** mcp-remote's `--transport` value (default `http-first`). */
  strategy?: string;
  /** mcp-remote: `--resource` (RFC 8707), unless `--disable-resource-parameter`. */
  resource?: string;
  /** mcp-remote: `--authorize-param key=value`. */
  authorizeParams: Record<string, string>;
  /** mcp-remote: `--client-metadata-url` (only an https URL with a path counts). */
  clientMetadataUrl?: string;
  /** mcp-remote: `--token-endpoint` (with `--client-credentials`), normalised as mcp-remote does. */
  tokenEndpoint?: string;
  /** mcp-remote signs in without a browser (`--device-code`, `--client-credentials`). */
  browserless: boolean;
  /** mcp-remote has a pre-registered client (`--static-oauth-client-info`): no registration needed. */
  staticClient: boolean;
  /** The pinned version, when the package spec names one. */
  version?: string;
  /** A `--header-file` that could not be read. */
  unreadableHeaderFile?: string;
}

export interface BridgeArgsInput {
  bridge: Bridge;
  /** The environment the bridge gets (Codex's child environment). */
  env: Record<string, string | undefined>;
  /** Reads a `--header-file` (relative paths against the server's cwd). */
  readFile(path: string): Promise<string>;
  cwd: string;
}

const HEADER_LINE = /^([A-Za-z0-9_-]+):\s*(.*)$/;
const PLACEHOLDER = /\$\{([^}]+)\}/g;

function flagValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index !== -1 && index < args.length - 1 ? args[index + 1] : undefined;
}

export async function parseBridgeArgs(input: BridgeArgsInput): Promise<BridgeSpec> {
  const { bridge } = input;
  if (bridge.kind === 'mcp-remote') return parseMcpRemote(input);
  const args = bridge.args;
  const rawHeaders: Record<string, string> = {};
  let transports: BridgeSpec['transports'];
  if (bridge.kind === 'mcp-proxy') {
    // sparfenyuk/mcp-proxy: `-H/--headers KEY VALUE`; SSE unless `--transport streamablehttp`.
    for (let i = 0; i < args.length - 2; i++) {
      if (args[i] === '-H' || args[i] === '--headers') rawHeaders[args[i + 1]!] = args[i + 2]!;
    }
    const transport = flagValue(args, '--transport') ?? args.find((a) => a.startsWith('--transport='))?.slice('--transport='.length);
    transports = transport === 'streamablehttp' ? ['streamable'] : ['sse'];
    const token = input.env.API_ACCESS_TOKEN;
    if (token && !Object.keys(rawHeaders).some((h) => h.toLowerCase() === 'authorization')) rawHeaders.Authorization = `Bearer ${token}`;
  } else {
    // supergateway: `--sse URL` or `--streamableHttp URL`, `--header "K: V"`, `--oauth2Bearer TOKEN`.
    for (let i = 0; i < args.length - 1; i++) {
      if (args[i] === '--header') {
        const match = HEADER_LINE.exec(args[i + 1]!);
        if (match) rawHeaders[match[1]!] = match[2]!;
      }
    }
    const bearer = flagValue(args, '--oauth2Bearer');
    if (bearer) rawHeaders.Authorization = `Bearer ${bearer}`;
    transports = flagValue(args, '--streamableHttp') !== undefined ? ['streamable'] : ['sse'];
  }
  return {
    kind: bridge.kind,
    url: bridge.url,
    rawHeaders,
    headers: { ...rawHeaders },
    unexpanded: [],
    expanded: bridge.kind === 'mcp-proxy' && input.env.API_ACCESS_TOKEN ? ['API_ACCESS_TOKEN'] : [],
    transports,
    authorizeParams: {},
    browserless: true,
    staticClient: false,
    ...(bridge.version ? { version: bridge.version } : {}),
  };
}

async function parseMcpRemote(input: BridgeArgsInput): Promise<BridgeSpec> {
  const { bridge, env } = input;
  const args = [...bridge.args];
  const rawHeaders: Record<string, string> = {};
  let unreadableHeaderFile: string | undefined;
  let i = 0;
  while (i < args.length) {
    if (args[i] === '--header' && i < args.length - 1) {
      const match = HEADER_LINE.exec(args[i + 1]!);
      if (match) rawHeaders[match[1]!] = match[2]!;
      args.splice(i, 2);
      continue;
    }
    if (args[i] === '--header-file' && i < args.length - 1) {
      const file = args[i + 1]!;
      try {
        const path = /^(?:[A-Za-z]:)?[\\/]/.test(file) ? file : `${input.cwd}/${file}`;
        for (const line of (await input.readFile(path)).split(/\r?\n/)) {
          const trimmed = line.trim();
          if (!trimmed || trimmed.startsWith('#')) continue;
          const match = HEADER_LINE.exec(trimmed);
          if (match) rawHeaders[match[1]!] = match[2]!;
        }
      } catch {
        unreadableHeaderFile = file;
      }
      args.splice(i, 2);
      continue;
    }
    i++;
  }
  // mcp-remote takes its first argument as the URL; detectBridge found the first URL-looking one.
  const url = args[0] && /^https?:\/\//i.test(args[0]) ? args[0] : bridge.url;

  const strategy = flagValue(args, '--transport');
  const known = ['sse-only', 'http-only', 'sse-first', 'http-first'];
  const effective = strategy && known.includes(strategy) ? strategy : 'http-first';
  const transports: BridgeSpec['transports'] =
    effective === 'http-only' ? ['streamable'] : effective === 'sse-only' ? ['sse'] : effective === 'sse-first' ? ['sse', 'streamable'] : ['streamable', 'sse'];

  const authorizeParams: Record<string, string> = {};
  for (let j = 0; j < args.length - 1; j++) {
    if (args[j] !== '--authorize-param') continue;
    const raw = args[j + 1]!;
    const separator = raw.indexOf('=');
    if (separator >= 1) authorizeParams[raw.slice(0, separator).trim()] = raw.slice(separator + 1);
  }

  let resource: string | undefined;
  let skipResource = args.includes('--disable-resource-parameter');
  const resourceValue = flagValue(args, '--resource');
  if (resourceValue !== undefined) {
    if (resourceValue.trim() === '') skipResource = true;
    else resource = resourceValue.trim();
  }
  if (skipResource) resource = undefined;

  let clientMetadataUrl: string | undefined;
  const metadataValue = flagValue(args, '--client-metadata-url')?.trim();
  if (metadataValue) {
    try {
      const parsed = new URL(metadataValue);
      if (parsed.protocol === 'https:' && parsed.pathname !== '/') clientMetadataUrl = metadataValue;
    } catch {
      // mcp-remote ignores it with a warning.
    }
  }

  const clientCredentials = args.includes('--client-credentials');
  let tokenEndpoint: string | undefined;
  const endpointValue = flagValue(args, '--token-endpoint')?.trim();
  if (endpointValue && clientCredentials && !endpointValue.startsWith('--')) {
    try {
      tokenEndpoint = new URL(endpointValue).toString();
    } catch {
      // mcp-remote refuses to start; the stdio check shows it.
    }
  }

  const headers: Record<string, string> = {};
  const unexpanded = new Set<string>();
  const expanded = new Set<string>();
  for (const [name, value] of Object.entries(rawHeaders)) {
    headers[name] = value.replace(PLACEHOLDER, (match, variable: string) => {
      if (!Object.hasOwn(env, variable) || env[variable] === undefined) {
        unexpanded.add(variable);
        return match;
      }
      expanded.add(variable);
      return env[variable]!;
    });
  }

  return {
    kind: 'mcp-remote',
    url,
    rawHeaders,
    headers,
    unexpanded: [...unexpanded],
    expanded: [...expanded],
    transports,
    ...(strategy ? { strategy } : {}),
    ...(resource ? { resource } : {}),
    authorizeParams,
    ...(clientMetadataUrl ? { clientMetadataUrl } : {}),
    ...(tokenEndpoint ? { tokenEndpoint } : {}),
    browserless: args.includes('--device-code') || clientCredentials,
    staticClient: args.includes('--static-oauth-client-info'),
    ...(bridge.version ? { version: bridge.version } : {}),
    ...(unreadableHeaderFile ? { unreadableHeaderFile } : {}),
  };
}
