/**
 * The collector: follows container and node log files like a log shipper and writes them
 * into a store exactly once. Node-only.
 *
 * Sources are the `*.log` entries of container log directories (`/var/log/containers`,
 * whose symlinks name pod, namespace and container) and single node log files
 * (`/var/log/syslog`, read as syslog). Each poll (every `pollMs`, sooner when `fs.watch`
 * hints at a change):
 * 1. **Discover and check identity.** New files are followed from their start. For each
 *    followed path, `stat` (through symlinks) tells what happened:
 *    - same inode, size below our read position: **truncated** (copytruncate) — restart at 0;
 *    - another inode: **rotated by rename** (or replaced) — keep reading the old descriptor
 *      to its end, then switch to the new file from 0;
 *    - gone: **deleted** (or renamed away) — read the open descriptor to its end, then drop it.
 *    An old file is let go once it has been at its end for a whole poll with no growth.
 * 2. **Read a bounded batch.** At most `readChunkBytes` per file and `maxBatchBytes` per
 *    cycle, decoded by {@link LineDecoder} (docker and CRI are told apart per file; partial
 *    entries are joined).
 * 3. **Journal, append, commit** (see `checkpoint.ts`): the next positions and the exact
 *    bytes are journalled, the batch is appended and acknowledged, then the positions are
 *    committed. Nothing more is read until then: back-pressure, no unbounded buffering.
 * A position is a record boundary (the end of the last line that completed a record), so a
 * restart re-reads a half-joined CRI/Docker partial sequence from its first piece.
 *
 * **Links.** Entries of a container directory are followed through symlinks, wherever
 * they point (the kubelet's `/var/log/containers/*.log` link to `/var/log/pods/…`, which
 * may link on to the runtime's files). With `followOnlyUnder` (`--no-follow-outside DIR`),
 * an entry whose real path is not under one of those directories is skipped (reported
 * once, never opened), so a link planted in the watched directory cannot make the
 * collector copy an arbitrary file of the machine into the store. The check is made on
 * the real path, which is what is then opened.
 *
 * On start (and after a failed cycle) the checkpoint is loaded, a pending batch completed,
 * and each path resumed at its (device, inode, offset): when the path now names another file,
 * the directory is searched for the checkpointed inode (the renamed file, e.g. `syslog.1`)
 * and that file is finished first.
 *
 * **Publishing** (`publish`, see `publish.ts`): every batch is also published to NATS
 * JetStream after the store acknowledged it and before the positions are committed —
 * journal, append, publish (every PubAck received), commit. While NATS is down the publish
 * retries with back-off (reported as `publish-retry` events) and nothing more is read, so
 * lines wait in the source files, not in memory. A batch whose publish did not finish stays
 * pending in the checkpoint: the next start (or the next cycle after `stop()` was refused)
 * appends what is missing of it to the store, as always, then publishes it whole again;
 * JetStream drops the copies it already has by their `Nats-Msg-Id`.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { LetheQLError } from '../errors.js';
import { emptyCheckpoint, journalFor, readCheckpoint, resolvePending, writeCheckpoint, type CheckpointState, type SourcePosition } from './checkpoint.js';
import { LineDecoder, type MalformedLine, type RecordTarget } from './decoder.js';
import { realClock } from './ingest.js';
import { parseKubeLogPath } from './kube-paths.js';
import { defaultCheckpointPath, errnoCode } from './layout.js';
import { LineSplitter } from './line-splitter.js';
import { formatRecord, InvalidRecordError, labelProblem, type FormattedRecord } from './record.js';
import { groupByFile, openStoreWriter, type FsyncPolicy, type StoreWriter } from './store-writer.js';
import type { LinePublisher, PublishEvent, PublishOptions } from './publish.js';
import type { JournalFile } from './checkpoint.js';

export interface NodeLogSource {
  /** A node log file, e.g. `/var/log/syslog`. */
  path: string;
  /** The node label; default: the host written in each syslog line. */
  node?: string;
  /** `syslog` (default) or `raw` (then `node` is required and process is `process`, default `raw`). */
  format?: 'syslog' | 'raw';
  process?: string;
}

