/**
 * The write side of the Loki dialect: `POST /loki/api/v1/push` and the live tail
 * `GET /loki/api/v1/tail` (WebSocket), which see each other through a {@link TailHub}.
 *
 * Push: the body is read raw (every Content-Type, capped at `maxPushBytes` by fastify's
 * body limit → 413), decoded and mapped (`push.ts`: streams and entries that cannot be
 * stored are refused alone, the rest is kept), appended (resolves once durable under the
 * fsync policy), then handed to the tail hub. The answer is 204 No Content, as Loki's, when
 * everything was stored as sent; 200 with `{"status":"success","data":{…}}` counting the
 * streams mapped and labels dropped when the label rule had to be used; 400 with the error
 * body plus the same `data` and a `refused` list (stream, entries, reason, message) when
 * something was refused — the other streams are written, as Loki's distributor does. The writer is opened on the first push, not at start-up, so a
 * server that never receives a push never takes the store's writer lock (a collector may own
 * it); when the lock is held by another process, pushes answer 503 and the next push tries
 * again. Over a store set (several stores) there is no single store to write: 503.
 *
 * Tail: the query must be a log selector (no range or offset), planned once to reject bad
 * labels or regexes before the upgrade (400 JSON, then no WebSocket). After the upgrade the
 * client first gets the last `limit` lines (default 100) of `[start, now]` (`start` default
 * one hour ago), oldest first, then every matching pushed line as it is acknowledged.
 * Messages are Loki's `{"streams":[{"stream":{…},"values":[["<ns>","<line>"]]}],"dropped_entries":[]}`.
 * Lines pushed while the history query runs are held back and sent after it (a line in
 * both may arrive twice: best effort, as Loki's own tail is).
 *
 * A tail is a query, and every query limit applies: `limit` above `maxLines` is refused as
 * at `query_range` (400, Loki's words); the history's planned bytes over `maxBytesScanned`
 * are refused (422) — both before the upgrade; the history takes a query slot
 * (`maxConcurrentQueries`), runs under `queryTimeout`, and more than `maxSeries` streams
 * close the socket (1008) naming the limit. Messages are cut at {@link MAX_FRAME_BYTES}
 * (`tailFrames`), and a client that does not read is closed (1013). Close reasons are the
 * client-safe messages of `errors.ts` (an internal failure sends its id, not its text).
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { isStoreSet } from '../store/federated-source.js';
import { LetheQLError } from '../errors.js';
import { NS_PER_HOUR } from '../time.js';
import { openStoreWriter, groupByFile, type FileAppend, type FsyncPolicy, type StoreWriter } from '../write/store-writer.js';
import type { LinePublisher, PublishEvent } from '../write/publish.js';
import type { PushPublishSettings } from './config.js';
import { badData, errorBody, HttpError, limitError, toHttpError } from './errors.js';
import { checkBytes, checkSeries, withSlot } from './evaluate.js';
import { lokiLimit } from './loki-routes.js';
import { parseLokiQuery } from './loki-selectors.js';
import type { ServiceNameRule } from './service-name.js';
import { collectParams, lokiTime, param, requireQuery } from './params.js';
import { checkPushWrite, decodePush, DEFAULT_PUSH_LABEL_RULE, MAX_LISTED_REFUSALS, planPush, refusalMessage, type PushLabelRule } from './push.js';
import { lokiStreams, type LokiStream } from './responses.js';
import type { RouteEnv } from './route-env.js';
import { StoreFollower } from './follow.js';
import { MAX_BUFFERED_BYTES, TailHub, tailFrames, type TailSubscriber } from './tail.js';
import type { Expr } from '../query/ast.js';
import { unparen } from '../query/shape.js';

/** Push settings. */
export interface PushSettings {
  enabled: boolean;
  fsync: FsyncPolicy;
  /** The store directory; absent: push is unavailable. */
  storeDir?: string;
  /** How streams without Lethe's labels are mapped (default {@link DEFAULT_PUSH_LABEL_RULE}). */
  labels?: PushLabelRule;
  /** Also publish every pushed line to NATS JetStream (`push.publish`, `--publish`). */
  publish?: PushPublishSettings;
}


