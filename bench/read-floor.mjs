#!/usr/bin/env node
// The floor under a whole-store scan in Node: how long a fresh Node process takes just to read
// every pod file of a store (readSync of 1 MiB blocks into WebAssembly memory, as the scan
// workers read, on 1 and 2 worker threads, no search at all), beside `rg -c -j2` for a rare
// literal and `letheql query --count` for the same literal, interleaved, in one run.
//
// Issue 13 asks for a whole-store count at ≥ 0.5× ripgrep's speed. This script says how much of
// our time is reading alone: if a Node process that only reads takes R × rg's time, no kernel can
// bring letheql under R × rg. Wall clock of each child, median of --runs; page cache warm (one
// untimed pass of each first).
//
// Usage: npm run build && node bench/read-floor.mjs [--store DIR] [--runs 7]
//   (default store: bench/data/store-4GiB, which `node bench/run.mjs --size 4GiB` generates)
import { spawnSync } from 'node:child_process';
import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (!isMainThread) {
  const { files, bs } = workerData;
  const mem = new WebAssembly.Memory({ initial: 64 + Math.ceil(bs / 65536) });
  const buf = new Uint8Array(mem.buffer, 1 << 20, bs);
  for (const f of files) {
    const fd = openSync(f, 'r');
    let pos = 0;
    let n;
    while ((n = readSync(fd, buf, 0, bs, pos)) > 0) pos += n;
    closeSync(fd);
  }
  parentPort.postMessage('done');
} else if (process.argv[2] === '--read-only') {
  // The child: read the store's pod files on N threads, then exit.
  const [, , , root, threads, bs] = process.argv;
  const files = readdirSync(join(root, 'pod')).flatMap((t) => readdirSync(join(root, 'pod', t)).map((f) => join(root, 'pod', t, f)));
  const n = Number(threads);
  const ws = Array.from({ length: n }, (_, k) => new Worker(new URL(import.meta.url), { workerData: { files: files.filter((_, i) => i % n === k), bs: Number(bs) } }));
  await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
  await Promise.all(ws.map((w) => w.terminate()));
} else {
  const { values } = parseArgs({ options: { store: { type: 'string' }, runs: { type: 'string', default: '7' } } });
  const root = values.store ?? fileURLToPath(new URL('./data/store-4GiB', import.meta.url));
  const cli = fileURLToPath(new URL('../bin/letheql.js', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const literal = 'RARE-7f3a';
  const rows = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'node: read only, 1 thread': [process.execPath, [self, '--read-only', root, '1', String(1 << 20)]],
    'node: read only, 2 threads': [process.execPath, [self, '--read-only', root, '2', String(1 << 20)]],
    [`rg -c -j2 -F ${literal}`]: ['rg', ['-c', '-j2', '-F', '-e', literal, 'pod']],
    [`letheql query --count |= "${literal}"`]: [process.execPath, [cli, 'query', '--count', '--store', root, '--start', '2000-01-01T00:00:00Z', '--end', '2100-01-01T00:00:00Z', `pod{namespace=~".*"} |= "${literal}"`]],
  };
  const times = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  for (let r = -1; r < Number(values.runs); r++) {
    for (const [name, [cmd, args]] of Object.entries(rows)) {
      const t = performance.now();
      const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = performance.now() - t;
      if (res.error || res.status !== 0) {
        console.log(`${name}: failed (${res.error?.message ?? res.stderr.toString().trim()})`);
        process.exit(1);
      }
      if (r >= 0) times[name].push(ms);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const rg = med(times[`rg -c -j2 -F ${literal}`]);
  console.log(`store ${root}, median of ${values.runs} runs each, interleaved`);
  for (const [name, a] of Object.entries(times)) console.log(`${name.padEnd(44)} ${med(a).toFixed(0).padStart(6)} ms   ${(med(a) / rg).toFixed(2)} × rg`);
}
