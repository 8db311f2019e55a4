/**
 * `letheql serve`: one fastify server speaking both dialects over one {@link LogStore}.
 *
 * This module wires the pieces and owns the cross-cutting behaviour; the routes live in
 * `lethe-routes.ts`, `loki-routes.ts` and `live-routes.ts`, the query path in `evaluate.ts`.
 * - **Auth** (`auth.ts`): an `onRequest` hook checks the route's scope (`config.scope`),
 *   so no handler can forget it; health and readiness have none.
 * - **Errors** (`errors.ts`): one error handler renders every failure as JSON with its
 *   status; unknown routes are 404 JSON too.
 * - **Cancellation**: each query gets a signal that aborts on the query timeout or when the
 *   client's connection closes before the answer is written.
 * - **Observability** (`metrics.ts`): `/metrics`; and exactly one JSON log line per request
 *   (fastify's pino logger, stderr by default): method, URL (query string included), route,
 *   status, duration, plus what the handler noted (bytes scanned, lines returned/written).
 *   Headers are never logged, so bearer tokens never are; bodies neither.
 * - **Shutdown** (`close()`): readiness turns 503, tails are closed (1001), fastify stops
 *   accepting and waits for in-flight requests, queued tail deliveries finish, and the push
 *   writer is flushed and closed. The store itself belongs to the caller.
 * - **Clock**: `now` is an input (tests freeze it), never read from `Date` elsewhere.
 */
import type { PushLabelRule } from './push.js';
import fastifyFormbody from '@fastify/formbody';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { LogStore } from '../api.js';
import { nowNs } from '../time.js';
import type { FsyncPolicy } from '../write/store-writer.js';
import { redactUrl, TAIL_PROTOCOL, tailAuthorization, TOKEN_PROTOCOL_PREFIX, type TokenAuthority } from './auth.js';
import { DEFAULT_LIMITS, type PushPublishSettings, type ServerLimits } from './config.js';
import { ClientGoneError, errorBody, HttpError, limitError, toHttpError } from './errors.js';
import { storeMetricEvaluator, type MetricEvaluator, type QueryContext } from './evaluate.js';
import { registerLetheRoutes } from './lethe-routes.js';
import { registerPartialsRoute } from './partials-route.js';
import { QueryLimiter } from './limits.js';
import { LiveIngest, registerLiveRoutes } from './live-routes.js';
import { describePublishEvent } from '../write/publish.js';
import { registerLokiRoutes } from './loki-routes.js';
import { registerPromRoutes } from './prom-routes.js';
import { ServerMetrics } from './metrics.js';
import { registerViewerRoute } from './viewer-route.js';
import { registerRulesRoutes } from './rules-routes.js';
import type { Ruler } from '../rules/ruler.js';
import type { RequestSignal, RouteEnv } from './route-env.js';
import type { TailHub } from './tail.js';
import type { ServiceNameRule } from './service-name.js';
import { registerDrilldownRoutes } from './drilldown-routes.js';
import { configYaml, type EffectiveConfig } from './status-config.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The store to serve (plain or a store set). The caller opens and closes it. */
  store: LogStore;
  /** The store's directory, for `/loki/api/v1/push`; absent: push answers 503. */
  storeDir?: string;
  /** Limits; missing keys take {@link DEFAULT_LIMITS}. */
  limits?: Partial<ServerLimits>;
  /** Push settings (default: enabled, fsync `batch`). */
  push?: { enabled?: boolean; fsync?: FsyncPolicy; labels?: PushLabelRule; publish?: PushPublishSettings };
  /** Bearer tokens; absent or null: no authentication. */
  auth?: TokenAuthority | null;
  /** The clock in nanoseconds (default: the real time). Tests freeze it. */
  now?: () => bigint;
  /** Request log: level (default `info`) and stream (default stderr); `false`: no log. */
  log?: { level?: string; stream?: NodeJS.WritableStream } | false;
  /** Evaluates metric queries; absent: the engine's own evaluator (`LogStore.queryMetric`). */
  metricEvaluator?: MetricEvaluator;
  /** How the derived `service_name` label is made (default `app`: the pod's workload name). */
  serviceName?: ServiceNameRule;
  /** How often live tail polls the store files for lines other processes append (default 1000 ms). */
  tailFollowMs?: number;
  /** A ruler (`letheql serve --rules`): adds `/api/v1/rules`, `/api/v1/alerts` and its metrics to `/metrics`. The caller runs and stops it. */
  ruler?: Ruler;
  /** What `/api/v1/status/config` shows (`status-config.ts`); absent: the settings given here, with the config file's defaults. */
  effectiveConfig?: EffectiveConfig;
}

