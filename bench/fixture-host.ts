/**
 * Hosts HTTP fixture servers (fixtures/http/scenarios.ts) in a process of their own, so that the
 * benchmark's own bookkeeping never delays an answer and the doctor and the floor client talk to
 * the very same servers.
 *
 *   node --import tsx bench/fixture-host.ts healthy-json=50 hang-headers=1
 *
 * prints one JSON line `{ "healthy-json": [url, ...], ... }` once every server listens, and
 * closes them all when stdin ends.
 */
import { startFixtureServer, type FixtureServer, type ScenarioName } from '../fixtures/http/scenarios.ts';

const started: FixtureServer[] = [];
const urls: Record<string, string[]> = {};
for (const spec of process.argv.slice(2)) {
  const [name, count = '1'] = spec.split('=') as [ScenarioName, string?];
  const servers = await Promise.all(Array.from({ length: Number(count) }, () => startFixtureServer(name)));
  started.push(...servers);
  urls[name] = servers.map((s) => s.url);
}
process.stdout.write(`${JSON.stringify(urls)}\n`);

const shutdown = async () => {
  await Promise.all(started.map((s) => s.close()));
  process.exit(0);
};
process.stdin.on('end', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