export interface CollectorOptions {
  /** Store directory (created when missing). */
  store: string;
  /** Container log directories (`/var/log/containers`): every `*.log` entry is followed. */
  containerDirs?: string[];
  /** Node log files. */
  nodeFiles?: NodeLogSource[];
  /** Poll period, ms (default 1000). */
  pollMs?: number;
  /** Store fsync policy (default `batch`: exactly-once also across power loss). */
  fsync?: FsyncPolicy;
  /** Checkpoint file (default `<store>/.letheql/collector.json`). */
  checkpointPath?: string;
  /** Most bytes read from one file per read (default 256 KiB). */
  readChunkBytes?: number;
  /** Most input bytes per cycle (default 1 MiB). */
  maxBatchBytes?: number;
  /** The clock (ns): raw line times and the syslog year rule. */
  now?: () => bigint;
  /** RFC 3164 local-time offset, minutes. */
  syslogUtcOffsetMinutes?: number;
  /** Use `fs.watch` as a hint to poll sooner (default true). */
  watch?: boolean;
  /**
   * Follow container-directory entries only when their real path is under one of these
   * directories (`--no-follow-outside DIR`); absent: follow links anywhere (see the note).
   */
  followOnlyUnder?: string[];
  /** Progress and problems, as they happen. */
  onEvent?: (event: CollectorEvent) => void;
  /**
   * Also publish every stored line to NATS JetStream (`--publish`, see `publish.ts`): the
   * checkpoint advances only once JetStream acknowledged the batch.
   */
  publish?: PublishOptions;
}

/** What the collector reports while it runs. */
export type CollectorEvent =
  | { type: 'file'; path: string; offset: number }
  | { type: 'rotated' | 'deleted' | 'truncated' | 'finished'; path: string }
  | { type: 'resumed-rotated'; path: string; from: string }
  | { type: 'lost'; path: string; reason: string }
  | { type: 'skipped'; path: string; reason: string }
  | ({ type: 'malformed'; path: string } & MalformedLine)
  | { type: 'replayed'; files: number; bytes: number }
  | { type: 'repaired'; path: string; cutBytes: number; quarantinePath: string }
  | { type: 'error'; message: string }
  | PublishEvent;

export interface CollectorStats {
  cycles: number;
  /** Input bytes read. */
  bytesRead: number;
  /** Records written. */
  records: number;
  /** Store lines written. */
  storeLines: number;
  malformed: number;
  rotations: number;
  truncations: number;
  errors: number;
  /** Lines JetStream stored (with `publish`). */
  published: number;
  /** Lines JetStream already held when (re)published: retries and replays. */
  publishDuplicates: number;
}

/** A running collector. */
export interface Collector {
  /** Running totals. */
  readonly stats: CollectorStats;
  /** Resolves after the next cycle that found nothing to read (everything so far is in the store). */
  waitForIdle(): Promise<void>;
  /** Finishes the current cycle, saves the checkpoint, closes the store. */
  stop(): Promise<CollectorStats>;
}

interface FileId {
  dev: string;
  ino: string;
}

/** One open file of a path (the current one, or an old one being finished). */
interface Follow {
  fh: FileHandle;
  id: FileId;
  /** Where the file was opened under (for reports). */
  name: string;
  readPos: number;
  lineNo: number;
  splitter: LineSplitter;
  decoder: LineDecoder;
  /** The path no longer names this file: read to the end, then drop. */
  draining: boolean;
  /** When an old file was first found at its end (ms), or null. */
  eofSince: number | null;
}

interface Tailer {
  path: string;
  kind: 'container' | 'node';
  target: RecordTarget | undefined;
  format: 'auto' | 'syslog' | 'raw';
  follows: Follow[];
  /** Set on load: where the checkpoint says this path stands. */
  resume: SourcePosition | null;
}

const sameId = (a: FileId, b: FileId): boolean => a.dev === b.dev && a.ino === b.ino;

async function statId(path: string): Promise<(FileId & { size: number }) | null> {
  try {
    const st = await stat(path, { bigint: true });
    if (!st.isFile()) return null;
    return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size) };
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

