import type { ServerConfig } from './server-config.ts';

/**
 * The config change for a server that did not start in time: a `startup_timeout_sec` of 1.5 times
 * what was measured (rounded up to 5 s, and at least 5 s more than now), or double the current one
 * (at least 60 s) when nothing answered. Config knowledge, so the runner's deadline, the stdio and
 * the HTTP timeout findings all take it from here.
 */
export function timeoutFix(ctx: { server: Pick<ServerConfig, 'name' | 'startupTimeoutSec'> }, measuredMs?: number) {
  const current = ctx.server.startupTimeoutSec;
  const proposed = measuredMs ? Math.max(Math.ceil((measuredMs * 1.5) / 1000 / 5) * 5, current + 5) : Math.max(current * 2, 60);
  return {
    summary: measuredMs
      ? `The server answered after ${(measuredMs / 1000).toFixed(1)} s; allow it more time.`
      : `Allow the server more time to start (it did not answer within ${current} s).`,
    toml: `[mcp_servers.${ctx.server.name}]\nstartup_timeout_sec = ${proposed}`,
  };
}
