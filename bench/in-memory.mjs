// Store files held in memory for the kernel-only benches (`kernel-search.mjs`,
// `kernel-ab.mjs`): what they scan, and the `ChunkReader` that hands it to `Kernel.scanFile`
// with no I/O in the way.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Up to `mb` MB of the hour files of `<root>/<logType>`, in store order, interleaving
 * targets hour by hour: `files` (their bytes), `paths` (for ripgrep over the same files) and
 * `bytes` (their total).
 */
export function loadStoreFiles(root, logType, mb) {
  const dir = join(root, logType);
  const perTarget = readdirSync(dir)
    .sort()
    .map((t) => readdirSync(join(dir, t)).filter((f) => f.endsWith('.log')).sort().map((f) => join(dir, t, f)));
  const files = [];
  const paths = [];
  let bytes = 0;
  for (let h = 0; bytes < mb * 1e6; h++) {
    let any = false;
    for (const names of perTarget) {
      if (h >= names.length) continue;
      any = true;
      const b = readFileSync(names[h]);
      files.push(new Uint8Array(b.buffer, b.byteOffset, b.length));
      paths.push(names[h]);
      bytes += b.length;
    }
    if (!any) break;
  }
  return { files, paths, bytes };
}

/** A `ChunkReader` over bytes in memory: each read copies into the kernel's input, as a file read would. */
export class MemReader {
  constructor(data) {
    this.data = data;
    this.size = data.length;
  }
  async read(dest, position) {
    const n = Math.max(0, Math.min(dest.length, this.data.length - position));
    dest.set(this.data.subarray(position, position + n));
    return n;
  }
  async close() {}
}
