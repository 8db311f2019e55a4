/**
 * A bounded send queue with retries, one per destination (an Alertmanager, a remote-write
 * endpoint): what lets the ruler hand things off without ever waiting on the network.
 *
 * `push()` appends and returns; one loop posts what is queued, `batchSize` items a request.
 * A failed post is retried with exponential back-off (`initialBackoffMs` doubling to
 * `maxBackoffMs`) while newer items queue behind, unless the error says retrying cannot help
 * ({@link PermanentSendError}: a 4xx other than 429), which drops the batch and counts it. A
 * full queue drops its oldest items and counts them.
 */

/** A post that retrying cannot fix (the receiver refused the content): the batch is dropped. */
export class PermanentSendError extends Error {}

export interface RetryQueueOptions {
  maxQueue: number;
  batchSize: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Called with each failed attempt (for logs). */
  onError?: (url: string, message: string) => void;
}

/** Counts per destination. */
export interface SendStats {
  url: string;
  sent: number;
  failedAttempts: number;
  dropped: number;
  queued: number;
  lastError: string;
}

/** Throws a {@link PermanentSendError} for a 4xx other than 429, an Error for anything else not 2xx. */
export async function checkResponse(url: string, res: Response): Promise<void> {
  if (res.ok) {
    await res.arrayBuffer();
    return;
  }
  const message = `${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200).trim()}`;
  throw res.status >= 400 && res.status < 500 && res.status !== 429 ? new PermanentSendError(message) : new Error(message);
}

export class RetryQueue<T> {
  private queue: T[] = [];
  readonly stats: SendStats;
  private running: Promise<void> | null = null;
  private idle: (() => void)[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly post: (batch: T[]) => Promise<void>,
    private readonly opts: RetryQueueOptions,
  ) {
    this.stats = { url, sent: 0, failedAttempts: 0, dropped: 0, queued: 0, lastError: '' };
  }

  get length(): number {
    return this.queue.length;
  }

  push(items: readonly T[]): void {
    if (this.closed) return;
    this.queue.push(...items);
    const over = this.queue.length - this.opts.maxQueue;
    if (over > 0) {
      this.queue.splice(0, over);
      this.stats.dropped += over;
    }
    this.stats.queued = this.queue.length;
    this.running ??= this.loop().finally(() => {
      this.running = null;
      for (const f of this.idle.splice(0)) f();
    });
  }

  /** Resolves when the queue is empty (or closed). */
  drained(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops retrying; queued items are dropped. */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = this.opts.initialBackoffMs;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, this.opts.batchSize);
      try {
        await this.post(batch);
        this.queue.splice(0, batch.length);
        this.stats.sent += batch.length;
        backoff = this.opts.initialBackoffMs;
      } catch (e) {
        this.stats.failedAttempts++;
        this.stats.lastError = (e as Error).message;
        this.opts.onError?.(this.url, this.stats.lastError);
        if (e instanceof PermanentSendError) {
          this.queue.splice(0, batch.length);
          this.stats.dropped += batch.length;
        } else {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, backoff);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = null;
          backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
        }
      }
      this.stats.queued = this.queue.length;
    }
  }
}

/** Waits for every queue to drain or `timeoutMs`; true when all are empty. */
export async function flushQueues(queues: readonly Pick<RetryQueue<never>, "drained" | "length">[], timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const done = await Promise.race([Promise.all(queues.map((q) => q.drained())).then(() => 'done' as const), timeout]);
  clearTimeout(timer);
  return done === 'done' && queues.every((q) => q.length === 0);
}
