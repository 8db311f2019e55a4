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
 * | `GET /loki/api/v1/labels` | label names (`query` optional); window default 6h |
 * | `GET /loki/api/v1/label/<name>/values` | values; target labels and `cluster` from the store's directories, line labels (`pod`, `container`, `process`) from the lines in the window |
 * | `GET\|POST /loki/api/v1/series` | `match[]` (one or more selectors); distinct label sets of the lines in the window (default 1h) |
 * | `GET\|POST /loki/api/v1/index/volume` | bytes per target from file sizes (no scan); selectors on target labels (and `cluster`) only |
 * | `GET /ready` | `ready\n` (503 while shutting down) |
 *
 * `interval` (stream sampling) is accepted and ignored. A `limit` above `maxLines` is
 * refused with Loki's "max entries limit per query exceeded" (400).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Table } from 'apache-arrow';
import { toArrowIPC } from '../arrow/build.js';
import { fieldNames, LOG_TYPES, CLUSTER_LABEL, type LogType } from '../model.js';
import type { Expr, VectorSelector } from '../query/ast.js';
import { parseQuery } from '../query/index.js';
import { NS_PER_HOUR } from '../time.js';
import { badData } from './errors.js';
import { checkBytes, checkSeries, engineBudgets, runQuery, withSlot, type Evaluation } from './evaluate.js';
import { nameLokiSelectors } from './loki-selectors.js';
import { collectParams, directionParam, durationParam, lokiTime, param, params, positiveInt, requireQuery, type Params } from './params.js';
import { metricTable } from '../metrics/arrow.js';
import { labelKey, rowLabels, lokiStats, lokiStreams, sendJson, sendMetricJson, unixSeconds } from './responses.js';
import { ARROW_STREAM, wantsArrow, type RouteEnv } from './route-env.js';

const DEFAULT_LIMIT = 100;
const LABELS_DEFAULT_SINCE = 6n * NS_PER_HOUR;
const SERIES_DEFAULT_SINCE = NS_PER_HOUR;

/** Parses a LogQL/LetheQL query and names its selectors' log types. */
export function parseLokiQuery(text: string): Expr {
  return nameLokiSelectors(parseQuery(text));
}

/** `start`/`end` with Loki's defaults: `end` = now, `start` = `end - since` (`since` default `defaultSince`). */
function window(p: Params, nowNs: bigint, defaultSince: bigint): { startNs: bigint; endNs: bigint } {
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
    const { startNs, endNs } = window(p, nowNs, NS_PER_HOUR);
    if (endNs <= startNs) throw badData('invalid parameter "end": end timestamp must not be before or equal to start time');
    evaluation = { kind: 'range', startNs, endNs, stepNs: durationParam(p, 'step') };
    // Loki's end is exclusive; the engine's window is inclusive at both ends.
    logWindow = { startNs, endNs: endNs - 1n };
  } else {
    evaluation = { kind: 'instant', timeNs: lokiTime(p, 'time', nowNs, nowNs) };
  }
  const expr = parseLokiQuery(text);
  const { signal, done } = env.signalFor(request, reply);
  const started = performance.now();
  try {
    const outcome = await runQuery(env.ctx, { expr, evaluation, logWindow, limit, direction, signal });
    const execMs = performance.now() - started - outcome.queueMs;
    const arrow = wantsArrow(request);
    if (outcome.kind === 'metric') {
      if (arrow) return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(metricTable(outcome.result))));
      return sendMetricJson(reply, outcome.result, `"stats":${JSON.stringify(lokiStats(outcome.stats, outcome.queueMs, execMs))}`);
    }
    const { table, stats } = outcome;
    env.note(request, { bytesScanned: stats.bytesScanned, linesScanned: stats.linesScanned, linesReturned: stats.rowsReturned });
    if (arrow) return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(table)));
    const streams = lokiStreams(table);
    checkSeries(env.ctx, streams.length, 'streams');
    return sendJson(reply, { status: 'success', data: { resultType: 'streams', result: streams, stats: lokiStats(stats, outcome.queueMs, execMs) } });
  } finally {
    done();
    env.ctx.metrics.queryDuration.observe((performance.now() - started) / 1000, { endpoint: range ? '/loki/api/v1/query_range' : '/loki/api/v1/query' });
  }
}

/** The log selector of a (parenthesised) log query, or null for a metric query. */
function selectorOf(expr: Expr): VectorSelector | null {
  let e = expr;
  while (e.kind === 'ParenExpr') e = e.expr;
  if (e.kind === 'VectorSelector') return e;
  if (e.kind === 'MatrixSelector') return e.selector;
  return null;
}

