/**
 * Opens a URL with the platform's own opener (xdg-open, open, start), detached: the login must
 * go on whether or not a browser appears, so every failure is swallowed and reported as words.
 */
import type { Deps } from '../../pipeline/context.ts';

export function openerFor(platform: NodeJS.Platform, url: string): { command: string; args: string[]; verbatim?: boolean } {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start` is a cmd built-in; the empty title and the quotes keep `&` in the URL literal.
  if (platform === 'win32') return { command: 'cmd', args: ['/d', '/s', '/c', `start "" "${url}"`], verbatim: true };
  return { command: 'xdg-open', args: [url] };
}

/** Starts the opener and returns at once; the result says what was tried (never throws). */
export function openBrowser(deps: Pick<Deps, 'spawn' | 'platform' | 'env'>, url: string): string {
  const { command, args, verbatim } = openerFor(deps.platform, url);
  try {
    const child = deps.spawn(command, args, {
      detached: true,
      stdio: 'ignore',
      env: deps.env as NodeJS.ProcessEnv,
      windowsHide: true,
      ...(verbatim ? { windowsVerbatimArguments: true } : {}),
    });
    child.on('error', () => undefined);
    child.unref();
    return `asked ${command} to open it`;
  } catch (error) {
    return `could not start ${command}: ${(error as Error).message}`;
  }
}
