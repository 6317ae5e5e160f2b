import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { bareVarReference, secretShape, suggestedVarName, unexpandedVars } from '../src/config/env-checks.ts';
import { adHocCommandConfig, adHocUrlConfig, nameForCommand, nameForUrl } from '../src/config/load-config.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { allFindings, assertFixesParse, assertNoSecrets, codes, configDeps, loadFixture, only, serverFindings, tempTree } from './helpers/config-fixtures.ts';

const ENV = {
  HOME: '/home/u',
  DOCTOR_TEST_SET_TOKEN: 'set-secret-value-1234',
  DOCTOR_TEST_EMPTY_TOKEN: '',
  'doctor-test-dashed': 'dashed-secret-5678',
};

const TOKENS = [
  'ghp_ENVfakeTOKEN000000000000000000000000',
  'sk-proj-ENVfakeKEY0000000000000000',
  'xoxb-1234567890-ENVfakeSLACK',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlZmFrZXNpZw',
  'a8f5f167f44f4964e6c998dee827110c+/Zq',
];

function toml(text: string): unknown {
  return JSON.parse(JSON.stringify(parse(text)));
}

describe('secretShape', () => {
  test('token shapes are recognised; variable names are not', () => {
    for (const value of [...TOKENS, 'lin_api_abcdefghijklmnop1234', 'glpat-abcdefghijklmnop1234', 'github_pat_11ABCDEF_abcdef', 'Bearer abc']) {
      assert.ok(secretShape(value), value);
    }
    for (const value of ['GITHUB_TOKEN', 'LINEAR_API_KEY', 'my-token', 'A_VERY_LONG_VARIABLE_NAME_WITH_MANY_WORDS_1', 'my-very-long-github-token-name']) {
      assert.equal(secretShape(value), undefined, value);
    }
  });

  test('the description never contains the value', () => {
    for (const value of TOKENS) assert.ok(!secretShape(value)!.includes(value.slice(0, 8)));
  });
});

describe('env helpers', () => {
  test('$VAR, ${VAR} and ${env:VAR} are found; plain text and $1 are not', () => {
    assert.deepEqual(unexpandedVars('--key ${API_KEY} --home $HOME/x ${env:X_KEY} $5 costs'), ['API_KEY', 'HOME', 'X_KEY']);
    assert.deepEqual(unexpandedVars('no refs here'), []);
    assert.equal(bareVarReference('${GITHUB_TOKEN}'), 'GITHUB_TOKEN');
    assert.equal(bareVarReference('$GITHUB_TOKEN'), 'GITHUB_TOKEN');
    assert.equal(bareVarReference('Bearer $X'), undefined);
  });

  test('suggested variable names come from the server name', () => {
    assert.equal(suggestedVarName('linear'), 'LINEAR_TOKEN');
    assert.equal(suggestedVarName('github-copilot'), 'GITHUB_COPILOT_TOKEN');
    assert.equal(suggestedVarName('my_token'), 'MY_TOKEN');
    assert.equal(suggestedVarName('1password'), 'MCP_1PASSWORD_TOKEN');
    assert.equal(suggestedVarName('linear', 'X-Api-Key'), 'LINEAR_X_API_KEY');
  });
});