/** A selector parameter (`query`, `match[]`) that must be a stream selector. */
function selectorParam(text: string, name: string): VectorSelector {
  const sel = selectorOf(parseLokiQuery(text));
  if (sel === null) throw badData(`invalid parameter "${name}": expected a stream selector such as {namespace="shop"}, got a metric query`);
  return sel;
}

/** Whether a selector filters lines (line filters, or LogQL pipeline stages where the AST has them). */
function filtersLines(sel: VectorSelector): boolean {
  const pipeline = (sel as { pipeline?: readonly unknown[] }).pipeline;
  return sel.lineFilters.length > 0 || (pipeline?.length ?? 0) > 0;
}

/** A selector over every target of `logType`. */
function allTargets(logType: LogType): VectorSelector {
  return selectorParam(`${logType}{${LOG_TYPES[logType].target}=~".+"}`, 'query');
}

/** Label columns of the rows `selectors` match in the window, as distinct label sets (a scan). */
async function labelSets(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, selectors: readonly VectorSelector[], win: { startNs: bigint; endNs: bigint }): Promise<Map<string, Record<string, string>>> {
  const { signal, done } = env.signalFor(request, reply);
  const started = performance.now();
  const sets = new Map<string, Record<string, string>>();
  try {
    const { store } = env.ctx;
    for (const sel of selectors) {
      const opts = { start: win.startNs, end: win.endNs, limit: null };
      const { value: table } = await withSlot(env.ctx, signal, async (): Promise<Table> => {
        const plan = await store.explain(sel, opts);
        checkBytes(env.ctx, plan.files.reduce((a, f) => a + f.size, 0));
        return store.query(sel, { ...opts, ...engineBudgets(env.ctx.limits), signal });
      });
      const labelsOf = rowLabels(table);
      for (let i = 0; i < table.numRows; i++) {
        const labels: Record<string, string> = {};
        labelsOf(i, labels);
        sets.set(labelKey(labels), labels);
      }
      checkSeries(env.ctx, sets.size);
    }
    return sets;
  } finally {
    done();
    env.ctx.metrics.queryDuration.observe((performance.now() - started) / 1000, { endpoint: request.routeOptions.url ?? 'unknown' });
  }
}

/** Log types that have at least one target in the store. */
async function presentLogTypes(env: RouteEnv): Promise<LogType[]> {
  const targets = await env.ctx.store.targets();
  return (['pod', 'node'] as const).filter((t) => targets[t].length > 0);
}

function storeSetLabels(env: RouteEnv): string[] {
  return env.ctx.store.clusters !== null ? [CLUSTER_LABEL] : [];
}

async function labelNames(env: RouteEnv, p: Params): Promise<string[]> {
  const q = param(p, 'query');
  const types = q !== undefined && q.trim() !== '' ? [selectorParam(q, 'query').name as LogType] : await presentLogTypes(env);
  const names = new Set<string>(storeSetLabels(env));
  for (const t of types) for (const n of fieldNames(t)) names.add(n);
  return [...names].sort();
}

async function labelValues(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, name: string, p: Params): Promise<string[]> {
  const nowNs = env.now();
  const win = window(p, nowNs, LABELS_DEFAULT_SINCE);
  if (win.endNs < win.startNs) throw badData('invalid parameter "end": end timestamp must not be before start time');
  const q = param(p, 'query');
  const given = q !== undefined && q.trim() !== '' ? selectorParam(q, 'query') : null;
  const types: LogType[] = given ? [given.name as LogType] : await presentLogTypes(env);
  const { store } = env.ctx;
  const values = new Set<string>();
  for (const logType of types) {
    const sel = given ?? allTargets(logType);
    const names = fieldNames(logType);
    // A selector that only picks directories (target, cluster) needs no scan for those labels.
    const onlyDirectories = !filtersLines(sel) && sel.matchers.every((m) => m.name === names[0] || m.name === CLUSTER_LABEL);
    if (name === CLUSTER_LABEL && store.clusters !== null && onlyDirectories) {
      const plan = await store.explain(sel, { start: win.startNs, end: win.endNs });
      for (const c of plan.clusters?.selected ?? []) values.add(c);
    } else if (name === names[0] && onlyDirectories) {
      // Target labels are directory names: the plan lists the targets with files in the window, no scan.
      const plan = await store.explain(sel, { start: win.startNs, end: win.endNs });
      for (const t of plan.targets) values.add(t);
    } else if (names.includes(name) || (name === CLUSTER_LABEL && store.clusters !== null)) {
      const sets = await labelSets(env, request, reply, [sel], win);
      for (const labels of sets.values()) values.add(labels[name]!);
    }
  }
  return [...values].sort();
}

