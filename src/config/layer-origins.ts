import { join } from 'node:path';
import { isTable } from './check-context.ts';
import { overrideFor, type CliOverride } from './cli-overrides.ts';
import type { ConfigLayer, LayerKind } from './config-layers.ts';

/**
 * Where Codex's machine-wide files live: `/etc/codex` on Unix, `%ProgramData%\OpenAI\Codex` on
 * Windows (codex-rs/config/src/loader/mod.rs). Codex 0.171.0 has no variable or flag to move
 * them, so neither has mcp-doctor; tests hand the loader another directory.
 */
export function systemConfigDir(platform: NodeJS.Platform, env: Record<string, string | undefined>): string {
  if (platform === 'win32') return join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'OpenAI', 'Codex');
  return '/etc/codex';
}

/** Where one effective value of a server came from (JSON: `configSources`). */
export interface ValueOrigin {
  layer: LayerKind;
  /** The file, for every layer but `cli`. */
  file?: string;
  /** For `cli`: the flag's key, `-c mcp_servers.x.args` (its value is left out: it may be a secret). */
  flag?: string;
}

export function originLabel(origin: ValueOrigin): string {
  return origin.layer === 'cli' ? (origin.flag ?? '-c') : `${origin.file}${origin.layer === 'managed' ? ' (managed)' : ''}`;
}

/** Layers whose values mcp-doctor cannot change by editing a file the user owns. */
export function isFixedLayer(layer: LayerKind): boolean {
  return layer === 'cli' || layer === 'managed';
}

function originOf(layer: ConfigLayer, fullPath: string[], overrides: readonly CliOverride[]): ValueOrigin {
  if (layer.kind === 'cli') {
    const o = overrideFor(overrides, fullPath);
    return { layer: 'cli', flag: `-c ${o?.key ?? fullPath.join('.')}` };
  }
  return { layer: layer.kind, file: layer.file };
}

/**
 * Per-value origins of one server's merged table, following `merge_toml_values`: tables merge key
 * by key, anything else (arrays included) is replaced whole by the higher layer. Keys are dotted
 * paths inside the server table (`command`, `args`, `env.API_KEY`), as Codex's own
 * `config/read` origins are (which number array items: `args.0`).
 */
export function serverOrigins(name: string, layers: readonly ConfigLayer[], overrides: readonly CliOverride[] = []): Record<string, ValueOrigin> {
  const origins = new Map<string, ValueOrigin>();
  const walk = (value: Record<string, unknown>, prefix: string[], layer: ConfigLayer) => {
    for (const [key, v] of Object.entries(value)) {
      const path = [...prefix, key];
      const dotted = path.join('.');
      if (isTable(v)) {
        origins.delete(dotted); // a scalar replaced by a table
        walk(v, path, layer);
      } else {
        for (const k of [...origins.keys()]) if (k.startsWith(`${dotted}.`)) origins.delete(k); // a table replaced by a scalar
        origins.set(dotted, originOf(layer, ['mcp_servers', name, ...path], overrides));
      }
    }
  };
  for (const layer of layers) {
    const tables = layer.document.mcp_servers;
    const table = isTable(tables) && Object.hasOwn(tables, name) ? tables[name] : undefined;
    if (isTable(table)) walk(table, [], layer);
  }
  return Object.fromEntries([...origins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether more than one layer set the server's effective values. */
export function severalLayers(origins: Record<string, ValueOrigin>): boolean {
  return new Set(Object.values(origins).map((o) => (o.layer === 'cli' ? 'cli' : o.file))).size > 1;
}

/** `command, args from /etc/codex/config.toml; startup_timeout_sec from -c` */
export function describeOrigins(origins: Record<string, ValueOrigin>): string {
  const byLabel = new Map<string, string[]>();
  for (const [key, origin] of Object.entries(origins)) {
    // The keys already say which -c flag: one group for all of them.
    const label = origin.layer === 'cli' ? '-c' : originLabel(origin);
    byLabel.set(label, [...(byLabel.get(label) ?? []), key]);
  }
  return [...byLabel].map(([label, keys]) => `${keys.join(', ')} from ${label}`).join('; ');
}