describe('environment references', () => {
  test('unset or empty variables: an error for bearer_token_env_var, a warning where Codex starts the server anyway', async () => {
    const config = await loadFixture('env-refs.toml', { env: ENV });
    const unset = only(serverFindings(config, 'unset_bearer'), 'config.env-var-unset');
    assert.equal(unset.severity, 'error');
    assert.match(unset.message, /Environment variable DOCTOR_TEST_UNSET_TOKEN for MCP server 'unset_bearer' is not set/);
    assert.equal(unset.fix?.command, 'export DOCTOR_TEST_UNSET_TOKEN="<value>"');
    assert.match(unset.fix!.summary, /IDE or desktop launcher/);

    assert.match(only(serverFindings(config, 'empty_bearer'), 'config.env-var-unset').message, /is empty/);
    assert.deepEqual(serverFindings(config, 'set_bearer'), []);
    // Codex 0.169 drops the header / does not forward the variable, and starts the server (measured).
    const header = only(serverFindings(config, 'headers'), 'config.env-var-unset');
    assert.match(header.message, /leaves out the "X-Api-Key" header/);
    assert.equal(header.severity, 'warning');
    const forwarded = only(serverFindings(config, 'forwarded'), 'config.env-var-unset');
    assert.equal(forwarded.severity, 'warning');
    assert.match(forwarded.message, /starts the server without it/);
    assert.equal(forwarded.evidence?.variable, 'DOCTOR_TEST_UNSET_VAR');
    assert.match(forwarded.message, /env_vars\[1\]/);
  });

  test('macOS users are pointed at launchctl', async () => {
    const config = await loadFixture('env-refs.toml', { env: ENV, platform: 'darwin' });
    assert.match(only(serverFindings(config, 'unset_bearer'), 'config.env-var-unset').fix!.summary, /launchctl setenv/);
  });

  test('a token where a variable name belongs is an error that names a variable and never the token', async () => {
    const config = await loadFixture('env-refs.toml', { env: ENV });
    const expected: Array<[string, string]> = [
      ['github', '[mcp_servers.github]\nbearer_token_env_var = "GITHUB_TOKEN"'],
      ['openai', '[mcp_servers.openai.env_http_headers]\nAuthorization = "OPENAI_TOKEN"'],
      ['slack', '[mcp_servers.slack]\nenv_vars = ["SLACK_TOKEN"]'],
      ['jwt', '[mcp_servers.jwt]\nbearer_token_env_var = "JWT_TOKEN"'],
      ['random', '[mcp_servers.random]\nbearer_token_env_var = "RANDOM_TOKEN"'],
    ];
    for (const [server, snippet] of expected) {
      const finding = only(serverFindings(config, server), 'config.env-var-looks-like-secret');
      assert.equal(finding.severity, 'error');
      assert.equal(finding.fix?.toml, snippet, server);
      assert.match(finding.fix!.summary, /rotate the token/);
      assert.match(finding.fix!.command!, server === 'openai' ? /^export OPENAI_TOKEN="Bearer <your token>"$/ : /^export [A-Z_]+="<your token>"$/);
    }
    assert.match(only(serverFindings(config, 'github'), 'config.env-var-looks-like-secret').message, /GitHub token/);
    // Not in any message, evidence or fix — and not left to the redactor to catch.
    assertNoSecrets(allFindings(config), [...TOKENS, 'eyJzdWIiOiJ0ZXN0In0', 'set-secret-value-1234', 'dashed-secret-5678']);
    for (const token of TOKENS) assert.ok(config.secrets?.includes(token), 'the token is handed to the redactor');
  });

  test('"$NAME" in bearer_token_env_var, and names a shell cannot export', async () => {
    const config = await loadFixture('env-refs.toml', { env: ENV });
    const dollar = only(serverFindings(config, 'dollar'), 'config.env-var-unset');
    assert.equal(dollar.fix?.toml, '[mcp_servers.dollar]\nbearer_token_env_var = "DOCTOR_TEST_SET_TOKEN"');
    assert.equal(dollar.fix?.command, undefined, 'the bare variable is set: nothing to export');

    const setInvalid = only(serverFindings(config, 'bad_name_set'), 'config.env-var-invalid-name');
    assert.equal(setInvalid.severity, 'warning');
    assert.equal(setInvalid.fix?.toml, '[mcp_servers.bad_name_set]\nbearer_token_env_var = "DOCTOR_TEST_DASHED"');

    const unsetInvalid = serverFindings(config, 'bad_name_unset');
    assert.deepEqual(codes(unsetInvalid), ['config.env-var-unset']);
    assert.equal(unsetInvalid[0]!.fix?.toml, '[mcp_servers.bad_name_unset]\nbearer_token_env_var = "MY_TOKEN"');
    assert.ok(!unsetInvalid[0]!.message.includes('<redacted>'), unsetInvalid[0]!.message);
    assertFixesParse(allFindings(config));
  });
});