/** A running (or ready to run) server. */
export interface LetheServer {
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  readonly tails: TailHub;
  readonly limits: Readonly<ServerLimits>;
  /** Starts listening; resolves with the base URL (`http://127.0.0.1:6060`). Port 0 picks a free port. */
  listen(host?: string, port?: number): Promise<string>;
  /** Graceful shutdown (see the module note). Idempotent. */
  close(): Promise<void>;
}

const realClock = nowNs;

/** Builds the server (routes, hooks, plugins). Call `listen()` to serve. */
export async function createServer(options: ServerOptions): Promise<LetheServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = new ServerMetrics();
  const limiter = new QueryLimiter(limits.maxConcurrentQueries, limits.maxQueuedQueries);
  // Metric queries run on the engine's evaluator unless the caller brings its own (tests, embedders).
  const ctx: QueryContext = { store: options.store, limits, limiter, metrics, metricEvaluator: options.metricEvaluator ?? storeMetricEvaluator };
  const auth = options.auth ?? null;
  let draining = false;

  const log = options.log === false ? false : { level: options.log?.level ?? 'info', stream: options.log?.stream ?? process.stderr };
  const app = Fastify({
    logger: log === false ? false : { level: log.level, stream: log.stream },
    // Our onResponse hook writes the one line per request; fastify's own request lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });

  /** Fields a handler adds to its request's log line. */
  const notes = new WeakMap<FastifyRequest, Record<string, unknown>>();
  const note = (request: FastifyRequest, fields: Record<string, unknown>): void => {
    notes.set(request, { ...notes.get(request), ...fields });
  };

  const signalFor = (request: FastifyRequest, reply: FastifyReply): RequestSignal => {
    const ac = new AbortController();
    const timeoutMs = limits.queryTimeoutMs;
    const timer =
      timeoutMs === null
        ? null
        : setTimeout(() => ac.abort(limitError(503, 'queryTimeout', `query timed out after ${timeoutMs / 1000}s (limit queryTimeout); narrow the time range or add filters`)), timeoutMs);
    const onClose = () => {
      // 'close' before the answer was written: the client went away; nobody will read the result.
      if (!reply.raw.writableEnded) ac.abort(new ClientGoneError());
    };
    reply.raw.on('close', onClose);
    // Gone before we started listening: cancel at once.
    if (request.raw.socket?.destroyed && !reply.raw.writableEnded) ac.abort(new ClientGoneError());
    return {
      signal: ac.signal,
      done: () => {
        if (timer) clearTimeout(timer);
        reply.raw.off('close', onClose);
      },
    };
  };

  const effective: EffectiveConfig = options.effectiveConfig ? { ...options.effectiveConfig } : {
    config: {
      limits,
      push: { enabled: options.push?.enabled ?? true, fsync: options.push?.fsync ?? 'batch', ...(options.push?.labels ? { labels: options.push.labels } : {}), ...(options.push?.publish ? { publish: options.push.publish } : {}) },
      serviceName: options.serviceName ?? 'app',
      ...(log !== false ? { logLevel: log.level } : {}),
    },
  };
  const env: RouteEnv = { ctx, now: options.now ?? realClock, signalFor, note, draining: () => draining, serviceName: options.serviceName ?? 'app', configYaml: () => configYaml(effective) };
  const live = new LiveIngest(
    env,
    {
      enabled: options.push?.enabled ?? true,
      fsync: options.push?.fsync ?? 'batch',
      ...(options.push?.labels ? { labels: options.push.labels } : {}),
      ...(options.storeDir !== undefined ? { storeDir: options.storeDir } : {}),
      ...(options.push?.publish ? { publish: options.push.publish } : {}),
    },
    options.tailFollowMs,
    (e) => {
      const failed = e.type === 'publish-retry' || e.type === 'publish-gave-up';
      if (failed) metrics.publishFailures.inc();
      if (options.log !== false) app.log[failed ? 'warn' : 'info']({ publish: e }, describePublishEvent(e));
    },
  );

  metrics.addGauge('letheql_queries_active', 'Queries running now.', () => limiter.active);
  metrics.addGauge('letheql_queries_queued', 'Queries waiting for a slot now.', () => limiter.queued);
  metrics.addGauge('letheql_tail_clients', 'Open live-tail WebSockets.', () => live.sockets.size);

  await app.register(fastifyFormbody);
  // A browser that offers subprotocols needs one selected back: `letheql` when offered (the
  // viewer, which sends its token as another one, auth.ts), else the first as ws does by
  // default — never the one carrying a token.
  const selectProtocol = (offered: Set<string>): string | false =>
    offered.has(TAIL_PROTOCOL) ? TAIL_PROTOCOL : ([...offered].find((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX)) ?? false);
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024, handleProtocols: selectProtocol } });

  // In-flight HTTP requests (not WebSocket upgrades): shutdown waits for them, then closes
  // the connections left, idle keep-alive ones included (some clients open spare ones).
  let inFlight = 0;
  let quiet: (() => void) | null = null;
  const requestStart = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (request, reply) => {
    requestStart.set(request, performance.now());
    if (request.headers.upgrade !== undefined) return;
    inFlight++;
    reply.raw.once('close', () => {
      if (--inFlight === 0) quiet?.();
    });
  });

  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config?.scope;
    if (auth === null || !scope) return;
    // The tail route alone also takes a browser's token (subprotocol or access_token), see auth.ts.
    const authorization = request.routeOptions.url === '/loki/api/v1/tail' ? tailAuthorization(request.headers, request.query) : request.headers.authorization;
    const failure = auth.check(authorization, scope);
    if (failure) throw new HttpError(failure.status, failure.status === 401 ? 'unauthorized' : 'forbidden', failure.message);
  });

  /** The one log line (and the request counter) of a request; `statusCode` 499 when the client went away first. */
  const finish = (request: FastifyRequest, statusCode: number, durationMs: number): void => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, code: String(statusCode) });
    const fields = notes.get(request) ?? {};
    const line = { method: request.method, url: redactUrl(request.url), route, statusCode, durationMs: Math.round(durationMs * 10) / 10, remoteAddress: request.ip, ...fields };
    if (statusCode >= 500) request.log.error(line, 'request');
    else request.log.info(line, 'request');
  };
  app.addHook('onResponse', async (request, reply) => finish(request, reply.statusCode, reply.elapsedTime));
  // A request whose client disconnected never reaches onResponse.
  app.addHook('onRequestAbort', async (request) => {
    metrics.aborted.inc();
    finish(request, 499, performance.now() - requestStart.get(request)!);
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ClientGoneError) {
      // Nobody reads this answer; onRequestAbort has counted and logged the request (nginx's 499).
      return reply.code(499).send(errorBody(new HttpError(499, 'canceled', error.message), false));
    }
    let err: HttpError;
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' && request.routeOptions.url === '/loki/api/v1/push') {
      err = limitError(413, 'maxPushBytes', `push body larger than ${limits.maxPushBytes} bytes (limit maxPushBytes); send smaller batches`);
    } else {
      err = toHttpError(error);
    }
    if (err.limit !== undefined) metrics.limitHits.inc({ limit: err.limit });
    // The request's log line carries the real error (stack included) and the id the client got.
    if (err.status >= 500) note(request, { err: err.internalCause ?? error, ...(err.errorId !== undefined ? { errorId: err.errorId } : {}) });
    else note(request, { error: err.message });
    if (err.status === 401) reply.header('WWW-Authenticate', 'Bearer');
    return reply.code(err.status).send(errorBody(err, request.routeOptions.config?.loki === true));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send(errorBody(new HttpError(404, 'not_found', `no route ${request.method} ${path}`), path?.startsWith('/loki/') ?? false));
  });

  registerLetheRoutes(app, env);
  registerPartialsRoute(app, env);
  registerLokiRoutes(app, env);
  registerPromRoutes(app, env);
  registerDrilldownRoutes(app, env);
  registerLiveRoutes(app, env, live);
  registerViewerRoute(app);
  if (options.ruler) registerRulesRoutes(app, options.ruler);
  app.get('/metrics', { config: { scope: 'read' } }, async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render() + (options.ruler?.metrics.render() ?? '')));

  let closing: Promise<void> | null = null;
  return {
    app,
    metrics,
    tails: live.tails,
    limits,
    async listen(host = '127.0.0.1', port = 6060) {
      await app.listen({ host, port });
      const addr = app.server.address();
      const p = typeof addr === 'object' && addr !== null ? addr.port : port;
      const hostPort = `${host.includes(':') ? `[${host}]` : host}:${p}`;
      effective.listen = hostPort; // the port really bound (`:0` picks one), for /api/v1/status/config
      return `http://${hostPort}`;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        for (const ws of live.sockets) ws.close(1001, 'server shutting down');
        const stopped = app.close(); // stops accepting; answers 503 to new requests on open connections
        live.abortPublishes(); // a push waiting for NATS answers 503 now, not after push.publish.timeout
        if (inFlight > 0) await new Promise<void>((resolve) => (quiet = resolve));
        app.server.closeAllConnections();
        await stopped;
        await live.close();
      })();
      return closing;
    },
  };
}
