import { isFixedLayer, type ValueOrigin } from '../config/layer-origins.ts';
import type { Fix } from '../types.ts';
import { fixEdit } from './fix-edit.ts';

/**
 * Which file a server's fix belongs in when its table is merged from several layers: the layer
 * that holds the values the fix changes (editing another file would leave the effective value
 * as it is, or be overridden by a higher layer). A value that comes from a `-c` flag or from
 * managed_config.toml is not the user's file to edit: the fix is refused with the reason.
 */
export type FixTarget = { path: string } | { blocked: string };

export function fixTarget(fix: Fix, server: string, fallback: string, origins: Record<string, ValueOrigin> | undefined): FixTarget {
  if (!origins) return { path: fallback };
  const planned = fixEdit(fix);
  if (planned.kind !== 'edit') return { path: fallback };
  const { table } = planned.edit;
  if (table.length < 2 || table[0] !== 'mcp_servers' || table[1] !== server) return { path: fallback };
  const inner = table.slice(2).join('.');
  const keys = [...(planned.edit.set ?? []).map(([k]) => k), ...(planned.edit.remove ?? []), ...(planned.edit.rename ?? []).map(([from]) => from)];
  const touched: Array<[string, ValueOrigin]> = [];
  for (const key of keys) {
    const path = inner ? `${inner}.${key}` : key;
    for (const [k, origin] of Object.entries(origins)) if (k === path || k.startsWith(`${path}.`) || path.startsWith(`${k}.`)) touched.push([k, origin]);
  }
  const fixed = touched.find(([, o]) => isFixedLayer(o.layer));
  if (fixed) {
    const [key, origin] = fixed;
    return {
      blocked:
        origin.layer === 'cli'
          ? `changes \`mcp_servers.${server}.${key}\`, whose value comes from \`${origin.flag}\` on the command line: change or drop that flag (mcp-doctor edits config files only)`
          : `changes \`mcp_servers.${server}.${key}\`, whose value comes from ${origin.file}, the managed config your administrator controls: mcp-doctor does not edit it`,
    };
  }
  // Several files may hold the touched values: the highest layer among them (the deepest project
  // directory among projects) is where the edit takes effect.
  const best = touched.map(([, o]) => o).sort((a, b) => rank(b) - rank(a) || (b.file?.length ?? 0) - (a.file?.length ?? 0))[0];
  if (best?.file) return { path: best.file };
  // A new key: the file that defines the table, unless only flags or the managed config do.
  const all = Object.values(origins);
  if (all.length > 0 && all.every((o) => isFixedLayer(o.layer))) {
    return { blocked: `adds to \`mcp_servers.${server}\`, which only ${all.some((o) => o.layer === 'cli') ? '`-c` flags define' : 'the managed config defines'}: there is no config file of yours to edit` };
  }
  return { path: fallback };
}

const RANK = { system: 0, user: 1, profile: 2, project: 3, cli: 4, managed: 5 } as const;

function rank(origin: ValueOrigin): number {
  return RANK[origin.layer];
}