describe('unexpanded $VAR', () => {
  test('args: warning, forward with env_vars, or let sh expand it', async () => {
    const config = await loadFixture('var-refs.toml', { env: ENV });
    const args = only(serverFindings(config, 'args_ref'), 'config.var-not-expanded');
    assert.equal(args.severity, 'warning');
    assert.deepEqual(args.evidence?.variables, ['API_KEY', 'HOME']);
    assert.deepEqual(toml(args.fix!.toml!), {
      mcp_servers: {
        args_ref: {
          command: 'sh',
          args: ['-c', 'exec npx -y server --api-key "${API_KEY}" --dir "$HOME/data"'],
          env_vars: ['API_KEY', 'HOME'],
        },
      },
    });
  });

  test('env values, url and headers each get the Codex mechanism that replaces them', async () => {
    const config = await loadFixture('var-refs.toml', { env: ENV });
    const env = serverFindings(config, 'env_ref');
    assert.deepEqual(env.map((f) => f.evidence?.key), ['env.API_KEY', 'env.OTHER']);
    assert.equal(env[0]!.fix?.toml, '[mcp_servers.env_ref]\nenv_vars = ["API_KEY"]');
    assert.match(env[0]!.fix!.summary, /Delete API_KEY from `env`/);

    const url = only(serverFindings(config, 'url_ref'), 'config.var-not-expanded');
    assert.equal(url.fix?.toml, '[mcp_servers.url_ref]\nurl = "https://mcp.example.com/mcp"\nbearer_token_env_var = "MCP_TOKEN"');
    assert.equal(url.fix?.command, 'export MCP_TOKEN="<your token>"');

    const headers = serverFindings(config, 'header_ref');
    assert.deepEqual(headers.map((f) => f.fix?.toml), [
      '[mcp_servers.header_ref]\nbearer_token_env_var = "MY_TOKEN"',
      '[mcp_servers.header_ref.env_http_headers]\nX-Key = "X_KEY"',
      '[mcp_servers.header_ref.env_http_headers]\nX-Mixed = "HEADER_REF_X_MIXED"',
    ]);
    assertFixesParse(allFindings(config));
  });

  test('a shell wrapper expands $VAR itself, but only what Codex forwards', async () => {
    const tree = tempTree({
      'config.toml': [
        '[mcp_servers.wrapped]',
        'command = "sh"',
        'args = ["-c", "exec server --key \\"$API_KEY\\" --home $HOME"]',
        '',
        '[mcp_servers.forwarded]',
        'command = "bash"',
        'args = ["-lc", "exec server --key $API_KEY"]',
        'env_vars = ["API_KEY"]',
      ].join('\n'),
    });
    try {
      const config = await loadConfig({ configPath: tree.path('config.toml'), deps: configDeps({ env: { ...ENV, API_KEY: 'api-key-value-1' } }) });
      const wrapped = only(serverFindings(config, 'wrapped'), 'config.var-not-expanded');
      assert.deepEqual(wrapped.evidence?.variables, ['API_KEY'], 'HOME is in the environment Codex passes on');
      assert.match(wrapped.message, /cleared environment/);
      assert.equal(wrapped.fix?.toml, '[mcp_servers.wrapped]\nenv_vars = ["API_KEY"]');
      assert.deepEqual(serverFindings(config, 'forwarded'), []);
    } finally {
      tree.cleanup();
    }
  });

  test('mcp-remote expands ${VAR} in its own arguments: only forwarding is needed, never a shell', async () => {
    const header = ['"--header"', '"Authorization: Bearer ${MY_TOKEN}"'].join(', ');
    const tree = tempTree({
      'config.toml': [
        '[mcp_servers.bridged]',
        'command = "npx"',
        `args = ["-y", "mcp-remote", "https://mcp.example.com/mcp", ${header}]`,
        '',
        '[mcp_servers.bridged_forwarded]',
        'command = "npx"',
        `args = ["-y", "mcp-remote", "https://mcp.example.com/mcp", ${header}]`,
        'env_vars = ["MY_TOKEN"]',
      ].join('\n'),
    });
    try {
      const config = await loadConfig({ configPath: tree.path('config.toml'), deps: configDeps({ env: { ...ENV, MY_TOKEN: 'my-token-value-1' } }) });
      const bridged = only(serverFindings(config, 'bridged'), 'config.var-not-expanded');
      assert.match(bridged.message, /mcp-remote replaces/);
      assert.equal(bridged.fix?.toml, '[mcp_servers.bridged]\nenv_vars = ["MY_TOKEN"]', 'no sh -c wrapper');
      assert.deepEqual(codes(serverFindings(config, 'bridged_forwarded')), []);
    } finally {
      tree.cleanup();
    }
  });

  test('a Windows user gets no sh wrapper', async () => {
    const config = await loadFixture('var-refs.toml', { env: ENV, platform: 'win32' });
    const args = only(serverFindings(config, 'args_ref'), 'config.var-not-expanded');
    assert.equal(args.fix?.toml, '[mcp_servers.args_ref]\nenv_vars = ["API_KEY", "HOME"]');
  });
});

