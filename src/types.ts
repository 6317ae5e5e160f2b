/**
 * The report model. Field names mirror ../shared/contract.md §3 exactly: users and scripts read
 * them from `--format json`. Extra fields are allowed; renames are not.
 */

export const STAGE_NAMES = ['config', 'discovery', 'auth', 'initialize', 'tools'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const STAGE_STATUSES = ['pass', 'warn', 'fail', 'skipped', 'crashed'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SERVER_STATUSES = ['ok', 'warn', 'fail', 'skipped'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

export type Transport = 'stdio' | 'streamable_http' | 'unknown';

export const FORMATS = ['text', 'json', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

/**
 * How a fix was proven (`check --verify-fixes`, and always under `check --fix`; docs/fixes.md):
 * `cleared` — the config with this fix applied was checked again and the finding was gone;
 * `still-present` — it was tried and the finding was still there;
 * `inconclusive` — tried, but the re-check stopped before the stage that reports the finding,
 * or that stage then failed with another error (the change moved the problem);
 * `not-tried` — not safe or not possible to try locally (a login, a package install, a
 * server-side change, new secrets...): renderers show it as "unverified".
 */
export const FIX_VERIFICATIONS = ['cleared', 'still-present', 'inconclusive', 'not-tried'] as const;
export type FixVerification = (typeof FIX_VERIFICATIONS)[number];

/**
 * A fix. Its config edit is `toml` + `remove` + `rename`, all on ONE table (see docs/fixes.md):
 *
 * - `toml`: the corrected fragment of the table, e.g. `[mcp_servers.github]\nbearer_token_env_var = "GITHUB_TOKEN"`.
 *   Every key in it is SET (the value replaced where the key stands, else the key is added after
 *   the table's last key); keys it does not name are left alone. An inline table or a dotted key
 *   (`env.A = "1"`) sets the whole sub-table. It must parse as TOML and never hold a secret: a
 *   `<redacted>` value makes the fix unappliable.
 * - `remove`: keys deleted from the table (a foreign `type`, an inline `bearer_token`...).
 * - `rename`: keys renamed with their value kept as written (`{ headers: "http_headers" }`): the
 *   way to move a value the report must not show.
 * - `table`: which table, as a dotted TOML key (`mcp_servers.github`, `mcp_servers."a.b".oauth`,
 *   `features`; `""` is the top level). Default: the header of `toml`; required without `toml`.
 *
 * Removals apply first, then renames, then sets. Examples:
 * `{ summary, table: 'mcp_servers.x', remove: ['type'] }`;
 * `{ summary, toml: '[mcp_servers.x]\nbearer_token_env_var = "X_TOKEN"', remove: ['bearer_token'] }`;
 * `{ summary, toml: '[mcp_servers.x]\nurl = "http://127.0.0.1:3000/mcp"' }`.
 */
export interface Fix {
  summary: string;
  /** A snippet that parses as TOML, to paste into (or merge with) the config; its keys are set. */
  toml?: string;
  /** The table `toml`/`remove`/`rename` apply to (dotted TOML key); default: the header of `toml`. */
  table?: string;
  /** Keys to delete from `table`. */
  remove?: string[];
  /** Keys to rename in `table` (old name → new name), values kept as written. */
  rename?: Record<string, string>;
  /** `toml` holds placeholders the user fills in (`client_id = "…"`): shown, never applied or tried. */
  template?: boolean;
  /** Why this fix is for the user to judge, never tried by mcp-doctor (e.g. it points at an origin mcp-doctor refused to contact). */
  untried?: string;
  command?: string;
  /**
   * Whether the fix was tried: `true` when re-checking with the fix applied cleared the finding,
   * `false` when it was tried and did not, absent when it was not tried (unsafe or not local).
   */
  verified?: boolean;
  /** The detailed outcome behind `verified`; absent when verification did not run. */
  verification?: FixVerification;
  /** Why the fix was not tried, or what else the re-check found. Redacted. */
  verificationNote?: string;
}

/** One fix as `check --fix` handled it (JSON: `fixes.applied[]` / `fixes.skipped[]`). */
export interface FixOutcome {
  /** The server's name; null for a file-level finding. */
  server: string | null;
  code: string;
  summary: string;
  /** The file the fix edits. */
  path?: string;
  verification?: FixVerification;
  /** Why it is not in the diff. */
  reason?: string;
}

/** `check --fix` (JSON: top-level `fixes`). */
export interface FixesReport {
  /** One unified diff per config file the fixes change. */
  files: Array<{ path: string; diff: string }>;
  applied: FixOutcome[];
  skipped: FixOutcome[];
  /** With `--write`: what happened to the files. */
  write?: { written: boolean; backups: string[]; refused?: string };
}

export interface Finding {
  code: string;
  severity: Severity;
  stage: StageName | 'file';
  message: string;
  /** Redacted at capture time: never holds a secret. */
  evidence?: Record<string, unknown>;
  fix?: Fix;
}

export interface Stage {
  name: StageName;
  status: StageStatus;
  durationMs: number;
  /** One line; for `skipped`, the reason. */
  summary: string;
}

export interface ServerInfo {
  protocolVersion?: string;
  name?: string;
  version?: string;
  httpTransport?: 'streamable' | 'sse';
  era?: 'legacy' | 'modern';
}

export interface ToolsSummary {
  count: number;
  names: string[];
  /** Per kept tool, what the model is sent through Codex (docs/model-view.md). */
  model?: ToolModelEntry[];
}

/** One tool as the model sees it through Codex: the `tools.model[]` entries of the JSON report. */
export interface ToolModelEntry {
  /** The raw name from tools/list. */
  name: string;
  /** The `mcp__<server>` namespace Codex sends it in. */
  namespace: string;
  /** The function name inside the namespace; absent when Codex leaves the tool out. */
  modelName?: string;
  /** The `parameters` Codex sends (absent when dropped, or when larger than the report's bound: see schemaBytes). */
  schema?: unknown;
  /** Size of the `parameters` JSON Codex sends. */
  schemaBytes?: number;
  /** Size of the description Codex sends (whole). */
  descriptionBytes?: number;
  /** Why Codex leaves the tool out of what the model sees. */
  dropped?: string;
  /** What Codex changes on the way, in words. */
  notes: string[];
  /** What the model API documents it refuses in what Codex sends. */
  refusals?: { rule: string; detail: string }[];
}

/** One exchange or event on the wire, redacted when recorded. */
export interface TranscriptEntry {
  /** Milliseconds since the server's check started. */
  t: number;
  kind: 'http-request' | 'http-response' | 'sse-event' | 'stdio-out' | 'stdio-in' | 'stderr' | 'note' | 'process';
  text: string;
}

/** A config layer, as Codex orders them (src/config/config-layers.ts). */
export type ConfigLayerKind = 'system' | 'user' | 'profile' | 'project' | 'cli' | 'managed';

export interface ServerReport {
  name: string;
  transport: Transport;
  target: string;
  status: ServerStatus;
  stages: Stage[];
  findings: Finding[];
  server: ServerInfo;
  tools: ToolsSummary | null;
  /** Which config file defined this server (user config or a trusted project's .codex/config.toml). */
  source?: string;
  /**
   * Where each effective value came from, when more than one config layer set this server's
   * values: `{ "command": { "layer": "system", "file": "/etc/codex/config.toml" }, "args": { "layer":
   * "cli", "flag": "-c mcp_servers.x.args" } }`. Keys are paths inside the server's table.
   */
  configSources?: Record<string, { layer: ConfigLayerKind; file?: string; flag?: string }>;
  /** Wire transcript; present in JSON only with --verbose. */
  transcript?: TranscriptEntry[];
  /** The stderr tail of a stdio server, redacted. */
  stderrTail?: string[];
  /** A stdio server that bridges to a remote URL (mcp-remote…): the remote checked directly. */
  bridge?: BridgeReport;
}

/**
 * The diagnosis of the remote behind a stdio bridge (`npx mcp-remote URL`): the HTTP pipeline run
 * against the bridge's URL with the headers (and cached token) the bridge would send. Its findings
 * are read as the bridge meets them: a legacy SSE remote is information when the bridge speaks SSE.
 */
export interface BridgeReport {
  /** The bridge program: `mcp-remote`, `mcp-proxy` or `supergateway`. */
  kind: string;
  /** The remote URL, redacted. */
  url: string;
  /** How the remote answered: Streamable HTTP, or the legacy HTTP+SSE transport. */
  transport: 'streamable_http' | 'sse';
  status: ServerStatus;
  stages: Stage[];
  findings: Finding[];
  server: ServerInfo;
  tools: ToolsSummary | null;
  /** Wire transcript of the direct check; with --verbose only. */
  transcript?: TranscriptEntry[];
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'mcp-doctor'; version: string };
  config: {
    path: string;
    files?: string[];
    /** The layers Codex reads, lowest precedence first, when more than the user config is in effect (`-c` as `{ layer: "cli", file: "-c" }`). */
    layers?: Array<{ layer: ConfigLayerKind; file: string }>;
    /** `--profile`, when given. */
    profile?: string;
    /** The requirements.toml that constrains MCP servers, when there is one. */
    requirements?: string;
  } | null;
  findings: Finding[];
  servers: ServerReport[];
  summary: { ok: number; warn: number; fail: number; skipped: number };
  /**
   * `check --deep`: whether the spec-conformance probes Codex does not depend on were sent
   * (codes marked deepOnly in the registry). Absent in reports that checked no server.
   */
  deep?: boolean;
  /** `check --fix`: the proposed (or written) config change. */
  fixes?: FixesReport;
  /** Set when mcp-doctor itself failed; the exit code is then 3. */
  internalError?: string;
}
