import { join, resolve } from 'node:path';
import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding } from '../types.ts';
import { isTable } from './check-context.ts';
import { overridesLayer, type CliOverride } from './cli-overrides.ts';
import {
  DEFAULT_PROJECT_ROOT_MARKERS,
  findProjectRoot,
  findRepoRoot,
  mergeToml,
  normalizeDirKey,
  projectDirs,
  serverOrder,
  trustDecision,
  type ConfigLayer,
} from './config-layers.ts';
import { systemConfigDir } from './layer-origins.ts';
import { readLayer, type LayerReader } from './read-layer.ts';
import { mcpPolicyOf, type McpPolicy } from './requirements.ts';
import { tomlKey } from './toml-snippet.ts';
import { CODEX } from '../codex/codex-version.ts';

/** `--profile NAME`: ASCII letters, digits, `_` and `-` (Codex's ProfileV2Name). */
export const PROFILE_NAME = /^[A-Za-z0-9_-]+$/;

export function profileNameError(name: string): string | undefined {
  return PROFILE_NAME.test(name) ? undefined : `invalid --profile value \`${name}\`; pass a plain name such as \`work\``;
}

/** Keys Codex strips from project configs (PROJECT_LOCAL_CONFIG_DENYLIST) that matter here. */
const PROJECT_IGNORED = ['profile', 'profiles'];

export interface LayerStackInput {
  /** The user config: `--config`, or `$CODEX_HOME/config.toml`. */
  path: string;
  /** Whether `path` is the real user config (then the machine-wide and project layers apply too). */
  realUserConfig: boolean;
  profile?: string;
  overrides: readonly CliOverride[];
  /** Codex's machine-wide directory; null: none (an explicit foreign --config). */
  systemDir: string | null;
  platform: NodeJS.Platform;
  cwd: string;
  codexHome: string;
  env: Record<string, string | undefined>;
  reader: LayerReader;
  redact: Redactor;
}

export interface LayerStack {
  layers: ConfigLayer[];
  findings: Finding[];
  /** The user config does not exist (and no other layer defines a server). */
  missing?: string;
  /** A layer Codex must parse does not: this finding, and nothing else is checked. */
  parseError?: { file: string; finding: Finding };
  policy?: McpPolicy;
  /** The requirements.toml read (whether or not it has an `mcp_servers` table). */
  requirementsFile?: string;
}

export function defaultSystemDir(platform: NodeJS.Platform, env: Record<string, string | undefined>): string {
  return systemConfigDir(platform, env);
}

function serverCount(document: Record<string, unknown>): number {
  return isTable(document.mcp_servers) ? Object.keys(document.mcp_servers).length : 0;
}

/**
 * Reads every layer Codex reads, in its order, and the requirements. Codex refuses to start when
 * any of these files does not parse (a trusted project included), so that is a `parseError`.
 */
