import type { Fix } from '../types.ts';
import { addFinding, envVarsWith, isTable, keyInProject, where, type ServerCheckContext } from './check-context.ts';
import {
  bareVarReference,
  exportCommand,
  guiLaunchNote,
  isEnvVarName,
  sanitizeVarName,
  secretShape,
  suggestedVarName,
  unexpandedVars,
} from './env-checks.ts';
import { serverSnippet } from './toml-snippet.ts';
import { detectBridge } from './launchers.ts';

type Role = 'bearer' | 'header' | 'env_var';

interface Reference {
  role: Role;
  /** The key as the user wrote it, for messages: `bearer_token_env_var`, `env_http_headers.X-Api-Key`, `env_vars[1]`. */
  label: string;
  value: string;
  header?: string;
}

/** What Codex does when the variable is missing: the three keys fail differently. */
function consequence(ctx: ServerCheckContext, ref: Reference, name: string, empty: boolean): string {
  switch (ref.role) {
    case 'bearer':
      // Names are quoted when they are not identifiers, so that `my-token for` does not read as a `-token VALUE` flag to the redactor.
      return `Codex fails to start ${where(ctx)} ("Environment variable ${isEnvVarName(name) ? name : `'${name}'`} for MCP server '${ctx.name}' is ${empty ? 'empty' : 'not set'}")`;
    case 'header':
      return `Codex silently leaves out the "${ref.header}" header, so the server gets no credentials from it`;
    case 'env_var':
      return empty
        ? 'Codex passes it to the server as an empty string, and a server that needs a value usually fails'
        : 'Codex starts the server without it (the variable is simply not forwarded), and a server that needs it usually fails';
  }
}

/**
 * Only an unset `bearer_token_env_var` stops Codex 0.169 (that server fails to start). An unset
 * `env_vars` entry is simply not forwarded and an unset `env_http_headers` variable drops the
 * header (measured with the Codex oracle): a warning, and the live probe shows whether the server
 * then fails without it.
 */
function unsetSeverity(ref: Reference): 'error' | 'warning' {
  return ref.role === 'bearer' ? 'error' : 'warning';
}

/** The snippet that names `variable` in the place `ref` occupies. */
function referenceSnippet(ctx: ServerCheckContext, ref: Reference, variable: string): string {
  if (ref.role === 'bearer') return serverSnippet(ctx.name, [['bearer_token_env_var', variable]]);
  // The header stays where it is, so the snippet sets one key of the same table.
  if (ref.role === 'header') return serverSnippet(ctx.name, [[ref.header ?? 'X-Header', variable]], ['env_http_headers']);
  const others = envVarNames(ctx).filter((n) => n !== ref.value && secretShape(n));
  const entries = envVarsWith(ctx, [variable], ref.value).filter((e) => !(typeof e === 'string' && others.includes(e)));
  return serverSnippet(ctx.name, [['env_vars', entries]]);
}

function envVarNames(ctx: ServerCheckContext): string[] {
  const raw = ctx.table.env_vars;
  if (!Array.isArray(raw)) return [];
  return raw.map((e) => (typeof e === 'string' ? e : isTable(e) && typeof e.name === 'string' ? e.name : '')).filter(Boolean);
}

function references(ctx: ServerCheckContext): Reference[] {
  const refs: Reference[] = [];
  const { table } = ctx;
  if (ctx.transport === 'streamable_http') {
    if (typeof table.bearer_token_env_var === 'string') refs.push({ role: 'bearer', label: 'bearer_token_env_var', value: table.bearer_token_env_var });
    if (isTable(table.env_http_headers)) {
      for (const [header, variable] of Object.entries(table.env_http_headers)) {
        if (typeof variable === 'string') refs.push({ role: 'header', label: `env_http_headers.${header}`, value: variable, header });
      }
    }
  }
  if (ctx.transport === 'stdio' && Array.isArray(table.env_vars)) {
    table.env_vars.forEach((entry, index) => {
      // A remote-sourced variable is read on the remote executor, not here.
      if (isTable(entry) && entry.source === 'remote') return;
      const name = typeof entry === 'string' ? entry : isTable(entry) && typeof entry.name === 'string' ? entry.name : undefined;
      if (name !== undefined) refs.push({ role: 'env_var', label: `env_vars[${index}]`, value: name });
    });
  }
  return refs;
}

