/**
 * The durable store writer: appends Lethe lines to hour files. Node-only.
 *
 * Owns the store's files while open (one writer per store, {@link acquireStoreLock}) and
 * guarantees:
 * - **Whole lines only.** Appends are queued and committed in groups (group commit): each
 *   group makes exactly one `write` call per touched file with all its whole lines, on a
 *   descriptor opened `O_APPEND`. A failed or short write is truncated back to the size
 *   before the group, and the group's appends reject. Groups run one at a time, so appends
 *   are serialised per file and lines keep the order in which `append` was called.
 * - **Acknowledged = durable under the policy.** `append()` resolves when its group is
 *   - `batch` (default): written and `fdatasync`ed, every touched file, plus the directory
 *     of every file (and directory) it created — survives power loss;
 *   - `interval`: written (survives a process crash, since the page cache outlives the
 *     process); dirty files are fsynced every `intervalMs` (default 1000) — a power loss
 *     can take the last interval;
 *   - `none`: written; never fsynced except by `flush()`/`close()`.
 *   `flush()` and `close()` fsync everything written so far, whatever the policy.
 * - **No torn line survives an open.** On open, every hour file of the store gets its last
 *   byte checked (`repair: 'all'`, the default; one `fstat` and a 1-byte read per file); a
 *   torn last line is moved to quarantine and the file cut back ({@link repairTornTail}).
 *   Every file is also checked the first time this writer opens it for appending, so with
 *   `repair: 'on-append'` only the files actually appended to are checked (cheaper on huge
 *   stores; torn lines elsewhere stay visible to queries as bad lines until then).
 * - Files deleted under us (retention) are noticed before each write and re-created; an open
 *   descriptor never keeps writing to an unlinked file.
 * - **Sidecar indexes** for closed hours: the files it appended to get a sidecar once their
 *   hour has closed (plus a grace period for late lines), built in the background after a
 *   commit, and on `close()` (option `sidecars`). Building never delays or fails an append.
 */
import { constants as FS } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LetheQLError } from '../errors.js';
import { isLogType, type LogType } from '../model.js';
import { Kernel } from '../scan/kernel.js';
import { HOUR_NS, parseHourFileName } from '../store/hours.js';
import { isSafeName } from '../store/paths.js';
import { errnoCode, syncDir } from './layout.js';
import { acquireStoreLock, type StoreLock } from './lock.js';
import { checkFractionDigits, DEFAULT_FRACTION_DIGITS, formatRecord, InvalidRecordError, type FormattedRecord, type FractionDigits, type LogRecord } from './record.js';
import { listHourFiles, repairFile, repairTornTail, type TornTailRepair } from './repair.js';
import { indexFile, writeTargetSummary } from './sidecar-files.js';

/** When appended lines are fsynced (see the module note). */
export type FsyncPolicy = 'batch' | 'interval' | 'none';

export interface StoreWriterOptions {
  /** Default `batch`. */
  fsync?: FsyncPolicy;
  /** Period of the `interval` policy, ms (default 1000). */
  intervalMs?: number;
  /**
   * Fraction digits of written timestamps: 0–9, or `'auto'` (the default: 6 as Lethe writes
   * them, 9 when the time has a non-zero sub-microsecond part, so no time loses precision).
   */
  fractionDigits?: FractionDigits;
  /** `all` (default): check every hour file on open; `on-append`: only files appended to. */
  repair?: 'all' | 'on-append';
  /** Most descriptors kept open at once (default 64); older ones are fsynced as needed and closed. */
  maxOpenFiles?: number;
  /** Create the store directory when missing (default true). */
  create?: boolean;
  /**
   * Sidecar indexes (`.letheql/index/`, see `sidecar-files.ts`) for the hour files this writer
   * appends to, built in the background once their hour has closed and `graceMs` (default 5
   * minutes, for late lines) has passed, and on `close()` for every closed hour written.
   * `false` turns them off; `now` is the clock (ms, default `Date.now`).
   */
  sidecars?: boolean | { graceMs?: number; now?: () => number };
}

/** Bytes to append to one store file. */
export interface FileAppend {
  /** Store-relative path, `pod/shop/2024-09-24_15.log`. */
  path: string;
  /** Whole lines, ending in `\n`. */
  bytes: Uint8Array;
}

