/**
 * `check --codex`: what the installed Codex itself says, beside mcp-doctor's own verdict. JSON
 * names: `ServerReport.codex` and the top-level `Report.codex`.
 */

/** What Codex said about one server (JSON: `servers[].codex`). */
export interface CodexServerOpinion {
  /** The Codex version that was asked, e.g. "0.169.0". */
  version: string;
  /** Codex initialized the server and listed its tools. */
  connected: boolean;
  /** How many tools Codex got; null when it did not connect. */
  tools: number | null;
  /** Codex's error, summarized (rmcp's type names and the repeated tail removed) and redacted; null when connected. */
  error: string | null;
  /** Codex's `authStatus`: unsupported | notLoggedIn | bearerToken | oAuth | unknown. */
  authStatus?: string;
  /** Why the verdict is to be read with care (e.g. a token refresh mcp-doctor did not allow). */
  note?: string;
}

/** The Codex run as a whole (JSON: top-level `codex`). */
export interface CodexRunReport {
  /** The Codex version that answered; absent when it was unavailable. */
  version?: string;
  /** The Codex release mcp-doctor's verdicts are calibrated on (src/codex/codex-version.ts). */
  calibratedVersion?: string;
  /** Why Codex was not asked or gave no answer (not installed, no such app-server method, timed out…). */
  unavailable?: string;
  /** Codex refuses the whole config: its reason, e.g. "…/config.toml:5:1: bearer_token is not supported for streamable_http". */
  configError?: string;
  /** Codex's config warnings (ignored keys…). */
  warnings?: string[];
  /** The program that was run. */
  path?: string;
  durationMs?: number;
}

// The report model (src/types.ts) gains these fields here, next to their definitions.
declare module '../types.ts' {
  interface ServerReport {
    /** `check --codex`: what Codex said about this server; absent when Codex was not asked or did not list it. */
    codex?: CodexServerOpinion;
  }
  interface Report {
    /** `check --codex`: the Codex run (version, or why it is unavailable; a whole-config refusal). */
    codex?: CodexRunReport;
  }
}
