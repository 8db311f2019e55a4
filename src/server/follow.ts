/**
 * Following the store's files for live tail: lines that another process appends (a
 * `letheql collect`, fluent-bit) reach tails too, not only lines pushed to this server.
 *
 * What it owns: while at least one tail is open, it polls the hour files that can still grow
 * (the current and the previous UTC hour of every target) every `intervalMs`, reads what was
 * appended since the last poll — whole lines only; a partial last line waits for its `\n` —
 * and hands those bytes, by store path, to the tail hub, which matches them with the engine.
 * Sizes are taken when following starts, so a new tail sees new lines only.
 *
 * Lines this server appends itself (push) are published by the push route at once; it writes
 * them through {@link StoreFollower.ownAppend}, which runs the append with no poll in between
 * and then skips its bytes, so they are not published twice. (Before that lock a poll could
 * read a push's bytes between the write and the note, or meet a file the push had just
 * created, and publish the push again.) One writer holds a store's lock, so every byte
 * appended while the server's writer is open is its own; a writer that ignores the lock is
 * followed on a best-effort basis: its bytes in a file that the server's push created before
 * the follower met it are not tailed (documented, not guarded).
 */
import { LOG_TYPES, type LogType } from '../model.js';
import { formatHourFileName } from '../store/hours.js';
import type { ChunkSource } from '../store/types.js';
import { nowNs } from '../time.js';

const HOUR_NS = 3_600_000_000_000n;

/** Newly appended whole lines, by store path (`pod/<ns>/YYYY-MM-DD_HH.log`). */
export type AppendedFiles = Record<string, Uint8Array>;

export class StoreFollower {
  /** Bytes of each followed file already seen (published, skipped at start, or our own). */
  private readonly seen = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> = Promise.resolve();
  private active = false;
  /** Serialises polls and the server's own appends (see the module note). */
  private lock: Promise<unknown> = Promise.resolve();
  /** Own bytes appended to files the follower has not met yet: skipped when it meets them. */
  private readonly ownUnseen = new Map<string, number>();

  constructor(
    private readonly source: ChunkSource,
    private readonly publish: (files: AppendedFiles) => Promise<void>,
    private readonly intervalMs = 1000,
    private readonly now: () => bigint = nowNs,
  ) {}

  /** Starts polling (sizes are taken first, so only lines appended from now on are published). */
  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    this.seen.clear();
    this.ownUnseen.clear();
    await this.poll(false);
    this.schedule();
  }

  /**
   * Runs the server's own `append` of `files` (store paths and byte counts) with no poll in
   * between, then notes its bytes as seen: the caller publishes them itself.
   */
  ownAppend(files: readonly { path: string; bytes: number }[], append: () => Promise<void>): Promise<void> {
    return this.exclusive(async () => {
      await append();
      for (const f of files) this.noteOwnAppend(f.path, f.bytes);
    });
  }

  /** Stops polling; waits for a poll in progress. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The server appended `bytes` to `path` itself (and published them): skip them. Call it under {@link ownAppend}'s lock. */
  private noteOwnAppend(path: string, bytes: number): void {
    if (!this.active) return;
    const seen = this.seen.get(path);
    if (seen !== undefined) this.seen.set(path, seen + bytes);
    else this.ownUnseen.set(path, (this.ownUnseen.get(path) ?? 0) + bytes);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Runs one poll now (tests; also what the timer does). */
  pollNow(): Promise<void> {
    return this.poll(true);
  }

  private schedule(): void {
    if (!this.active) return;
    this.timer = setTimeout(() => {
      this.running = this.poll(true).finally(() => this.schedule());
    }, this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** The file names that can still grow: this hour's and the previous one's. */
  private hotNames(): Set<string> {
    const hour = (this.now() / HOUR_NS) * HOUR_NS;
    return new Set([formatHourFileName(hour), formatHourFileName(hour - HOUR_NS)]);
  }

  private poll(publish: boolean): Promise<void> {
    return this.exclusive(() => this.pollFiles(publish));
  }

  private async pollFiles(publish: boolean): Promise<void> {
    const names = this.hotNames();
    const out: AppendedFiles = {};
    for (const logType of Object.keys(LOG_TYPES) as LogType[]) {
      let targets: string[];
      try {
        targets = await this.source.listTargets(logType);
      } catch {
        continue; // a store being rotated under us: try again next time
      }
      for (const target of targets) {
        const files = await this.source.listFiles(logType, target, (n) => names.has(n)).catch(() => []);
        for (const f of files) {
          const path = `${logType}/${target}/${f.name}`;
          const seen = this.seen.get(path);
          if (!publish || seen === undefined) {
            // A file met for the first time while following is new: all of it is news, unless
            // the server created it with a push (its bytes were published then).
            const own = this.ownUnseen.get(path);
            this.ownUnseen.delete(path);
            this.seen.set(path, !publish || own !== undefined ? f.size : 0);
            if (!publish || own !== undefined || f.size === 0) continue;
          }
          const from = this.seen.get(path)!;
          if (f.size < from) {
            this.seen.set(path, f.size); // truncated or replaced: follow from its new end
            continue;
          }
          if (f.size === from) continue;
          const bytes = await this.readWholeLines(logType, target, f.name, from, f.size);
          if (bytes.length === 0) continue;
          this.seen.set(path, from + bytes.length);
          out[path] = bytes;
        }
      }
    }
    // Forget files that went cold (the hour moved on).
    for (const path of [...this.seen.keys()]) if (!names.has(path.slice(path.lastIndexOf('/') + 1))) this.seen.delete(path);
    for (const path of [...this.ownUnseen.keys()]) if (!names.has(path.slice(path.lastIndexOf('/') + 1))) this.ownUnseen.delete(path);
    if (publish && Object.keys(out).length > 0) await this.publish(out);
  }

  /** `[from, to)` of a file, cut after its last `\n` (a partial line waits for the next poll). */
  private async readWholeLines(logType: LogType, target: string, name: string, from: number, to: number): Promise<Uint8Array> {
    let reader;
    try {
      reader = await this.source.open(logType, target, name);
    } catch {
      return new Uint8Array(0);
    }
    try {
      const buf = new Uint8Array(to - from);
      let got = 0;
      while (got < buf.length) {
        const n = await reader.read(buf.subarray(got), from + got);
        if (n === 0) break;
        got += n;
      }
      const last = buf.subarray(0, got).lastIndexOf(0x0a);
      return last < 0 ? new Uint8Array(0) : buf.subarray(0, last + 1);
    } finally {
      await reader.close();
    }
  }
}
