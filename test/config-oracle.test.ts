// The config reader's verdicts against real Codex (the @openai/codex devDependency, 0.169.0 when
// written), through the Codex oracle: for each small config, what Codex does — refuse the whole
// config, fail one server at startup, ignore a key with a warning, or accept it — and what
// mcp-doctor reports for it. The two must agree: a config error is an `error` that says Codex
// refuses the whole config exactly when Codex does; an ignored key is a warning; what Codex
// accepts gets no error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config/load-config.ts';
import { askCodex, codexAvailable } from './helpers/codex-oracle.ts';
import { allFindings, configDeps, tempTree } from './helpers/config-fixtures.ts';

const skip = codexAvailable() ? false : 'the Codex CLI (@openai/codex devDependency) is not installed';
const T = { timeout: 30_000 };

type CodexDoes = 'refuses' | 'server-fails' | 'ignores' | 'accepts';

interface Case {
  toml: string;
  codex: CodexDoes;
  /** The code mcp-doctor must report (absent for `accepts` with no finding). */
  code?: string;
  /** For `server-fails`: Codex's startup error. */
  error?: RegExp;
}

const S = '[mcp_servers.s]\ncommand = "true"\n';
const H = '[mcp_servers.h]\nurl = "http://127.0.0.1:9/mcp"\n';

const CASES: Record<string, Case> = {
  'enabled = "yes"': { toml: `${S}enabled = "yes"\n`, codex: 'refuses', code: 'config.invalid-value' },
  'env value not a string': { toml: `${S}env = { PORT = 8080 }\n`, codex: 'refuses', code: 'config.invalid-value' },
  'negative startup_timeout_sec': { toml: `${S}startup_timeout_sec = -1\n`, codex: 'refuses', code: 'config.invalid-value' },
  'NaN startup_timeout_sec': { toml: `${S}startup_timeout_sec = nan\n`, codex: 'refuses', code: 'config.invalid-value' },
  'tool_timeout_sec as a string': { toml: `${S}tool_timeout_sec = "60"\n`, codex: 'refuses', code: 'config.invalid-value' },
  'startup_timeout_ms as a float': { toml: `${S}startup_timeout_ms = 1500.5\n`, codex: 'refuses', code: 'config.invalid-value' },
  'env_vars source cloud': { toml: `${S}env_vars = [{ name = "HOME", source = "cloud" }]\n`, codex: 'refuses', code: 'config.invalid-value' },
  'env_vars entry with a stray key': { toml: `${S}env_vars = [{ name = "HOME", sorce = "local" }]\n`, codex: 'refuses', code: 'config.invalid-value' },
  'args as a string': { toml: `${S}args = "-y x"\n`, codex: 'refuses', code: 'config.invalid-value' },
  'unknown approval mode': { toml: `${S}default_tools_approval_mode = "always"\n`, codex: 'refuses', code: 'config.invalid-value' },
  'unknown per-tool approval mode': { toml: `${S}[mcp_servers.s.tools.x]\napproval_mode = "always"\n`, codex: 'refuses', code: 'config.invalid-value' },
  'output_token_limit = 0': { toml: `${S}[mcp_servers.s.tools.x]\noutput_token_limit = 0\n`, codex: 'refuses', code: 'config.invalid-value' },
  'unknown omit_tools_from surface': { toml: `${S}omit_tools_from = ["app"]\n`, codex: 'refuses', code: 'config.invalid-value' },
  'unknown auth': { toml: `${H}auth = "oauth2"\n`, codex: 'refuses', code: 'config.invalid-value' },
  'oauth_resource on stdio': { toml: `${S}oauth_resource = "https://x"\n`, codex: 'refuses', code: 'config.unsupported-field' },
  'auth on stdio': { toml: `${S}auth = "chatgpt"\n`, codex: 'refuses', code: 'config.unsupported-field' },
  'http_headers_helper on stdio': { toml: `${S}http_headers_helper = "x"\n`, codex: 'refuses', code: 'config.unsupported-field' },
  'url with command': { toml: `${S}url = "http://x"\n`, codex: 'refuses', code: 'config.unsupported-field' },
  'args with url': { toml: `${H}args = ["--x"]\n`, codex: 'refuses', code: 'config.unsupported-field' },
  'a disabled server with a forbidden field': { toml: `${S}enabled = false\nurl = "http://x"\n`, codex: 'refuses', code: 'config.unsupported-field' },
  'inline bearer_token': { toml: `${H}bearer_token = "not-a-real-token-1"\n`, codex: 'refuses', code: 'config.inline-bearer-token' },
  'neither command nor url': { toml: '[mcp_servers.x]\nstartup_timeout_sec = 5\n', codex: 'refuses', code: 'config.missing-transport' },
  '[[mcp_servers]]': { toml: '[[mcp_servers]]\nname = "x"\ncommand = "true"\n', codex: 'refuses', code: 'config.invalid-value' },
  'a server that is a string': { toml: '[mcp_servers]\ngithub = "npx"\n', codex: 'refuses', code: 'config.invalid-value' },
  'unknown credential store': { toml: 'mcp_oauth_credentials_store = "vault"\n', codex: 'refuses', code: 'config.invalid-value' },
  'project_root_markers as a string': { toml: 'project_root_markers = ".git"\n', codex: 'refuses', code: 'config.invalid-value' },
  'unknown trust level': { toml: '[projects."/x"]\ntrust_level = "yes"\n', codex: 'refuses', code: 'config.invalid-value' },

  'remote env_vars on a local server': {
    toml: `${S}env_vars = [{ name = "HOME", source = "remote" }]\n`,
    codex: 'server-fails',
    code: 'config.invalid-value',
    error: /env_vars entry `HOME` uses source `remote`, which requires remote MCP stdio/,
  },
  'url without a scheme': { toml: '[mcp_servers.h]\nurl = "localhost:3000/mcp"\n', codex: 'server-fails', code: 'config.invalid-value', error: /only supports http and https URLs/ },
  'empty command': { toml: '[mcp_servers.s]\ncommand = ""\n', codex: 'server-fails', code: 'config.invalid-value', error: /No such file or directory/ },
  '"$NAME" in bearer_token_env_var': {
    toml: `${H}bearer_token_env_var = "$HOME"\n`,
    codex: 'server-fails',
    code: 'config.env-var-unset',
    error: /Environment variable \$HOME for MCP server 'h' is not set/,
  },
  'bearer variable unset': {
    toml: `${H}bearer_token_env_var = "MCP_DOCTOR_ORACLE_UNSET"\n`,
    codex: 'server-fails',
    code: 'config.env-var-unset',
    error: /Environment variable MCP_DOCTOR_ORACLE_UNSET for MCP server 'h' is not set/,
  },
  'a space in the name': { toml: '[mcp_servers."my server"]\ncommand = "true"\n', codex: 'server-fails', code: 'config.invalid-server-name', error: /Invalid MCP server name/ },

  'a typo': { toml: `${S}startup_timout_sec = 5\n`, codex: 'ignores', code: 'config.unknown-field' },
  'type = "stdio"': { toml: `${S}type = "stdio"\n`, codex: 'ignores', code: 'config.unknown-field' },
  'experimental_use_rmcp_client': { toml: 'experimental_use_rmcp_client = true\n', codex: 'ignores', code: 'config.obsolete-field' },
  '[features] rmcp_client': { toml: '[features]\nrmcp_client = true\n', codex: 'ignores', code: 'config.obsolete-field' },
  'experimental_environment': { toml: `${S}experimental_environment = "local"\n`, codex: 'ignores', code: 'config.obsolete-field' },
  'a JSON-style mcpServers table': { toml: '[mcpServers.x]\ncommand = "true"\n', codex: 'ignores', code: 'config.unknown-field' },
  'mcp_servers in a profile': { toml: '[profiles.work.mcp_servers.x]\ncommand = "true"\n', codex: 'ignores', code: 'config.unknown-field' },

  'approval mode "writes"': { toml: `${S}default_tools_approval_mode = "writes"\n`, codex: 'accepts' },
  'environment_id = "local"': { toml: `${S}environment_id = "local"\n`, codex: 'accepts' },
  'omit_tools_from = ["deferred"]': { toml: `${S}omit_tools_from = ["deferred"]\n`, codex: 'accepts' },
  'legacy display name': { toml: `${S}name = "S"\n`, codex: 'accepts' },
  'an integer beyond 2^53': { toml: `${S}startup_timeout_ms = 9007199254740993\n`, codex: 'accepts', code: 'config.obsolete-field' },
  '"@scope/pkg" as a name': { toml: '[mcp_servers."@scope/pkg"]\ncommand = "true"\n', codex: 'accepts', code: 'config.invalid-server-name' },
  'oauth callback_port = 0': { toml: `${H}oauth = { callback_port = 0 }\n`, codex: 'accepts', code: 'config.invalid-value' },
  'mcp_oauth_callback_port = 0': { toml: 'mcp_oauth_callback_port = 0\n', codex: 'accepts', code: 'config.invalid-value' },
};

