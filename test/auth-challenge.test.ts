import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeChallenge, parseChallenges, sdkChallengeView } from '../src/auth/challenge.ts';

describe('parseChallenges', () => {
  test('one Bearer challenge with quoted params', () => {
    const { challenges, errors } = parseChallenges('Bearer resource_metadata="https://a.example/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"');
    assert.deepEqual(errors, []);
    assert.equal(challenges.length, 1);
    assert.equal(challenges[0]!.scheme, 'Bearer');
    assert.deepEqual(challenges[0]!.params, {
      resource_metadata: 'https://a.example/.well-known/oauth-protected-resource/mcp',
      scope: 'files:read files:write',
    });
  });

  test('several challenges in one header, commas inside quotes do not split', () => {
    const { challenges, errors } = parseChallenges('Basic realm="a, b", Bearer realm="api", scope="x y", DPoP algs="ES256 PS256"');
    assert.deepEqual(errors, []);
    assert.deepEqual(
      challenges.map((c) => [c.scheme, c.params]),
      [
        ['Basic', { realm: 'a, b' }],
        ['Bearer', { realm: 'api', scope: 'x y' }],
        ['DPoP', { algs: 'ES256 PS256' }],
      ],
    );
  });

  test('several header values are one list', () => {
    const { challenges } = parseChallenges(['Basic realm="x"', 'Bearer error="invalid_token"']);
    assert.deepEqual(
      challenges.map((c) => c.scheme),
      ['Basic', 'Bearer'],
    );
    assert.equal(challenges[1]!.params.error, 'invalid_token');
  });

  test('quoted-pair escapes are unescaped', () => {
    const { challenges } = parseChallenges('Bearer error_description="bad \\"token\\" \\\\ here", realm=x');
    assert.equal(challenges[0]!.params.error_description, 'bad "token" \\ here');
    assert.equal(challenges[0]!.params.realm, 'x');
  });

  test('token68 challenges, including trailing "=" padding', () => {
    const { challenges, errors } = parseChallenges('Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag==, Basic dXNlcjpwYXNz, Bearer realm="r"');
    assert.deepEqual(errors, []);
    assert.equal(challenges[0]!.token68, 'YIIBhgYGKwYBBQUCoIIBejCCAXag==');
    assert.equal(challenges[1]!.token68, 'dXNlcjpwYXNz');
    assert.equal(challenges[2]!.token68, undefined);
    assert.equal(challenges[2]!.params.realm, 'r');
  });

  test('scheme and parameter names are case-insensitive; whitespace around "=" is allowed', () => {
    const { challenges } = parseChallenges('bEaReR Resource_Metadata = "https://x/prm" ,SCOPE=read');
    assert.equal(challenges[0]!.scheme.toLowerCase(), 'bearer');
    assert.equal(challenges[0]!.params.resource_metadata, 'https://x/prm');
    assert.equal(challenges[0]!.params.scope, 'read');
  });

  test('a scheme with no parameters, followed by another challenge', () => {
    const { challenges } = parseChallenges('Bearer, Basic realm="x"');
    assert.deepEqual(
      challenges.map((c) => [c.scheme, c.params]),
      [
        ['Bearer', {}],
        ['Basic', { realm: 'x' }],
      ],
    );
  });

  test('malformed input is reported but parsing goes on', () => {
    const missingComma = parseChallenges('Bearer realm="a" scope="b"');
    assert.equal(missingComma.challenges[0]!.params.scope, 'b');
    assert.ok(missingComma.errors.some((e) => e.includes('missing ","')));

    const unterminated = parseChallenges('Bearer realm="abc');
    assert.equal(unterminated.challenges[0]!.params.realm, 'abc');
    assert.ok(unterminated.errors.some((e) => e.includes('unterminated')));

    const unquotedUrl = parseChallenges('Bearer resource_metadata=https://x.example/prm');
    assert.equal(unquotedUrl.challenges[0]!.params.resource_metadata, 'https://x.example/prm');
    assert.ok(unquotedUrl.errors.some((e) => e.includes('needs quoting')));
  });

  test('duplicate parameters keep the first value and are flagged', () => {
    const { challenges } = parseChallenges('Bearer scope="a", scope="b"');
    assert.equal(challenges[0]!.params.scope, 'a');
    assert.deepEqual(challenges[0]!.duplicateParams, ['scope']);
  });

  test('empty and absent headers', () => {
    assert.deepEqual(parseChallenges(undefined).challenges, []);
    assert.deepEqual(parseChallenges('').challenges, []);
    assert.deepEqual(parseChallenges([]).challenges, []);
  });
});

