/**
 * The filesystem storage driver (Node side): a directory as a {@link StorageDriver}, so that
 * anything written for object stores — {@link ObjectChunkSource}, `ship`, retention on
 * drivers — also works on a local or mounted directory (a backup on NFS, a test without an
 * S3 server). Queries of a local store keep using `FsChunkSource`, whose synchronous reads
 * in scan workers this driver does not try to match.
 *
 * - Keys are store-relative paths; every segment must be a safe name (no `..`, no `/`
 *   inside a segment), so no key leads outside the root.
 * - ETag: the file's size, mtime and inode (`<size>-<mtimeMs>-<ino>`): a file rewritten in
 *   place or replaced by rename gets another one, which is what pinning a read needs.
 * - `put` writes a temporary file in the target directory and renames it into place: the
 *   object appears whole or not at all, as in S3. User metadata lives beside the data, under
 *   `<root>/.letheql/objmeta/<key>.json` (written before the rename), where the Lethe layout
 *   and queries never look.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DriverError, type ObjectHead, type ObjectInfo, type PutRequest, type StorageDriver } from '../../store/driver.js';
import { compareNames, isSafeName } from '../../store/paths.js';

const META_DIR = '.letheql/objmeta';

function notFound(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A directory as a {@link StorageDriver}; see the note at the top. */
export class FsStorageDriver implements StorageDriver {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = this.root;
  }

  #path(key: string, base = this.root): string {
    const parts = key.split('/');
    if (parts.some((p) => !isSafeName(p) && p !== '.letheql')) throw new DriverError('bad-request', `invalid key ${JSON.stringify(key)}`);
    return join(base, ...parts);
  }

  async #info(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.#path(key));
      if (!s.isFile()) return null;
      return { key, size: s.size, etag: `${s.size}-${s.mtimeMs}-${s.ino}`, lastModifiedMs: s.mtimeMs };
    } catch (e) {
      if (notFound(e)) return null;
      throw new DriverError('io', `cannot stat ${this.root}/${key}: ${(e as Error).message}`);
    }
  }

  async listDir(dir: string): Promise<{ files: ObjectInfo[]; dirs: string[] }> {
    const base = dir === '' ? this.root : this.#path(dir.replace(/\/$/, ''));
    let names: string[];
    try {
      names = await readdir(base);
    } catch (e) {
      if (notFound(e)) return { files: [], dirs: [] };
      throw new DriverError('io', `cannot list ${base}: ${(e as Error).message}`);
    }
    const files: ObjectInfo[] = [];
    const dirs: string[] = [];
    for (const n of names.sort(compareNames)) {
      if (!isSafeName(n) && n !== '.letheql') continue;
      if (dir === '.letheql/' && n === 'objmeta') continue; // the driver's own metadata, not objects
      const s = await stat(join(base, n)).catch(() => null);
      if (s?.isDirectory()) dirs.push(n);
      else if (s?.isFile()) files.push({ key: dir + n, size: s.size, etag: `${s.size}-${s.mtimeMs}-${s.ino}`, lastModifiedMs: s.mtimeMs });
    }
    return { files, dirs };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      const { files, dirs } = await this.listDir(dir);
      out.push(...files);
      for (const d of dirs) await walk(`${dir}${d}/`);
    };
    await walk(prefix);
    return out.sort((a, b) => compareNames(a.key, b.key));
  }

  async stat(key: string): Promise<ObjectHead | null> {
    const info = await this.#info(key);
    if (!info) return null;
    const meta = await readFile(this.#path(key, join(this.root, META_DIR)) + '.json', 'utf8').then(
      (t) => JSON.parse(t) as Record<string, string>,
      () => ({}),
    );
    return { ...info, metadata: meta };
  }

  async read(key: string, offset: number, length: number, etag?: string): Promise<Uint8Array> {
    let fh;
    try {
      fh = await open(this.#path(key), 'r');
    } catch (e) {
      if (notFound(e)) throw new DriverError('not-found', `no such object: ${this.root}/${key}`);
      throw new DriverError('io', `cannot read ${this.root}/${key}: ${(e as Error).message}`);
    }
    try {
      const s = await fh.stat();
      if (etag !== undefined && `${s.size}-${s.mtimeMs}-${s.ino}` !== etag) throw new DriverError('changed', `object changed while being read: ${this.root}/${key}`);
      const buf = new Uint8Array(Math.max(0, Math.min(length, s.size - offset)));
      let n = 0;
      while (n < buf.length) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, offset + n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  async get(key: string): Promise<{ bytes: Uint8Array; head: ObjectHead } | null> {
    const head = await this.stat(key);
    if (!head) return null;
    try {
      return { bytes: await this.read(key, 0, head.size, head.etag), head };
    } catch (e) {
      if (e instanceof DriverError && e.kind === 'not-found') return null;
      throw e;
    }
  }

  async put(key: string, req: PutRequest): Promise<void> {
    const path = this.#path(key);
    const metaPath = this.#path(key, join(this.root, META_DIR)) + '.json';
    const tmp = `${path}.tmp${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await mkdir(dirname(metaPath), { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        for (let at = 0; at < req.size; at += 16 << 20) {
          const chunk = await req.read(at, Math.min(req.size, at + (16 << 20)));
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await writeFile(metaPath, JSON.stringify(req.metadata ?? {}));
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (e instanceof DriverError) throw e;
      throw new DriverError('io', `cannot write ${this.root}/${key}: ${(e as Error).message}`);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      await rm(this.#path(key), { force: true });
      await rm(this.#path(key, join(this.root, META_DIR)) + '.json', { force: true });
    }
  }

  async check(): Promise<void> {
    const s = await stat(this.root).catch(() => null);
    if (!s?.isDirectory()) throw new DriverError('no-bucket', `store not found: ${this.root} (no such directory)`);
  }
}
