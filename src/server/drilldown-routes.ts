/**
 * The Loki routes Grafana's Explore and Logs Drilldown app call besides queries: labels,
 * series and index statistics (answered from the store layout, `streams.ts`), detected
 * labels, fields and levels, patterns, limits, build info and query formatting. Response
 * shapes follow Loki's HTTP API reference; the derived labels are `service_name`
 * (`service-name.ts`) and `detected_level` (`detected.ts`).
 *
 * | route | answer |
 * |---|---|
 * | `GET\|POST /loki/api/v1/labels` | stream label names of the log types present (or of `query`'s), `cluster` over a store set, and `service_name` |
 * | `GET\|POST /loki/api/v1/label/<name>/values` | `query` optional; window default 6h; `service_name` too |
 * | `GET\|POST /loki/api/v1/series` | `match[]`; window default 1h; each stream with its `service_name` |
 * | `GET\|POST /loki/api/v1/index/stats` | `{"streams","chunks","entries","bytes"}`: streams, hour files of their targets (our chunks), lines and message bytes |
 * | `GET\|POST /loki/api/v1/index/volume` | bytes per label set (`targetLabels`, else the selector's labels), `aggregateBy` `series`\|`labels`, `limit`; a `vector` |
 * | `GET\|POST /loki/api/v1/index/volume_range` | the same per `step`, a `matrix` (a counting scan) |
 * | `GET\|POST /loki/api/v1/detected_labels` | `{"detectedLabels":[{"label","cardinality"}]}` over the selector's streams |
 * | `GET\|POST /loki/api/v1/detected_fields` | `{"fields":[{"label","type","cardinality","parsers"}],"limit"}` from the newest `line_limit` lines (default 1000) |
 * | `GET\|POST /loki/api/v1/detected_field/<name>/values` | `{"values":[…]}` over the same lines |
 * | `GET\|POST /loki/api/v1/patterns` | Drain templates of the matching lines with counts per `step`: `{"status":"success","data":[{"pattern","samples":[[s, n]…]}]}` |
 * | `GET /loki/api/v1/drilldown-limits` | the limits Drilldown reads (`volume_enabled`, `discover_log_levels`, `max_entries_limit_per_query`, …) |
 * | `GET\|POST /loki/api/v1/format_query` | `{"status":"success","data":"<query in canonical form>"}` |
 * | `GET /loki/api/v1/status/buildinfo` | `{"version", …}`: the Loki API level followed, and `letheqlVersion` |
 *
 * Volume bytes: grouped by target labels only (`namespace`, `node`, `cluster`) they are the
 * hour files' sizes, known without reading a byte (a store set's remote members are asked
 * theirs, `RemoteMember.targetVolumes`); grouped by any other label (`pod`,
 * `service_name`, …) they are the lines' message bytes, from the sidecars or a counting scan.
 * `detected_level` is computed from each line (`detected.ts`): a field of `detected_fields`
 * and a `targetLabels` choice of volume routes (then the lines are read).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLUSTER_LABEL, fieldNames, LOG_TYPES, type LogType } from '../model.js';
import { Drain } from '../patterns/drain.js';
import type { Expr, VectorSelector } from '../query/ast.js';
import { parseQuery, printQuery } from '../query/index.js';
import { NS_PER_HOUR, NS_PER_SECOND } from '../time.js';
import { detectLevel, DETECTED_LEVEL, fieldType, lineFields, mergeTypes, type FieldParser, type FieldType } from '../pipeline/detected.js';
import { badData } from './errors.js';
import { checkSeries, defaultStepNs, engineBudgets, runQuery, withSlot } from './evaluate.js';
import { lokiWindow } from './loki-routes.js';
import { nameLokiSelectors } from './loki-selectors.js';
import { collectParams, durationParam, param, params, positiveInt, requireQuery, type Params } from './params.js';
import { letheqlVersion } from './prom-routes.js';
import { labelKey, sendJson, unixSeconds } from './responses.js';
import type { RouteEnv } from './route-env.js';
import { SERVICE_NAME, serviceNameOf, serviceSourceLabel, type ServiceNameRule } from './service-name.js';
import { filtersLines, labelAnswer, layoutValues, matcherTest, streamCounts, type Window } from './streams.js';
import { LetheQLError } from '../errors.js';
import { isStoreSet } from '../store/federated-source.js';
import { logSelectorOf } from '../query/shape.js';

/** The Loki API level the routes follow (Drilldown needs 3.2 or later). */
export const LOKI_API_VERSION = '3.4.0';

