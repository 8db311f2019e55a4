// Preloaded by bench/run.mjs (`node --import bench/rss-hook.mjs bin/letheql.js …`) when there
// is no GNU time to measure a child's peak RSS: prints `process.resourceUsage().maxRSS` (KiB)
// on stderr when the process exits, in the line format `/usr/bin/time -f` is given.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nLETHEQL_BENCH_MAXRSS_KIB ${process.resourceUsage().maxRSS}\n`);
});