describe('ad-hoc configs', () => {
  test('--url is validated like a config table, with a readable name', () => {
    const config = adHocUrlConfig('https://mcp.linear.app/mcp', { 'X-Api-Key': 'hdr-secret-value-99' }, 'DOCTOR_TEST_UNSET_TOKEN', ENV);
    assert.equal(config.servers.length, 1);
    const [entry] = config.servers;
    assert.equal(entry!.config.name, 'linear');
    assert.equal(entry!.config.transport, 'streamable_http');
    assert.equal(entry!.config.source, '--url');
    assert.deepEqual(codes(entry!.findings), ['config.env-var-unset']);
    assert.ok(config.secrets?.includes('hdr-secret-value-99'));

    assert.deepEqual(adHocUrlConfig('https://mcp.linear.app/mcp', {}, 'DOCTOR_TEST_SET_TOKEN', ENV).servers[0]!.findings, []);
    assert.deepEqual(codes(adHocUrlConfig('localhost:3000/mcp', {}, undefined, ENV).servers[0]!.findings), ['config.invalid-value']);
    // Without an environment the variable cannot be judged.
    assert.deepEqual(adHocUrlConfig('https://x.example.com/mcp', {}, 'UNSET').servers[0]!.findings, []);
  });

  test('-- CMD ARGS is validated too', () => {
    const config = adHocCommandConfig('npx', ['-y', '@modelcontextprotocol/server-everything'], ENV);
    assert.equal(config.servers[0]!.config.name, 'server-everything');
    assert.equal(config.servers[0]!.config.transport, 'stdio');
    assert.deepEqual(config.servers[0]!.findings, []);
    const withVar = adHocCommandConfig('server', ['--key', '$API_KEY'], ENV);
    assert.deepEqual(codes(withVar.servers[0]!.findings), ['config.var-not-expanded']);
  });

  test('names read well', () => {
    assert.equal(nameForUrl('https://mcp.linear.app/mcp'), 'linear');
    assert.equal(nameForUrl('https://api.githubcopilot.com/mcp/'), 'githubcopilot');
    assert.equal(nameForUrl('http://127.0.0.1:9/mcp'), 'local');
    assert.equal(nameForUrl('not a url'), 'url');
    assert.equal(nameForCommand('npx', ['-y', '@scope/server-github@1.2.3']), 'server-github');
    assert.equal(nameForCommand('/usr/bin/node', ['fixtures/stdio/server.mjs', 'healthy']), 'server');
    assert.equal(nameForCommand('uvx', ['mcp-server-fetch']), 'mcp-server-fetch');
    assert.equal(nameForCommand('/opt/bin/my-server', ['--port', '1']), 'my-server');
  });
});