/** `bearer_token_env_var`, `env_http_headers` values and `env_vars` names: set, non-empty, names not tokens. */
export function checkEnvReferences(ctx: ServerCheckContext): void {
  for (const ref of references(ctx)) {
    const shape = secretShape(ref.value);
    if (shape) {
      const authorization = ref.header?.toLowerCase() === 'authorization';
      const variable = ref.role === 'header' && !authorization ? suggestedVarName(ctx.name, ref.header) : suggestedVarName(ctx.name);
      // env_http_headers sends the variable's value as the whole header: an Authorization value needs its scheme.
      const placeholder = ref.role === 'header' ? (authorization ? 'Bearer <your token>' : '<the header value>') : '<your token>';
      addFinding(ctx, 'config.env-var-looks-like-secret', {
        message: `\`${ref.label}\` in ${where(ctx)} holds what looks like ${shape}, not the name of an environment variable. Codex looks for a variable with that name and finds none${ref.role === 'bearer' ? ', so the server fails to start' : ''} — and the token is now written in ${ctx.source}.`,
        evidence: { key: ref.label, looksLike: shape, length: ref.value.length, file: ctx.source },
        fix: {
          summary: `Put the token in the variable ${variable}, write that name in the config instead, and rotate the token: it has been stored in a file${keyInProject(ctx, ref.label.split(/[.[]/)[0]!) ? ' that may be committed' : ''}.`,
          toml: referenceSnippet(ctx, ref, variable),
          command: exportCommand(variable, placeholder, ctx.platform),
        },
      });
      continue;
    }
    if (!ctx.env) continue;
    const shellRef = bareVarReference(ref.value);
    if (shellRef) {
      const set = (ctx.env[shellRef] ?? '') !== '';
      addFinding(ctx, 'config.env-var-unset', {
        severity: unsetSeverity(ref),
        message: `\`${ref.label}\` in ${where(ctx)} is "${ref.value}": Codex takes the variable's name without "$" and looks for a variable literally named "${ref.value}", which cannot exist. ${consequence(ctx, ref, ref.value, false)}.`,
        evidence: { key: ref.label, variable: ref.value, file: ctx.source },
        fix: {
          summary: `Write the bare name ${shellRef}${set ? '' : `, and set ${shellRef} where Codex is launched`}.`,
          toml: referenceSnippet(ctx, ref, shellRef),
          ...(set ? {} : { command: exportCommand(shellRef, '<value>', ctx.platform) }),
        },
      });
      continue;
    }
    const value = ctx.env[ref.value];
    const set = value !== undefined && value !== '';
    if (!isEnvVarName(ref.value)) {
      const better = sanitizeVarName(ref.value);
      if (set) {
        addFinding(ctx, 'config.env-var-invalid-name', {
          message: `\`${ref.label}\` in ${where(ctx)} names "${ref.value}", which is set here but is not a valid shell variable name: a shell cannot \`export\` it, so Codex started from another shell or launcher will not see it.`,
          evidence: { key: ref.label, variable: ref.value, file: ctx.source },
          fix: { summary: `Rename the variable to ${better}.`, toml: referenceSnippet(ctx, ref, better), command: exportCommand(better, '<value>', ctx.platform) },
        });
      } else {
        addFinding(ctx, 'config.env-var-unset', {
          severity: unsetSeverity(ref),
          message: `\`${ref.label}\` in ${where(ctx)} names "${ref.value}", which is not set — and is not a valid variable name, so a shell cannot set it. ${consequence(ctx, ref, ref.value, false)}.`,
          evidence: { key: ref.label, variable: ref.value, file: ctx.source },
          fix: { summary: `Use a valid name such as ${better} and set it where Codex is launched.`, toml: referenceSnippet(ctx, ref, better), command: exportCommand(better, '<value>', ctx.platform) },
        });
      }
      continue;
    }
    if (set) continue;
    const empty = value === '';
    addFinding(ctx, 'config.env-var-unset', {
      severity: unsetSeverity(ref),
      message: `The variable ${ref.value} named by \`${ref.label}\` in ${where(ctx)} is ${empty ? 'empty' : 'not set'} in this environment. ${consequence(ctx, ref, ref.value, empty)}.`,
      evidence: { key: ref.label, variable: ref.value, state: empty ? 'empty' : 'unset', file: ctx.source },
      fix: {
        summary: `Set ${ref.value} in the environment Codex is launched from. ${guiLaunchNote(ctx.platform)}`,
        command: exportCommand(ref.value, ref.role === 'header' && ref.header?.toLowerCase() === 'authorization' ? 'Bearer <token>' : '<value>', ctx.platform),
      },
    });
  }
}

