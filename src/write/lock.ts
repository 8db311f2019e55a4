/**
 * One writer per store: an exclusive lock file, `<store>/.letheql/writer.lock`.
 *
 * Why: opening a writer cuts torn last lines; a second process appending at that moment
 * could have its in-flight line cut. Appends themselves would be safe (O_APPEND, one write
 * per line batch), the repair is not.
 *
 * The lock is a file created with O_EXCL holding `{"pid","host","since"}`. A lock left by a
 * process that died (SIGKILL, power loss) is taken over when its host is this host and its
 * pid is no longer alive; a lock from another host is never taken over (remove it by hand).
 * Node-only.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LetheQLError } from '../errors.js';
import { errnoCode, LOCK_FILE, metaDir } from './layout.js';

interface LockContent {
  pid: number;
  host: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM'; // exists, owned by someone else
  }
}

/** A held lock; `release()` removes the file. */
export interface StoreLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the writer lock of the store at `root`. Throws `STORE_LOCKED` naming the holder when a
 * live process (or another host) holds it.
 */
export async function acquireStoreLock(root: string): Promise<StoreLock> {
  const dir = metaDir(root);
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const content: LockContent = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      try {
        await fh.writeFile(JSON.stringify(content) + '\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw new LetheQLError('IO_ERROR', `cannot create the writer lock ${path}: ${(err as Error).message}`);
    }
    let holder: Partial<LockContent> = {};
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as Partial<LockContent>;
    } catch {
      // Unreadable or half-written: a writer died while creating it (it fsyncs before use).
    }
    const stale = holder.pid === undefined || (holder.host === content.host && !isAlive(holder.pid));
    if (!stale) {
      throw new LetheQLError(
        'STORE_LOCKED',
        `store ${root} is being written by pid ${holder.pid} on ${holder.host} (since ${holder.since}); one writer per store (remove ${path} if that process is gone)`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new LetheQLError('STORE_LOCKED', `cannot take the writer lock ${path}: another writer keeps taking it`);
}
