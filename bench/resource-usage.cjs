// Preloaded (`node -r bench/resource-usage.cjs ...`) into the processes the benchmark measures: at
// exit, appends the process's own peak RSS (KB) and CPU time (user + system, ms) as one JSON line
// to $BENCH_USAGE_FILE. Children do not inherit a -r preload, so the numbers are this one
// process's, never its servers'.
const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const line = JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 });
    require('fs').appendFileSync(file, `${line}\n`);
  });
}
