import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { isTable, typeName } from './check-context.ts';
import { CREDENTIAL_STORES, FOREIGN_TOP_LEVEL_SERVER_TABLES, OBSOLETE_FEATURE_KEYS, OBSOLETE_TOP_LEVEL_KEYS, TRUST_LEVELS } from './codex-keys.ts';
import { distance } from './did-you-mean.ts';
import { isEnvVarName, secretShape, suggestedVarName } from './env-checks.ts';
import { sanitizeServerName } from './validate-server.ts';
import { serverHeader, tomlKey, tomlValue } from './toml-snippet.ts';

/**
 * File-level checks of one layer's top-level keys: the ones that decide whether MCP servers load
 * at all (`mcp_servers` itself, trust, OAuth storage) and leftovers from old guides and other
 * clients. Findings name the file, since layers are checked one by one.
 */
export function checkTopLevel(document: Record<string, unknown>, file: string, redact: Redactor): Finding[] {
  const findings: Finding[] = [];
  const add = (code: Parameters<typeof makeFinding>[0], input: Parameters<typeof makeFinding>[1]) =>
    findings.push(makeFinding(code, { ...input, stage: 'file', message: redact.text(input.message), evidence: input.evidence ? redact.value(input.evidence) : undefined }));

  const servers = document.mcp_servers;
  if (servers !== undefined && !isTable(servers)) {
    add('config.invalid-value', {
      message: `\`mcp_servers\` in ${file} is ${typeName(servers)}${Array.isArray(servers) ? ' (written as [[mcp_servers]])' : ''}; Codex expects a table of servers ([mcp_servers.NAME]) and refuses the whole config.`,
      evidence: { key: 'mcp_servers', got: typeName(servers), file },
      fix: arrayOfServersFix(servers, redact),
    });
  }

  for (const [key, why] of Object.entries(OBSOLETE_TOP_LEVEL_KEYS)) {
    if (document[key] === undefined) continue;
    add('config.obsolete-field', {
      message: `\`${key}\` in ${file} is obsolete: ${why}.`,
      evidence: { key, file },
      fix: { summary: `Delete the \`${key}\` line; Codex no longer reads it.` },
    });
  }
  if (isTable(document.features)) {
    for (const [key, why] of Object.entries(OBSOLETE_FEATURE_KEYS)) {
      if (document.features[key] === undefined) continue;
      add('config.obsolete-field', {
        message: `\`[features] ${key}\` in ${file} is obsolete: ${why}.`,
        evidence: { key: `features.${key}`, file },
        fix: { summary: `Delete \`${key}\` from [features]; what it enabled is now always on.`, table: 'features', remove: [key] },
      });
    }
  }

  for (const key of Object.keys(document)) {
    if (key === 'mcp_servers') continue;
    const value = document[key];
    const known = (FOREIGN_TOP_LEVEL_SERVER_TABLES as readonly string[]).includes(key);
    const near = !known && distance(key.toLowerCase().replace(/[-\s]/g, '_'), 'mcp_servers') <= 2;
    if (!isTable(value)) continue;
    const entries = Object.entries(value).filter(([, v]) => isTable(v));
    const looksLikeServers = entries.length > 0 && entries.every(([, v]) => isTable(v) && ['command', 'url', 'serverUrl', 'httpUrl', 'args'].some((k) => (v as Record<string, unknown>)[k] !== undefined));
    // `servers` and `mcp` could be other tools' tables; only flag them when they hold server definitions.
    if (!(near || (known && (key !== 'servers' && key !== 'mcp' ? entries.length > 0 : looksLikeServers)))) continue;
    add('config.unknown-field', {
      message: `${file} has a top-level \`${key}\` table${key === 'mcpServers' ? ' (the JSON config shape of Claude Desktop, Cursor and VS Code)' : ''}; Codex reads MCP servers only from \`[mcp_servers.NAME]\` tables, so ${entries.length === 1 ? 'this server is' : `these ${entries.length} servers are`} ignored.`,
      evidence: { key, servers: entries.map(([name]) => name), file },
      fix: convertForeignServers(entries as Array<[string, Record<string, unknown>]>, redact),
    });
  }

  if (isTable(document.profiles)) {
    for (const [profile, body] of Object.entries(document.profiles)) {
      if (!isTable(body) || body.mcp_servers === undefined) continue;
      add('config.unknown-field', {
        message: `[profiles.${tomlKey(profile)}] in ${file} has \`mcp_servers\`, but legacy profile tables cannot hold MCP servers; they are ignored.`,
        evidence: { key: `profiles.${profile}.mcp_servers`, file },
        // Codex 0.171's profile files are full config layers: the servers can live there.
        fix: { summary: `Move the servers into the profile file (\`${profile}.config.toml\` in CODEX_HOME, used with \`codex --profile ${profile}\`), or to top-level [mcp_servers.NAME] tables (use \`enabled = false\` to keep one off by default).` },
      });
    }
  }

  checkTopLevelValues(document, file, add);
  return findings;
}