const LABELS_DEFAULT_SINCE = 6n * NS_PER_HOUR;
const SERIES_DEFAULT_SINCE = NS_PER_HOUR;
/** Lines `detected_fields` and its values read by default (Drilldown asks for 1000). */
const DEFAULT_LINE_LIMIT = 1000;
/** Distinct values kept per detected field (cardinality is exact up to this). */
const MAX_FIELD_VALUES = 10_000;
/** Lines `patterns` clusters at most (newest first); more are reported in `warnings`. */
const PATTERN_SAMPLE_LINES = 100_000;

function ruleOf(env: RouteEnv): ServiceNameRule {
  return env.serviceName ?? 'app';
}


/** A selector parameter, named and with `service_name` rewritten; `written`: the label names as the client wrote them. */
function selectorParam(env: RouteEnv, text: string, name: string): { sel: VectorSelector; written: string[]; expr: Expr } {
  const raw = parseQuery(text);
  const rawSel = logSelectorOf(raw);
  if (rawSel === null) throw badData(`invalid parameter "${name}": expected a stream selector such as {namespace="shop"}, got a metric query`);
  const expr = nameLokiSelectors(raw, ruleOf(env));
  return { sel: logSelectorOf(expr)!, written: [...new Set(rawSel.matchers.map((m) => m.name))], expr };
}

async function presentLogTypes(env: RouteEnv): Promise<LogType[]> {
  const targets = await env.ctx.store.targets();
  return (['pod', 'node'] as const).filter((t) => targets[t].length > 0);
}

/** The selector of `query`, or one over every target of each log type present. */
async function selectorsOf(env: RouteEnv, q: string | undefined): Promise<VectorSelector[]> {
  if (q !== undefined && q.trim() !== '') return [selectorParam(env, q, 'query').sel];
  return (await presentLogTypes(env)).map((t) => selectorParam(env, `${t}{${LOG_TYPES[t].target}=~".+"}`, 'query').sel);
}

function checkedWindow(p: Params, env: RouteEnv, since: bigint): Window {
  const win = lokiWindow(p, env.now(), since);
  if (win.endNs < win.startNs) throw badData('invalid parameter "end": end timestamp must not be before start time');
  return win;
}

/** Adds `service_name` to a stream's labels. */
function withService(logType: LogType, labels: Record<string, string>, rule: ServiceNameRule): Record<string, string> {
  const s = serviceNameOf(logType, labels, rule);
  return s === '' ? labels : { ...labels, [SERVICE_NAME]: s };
}

async function labelNames(env: RouteEnv, p: Params): Promise<string[]> {
  checkedWindow(p, env, LABELS_DEFAULT_SINCE);
  const names = new Set<string>([SERVICE_NAME]);
  if (env.ctx.store.clusters !== null) names.add(CLUSTER_LABEL);
  for (const sel of await selectorsOf(env, param(p, 'query'))) for (const n of fieldNames(sel.name as LogType)) names.add(n);
  return [...names].sort();
}

