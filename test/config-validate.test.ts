import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { KNOWN_SERVER_KEYS } from '../src/config/codex-keys.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { isFindingCode } from '../src/findings/registry.ts';
import {
  allFindings,
  assertFixesParse,
  assertNoSecrets,
  CONFIGS,
  codes,
  configDeps,
  fixture,
  loadFixture,
  only,
  serverFindings,
} from './helpers/config-fixtures.ts';

describe('loadConfig: file level', () => {
  test('a missing file is config.not-found and fatal', async () => {
    const config = await loadConfig({ configPath: fixture('no-such-file.toml'), deps: configDeps() });
    assert.equal(config.fatal, 'not-found');
    assert.deepEqual(codes(config.findings), ['config.not-found']);
    assert.equal(config.findings[0]!.stage, 'file');
    assert.match(config.findings[0]!.message, /no-such-file\.toml/);
    assert.deepEqual(config.servers, []);
  });

  test('the default path is $CODEX_HOME/config.toml', async () => {
    const config = await loadConfig({ deps: configDeps({ codexHome: CONFIGS }) });
    // fixtures/configs has no config.toml: the path tried must be the one under CODEX_HOME.
    assert.equal(config.path, `${CONFIGS}/config.toml`);
    assert.equal(config.fatal, 'not-found');
  });

  test('a parse error gives line and column in the message and evidence, and is fatal', async () => {
    const config = await loadFixture('parse-error.toml');
    assert.equal(config.fatal, 'parse-error');
    const finding = only(config.findings, 'config.parse-error');
    assert.equal(finding.severity, 'error');
    assert.equal(finding.stage, 'file');
    assert.match(finding.message, /line 6, column 11/);
    assert.equal(finding.evidence?.line, 6);
    assert.equal(finding.evidence?.column, 11);
    assert.match(finding.fix!.summary, /must be quoted/);
    // The excerpt shows the file around the error; the token two lines above must not be in it.
    assertNoSecrets([finding], ['ghp_PARSEfake0000000000000000000000000000']);
  });

  test('a valid config with every known key yields no warnings or errors', async () => {
    const config = await loadFixture('valid.toml', { env: { LANG: 'C.UTF-8', HOME: '/home/u', LINEAR_TOKEN: 'tok-value-1', LINEAR_API_KEY: 'key-value-2' } });
    assert.equal(config.fatal, undefined);
    const findings = allFindings(config);
    assert.deepEqual(
      findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}: ${f.message}`),
      [],
    );
    // Only the notes: the legacy ms key (still honoured) and the disabled server.
    assert.deepEqual(codes(findings).sort(), ['config.obsolete-field', 'config.server-disabled']);
    assert.deepEqual(config.servers.map((s) => [s.config.name, s.config.transport]), [
      ['files', 'stdio'],
      ['linear', 'streamable_http'],
      ['archived', 'stdio'],
    ]);
    const files = config.servers[0]!.config;
    assert.equal(files.startupTimeoutSec, 45.5);
    assert.equal(files.startupTimeoutExplicit, true);
    assert.deepEqual(files.envVars, [
      { name: 'HOME', source: 'local' },
      { name: 'LANG', source: 'local' },
    ]);
    const linear = config.servers[1]!.config;
    assert.equal(linear.startupTimeoutSec, 20, 'startup_timeout_ms is used when startup_timeout_sec is unset');
    assert.equal(linear.oauth?.clientId, 'abc123');
    assert.equal(linear.oauth?.callbackPort, 8123);
    assert.equal(config.servers[2]!.config.enabled, false);
  });

  test('the known-key list covers every key of the valid fixture (so none is called unknown)', () => {
    const document = parse(readFileText('valid.toml')) as { mcp_servers: Record<string, Record<string, unknown>> };
    for (const table of Object.values(document.mcp_servers)) {
      for (const key of Object.keys(table)) assert.ok(KNOWN_SERVER_KEYS.includes(key), key);
    }
  });

  test('servers keep the order written, integer-like names included', async () => {
    const config = await loadFixture('order.toml');
    assert.deepEqual(
      config.servers.map((s) => s.config.name),
      ['zeta', '10', 'alpha', '2'],
    );
  });

  test('obsolete top-level keys are file-level warnings', async () => {
    const config = await loadFixture('obsolete.toml');
    assert.deepEqual(
      config.findings.map((f) => [f.code, f.severity, f.evidence?.key]),
      [
        ['config.obsolete-field', 'warning', 'experimental_use_rmcp_client'],
        ['config.obsolete-field', 'warning', 'features.rmcp_client'],
      ],
    );
    assert.ok(config.findings.every((f) => f.stage === 'file'));
  });

  test('startup_timeout_ms alone is info; next to startup_timeout_sec it is ignored, a warning', async () => {
    const config = await loadFixture('obsolete.toml');
    const alone = only(serverFindings(config, 'legacy_only'), 'config.obsolete-field');
    assert.equal(alone.severity, 'info');
    assert.equal(alone.fix?.toml, '[mcp_servers.legacy_only]\nstartup_timeout_sec = 45');
    assert.equal(config.servers[0]!.config.startupTimeoutSec, 45);
    const both = only(serverFindings(config, 'legacy_and_new'), 'config.obsolete-field');
    assert.equal(both.severity, 'warning');
    assert.match(both.message, /ignores `startup_timeout_ms`/);
    assert.equal(config.servers[1]!.config.startupTimeoutSec, 20);
    const renamed = only(serverFindings(config, 'mid_era'), 'config.obsolete-field');
    assert.equal(renamed.severity, 'warning');
    assert.deepEqual(renamed.fix?.rename, { experimental_environment: 'environment_id' });
  });

  test('top-level values that make Codex refuse the config are file-level invalid-value errors', async () => {
    const config = await loadFixture('top-level-values.toml');
    assert.deepEqual(
      config.findings.map((f) => [f.code, f.severity, f.evidence?.key]),
      [
        ['config.invalid-value', 'error', 'project_root_markers'],
        ['config.invalid-value', 'error', 'mcp_oauth_credentials_store'],
        ['config.invalid-value', 'warning', 'mcp_oauth_callback_port'],
        ['config.invalid-value', 'error', 'mcp_oauth_callback_url'],
        ['config.invalid-value', 'error', 'projects."/home/u/app".trust_level'],
      ],
    );
    assertFixesParse(config.findings);
  });

  test('a JSON-style mcpServers table is flagged and converted without its secrets', async () => {
    const config = await loadFixture('foreign-shape.toml');
    const foreign = config.findings.find((f) => f.evidence?.key === 'mcpServers');
    assert.ok(foreign);
    assert.equal(foreign.code, 'config.unknown-field');
    assert.deepEqual(foreign.evidence?.servers, ['github', 'remote']);
    const converted = toml(foreign.fix!.toml!) as { mcp_servers: Record<string, Record<string, unknown>> };
    assert.deepEqual(converted.mcp_servers.github, {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env_vars: ['GITHUB_PERSONAL_ACCESS_TOKEN'],
    });
    assert.equal(converted.mcp_servers.remote!.bearer_token_env_var, 'REMOTE_TOKEN');
    assertNoSecrets(config.findings, ['ghp_FOREIGNfake000000000000000000000000', 'FOREIGNfakeBEARER12345']);
    assert.ok(config.findings.some((f) => f.evidence?.key === 'profiles.work.mcp_servers'));
    assert.deepEqual(config.servers.map((s) => s.config.name), ['real']);
  });

  test('[[mcp_servers]] and a server that is not a table make Codex refuse the config', async () => {
    const array = await loadFixture('servers-array.toml');
    const finding = only(array.findings, 'config.invalid-value');
    assert.equal(finding.severity, 'error');
    assert.deepEqual(toml(finding.fix!.toml!), { mcp_servers: { github: { command: 'npx' } } });

    const scalar = await loadFixture('not-a-table.toml');
    const github = only(serverFindings(scalar, 'github'), 'config.invalid-value');
    assert.equal(github.fix?.toml, '[mcp_servers]\ngithub = { command = "npx", args = ["-y", "@modelcontextprotocol/server-github"] }');
    assert.deepEqual(serverFindings(scalar, 'fine'), []);
  });
});

describe('validateServer: transport and names', () => {
  test('invalid names are errors with a renamed table', async () => {
    const config = await loadFixture('invalid-names.toml');
    // `@` and `/` start in Codex 0.169 (measured) but not in older releases: a warning.
    const tauri = only(serverFindings(config, '@hypothesi/tauri-mcp-server'), 'config.invalid-server-name');
    assert.equal(tauri.severity, 'warning');
    assert.match(tauri.message, /older Codex releases fail/);
    assert.match(tauri.fix!.toml!, /^\[mcp_servers\.hypothesi_tauri-mcp-server\]/);
    assert.equal(tauri.fix?.template, true, 'moving a table is shown, never applied');
    // A space fails in every release.
    const salesforce = only(serverFindings(config, 'Salesforce DX'), 'config.invalid-server-name');
    assert.equal(salesforce.severity, 'error');
    assert.match(salesforce.fix!.summary, /codex mcp login Salesforce_DX/);
    assert.deepEqual(serverFindings(config, 'ok-name_1'), []);
    assertFixesParse(allFindings(config));
  });

  test('neither command nor url is config.missing-transport, with a hint per cause', async () => {
    const config = await loadFixture('missing-transport.toml');
    const apps = only(serverFindings(config, 'codex_apps'), 'config.missing-transport');
    assert.match(apps.message, /refuses the whole config/);
    assert.deepEqual([apps.fix?.table, apps.fix?.remove], ['mcp_servers', ['codex_apps']]);
    assert.match(apps.fix!.summary, /apps = false/);

    const misKeyed = serverFindings(config, 'node_repl.env');
    assert.deepEqual(codes(misKeyed).sort(), ['config.invalid-server-name', 'config.missing-transport']);
    assert.match(only(misKeyed, 'config.missing-transport').fix!.toml!, /^\[mcp_servers\.node_repl\.env\]/);

    const windsurf = only(serverFindings(config, 'windsurf_style'), 'config.missing-transport');
    assert.deepEqual(toml(windsurf.fix!.toml!), { mcp_servers: { windsurf_style: { url: 'https://mcp.example.com/mcp' } } });

    const options = only(serverFindings(config, 'options_only'), 'config.missing-transport');
    assert.match(options.message, /another config layer/);
    assert.deepEqual(serverFindings(config, 'node_repl'), []);
    assert.equal(config.servers.find((s) => s.config.name === 'options_only')!.config.transport, 'unknown');
    assertFixesParse(allFindings(config));
  });

  test('fields the inferred transport rejects: one finding each, quoting Codex', async () => {
    const config = await loadFixture('unsupported-fields.toml');
    const both = only(serverFindings(config, 'both'), 'config.unsupported-field');
    assert.match(both.message, /url is not supported for stdio/);
    assert.equal(config.servers[0]!.config.transport, 'stdio', 'command wins over url');

    const stdio = serverFindings(config, 'stdio_with_http_keys');
    assert.deepEqual(
      stdio.map((f) => [f.code, f.evidence?.key]),
      ['bearer_token_env_var', 'http_headers_helper', 'http_headers', 'env_http_headers', 'oauth', 'oauth_resource', 'auth'].map((k) => ['config.unsupported-field', k]),
    );
    assert.ok(stdio.every((f) => f.severity === 'error' && f.message.includes(`${f.evidence?.key} is not supported for stdio`)));
    assert.equal(stdio[0]!.fix?.toml, '[mcp_servers.stdio_with_http_keys]\nenv_vars = ["SERVER_TOKEN"]');

    const http = serverFindings(config, 'http_with_stdio_keys');
    assert.deepEqual(
      http.map((f) => f.evidence?.key),
      ['args', 'env', 'env_vars', 'cwd'],
    );
    assert.ok(http.every((f) => f.code === 'config.unsupported-field' && f.message.includes('is not supported for streamable_http')));
    assertFixesParse(allFindings(config));
  });
});

describe('validateServer: bearer_token', () => {
  test('an inline bearer_token is an error that never repeats the token', async () => {
    const config = await loadFixture('inline-bearer.toml');
    const linear = only(serverFindings(config, 'linear'), 'config.inline-bearer-token');
    assert.equal(linear.severity, 'error');
    assert.match(linear.message, /refuses the whole config/);
    assert.equal(linear.fix?.toml, '[mcp_servers.linear]\nbearer_token_env_var = "LINEAR_TOKEN"');
    assert.equal(linear.fix?.command, 'export LINEAR_TOKEN="<your token>"');
    assert.deepEqual(linear.fix?.remove, ['bearer_token']);

    const github = only(serverFindings(config, 'github'), 'config.inline-bearer-token');
    assert.match(github.fix!.summary, /already names GITHUB_PAT/);

    const local = only(serverFindings(config, 'local'), 'config.inline-bearer-token');
    assert.match(local.message, /bearer_token is not supported for stdio/);
    assert.equal(local.fix?.toml, '[mcp_servers.local]\nenv_vars = ["LOCAL_TOKEN"]');

    assertFixesParse(allFindings(config));
    assertNoSecrets(allFindings(config), ['lin_api_INLINEfake00000000000000000000000000', 'plain-secret-value-123', 'stdio-secret-value-456']);
    assert.deepEqual(
      [...(config.secrets ?? [])].sort(),
      ['lin_api_INLINEfake00000000000000000000000000', 'plain-secret-value-123', 'stdio-secret-value-456'].sort(),
    );
  });

  test('a Windows user gets setx instead of export', async () => {
    const config = await loadFixture('inline-bearer.toml', { platform: 'win32' });
    assert.equal(only(serverFindings(config, 'linear'), 'config.inline-bearer-token').fix?.command, 'setx LINEAR_TOKEN "<your token>"');
  });
});

describe('validateServer: unknown and foreign keys', () => {
  test('foreign keys from other clients get specific advice and fixes', async () => {
    const config = await loadFixture('unknown-fields.toml');
    const claude = serverFindings(config, 'claude_style');
    assert.deepEqual(claude.map((f) => f.evidence?.key), ['type', 'disabled', 'timeout', 'autoApprove']);
    assert.ok(claude.every((f) => f.code === 'config.unknown-field' && f.severity === 'warning'));
    const byKey = (findings: typeof claude, key: string) => findings.find((f) => f.evidence?.key === key)!;
    assert.deepEqual(toml(byKey(claude, 'disabled').fix!.toml!), { mcp_servers: { claude_style: { enabled: false } } });
    assert.deepEqual(toml(byKey(claude, 'timeout').fix!.toml!), { mcp_servers: { claude_style: { tool_timeout_sec: 60 } } });
    assert.deepEqual(byKey(claude, 'type').fix?.remove, ['type']);
    assert.deepEqual(byKey(claude, 'disabled').fix?.remove, ['disabled']);
    // Codex 0.169 ignores `disabled = true` and starts the server (measured): the message says so.
    assert.match(byKey(claude, 'disabled').message, /does NOT turn the server off — Codex starts it anyway/);
    assert.deepEqual(toml(byKey(claude, 'autoApprove').fix!.toml!), {
      mcp_servers: { claude_style: { tools: { read_file: { approval_mode: 'approve' }, 'search.docs': { approval_mode: 'approve' } } } },
    });
    assert.match(byKey(claude, 'type').message, /infers the transport/);

    const cursor = serverFindings(config, 'cursor_style');
    assert.match(byKey(cursor, 'transport').message, /legacy HTTP\+SSE/);
    const headers = toml(byKey(cursor, 'headers').fix!.toml!) as { mcp_servers: { cursor_style: Record<string, unknown> } };
    assert.deepEqual(headers.mcp_servers.cursor_style, { http_headers: { 'X-Team': 'eng' }, bearer_token_env_var: 'CURSOR_STYLE_TOKEN' });
    assert.equal(byKey(cursor, 'authorization_token').fix?.toml, '[mcp_servers.cursor_style]\nbearer_token_env_var = "CURSOR_STYLE_TOKEN"');

    assertNoSecrets(allFindings(config), ['HEADERfakeSECRET123456', 'AUTHfakeTOKENvalue987654', 'OAUTHfakeCLIENTsecret']);
    assertFixesParse(allFindings(config));
  });

  test('typos get a did-you-mean, including nested tables and camelCase', async () => {
    const config = await loadFixture('unknown-fields.toml');
    const typos = serverFindings(config, 'typos');
    assert.deepEqual(
      typos.map((f) => [f.evidence?.key, f.evidence?.didYouMean]),
      [
        ['startup_timout_sec', 'startup_timeout_sec'],
        ['enabled_tool', 'enabled_tools'],
        ['envs', 'env'],
        ['bearerTokenEnvVar', 'bearer_token_env_var'],
        ['frobnicate', undefined],
        ['tools.a.aproval_mode', 'approval_mode'],
      ],
    );
    assert.equal(typos[0]!.fix?.toml, '[mcp_servers.typos]\nstartup_timeout_sec = 30');
    assert.equal(typos[5]!.fix?.toml, '[mcp_servers.typos.tools.a]\napproval_mode = "prompt"');
    // A rename keeps the value as written; a table value is not repeated (it may hold secrets).
    assert.deepEqual([typos[2]!.fix?.table, typos[2]!.fix?.rename, typos[2]!.fix?.toml], ['mcp_servers.typos', { envs: 'env' }, undefined]);
    assert.deepEqual(typos[5]!.fix?.rename, { aproval_mode: 'approval_mode' });
    assert.equal(typos[5]!.fix?.table, 'mcp_servers.typos.tools.a');
    assert.deepEqual([typos[4]!.fix?.table, typos[4]!.fix?.remove], ['mcp_servers.typos', ['frobnicate']]);
    assertFixesParse(typos);
  });

  test('includeTools and httpUrl map to Codex keys; oauth client_secret is not a Codex setting', async () => {
    const config = await loadFixture('unknown-fields.toml');
    const gemini = serverFindings(config, 'gemini_style');
    assert.deepEqual(toml(gemini.find((f) => f.evidence?.key === 'includeTools')!.fix!.toml!), { mcp_servers: { gemini_style: { enabled_tools: ['a', 'b'] } } });
    const oauth = only(serverFindings(config, 'oauthy'), 'config.unknown-field');
    assert.equal(oauth.evidence?.key, 'oauth.client_secret');
  });
});

describe('validateServer: value types', () => {
  test('values Codex cannot deserialize are invalid-value errors with a corrected snippet', async () => {
    const config = await loadFixture('invalid-values.toml');
    const timeouts = serverFindings(config, 'timeouts').filter((f) => f.code === 'config.invalid-value');
    assert.deepEqual(timeouts.map((f) => f.evidence?.key), ['startup_timeout_sec', 'tool_timeout_sec', 'startup_timeout_ms']);
    assert.match(timeouts[0]!.message, /negative/);
    assert.equal(timeouts[1]!.fix?.toml, '[mcp_servers.timeouts]\ntool_timeout_sec = 60');
    assert.equal(timeouts[2]!.fix?.toml, '[mcp_servers.timeouts]\nstartup_timeout_ms = 1501');
    assert.match(only(serverFindings(config, 'nan_timeout'), 'config.invalid-value').message, /NaN/);

    const types = serverFindings(config, 'types');
    assert.deepEqual(types.map((f) => f.evidence?.key), ['args', 'env', 'enabled', 'enabled_tools', 'default_tools_approval_mode']);
    assert.ok(types.every((f) => f.code === 'config.invalid-value' && f.severity === 'error'));
    assert.deepEqual(toml(types[0]!.fix!.toml!), { mcp_servers: { types: { args: ['-y', 'server', '--flag'] } } });
    assert.deepEqual(toml(types[1]!.fix!.toml!), { mcp_servers: { types: { env: { PORT: '8080', DEBUG: 'true' } } } });
    assert.deepEqual(toml(types[2]!.fix!.toml!), { mcp_servers: { types: { enabled: true } } });

    assert.match(only(serverFindings(config, 'env_sources'), 'config.invalid-value').message, /unsupported env_vars source `cloud`; expected `local` or `remote`/);
    const remote = only(serverFindings(config, 'remote_on_local'), 'config.invalid-value');
    assert.match(remote.message, /env_vars entry `HOME` uses source `remote`, which requires remote MCP stdio/);
    assert.match(remote.message, /cannot start this server/);
    assert.deepEqual(serverFindings(config, 'remote_on_remote'), [], 'a remote source is fine on a remote environment, and is not looked up here');

    const http = serverFindings(config, 'http_values');
    assert.deepEqual(http.map((f) => [f.evidence?.key, f.severity]), [['url', 'error'], ['auth', 'error'], ['oauth', 'warning']]);
    assert.match(http[2]!.message, /codex mcp login` fails/);
    assert.equal(http[0]!.fix?.toml, '[mcp_servers.http_values]\nurl = "http://localhost:3000/mcp"');
    assert.match(only(serverFindings(config, 'empty_command'), 'config.invalid-value').message, /empty/);
    assertFixesParse(allFindings(config));
  });
});

