import type { Fix } from '../types.ts';
import { addFinding, isTable, keyInProject, where, type ServerCheckContext } from './check-context.ts';
import { FOREIGN_SERVER_KEYS, KNOWN_SERVER_KEYS, LEGACY_SERVER_KEYS, OAUTH_KEYS, REJECTED_KEYS, TOOL_KEYS } from './codex-keys.ts';
import { didYouMean } from './did-you-mean.ts';
import { secretShape, suggestedVarName, exportCommand } from './env-checks.ts';
import { serverHeader, serverSnippet, serverTableKey, tomlKey, tomlValue } from './toml-snippet.ts';
import { CONFIG_MAX_UNKNOWN_KEY_FINDINGS } from '../limits.ts';

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
  let reported = 0;
  const more: string[] = [];
  for (const [key, value] of Object.entries(ctx.table)) {
    if (KNOWN_SERVER_KEYS.includes(key)) continue;
    // Past a few, one finding per key only buries the report (a generated config with 40 000
    // keys made a 22 MB report): the rest are counted in one summary finding.
    if (reported >= MAX_UNKNOWN_KEY_FINDINGS) {
      more.push(key);
      continue;
    }
    reported++;
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
      fix: suggestion ? renameFix(ctx, key, suggestion, value) : { summary: `Remove \`${key}\`: it has no effect in Codex.`, table: serverTableKey(ctx.name), remove: [key] },
    });
  }
  if (more.length > 0) moreUnknownKeys(ctx, more);
  checkNestedKeys(ctx);
}

/** Unknown keys reported one by one per server; the rest are summed up in one finding. */
const MAX_UNKNOWN_KEY_FINDINGS = CONFIG_MAX_UNKNOWN_KEY_FINDINGS;
const SHOWN_MORE_KEYS = 10;

function moreUnknownKeys(ctx: ServerCheckContext, keys: string[]): void {
  const shown = keys.slice(0, SHOWN_MORE_KEYS).map((k) => `\`${k.length > 64 ? `${k.slice(0, 64)}…` : k}\``);
  addFinding(ctx, 'config.unknown-field', {
    message: `…and ${keys.length} more key${keys.length === 1 ? '' : 's'} Codex does not know in ${where(ctx)} and ignores (${shown.join(', ')}${keys.length > SHOWN_MORE_KEYS ? ', …' : ''}); only the first ${MAX_UNKNOWN_KEY_FINDINGS} are reported one by one.`,
    evidence: { moreKeys: keys.length, firstKeys: keys.slice(0, SHOWN_MORE_KEYS), file: ctx.source },
    fix: { summary: `Remove the keys Codex does not know from ${where(ctx)}: they have no effect in Codex.` },
  });
}

/** A rename keeps the value exactly as written; the snippet only shows it, when it is safe to repeat. */
function renameFix(ctx: ServerCheckContext, from: string, to: string, value: unknown, sub: string[] = []): Fix {
  const fix: Fix = { summary: `Rename \`${from}\` to \`${to}\`.`, table: serverTableKey(ctx.name, ...sub), rename: { [from]: to } };
  // A table's values may be secrets (env, headers), and a redacted value must not be written back.
  const shown = ctx.redact.value(value);
  if (!isTable(value) && JSON.stringify(shown) === JSON.stringify(value)) fix.toml = serverSnippet(ctx.name, [[to, value]], sub);
  return fix;
}