/** Running totals of a writer. */
export interface StoreWriterStats {
  appends: number;
  groups: number;
  lines: number;
  bytes: number;
  fsyncs: number;
}

interface OpenFile {
  rel: string;
  abs: string;
  fh: FileHandle;
  ino: number;
  size: number;
  dirty: boolean;
}

interface Waiter {
  files: FileAppend[];
  lines: number;
  /** Where each of `files` landed, filled in by the commit. */
  offsets: number[];
  resolve: (offsets: number[]) => void;
  reject: (err: unknown) => void;
}

/** Groups formatted records per file, in order: the input of {@link StoreWriter.appendFiles}. */
export function groupByFile(records: readonly FormattedRecord[]): FileAppend[] {
  const texts = new Map<string, string[]>();
  for (const r of records) {
    const list = texts.get(r.path);
    if (list) list.push(r.text);
    else texts.set(r.path, [r.text]);
  }
  const encoder = new TextEncoder();
  return [...texts].map(([path, parts]) => ({ path, bytes: encoder.encode(parts.join('')) }));
}

/** The end of a hour file's hour, ms since the epoch. */
function hourEndMs(rel: string): number {
  return Number((parseHourFileName(rel.slice(rel.lastIndexOf('/') + 1))! + HOUR_NS) / 1_000_000n);
}

function checkRelPath(rel: string): { logType: LogType; target: string; name: string } {
  const parts = rel.split('/');
  if (parts.length !== 3 || !isLogType(parts[0]) || !isSafeName(parts[1]!) || parseHourFileName(parts[2]!) === null) {
    throw new LetheQLError('INVALID_OPTION', `invalid store file ${JSON.stringify(rel)}: expected <pod|node>/<target>/YYYY-MM-DD_HH.log`);
  }
  return { logType: parts[0], target: parts[1]!, name: parts[2]! };
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) n++;
  return n;
}

/**
 * A writer for the store at {@link root}. Create with {@link openStoreWriter}.
 *
 * @example
 * const w = await openStoreWriter('/var/lib/lethe', { fsync: 'batch' });
 * await w.append([{ kind: 'pod', time: new Date(), namespace: 'shop', pod: 'api-1', container: 'app', message: 'GET /' }]);
 * await w.close();
 */
export class StoreWriter {
  /** Absolute store root. */
  readonly root: string;
  /** Torn last lines cut so far (on open, and when files were first opened for appending). */
  readonly repairs: TornTailRepair[] = [];
  readonly stats: StoreWriterStats = { appends: 0, groups: 0, lines: 0, bytes: 0, fsyncs: 0 };
  private readonly policy: FsyncPolicy;
  /** Fraction digits of written timestamps. */
  readonly fractionDigits: FractionDigits;
  private readonly maxOpen: number;
  private readonly files = new Map<string, OpenFile>();
  private readonly checked = new Set<string>();
  private readonly dirtyDirs = new Set<string>();
  private queue: Waiter[] = [];
  private draining: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private backgroundError: unknown = null;
  private closed = false;
  /** Sidecars: files appended to and not indexed since: the end of their hour and their last append (ms). */
  private readonly toIndex = new Map<string, { hourEnd: number; lastAppend: number }>();
  private indexTimer: ReturnType<typeof setInterval> | null = null;
  private readonly indexing: { graceMs: number; now: () => number } | null;
  private indexTask: Promise<void> | null = null;
  private kernel: Promise<Kernel> | null = null;
  /** Sidecars built, and hour files that could not be indexed (a failure never fails an append). */
  readonly sidecarStats = { built: 0, failed: 0 };

  /** @internal use {@link openStoreWriter} */
  constructor(
    root: string,
    private readonly lock: StoreLock,
    options: StoreWriterOptions,
  ) {
    this.root = root;
    this.policy = options.fsync ?? 'batch';
    this.fractionDigits = checkFractionDigits(options.fractionDigits ?? DEFAULT_FRACTION_DIGITS);
    this.maxOpen = Math.max(1, options.maxOpenFiles ?? 64);
    const sc = options.sidecars ?? true;
    this.indexing = sc === false ? null : { graceMs: (sc === true ? undefined : sc.graceMs) ?? 5 * 60_000, now: (sc === true ? undefined : sc.now) ?? Date.now };
    if (this.indexing) {
      // Hours close while nothing is written too.
      this.indexTimer = setInterval(() => this.indexClosed(this.indexing!.graceMs), Math.max(1000, Math.min(this.indexing.graceMs, 60_000)));
      this.indexTimer.unref();
    }
    if (this.policy === 'interval') {
      const ms = options.intervalMs ?? 1000;
      this.timer = setInterval(() => {
        if (this.draining === null) this.syncDirty().catch((err: unknown) => (this.backgroundError ??= err));
      }, ms);
      this.timer.unref();
    }
  }

