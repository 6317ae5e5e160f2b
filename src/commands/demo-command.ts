import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFixtureServer, type FixtureServer, type ScenarioName } from '../../fixtures/http/scenarios.ts';
import { defaultDeps } from '../pipeline/default-deps.ts';
import { runCheckCommand, type CheckArgs, type Io } from './check-command.ts';

/**
 * The stdio fixture ships with the package (package.json "files"); it sits two levels up from
 * src/commands when run from source and one level up from dist/cli.js when bundled.
 */
export function stdioFixturePath(): string {
  const candidates = ['../fixtures/stdio/server.mjs', '../../fixtures/stdio/server.mjs'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`demo stdio server not found (looked in ${candidates.join(', ')})`);
  return found;
}

interface DemoHttpServer {
  name: string;
  scenario: ScenarioName;
  /** Extra TOML lines for the server table. */
  extra?: string[];
  /** Use this path instead of the scenario's MCP endpoint. */
  path?: string;
}

/** One healthy server and the classic failures, each the way people meet it. */
const HTTP_SERVERS: DemoHttpServer[] = [
  { name: 'healthy_http', scenario: 'healthy-sse' },
  { name: 'legacy_sse', scenario: 'sse-only-with-sibling' },
  { name: 'needs_login', scenario: 'oauth-protected' },
  { name: 'hybrid_server', scenario: 'hybrid-sse' },
  { name: 'wrong_path', scenario: 'html-page' },
  { name: 'dotted_tools', scenario: 'tools-invalid-name', extra: ['type = "http"'] },
];

const STDIO_SERVERS: { name: string; mode: string; extra?: string[] }[] = [
  { name: 'healthy_stdio', mode: 'healthy' },
  { name: 'chatty_stdio', mode: 'banner' },
  { name: 'missing_module', mode: 'exit-early' },
];

export async function runDemoCommand(args: CheckArgs, io: Io): Promise<number> {
  const home = mkdtempSync(join(tmpdir(), 'mcp-doctor-demo-'));
  const started: FixtureServer[] = [];
  try {
    const lines: string[] = [
      '# mcp-doctor demo: local servers on 127.0.0.1, started by `mcp-doctor demo` and stopped when it ends.',
    ];
    for (const demo of HTTP_SERVERS) {
      const server = await startFixtureServer(demo.scenario);
      started.push(server);
      lines.push('', `[mcp_servers.${demo.name}]`, `url = ${JSON.stringify(demo.path ? server.origin + demo.path : server.url)}`);
      lines.push('startup_timeout_sec = 10', ...(demo.extra ?? []));
    }
    const script = stdioFixturePath();
    for (const demo of STDIO_SERVERS) {
      lines.push('', `[mcp_servers.${demo.name}]`, `command = ${JSON.stringify(process.execPath)}`);
      lines.push(`args = [${JSON.stringify(script)}, ${JSON.stringify(demo.mode)}]`, 'startup_timeout_sec = 10', ...(demo.extra ?? []));
    }
    const configPath = join(home, 'config.toml');
    writeFileSync(configPath, `${lines.join('\n')}\n`);
    if (args.format === 'text') {
      io.stderr.write(`mcp-doctor demo: checking ${HTTP_SERVERS.length + STDIO_SERVERS.length} local demo servers (config: ${configPath})\n\n`);
    }
    // A private CODEX_HOME: the demo must not read the user's stored credentials. Its servers are
    // on loopback, so a proxy from the user's environment must not route them.
    const env: Record<string, string | undefined> = { ...process.env };
    for (const key of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(key)) delete env[key];
    const deps = defaultDeps({ codexHome: home, env });
    const code = await runCheckCommand({ ...args, names: [], config: configPath, url: undefined, command: undefined }, io, deps);
    if (args.format === 'text') {
      io.stderr.write(
        `\nThe failures above are staged: the demo servers are broken on purpose. Run \`mcp-doctor check\` on your own ~/.codex/config.toml next.\n`,
      );
    }
    // The demo succeeded when the report was produced; its broken servers are the point.
    return code === 1 ? 0 : code;
  } finally {
    await Promise.all(started.map((s) => s.close()));
    rmSync(home, { recursive: true, force: true });
  }
}