describe('config verdicts agree with Codex', { skip, concurrency: 2 }, () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, T, async () => {
      const verdict = await askCodex(c.toml, { timeoutMs: 20_000, env: { MCP_DOCTOR_ORACLE_UNSET: undefined } });
      const tree = tempTree({ 'config.toml': c.toml });
      let findings;
      try {
        const config = await loadConfig({ configPath: tree.path('config.toml'), deps: configDeps({ env: { HOME: '/home/u' } }) });
        findings = allFindings(config);
      } finally {
        tree.cleanup();
      }
      const errors = findings.filter((f) => f.severity === 'error');
      const refusing = errors.filter((f) => /refuses the whole config/.test(f.message));
      if (c.code) assert.ok(findings.some((f) => f.code === c.code), `mcp-doctor reports ${JSON.stringify(findings.map((f) => f.code))}, not ${c.code}`);

      switch (c.codex) {
        case 'refuses':
          assert.ok(verdict.configError, `Codex accepted the config: ${JSON.stringify(verdict.servers)}`);
          assert.ok(refusing.length > 0, `Codex refuses (${verdict.configError}) but no finding says so: ${JSON.stringify(findings.map((f) => [f.code, f.severity, f.message]))}`);
          break;
        case 'server-fails': {
          assert.equal(verdict.configError, undefined);
          const failed = Object.values(verdict.servers).find((s) => !s.connected && s.error);
          assert.ok(failed && c.error?.test(failed.error!), `Codex: ${JSON.stringify(verdict.servers)}`);
          assert.ok(errors.length > 0 && refusing.length === 0, JSON.stringify(findings.map((f) => [f.code, f.severity, f.message])));
          break;
        }
        case 'ignores':
          assert.equal(verdict.configError, undefined);
          assert.ok(verdict.warnings.some((w) => w.includes('is ignored')), `Codex did not warn: ${JSON.stringify(verdict.warnings)}`);
          assert.deepEqual(errors, []);
          assert.ok(findings.some((f) => f.severity === 'warning'));
          break;
        case 'accepts':
          assert.equal(verdict.configError, undefined);
          assert.deepEqual(errors.map((f) => f.message), []);
          break;
      }
    });
  }
});
