// Address classification of the URLs a server names for OAuth metadata, without connecting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyHost, fetchRefusal, scrubForeignDocument } from '../src/auth/fetch-policy.ts';

const host = (url: string) => new URL(url).hostname;

test('classifyHost: loopback, link-local, private, unspecified, public, names (IPv4, IPv6, IPv4-mapped, as URL parses them)', () => {
  const cases: Array<[string, string]> = [
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.8.9.10/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://localhost:8080/', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[::ffff:169.254.169.254]/', 'link-local'],
    ['http://metadata.google.internal/', 'link-local'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'private'],
    ['http://[fd00::1]/', 'private'],
    ['http://[::ffff:10.0.0.1]/', 'private'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://172.32.0.1/', 'public'],
    ['http://8.8.8.8/', 'public'],
    ['http://[2001:db8::1]/', 'public'],
    ['https://auth.example.com/', 'name'],
    // Alternative IPv4 spellings are normalised by the URL parser before classification.
    ['http://0xa9.0xfe.0xa9.0xfe/', 'link-local'],
    ['http://2852039166/', 'link-local'],
  ];
  for (const [url, kind] of cases) assert.equal(classifyHost(host(url)), kind, url);
});

test('fetchRefusal: link-local never; private/loopback only from a server of the same kind; names and public addresses allowed', () => {
  assert.match(fetchRefusal('http://127.0.0.1:3000/mcp', 'http://169.254.169.254/x')!, /link-local/);
  assert.match(fetchRefusal('https://mcp.example.com/mcp', 'http://10.0.0.1/')!, /private/);
  assert.match(fetchRefusal('https://mcp.example.com/mcp', 'http://127.0.0.1:9000/')!, /loopback/);
  assert.match(fetchRefusal('http://10.0.0.5/mcp', 'http://127.0.0.1/')!, /loopback/);
  assert.equal(fetchRefusal('http://10.0.0.5/mcp', 'http://10.0.0.6/'), undefined);
  assert.equal(fetchRefusal('http://10.0.0.5/mcp', 'http://192.168.0.6/'), undefined);
  assert.equal(fetchRefusal('http://127.0.0.1:3000/mcp', 'http://127.0.0.1:4000/'), undefined);
  assert.equal(fetchRefusal('https://mcp.example.com/mcp', 'https://auth.example.com/'), undefined);
  assert.equal(fetchRefusal('https://mcp.example.com/mcp', 'https://8.8.8.8/'), undefined);
});

test('scrubForeignDocument: the configured origin keeps its document; another origin keeps only URLs and short tokens', () => {
  const doc = { issuer: 'https://as.example/', code_challenge_methods_supported: ['S256'], SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', note: 'free text with spaces', nested: { deep: { x: 1 } } };
  assert.deepEqual(scrubForeignDocument(doc, 'http://127.0.0.1:1/.well-known/x', 'http://127.0.0.1:1/mcp'), doc);
  const out = scrubForeignDocument(doc, 'http://127.0.0.1:2/.well-known/x', 'http://127.0.0.1:1/mcp') as any;
  assert.equal(out.issuer, 'https://as.example/');
  assert.deepEqual(out.code_challenge_methods_supported, ['S256']);
  assert.doesNotMatch(JSON.stringify(out), /wJalr|free text/);
  assert.equal(typeof out.nested.deep, 'string');
});