async function labelValues(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, name: string, p: Params, warnings: Set<string>): Promise<string[]> {
  const win = checkedWindow(p, env, LABELS_DEFAULT_SINCE);
  const rule = ruleOf(env);
  const values = new Set<string>();
  for (const sel of await selectorsOf(env, param(p, 'query'))) {
    const logType = sel.name as LogType;
    if (name === SERVICE_NAME) {
      const source = serviceSourceLabel(logType, rule);
      const { streams, warnings: left } = await streamCounts(env, request, reply, sel, win, { by: [source] });
      for (const w of left ?? []) warnings.add(w);
      for (const s of streams) {
        const v = serviceNameOf(logType, s.labels, rule);
        if (v !== '') values.add(v);
      }
      continue;
    }
    const known = name === CLUSTER_LABEL ? env.ctx.store.clusters !== null : fieldNames(logType).includes(name);
    if (!known) continue;
    const fromLayout = await layoutValues(env, sel, name, win);
    if (fromLayout !== null) {
      for (const v of fromLayout) values.add(v);
      continue;
    }
    const { streams, warnings: left } = await streamCounts(env, request, reply, sel, win, { by: [name] });
    for (const w of left ?? []) warnings.add(w);
    for (const s of streams) if (s.labels[name] !== undefined) values.add(s.labels[name]);
  }
  return [...values].sort();
}

async function series(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const matches = [...params(p, 'match[]'), ...params(p, 'match')];
  if (matches.length === 0) throw badData('missing parameter "match[]": at least one stream selector is required');
  const selectors = matches.map((m) => selectorParam(env, m, 'match[]').sel);
  const win = checkedWindow(p, env, SERIES_DEFAULT_SINCE);
  const sets = new Map<string, Record<string, string>>();
  const warnings = new Set<string>();
  for (const sel of selectors) {
    const { streams, source, warnings: left } = await streamCounts(env, request, reply, sel, win);
    env.note(request, { streamsFrom: source });
    for (const w of left ?? []) warnings.add(w);
    for (const s of streams) {
      const labels = withService(sel.name as LogType, s.labels, ruleOf(env));
      sets.set(labelKey(labels), labels);
    }
    checkSeries(env.ctx, sets.size);
  }
  return labelAnswer([...sets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l), warnings);
}

async function indexStats(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const { sel } = selectorParam(env, requireQuery(p), 'query');
  const win = checkedWindow(p, env, NS_PER_HOUR);
  const plan = await env.ctx.store.explain({ ...sel, lineFilters: [], pipeline: [] }, { start: win.startNs, end: win.endNs });
  const { streams, source } = await streamCounts(env, request, reply, sel, win, { bytes: true });
  env.note(request, { streamsFrom: source });
  // Chunks: the hour files of the targets (and clusters) the streams were found in.
  const target = LOG_TYPES[sel.name as LogType].target;
  const holders = new Set(streams.map((s) => `${s.labels[CLUSTER_LABEL] ?? ''}/${s.labels[target] ?? ''}`));
  return {
    streams: streams.length,
    chunks: plan.files.filter((f) => !f.index?.fileSkippedByTime && holders.has(`${f.cluster ?? ''}/${f.target}`)).length,
    entries: streams.reduce((n, s) => n + s.lines, 0),
    bytes: streams.reduce((n, s) => n + s.bytes, 0),
  };
}

interface VolumeArgs {
  sel: VectorSelector;
  by: string[];
  aggregateBy: 'series' | 'labels';
  limit: number;
}

function volumeArgs(env: RouteEnv, p: Params): VolumeArgs {
  const { sel, written } = selectorParam(env, requireQuery(p), 'query');
  const logType = sel.name as LogType;
  const aggregateBy = param(p, 'aggregateBy') ?? 'series';
  if (aggregateBy !== 'series' && aggregateBy !== 'labels') throw badData('invalid parameter "aggregateBy": expected series or labels');
  const allowed = [...fieldNames(logType), SERVICE_NAME, DETECTED_LEVEL, ...(env.ctx.store.clusters ? [CLUSTER_LABEL] : [])];
  const targetLabels = (param(p, 'targetLabels') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const l of targetLabels) if (!allowed.includes(l)) throw badData(`invalid parameter "targetLabels": ${l} is not a label of ${logType} logs (${allowed.join(', ')})`);
  const by = targetLabels.length > 0 ? targetLabels : written.filter((n) => allowed.includes(n));
  return { sel, by, aggregateBy, limit: positiveInt(p, 'limit', 100) };
}

/**
 * Bytes per label set of `by` over `win`, at one instant or per step (`stepNs`): rows of
 * (labels, [bucket start ns, bytes][]).
 */
