#!/usr/bin/env node
// Memory check: `letheql query --count`, and limited, pipeline and metric queries, over a
// generated store of 1 GiB (default) must keep peak RSS well under 300 MB, whatever the
// store's size. The store is generated once into
// bench/data (not committed). Usage: node scripts/memory-check.mjs [--size 1GiB] [--limit-mb 300]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateStore, parseSize } from './lib/generate.mjs';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1GiB' }, 'limit-mb': { type: 'string', default: '300' } } });
const sizeBytes = parseSize(values.size);
const out = fileURLToPath(new URL(`../bench/data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out, sizeBytes, seed: 1 });

const runner = `
  const { main } = await import(${JSON.stringify(new URL('../dist/cli/main.js', import.meta.url).href)});
  let out = '';
  const code = await main(process.argv.slice(1), { stdout: { write: (s, cb) => { out += s; cb?.(); return true; } }, stderr: process.stderr, env: {} });
  console.log(JSON.stringify({ code, out: out.length < 40 ? out.trim() : out.trimEnd().split('\\n').length + ' lines', maxRssKiB: process.resourceUsage().maxRSS }));
`;
// --count never materialises rows; a query with --limit keeps at most `limit` rows.
const runs = [
  ['--count', 'pod{namespace=~".*"}'],
  ['--count', 'pod{namespace=~".*"} |= "RARE-7f3a"'],
  ['--count', 'node{node=~".*"} != "kubelet"'],
  ['--limit', '1000', '--format', 'jsonl', '--direction', 'backward', 'pod{namespace=~".*"} |= "GET"'],
  // Pipelines: | json runs on ~2 million lines; rows are still bounded by the limit, and a
  // counting metric query by series × buckets (its series are keyed by the labels it reads).
  ['--limit', '1000', '--format', 'jsonl', 'pod{namespace=~".*"} |= "latency_ms" | json | latency_ms > 2000'],
  ['--step', '10m', '--format', 'jsonl', 'sum by (level) (count_over_time(pod{namespace=~".*"} |= "latency_ms" | json | __error__="" | latency_ms > 2000 [10m]))'],
];
let failed = false;
for (const args of runs) {
  const q = args.join(' ');
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', runner, 'query', '--store', out, '--start', info.start, '--end', info.end, ...args], { encoding: 'utf8' });
  if (res.status !== 0) {
    console.error(res.stdout, res.stderr);
    process.exit(1);
  }
  const r = JSON.parse(res.stdout.trim().split('\n').pop());
  const mb = r.maxRssKiB / 1024;
  const ok = r.code === 0 && mb < Number(values['limit-mb']);
  failed ||= !ok;
  console.log(`${ok ? 'ok  ' : 'FAIL'} peak RSS ${mb.toFixed(0)} MB, result ${r.out}  ${q}  (store ${(info.bytes / 2 ** 20).toFixed(0)} MiB)`);
}
process.exit(failed ? 1 : 0);
