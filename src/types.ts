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

export interface Fix {
  summary: string;
  /** A snippet that parses as TOML, to paste into (or merge with) the config. */
  toml?: string;
  command?: string;
  /**
   * Whether the fix was tried: `true` when re-checking with the fix applied cleared the finding,
   * `false` when it was tried and did not, absent when it was not tried (unsafe or not local).
   */
  verified?: boolean;
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
}

/** One exchange or event on the wire, redacted when recorded. */
export interface TranscriptEntry {
  /** Milliseconds since the server's check started. */
  t: number;
  kind: 'http-request' | 'http-response' | 'sse-event' | 'stdio-out' | 'stdio-in' | 'stderr' | 'note' | 'process';
  text: string;
}

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
  /** Wire transcript; present in JSON only with --verbose. */
  transcript?: TranscriptEntry[];
  /** The stderr tail of a stdio server, redacted. */
  stderrTail?: string[];
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'mcp-doctor'; version: string };
  config: { path: string; files?: string[] } | null;
  findings: Finding[];
  servers: ServerReport[];
  summary: { ok: number; warn: number; fail: number; skipped: number };
  /** Set when mcp-doctor itself failed; the exit code is then 3. */
  internalError?: string;
}