describe('every fixture', () => {
  test('fix snippets parse, codes are registered, messages are not mangled by redaction', async () => {
    const env = { HOME: '/home/u', DOCTOR_TEST_SET_TOKEN: 'set-secret-value-1234', DOCTOR_TEST_EMPTY_TOKEN: '' };
    for (const name of readdirSync(CONFIGS).filter((f) => f.endsWith('.toml'))) {
      const config = await loadConfig({ configPath: fixture(name), deps: configDeps({ env }) });
      const findings = allFindings(config);
      assertFixesParse(findings);
      for (const f of findings) {
        assert.ok(isFindingCode(f.code), `${name}: unregistered code ${f.code}`);
        assert.ok(f.message.length > 0 && f.fix?.summary, `${name}: ${f.code} without message or fix`);
        // Prose must survive the redactor intact; only secrets may be blanked.
        assert.ok(!f.message.includes('<redacted>'), `${name}: ${f.message}`);
        if (f.fix?.toml) assert.ok(!f.fix.toml.includes('<redacted>'), `${name}: redacted value in a fix:\n${f.fix.toml}`);
      }
    }
  });
});

/** smol-toml builds null-prototype tables; compare as plain data. */
function toml(text: string): unknown {
  return JSON.parse(JSON.stringify(parse(text)));
}

function readFileText(name: string): string {
  return readFileSync(fixture(name), 'utf8');
}
