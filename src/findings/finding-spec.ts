import type { Severity, StageName } from '../types.ts';

/** What the registry holds for each finding code (registry.ts). */
export interface FindingSpec {
  title: string;
  /** Default severity; a few codes vary by variant (see `severityNote`). */
  severity: Severity;
  severityNote?: string;
  stage: StageName | 'file';
  /** What it means and why it happens. */
  explanation: string;
  /** How mcp-doctor detects it. */
  detection: string;
  /**
   * Found only by `check --deep`: a spec-conformance probe whose answer no Codex behaviour depends
   * on, left out of the default check so that it reports only what a Codex user can act on.
   */
  deepOnly?: true;
  /** The generic fix; findings carry a server-specific one. */
  fix: string;
  /** Text Codex prints for this situation, so users can match the line they saw. */
  codexSays?: string[];
  /** Spec sections and upstream issues. */
  refs?: string[];
}

/** The MCP specification's base URL, for `refs`. */
export const SPEC = 'https://modelcontextprotocol.io/specification';