  /** The fsync policy in force. */
  get fsyncPolicy(): FsyncPolicy {
    return this.policy;
  }

  /**
   * Formats `records` as Lethe lines (see `formatRecord`) without writing them. Throws
   * {@link InvalidRecordError} (with `recordIndex`) for the first bad record.
   */
  format(records: readonly LogRecord[]): FormattedRecord[] {
    return records.map((r, i) => {
      try {
        return formatRecord(r, this.fractionDigits);
      } catch (err) {
        if (err instanceof InvalidRecordError) err.recordIndex = i;
        throw err;
      }
    });
  }

  /**
   * Appends records. All records are validated first: one bad record rejects the call and
   * nothing of it is written. Resolves when the lines are acknowledged under the fsync policy.
   */
  append(records: readonly LogRecord[]): Promise<void> {
    let files: FileAppend[];
    try {
      files = groupByFile(this.format(records));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.appendFiles(files).then(() => undefined);
  }

  /**
   * Appends pre-formatted whole lines (the collector uses this to replay its journal).
   * Each `bytes` must be whole lines ending in `\n`; paths must be hour files. Resolves with
   * the file offset each of `files` was written at (what `publish` names a line by).
   */
  appendFiles(files: readonly FileAppend[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new LetheQLError('INVALID_OPTION', 'the store writer is closed'));
    let lines = 0;
    try {
      for (const f of files) {
        checkRelPath(f.path);
        if (f.bytes.length > 0 && f.bytes[f.bytes.length - 1] !== 10) throw new LetheQLError('INVALID_OPTION', `append to ${f.path}: bytes must end with a line break`);
        lines += countLines(f.bytes);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ files: [...files], lines, offsets: files.map(() => -1), resolve, reject });
      this.kick();
    });
  }

  /** fsyncs every file written so far (whatever the policy), after the queued appends. */
  async flush(): Promise<void> {
    await this.idle();
    await this.syncDirty();
    this.throwBackground();
  }

  /** Flushes, closes every descriptor and releases the store lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.indexTimer) clearInterval(this.indexTimer);
    try {
      await this.idle();
      await this.syncDirty();
      await this.indexTask;
      this.indexClosed(0);
      await this.indexTask;
    } finally {
      for (const f of this.files.values()) await f.fh.close().catch(() => undefined);
      this.files.clear();
      await this.lock.release();
    }
    this.throwBackground();
  }

  /** Current size of a store file as this writer sees it (0 when absent), after queued appends. */
  async fileSize(rel: string): Promise<number> {
    checkRelPath(rel);
    await this.idle();
    try {
      return (await stat(join(this.root, rel))).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return 0;
      throw err;
    }
  }

  /** @internal Checks every hour file of the store for a torn last line (open with `repair: 'all'`). */
  async repairAll(): Promise<void> {
    for (const rel of await listHourFiles(this.root)) {
      const repair = await repairFile(this.root, rel);
      if (repair) this.repairs.push(repair);
      this.checked.add(rel);
    }
  }

  private throwBackground(): void {
    if (this.backgroundError !== null) {
      const err = this.backgroundError;
      this.backgroundError = null;
      throw new LetheQLError('IO_ERROR', `background fsync failed: ${(err as Error).message}`);
    }
  }

  private async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  private kick(): void {
    if (this.draining !== null) return;
    this.draining = (async () => {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          this.throwBackground();
          await this.commit(group);
          this.stats.groups++;
          for (const w of group) {
            this.stats.appends++;
            this.stats.lines += w.lines;
            w.resolve(w.offsets);
          }
        } catch (err) {
          const e = err instanceof LetheQLError ? err : new LetheQLError('IO_ERROR', `append failed: ${(err as Error).message}`);
          for (const w of group) w.reject(e);
        }
      }
      this.draining = null;
    })();
  }

  /** Writes one group: one write per file, then fsyncs under `batch`. */
  private async commit(group: Waiter[]): Promise<void> {
    const perFile = new Map<string, { parts: Uint8Array[]; owners: [Waiter, number][] }>();
    for (const w of group) {
      w.files.forEach((f, i) => {
        if (f.bytes.length === 0) return;
        const entry = perFile.get(f.path);
        if (entry) (entry.parts.push(f.bytes), entry.owners.push([w, i]));
        else perFile.set(f.path, { parts: [f.bytes], owners: [[w, i]] });
      });
    }
    const touched: OpenFile[] = [];
    for (const [rel, { parts, owners }] of perFile) {
      const file = await this.openForAppend(rel);
      let at = file.size;
      owners.forEach(([w, i], k) => {
        w.offsets[i] = at;
        at += parts[k]!.length;
      });
      const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      await this.writeAll(file, data);
      touched.push(file);
    }
    if (this.policy === 'batch') await this.syncFiles(touched);
    this.evict(touched);
    if (this.indexing) {
      const now = this.indexing.now();
      for (const f of touched) this.toIndex.set(f.rel, { hourEnd: hourEndMs(f.rel), lastAppend: now });
      this.indexClosed(this.indexing.graceMs);
    }
  }

  /**
   * Starts building, in the background (one task at a time), the sidecars of the files
   * appended to whose hour ended, and which were last appended to, at least `graceMs` ago
   * (a backfill into old hours is indexed once it is quiet, not after every commit). A file
   * appended to again later gets its sidecar rebuilt (the old one is stale: queries ignore
   * it meanwhile). `close()` indexes every closed hour written, quiet or not.
   */
  private indexClosed(graceMs: number): void {
    if (!this.indexing || this.indexTask !== null) return;
    const now = this.indexing.now();
    const due = [...this.toIndex].filter(([, t]) => t.hourEnd + graceMs <= now && t.lastAppend + graceMs <= now).map(([rel]) => rel);
    if (due.length === 0) return;
    for (const rel of due) this.toIndex.delete(rel);
    this.indexTask = (async () => {
      const kernel = await (this.kernel ??= Kernel.load());
      const targets = new Map<string, { logType: LogType; target: string }>();
      for (const rel of due) {
        const { logType, target, name } = checkRelPath(rel);
        try {
          const r = await indexFile(this.root, logType, target, name, { kernel, rebuild: true });
          if (r.outcome === 'built') this.sidecarStats.built++;
          else this.sidecarStats.failed++;
        } catch {
          this.sidecarStats.failed++; // deleted by retention meanwhile, or unreadable: queries scan it whole
        }
        targets.set(`${logType}/${target}`, { logType, target });
      }
      // The targets' summaries follow their sidecars (a summary is only a faster way to them).
      for (const { logType, target } of targets.values()) await writeTargetSummary(this.root, logType, target).catch(() => undefined);
    })()
      .catch(() => undefined)
      .finally(() => {
        this.indexTask = null;
      });
  }

  private async writeAll(file: OpenFile, data: Uint8Array): Promise<void> {
    const before = file.size;
    let written = 0;
    try {
      while (written < data.length) {
        const { bytesWritten } = await file.fh.write(data, written, data.length - written, null);
        if (bytesWritten === 0) throw new LetheQLError('IO_ERROR', 'write returned 0 bytes');
        written += bytesWritten;
      }
    } catch (err) {
      // Never leave a partial line behind: cut back to the size before this group.
      await file.fh.truncate(before).catch(() => undefined);
      throw new LetheQLError('IO_ERROR', `cannot append to ${file.rel}: ${(err as Error).message}`);
    }
    file.size = before + data.length;
    file.dirty = true;
    this.stats.bytes += data.length;
  }

  /** An open descriptor for `rel`, re-opened when the path no longer names the file we hold. */
  private async openForAppend(rel: string): Promise<OpenFile> {
    const cached = this.files.get(rel);
    if (cached) {
      let sameFile = false;
      try {
        sameFile = (await stat(cached.abs)).ino === cached.ino;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      this.files.delete(rel);
      if (sameFile) {
        this.files.set(rel, cached); // most recently used last
        return cached;
      }
      await cached.fh.close().catch(() => undefined);
    }
    const { logType, target } = checkRelPath(rel);
    const abs = join(this.root, rel);
    const dir = join(this.root, logType, target);
    let fh: FileHandle | null = null;
    let created = false;
    for (let attempt = 0; fh === null; attempt++) {
      try {
        fh = await open(abs, FS.O_RDWR | FS.O_APPEND | FS.O_CREAT | FS.O_EXCL, 0o644);
        created = true;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EEXIST') {
          try {
            fh = await open(abs, FS.O_RDWR | FS.O_APPEND);
          } catch (err2) {
            if (errnoCode(err2) !== 'ENOENT' || attempt > 5) throw err2;
          }
        } else if (code === 'ENOENT' && attempt <= 5) {
          // The directory is missing (new target, or retention just removed it empty).
          const first = await mkdir(dir, { recursive: true });
          if (first !== undefined) {
            this.dirtyDirs.add(join(this.root, logType));
            this.dirtyDirs.add(this.root);
          }
        } else {
          throw err;
        }
      }
    }
    if (created) this.dirtyDirs.add(dir);
    if (!this.checked.has(rel)) {
      const repair = await repairTornTail(this.root, rel, fh);
      if (repair) this.repairs.push(repair);
      this.checked.add(rel);
    }
    const st = await fh.stat();
    const file: OpenFile = { rel, abs, fh, ino: st.ino, size: st.size, dirty: false };
    this.files.set(rel, file);
    return file;
  }

  /** Closes least recently used descriptors beyond the cap (never those of the current group). */
  private evict(pinned: readonly OpenFile[]): void {
    if (this.files.size <= this.maxOpen) return;
    for (const [rel, f] of this.files) {
      if (this.files.size <= this.maxOpen) break;
      if (pinned.includes(f)) continue;
      this.files.delete(rel);
      const close = async (): Promise<void> => {
        if (f.dirty && this.policy !== 'none') {
          await f.fh.datasync();
          this.stats.fsyncs++;
        }
        await f.fh.close();
      };
      close().catch((err: unknown) => (this.backgroundError ??= err));
    }
  }

  private async syncFiles(files: readonly OpenFile[]): Promise<void> {
    await Promise.all(
      files.map(async (f) => {
        if (!f.dirty) return;
        f.dirty = false;
        await f.fh.datasync();
        this.stats.fsyncs++;
      }),
    );
    // Deepest first is not needed: each fsync makes one directory's entries durable.
    const dirs = [...this.dirtyDirs];
    this.dirtyDirs.clear();
    await Promise.all(dirs.map((d) => syncDir(d)));
  }

  private async syncDirty(): Promise<void> {
    await this.syncFiles([...this.files.values()]);
  }
}