async function series(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const matches = [...params(p, 'match[]'), ...params(p, 'match')];
  if (matches.length === 0) throw badData('missing parameter "match[]": at least one stream selector is required');
  const selectors = matches.map((m) => selectorParam(m, 'match[]'));
  const win = window(p, env.now(), SERIES_DEFAULT_SINCE);
  if (win.endNs < win.startNs) throw badData('invalid parameter "end": end timestamp must not be before start time');
  const sets = await labelSets(env, request, reply, selectors, win);
  const data = [...sets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, labels]) => labels);
  return { status: 'success', data };
}

async function volume(env: RouteEnv, request: FastifyRequest): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const sel = selectorParam(requireQuery(p), 'query');
  const logType = sel.name as LogType;
  const target = LOG_TYPES[logType].target;
  if (filtersLines(sel)) throw badData('index/volume reads file sizes, not lines: it takes a stream selector without line filters');
  const lineLabels = sel.matchers.filter((m) => m.name !== target && m.name !== CLUSTER_LABEL).map((m) => m.name);
  if (lineLabels.length > 0) {
    throw badData(
      `index/volume reads file sizes, not lines: it cannot select by ${[...new Set(lineLabels)].join(', ')} (only ${target}${env.ctx.store.clusters ? ' and cluster' : ''})`,
    );
  }
  const nowNs = env.now();
  const win = window(p, nowNs, NS_PER_HOUR);
  if (win.endNs < win.startNs) throw badData('invalid parameter "end": end timestamp must not be before start time');
  const limit = positiveInt(p, 'limit', 100);
  const aggregateBy = param(p, 'aggregateBy') ?? 'series';
  if (aggregateBy !== 'series' && aggregateBy !== 'labels') throw badData('invalid parameter "aggregateBy": expected series or labels');
  const matcherLabels = [...new Set(sel.matchers.map((m) => m.name))];
  const targetLabels = (param(p, 'targetLabels') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const allowed = [target, ...(env.ctx.store.clusters ? [CLUSTER_LABEL] : [])];
  for (const l of targetLabels) if (!allowed.includes(l)) throw badData(`invalid parameter "targetLabels": ${l} is not available (volume is known per ${allowed.join(', ')})`);
  const by = targetLabels.length > 0 ? targetLabels : matcherLabels;
  const plan = await env.ctx.store.explain(sel, { start: win.startNs, end: win.endNs });
  const sums = new Map<string, { metric: Record<string, string>; bytes: number }>();
  const add = (metric: Record<string, string>, bytes: number) => {
    const key = labelKey(metric);
    const cur = sums.get(key);
    if (cur) cur.bytes += bytes;
    else sums.set(key, { metric, bytes });
  };
  for (const f of plan.files) {
    const labels: Record<string, string> = { [target]: f.target, ...(f.cluster !== undefined ? { [CLUSTER_LABEL]: f.cluster } : {}) };
    if (aggregateBy === 'labels') for (const l of by) add({ [l]: '' }, f.size);
    else add(Object.fromEntries(by.map((l) => [l, labels[l] ?? ''])), f.size);
  }
  const time = unixSeconds(win.endNs);
  const result = [...sums.values()]
    .sort((a, b) => b.bytes - a.bytes || (labelKey(a.metric) < labelKey(b.metric) ? -1 : 1))
    .slice(0, limit)
    .map((s) => ({ metric: s.metric, value: [time, String(s.bytes)] }));
  return { status: 'success', data: { resultType: 'vector', result } };
}

export function registerLokiRoutes(app: FastifyInstance, env: RouteEnv): void {
  const loki = { scope: 'read' as const, loki: true };
  app.get('/ready', { config: { scope: null, loki: true } }, async (_req, reply) => {
    if (env.draining()) return reply.code(503).type('text/plain; charset=utf-8').send('shutting down\n');
    return reply.type('text/plain; charset=utf-8').send('ready\n');
  });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/query', config: loki, handler: (req, reply) => query(env, req, reply, false) });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/query_range', config: loki, handler: (req, reply) => query(env, req, reply, true) });
  app.get('/loki/api/v1/labels', { config: loki }, async (req) => {
    const p = collectParams(req.query, undefined);
    window(p, env.now(), LABELS_DEFAULT_SINCE); // validates start/end/since even though names do not depend on them
    return { status: 'success', data: await labelNames(env, p) };
  });
  app.get<{ Params: { name: string } }>('/loki/api/v1/label/:name/values', { config: loki }, async (req, reply) => {
    const p = collectParams(req.query, undefined);
    return { status: 'success', data: await labelValues(env, req, reply, req.params.name, p) };
  });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/series', config: loki, handler: (req, reply) => series(env, req, reply) });
  app.route({ method: ['GET', 'POST'], url: '/loki/api/v1/index/volume', config: loki, handler: (req) => volume(env, req) });
}