type Add = (code: 'config.invalid-value', input: Parameters<typeof makeFinding>[1]) => void;

function checkTopLevelValues(document: Record<string, unknown>, file: string, add: Add): void {
  const invalid = (key: string, detail: string, expected: string, toml?: string) =>
    add('config.invalid-value', {
      message: `\`${key}\` in ${file} ${detail}; Codex refuses the whole config.`,
      evidence: { key, expected, file },
      fix: toml ? { summary: `Write \`${key}\` as ${expected}.`, toml } : { summary: `Write \`${key}\` as ${expected}.` },
    });

  const markers = document.project_root_markers;
  if (markers !== undefined && !(Array.isArray(markers) && markers.every((m) => typeof m === 'string'))) {
    invalid('project_root_markers', `is ${typeName(markers)} ("project_root_markers must be an array of strings")`, 'an array of strings', 'project_root_markers = [".git"]');
  }
  const store = document.mcp_oauth_credentials_store;
  if (store !== undefined && !(typeof store === 'string' && (CREDENTIAL_STORES as readonly string[]).includes(store))) {
    invalid('mcp_oauth_credentials_store', `is ${typeof store === 'string' ? `"${store}"` : typeName(store)}`, '"auto", "file" or "keyring"', 'mcp_oauth_credentials_store = "auto"');
  }
  const port = document.mcp_oauth_callback_port;
  if (port !== undefined) {
    const ok = (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) || (typeof port === 'bigint' && port >= 1n && port <= 65535n);
    if (port === 0 || port === 0n) {
      // Measured: 0 loads (it is a u16); only `codex mcp login` refuses it.
      add('config.invalid-value', {
        severity: 'warning',
        message: `\`mcp_oauth_callback_port\` in ${file} is 0: Codex loads the config, but every \`codex mcp login\` fails ("invalid MCP OAuth callback port \`0\`: port must be between 1 and 65535").`,
        evidence: { key: 'mcp_oauth_callback_port', expected: 'a port between 1 and 65535', file },
        fix: { summary: 'Delete the line (Codex then picks a free port) or set a port between 1 and 65535.', table: '', remove: ['mcp_oauth_callback_port'] },
      });
    } else if (!ok) {
      invalid('mcp_oauth_callback_port', `is ${typeof port === 'number' || typeof port === 'bigint' ? String(port) : typeName(port)} ("port must be between 1 and 65535")`, 'a port between 1 and 65535');
    }
  }
  const callback = document.mcp_oauth_callback_url;
  if (callback !== undefined && !(typeof callback === 'string' && /^https?:\/\/\S+$/i.test(callback))) {
    invalid('mcp_oauth_callback_url', `is ${typeof callback === 'string' ? 'not an http(s) URL' : typeName(callback)}`, 'an http(s) URL');
  }
  const projects = document.projects;
  if (projects !== undefined) {
    if (!isTable(projects)) {
      invalid('projects', `is ${typeName(projects)}`, 'a table of [projects."/abs/path"] entries');
    } else {
      for (const [path, entry] of Object.entries(projects)) {
        const level = isTable(entry) ? entry.trust_level : undefined;
        if (!isTable(entry)) {
          invalid(`projects."${path}"`, `is ${typeName(entry)}`, 'a table with trust_level', `[projects.${tomlKey(path)}]\ntrust_level = "trusted"`);
        } else if (level !== undefined && !(typeof level === 'string' && (TRUST_LEVELS as readonly string[]).includes(level))) {
          invalid(`projects."${path}".trust_level`, `is ${typeof level === 'string' ? `"${level}"` : typeName(level)}`, '"trusted" or "untrusted"', `[projects.${tomlKey(path)}]\ntrust_level = "trusted"`);
        }
      }
    }
  }
}

