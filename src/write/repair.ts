/**
 * Torn last lines: detection, quarantine and cut-back. Node-only.
 *
 * A crash (or SIGKILL) in the middle of a `write` can leave a file whose last line has no
 * `\n`. Appending after it would glue the next line onto the fragment, so before a writer
 * appends to a file the fragment is moved out:
 * 1. the bytes after the last `\n` are copied to `<store>/.letheql/quarantine/<path>.<stamp>`
 *    and that copy is fsynced (with its directory),
 * 2. only then is the file truncated back to its last whole line and fsynced.
 * A crash between 1 and 2 leaves the fragment in both places, never in neither.
 *
 * Cost: one `fstat` and one 1-byte read per file checked; only a torn file is read further.
 */
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LOG_TYPES, type LogType } from '../model.js';
import { parseHourFileName } from '../store/hours.js';
import { errnoCode, fileStamp, quarantineRoot, syncDir } from './layout.js';

/** One torn last line that was cut. */
export interface TornTailRepair {
  /** Store-relative path of the repaired file, `pod/shop/2024-09-24_15.log`. */
  path: string;
  /** Size the file was cut back to (just after its last `\n`). */
  keptBytes: number;
  /** Bytes moved to quarantine. */
  cutBytes: number;
  /** Absolute path of the quarantine copy. */
  quarantinePath: string;
}

const SCAN_CHUNK = 64 * 1024;
let stampCounter = 0;

/** Offset just after the last `\n` of the first `size` bytes of `fh` (0 when there is none). */
async function lastLineEnd(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(SCAN_CHUNK);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - SCAN_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

/**
 * Checks the file open as `fh` (readable) whose store-relative path is `rel`; when its last
 * line is torn, quarantines the fragment and cuts the file back. Returns the repair, or null
 * when the file was whole. `fh` stays open.
 */
export async function repairTornTail(root: string, rel: string, fh: FileHandle, now: Date = new Date()): Promise<TornTailRepair | null> {
  const { size } = await fh.stat();
  if (size === 0) return null;
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  if (last[0] === 10) return null;
  const keep = await lastLineEnd(fh, size);
  const quarantinePath = join(quarantineRoot(root), `${rel}.${fileStamp(now)}-${process.pid}-${stampCounter++}`);
  await mkdir(dirname(quarantinePath), { recursive: true });
  const q = await open(quarantinePath, 'wx', 0o644);
  try {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, size - keep));
    for (let pos = keep; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      await q.write(buf, 0, bytesRead);
      pos += bytesRead;
    }
    await q.sync();
  } finally {
    await q.close();
  }
  await syncDir(dirname(quarantinePath));
  await fh.truncate(keep);
  await fh.sync();
  return { path: rel, keptBytes: keep, cutBytes: size - keep, quarantinePath };
}

/** Opens `<root>/<rel>` read-write and repairs it (see {@link repairTornTail}); missing files are skipped. */
export async function repairFile(root: string, rel: string, now?: Date): Promise<TornTailRepair | null> {
  let fh: FileHandle;
  try {
    fh = await open(join(root, rel), 'r+');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    return await repairTornTail(root, rel, fh, now);
  } finally {
    await fh.close();
  }
}

/** Store-relative paths of every hour file under `pod/` and `node/`, in path order. */
export async function listHourFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const logType of Object.keys(LOG_TYPES) as LogType[]) {
    let targets: string[];
    try {
      targets = (await readdir(join(root, logType), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw err;
    }
    for (const target of targets.sort()) {
      let names: string[];
      try {
        names = await readdir(join(root, logType, target));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      for (const name of names.sort()) if (parseHourFileName(name) !== null) out.push(`${logType}/${target}/${name}`);
    }
  }
  return out;
}

/** Repairs every hour file of the store; returns the repairs made. */
export async function repairStore(root: string, now?: Date): Promise<TornTailRepair[]> {
  const repairs: TornTailRepair[] = [];
  for (const rel of await listHourFiles(root)) {
    const r = await repairFile(root, rel, now);
    if (r) repairs.push(r);
  }
  return repairs;
}