/** Owns the lazily opened writer and the tail hub. */
export class LiveIngest {
  readonly tails = new TailHub();
  /** Follows the store files while tails are open, for lines other processes append. */
  readonly follower: StoreFollower | null;
  private writer: Promise<StoreWriter> | null = null;
  private publisher: Promise<LinePublisher> | null = null;
  /** Aborted on shutdown: a push still waiting for NATS then answers 503 instead of holding the shutdown up. */
  private readonly shutdown = new AbortController();
  /** Open tail sockets, closed on shutdown. */
  readonly sockets = new Set<WebSocket>();
  /** The push label rule in force. */
  get labelRule(): PushLabelRule {
    return this.settings.labels ?? DEFAULT_PUSH_LABEL_RULE;
  }

  constructor(
    private readonly env: RouteEnv,
    private readonly settings: PushSettings,
    followIntervalMs = 1000,
    private readonly onPublishEvent: (e: PublishEvent) => void = () => undefined,
  ) {
    const source = env.ctx.store.source;
    this.follower = isStoreSet(source) ? null : new StoreFollower(source, (files) => this.tails.publishFiles(files), followIntervalMs, () => env.now());
  }

  /** Adds a tail: the first one starts following the store's files, the last one to leave stops it. */
  async subscribe(sub: TailSubscriber): Promise<() => void> {
    // Sizes are taken before the tail counts as open, so nothing appended after that is missed.
    if (this.tails.size === 0) await this.follower?.start();
    const unsubscribe = this.tails.subscribe(sub);
    return () => {
      unsubscribe();
      if (this.tails.size === 0) void this.follower?.stop();
    };
  }

  private unavailable(): string | null {
    if (!this.settings.enabled) return 'push is disabled on this server (push.enabled=false)';
    if (isStoreSet(this.env.ctx.store.source)) return 'push needs a single store, and this server reads a store set';
    if (this.settings.storeDir === undefined) return 'push is unavailable: the server has no store directory to write to';
    return null;
  }

  /** The writer, opened on first use; a failed open is retried by the next push. */
  getWriter(): Promise<StoreWriter> {
    const why = this.unavailable();
    if (why !== null) return Promise.reject(new HttpError(503, 'unavailable', why));
    if (this.writer === null) {
      const opening = openStoreWriter(this.settings.storeDir!, { fsync: this.settings.fsync, repair: 'on-append', create: false });
      this.writer = opening;
      opening.catch(() => {
        if (this.writer === opening) this.writer = null;
      });
    }
    return this.writer;
  }

  /** Whether pushed lines are published to NATS. */
  get publishing(): boolean {
    return this.settings.publish !== undefined;
  }

  /**
   * Publishes appended bytes (at the offsets the writer returned) to NATS JetStream, retrying
   * for up to `publish.timeoutMs`; then 503. Returns the lines stored and already held.
   */
  async publish(files: readonly FileAppend[], offsets: readonly number[], signal?: AbortSignal): Promise<{ stored: number; duplicates: number }> {
    const settings = this.settings.publish!;
    if (this.publisher === null) {
      const opening = import('../write/nats-publisher.js').then((m) => m.openPublisher(this.settings.storeDir!, settings, this.onPublishEvent));
      this.publisher = opening;
      opening.catch(() => {
        if (this.publisher === opening) this.publisher = null;
      });
    }
    const publisher = await this.publisher;
    const appends = files.map((f, i) => ({ path: f.path, offset: offsets[i]!, bytes: f.bytes })).filter((a) => a.bytes.length > 0);
    const signals = [this.shutdown.signal, ...(signal ? [signal] : [])];
    try {
      return await publisher.publish(appends, { deadlineMs: settings.timeoutMs ?? 30_000, signal: AbortSignal.any(signals) });
    } catch (err) {
      const why = this.shutdown.signal.aborted ? 'the server is shutting down' : (err as Error).message;
      throw new HttpError(503, 'unavailable', `the lines were stored, but NATS JetStream did not acknowledge them: ${why}; retry the push (the store may then hold them twice)`);
    }
  }

  /** Shutdown begins: pushes waiting for NATS stop waiting (503). */
  abortPublishes(): void {
    this.shutdown.abort(new LetheQLError('ABORTED', 'the server is shutting down'));
  }

  /** Flushes and closes the writer (if one was opened) after queued tail deliveries. */
  async close(): Promise<void> {
    await this.follower?.stop();
    await this.tails.idle();
    const p = this.publisher;
    this.publisher = null;
    if (p) await (await p.catch(() => null))?.close();
    const w = this.writer;
    this.writer = null;
    if (w) await (await w.catch(() => null))?.close();
  }
}