class CollectorImpl implements Collector {
  readonly stats: CollectorStats = { cycles: 0, bytesRead: 0, records: 0, storeLines: 0, malformed: 0, rotations: 0, truncations: 0, errors: 0, published: 0, publishDuplicates: 0 };
  private readonly tailers = new Map<string, Tailer>();
  private readonly skipped = new Set<string>();
  private committed: CheckpointState = emptyCheckpoint();
  private stopping = false;
  private wake: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];
  private watchers: FSWatcher[] = [];
  private loop: Promise<void> | null = null;
  private readonly pollMs: number;
  private readonly chunk: number;
  private readonly maxBatch: number;
  private readonly now: () => bigint;
  private readonly durable: boolean;
  private readonly checkpointPath: string;
  /** A recovered batch that is in the store but not yet acknowledged by JetStream. */
  private unpublished: { sources: Record<string, SourcePosition>; files: JournalFile[] } | null = null;
  /** Aborts a publish that waits for NATS when the collector stops. */
  private readonly stopSignal = new AbortController();

  constructor(
    private readonly writer: StoreWriter,
    private readonly options: CollectorOptions,
    private readonly publisher: LinePublisher | null = null,
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.chunk = options.readChunkBytes ?? 256 * 1024;
    this.maxBatch = options.maxBatchBytes ?? 1 << 20;
    this.now = options.now ?? realClock;
    this.durable = writer.fsyncPolicy === 'batch';
    this.checkpointPath = options.checkpointPath ?? defaultCheckpointPath(writer.root);
  }

  private emit(event: CollectorEvent): void {
    this.options.onEvent?.(event);
  }

  async start(): Promise<void> {
    for (const r of this.writer.repairs) this.emit({ type: 'repaired', path: r.path, cutBytes: r.cutBytes, quarantinePath: r.quarantinePath });
    await this.recover();
    if (this.options.watch !== false) this.startWatching();
    this.loop = this.run();
  }

  waitForIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.wake?.();
    });
  }

  async stop(): Promise<CollectorStats> {
    this.stopping = true;
    this.stopSignal.abort(new LetheQLError('ABORTED', 'the collector is stopping'));
    this.wake?.();
    for (const w of this.watchers) w.close();
    this.watchers = [];
    try {
      await this.loop;
    } finally {
      await this.closeAll();
      await this.publisher?.close().catch(() => undefined);
      await this.writer.close();
      for (const w of this.idleWaiters.splice(0)) w();
    }
    return this.stats;
  }

  private startWatching(): void {
    const dirs = new Set([...(this.options.containerDirs ?? []), ...(this.options.nodeFiles ?? []).map((n) => dirname(n.path))]);
    for (const d of dirs) {
      try {
        const w = watch(d, { persistent: false }, () => this.wake?.());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // Polling alone is enough; watch is only a hint.
      }
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let progressed = false;
      try {
        await this.discover();
        progressed = await this.cycle();
      } catch (err) {
        // A publish interrupted by stop(): its batch stays pending for the next start.
        if (this.stopping && this.stopSignal.signal.aborted) break;
        this.stats.errors++;
        this.emit({ type: 'error', message: (err as Error).message });
        // Start over from what is durable: completes a half-done batch, rewinds every file.
        try {
          await this.recover();
        } catch (err2) {
          this.emit({ type: 'error', message: (err2 as Error).message });
        }
      }
      this.stats.cycles++;
      if (!progressed) {
        if (!this.hasDraining()) for (const w of this.idleWaiters.splice(0)) w();
        if (!this.stopping) await this.sleep();
      }
    }
  }

  private hasDraining(): boolean {
    for (const t of this.tailers.values()) if (t.follows.some((f) => f.draining)) return true;
    return false;
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, this.pollMs);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  // ---- checkpoint state -------------------------------------------------------------

  /** Loads the checkpoint, completes a pending batch, and (re)builds every tailer from it. */
  private async recover(): Promise<void> {
    await this.closeAll();
    this.tailers.clear();
    this.unpublished = null; // the checkpoint file says what is pending
    const state = (await readCheckpoint(this.checkpointPath)) ?? emptyCheckpoint();
    if (state.pending) {
      const replayed = await resolvePending(this.writer, state.pending.files);
      if (replayed.length > 0) this.emit({ type: 'replayed', files: replayed.length, bytes: replayed.reduce((n, f) => n + f.bytes.length, 0) });
      if (this.publisher) {
        // Stays pending until JetStream has it: the next cycle publishes it first.
        this.unpublished = { sources: state.pending.sources, files: state.pending.files };
        state.sources = state.pending.sources;
      } else {
        state.sources = state.pending.sources;
        state.pending = null;
        await writeCheckpoint(this.checkpointPath, state, this.durable);
      }
    }
    this.committed = state;
    for (const [path, pos] of Object.entries(state.sources)) {
      const t = this.makeTailer(path);
      if (t) {
        t.resume = pos;
        this.tailers.set(path, t);
      }
    }
  }

  private positions(): Record<string, SourcePosition> {
    const out: Record<string, SourcePosition> = {};
    for (const t of this.tailers.values()) {
      const f = t.follows[0];
      if (f) out[t.path] = { dev: f.id.dev, ino: f.id.ino, offset: f.decoder.boundary };
      else if (t.resume) out[t.path] = t.resume;
    }
    return out;
  }

  // ---- discovery and identity ---------------------------------------------------------

  private makeTailer(path: string): Tailer | null {
    const node = this.options.nodeFiles?.find((n) => resolve(n.path) === path);
    if (node) {
      const format = node.format ?? 'syslog';
      const target: RecordTarget | undefined =
        node.node === undefined ? undefined : { kind: 'node', node: node.node, process: format === 'raw' ? (node.process ?? 'raw') : '-' };
      return { path, kind: 'node', target, format, follows: [], resume: null };
    }
    const meta = parseKubeLogPath(path);
    const problem = meta === null ? 'name is not <pod>_<namespace>_<container>-<64 hex id>.log' : (['namespace', 'pod', 'container'] as const).map((k) => labelProblem(meta[k], k === 'namespace') && `${k} ${labelProblem(meta[k], k === 'namespace')}`).find((p) => p);
    if (problem || meta === null) {
      if (!this.skipped.has(path)) {
        this.skipped.add(path);
        this.emit({ type: 'skipped', path, reason: problem || 'unknown' });
      }
      return null;
    }
    return { path, kind: 'container', target: { kind: 'pod', namespace: meta.namespace, pod: meta.pod, container: meta.container }, format: 'auto', follows: [], resume: null };
  }

  private async discover(): Promise<void> {
    const paths: string[] = [];
    for (const dir of this.options.containerDirs ?? []) {
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      for (const n of names.sort()) if (n.endsWith('.log')) paths.push(resolve(dir, n));
    }
    for (const n of this.options.nodeFiles ?? []) paths.push(resolve(n.path));
    for (const p of paths) {
      if (this.tailers.has(p) || this.skipped.has(p)) continue;
      const t = this.makeTailer(p);
      if (t) this.tailers.set(p, t);
    }
    for (const t of [...this.tailers.values()]) await this.checkIdentity(t);
  }

  /** The real path to open for `name`, or null when `followOnlyUnder` forbids it (reported once). */
  private async allowedPath(t: Tailer, name: string): Promise<string | null> {
    const roots = this.options.followOnlyUnder;
    if (t.kind !== 'container' || roots === undefined) return name;
    let real: string;
    try {
      real = await realpath(name);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
    const rootsReal = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))));
    if (rootsReal.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep))) return real;
    if (!this.skipped.has(name)) {
      this.skipped.add(name);
      this.emit({ type: 'skipped', path: name, reason: `it leads to ${real}, outside ${roots.join(', ')} (--no-follow-outside)` });
    }
    return null;
  }

  private async openFollow(t: Tailer, name: string, offset: number, expected?: FileId): Promise<Follow | null> {
    const path = await this.allowedPath(t, name);
    if (path === null) return null;
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
    const st = await fh.stat({ bigint: true });
    const id = { dev: String(st.dev), ino: String(st.ino) };
    if (expected && !sameId(id, expected)) {
      await fh.close();
      return null;
    }
    const start = Number(st.size) < offset ? 0 : offset;
    const decoder = new LineDecoder(
      { format: t.format, target: t.target, now: this.now, syslogUtcOffsetMinutes: this.options.syslogUtcOffsetMinutes },
      start,
    );
    this.emit({ type: 'file', path: name, offset: start });
    return { fh, id, name, readPos: start, lineNo: 0, splitter: new LineSplitter(start), decoder, draining: false, eofSince: null };
  }

  /** Applies rotation / truncation / deletion to a tailer (see the module note). */
  private async checkIdentity(t: Tailer): Promise<void> {
    const now = await statId(t.path);
    if (t.follows.length === 0) {
      if (t.resume) {
        const resume = t.resume;
        t.resume = null;
        if (now && sameId(now, resume)) {
          const f = await this.openFollow(t, t.path, resume.offset, resume);
          if (f) t.follows.push(f);
        } else {
          // The checkpointed file was rotated (or deleted) while we were not running.
          const old = await this.findById(t.path, resume);
          if (old) {
            const f = await this.openFollow(t, old, resume.offset, resume);
            if (f) {
              f.draining = true;
              t.follows.push(f);
              this.emit({ type: 'resumed-rotated', path: t.path, from: old });
            }
          } else if (resume.offset > 0) {
            this.emit({ type: 'lost', path: t.path, reason: 'the checkpointed file is gone; lines written to it after the checkpoint could not be read' });
          }
          if (now) {
            const f = await this.openFollow(t, t.path, 0);
            if (f) t.follows.push(f);
          }
        }
      } else if (now) {
        const f = await this.openFollow(t, t.path, 0);
        if (f) t.follows.push(f);
      }
      if (t.follows.length === 0 && !now) this.tailers.delete(t.path);
      return;
    }
    const last = t.follows[t.follows.length - 1]!;
    if (now === null) {
      if (!last.draining) {
        last.draining = true;
        this.emit({ type: 'deleted', path: t.path });
      }
      return;
    }
    if (sameId(now, last.id)) {
      if (!last.draining && now.size < last.readPos && t.follows.length === 1) {
        this.stats.truncations++;
        this.emit({ type: 'truncated', path: t.path });
        await last.fh.close();
        t.follows.pop();
        const f = await this.openFollow(t, t.path, 0, now);
        if (f) t.follows.push(f);
      }
      return;
    }
    // Another file under the path: finish the old one, then read the new one from 0.
    if (!last.draining) {
      last.draining = true;
      this.stats.rotations++;
      this.emit({ type: 'rotated', path: t.path });
    }
    const f = await this.openFollow(t, t.path, 0);
    if (f) t.follows.push(f);
  }

  /** A file in the path's directory (or its symlink target's) with the given identity. */
  private async findById(path: string, id: FileId): Promise<string | null> {
    const dirs = new Set([dirname(path)]);
    try {
      dirs.add(dirname(await realpath(path)));
    } catch {
      // A dangling link or a missing file: only the link's own directory.
    }
    for (const dir of dirs) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const p = join(dir, n);
        const st = await statId(p).catch(() => null);
        if (st && sameId(st, id)) return p;
      }
    }
    return null;
  }

  // ---- one cycle -------------------------------------------------------------------------

  /** Reads one bounded batch, appends it exactly once; returns whether anything changed. */
  private async cycle(): Promise<boolean> {
    if (this.unpublished) {
      await this.publish(this.unpublished.files);
      this.committed = { version: 1, sources: this.unpublished.sources, pending: null };
      await writeCheckpoint(this.checkpointPath, this.committed, this.durable);
      this.unpublished = null;
    }
    const formatted: FormattedRecord[] = [];
    let budget = this.maxBatch;
    let changed = false;
    const buf = Buffer.allocUnsafe(this.chunk);
    for (const t of this.tailers.values()) {
      while (budget > 0 && t.follows.length > 0) {
        const f = t.follows[0]!;
        const { bytesRead } = await f.fh.read(buf, 0, Math.min(buf.length, budget), f.readPos);
        if (bytesRead > 0) {
          f.eofSince = null;
          f.readPos += bytesRead;
          budget -= bytesRead;
          this.stats.bytesRead += bytesRead;
          changed = true;
          f.splitter.push(buf.subarray(0, bytesRead), (text, end) => f.decoder.push(text, ++f.lineNo, end));
          this.collect(f, formatted);
          continue;
        }
        // At the end of this file. The current file waits for more; an old one (rotated or
        // deleted) is given one poll period without growth for its writer to finish, then done.
        if (!f.draining) break;
        if (f.eofSince === null) f.eofSince = Date.now();
        if (Date.now() - f.eofSince < this.pollMs) break;
        f.splitter.end((text, end) => f.decoder.push(text, ++f.lineNo, end));
        f.decoder.finish(f.readPos);
        this.collect(f, formatted);
        t.follows.shift();
        await f.fh.close();
        this.emit({ type: 'finished', path: f.name });
        changed = true;
        if (t.follows.length === 0 && (await statId(t.path)) === null) this.tailers.delete(t.path);
      }
      if (budget <= 0) break;
    }
    if (!changed) return false;

    const next = this.positions();
    const files = groupByFile(formatted);
    if (files.length > 0) {
      const journal = await journalFor(this.writer, files);
      await writeCheckpoint(this.checkpointPath, { version: 1, sources: this.committed.sources, pending: { sources: next, files: journal } }, this.durable);
      await this.writer.appendFiles(files);
      await this.publish(journal);
      for (const r of formatted) this.stats.storeLines += r.lines;
      this.stats.records += formatted.length;
    }
    this.committed = { version: 1, sources: next, pending: null };
    await writeCheckpoint(this.checkpointPath, this.committed, this.durable);
    return true;
  }

  /** Publishes a journalled batch (lines at `before` + their place in `data`), waiting for every PubAck. */
  private async publish(files: readonly JournalFile[]): Promise<void> {
    if (!this.publisher) return;
    const appends = files.map((f) => ({ path: f.path, offset: f.before, bytes: Buffer.from(f.data, 'base64') }));
    const r = await this.publisher.publish(appends, { signal: this.stopSignal.signal });
    this.stats.published += r.stored;
    this.stats.publishDuplicates += r.duplicates;
  }

  private collect(f: Follow, out: FormattedRecord[]): void {
    const bad: MalformedLine[] = f.decoder.takeMalformed();
    for (const { record, line } of f.decoder.takeRecords()) {
      try {
        out.push(formatRecord(record, this.writer.fractionDigits));
      } catch (err) {
        if (!(err instanceof InvalidRecordError)) throw err;
        bad.push({ line, reason: err.message, text: record.message.slice(0, 200) });
      }
    }
    for (const m of bad.sort((a, b) => a.line - b.line)) {
      this.stats.malformed++;
      this.emit({ type: 'malformed', path: f.name, ...m });
    }
  }

  private async closeAll(): Promise<void> {
    for (const t of this.tailers.values()) {
      for (const f of t.follows) await f.fh.close().catch(() => undefined);
      t.follows = [];
    }
  }
}

