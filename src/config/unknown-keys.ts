import type { Fix } from '../types.ts';
import { addFinding, isTable, where, type ServerCheckContext } from './check-context.ts';
import { FOREIGN_SERVER_KEYS, KNOWN_SERVER_KEYS, LEGACY_SERVER_KEYS, OAUTH_KEYS, REJECTED_KEYS, TOOL_KEYS } from './codex-keys.ts';
import { didYouMean } from './did-you-mean.ts';
import { secretShape, suggestedVarName, exportCommand } from './env-checks.ts';
import { serverHeader, serverSnippet, tomlKey, tomlValue } from './toml-snippet.ts';

/** Headers whose values are credentials: they go to env vars, never into a suggested snippet. */
const SECRET_HEADER = /^(?:authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|x-access-token|private-token)$/i;

/** Never suggest a rejected or legacy key. */
const SUGGESTABLE_KEYS = KNOWN_SERVER_KEYS.filter((k) => !(REJECTED_KEYS as readonly string[]).includes(k) && !(LEGACY_SERVER_KEYS as readonly string[]).includes(k));

/**
 * Keys Codex does not define. Codex deserializes `[mcp_servers.NAME]` without
 * `deny_unknown_fields`, so these are ignored silently (errors only under `--strict-config`):
 * the user's setting has no effect, which is why they are warnings.
 */
export function checkUnknownKeys(ctx: ServerCheckContext): void {
  for (const [key, value] of Object.entries(ctx.table)) {
    if (KNOWN_SERVER_KEYS.includes(key)) continue;
    const foreign = Object.hasOwn(FOREIGN_SERVER_KEYS, key) ? FOREIGN_SERVER_KEYS[key] : undefined;
    if (foreign) {
      reportForeignKey(ctx, key, value, foreign.origin, foreign.advice);
      continue;
    }
    const suggestion = didYouMean(key, SUGGESTABLE_KEYS);
    addFinding(ctx, 'config.unknown-field', {
      message: suggestion
        ? `Codex does not know \`${key}\` in ${where(ctx)} and ignores it; did you mean \`${suggestion}\`?`
        : `Codex does not know \`${key}\` in ${where(ctx)} and ignores it.`,
      evidence: { key, file: ctx.source, ...(suggestion ? { didYouMean: suggestion } : {}) },
      fix: suggestion ? renameFix(ctx, key, suggestion, value) : { summary: `Remove \`${key}\`: it has no effect in Codex.` },
    });
  }
  checkNestedKeys(ctx);
}

function renameFix(ctx: ServerCheckContext, from: string, to: string, value: unknown): Fix {
  const summary = `Rename \`${from}\` to \`${to}\`.`;
  if (isTable(value)) {
    // The table's values may be secrets (env, headers): name the table, do not repeat them.
    return { summary, toml: `${serverHeader(ctx.name, to)}\n# the entries of ${serverHeader(ctx.name, from)}, unchanged` };
  }
  return { summary, toml: serverSnippet(ctx.name, [[to, ctx.redact.value(value)]]) };
}

