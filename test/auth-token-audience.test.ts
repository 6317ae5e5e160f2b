import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseToml } from 'smol-toml';
import { checkTokenAudience } from '../src/auth/token-audience.ts';
import { createRedactor } from '../src/redact.ts';
import { fakeJwt } from '../fixtures/oauth/oauth-fixtures.ts';

const RESOURCE = 'https://mcp.example.com/mcp';

function check(claims: Record<string, unknown> | string, extra: Partial<Parameters<typeof checkTokenAudience>[0]> = {}) {
  const token = typeof claims === 'string' ? claims : fakeJwt(claims);
  const redact = createRedactor([token]);
  return { token, result: checkTokenAudience({ serverName: 'ex', token, resource: RESOURCE, configuredUrl: RESOURCE, redact, ...extra }) };
}

describe('checkTokenAudience', () => {
  test('aud naming the resource (string or array, trailing slash tolerated) is bound', () => {
    assert.equal(check({ aud: RESOURCE }).result.verdict, 'bound');
    assert.equal(check({ aud: ['https://other.example', RESOURCE] }).result.verdict, 'bound');
    assert.equal(check({ aud: `${RESOURCE}/` }).result.verdict, 'bound');
    assert.equal(check({ aud: 'https://mcp.example.com/v2' }, { resource: undefined, oauthResource: 'https://mcp.example.com/v2' }).result.verdict, 'bound');
  });

  test('aud naming the client id is unbound: an error with claims as evidence, never the token', () => {
    const { token, result } = check({ aud: 'client-abc', iss: 'https://auth.example.com/', exp: 1_900_000_000, scope: 'mcp:tools', sub: 'user-1' }, { serverAnswer: { status: 401 } });
    assert.equal(result.verdict, 'unbound');
    const f = result.finding!;
    assert.equal(f.code, 'auth.token-not-resource-bound');
    assert.equal(f.severity, 'error');
    const ev = f.evidence as any;
    assert.equal(ev.tokenClaims.aud, 'client-abc');
    assert.equal(ev.tokenClaims.iss, 'https://auth.example.com/');
    assert.equal(ev.tokenClaims.expIso, new Date(1_900_000_000_000).toISOString());
    assert.equal(ev.tokenClaims.sub, undefined, 'only the claims that matter');
    const text = JSON.stringify(result);
    assert.ok(!text.includes(token));
    assert.ok(!text.includes(token.split('.')[2]!), 'no signature');
    assert.equal(f.fix!.command, 'codex mcp login ex');
    // Without protected resource metadata Codex sends no `resource` of its own: oauth_resource adds it.
    const noPrm = check({ aud: 'client-abc' }, { resource: undefined, serverAnswer: { status: 401 } }).result.finding!;
    assert.equal((parseToml(noPrm.fix!.toml!) as any).mcp_servers.ex.oauth_resource, RESOURCE);
  });

  test('the server\'s invalid_token answer is quoted as corroboration', () => {
    const { result } = check({ aud: 'client-abc' }, { serverAnswer: { status: 401, error: 'invalid_token', errorDescription: 'audience mismatch' } });
    assert.match(result.finding!.message, /answered 401 invalid_token: audience mismatch/);
  });

  test('a server that accepts the unbound token: verdict only, no finding', () => {
    const { result } = check({ aud: 'client-abc' }, { serverAnswer: { status: 200 } });
    assert.equal(result.verdict, 'unbound');
    assert.equal(result.finding, undefined);
  });

  test('opaque tokens and tokens without aud say nothing', () => {
    assert.equal(check('d712f881-33c3-4dec-af2f-3652c3e19c5c').result.verdict, 'opaque');
    assert.equal(check({ iss: 'x' }).result.verdict, 'no-aud');
  });
});
