#!/usr/bin/env node
// S3 stores: what a whole-day query costs through s3:// on loopback — wall time, GET/HEAD/LIST
// requests and bytes fetched — cold and warm disk cache, with and without sidecars.
//
// 1. Generates (or finds) bench/data/store-<size> (seed 1) and indexes it (`letheql index`).
// 2. Starts s3rver (the test server, a devDependency) on 127.0.0.1 with its data in a
//    temporary directory, ships the store to it (`letheql ship`), timing the upload.
// 3. Runs each query over the whole first day (2024-09-24) in this thread: against the
//    local directory, then through S3 with a fresh --cache-dir (cold), the same cache again
//    (warm), each with the sidecars and with them hidden. Counts must agree (exit 1 otherwise).
//
// s3rver is a Node process on the same 2 cores as the query, so wall times are an upper
// bound for a real object store on loopback; request and byte counts are exact.
// Usage: npm run build && node bench/s3.mjs [--size 64MiB] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { LogStore, openStore } from '../dist/node.js';
import { DiskPageCache } from '../dist/platform/node/page-cache.js';
import { S3Driver } from '../dist/platform/node/s3.js';
import { ObjectChunkSource } from '../dist/store/object-source.js';
import { shipStore } from '../dist/write/ship.js';
import { indexStore } from '../dist/write/sidecar-files.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '64MiB' }, json: { type: 'string' } } });
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1, log: (m) => console.log(m) });
await indexStore(root, { nowNs: 4_000_000_000_000_000_000n });

Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
const tmp = mkdtempSync(join(tmpdir(), 'letheql-bench-s3-'));
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(tmp, 's3'), configureBuckets: [{ name: 'bench' }] });
const { port } = await server.run();
const endpoint = `http://127.0.0.1:${port}`;
const url = 's3://bench/store';

let t0 = performance.now();
const shipped = await shipStore(root, new S3Driver(url, { endpoint }), { nowNs: 4_000_000_000_000_000_000n });
const shipMs = performance.now() - t0;
console.log(`ship: ${shipped.uploaded} objects, ${shipped.bytesUploaded} bytes in ${(shipMs / 1000).toFixed(1)} s`);

const DAY = { start: '2024-09-24T00:00:00Z', end: '2024-09-24T23:59:59.999999999Z' };
const QUERIES = [`pod{namespace=~".+"} |= "${info.rareToken}"`, 'pod{namespace=~".+"}', 'node{node=~".+"} |~ "(?i)oom"'];

/** A source without its sidecars. */
const hide = (s) => ({ description: s.description, listTargets: (t) => s.listTargets(t), listFiles: (t, n, f) => s.listFiles(t, n, f), open: (t, n, f) => s.open(t, n, f) });

const rows = [];
let failed = false;
for (const query of QUERIES) {
  const local = openStore(root, { workers: 0 });
  t0 = performance.now();
  const want = (await local.count(query, DAY)).count;
  const localMs = performance.now() - t0;
  await local.close();
  rows.push({ query, via: 'local dir', sidecars: 'yes', cache: '-', ms: localMs, count: want });
  for (const sidecars of ['yes', 'no']) {
    const cacheDir = join(tmp, `cache-${rows.length}`);
    for (const cache of ['cold', 'warm']) {
      const source = new ObjectChunkSource(new S3Driver(url, { endpoint }), { cache: new DiskPageCache(cacheDir, 4 * 2 ** 30) });
      const store = new LogStore(sidecars === 'yes' ? source : hide(source));
      t0 = performance.now();
      const { count } = await store.count(query, DAY);
      const ms = performance.now() - t0;
      if (count !== want) failed = true;
      const c = source.counters;
      rows.push({ query, via: 's3', sidecars, cache, ms, count, gets: c.gets, heads: c.heads, lists: c.lists, bytesFetched: c.bytesFetched, cacheHits: c.cacheHits });
    }
  }
}
await server.close();
rmSync(tmp, { recursive: true, force: true });

console.log(`\nwhole-day count queries, store ${values.size} (${info.files} files), in-thread:`);
console.log('query | via | sidecars | cache | ms | GET | HEAD | LIST | MB fetched | count');
for (const r of rows) console.log([r.query.slice(0, 48), r.via, r.sidecars, r.cache, r.ms.toFixed(0), r.gets ?? '', r.heads ?? '', r.lists ?? '', r.bytesFetched === undefined ? '' : (r.bytesFetched / 1e6).toFixed(1), r.count].join(' | '));
if (values.json) writeFileSync(values.json, JSON.stringify({ size: values.size, files: info.files, ship: { objects: shipped.uploaded, bytes: shipped.bytesUploaded, ms: shipMs }, rows }, null, 2) + '\n');
if (failed) {
  console.error('counts through S3 differ from the local store');
  process.exit(1);
}
