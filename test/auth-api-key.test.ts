// The API-key reading of a 401 (src/auth/api-key.ts): which answers ask for a key, which header
// they name, and which configured header carried it. The real gateways are in
// test/interop/api-key-gateway.test.ts; these pin the wording variants.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyHint } from '../src/auth/api-key.ts';
import { analyzeChallenge } from '../src/auth/challenge.ts';

const none = { httpHeaders: {}, envHttpHeaders: {} };
const hint = (header: string | undefined, body: string | undefined, server = none) => apiKeyHint(analyzeChallenge(header), body, server);

describe('apiKeyHint', () => {
  test("mcp-proxy --apiKey: Bearer challenge whose description says API key, no header named: X-API-Key by convention", () => {
    const h = hint('Bearer error="invalid_token", error_description="Unauthorized: Invalid or missing API key"', '{"error":{"code":401,"message":"Unauthorized: Invalid or missing API key"}}');
    assert.equal(h?.header, 'X-API-Key');
    assert.equal(h?.named, false);
  });

  test('a header named in the body, in any case and shape', () => {
    assert.equal(hint(undefined, '{"error":"missing or invalid X-Service-Key header"}')?.header, 'X-Service-Key');
    assert.equal(hint(undefined, 'Missing api-key header')?.header, 'api-key');
    assert.equal(hint(undefined, 'Access denied due to missing subscription key. Make sure to include Ocp-Apim-Subscription-Key header')?.header, 'Ocp-Apim-Subscription-Key');
    assert.equal(hint(undefined, 'send your key in x-api-key')?.named, true);
  });

  test('a non-Bearer key scheme in WWW-Authenticate', () => {
    const h = hint('ApiKey realm="mcp"', '');
    assert.equal(h?.header, 'X-API-Key');
  });

  test('nothing about a key: no hint (the generic no-OAuth diagnosis applies)', () => {
    assert.equal(hint('Bearer realm="api"', '{"error":"unauthorized"}'), undefined);
    assert.equal(hint(undefined, '<html>401 Unauthorized</html> x-request-id: 123'), undefined);
    assert.equal(hint(undefined, undefined), undefined);
  });

  test('the configured header that carried the key (env_http_headers first, case-insensitive)', () => {
    const sent = hint(undefined, 'invalid X-API-Key', { httpHeaders: {}, envHttpHeaders: { 'x-api-key': 'GW_KEY' } });
    assert.deepEqual(sent?.sentAs, { header: 'x-api-key', from: 'env_http_headers', variable: 'GW_KEY' });
    const literal = hint(undefined, 'invalid X-API-Key', { httpHeaders: { 'X-API-KEY': 'k' }, envHttpHeaders: {} });
    assert.equal(literal?.sentAs?.from, 'http_headers');
  });
});
