/**
 * A hand-written check of the JSON report against shared/contract.md §3. It returns every
 * violation (path: problem) so a failing test says what is wrong, not just that something is.
 * Extra fields are allowed (the contract lets the report grow); missing or mistyped ones are not.
 */
const STAGES = ['config', 'discovery', 'auth', 'initialize', 'tools'];
const STAGE_STATUSES = ['pass', 'warn', 'fail', 'skipped', 'crashed'];
const SERVER_STATUSES = ['ok', 'warn', 'fail', 'skipped'];
const SEVERITIES = ['error', 'warning', 'info'];
const TRANSPORTS = ['stdio', 'streamable_http', 'unknown'];

type Json = unknown;

export function contractViolations(report: Json): string[] {
  const errors: string[] = [];
  const fail = (path: string, problem: string) => errors.push(`${path}: ${problem}`);
  const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const str = (v: Json, path: string) => typeof v === 'string' || fail(path, `expected a string, got ${JSON.stringify(v)}`);
  const oneOf = (v: Json, values: string[], path: string) => values.includes(v as string) || fail(path, `expected one of ${values.join('|')}, got ${JSON.stringify(v)}`);
  const count = (v: Json, path: string) => (Number.isInteger(v) && (v as number) >= 0) || fail(path, `expected a count, got ${JSON.stringify(v)}`);

  const finding = (f: Json, path: string) => {
    if (!isObject(f)) return fail(path, 'expected an object');
    str(f.code, `${path}.code`);
    if (typeof f.code === 'string' && !/^[a-z]+\.[a-z0-9-]+$/.test(f.code)) fail(`${path}.code`, `not a dotted code: ${f.code}`);
    oneOf(f.severity, SEVERITIES, `${path}.severity`);
    oneOf(f.stage, [...STAGES, 'file'], `${path}.stage`);
    str(f.message, `${path}.message`);
    if ('evidence' in f && !isObject(f.evidence)) fail(`${path}.evidence`, 'expected an object when present');
    if ('fix' in f) {
      if (!isObject(f.fix)) return fail(`${path}.fix`, 'expected an object when present');
      str(f.fix.summary, `${path}.fix.summary`);
      if ('toml' in f.fix) str(f.fix.toml, `${path}.fix.toml`);
      if ('command' in f.fix) str(f.fix.command, `${path}.fix.command`);
    }
  };

  if (!isObject(report)) return ['(root): expected an object'];
  if (report.schemaVersion !== 1) fail('schemaVersion', `expected 1, got ${JSON.stringify(report.schemaVersion)}`);
  if (!isObject(report.tool) || report.tool.name !== 'mcp-doctor') fail('tool.name', 'expected "mcp-doctor"');
  else str(report.tool.version, 'tool.version');
  if (report.config !== null) {
    if (!isObject(report.config)) fail('config', 'expected an object or null');
    else str(report.config.path, 'config.path');
  }
  if (!Array.isArray(report.findings)) fail('findings', 'expected an array');
  else report.findings.forEach((f, i) => finding(f, `findings[${i}]`));

  const tally: Record<string, number> = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  if (!Array.isArray(report.servers)) fail('servers', 'expected an array');
  else
    report.servers.forEach((s, i) => {
      const path = `servers[${i}]`;
      if (!isObject(s)) return fail(path, 'expected an object');
      str(s.name, `${path}.name`);
      oneOf(s.transport, TRANSPORTS, `${path}.transport`);
      str(s.target, `${path}.target`);
      oneOf(s.status, SERVER_STATUSES, `${path}.status`);
      if (typeof s.status === 'string' && s.status in tally) tally[s.status]!++;
      if (!Array.isArray(s.stages)) fail(`${path}.stages`, 'expected an array');
      else {
        const names = s.stages.map((st) => (isObject(st) ? st.name : undefined));
        if (JSON.stringify(names) !== JSON.stringify(STAGES)) fail(`${path}.stages`, `expected the five stages in order, got ${JSON.stringify(names)}`);
        s.stages.forEach((st, j) => {
          if (!isObject(st)) return fail(`${path}.stages[${j}]`, 'expected an object');
          oneOf(st.status, STAGE_STATUSES, `${path}.stages[${j}].status`);
          if (typeof st.durationMs !== 'number' || st.durationMs < 0) fail(`${path}.stages[${j}].durationMs`, 'expected a non-negative number');
          str(st.summary, `${path}.stages[${j}].summary`);
          if (st.status === 'skipped' && st.summary === '') fail(`${path}.stages[${j}].summary`, 'a skipped stage needs its reason');
        });
      }
      if (!Array.isArray(s.findings)) fail(`${path}.findings`, 'expected an array');
      else {
        s.findings.forEach((f, j) => finding(f, `${path}.findings[${j}]`));
        // Contract §3: the status follows from the findings (skipped servers aside).
        const severities = s.findings.map((f) => (isObject(f) ? f.severity : undefined));
        const expected = severities.includes('error') ? 'fail' : severities.includes('warning') ? 'warn' : 'ok';
        if (s.status !== 'skipped' && s.status !== expected) fail(`${path}.status`, `findings say ${expected}, status is ${String(s.status)}`);
      }
      if (!isObject(s.server)) fail(`${path}.server`, 'expected an object');
      else {
        for (const key of ['protocolVersion', 'name', 'version']) if (key in s.server) str(s.server[key], `${path}.server.${key}`);
        if ('httpTransport' in s.server) oneOf(s.server.httpTransport, ['streamable', 'sse'], `${path}.server.httpTransport`);
        if ('era' in s.server) oneOf(s.server.era, ['legacy', 'modern'], `${path}.server.era`);
      }
      if (s.tools !== null) {
        if (!isObject(s.tools)) fail(`${path}.tools`, 'expected an object or null');
        else {
          count(s.tools.count, `${path}.tools.count`);
          if (!Array.isArray(s.tools.names) || !s.tools.names.every((n) => typeof n === 'string')) fail(`${path}.tools.names`, 'expected an array of strings');
        }
      }
    });

  if (!isObject(report.summary)) fail('summary', 'expected an object');
  else
    for (const key of SERVER_STATUSES) {
      count(report.summary[key], `summary.${key}`);
      if (Array.isArray(report.servers) && report.summary[key] !== tally[key]) fail(`summary.${key}`, `is ${String(report.summary[key])}, servers say ${tally[key]}`);
    }
  return errors;
}
