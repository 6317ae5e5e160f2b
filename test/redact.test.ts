import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDACTED, createRedactor, decodeJwtClaims, redactJwt } from '../src/redact.ts';

const jwtPart = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const JWT = `${jwtPart({ alg: 'RS256', typ: 'JWT' })}.${jwtPart({ aud: 'https://a.example/mcp', sub: 'u1' })}.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw`;

describe('createRedactor', () => {
  test('removes registered secret values wherever they appear, longest first', () => {
    const r = createRedactor(['s3cr3t-value-1234', 's3cr3t-value-1234-and-more']);
    assert.equal(r.text('a s3cr3t-value-1234-and-more b s3cr3t-value-1234'), `a ${REDACTED} b ${REDACTED}`);
  });

  test('registers the credential inside an Authorization value too', () => {
    const r = createRedactor(['Bearer abcDEF123456']);
    assert.equal(r.text('token=abcDEF123456'), `token=${REDACTED}`);
  });

  test('redacts token shapes that were never registered', () => {
    const r = createRedactor();
    for (const token of ['ghp_abcdefghijklmnopqrstuvwxyz0123', 'github_pat_11ABCDEFG0123456789_abcdefghij', 'sk-proj-abcdefghijklmnop1234', 'xoxb-1234567890-abcdefghij', 'glpat-abcdefghijklmnop1234']) {
      const out = r.text(`value ${token} end`);
      assert.ok(!out.includes(token), out);
      assert.ok(out.includes(REDACTED));
    }
  });

  test('keeps a JWT header and claims, never its signature', () => {
    const out = createRedactor().text(`got ${JWT}`);
    assert.ok(!out.includes('c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw'));
    assert.equal(redactJwt(JWT).split('.')[2], REDACTED);
    assert.deepEqual(decodeJwtClaims(JWT), { aud: 'https://a.example/mcp', sub: 'u1' });
  });

  test('redacts credential query parameters and URL passwords, leaves other parameters', () => {
    const r = createRedactor();
    const out = r.url('https://u:pw1234@h.example/mcp?api_key=abc123&region=eu&token=zzz');
    assert.ok(!out.includes('abc123') && !out.includes('zzz') && !out.includes('pw1234'), out);
    assert.ok(out.includes('region=eu'));
    assert.ok(r.text('see https://h.example/x?access_token=qwerty99 now').includes(REDACTED));
  });

  test('secret headers keep the scheme, other headers only lose secret-shaped text', () => {
    const r = createRedactor();
    assert.deepEqual(r.headers({ Authorization: 'Bearer abc.def.ghi', Cookie: 'sid=1', 'X-Trace': 'plain' }), {
      Authorization: `Bearer ${REDACTED}`,
      Cookie: REDACTED,
      'X-Trace': 'plain',
    });
  });

  test('CLI flags and KEY=value assignments', () => {
    const r = createRedactor();
    assert.equal(r.text('server --api-key=abcd1234 --port 3000'), `server --api-key=${REDACTED} --port 3000`);
    assert.equal(r.text('MY_API_KEY=abcd1234 node x'), `MY_API_KEY=${REDACTED} node x`);
  });

  test('ordinary prose is left alone', () => {
    const r = createRedactor();
    for (const prose of ['send a Bearer header with the token', 'the api-key value is missing', 'Token expired; log in again']) {
      assert.equal(r.text(prose), prose);
    }
  });

  test('value() redacts deeply and blanks secret-named keys', () => {
    const r = createRedactor(['registered-secret']);
    const out = r.value({ a: ['x registered-secret'], access_token: 'anything', nested: { password: 'p' } });
    assert.deepEqual(out, { a: [`x ${REDACTED}`], access_token: REDACTED, nested: { password: REDACTED } });
  });
});

test('placeholders in fix commands stay readable', () => {
  const r = createRedactor();
  assert.equal(r.text('export GH_TOKEN="<your token>"'), 'export GH_TOKEN="<your token>"');
  assert.equal(r.text('export GH_TOKEN="ghx1234567890abcdef"'), `export GH_TOKEN=${REDACTED}`);
});

test('redaction is idempotent: a redacted URL or text redacted again is unchanged (reports pass the redactor at capture and before rendering)', () => {
  const r = createRedactor(['tok-secret-abcdef123456']);
  for (const input of ['http://127.0.0.1:9/mcp?token=abc123secret', 'see https://x.example/cb?code=zzz&state=1 and Bearer abcdef1234567890', 'token tok-secret-abcdef123456 rejected']) {
    const once = r.text(input);
    assert.equal(r.text(once), once, input);
  }
});

describe('a ${VAR} reference is not a secret', () => {
  test('registering "Bearer ${TOKEN}" leaves the reference readable; a real value is still redacted', () => {
    const r = createRedactor(['Bearer ${API_TOKEN}', '${A} ${B}']);
    assert.equal(r.text('the remote receives "${API_TOKEN}" and ${A} ${B}'), 'the remote receives "${API_TOKEN}" and ${A} ${B}');
    r.addSecret('Bearer tok-4815162342');
    assert.ok(!r.text('sent Bearer tok-4815162342').includes('tok-4815162342'));
    r.addSecret('prefix-${API_TOKEN}');
    assert.ok(!r.text('prefix-${API_TOKEN}').includes('prefix-'), 'a value mixing text and references is still a secret');
  });
});
