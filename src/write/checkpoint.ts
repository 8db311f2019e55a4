/**
 * Collector checkpoints with a one-entry journal: how a restart neither loses nor
 * duplicates a line. Node-only.
 *
 * The checkpoint file holds, per followed path, the (device, inode, offset) up to which
 * input has been written to the store, and at most one **pending** batch: the positions the
 * sources will reach and, per store file, its size before the batch and the exact bytes the
 * batch appends. One collector cycle is:
 * 1. write `{sources: old, pending: {sources: new, files}}`  (tmp file, fsync, rename, fsync dir)
 * 2. append the batch through the store writer (acknowledged = durable)
 * 3. write `{sources: new, pending: null}`
 * After a crash anywhere, {@link resolvePending} looks at each journalled store file: the
 * part of the batch found at its recorded position (whole lines only; a torn tail has already
 * been cut by the writer's repair) is kept, and only the rest is appended. Then the sources
 * move to their new positions. So every input line lands exactly once.
 *
 * With the `interval`/`none` fsync policies the checkpoint is renamed without fsyncs: still
 * exactly-once across process crashes (the page cache keeps the order), not across power loss.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LetheQLError } from '../errors.js';
import { errnoCode, syncDir } from './layout.js';
import type { FileAppend, StoreWriter } from './store-writer.js';

/** Where reading of one followed path stands. `dev`/`ino` are decimal strings (inodes may exceed 2^53). */
export interface SourcePosition {
  dev: string;
  ino: string;
  offset: number;
}

/** One store file of a pending batch. */
export interface JournalFile {
  /** Store-relative path. */
  path: string;
  /** The file's size before the batch. */
  before: number;
  /** The bytes the batch appends, base64. */
  data: string;
}

export interface CheckpointState {
  version: 1;
  sources: Record<string, SourcePosition>;
  pending: { sources: Record<string, SourcePosition>; files: JournalFile[] } | null;
}

export function emptyCheckpoint(): CheckpointState {
  return { version: 1, sources: {}, pending: null };
}

/** Reads a checkpoint file; null when it does not exist. Throws `IO_ERROR` when it is unreadable. */
export async function readCheckpoint(path: string): Promise<CheckpointState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new LetheQLError('IO_ERROR', `cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  try {
    const state = JSON.parse(text) as CheckpointState;
    if (state.version !== 1 || typeof state.sources !== 'object' || state.sources === null) throw new LetheQLError('IO_ERROR', 'unknown layout');
    return state;
  } catch (err) {
    throw new LetheQLError('IO_ERROR', `checkpoint ${path} is not a letheql checkpoint (${(err as Error).message}); move it away to start over`);
  }
}

/** Replaces the checkpoint atomically (write tmp, fsync, rename, fsync the directory when `durable`). */
export async function writeCheckpoint(path: string, state: CheckpointState, durable: boolean): Promise<void> {
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(JSON.stringify(state));
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (durable) await syncDir(dirname(path));
}

/** The journal entry of a batch about to be appended. */
export async function journalFor(writer: StoreWriter, files: readonly FileAppend[]): Promise<JournalFile[]> {
  const out: JournalFile[] = [];
  for (const f of files) out.push({ path: f.path, before: await writer.fileSize(f.path), data: Buffer.from(f.bytes).toString('base64') });
  return out;
}

/**
 * Completes a pending batch after a crash: appends whatever part of each journalled file's
 * bytes is not already at its recorded position. Returns the bytes appended per file.
 */
export async function resolvePending(writer: StoreWriter, files: readonly JournalFile[]): Promise<FileAppend[]> {
  const replay: FileAppend[] = [];
  for (const f of files) {
    const data = Buffer.from(f.data, 'base64');
    const landed = await landedPrefix(join(writer.root, f.path), f.before, data);
    if (landed < data.length) replay.push({ path: f.path, bytes: data.subarray(landed) });
  }
  if (replay.length > 0) await writer.appendFiles(replay);
  return replay;
}

/** How many leading bytes of `data` (whole lines) are at offset `before` of `file`. */
async function landedPrefix(file: string, before: number, data: Buffer): Promise<number> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 0;
    throw err;
  }
  try {
    const buf = Buffer.alloc(data.length);
    const { bytesRead } = await fh.read(buf, 0, data.length, before);
    let same = 0;
    while (same < bytesRead && buf[same] === data[same]) same++;
    // Only whole lines count: a line is there when its '\n' is.
    return same === 0 ? 0 : data.lastIndexOf(10, same - 1) + 1;
  } finally {
    await fh.close();
  }
}