async function volumes(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, a: VolumeArgs, win: Window, stepNs: bigint | null, warnings: Set<string>): Promise<{ metric: Record<string, string>; points: [bigint, number][] }[]> {
  const logType = a.sel.name as LogType;
  const rule = ruleOf(env);
  const target = LOG_TYPES[logType].target;
  const layoutOnly = stepNs === null && !filtersLines(a.sel) && a.sel.matchers.every((m) => m.name === target || m.name === CLUSTER_LABEL) && a.by.every((l) => l === target || l === CLUSTER_LABEL);
  const sums = new Map<string, { metric: Record<string, string>; points: Map<bigint, number> }>();
  const add = (labels: Record<string, string>, t: bigint, bytes: number) => {
    const metric: Record<string, string> = {};
    for (const l of a.by) metric[l] = a.aggregateBy === 'labels' ? '' : (labels[l] ?? '');
    const keys = a.aggregateBy === 'labels' ? a.by.map((l) => ({ [l]: '' })) : [metric];
    for (const m of keys) {
      const key = labelKey(m);
      let cur = sums.get(key);
      if (!cur) sums.set(key, (cur = { metric: m, points: new Map() }));
      cur.points.set(t, (cur.points.get(t) ?? 0) + bytes);
    }
  };
  if (layoutOnly) {
    // Target labels are directories: the files' sizes, no scan.
    for (const f of await layoutVolumes(env, a.sel, win, warnings)) add(f.labels, win.endNs, f.bytes);
  } else if (a.by.includes(DETECTED_LEVEL)) {
    // A level is the line's: read the lines (at most maxLines; more is refused as any log query).
    await eachLine(env, request, reply, a.sel, win, env.ctx.limits.maxLines, (labels, line, t) => {
      const ls = withService(logType, { ...labels, [DETECTED_LEVEL]: detectLevel(line) }, rule);
      add(ls, stepNs === null ? win.endNs : bucketStart(t, win.startNs, stepNs), Buffer.byteLength(line));
    });
  } else if (stepNs === null) {
    const sources = [...new Set(a.by.map((l) => (l === SERVICE_NAME ? serviceSourceLabel(logType, rule) : l)))];
    const { streams, warnings: left } = await streamCounts(env, request, reply, a.sel, win, { by: sources, bytes: true });
    for (const w of left ?? []) warnings.add(w);
    for (const s of streams) add(withService(logType, s.labels, rule), win.endNs, s.bytes);
  } else {
    // One range metric query: bytes per step and stream source labels.
    const sources = [...new Set(a.by.map((l) => (l === SERVICE_NAME ? serviceSourceLabel(logType, rule) : l)))];
    if (stepNs % 1_000_000n !== 0n) throw badData('invalid parameter "step": volume_range takes a step of whole milliseconds');
    const stepMs = Number(stepNs / 1_000_000n);
    const expr = parseQuery(`sum by (${sources.join(', ')}) (bytes_over_time(${printQuery(a.sel)} [${stepMs}ms]))`);
    const { signal, done } = env.signalFor(request, reply);
    try {
      // Buckets [start + k·step, start + (k+1)·step): a range ending 1 ns before the next bucket.
      const { value } = await withSlot(env.ctx, signal, () => env.ctx.store.queryMetric(expr, { start: win.startNs + stepNs - 1n, end: win.endNs, step: stepNs, signal, ...engineBudgets(env.ctx.limits) }));
      for (const w of value.stats.warnings ?? []) warnings.add(w);
      for (const s of value.result.series) for (const [t, v] of s.samples) add(withService(logType, { ...s.labels }, rule), t + 1n - stepNs, v);
    } finally {
      done();
    }
  }
  const rows = [...sums.values()].map((s) => ({ metric: s.metric, total: [...s.points.values()].reduce((x, y) => x + y, 0), points: [...s.points.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)) }));
  rows.sort((x, y) => y.total - x.total || (labelKey(x.metric) < labelKey(y.metric) ? -1 : 1));
  return rows.slice(0, a.limit).map((r) => ({ metric: r.metric, points: r.points }));
}

