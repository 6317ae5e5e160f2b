// Preloaded (`node -r bench/max-rss.cjs ...`) into the processes the benchmark measures: at exit,
// appends the process's own peak resident set size in KB to $BENCH_MAX_RSS_FILE. Children do not
// inherit a -r preload, so the number is this one process's, never its servers'.
const file = process.env.BENCH_MAX_RSS_FILE;
if (file) process.on('exit', () => require('fs').appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
