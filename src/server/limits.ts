/**
 * Admission control for queries: at most `maxConcurrentQueries` run at once, at most
 * `maxQueuedQueries` wait (first come, first served), and any further one is refused at once
 * with 429 naming the limits. A waiting query whose signal aborts (timeout, client gone)
 * leaves the queue without ever running.
 *
 * A slot is held until the engine has really finished (not merely until the HTTP answer was
 * sent): a timed-out query keeps its slot until its scan notices the abort, so the limit
 * bounds actual work, not answered requests.
 */
import { limitError } from './errors.js';

interface Waiter {
  grant: () => void;
  fail: (reason: unknown) => void;
}

export class QueryLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxQueued: number,
  ) {}

  /** Queries running now. */
  get active(): number {
    return this.running;
  }

  /** Queries waiting for a slot now. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Waits for a slot (or throws 429 when the queue is full, or the signal's reason when it
   * aborts first) and returns the function that gives the slot back. Call it exactly once.
   */
  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.running < this.maxRunning) {
      this.running++;
      return this.releaser();
    }
    if (this.queue.length >= this.maxQueued) {
      throw limitError(
        429,
        'maxConcurrentQueries',
        `too many queries: ${this.running} running (limit maxConcurrentQueries=${this.maxRunning}) and ${this.queue.length} waiting (limit maxQueuedQueries=${this.maxQueued}); retry later`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // Hand the slot straight to the next waiter: `running` stays the same.
      if (next) next.grant();
      else this.running--;
    };
  }
}
