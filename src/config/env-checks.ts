/**
 * Environment-variable references in a server table: names that must be set, values that are
 * tokens pasted where a name belongs, and `$VAR` text that Codex never expands.
 */

/** What a POSIX shell can `export`; Codex itself looks the name up verbatim. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEnvVarName(value: string): boolean {
  return ENV_VAR_NAME.test(value);
}

const TOKEN_SHAPES: Array<[RegExp, string]> = [
  [/^gh[pousr]_/, 'a GitHub token'],
  [/^github_pat_/, 'a GitHub fine-grained token'],
  [/^sk-ant-/, 'an Anthropic API key'],
  [/^sk-/, 'an API key (sk-…)'],
  [/^xox[a-z]-/, 'a Slack token'],
  [/^lin_(?:api|oauth)_/, 'a Linear API key'],
  [/^glpat-/, 'a GitLab token'],
  [/^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/, 'a JWT'],
  [/^AKIA[0-9A-Z]{12,}/, 'an AWS access key'],
  [/^AIza[0-9A-Za-z_-]{20,}/, 'a Google API key'],
  [/^npm_[A-Za-z0-9]{20,}/, 'an npm token'],
  [/^(?:Bearer|Basic|Token)\s+\S/i, 'an Authorization header value'],
];

/** Shannon entropy in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Describes the token a value looks like ("a GitHub token"), or undefined when it could be a
 * variable name. Never returns any part of the value: callers put the result in messages.
 */
export function secretShape(value: string): string | undefined {
  const trimmed = value.trim();
  for (const [pattern, kind] of TOKEN_SHAPES) if (pattern.test(trimmed)) return kind;
  if (trimmed.length < 20) return undefined;
  const validName = isEnvVarName(trimmed);
  // Variable names are UPPER_SNAKE words; long random strings with characters a name cannot hold,
  // or long mixed-case alphanumerics without underscores, are keys and tokens.
  if (!validName && /[0-9]/.test(trimmed) && /[A-Za-z]/.test(trimmed) && entropy(trimmed) >= 3.5) return 'a token or key';
  if (validName && !trimmed.includes('_') && /[a-z]/.test(trimmed) && /[A-Z]/.test(trimmed) && /[0-9]/.test(trimmed) && trimmed.length >= 24) {
    return 'a token or key';
  }
  return undefined;
}

/** `$NAME`, `${NAME}` and VS Code's `${env:NAME}` in a value Codex passes literally. */
export function unexpandedVars(value: string): string[] {
  const names: string[] = [];
  const pattern = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const match of value.matchAll(pattern)) {
    const name = match[1] ?? match[2] ?? match[3];
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The variable a value names when it is written as a shell reference: `$X`, `${X}`, `${env:X}`. */
export function bareVarReference(value: string): string | undefined {
  const match = /^\s*\$(?:\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))\s*$/.exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

function upperSnake(value: string): string {
  return value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** `linear` → `LINEAR_TOKEN`; `github-copilot` → `GITHUB_COPILOT_TOKEN`. */
export function suggestedVarName(serverName: string, suffix = 'TOKEN'): string {
  let base = upperSnake(serverName);
  if (base === '' || /^[0-9]/.test(base)) base = `MCP_${base}`.replace(/_+$/, '');
  const tail = upperSnake(suffix);
  return base.endsWith(`_${tail}`) || base === tail ? base : `${base}_${tail}`;
}

/** A usable name from an unusable one (`my-token` → `MY_TOKEN`). */
export function sanitizeVarName(value: string): string {
  const cleaned = upperSnake(value);
  if (cleaned === '') return 'MCP_TOKEN';
  return /^[0-9]/.test(cleaned) ? `MCP_${cleaned}` : cleaned;
}

/** How to set a variable for the shell Codex is launched from; the value is always a placeholder. */
export function exportCommand(name: string, placeholder: string, platform: NodeJS.Platform | undefined): string {
  if (platform === 'win32') return `setx ${name} "${placeholder}"`;
  return `export ${name}="${placeholder}"`;
}

export function guiLaunchNote(platform: NodeJS.Platform | undefined): string {
  if (platform === 'win32') {
    return 'Apps started from the Start menu read the user environment (`setx` sets it for new processes; restart the app).';
  }
  if (platform === 'darwin') {
    return 'Codex started from VS Code, the desktop app or launchd does not see variables exported in ~/.zshrc; use `launchctl setenv NAME …` or start the app from that shell.';
  }
  return 'Codex started from an IDE or desktop launcher may not see variables exported in your shell rc files; start it from that shell or set the variable in the session environment.';
}

/** Variables whose values are not secrets; registering them for redaction would blank paths. */
const NON_SECRET_VARS = new Set(['HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'TZ', 'PWD', 'NODE_ENV', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'PATHEXT', 'SYSTEMROOT', 'COMSPEC']);

export function isSecretCarrier(varName: string): boolean {
  return !NON_SECRET_VARS.has(varName.toUpperCase());
}