export async function readLayerStack(input: LayerStackInput): Promise<LayerStack> {
  const { reader, redact } = input;
  const out: LayerStack = { layers: [], findings: [] };
  const layerOf = (file: string, kind: ConfigLayer['kind'], document: Record<string, unknown>, text: string): ConfigLayer => ({
    file,
    kind,
    document,
    serverOrder: serverOrder(text, document),
  });

  let system: ConfigLayer | undefined;
  let managed: ConfigLayer | undefined;
  if (input.systemDir !== null) {
    const file = join(input.systemDir, 'config.toml');
    const read = await readLayer(file, reader, redact);
    if (read.ok) system = layerOf(file, 'system', read.document, read.text);
    else if (!('missing' in read)) return { ...out, parseError: { file, finding: read.finding } };

    const requirements = join(input.systemDir, 'requirements.toml');
    const req = await readLayer(requirements, reader, redact);
    if (!req.ok && !('missing' in req)) return { ...out, parseError: { file: requirements, finding: req.finding } };
    if (req.ok) {
      out.requirementsFile = requirements;
      const policy = mcpPolicyOf(req.document, requirements);
      if (policy.ok) out.policy = policy.policy;
      else {
        out.findings.push(
          makeFinding('config.requirements-invalid', {
            message: redact.text(`\`${policy.key}\` in ${requirements} is not a valid MCP server requirement (${policy.reason}). Codex refuses to start at all ("failed to parse requirements layer ${requirements}").`),
            evidence: { file: requirements, key: policy.key },
            fix: { summary: `Ask the administrator who manages ${requirements} to correct it: each [mcp_servers.NAME] needs an \`identity\` such as { command = "…" } or { url = "…" }.` },
          }),
        );
      }
    }

    // The legacy managed config: on Unix only (Windows reads no such file in 0.171; unconfirmed there).
    if (input.platform !== 'win32') {
      const mfile = join(input.systemDir, 'managed_config.toml');
      const m = await readLayer(mfile, reader, redact);
      if (m.ok) managed = layerOf(mfile, 'managed', m.document, m.text);
      else if (!('missing' in m)) return { ...out, parseError: { file: mfile, finding: m.finding } };
    }
  }

  const user = await readLayer(input.path, reader, redact);
  if (!user.ok && !('missing' in user)) return { ...out, parseError: { file: input.path, finding: user.finding } };
  const userLayer = user.ok ? layerOf(input.path, 'user', user.document, user.text) : undefined;

  let profile: ConfigLayer | undefined;
  if (input.profile !== undefined) {
    const file = join(input.codexHome, `${input.profile}.config.toml`);
    const read = await readLayer(file, reader, redact);
    if (read.ok) profile = layerOf(file, 'profile', read.document, read.text);
    else if (!('missing' in read)) return { ...out, parseError: { file, finding: read.finding } };
    else {
      out.findings.push(
        makeFinding('config.profile-not-found', {
          message: `--profile ${input.profile} names ${file}, which ${read.reason}. Codex starts anyway, without a profile layer: only the other layers apply.`,
          evidence: { file, profile: input.profile },
          fix: { summary: `Create ${file} with the settings of the profile, or check the name given to --profile (the file is <name>.config.toml in CODEX_HOME).` },
        }),
      );
    }
    const userDoc = userLayer?.document ?? {};
    const legacyTable = isTable(userDoc.profiles) && Object.hasOwn(userDoc.profiles, input.profile);
    if (userDoc.profile === input.profile || legacyTable) {
      out.findings.push(
        makeFinding('config.legacy-profile', {
          message: `--profile \`${input.profile}\` cannot be used while ${input.path} contains legacy \`profile = "${input.profile}"\` or \`[profiles.${input.profile}]\` config: Codex refuses the whole config, so no MCP server starts.`,
          evidence: { file: input.path, key: legacyTable ? `profiles.${input.profile}` : 'profile' },
          fix: { summary: `Move those settings into ${file} and remove the legacy profile selector/table from ${input.path}.` },
        }),
      );
    }
  }

  const cli: ConfigLayer | undefined = input.overrides.length
    ? {
        file: '-c',
        kind: 'cli',
        document: overridesLayer(input.overrides),
        serverOrder: [...new Set(input.overrides.filter((o) => o.path[0] === 'mcp_servers' && o.path.length > 1).map((o) => o.path[1]!))],
      }
    : undefined;
  if (cli && isTable(cli.document.mcp_servers)) {
    // `-c mcp_servers={...}` or `-c mcp_servers.x={...}`: the names in the value count too.
    for (const name of Object.keys(cli.document.mcp_servers)) if (!cli.serverOrder.includes(name)) cli.serverOrder.push(name);
  }

  const base = [system, userLayer, profile].filter((l): l is ConfigLayer => l !== undefined);
  if (!userLayer && ![...base, cli, managed].some((l) => l && serverCount(l.document) > 0)) {
    return { ...out, missing: user.ok ? undefined : (user as { reason: string }).reason };
  }
  out.layers.push(...base);

  if (input.realUserConfig) {
    const projects = await readProjectLayers(input, [...base, ...(cli ? [cli] : [])], out.findings);
    if ('parseError' in projects) return { ...out, parseError: projects.parseError };
    out.layers.push(...projects.layers);
  }
  if (cli) out.layers.push(cli);
  if (managed) out.layers.push(managed);

  // `profile = "x"` anywhere but in a project config (where Codex drops it): Codex 0.171 refuses.
  let selector: unknown;
  for (const layer of out.layers) if (layer.kind !== 'project' && Object.hasOwn(layer.document, 'profile')) selector = layer.document.profile;
  if (typeof selector === 'string' && !out.findings.some((f) => f.code === 'config.legacy-profile')) {
    out.findings.push(
      makeFinding('config.legacy-profile', {
        message: `\`profile = "${selector}"\` selects a legacy profile, which ${CODEX} no longer supports: it refuses the whole config ("legacy \`profile = "${selector}"\` config is no longer supported; use \`--profile ${selector}\` with \`${selector}.config.toml\` instead"), so no MCP server starts.`,
        evidence: { key: 'profile', value: selector },
        fix: { summary: `Move the [profiles.${tomlKey(selector)}] settings into ${join(input.codexHome, `${selector}.config.toml`)}, delete the \`profile\` line, and start Codex with --profile ${selector}.` },
      }),
    );
  }
  return out;
}

