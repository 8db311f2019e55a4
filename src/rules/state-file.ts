/**
 * The ruler's state file: alert state and last evaluation times as one small JSON document,
 * so that a restart neither re-fires an alert (its `firedAt` and last send are kept) nor
 * forgets a pending `for` timer (its `activeAt` is kept), and does not evaluate a tick twice.
 *
 * Written after every group evaluation to a temporary file beside it, then renamed over it:
 * a crash mid-write leaves the previous state, never a torn file. A file that cannot be read
 * as state is an error at start-up (the ruler does not silently start from nothing).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { LetheQLError } from '../errors.js';
import type { RulerSnapshot, RulerStateStore } from './ruler.js';

/** A {@link RulerStateStore} in the file `path`. */
export class StateFile implements RulerStateStore {
  private writing: Promise<void> = Promise.resolve();
  constructor(readonly path: string) {}

  async load(): Promise<RulerSnapshot | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new LetheQLError('IO_ERROR', `cannot read the ruler state file ${this.path}: ${(e as Error).message}`);
    }
    let snap: RulerSnapshot;
    try {
      snap = JSON.parse(text) as RulerSnapshot;
    } catch (e) {
      throw new LetheQLError('INVALID_OPTION', `the ruler state file ${this.path} is not JSON (${(e as Error).message}); move it away to start from no state`);
    }
    if (snap?.version !== 1 || typeof snap.groups !== 'object') throw new LetheQLError('INVALID_OPTION', `the ruler state file ${this.path} is not a version 1 state; move it away to start from no state`);
    return snap;
  }

  /** Saves; concurrent saves (groups evaluating at once) are written one after the other, the last one last. */
  save(snapshot: RulerSnapshot): Promise<void> {
    const text = JSON.stringify(snapshot);
    this.writing = this.writing.then(async () => {
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