/** The URL without its one `token=$VAR`-style query parameter, or undefined when it has none. */
function urlWithoutTokenParam(url: string): string | undefined {
  const match = /([?&])(?:token|key|api_key|apikey|access_token|auth)=\$\{?[A-Za-z_][A-Za-z0-9_]*\}?(&|$)/i.exec(url);
  if (!match) return undefined;
  const before = url.slice(0, match.index);
  const after = url.slice(match.index + match[0].length);
  return match[2] === '&' ? `${before}${match[1]}${after}` : before;
}

/** What Codex passes to every stdio child on Unix (`create_env_for_mcp_server`). */
const CODEX_CHILD_ENV = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER', '__CF_USER_TEXT_ENCODING', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'TZ'];

/** `sh -c "..."`, `bash -lc "..."`: a shell that expands `$VAR` itself. */
function isShellWrapper(command: string, args: string[]): boolean {
  const program = (command.split(/[\\/]/).pop() ?? command).replace(/\.exe$/i, '').toLowerCase();
  if (!['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish'].includes(program)) return false;
  return args.some((a) => /^-[a-z]*c[a-z]*$/.test(a));
}

function shellWord(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  if (unexpandedVars(arg).length > 0) return `"${arg.replace(/\$\{env:/g, '${').replace(/[\\"`]/g, '\\$&')}"`;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `$VAR` / `${VAR}` in values Codex passes literally (no shell, no interpolation). */
export function checkUnexpandedVars(ctx: ServerCheckContext): void {
  const { table } = ctx;
  const report = (label: string, names: string[], detail: string, fix: Fix) =>
    addFinding(ctx, 'config.var-not-expanded', {
      message: `\`${label}\` in ${where(ctx)} contains ${names.map((n) => `$${n}`).join(', ')}; ${detail}`,
      evidence: { key: label, variables: names, file: ctx.source },
      fix,
    });

  if (typeof table.command === 'string') {
    const names = unexpandedVars(table.command);
    if (names.length) report('command', names, 'Codex runs the program name literally, without a shell.', { summary: 'Write the full path of the program.' });
  }
  if (typeof table.cwd === 'string') {
    const names = unexpandedVars(table.cwd);
    if (names.length) report('cwd', names, 'Codex uses the directory literally, without expanding variables.', { summary: 'Write the directory as an absolute path.' });
  }

  if (ctx.transport === 'stdio' && Array.isArray(table.args) && table.args.every((a) => typeof a === 'string') && typeof table.command === 'string') {
    const args = table.args as string[];
    let names = [...new Set(args.flatMap(unexpandedVars))];
    // mcp-remote substitutes `${VAR}` in its own arguments from its environment (substituteEnvVars
    // in mcp-remote 0.15.1), so those need forwarding, not a shell; a bare `$VAR` it leaves alone.
    if (names.length && detectBridge(table.command, args)?.kind === 'mcp-remote') {
      const braced = new Set(args.flatMap((a) => [...a.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!)));
      const forwarded = new Set([...CODEX_CHILD_ENV, ...envVarNames(ctx), ...(isTable(table.env) ? Object.keys(table.env) : [])]);
      const missing = names.filter((n) => braced.has(n) && !forwarded.has(n));
      if (missing.length) {
        report('args', missing, `mcp-remote replaces \`\${${missing[0]}}\` with the value from its own environment, but Codex starts it with a cleared environment, so ${missing.length > 1 ? 'they stay' : 'it stays'} unset unless forwarded.`, {
          summary: `Forward ${missing.join(', ')} with \`env_vars\`; mcp-remote does the substitution itself.`,
          toml: serverSnippet(ctx.name, [['env_vars', envVarsWith(ctx, missing)]]),
        });
      }
      names = names.filter((n) => !braced.has(n));
    }
    if (names.length && isShellWrapper(table.command, args)) {
      // The shell expands them, but in the environment Codex gives it: the whitelist, env_vars and env.
      const forwarded = new Set([...CODEX_CHILD_ENV, ...envVarNames(ctx), ...(isTable(table.env) ? Object.keys(table.env) : [])]);
      const missing = names.filter((n) => !forwarded.has(n));
      if (missing.length) {
        report('args', missing, `the shell expands ${missing.length > 1 ? 'them' : 'it'}, but Codex starts it with a cleared environment, so ${missing.length > 1 ? 'they are' : 'it is'} empty unless forwarded.`, {
          summary: `Forward ${missing.join(', ')} with \`env_vars\`.`,
          toml: serverSnippet(ctx.name, [['env_vars', envVarsWith(ctx, missing)]]),
        });
      }
    } else if (names.length) {
      const fix: Fix = {
        summary:
          `Codex's child environment is cleared, so forward ${names.join(', ')} with \`env_vars\`. If the server reads ${names.length > 1 ? 'them' : 'it'} from its environment, that is enough (drop the argument); if ${names.length > 1 ? 'they are' : 'it is'} needed on the command line, let a shell expand ${names.length > 1 ? 'them' : 'it'}` +
          (ctx.platform === 'win32' ? ' (e.g. `cmd /c`), or write the value.' : ' as below.'),
      };
      if (ctx.platform !== 'win32') {
        const script = `exec ${[table.command, ...args].map((a) => ctx.redact.text(shellWord(a))).join(' ')}`;
        fix.toml = serverSnippet(ctx.name, [
          ['command', 'sh'],
          ['args', ['-c', script]],
          ['env_vars', envVarsWith(ctx, names)],
        ]);
      } else {
        fix.toml = serverSnippet(ctx.name, [['env_vars', envVarsWith(ctx, names)]]);
      }
      report('args', names, 'Codex passes arguments literally (no shell), so the server receives the text, not the value.', fix);
    }
  }

  if (ctx.transport === 'stdio' && isTable(table.env)) {
    for (const [key, value] of Object.entries(table.env)) {
      if (typeof value !== 'string') continue;
      const names = unexpandedVars(value);
      if (!names.length) continue;
      const same = bareVarReference(value) === key;
      report(`env.${key}`, names, 'Codex sets env values literally, so the server receives the text, not the value.', {
        summary: same
          ? `Delete ${key} from \`env\` (env entries override forwarded ones) and forward the variable with \`env_vars\`.`
          : `Delete ${key} from \`env\`, set ${key} to the value you meant in the environment Codex is launched from, and forward it with \`env_vars\`.`,
        toml: serverSnippet(ctx.name, [['env_vars', envVarsWith(ctx, [key])]]),
      });
    }
  }

  if (ctx.transport === 'streamable_http' && typeof table.url === 'string') {
    const names = unexpandedVars(table.url);
    if (names.length) {
      const stripped = urlWithoutTokenParam(table.url);
      const fix: Fix = { summary: 'Write the value into the URL; Codex cannot substitute it.' };
      if (stripped && names.length === 1 && table.bearer_token_env_var === undefined) {
        const variable = names[0]!;
        fix.summary = 'If the server also accepts the token in an Authorization header, drop it from the URL and name the variable with `bearer_token_env_var`; otherwise write the value into the URL.';
        fix.toml = serverSnippet(ctx.name, [['url', ctx.redact.url(stripped)], ['bearer_token_env_var', variable]]);
        if (ctx.env && !ctx.env[variable]) fix.command = exportCommand(variable, '<your token>', ctx.platform);
      }
      report('url', names, 'Codex requests the URL literally, without expanding variables.', fix);
    }
  }

  if (ctx.transport === 'streamable_http' && isTable(table.http_headers)) {
    for (const [header, value] of Object.entries(table.http_headers)) {
      if (typeof value !== 'string') continue;
      const names = unexpandedVars(value);
      if (!names.length) continue;
      const bearer = /^\s*Bearer\s+\$\{?(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}?\s*$/i.exec(value);
      const whole = bareVarReference(value);
      let fix: Fix;
      if (header.toLowerCase() === 'authorization' && bearer?.[1]) {
        fix = { summary: `Delete the Authorization header from \`http_headers\` and let Codex send "Bearer <value of ${bearer[1]}>".`, toml: serverSnippet(ctx.name, [['bearer_token_env_var', bearer[1]]]) };
      } else if (whole) {
        fix = { summary: `Move the header to \`env_http_headers\`, which reads its value from ${whole}.`, toml: serverSnippet(ctx.name, [[header, whole]], ['env_http_headers']) };
      } else {
        const variable = suggestedVarName(ctx.name, header);
        fix = {
          summary: `Move the header to \`env_http_headers\` and put its whole value in ${variable}.`,
          toml: serverSnippet(ctx.name, [[header, variable]], ['env_http_headers']),
          command: exportCommand(variable, '<the header value>', ctx.platform),
        };
      }
      report(`http_headers.${header}`, names, 'Codex sends header values literally.', fix);
    }
  }
}
