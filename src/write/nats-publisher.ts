/**
 * The NATS JetStream side of `publish.ts`: one connection, made lazily and remade after it
 * closes, and a publish that does not give up. Node-only; loaded only when publishing is
 * configured (the `@nats-io/*` client is not part of a query's start-up).
 *
 * A batch is published with up to {@link WINDOW} PubAcks outstanding. Any failure (no
 * connection, a PubAck timeout, no stream answering) fails the attempt; the whole batch is
 * then published again after a back-off (250 ms doubling to 10 s by default), each retry
 * reported as an event, until JetStream has acknowledged every message. Messages already
 * stored come back as duplicates (`Nats-Msg-Id`), so a retry costs bandwidth, never a copy.
 * Before the first publish on a connection, and after a failed attempt, the stream is looked
 * up and created when missing (see {@link PublishOptions.stream}).
 */
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { LetheQLError } from '../errors.js';
import { backoffMs, checkNatsUrl, checkSubjectPrefix, defaultStreamName, messagesOf, type LinePublisher, type OutgoingMessage, type PublishEvent, type PublishOptions, type StoredAppend } from './publish.js';
import { storeId } from './layout.js';

/** PubAcks outstanding at once. */
const WINDOW = 256;

/** Room left for headers and protocol under the server's `max_payload`. */
const HEADER_ROOM = 4096;

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `work`, or a rejection as soon as `signal` aborts (the work itself is left to finish). */
function raceAbort<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/**
 * Opens a JetStream publisher for the store at `root` (the connection is made by the first
 * publish, so a NATS server that is down does not fail the start: it is retried like any
 * failed publish).
 */
export async function openPublisher(root: string, options: PublishOptions, onEvent: (e: PublishEvent) => void = () => undefined): Promise<LinePublisher> {
  checkNatsUrl(options.url);
  checkSubjectPrefix(options.subject);
  return new NatsPublisher(await storeId(root), options, onEvent);
}

/** @internal made by {@link openPublisher} */
export class NatsPublisher implements LinePublisher {
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private streamChecked = false;
  private closed = false;
  private readonly stream: string;

  constructor(
    private readonly storeId: string,
    private readonly options: PublishOptions,
    private readonly onEvent: (e: PublishEvent) => void,
  ) {
    this.stream = options.stream ?? defaultStreamName(options.subject);
  }

  async publish(appends: readonly StoredAppend[], opts: { signal?: AbortSignal; deadlineMs?: number } = {}): Promise<{ stored: number; duplicates: number }> {
    const messages = messagesOf(this.storeId, this.options.subject, appends);
    if (messages.length === 0) return { stored: 0, duplicates: 0 };
    const until = opts.deadlineMs === undefined ? Infinity : Date.now() + opts.deadlineMs;
    let failures = 0;
    for (;;) {
      if (this.closed) throw new LetheQLError('IO_ERROR', 'the NATS publisher is closed');
      try {
        // An attempt waits for its PubAcks no longer than the deadline leaves.
        const ackMs = Math.max(100, Math.min(this.options.ackTimeoutMs ?? 5000, until - Date.now()));
        const r = await raceAbort(this.attempt(messages, ackMs), opts.signal);
        if (failures > 0) this.onEvent({ type: 'publish-resumed', attempts: failures + 1 });
        return r;
      } catch (err) {
        if (opts.signal?.aborted) throw abortError(opts.signal);
        failures++;
        this.streamChecked = false;
        if (this.nc?.isClosed()) this.drop();
        const delayMs = backoffMs(failures, this.options.minBackoffMs ?? 250, this.options.maxBackoffMs ?? 10_000);
        const message = `NATS ${this.options.url}: ${(err as Error).message || String(err)}`;
        if (Date.now() + delayMs > until) {
          this.onEvent({ type: 'publish-gave-up', attempts: failures, message });
          throw new LetheQLError('IO_ERROR', `${message} (gave up after ${failures} attempts)`);
        }
        this.onEvent({ type: 'publish-retry', attempt: failures, delayMs, message });
        await sleep(delayMs, opts.signal);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.drop();
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  private drop(): void {
    this.nc = null;
    this.js = null;
  }

  /** One try at the whole batch. */
  private async attempt(messages: readonly OutgoingMessage[], ackMs: number): Promise<{ stored: number; duplicates: number }> {
    const js = await this.client();
    const maxBody = Math.max(1024, (this.nc?.info?.max_payload ?? 1 << 20) - HEADER_ROOM);
    let stored = 0;
    let duplicates = 0;
    for (let i = 0; i < messages.length; i += WINDOW) {
      const acks = await Promise.all(
        messages.slice(i, i + WINDOW).map((m) => {
          const h = headers();
          for (const [k, v] of m.headers) h.set(k, v);
          let body = m.body;
          // A line longer than NATS takes would block publishing forever: cut it, and say so.
          if (body.length > maxBody) {
            h.set('Lethe-Truncated', String(body.length));
            body = body.subarray(0, maxBody);
          }
          return js.publish(m.subject, body, { msgID: m.msgId, headers: h, timeout: ackMs });
        }),
      );
      for (const a of acks) {
        if (a.duplicate) duplicates++;
        else stored++;
      }
    }
    return { stored, duplicates };
  }

  /** The JetStream client, connecting (and checking the stream) when needed. */
  private async client(): Promise<JetStreamClient> {
    if (this.nc === null || this.nc.isClosed()) {
      this.drop();
      const nc = await connect({
        servers: this.options.url.split(',').map((s) => s.trim()),
        name: 'letheql',
        // Reconnects are the client's once connected; a first connect that fails is ours to retry.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        timeout: 3000,
      });
      this.nc = nc;
      this.js = jetstream(nc, { timeout: this.options.ackTimeoutMs ?? 5000 });
      this.streamChecked = false;
    }
    if (!this.streamChecked) {
      await this.ensureStream();
      this.streamChecked = true;
    }
    return this.js!;
  }

  /** Finds a stream capturing `<prefix>.>`; creates {@link stream} when there is none. */
  private async ensureStream(): Promise<void> {
    const jsm = await jetstreamManager(this.nc!, { timeout: this.options.ackTimeoutMs ?? 5000 });
    const subjects = [`${this.options.subject}.>`];
    for await (const name of jsm.streams.names(subjects[0])) {
      if (name) return;
    }
    await jsm.streams.add({ name: this.stream, subjects });
    this.onEvent({ type: 'stream-created', stream: this.stream, subjects });
  }
}
