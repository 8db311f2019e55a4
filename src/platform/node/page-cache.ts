/**
 * A bounded page cache on local disk (`--cache-dir`, `--cache-size`) for stores read through
 * a storage driver ({@link PageCache} of `store/object-source.ts`).
 *
 * - Entries are immutable byte strings whose key names the object's ETag (pages of an
 *   object version, its sidecar, its shipped mtime): an entry can never be stale, so there
 *   is no invalidation, only eviction.
 * - Each entry is one file, `<dir>/<2 hex>/<sha-256 of the key>`, written to a temporary
 *   name and renamed into place: a reader (in this or another process sharing the directory)
 *   sees a whole entry or none.
 * - The bound is on the bytes of the entries: the directory is scanned once on first use,
 *   a hit refreshes the entry's mtime, and a put that takes the total over `maxBytes` deletes
 *   the least recently used entries (oldest mtime first) down to 90 % of it. Processes
 *   sharing a directory each keep their own count, so the bound holds per process and is
 *   approximate across them; entries deleted by another process are simply misses.
 * - A cache failure (full disk, permissions) never fails a query: a get that fails is a
 *   miss and a put that fails is dropped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageCache } from '../../store/object-source.js';

/** Default `--cache-size`: 1 GiB. */
export const DEFAULT_CACHE_BYTES = 1 << 30;

/** A {@link PageCache} in a directory, at most `maxBytes` of entries; see the note at the top. */
export class DiskPageCache implements PageCache {
  readonly dir: string;
  readonly maxBytes: number;
  /** Entry path → [bytes, last use ms]; null until the directory has been scanned. */
  #entries: Map<string, { size: number; used: number }> | null = null;
  #scanning: Promise<void> | null = null;
  #total = 0;
  #evicting = false;
  /** Hits and misses since this cache was made. */
  readonly counters = { hits: 0, misses: 0, puts: 0, evicted: 0 };

  constructor(dir: string, maxBytes: number = DEFAULT_CACHE_BYTES) {
    this.dir = dir;
    this.maxBytes = maxBytes;
  }

  #path(key: string): string {
    const h = createHash('sha256').update(key).digest('hex');
    return join(this.dir, h.slice(0, 2), h);
  }

  /** Scans the directory once: the sizes and mtimes of the entries already there. */
  #scan(): Promise<void> {
    return (this.#scanning ??= (async () => {
      const entries = new Map<string, { size: number; used: number }>();
      let total = 0;
      await mkdir(this.dir, { recursive: true });
      for (const sub of await readdir(this.dir).catch(() => [] as string[])) {
        if (!/^[0-9a-f]{2}$/.test(sub)) continue;
        for (const name of await readdir(join(this.dir, sub)).catch(() => [] as string[])) {
          const p = join(this.dir, sub, name);
          if (name.includes('.tmp')) {
            await rm(p, { force: true }).catch(() => undefined); // left by a killed writer
            continue;
          }
          const s = await stat(p).catch(() => null);
          if (!s?.isFile()) continue;
          entries.set(p, { size: s.size, used: s.mtimeMs });
          total += s.size;
        }
      }
      this.#entries = entries;
      this.#total = total;
    })());
  }

  async get(key: string): Promise<Uint8Array | null> {
    await this.#scan();
    const p = this.#path(key);
    try {
      const bytes = await readFile(p);
      const now = Date.now();
      const e = this.#entries!.get(p);
      if (e) e.used = now;
      else {
        this.#entries!.set(p, { size: bytes.length, used: now });
        this.#total += bytes.length;
      }
      void utimes(p, now / 1000, now / 1000).catch(() => undefined);
      this.counters.hits++;
      return bytes;
    } catch {
      this.counters.misses++;
      return null;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    if (bytes.length > this.maxBytes) return;
    await this.#scan();
    const p = this.#path(key);
    if (this.#entries!.has(p)) return;
    const tmp = `${p}.tmp${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(tmp, bytes);
      await rename(tmp, p);
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
      return;
    }
    this.counters.puts++;
    this.#entries!.set(p, { size: bytes.length, used: Date.now() });
    this.#total += bytes.length;
    if (this.#total > this.maxBytes) await this.#evict();
  }

  /** Deletes least recently used entries until the total is at most 90 % of the bound. */
  async #evict(): Promise<void> {
    if (this.#evicting) return;
    this.#evicting = true;
    try {
      const goal = Math.floor(this.maxBytes * 0.9);
      const byAge = [...this.#entries!.entries()].sort((a, b) => a[1].used - b[1].used);
      for (const [p, e] of byAge) {
        if (this.#total <= goal) break;
        this.#entries!.delete(p);
        this.#total -= e.size;
        this.counters.evicted++;
        await rm(p, { force: true }).catch(() => undefined);
      }
    } finally {
      this.#evicting = false;
    }
  }

  /** Bytes of the entries this process knows of. */
  get totalBytes(): number {
    return this.#total;
  }
}
