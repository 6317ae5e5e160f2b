import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { networkFromEnv } from '../transports/http/network-dispatcher.ts';
import type { Clock, Deps } from './context.ts';

export const systemClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await sleep(ms, undefined, signal ? { signal } : undefined);
    } catch {
      // Aborted: callers check their signal themselves.
    }
  },
};

export function codexHomeFrom(env: Record<string, string | undefined>): string {
  return env.CODEX_HOME && env.CODEX_HOME.trim() !== '' ? env.CODEX_HOME : join(homedir(), '.codex');
}

/**
 * The real machine: process environment, child_process, the file system, and undici's global
 * dispatcher — or, when the environment sets proxy or CA variables and no dispatcher is given,
 * one that applies them as Codex does.
 */
export function defaultDeps(overrides: Partial<Deps> = {}): Deps {
  const env = overrides.env ?? { ...process.env };
  const network = overrides.dispatcher ? {} : networkFromEnv(env, (path) => readFileSync(path, 'utf8'));
  return {
    ...network,
    spawn,
    clock: systemClock,
    env,
    platform: process.platform,
    cwd: process.cwd(),
    codexHome: codexHomeFrom(env),
    readFile: (path) => readFile(path, 'utf8'),
    fileExists: async (path) => {
      try {
        await access(path);
        return true;
      } catch {
        return false;
      }
    },
    ...overrides,
  };
}