async function readProjectLayers(
  input: LayerStackInput,
  below: ConfigLayer[],
  findings: Finding[],
): Promise<{ layers: ConfigLayer[] } | { parseError: { file: string; finding: Finding } }> {
  const { reader, redact } = input;
  // Trust and project markers are read from everything loaded so far, -c included (as Codex does).
  let merged: Record<string, unknown> = {};
  for (const layer of below) merged = mergeToml(merged, layer.document);
  const markersValue = merged.project_root_markers;
  const markers = Array.isArray(markersValue) && markersValue.every((m) => typeof m === 'string') ? (markersValue as string[]) : DEFAULT_PROJECT_ROOT_MARKERS;
  const projectRoot = await findProjectRoot(input.cwd, markers, reader.fileExists);
  const repoRoot = await findRepoRoot(input.cwd, reader.fileExists);
  const codexHomeKey = normalizeDirKey(resolve(input.codexHome));
  const layers: ConfigLayer[] = [];
  const untrusted: Array<{ file: string; servers: string[]; decisionKey: string; level?: string; parsed: boolean }> = [];
  for (const dir of projectDirs(input.cwd, projectRoot)) {
    const dotCodex = join(dir, '.codex');
    // Running from $HOME: ~/.codex is CODEX_HOME, not a project layer.
    if (normalizeDirKey(dotCodex) === codexHomeKey) continue;
    const file = join(dotCodex, 'config.toml');
    if (!(await reader.fileExists(file))) continue;
    const decision = trustDecision(merged.projects, dir, projectRoot, repoRoot);
    const layer = await readLayer(file, reader, redact);
    if (decision.trusted) {
      if (!layer.ok && 'missing' in layer) continue;
      // Codex fails to start on a trusted project config that does not parse.
      if (!layer.ok) return { parseError: { file, finding: layer.finding } };
      const document = { ...layer.document };
      for (const key of PROJECT_IGNORED) delete document[key];
      layers.push({ file, kind: 'project', document, serverOrder: serverOrder(layer.text, layer.document) });
    } else if (layer.ok) {
      const servers = isTable(layer.document.mcp_servers) ? Object.keys(layer.document.mcp_servers) : [];
      if (servers.length) untrusted.push({ file, servers: serverOrder(layer.text, layer.document), decisionKey: decision.key, level: decision.level, parsed: true });
    } else if (!('missing' in layer)) {
      untrusted.push({ file, servers: [], decisionKey: decision.key, level: decision.level, parsed: false });
    }
  }
  for (const entry of untrusted) {
    const snippet = `[projects.${tomlKey(entry.decisionKey)}]\ntrust_level = "trusted"`;
    findings.push(
      makeFinding('config.project-untrusted', {
        message: entry.parsed
          ? `${entry.file} defines ${entry.servers.length === 1 ? 'the server' : 'the servers'} ${entry.servers.join(', ')}, but Codex drops ${entry.servers.length === 1 ? 'it' : 'them'}: ${entry.decisionKey} is ${entry.level === 'untrusted' ? 'marked untrusted' : 'not a trusted project'} in ${input.path}.`
          : `${entry.file} is ignored by Codex: ${entry.decisionKey} is ${entry.level === 'untrusted' ? 'marked untrusted' : 'not a trusted project'} in ${input.path} (the file does not parse either).`,
        evidence: { file: entry.file, project: entry.decisionKey, trustLevel: entry.level ?? null, droppedServers: entry.servers },
        fix: {
          summary: `Trust the project in ${input.path} (or accept Codex's trust prompt in that directory), or move the servers to ${input.path}.`,
          toml: snippet,
        },
      }),
    );
  }
  return { layers };
}