/**
 * The bytes of the hour files `sel` (target and `cluster` matchers only) plans in `win`, per
 * file, each with its target label and `cluster`. A store set's remote members are asked
 * their own layout (`RemoteMember.targetVolumes`: their volume route grouped by the target)
 * with the selector's `cluster` matchers removed, if those select them; `onMemberError` as
 * for queries (a member left out is named in `warnings`).
 */
async function layoutVolumes(env: RouteEnv, sel: VectorSelector, win: Window, warnings: Set<string>): Promise<{ labels: Record<string, string>; bytes: number }[]> {
  const { store } = env.ctx;
  const target = LOG_TYPES[sel.name as LogType].target;
  const out: { labels: Record<string, string>; bytes: number }[] = [];
  if (store.remotes.length === 0 || isStoreSet(store.source)) {
    const plan = await store.explain(sel, { start: win.startNs, end: win.endNs });
    for (const f of plan.files) if (!f.index?.fileSkippedByTime) out.push({ labels: { [target]: f.target, ...(f.cluster !== undefined ? { [CLUSTER_LABEL]: f.cluster } : {}) }, bytes: f.size });
  }
  const clusterMatchers = sel.matchers.filter((m) => m.name === CLUSTER_LABEL);
  const others = sel.matchers.filter((m) => m.name !== CLUSTER_LABEL);
  const query = others.length > 0 ? printQuery({ ...sel, matchers: others }) : `${sel.name}{${target}=~".*"}`;
  const remotes = store.remotes.filter((m) => clusterMatchers.every((c) => matcherTest(c)(m.cluster)));
  const answers = await Promise.all(
    remotes.map(async (m) => {
      try {
        return await m.targetVolumes({ query, targetLabel: target, startNs: win.startNs, endNs: win.endNs });
      } catch (e) {
        if (store.onMemberError !== 'warn' || !(e instanceof LetheQLError) || e.code !== 'REMOTE_ERROR') throw e;
        warnings.add(`${e.message}; the answer leaves out cluster ${JSON.stringify(m.cluster)}`);
        return [];
      }
    }),
  );
  remotes.forEach((m, i) => {
    for (const v of answers[i]!) out.push({ labels: { [target]: v.target, [CLUSTER_LABEL]: m.cluster }, bytes: v.bytes });
  });
  return out;
}

function bucketStart(t: bigint, startNs: bigint, stepNs: bigint): bigint {
  return startNs + ((t - startNs) / stepNs) * stepNs;
}

/**
 * Runs the log query `sel` (its pipeline included) newest first, at most `limit` lines, and
 * calls `fn` per line with its stream labels, line and time (ns). Returns whether the
 * result was cut at `limit`.
 */
async function eachLine(
  env: RouteEnv,
  request: FastifyRequest,
  reply: FastifyReply,
  sel: VectorSelector,
  win: Window,
  limit: number | null,
  fn: (labels: Record<string, string>, line: string, timeNs: bigint) => void,
): Promise<boolean> {
  const { signal, done } = env.signalFor(request, reply);
  try {
    const outcome = await runQuery(env.ctx, { expr: sel, evaluation: { kind: 'instant', timeNs: win.endNs }, logWindow: win, limit, direction: 'backward', signal });
    if (outcome.kind !== 'logs') throw badData('expected a log query');
    const table = outcome.table;
    const time = table.getChild('time')!.toArray() as BigInt64Array;
    const line = table.getChild('line')!;
    const labelCols = fieldNames(sel.name as LogType)
      .concat(env.ctx.store.clusters !== null ? [CLUSTER_LABEL] : [])
      .map((n) => [n, table.getChild(n)] as const)
      .filter(([, c]) => c !== null);
    for (let i = 0; i < table.numRows; i++) {
      const labels: Record<string, string> = {};
      for (const [n, c] of labelCols) {
        const v = c!.get(i) as string | null;
        if (v !== null && v !== '') labels[n] = v;
      }
      fn(labels, line.get(i) as string, time[i]!);
    }
    return outcome.stats.truncated;
  } finally {
    done();
  }
}