/** The log selector a tail follows (validated, log type named). Throws 400 otherwise. */
function tailSelector(text: string, rule: ServiceNameRule = 'app'): Expr {
  const expr = parseLokiQuery(text, rule);
  const e = unparen(expr);
  if (e.kind !== 'VectorSelector') throw badData('invalid parameter "query": tail follows a log selector with filters, e.g. {namespace="shop"} |= "error" (no range, no metric query)');
  if (e.offset) throw badData('invalid parameter "query": tail cannot follow a query with offset');
  return e;
}

/**
 * Closes a tail whose history failed, with a reason a client may see: a limit's message
 * (1008, policy), a timeout (1008), or an internal error's id (1011) whose details are logged.
 */
function closeWithError(socket: WebSocket, e: unknown, timeoutMs: number | null, log: (fields: Record<string, unknown>) => void, metrics: RouteEnv['ctx']['metrics']): void {
  const timedOut = e instanceof DOMException && e.name === 'TimeoutError';
  const err = timedOut ? limitError(503, 'queryTimeout', `tail history timed out after ${(timeoutMs ?? 0) / 1000}s (limit queryTimeout)`) : toHttpError(e);
  if (err.limit !== undefined) metrics.limitHits.inc({ limit: err.limit });
  if (err.status >= 500 && !timedOut) log({ err: err.internalCause ?? e, ...(err.errorId !== undefined ? { errorId: err.errorId } : {}) });
  // A close reason is at most 123 bytes.
  let reason = err.message;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, reason.length - 8);
  socket.close(err.status >= 500 && !timedOut ? 1011 : 1008, reason);
}

