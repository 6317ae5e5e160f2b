import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { createRedactor } from '../src/redact.ts';
import { createTranscript } from '../src/pipeline/run-server.ts';
import { renderJson } from '../src/report/render-json.ts';
import { renderMarkdown } from '../src/report/render-markdown.ts';
import { renderText } from '../src/report/render-text.ts';
import type { Report } from '../src/types.ts';
import { SAMPLE_ENVIRONMENT, sampleReport } from '../fixtures/reports/sample-report.ts';
import { runCli, tempConfig } from './helpers/cli.ts';

// Planted secrets: values a config names, and secret-shaped strings a server echoes.
const ENV_TOKEN = 'tok-3f9a7c1e5b2d4a6f8e0c';
const HEADER_VALUE = 'hdr-secret-91b2c3d4e5f6';
const GITHUB_PAT = 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const QUERY_SECRET = 'qs-7d8e9f0a1b2c3d4e';
const JWT_SIGNATURE = 'c2lnbmF0dXJlLXNob3VsZC1uZXZlci1sZWFr';
const JWT = `eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL21jcC5leGFtcGxlLmNvbSJ9.${JWT_SIGNATURE}`;
const SECRETS = [ENV_TOKEN, HEADER_VALUE, GITHUB_PAT, QUERY_SECRET, JWT_SIGNATURE];

/** A report built the way the pipeline builds one: every string captured through the redactor. */
function redactedReport(): Report {
  const redact = createRedactor([ENV_TOKEN, HEADER_VALUE]);
  const report = sampleReport();
  const linear = report.servers[2]!;
  const transcript = createTranscript(redact, () => 0);
  transcript.add('http-request', `POST https://mcp.example.com/mcp?token=${QUERY_SECRET}\nauthorization: Bearer ${ENV_TOKEN}\nx-api-key: ${HEADER_VALUE}`);
  transcript.add('http-response', `HTTP 401 Unauthorized\n{"error":"invalid_token","token":"${JWT}"}`);
  linear.transcript = transcript.entries;
  linear.target = redact.url(`https://mcp.example.com/mcp?token=${QUERY_SECRET}`);
  linear.findings[0]!.message = redact.text(`The server rejected the token ${ENV_TOKEN} (${JWT}).`);
  linear.findings[0]!.evidence = redact.value({
    headers: redact.headers({ authorization: `Bearer ${ENV_TOKEN}`, 'x-api-key': HEADER_VALUE }),
    url: `https://mcp.example.com/mcp?token=${QUERY_SECRET}`,
    access_token: ENV_TOKEN,
    echoed: `your PAT ${GITHUB_PAT} is invalid`,
  });
  const memory = report.servers[3]!;
  memory.stderrTail = [`GITHUB_TOKEN=${GITHUB_PAT}`, `using key ${HEADER_VALUE}`].map((l) => redact.text(l));
  memory.target = redact.text(`uvx memory-mcp --api-key ${ENV_TOKEN}`);
  return report;
}

describe('renderers keep redaction', () => {
  const outputs = () => {
    const report = redactedReport();
    return {
      text: renderText(report, { chalk: new Chalk({ level: 0 }), verbose: true, width: 100 }),
      markdown: renderMarkdown(report, SAMPLE_ENVIRONMENT),
      json: renderJson(report, { verbose: true }),
    };
  };

  for (const format of ['text', 'markdown', 'json'] as const) {
    test(`${format}: no planted secret, and the redacted places still show <redacted>`, () => {
      const out = outputs()[format];
      for (const secret of SECRETS) assert.ok(!out.includes(secret), `${format} output leaks ${secret.slice(0, 6)}…`);
      assert.ok(out.includes('<redacted>') || out.includes('&lt;redacted&gt;'), 'the redacted evidence is rendered, not dropped');
      // A JWT's claims may be shown (contract §4), never its signature.
      assert.ok(out.includes('eyJhdWQiOiJodHRwczovL21jcC5leGFtcGxlLmNvbSJ9'));
    });
  }
});

describe('the built CLI keeps secrets out of every format', () => {
  test('--url with a secret query parameter, a secret header and a bearer variable', async (t) => {
    const cfg = tempConfig('');
    t.after(() => cfg.cleanup());
    const url = `http://127.0.0.1:9/mcp?api_key=${QUERY_SECRET}`;
    const args = ['check', '--url', url, '--header', `X-Api-Key: ${HEADER_VALUE}`, '--bearer-env', 'DOCTOR_TEST_TOKEN', '--timeout', '5', '--verbose'];
    for (const format of ['text', 'json', 'markdown']) {
      const result = await runCli([...args, '--format', format], { env: { DOCTOR_TEST_TOKEN: ENV_TOKEN, CODEX_HOME: cfg.dir }, timeoutMs: 30_000 });
      for (const secret of [QUERY_SECRET, HEADER_VALUE, ENV_TOKEN]) {
        assert.ok(!result.stdout.includes(secret), `${format} stdout leaks ${secret.slice(0, 6)}…`);
        assert.ok(!result.stderr.includes(secret), `${format} stderr leaks ${secret.slice(0, 6)}…`);
      }
      assert.ok(result.stdout.length > 0, `${format}: a report was written (exit ${result.code}, stderr ${result.stderr})`);
    }
  });
});