async function volumeRoute(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, range: boolean): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const a = volumeArgs(env, p);
  const win = checkedWindow(p, env, NS_PER_HOUR);
  const warnings = new Set<string>();
  if (!range) {
    const rows = await volumes(env, request, reply, a, win, null, warnings);
    const time = unixSeconds(win.endNs);
    return labelAnswer({ resultType: 'vector', result: rows.map((r) => ({ metric: r.metric, value: [time, String(r.points.reduce((n, [, v]) => n + v, 0))] })) }, warnings);
  }
  const stepNs = durationParam(p, 'step') ?? defaultStepNs(win.startNs, win.endNs);
  if ((win.endNs - win.startNs) / stepNs > 11_000n) throw badData('exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter');
  const rows = await volumes(env, request, reply, a, win, stepNs, warnings);
  return labelAnswer({ resultType: 'matrix', result: rows.map((r) => ({ metric: r.metric, values: r.points.map(([t, v]) => [unixSeconds(t), String(v)]) })) }, warnings);
}

async function detectedLabels(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const win = checkedWindow(p, env, NS_PER_HOUR);
  const rule = ruleOf(env);
  const values = new Map<string, Set<string>>();
  for (const sel of await selectorsOf(env, param(p, 'query'))) {
    const { streams } = await streamCounts(env, request, reply, sel, win);
    for (const s of streams) {
      for (const [k, v] of Object.entries(withService(sel.name as LogType, s.labels, rule))) {
        let set = values.get(k);
        if (!set) values.set(k, (set = new Set()));
        set.add(v);
      }
    }
  }
  const detectedLabels = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, set]) => ({ label, cardinality: set.size }));
  return { detectedLabels };
}

interface FieldStats {
  types: Set<FieldType>;
  parsers: Set<FieldParser>;
  values: Set<string>;
}

/** The detected fields of the newest `line_limit` lines of `query` (and `detected_level`). */
async function detectFields(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, p: Params): Promise<Map<string, FieldStats>> {
  const { sel } = selectorParam(env, requireQuery(p), 'query');
  const win = checkedWindow(p, env, NS_PER_HOUR);
  const lineLimit = positiveInt(p, 'line_limit', DEFAULT_LINE_LIMIT);
  const max = env.ctx.limits.maxLines;
  if (max !== null && lineLimit > max) throw badData(`invalid parameter "line_limit": ${lineLimit} is more than the server allows (limit maxLines=${max})`);
  const fields = new Map<string, FieldStats>();
  const note = (name: string, value: string, type: FieldType | null, parser: FieldParser | null) => {
    let f = fields.get(name);
    if (!f) fields.set(name, (f = { types: new Set(), parsers: new Set(), values: new Set() }));
    if (type) f.types.add(type);
    if (parser) f.parsers.add(parser);
    if (f.values.size < MAX_FIELD_VALUES) f.values.add(value);
  };
  await eachLine(env, request, reply, sel, win, lineLimit, (_labels, line) => {
    const parsed = lineFields(line);
    if (parsed) for (const [k, v] of parsed.fields) note(k, v, fieldType(v), parsed.parser);
    note(DETECTED_LEVEL, detectLevel(line, parsed?.fields ?? null), 'string', null);
  });
  return fields;
}

async function detectedFields(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const limit = positiveInt(p, 'limit', 1000);
  const fields = await detectFields(env, request, reply, p);
  const out = [...fields.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, limit)
    .map(([label, f]) => ({ label, type: mergeTypes(f.types), cardinality: f.values.size, parsers: f.parsers.size > 0 ? [...f.parsers].sort() : null }));
  return { fields: out, limit };
}

async function detectedFieldValues(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, name: string): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const limit = positiveInt(p, 'limit', 1000);
  const f = (await detectFields(env, request, reply, p)).get(name);
  return { values: f ? [...f.values].sort().slice(0, limit) : [] };
}