function reportForeignKey(ctx: ServerCheckContext, key: string, value: unknown, origin: string, advice: string): void {
  const base = `\`${key}\` in ${where(ctx)} is not a Codex key (it comes from ${origin}), so Codex ignores it`;
  const advised = `${advice[0]!.toUpperCase()}${advice.slice(1)}.`;
  let message = `${base}. ${advised}`;
  let fix: Fix = { summary: advised };
  switch (key) {
    case 'type':
    case 'transport': {
      fix = { summary: `Delete the \`${key}\` line; Codex infers the transport from \`command\` or \`url\`.` };
      if (typeof value === 'string' && /^sse$/i.test(value)) {
        message = `${base}. In other clients \`${key} = "sse"\` marks a legacy HTTP+SSE endpoint, which Codex does not speak (Streamable HTTP only); the discovery stage checks what this URL answers.`;
      }
      break;
    }
    case 'headers': {
      if (!isTable(value) || ctx.transport !== 'streamable_http') break;
      const plain: Array<[string, unknown]> = [];
      const fromEnv: Array<[string, string]> = [];
      let bearer: string | undefined;
      for (const [header, headerValue] of Object.entries(value)) {
        if (typeof headerValue !== 'string') continue;
        if (header.toLowerCase() === 'authorization' && /^Bearer\s/i.test(headerValue) && ctx.table.bearer_token_env_var === undefined) bearer = suggestedVarName(ctx.name);
        else if (SECRET_HEADER.test(header) || secretShape(headerValue)) fromEnv.push([header, suggestedVarName(ctx.name, header)]);
        else plain.push([header, ctx.redact.text(headerValue)]);
      }
      const lines: string[] = [serverHeader(ctx.name)];
      if (plain.length) lines.push(`http_headers = ${tomlValue(Object.fromEntries(plain))}`);
      if (fromEnv.length) lines.push(`env_http_headers = ${tomlValue(Object.fromEntries(fromEnv))}`);
      if (bearer) lines.push(`bearer_token_env_var = ${tomlValue(bearer)}`);
      const variables = [...(bearer ? [bearer] : []), ...fromEnv.map(([, v]) => v)];
      fix = {
        summary: variables.length
          ? `Rename \`headers\` to \`http_headers\`, and read credentials from the environment instead of the file (set ${variables.join(', ')} where Codex is launched).`
          : 'Rename `headers` to `http_headers`.',
        toml: lines.join('\n'),
      };
      if (variables.length) {
        fix.command = [
          ...(bearer ? [exportCommand(bearer, '<token>', ctx.platform)] : []),
          ...fromEnv.map(([h, v]) => exportCommand(v, h.toLowerCase() === 'authorization' ? 'Bearer <token>' : '<value>', ctx.platform)),
        ].join(' && ');
      }
      break;
    }
    case 'disabled':
      fix = value === true
        ? { summary: 'Replace `disabled = true` with `enabled = false`.', toml: serverSnippet(ctx.name, [['enabled', false]]) }
        : { summary: 'Delete `disabled`; servers are enabled by default (`enabled = false` turns one off).' };
      break;
    case 'timeout': {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) break;
      // Other clients count milliseconds; a value of 1000 or more is almost certainly ms.
      const seconds = value >= 1000 ? Math.ceil(value / 1000) : value;
      fix = {
        summary: `Use \`tool_timeout_sec\` (seconds, per tool call)${value >= 1000 ? ` — ${value} looks like milliseconds, i.e. ${seconds} s` : ''}; for a slow start-up use \`startup_timeout_sec\` instead.`,
        toml: serverSnippet(ctx.name, [['tool_timeout_sec', seconds]]),
      };
      break;
    }
    case 'serverUrl':
    case 'httpUrl':
      if (typeof value === 'string' && ctx.table.url === undefined && ctx.table.command === undefined) {
        fix = { summary: `Rename \`${key}\` to \`url\`.`, toml: serverSnippet(ctx.name, [['url', ctx.redact.url(value)]]) };
      } else {
        fix = { summary: `Delete \`${key}\`; Codex reads only \`url\`.` };
      }
      break;
    case 'autoApprove':
    case 'alwaysAllow': {
      const tools = Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
      if (tools.length === 0) {
        fix = { summary: `Delete \`${key}\`. To skip approval prompts for every tool of this server, set \`default_tools_approval_mode = "approve"\`.` };
        break;
      }
      fix = {
        summary: `Replace \`${key}\` with a per-tool \`approval_mode = "approve"\` (run without asking) for each tool it listed.`,
        toml: tools.map((tool) => serverSnippet(ctx.name, [['approval_mode', 'approve']], ['tools', tool])).join('\n\n'),
      };
      break;
    }
    case 'authorization_token': {
      const variable = suggestedVarName(ctx.name);
      message = `${base}: no token is sent, and the token sits in plain text in ${ctx.source}.`;
      fix = {
        summary: `Move the token into the environment variable ${variable}, name it with \`bearer_token_env_var\`, and delete \`authorization_token\`${ctx.fromProject ? '; rotate the token, since a project config is often committed' : ''}.`,
        toml: serverSnippet(ctx.name, [['bearer_token_env_var', variable]]),
        command: exportCommand(variable, '<your token>', ctx.platform),
      };
      break;
    }
    case 'includeTools':
    case 'excludeTools': {
      const target = key === 'includeTools' ? 'enabled_tools' : 'disabled_tools';
      fix = Array.isArray(value)
        ? { summary: `Rename \`${key}\` to \`${target}\`.`, toml: serverSnippet(ctx.name, [[target, value.filter((t) => typeof t === 'string')]]) }
        : { summary: `Rename \`${key}\` to \`${target}\`.` };
      break;
    }
  }
  addFinding(ctx, 'config.unknown-field', {
    message,
    evidence: { key, file: ctx.source, foreign: true },
    fix,
  });
}

/** Keys inside `oauth` and `tools.TOOL`, which Codex also ignores when unknown. */
function checkNestedKeys(ctx: ServerCheckContext): void {
  const nested: Array<{ path: string[]; table: Record<string, unknown>; known: readonly string[] }> = [];
  if (isTable(ctx.table.oauth)) nested.push({ path: ['oauth'], table: ctx.table.oauth, known: OAUTH_KEYS });
  if (isTable(ctx.table.tools)) {
    for (const [tool, config] of Object.entries(ctx.table.tools)) {
      if (isTable(config)) nested.push({ path: ['tools', tool], table: config, known: TOOL_KEYS });
    }
  }
  for (const { path, table, known } of nested) {
    for (const [key, value] of Object.entries(table)) {
      if (known.includes(key)) continue;
      const dotted = [...path, key].map(tomlKey).join('.');
      if (path[0] === 'oauth' && /secret/i.test(key)) {
        addFinding(ctx, 'config.unknown-field', {
          message: `Codex has no \`oauth.${key}\` setting in ${where(ctx)} and ignores it: it logs in as a public client with PKCE, and a client secret does not belong in config.toml.`,
          evidence: { key: dotted, file: ctx.source },
          fix: { summary: `Delete \`${key}\` from the oauth table; if the provider requires a confidential client, register one that allows PKCE without a secret.` },
        });
        continue;
      }
      const suggestion = didYouMean(key, known);
      addFinding(ctx, 'config.unknown-field', {
        message: `Codex does not know \`${dotted}\` in ${where(ctx)} and ignores it${suggestion ? `; did you mean \`${suggestion}\`?` : '.'}`,
        evidence: { key: dotted, file: ctx.source, ...(suggestion ? { didYouMean: suggestion } : {}) },
        fix: suggestion
          ? { summary: `Rename \`${key}\` to \`${suggestion}\`.`, toml: serverSnippet(ctx.name, [[suggestion, ctx.redact.value(value)]], path) }
          : { summary: `Remove \`${key}\`: it has no effect in Codex.` },
      });
    }
  }
}
