import type { BridgeReport, Finding, Report, ServerReport } from '../types.ts';

/**
 * Contract §3: one JSON document on stdout. The contract's fields come first, in its order;
 * fields other engineers add follow them untouched (a stdio bridge's remote, `bridge`, comes
 * after `tools`, in the same shape); `transcript` appears only with --verbose.
 * Keys whose value is undefined are dropped by JSON.stringify, so absent facts stay absent.
 */
export function renderJson(report: Report, options: { verbose: boolean }): string {
  // JSON.stringify escapes C0 controls but leaves DEL, the C1 controls (U+009B is a terminal's
  // CSI) and the JS line separators raw: escaped too, the document is the same JSON and a report
  // printed to a terminal stays inert. They can only occur inside strings.
  return `${JSON.stringify(jsonReport(report, options), null, 2).replace(/[\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

export function jsonReport(report: Report, options: { verbose: boolean }): Record<string, unknown> {
  return ordered(
    {
      ...report,
      findings: report.findings.map(jsonFinding),
      servers: report.servers.map((server) => jsonServer(server, options.verbose)),
    },
    ['schemaVersion', 'tool', 'config', 'findings', 'servers', 'summary'],
  );
}

function jsonServer(server: ServerReport, verbose: boolean): Record<string, unknown> {
  return ordered(
    {
      ...server,
      stages: server.stages.map((stage) => ordered(stage, ['name', 'status', 'durationMs', 'summary'])),
      findings: server.findings.map(jsonFinding),
      server: ordered(server.server, ['protocolVersion', 'name', 'version', 'httpTransport', 'era']),
      bridge: server.bridge ? jsonBridge(server.bridge, verbose) : undefined,
    },
    ['name', 'transport', 'target', 'status', 'stages', 'findings', 'server', 'tools'],
    verbose ? [] : ['transcript'],
  );
}

/** A stdio bridge's remote (additive field `bridge`): its own stages and findings, shaped like a server's. */
function jsonBridge(bridge: BridgeReport, verbose: boolean): Record<string, unknown> {
  return ordered(
    {
      ...bridge,
      stages: bridge.stages.map((stage) => ordered(stage, ['name', 'status', 'durationMs', 'summary'])),
      findings: bridge.findings.map(jsonFinding),
      server: ordered(bridge.server, ['protocolVersion', 'name', 'version', 'httpTransport', 'era']),
    },
    ['kind', 'url', 'transport', 'status', 'stages', 'findings', 'server', 'tools'],
    verbose ? [] : ['transcript'],
  );
}

function jsonFinding(finding: Finding): Record<string, unknown> {
  return ordered(
    { ...finding, fix: finding.fix ? ordered(finding.fix, ['summary', 'toml', 'command']) : undefined },
    ['code', 'severity', 'stage', 'message', 'evidence', 'fix'],
  );
}

/** A copy of `value` with `first` keys leading (when present), the rest after, `omit` left out. */
function ordered(value: object, first: readonly string[], omit: readonly string[] = []): Record<string, unknown> {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of first) if (key in source) out[key] = source[key];
  for (const [key, v] of Object.entries(source)) if (!(key in out) && !omit.includes(key)) out[key] = v;
  return out;
}