export function registerLiveRoutes(app: FastifyInstance, env: RouteEnv, live: LiveIngest): void {
  const { limits, metrics, store } = env.ctx;

  // Push: raw bodies of any type, capped; registered in its own context so the JSON and form
  // parsers of the other routes do not apply.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxPushBytes }, (_req, body, done) => done(null, body));
    scope.post('/loki/api/v1/push', { config: { scope: 'write', loki: true }, bodyLimit: limits.maxPushBytes }, async (request, reply) => {
      const writer = await live.getWriter();
      const body = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
      const header = (name: string) => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const pushLimits = { maxDecompressedBytes: limits.maxPushDecompressedBytes, maxLines: limits.maxPushLines, maxWrittenBytes: limits.maxPushWrittenBytes };
      const decoded = decodePush(body, header('content-type'), header('content-encoding'), pushLimits);
      // Partial success (push.ts): refused streams and entries are named, the rest is written.
      const outcome = planPush(decoded, live.labelRule, writer.fractionDigits);
      let lines = 0;
      if (outcome.records.length > 0) {
        // Before formatting: a small body may ask for far more lines than it holds.
        checkPushWrite(outcome.records, writer.fractionDigits, pushLimits);
        const formatted = writer.format(outcome.records);
        const files = groupByFile(formatted);
        let offsets: number[] = [];
        const append = async (): Promise<void> => {
          offsets = await writer.appendFiles(files);
        };
        // Through the follower's lock, so that its polls never publish this push a second time.
        await (live.follower ? live.follower.ownAppend(files.map((f) => ({ path: f.path, bytes: f.bytes.length })), append) : append());
        lines = formatted.reduce((a, r) => a + r.lines, 0);
        const bytes = files.reduce((a, f) => a + f.bytes.length, 0);
        metrics.ingestLines.inc({}, lines);
        metrics.ingestBytes.inc({}, bytes);
        env.note(request, { streams: outcome.streams, linesWritten: lines, bytesWritten: bytes });
        void live.tails.publish(formatted);
        // At least once: the push is acknowledged only when JetStream has every line.
        if (live.publishing) {
          const r = await live.publish(files, offsets);
          metrics.publishLines.inc({ outcome: 'stored' }, r.stored);
          if (r.duplicates > 0) metrics.publishLines.inc({ outcome: 'duplicate' }, r.duplicates);
        }
      }
      const dropped = Object.values(outcome.droppedLabels).reduce((a, n) => a + n, 0);
      if (dropped > 0) metrics.pushLabelsDropped.inc({}, dropped);
      if (outcome.mappedStreams > 0) metrics.pushStreamsMapped.inc({}, outcome.mappedStreams);
      if (outcome.metadataDropped > 0) metrics.pushMetadataDropped.inc({}, outcome.metadataDropped);
      for (const r of outcome.refused) metrics.pushEntriesRefused.inc({ reason: r.reason }, r.entries);
      const data = {
        streams: outcome.streams,
        entries: outcome.entries,
        entriesStored: outcome.records.length,
        linesWritten: lines,
        streamsMapped: outcome.mappedStreams,
        labelsDropped: outcome.droppedLabels,
        ...(outcome.metadataDropped > 0 ? { metadataDropped: outcome.metadataDropped } : {}),
      };
      if (outcome.refused.length > 0) {
        const err = badData(refusalMessage(outcome));
        return reply.code(400).send({
          ...errorBody(err, true),
          data: { ...data, refused: outcome.refused.slice(0, MAX_LISTED_REFUSALS), refusedCount: outcome.refused.length },
        });
      }
      // Nothing refused: Loki's 204, unless labels were mapped or dropped, which the answer says.
      if (dropped > 0 || outcome.mappedStreams > 0 || outcome.metadataDropped > 0) return reply.code(200).send({ status: 'success', data });
      return reply.code(204).send();
    });
  });

  app.get(
    '/loki/api/v1/tail',
    {
      websocket: true,
      config: { scope: 'read', loki: true },
      // Runs before the upgrade: a bad request gets an HTTP error, not a WebSocket.
      preHandler: async (request) => {
        const p = collectParams(request.query, undefined);
        const expr = tailSelector(requireQuery(p), env.serviceName);
        const delay = param(p, 'delay_for');
        if (delay !== undefined && (!/^\d+$/.test(delay) || Number(delay) > 5)) throw badData('invalid parameter "delay_for": expected whole seconds from 0 to 5');
        lokiLimit(p, limits.maxLines);
        const nowNs = env.now();
        const startNs = lokiTime(p, 'start', nowNs, nowNs - NS_PER_HOUR);
        // Plans once, so unknown labels and bad regexes fail here with their span, and the
        // history's files are weighed against maxBytesScanned before any is read.
        const plan = await store.explain(expr, { start: startNs <= nowNs ? startNs : nowNs, end: nowNs });
        if (startNs <= nowNs) checkBytes(env.ctx, plan.files.reduce((a, f) => a + f.size, 0));
        if (live.sockets.size >= limits.maxTailClients) {
          throw limitError(429, 'maxTailClients', `too many live tails open (limit maxTailClients=${limits.maxTailClients}); retry later`);
        }
      },
    },
    async (socket, request) => {
      const p = collectParams(request.query, undefined);
      const expr = tailSelector(requireQuery(p), env.serviceName);
      const limit = lokiLimit(p, limits.maxLines);
      const nowNs = env.now();
      const startNs = lokiTime(p, 'start', nowNs, nowNs - NS_PER_HOUR);
      live.sockets.add(socket);
      const abort = new AbortController();
      let held: LokiStream[][] | null = [];
      const send = (streams: LokiStream[]) => {
        for (const frame of tailFrames(streams)) {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
            socket.close(1013, 'tail client too slow');
            return;
          }
          socket.send(frame);
        }
        metrics.tailLines.inc({}, streams.reduce((a, s) => a + s.values.length, 0));
      };
      // The close handler goes first: the socket may close while subscribing (following starts).
      let unsubscribe: (() => void) | null = null;
      let closed = false;
      socket.on('close', () => {
        closed = true;
        unsubscribe?.();
        abort.abort(new LetheQLError('ABORTED', 'tail closed'));
        live.sockets.delete(socket);
      });
      unsubscribe = await live.subscribe({ expr, deliver: (streams) => (held ? held.push(streams) : send(streams)) });
      if (closed) unsubscribe();
      try {
        if (startNs <= nowNs) {
          // The history is a query: a slot, the query timeout, the series limit.
          const timeoutMs = limits.queryTimeoutMs;
          const signal = timeoutMs === null ? abort.signal : AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]);
          const opts = { start: startNs, end: nowNs, limit, direction: 'backward' as const };
          const { value: table } = await withSlot(env.ctx, signal, async () => {
            // Weighed again: the store may have grown since the upgrade was allowed.
            checkBytes(env.ctx, (await store.explain(expr, opts)).files.reduce((a, f) => a + f.size, 0));
            return store.query(expr, { ...opts, signal });
          });
          const streams = lokiStreams(table);
          checkSeries(env.ctx, streams.length, 'streams');
          for (const s of streams) s.values.reverse(); // oldest first, as a tail shows them
          if (streams.length > 0) send(streams);
        }
      } catch (e) {
        if (!abort.signal.aborted) closeWithError(socket, e, limits.queryTimeoutMs, (fields) => request.log.error(fields, 'tail failed'), metrics);
      } finally {
        const pending = held ?? [];
        held = null;
        for (const streams of pending) send(streams);
      }
    },
  );
}