function reportForeignKey(ctx: ServerCheckContext, key: string, value: unknown, origin: string, advice: string): void {
  const base = `\`${key}\` in ${where(ctx)} is not a Codex key (it comes from ${origin}), so Codex ignores it`;
  const advised = `${advice[0]!.toUpperCase()}${advice.slice(1)}.`;
  let message = `${base}. ${advised}`;
  const table = serverTableKey(ctx.name);
  let fix: Fix = { summary: advised, table, remove: [key] };
  switch (key) {
    case 'type':
    case 'transport': {
      fix = { summary: `Delete the \`${key}\` line; Codex infers the transport from \`command\` or \`url\`.`, table, remove: [key] };
      if (typeof value === 'string' && /^sse$/i.test(value)) {
        message = `${base}. In other clients \`${key} = "sse"\` marks a legacy HTTP+SSE endpoint, which Codex does not speak (Streamable HTTP only); the discovery stage checks what this URL answers.`;
      }
      break;
    }
    case 'headers': {
      if (!isTable(value) || ctx.transport !== 'streamable_http') {
        fix = { summary: ctx.transport === 'stdio' ? 'Delete `headers`: a stdio server takes no HTTP headers.' : 'Rename `headers` to `http_headers`.', table, remove: [key] };
        break;
      }
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
        remove: ['headers'],
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
      // Codex 0.169 ignores the key with a warning and STARTS the server (measured): the user
      // believes it is off.
      if (value === true) message = `${base}: \`disabled = true\` does NOT turn the server off — Codex starts it anyway (it only warns "\`mcp_servers.${ctx.name}.disabled\` is ignored"). ${advised}`;
      fix = value === true
        ? { summary: 'Replace `disabled = true` with `enabled = false`.', toml: serverSnippet(ctx.name, [['enabled', false]]), remove: ['disabled'] }
        : { summary: 'Delete `disabled`; servers are enabled by default (`enabled = false` turns one off).', table, remove: ['disabled'] };
      break;
    case 'timeout': {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) break;
      // Other clients count milliseconds; a value of 1000 or more is almost certainly ms.
      const seconds = value >= 1000 ? Math.ceil(value / 1000) : value;
      fix = {
        summary: `Use \`tool_timeout_sec\` (seconds, per tool call)${value >= 1000 ? ` — ${value} looks like milliseconds, i.e. ${seconds} s` : ''}; for a slow start-up use \`startup_timeout_sec\` instead.`,
        toml: serverSnippet(ctx.name, [['tool_timeout_sec', seconds]]),
        remove: ['timeout'],
      };
      break;
    }
    case 'serverUrl':
    case 'httpUrl':
      if (typeof value === 'string' && ctx.table.url === undefined && ctx.table.command === undefined) {
        fix = renameFix(ctx, key, 'url', value);
      } else {
        fix = { summary: `Delete \`${key}\`; Codex reads only \`url\`.`, table, remove: [key] };
      }
      break;
    case 'autoApprove':
    case 'alwaysAllow': {
      const tools = Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
      if (tools.length === 0) {
        fix = { summary: `Delete \`${key}\`. To skip approval prompts for every tool of this server, set \`default_tools_approval_mode = "approve"\`.`, table, remove: [key] };
        break;
      }
      // `tools` is set whole (existing per-tool settings kept) so that the edit is one table: set tools, delete the foreign key.
      const existing = isTable(ctx.table.tools) ? ctx.table.tools : {};
      const merged: Record<string, unknown> = { ...existing };
      for (const tool of tools) merged[tool] = { ...(isTable(existing[tool]) ? existing[tool] : {}), approval_mode: 'approve' };
      fix = {
        summary: `Replace \`${key}\` with a per-tool \`approval_mode = "approve"\` (run without asking) for each tool it listed.`,
        toml: serverSnippet(ctx.name, [['tools', merged]]),
        remove: [key],
      };
      break;
    }
    case 'authorization_token': {
      const variable = suggestedVarName(ctx.name);
      message = `${base}: no token is sent, and the token sits in plain text in ${ctx.source}.`;
      fix = {
        summary: `Move the token into the environment variable ${variable}, name it with \`bearer_token_env_var\`, and delete \`authorization_token\`${keyInProject(ctx, key) ? '; rotate the token, since a project config is often committed' : ''}.`,
        toml: serverSnippet(ctx.name, [['bearer_token_env_var', variable]]),
        remove: ['authorization_token'],
        command: exportCommand(variable, '<your token>', ctx.platform),
      };
      break;
    }
    case 'includeTools':
    case 'excludeTools': {
      const target = key === 'includeTools' ? 'enabled_tools' : 'disabled_tools';
      fix = renameFix(ctx, key, target, value);
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
          fix: { summary: `Delete \`${key}\` from the oauth table; if the provider requires a confidential client, register one that allows PKCE without a secret.`, table: serverTableKey(ctx.name, ...path), remove: [key] },
        });
        continue;
      }
      const suggestion = didYouMean(key, known);
      addFinding(ctx, 'config.unknown-field', {
        message: `Codex does not know \`${dotted}\` in ${where(ctx)} and ignores it${suggestion ? `; did you mean \`${suggestion}\`?` : '.'}`,
        evidence: { key: dotted, file: ctx.source, ...(suggestion ? { didYouMean: suggestion } : {}) },
        fix: suggestion ? renameFix(ctx, key, suggestion, value, path) : { summary: `Remove \`${key}\`: it has no effect in Codex.`, table: serverTableKey(ctx.name, ...path), remove: [key] },
      });
    }
  }
}