const SECRET_HEADER = /^(?:authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|x-access-token|private-token)$/i;

/** The `[mcp_servers.NAME]` equivalent of JSON-style server entries; secrets become variable names. */
function convertForeignServers(entries: Array<[string, Record<string, unknown>]>, redact: Redactor) {
  const tables: string[] = [];
  const exports: string[] = [];
  for (const [rawName, entry] of entries) {
    const name = sanitizeServerName(rawName);
    const lines = [serverHeader(name)];
    const url = [entry.url, entry.serverUrl, entry.httpUrl].find((u): u is string => typeof u === 'string');
    if (typeof entry.command === 'string') {
      lines.push(`command = ${tomlValue(redact.text(entry.command))}`);
      if (Array.isArray(entry.args)) lines.push(`args = ${tomlValue(entry.args.filter((a) => typeof a === 'string').map((a) => redact.text(a as string)))}`);
      if (isTable(entry.env)) {
        const names = Object.keys(entry.env).filter(isEnvVarName);
        if (names.length) {
          lines.push(`env_vars = ${tomlValue(names)}`);
          exports.push(...names);
        }
      }
    } else if (url) {
      lines.push(`url = ${tomlValue(redact.url(url))}`);
      if (isTable(entry.headers)) {
        const plain: Record<string, string> = {};
        const fromEnv: Record<string, string> = {};
        for (const [header, value] of Object.entries(entry.headers)) {
          if (typeof value !== 'string') continue;
          if (SECRET_HEADER.test(header) || secretShape(value)) {
            const variable = suggestedVarName(name, header.toLowerCase() === 'authorization' ? 'TOKEN' : header);
            if (header.toLowerCase() === 'authorization' && /^Bearer\s/i.test(value)) lines.push(`bearer_token_env_var = ${tomlValue(variable)}`);
            else fromEnv[header] = variable;
            exports.push(variable);
          } else {
            plain[header] = redact.text(value);
          }
        }
        if (Object.keys(plain).length) lines.push(`http_headers = ${tomlValue(plain)}`);
        if (Object.keys(fromEnv).length) lines.push(`env_http_headers = ${tomlValue(fromEnv)}`);
      }
    } else {
      continue;
    }
    if (entry.disabled === true) lines.push('enabled = false');
    tables.push(lines.join('\n'));
  }
  const summary = `Rewrite each entry as a [mcp_servers.NAME] table${exports.length ? `; values of ${[...new Set(exports)].join(', ')} are read from the environment Codex is launched from, so export them there instead of writing them into the file` : ''}.`;
  return tables.length ? { summary, toml: tables.join('\n\n') } : { summary };
}

/** `[[mcp_servers]]` with `name = "..."` entries → one `[mcp_servers.NAME]` table each (secret-free keys only). */
function arrayOfServersFix(servers: unknown, redact: Redactor) {
  const summary = 'Write one table per server, [mcp_servers.NAME], with `command` or `url`.';
  if (!Array.isArray(servers)) return { summary, toml: '[mcp_servers.example]\ncommand = "npx"\nargs = ["-y", "example-mcp-server"]', template: true };
  const tables = servers.flatMap((entry, index) => {
    if (!isTable(entry)) return [];
    const name = sanitizeServerName(typeof entry.name === 'string' ? entry.name : `server${index + 1}`);
    const lines = [serverHeader(name)];
    for (const key of ['command', 'args', 'url', 'enabled', 'startup_timeout_sec', 'tool_timeout_sec', 'bearer_token_env_var', 'env_vars']) {
      if (entry[key] !== undefined) lines.push(`${key} = ${tomlValue(redact.value(entry[key]))}`);
    }
    return [lines.join('\n')];
  });
  // Replacing [[mcp_servers]] entries is a rewrite by hand, not a key edit.
  return tables.length ? { summary: `${summary} Other keys of each entry (env, headers...) move into the same table.`, toml: tables.join('\n\n'), template: true } : { summary };
}
