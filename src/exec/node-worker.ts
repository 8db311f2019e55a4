/**
 * The Node scan worker's entry point (Node only): `worker_threads` messaging and the
 * filesystem source around the platform-neutral loop in `scan-worker.ts`.
 *
 * It is bundled by esbuild into the self-contained `dist/scan-worker.js` (`npm run
 * build:worker`; the kernel WASM, regex engine included, is inlined). The pool starts it with
 * `new Worker(url)`: see `node-pool.ts`.
 *
 * It reopens `fs` handles only. A store set of filesystem stores is scanned here too, but a
 * job names one file of one member, so the pool sends that member's own `fs` handle
 * (`parallel.ts`, `memberHandle`), never the set's `clusters` handle: a job addresses
 * (log type, target, name), which a set could not resolve without a cluster.
 */
import { parentPort } from 'node:worker_threads';
import { FsChunkSource } from '../store/fs-source.js';
import type { ToWorker } from './protocol.js';
import { startScanWorker } from './scan-worker.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.js runs as a worker thread (new Worker(...)), not as a script');

const handle = await startScanWorker({
  post: (message, transfer) => port.postMessage(message, transfer),
  reopen: (h) => {
    if (h.kind !== 'fs') throw new Error(`this worker reopens fs sources only, not ${h.kind}`);
    return new FsChunkSource(h.root);
  },
});
port.on('message', (message: ToWorker) => handle(message));