describe('sdkChallengeView (the official SDK regex)', () => {
  test('reads only a header that starts with Bearer', () => {
    assert.equal(sdkChallengeView('Basic realm="x", Bearer resource_metadata="https://x/prm"').bearer, false);
    const v = sdkChallengeView('Bearer resource_metadata="https://x/prm", scope="a b"');
    assert.equal(v.resourceMetadataUrl, 'https://x/prm');
    assert.equal(v.scope, 'a b');
  });

  test('ignores empty and relative resource_metadata', () => {
    assert.equal(sdkChallengeView('Bearer resource_metadata=""').resourceMetadataUrl, undefined);
    assert.equal(sdkChallengeView('Bearer resource_metadata="/.well-known/oauth-protected-resource"').resourceMetadataUrl, undefined);
  });
});

describe('analyzeChallenge', () => {
  const kinds = (h: string | string[] | undefined, tokenSent = false) => analyzeChallenge(h, tokenSent).problems.map((p) => p.kind);

  test('a complete Bearer challenge has no problems and yields its parameters', () => {
    const a = analyzeChallenge('Bearer realm="mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read", error="invalid_token", error_description="expired"', true);
    assert.deepEqual(a.problems, []);
    assert.equal(a.resourceMetadata, 'https://mcp.example.com/.well-known/oauth-protected-resource');
    assert.deepEqual(a.scopes, ['files:read']);
    assert.equal(a.error, 'invalid_token');
    assert.equal(a.errorDescription, 'expired');
    assert.equal(a.realm, 'mcp');
  });

  test('no header at all', () => {
    assert.deepEqual(kinds(undefined), ['no-header']);
  });

  test('first challenge not Bearer hides resource_metadata from the SDK (AUTH-03)', () => {
    const a = analyzeChallenge('DPoP algs="ES256", Bearer resource_metadata="https://x.example/prm", scope="s"');
    assert.equal(a.resourceMetadata, 'https://x.example/prm');
    assert.equal(a.sdk.bearer, false);
    const p = a.problems.find((x) => x.kind === 'bearer-not-first');
    assert.ok(p?.breaksSdk);
  });

  test('no Bearer challenge at all', () => {
    assert.deepEqual(kinds('Basic realm="api"'), ['no-bearer']);
  });

  test('empty, relative and insecure resource_metadata', () => {
    assert.ok(kinds('Bearer resource_metadata="", scope="s"').includes('resource-metadata-empty'));
    const rel = analyzeChallenge('Bearer resource_metadata="/.well-known/oauth-protected-resource", scope="s"');
    assert.ok(rel.problems.some((p) => p.kind === 'resource-metadata-relative' && p.breaksSdk));
    assert.equal(rel.resourceMetadata, undefined);
    assert.ok(kinds('Bearer resource_metadata="http://mcp.example.com/prm", scope="s"').includes('resource-metadata-insecure'));
    assert.ok(!kinds('Bearer resource_metadata="http://127.0.0.1:8080/prm", scope="s"').includes('resource-metadata-insecure'));
  });

  test('SHOULD-level slips: no scope, error without a token, no resource_metadata', () => {
    const k = kinds('Bearer error="invalid_token"');
    assert.ok(k.includes('scope-missing'));
    assert.ok(k.includes('error-without-token'));
    assert.ok(k.includes('resource-metadata-missing'));
    assert.ok(!kinds('Bearer error="invalid_token", scope="s", resource_metadata="https://x/p"', true).includes('error-without-token'));
  });

  test('the SDK regex picking another parameter is flagged', () => {
    // `x_resource_metadata=` comes first and the SDK's unanchored regex matches inside it.
    const a = analyzeChallenge('Bearer x_resource_metadata="https://evil.example/prm", resource_metadata="https://good.example/prm", scope="s"');
    assert.equal(a.resourceMetadata, 'https://good.example/prm');
    assert.equal(a.sdk.resourceMetadataUrl, 'https://evil.example/prm');
    assert.ok(a.problems.some((p) => p.kind === 'sdk-reads-differently'));
  });
});