/**
 * Opens a writer on the store at `dir` (created when missing unless `create: false`): takes
 * the store's writer lock, then repairs torn last lines (see {@link StoreWriter}). The
 * repairs are in `writer.repairs`.
 */
export async function openStoreWriter(dir: string, options: StoreWriterOptions = {}): Promise<StoreWriter> {
  const root = resolve(dir);
  const policy = options.fsync ?? 'batch';
  if (policy !== 'batch' && policy !== 'interval' && policy !== 'none') {
    throw new LetheQLError('INVALID_OPTION', `invalid fsync policy ${JSON.stringify(policy)}: expected batch, interval or none`);
  }
  if (options.intervalMs !== undefined && !(Number.isFinite(options.intervalMs) && options.intervalMs > 0)) {
    throw new LetheQLError('INVALID_OPTION', `invalid intervalMs ${options.intervalMs}: expected a positive number`);
  }
  checkFractionDigits(options.fractionDigits ?? DEFAULT_FRACTION_DIGITS);
  try {
    const st = await stat(root);
    if (!st.isDirectory()) throw new LetheQLError('STORE_NOT_FOUND', `store ${root} is not a directory`);
  } catch (err) {
    if (err instanceof LetheQLError) throw err;
    if (errnoCode(err) !== 'ENOENT' || options.create === false) throw new LetheQLError('STORE_NOT_FOUND', `store not found: ${root} (${(err as Error).message})`);
    await mkdir(root, { recursive: true });
  }
  const lock = await acquireStoreLock(root);
  const writer = new StoreWriter(root, lock, options);
  try {
    if ((options.repair ?? 'all') === 'all') await writer.repairAll();
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw new LetheQLError('IO_ERROR', `cannot repair store ${root}: ${(err as Error).message}`);
  }
  return writer;
}