async function patterns(env: RouteEnv, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const { sel } = selectorParam(env, requireQuery(p), 'query');
  const win = checkedWindow(p, env, NS_PER_HOUR);
  const stepNs = durationParam(p, 'step') ?? defaultStepNs(win.startNs, win.endNs);
  const drain = new Drain();
  const truncated = await eachLine(env, request, reply, sel, win, PATTERN_SAMPLE_LINES, (_l, line, t) => drain.add(line, Number((t - win.startNs) / stepNs)));
  const data = drain.patterns().map((pt) => ({
    pattern: pt.pattern,
    samples: pt.buckets.map(([k, n]) => [Number((win.startNs + BigInt(k) * stepNs) / NS_PER_SECOND), n]),
  }));
  const body: Record<string, unknown> = { status: 'success', data };
  if (truncated) body['warnings'] = [`patterns are from the newest ${PATTERN_SAMPLE_LINES} matching lines only; narrow the time range or add filters`];
  return sendJson(reply, body);
}

function drilldownLimits(env: RouteEnv): unknown {
  const l = env.ctx.limits;
  return {
    limits: {
      discover_log_levels: true,
      discover_service_name: [ruleOf(env) === 'app' ? 'pod' : 'container'],
      log_level_fields: ['level', 'LEVEL', 'Level', 'lvl', 'LVL', 'Lvl', 'severity', 'SEVERITY', 'Severity'],
      max_entries_limit_per_query: l.maxLines ?? 0,
      max_query_series: l.maxSeries ?? 0,
      query_timeout: l.queryTimeoutMs === null ? '0s' : `${l.queryTimeoutMs / 1000}s`,
      volume_enabled: true,
      volume_max_series: l.maxSeries ?? 0,
      pattern_persistence_enabled: false,
      metric_aggregation_enabled: false,
    },
    pattern_ingester_enabled: true,
    version: LOKI_API_VERSION,
  };
}

/** Registers the routes of the module note. */
export function registerDrilldownRoutes(app: FastifyInstance, env: RouteEnv): void {
  const loki = { scope: 'read' as const, loki: true };
  const both = ['GET', 'POST'] as const;
  const route = (url: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => app.route({ method: [...both], url, config: loki, handler });
  route('/loki/api/v1/labels', async (req) => ({ status: 'success', data: await labelNames(env, collectParams(req.query, req.body)) }));
  app.route<{ Params: { name: string } }>({
    method: [...both],
    url: '/loki/api/v1/label/:name/values',
    config: loki,
    handler: async (req, reply) => {
      const warnings = new Set<string>();
      return labelAnswer(await labelValues(env, req, reply, req.params.name, collectParams(req.query, req.body), warnings), warnings);
    },
  });
  route('/loki/api/v1/series', (req, reply) => series(env, req, reply));
  route('/loki/api/v1/index/stats', (req, reply) => indexStats(env, req, reply));
  route('/loki/api/v1/index/volume', (req, reply) => volumeRoute(env, req, reply, false));
  route('/loki/api/v1/index/volume_range', (req, reply) => volumeRoute(env, req, reply, true));
  route('/loki/api/v1/detected_labels', (req, reply) => detectedLabels(env, req, reply));
  route('/loki/api/v1/detected_fields', (req, reply) => detectedFields(env, req, reply));
  app.route<{ Params: { name: string } }>({
    method: [...both],
    url: '/loki/api/v1/detected_field/:name/values',
    config: loki,
    handler: (req, reply) => detectedFieldValues(env, req, reply, req.params.name),
  });
  route('/loki/api/v1/patterns', (req, reply) => patterns(env, req, reply));
  app.get('/loki/api/v1/drilldown-limits', { config: loki }, async () => drilldownLimits(env));
  route('/loki/api/v1/format_query', async (req) => ({ status: 'success', data: printQuery(parseQuery(requireQuery(collectParams(req.query, req.body)))) }));
  app.get('/loki/api/v1/status/buildinfo', { config: loki }, async () => ({ version: LOKI_API_VERSION, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '', letheqlVersion: await letheqlVersion() }));
}
