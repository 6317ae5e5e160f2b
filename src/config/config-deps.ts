/**
 * What reading the config may take from the outside world. It is the part of the runner's `Deps`
 * (pipeline/context.ts) that config needs, declared here because config sits below the context
 * layer (docs/architecture.md); every `Deps` is one.
 */
export interface ConfigDeps {
  /** The environment mcp-doctor runs in. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** `$CODEX_HOME` (default `~/.codex`). */
  codexHome: string;
  readFile(path: string): Promise<string>;
  fileExists(path: string): Promise<boolean>;
  platform?: NodeJS.Platform;
}
