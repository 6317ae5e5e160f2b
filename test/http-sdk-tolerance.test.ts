import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startExtraServer, type ExtraName } from '../fixtures/http/doctor-extras.ts';
import { startForensicsServer, type ForensicsName } from '../fixtures/http/forensics-extras.ts';
import { startFixtureServer, type ScenarioName } from '../fixtures/http/scenarios.ts';
import { checkHttp, codes } from './helpers/http-check.ts';

/**
 * `sdkTolerates` in a finding's evidence is a claim about the official TypeScript SDK client
 * (the devDependency, 1.x): that it connects, lists the tools and ends the session despite the
 * deviation. Here the real client runs against the same fixture, and the claim must hold:
 * the SDK succeeds exactly when every deviation found says it tolerates it.
 */

const SDK_TIMEOUT_MS = 1500;

async function sdkWorks(url: string): Promise<{ ok: boolean; detail: string }> {
  const client = new Client({ name: 'mcp-doctor-sdk-tolerance', version: '0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  // Errors also reach onerror (e.g. a failed GET stream, which the SDK treats as non-fatal).
  transport.onerror = () => undefined;
  try {
    await client.connect(transport, { timeout: SDK_TIMEOUT_MS });
    const listed = await client.listTools(undefined, { timeout: SDK_TIMEOUT_MS });
    await transport.terminateSession();
    return { ok: true, detail: `${listed.tools.length} tools` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.slice(0, 200) };
  } finally {
    await client.close().catch(() => undefined);
  }
}

type Case = { kind: 'forensics'; name: ForensicsName } | { kind: 'scenario'; name: ScenarioName } | { kind: 'extra'; name: ExtraName };

const CASES: Case[] = [
  ...(
    [
      'healthy',
      'batch-initialize',
      'batch-tools',
      'sse-no-answer',
      'sse-no-answer-with-id',
      'sse-wrong-id',
      'session-id-space',
      'session-id-latin1',
      'session-rotating',
      'missing-session-404',
      'pv-header-required',
      'pv-any-version',
      'delete-500',
      'delete-keeps-session',
    ] as const
  ).map((name) => ({ kind: 'forensics' as const, name })),
  ...(['stale-session-401', 'session-get-404', 'init-unknown-version', 'initialized-not-202', 'initialized-400', 'hybrid-sse', 'tools-invalid-name'] as const).map((name) => ({
    kind: 'scenario' as const,
    name,
  })),
  { kind: 'extra', name: 'initialized-204' },
];

async function start(c: Case) {
  if (c.kind === 'forensics') return startForensicsServer(c.name);
  if (c.kind === 'scenario') return startFixtureServer(c.name);
  return startExtraServer(c.name);
}

describe('sdkTolerates agrees with the official SDK client', () => {
  for (const c of CASES) {
    test(`${c.kind} ${c.name}`, { timeout: 30_000 }, async () => {
      const server = await start(c);
      try {
        // --deep: the claims of the deep-only findings (session, MCP-Protocol-Version, DELETE) are checked too.
        const report = await checkHttp({ url: server.url }, { timeoutMs: 8000, deep: true });
        const claims = report.findings.filter((f) => typeof f.evidence?.sdkTolerates === 'boolean');
        if (c.name !== 'healthy') assert.ok(claims.length > 0, `no deviation found: ${codes(report).join(', ')}`);
        const sdk = await sdkWorks(server.url);
        const claimed = claims.every((f) => f.evidence?.sdkTolerates === true);
        assert.equal(
          sdk.ok,
          claimed,
          `SDK ${sdk.ok ? 'worked' : 'failed'} (${sdk.detail}); findings: ${claims.map((f) => `${f.code} sdkTolerates=${f.evidence?.sdkTolerates}`).join(', ')}`,
        );
      } finally {
        await server.close();
      }
    });
  }
});
