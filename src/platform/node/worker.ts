/**
 * The Node scan worker's entry point (Node only): `worker_threads` messaging and the
 * filesystem source around the platform-neutral loop in `exec/workers/scan-worker.ts`.
 *
 * It is bundled by esbuild into the self-contained `dist/scan-worker.js` (`npm run
 * build:worker`; the kernel WASM, regex engine included, is inlined). The pool starts it with
 * `new Worker(url)`: see `pool.ts`.
 *
 * Its first message is the kernel ({@link KernelHandOff}), compiled once in the pool's thread:
 * instantiating a compiled `WebAssembly.Module` (which `postMessage` can send) is cheaper than
 * decoding and compiling the bundle's own copy in every worker. Until it comes the worker
 * does not say `ready`, so the pool sends it nothing else.
 *
 * It reopens `fs` handles only. A store set of filesystem stores is scanned here too, but a
 * job names one file of one member, so the pool sends that member's own `fs` handle
 * (`exec/workers/parallel.ts`, `memberHandle`), never the set's `clusters` handle: a job addresses
 * (log type, target, name), which a set could not resolve without a cluster.
 */
import { parentPort } from 'node:worker_threads';
import { FsChunkSource } from './fs-source.js';
import type { ToWorker } from '../../exec/workers/protocol.js';
import { startScanWorker } from '../../exec/workers/scan-worker.js';
import { InternalError } from '../../errors.js';

/** The pool's first message to a Node scan worker: the compiled kernel. */
export interface KernelHandOff {
  type: 'kernel';
  module: WebAssembly.Module;
}

const port = parentPort;
if (!port) throw new InternalError('scan-worker.js runs as a worker thread (new Worker(...)), not as a script');

let handle: ((message: ToWorker) => void) | null = null;
let handedKernel!: (module: WebAssembly.Module) => void;
const kernel = new Promise<WebAssembly.Module>((resolve) => (handedKernel = resolve));
port.on('message', (message: ToWorker | KernelHandOff) => {
  if (message.type === 'kernel') handedKernel(message.module);
  else handle?.(message); // the pool sends jobs only after `ready`, which comes after `handle` is set
});

handle = await startScanWorker({
  kernel: await kernel,
  post: (message, transfer) => port.postMessage(message, transfer),
  reopen: (h) => {
    if (h.kind !== 'fs') throw new InternalError(`this worker reopens fs sources only, not ${h.kind}`);
    return new FsChunkSource(h.root, { sync: true }); // this thread only scans: see fs-source.ts
  },
});
