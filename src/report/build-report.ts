import type { ConfigLayerKind, Finding, Report, ServerReport } from '../types.ts';
import { VERSION } from '../version.ts';

export function buildReport(input: {
  configPath: string | null;
  files?: string[];
  /** Report these only when more than the user config is in effect. */
  layers?: Array<{ layer: ConfigLayerKind; file: string }>;
  profile?: string;
  requirements?: string;
  findings: Finding[];
  servers: ServerReport[];
  deep?: boolean;
}): Report {
  const summary = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const server of input.servers) summary[server.status]++;
  return {
    schemaVersion: 1,
    tool: { name: 'mcp-doctor', version: VERSION },
    config:
      input.configPath === null
        ? null
        : {
            path: input.configPath,
            ...(input.files ? { files: input.files } : {}),
            ...(input.layers && input.layers.some((l) => l.layer !== 'user' && l.layer !== 'project') ? { layers: input.layers } : {}),
            ...(input.profile !== undefined ? { profile: input.profile } : {}),
            ...(input.requirements !== undefined ? { requirements: input.requirements } : {}),
          },
    findings: input.findings,
    servers: input.servers,
    summary,
    ...(input.deep !== undefined && { deep: input.deep }),
  };
}

/** Contract §2: 0 all ok/warn, 1 any fail (or warn with --strict), 3 internal error. */
export function exitCodeFor(report: Report, strict: boolean): 0 | 1 | 3 {
  if (report.internalError) return 3;
  if (report.servers.some((s) => s.findings.some((f) => f.code === 'internal.stage-crashed'))) return 3;
  const fileErrors = report.findings.some((f) => f.severity === 'error');
  if (report.summary.fail > 0 || fileErrors) return 1;
  if (strict && (report.summary.warn > 0 || report.findings.some((f) => f.severity === 'warning'))) return 1;
  return 0;
}
