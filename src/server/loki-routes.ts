/**
 * The Loki dialect (Grafana's Loki data source, logcli, promtail, fluent-bit), following
 * Loki's HTTP API reference field for field. Queries are LogQL-style: `{namespace="shop"}`
 * selectors get their log type from their labels (`loki-selectors.ts`); LetheQL's `pod{…}`
 * works too.
 *
 * | route | notes |
 * |---|---|
 * | `GET\|POST /loki/api/v1/query` | `query`, `time`, `limit`, `direction`: metric queries; a log query is refused (400), as Loki 3 does |
 * | `GET\|POST /loki/api/v1/query_range` | `query`, `start` (default `end - since`, `since` default 1h), `end` (default now, exclusive), `limit` (default 100), `direction` (default backward), `step` (metric queries); `streams`/`matrix` with `stats` |
 * | `GET /ready` | `ready\n` (503 while shutting down) |
 *
 * Labels, series, index statistics and volume, and Grafana Drilldown's routes are
 * `drilldown-routes.ts`.
 *
 * `interval` (stream sampling) is accepted and ignored. A `limit` above `maxLines` is
 * refused with Loki's "max entries limit per query exceeded" (400).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toArrowIPC } from '../arrow/build.js';
import { NS_PER_HOUR } from '../time.js';
import { badData } from './errors.js';
import { checkBytes, checkSeries, engineBudgets, runQuery, withSlot, type Evaluation } from './evaluate.js';
import { parseLokiQuery } from './loki-selectors.js';
import { collectParams, directionParam, durationParam, lokiTime, param, params, positiveInt, requireQuery, type Params } from './params.js';
import { metricTable } from '../metrics/arrow.js';
import { labelKey, rowLabels, lokiStats, lokiStreams, sendJson, sendMetricJson, unixSeconds } from './responses.js';
import { ARROW_STREAM, wantsArrow, type RouteEnv } from './route-env.js';

const DEFAULT_LIMIT = 100;

/** `start`/`end` with Loki's defaults: `end` = now, `start` = `end - since` (`since` default `defaultSince`). */
export function lokiWindow(p: Params, nowNs: bigint, defaultSince: bigint): { startNs: bigint; endNs: bigint } {
  const endNs = lokiTime(p, 'end', nowNs, nowNs);
  const since = durationParam(p, 'since') ?? defaultSince;
  const startNs = lokiTime(p, 'start', nowNs, endNs - since);
  return { startNs, endNs };
}

/** Loki's `limit`: default 100, at most `maxLines` (Loki's max_entries_limit_per_query, same words). */
export function lokiLimit(p: Params, maxLines: number | null): number {
  const limit = positiveInt(p, 'limit', DEFAULT_LIMIT);
  if (maxLines !== null && limit > maxLines) {
    throw badData(`max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${maxLines}) (limit maxLines)`);
  }
  return limit;
}

async function query(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, range: boolean): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const text = requireQuery(p);
  const nowNs = env.now();
  const limit = lokiLimit(p, env.ctx.limits.maxLines);
  const direction = directionParam(p, 'backward');
  let evaluation: Evaluation;
  let logWindow: { startNs: bigint; endNs: bigint } | null = null;
  if (range) {
    const { startNs, endNs } = lokiWindow(p, nowNs, NS_PER_HOUR);
    if (endNs <= startNs) throw badData('invalid parameter "end": end timestamp must not be before or equal to start time');
    evaluation = { kind: 'range', startNs, endNs, stepNs: durationParam(p, 'step') };
    // Loki's end is exclusive; the engine's window is inclusive at both ends.
    logWindow = { startNs, endNs: endNs - 1n };
  } else {
    evaluation = { kind: 'instant', timeNs: lokiTime(p, 'time', nowNs, nowNs) };
  }
  const expr = parseLokiQuery(text, env.serviceName);
  const { signal, done } = env.signalFor(request, reply);
  const started = performance.now();
  try {
    const outcome = await runQuery(env.ctx, { expr, evaluation, logWindow, limit, direction, signal });
    const execMs = performance.now() - started - outcome.queueMs;
    const arrow = wantsArrow(request);
    if (outcome.kind === 'metric') {
      if (arrow) return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(metricTable(outcome.result))));
      return sendMetricJson(reply, outcome.result, `"stats":${JSON.stringify(lokiStats(outcome.stats, outcome.queueMs, execMs))}`, outcome.stats?.warnings);
    }
    const { table, stats } = outcome;
    env.note(request, { bytesScanned: stats.bytesScanned, linesScanned: stats.linesScanned, linesReturned: stats.rowsReturned });
    if (arrow) return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(table)));
    const streams = lokiStreams(table);
    checkSeries(env.ctx, streams.length, 'streams');
    // Loki answers problems that did not fail the query in a top-level `warnings` list (Grafana shows them).
    const warnings = stats.warnings?.length ? { warnings: stats.warnings } : {};
    return sendJson(reply, { status: 'success', data: { resultType: 'streams', result: streams, stats: lokiStats(stats, outcome.queueMs, execMs) }, ...warnings });
  } finally {
    done();
    env.ctx.metrics.queryDuration.observe((performance.now() - started) / 1000, { endpoint: range ? '/loki/api/v1/query_range' : '/loki/api/v1/query' });
  }
}

export function registerLokiRoutes(app: FastifyInstance, env: RouteEnv): void {
  const loki = { scope: 'read' as const, loki: true };
  app.get('/ready', { config: { scope: null, loki: true } }, async (_req, reply) => {
    if (env.draining()) return reply.code(503).type('text/plain; charset=utf-8').send('shutting down\n');
    return reply.type('text/plain; charset=utf-8').send('ready\n');
  });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/query', config: loki, handler: (req, reply) => query(env, req, reply, false) });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/query_range', config: loki, handler: (req, reply) => query(env, req, reply, true) });
}

