// `1.0` and `1e300` where Codex expects an all-optional object: serde_json (arbitrary_precision)
// reads a fraction or an exponent there and Codex connects, an integer fails (measured, and asked
// of the oracle in test/fuzz/). JavaScript reads `1.0` as 1, so the doctor judges the literal as
// written (codex-wire.ts withSourceForms), over stdio and HTTP alike.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FloatLiteral, rememberSource, withSourceForms } from '../src/transports/codex-wire.ts';
import { hostileMarker, runHostile } from './helpers/hostile.ts';
import { startWireHttp, HTTP_TOOLS } from './helpers/wire-http.ts';
import { validSpec, wireStdioConfig } from './helpers/wire-spec.ts';
import { writeFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'mcp-doctor-floats-'));
const stops: (() => void)[] = [];
after(() => {
  for (const stop of stops) stop();
  rmSync(dir, { recursive: true, force: true });
});

const initWith = (capabilities: string) => `{"jsonrpc":"2.0","id":__ID__,"result":{"protocolVersion":"2025-06-18","capabilities":${capabilities},"serverInfo":{"name":"w","version":"1"}}}`;
const CASES: [string, string, boolean][] = [
  ['1.0', '1.0', true],
  ['1e300', '1e300', true],
  ['tools 1E3', '{"tools":1E3}', true],
  ['experimental.x 1.0', '{"tools":{},"experimental":{"x":1.0}}', true],
  ['1 (an integer)', '1', false],
  ['tools 1', '{"tools":1}', false],
];

describe('number literals where Codex reads an object', () => {
  it('keeps the form of each literal from the text, and only when it was remembered', () => {
    const text = '{"jsonrpc":"2.0","id":1,"result":{"a":1.0,"b":1,"c":"1.5","d":[2.50e1]}}';
    const value = JSON.parse(text);
    assert.equal(withSourceForms(value.result), value.result);
    rememberSource(value, text);
    const result = withSourceForms(value.result) as Record<string, unknown>;
    assert.ok(result.a instanceof FloatLiteral);
    assert.equal(String(result.a), '1.0');
    assert.equal(result.b, 1);
    assert.equal(result.c, '1.5');
    assert.ok((result.d as unknown[])[0] instanceof FloatLiteral);
    assert.deepEqual(JSON.parse(JSON.stringify(result)), value.result);
  });

  for (const [what, caps, connects] of CASES) {
    it(`capabilities ${what}: ${connects ? 'not failed (Codex connects)' : 'fail (Codex refuses)'}, over stdio and HTTP`, async () => {
      const marker = hostileMarker();
      const stdio = wireStdioConfig(dir, `s${CASES.findIndex((c) => c[0] === what)}`, { ...validSpec(), initialize: { text: initWith(caps) } }, marker, 8);
      const server = await startWireHttp({ initialize: { body: { text: initWith(caps) } }, tools: { body: { text: HTTP_TOOLS } } }, join(dir, `h-${what}.json`));
      stops.push(server.stop);
      const http = join(dir, `h-${what}.toml`);
      writeFileSync(http, `[mcp_servers.h]\nurl = "${server.url}"\nstartup_timeout_sec = 8\n`);
      for (const config of [stdio, http]) {
        const run = await runHostile(['check', '--json', '--config', config], { marker });
        const report = JSON.parse(run.stdout).servers[0];
        const refusals = report.findings.filter((f: any) => f.severity === 'error').map((f: any) => f.code);
        if (connects) assert.notEqual(report.status, 'fail', `${config}: ${refusals.join(' ')}`);
        else assert.equal(report.status, 'fail', `${config}: ${JSON.stringify(report.findings).slice(0, 800)}`);
      }
    });
  }
});
