import type { Finding, Fix, Severity, StageName } from '../types.ts';
import { REGISTRY, type FindingCode } from './registry.ts';

export interface FindingInput {
  message: string;
  /** Must already be redacted (use ctx.redact). */
  evidence?: Record<string, unknown>;
  fix?: Fix;
  /** Overrides the registry default for codes whose severity depends on the variant. */
  severity?: Severity;
  /** Overrides the registry's stage (e.g. a network failure seen during `tools`). */
  stage?: StageName | 'file';
}

/** Builds a Finding from the registry, so that code, default severity and stage stay consistent. */
export function makeFinding(code: FindingCode, input: FindingInput): Finding {
  const spec = REGISTRY[code];
  const finding: Finding = {
    code,
    severity: input.severity ?? spec.severity,
    stage: input.stage ?? spec.stage,
    message: input.message,
  };
  if (input.evidence && Object.keys(input.evidence).length > 0) finding.evidence = input.evidence;
  if (input.fix) finding.fix = input.fix;
  return finding;
}
