#!/usr/bin/env node
// The ruler's evaluation cost: 100 alerting rules at a 15 s interval over a generated store
// (scripts/lib/generate.mjs), CPU per evaluation round with and without scan sharing.
//
//   npm run build:ts && node bench/rules.mjs [--store bench/data/store-1GiB] [--rounds 8]
//
// The rules are CB-Dragonfly's pattern: 50 counts (6 namespaces × 8 line filters, and 2 node
// counts), each with a warning and a critical threshold — two rules reading the same 5m range,
// so with sharing a round makes 50 scans, without 100. Rounds are consecutive 15 s ticks from
// 2024-09-25T12:00:00Z (inside the store); scans run in this thread (no workers), so the
// process CPU time is the ruler's. Prints one JSON line per mode.
import { parseArgs } from 'node:util';
import { openStore } from '../dist/node.js';
import { parseRuleFile } from '../dist/rules/rule-file.js';
import { Ruler } from '../dist/rules/ruler.js';

const { values } = parseArgs({ options: { store: { type: 'string', default: 'bench/data/store-1GiB' }, rounds: { type: 'string', default: '8' } } });
const rounds = Number(values.rounds);
const namespaces = ['default', 'ingress-nginx', 'kube-system', 'monitoring', 'payments', 'shop'];
const filters = ['|= "error"', '|~ "(?i)timeout"', '|= "POST"', '|= " 500 "', '|= "panic"', '|= "latency_ms"', '!= "kube-probe" |= "GET"', '|= "RARE-7f3a"'];
const counts = [];
for (const ns of namespaces) for (const f of filters) counts.push(`sum by (pod) (count_over_time(pod{namespace="${ns}"} ${f} [5m]))`);
counts.push('sum(count_over_time(node{node=~"node-0[12]"} |= "error" [5m]))', 'sum(count_over_time(node{node=~".+"} |= "OOM" [5m]))');
let yaml = 'groups:\n  - name: bench\n    interval: 15s\n    rules:\n';
counts.forEach((c, i) => {
  for (const [sev, threshold] of [['warning', 10], ['critical', 100]]) {
    yaml += `      - alert: Count${i}\n        expr: ${JSON.stringify(`${c} > ${threshold}`)}\n        labels: {severity: ${sev}}\n        annotations: {summary: '{{ $value | humanize }} lines in {{ $labels.pod }}'}\n`;
  }
});
const groups = parseRuleFile(yaml, 'bench.yaml');
const rules = groups[0].rules.length;
const t0 = Date.parse('2024-09-25T12:00:00Z');

for (const share of (process.env.ORDER === "rev" ? [false, true] : [true, false])) {
  const store = openStore(values.store, { workers: 0 });
  let tick = 0;
  const ruler = new Ruler({ store, groups, shareScans: share, now: () => BigInt(t0 + tick * 15_000) * 1_000_000n, sampleLines: 3 });
  await ruler.evaluateAll(); // warm-up: kernel, regexes, page cache
  const cpu = [];
  const wall = [];
  let scans = 0;
  let bytes = 0;
  for (tick = 1; tick <= rounds; tick++) {
    const c = process.cpuUsage();
    const w = performance.now();
    await ruler.evaluateAll();
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
    wall.push(performance.now() - w);
    scans = ruler.lastScans.scans;
    bytes = ruler.lastScans.stats?.bytesScanned ?? 0;
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const firing = ruler.alerts().length;
  console.log(JSON.stringify({ rules, interval: '15s', shareScans: share, rounds, scansPerRound: scans, mbScannedPerRound: +(bytes / 2 ** 20).toFixed(1), cpuMsPerRoundMedian: Math.round(median(cpu)), wallMsPerRoundMedian: Math.round(median(wall)), cpuShareOf15s: +(median(cpu) / 15_000).toFixed(3), alerts: firing }));
  await store.close();
}