/**
 * Starts a collector (see the module note): opens the store writer, resumes from the
 * checkpoint, and follows the sources until `stop()`. Throws `INVALID_OPTION` for bad
 * options and `STORE_LOCKED` when the store is locked by another writer.
 *
 * @example
 * const c = await startCollector({ store: '/var/lib/lethe', containerDirs: ['/var/log/containers'], nodeFiles: [{ path: '/var/log/syslog', node: 'node-a' }] });
 * process.on('SIGTERM', () => void c.stop());
 */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  if ((options.containerDirs ?? []).length === 0 && (options.nodeFiles ?? []).length === 0) {
    throw new LetheQLError('INVALID_OPTION', 'nothing to collect: give container log directories and/or node log files');
  }
  for (const n of options.nodeFiles ?? []) {
    if (n.node !== undefined) {
      const p = labelProblem(n.node, true);
      if (p) throw new LetheQLError('INVALID_OPTION', `invalid node ${JSON.stringify(n.node)}: ${p}`);
    }
    if ((n.format ?? 'syslog') === 'raw' && n.node === undefined) throw new LetheQLError('INVALID_OPTION', `raw node log ${n.path} needs a node name`);
  }
  for (const [name, v] of [
    ['pollMs', options.pollMs],
    ['readChunkBytes', options.readChunkBytes],
    ['maxBatchBytes', options.maxBatchBytes],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new LetheQLError('INVALID_OPTION', `invalid ${name} ${v}: expected a positive number`);
  }
  const writer = await openStoreWriter(options.store, { fsync: options.fsync ?? 'batch' });
  let publisher: LinePublisher | null = null;
  let c: CollectorImpl;
  try {
    // The NATS client is loaded only when publishing.
    if (options.publish) publisher = await (await import('./nats-publisher.js')).openPublisher(writer.root, options.publish, (e) => options.onEvent?.(e));
    c = new CollectorImpl(writer, options, publisher);
    await c.start();
  } catch (err) {
    await publisher?.close().catch(() => undefined);
    await writer.close().catch(() => undefined);
    throw err;
  }
  return c;
}
