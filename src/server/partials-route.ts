/**
 * `POST /letheql/v1/partials`: this server's partial metric states of one range aggregation,
 * for a store set that has this server as a remote member (`exec/member-source.ts`). The set
 * evaluates the whole metric expression itself; what it needs from a member is exactly what
 * the evaluator asks any `LogSampleSource` (`metrics/source.ts`): per-series buckets, or
 * per-series samples, over given instants.
 *
 * Request: JSON (`metrics/source-wire.ts`), checked strictly: a malformed body, an unknown
 * field, a `range` that is not exactly one log range, or a bad cluster name is a 400 naming
 * the problem. Answer: Arrow IPC (`arrow/partials.ts`), the scan's statistics in the schema
 * metadata. Nothing but Arrow is offered: the route is for letheql's own store sets.
 *
 * Scope `read`, like the query routes. Limits, as for a query: a slot from the limiter; the
 * engine's budgets (`maxBytesScanned` before a byte is read, `maxTemplateBytes`, …); the
 * request's timeout; then the answer's size: at most `maxSeries` series (422) and at most
 * `maxSamples` cells (series × buckets, or samples; 422). These cap what one member sends, so
 * a set whose query aggregates many series across clusters can meet a member's `maxSeries`
 * where the local evaluator, which caps only the final result, would not.
 *
 * `POST /letheql/v1/count` (beside it, for the same store sets): this server's count of a log
 * query, `count()`/`--count` over a set with this server as a remote member. Request: JSON
 * `{"cluster","query","start","end"}` (`store/remote-member.ts`, checked strictly: a missing,
 * mistyped or unknown field, a bad time or cluster name, or a query that is not a log query
 * is a 400 naming it). The query is counted over this store read as cluster `cluster` of a
 * set, so `cluster` matchers and labels behave as for a local member. Answer:
 * `{"count":N,"stats":{…}}`. Scope `read`; a slot, the engine's budgets and the timeout, as
 * for a query.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toArrowIPC } from '../arrow/build.js';
import { bucketPartialsTable, samplePartialsTable } from '../arrow/partials.js';
import { QueryError } from '../errors.js';
import { readPartialRequest } from '../metrics/source-wire.js';
import { COUNT_ROUTE, readCountRequest } from '../store/remote-member.js';
import type { MatrixSelector } from '../query/ast.js';
import { parseQuery } from '../query/index.js';
import { badData, limitError } from './errors.js';
import { checkSeries, engineBudgets, recordStats, withSlot } from './evaluate.js';
import { ARROW_STREAM, type RouteEnv } from './route-env.js';

/** The route's path. */
export const PARTIALS_ROUTE = '/letheql/v1/partials';

/** The largest request body: a request of the most edges and intervals (`MAX_PARTIAL_EDGES`) is about 1.5 MB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The log range of `text`, which must be exactly one (`pod{…} | … [5m]`): it is parsed as the
 * argument of `absent_over_time`, the one range function that takes a range with or without
 * `unwrap`, and anything else that text could make of the call is refused.
 */
function parseRange(text: string): MatrixSelector {
  let expr;
  try {
    expr = parseQuery(`absent_over_time(${text})`);
  } catch (e) {
    if (e instanceof QueryError) throw badData(`invalid partials request: "range" is not a log range: ${e.message}`);
    throw e;
  }
  if (expr.kind !== 'Call' || expr.func !== 'absent_over_time' || expr.args.length !== 1 || expr.args[0]!.kind !== 'MatrixSelector') {
    throw badData('invalid partials request: "range" must be exactly one log range, e.g. pod{namespace="x"} |= "error" [5m]');
  }
  return expr.args[0];
}

async function partials(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const req = readPartialRequest(request.body);
  const range = parseRange(req.rangeText);
  const { signal, done } = env.signalFor(request, reply);
  const started = performance.now();
  try {
    const { value } = await withSlot(env.ctx, signal, () => env.ctx.store.metricPartials(req.cluster, range, req.request, req.needs, { ...engineBudgets(env.ctx.limits), signal }));
    const { stats } = value;
    recordStats(env.ctx, stats);
    env.note(request, { bytesScanned: stats.bytesScanned, linesScanned: stats.linesScanned, series: value.series.length });
    checkSeries(env.ctx, value.series.length, 'partial series');
    const maxSamples = env.ctx.limits.maxSamples;
    let table;
    if (value.kind === 'buckets') {
      const buckets = req.request.kind === 'buckets' ? req.request.grid.edgesNs.length - 1 : 0;
      const cells = value.series.length * buckets;
      if (maxSamples !== null && cells > maxSamples) throw tooMany(cells, 'buckets (series × buckets)', maxSamples);
      table = bucketPartialsTable(value.series, buckets, req.request.kind === 'buckets' ? req.request.measures : ['count'], stats);
    } else {
      const samples = value.series.reduce((n, s) => n + s.timesNs.length, 0);
      if (maxSamples !== null && samples > maxSamples) throw tooMany(samples, 'samples', maxSamples);
      table = samplePartialsTable(value.series, stats);
    }
    return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(table)));
  } finally {
    done();
    env.ctx.metrics.queryDuration.observe((performance.now() - started) / 1000, { endpoint: PARTIALS_ROUTE });
  }
}

function tooMany(n: number, what: string, max: number) {
  return limitError(422, 'maxSamples', `the partial answer would hold ${n} ${what}, more than the limit maxSamples=${max}; use a larger step, a shorter range or fewer series`);
}

async function count(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const req = readCountRequest(request.body);
  const { signal, done } = env.signalFor(request, reply);
  const started = performance.now();
  try {
    const { value } = await withSlot(env.ctx, signal, () =>
      env.ctx.store.countAsMember(req.cluster, req.query, { start: req.startNs, end: req.endNs, ...engineBudgets(env.ctx.limits), signal }),
    );
    recordStats(env.ctx, value.stats);
    env.note(request, { bytesScanned: value.stats.bytesScanned, linesScanned: value.stats.linesScanned, count: value.count });
    return reply.type('application/json').send(JSON.stringify({ count: value.count, stats: value.stats }));
  } finally {
    done();
    env.ctx.metrics.queryDuration.observe((performance.now() - started) / 1000, { endpoint: COUNT_ROUTE });
  }
}

/** The largest count request body: a query of the parser's maximum length, with room to spare. */
const MAX_COUNT_BODY_BYTES = 1024 * 1024;

/** Registers `POST /letheql/v1/partials` and `POST /letheql/v1/count` (see the module note). */
export function registerPartialsRoute(app: FastifyInstance, env: RouteEnv): void {
  app.post(PARTIALS_ROUTE, { config: { scope: 'read' }, bodyLimit: MAX_BODY_BYTES }, (request, reply) => partials(env, request, reply));
  app.post(COUNT_ROUTE, { config: { scope: 'read' }, bodyLimit: MAX_COUNT_BODY_BYTES }, (request, reply) => count(env, request, reply));
}
