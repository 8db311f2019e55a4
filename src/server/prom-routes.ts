/**
 * The Prometheus API routes beyond queries, so Prometheus clients (promtool, Grafana's
 * Prometheus data source, `prometheus-query`) can browse a store: label names and values,
 * series, build info, exemplars (none) and query formatting. The query routes themselves are
 * Lethe's (`lethe-routes.ts`).
 *
 * The log type plays the metric name: `__name__` is `pod` or `node`, so `pod{namespace="x"}`
 * is a series selector, and `{namespace="x"}` (no log type) is named from its labels as on
 * the Loki routes (`loki-selectors.ts`).
 *
 * | route | answer |
 * |---|---|
 * | `GET\|POST /api/v1/labels` | `match[]` optional; label names of the log types selected (all present ones by default), `__name__` first |
 * | `GET\|POST /api/v1/label/<name>/values` | `match[]`, `start`, `end` optional; `__name__`: the log types; a target label or `cluster`: from the store's directories; a line label: from the streams (`streams.ts`) |
 * | `GET\|POST /api/v1/series` | `match[]` required; one object per stream, `__name__` included |
 * | `GET /api/v1/status/buildinfo` | Prometheus' fields; `version` is the Prometheus API level served, `letheqlVersion` ours |
 * | `GET /api/v1/status/config` | `{"yaml": "…"}`: the effective server configuration, secrets as `<secret>` (`status-config.ts`) |
 * | `GET\|POST /api/v1/query_exemplars` | `{"status":"success","data":[]}`: logs have no exemplars |
 * | `GET\|POST /api/v1/format_query` | the query in LetheQL's canonical form |
 *
 * Times are Prometheus times (Unix seconds or RFC 3339). Without `start`/`end` the window is
 * the whole store up to now, as Prometheus answers over all its data.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLUSTER_LABEL, fieldNames, type LogType } from '../model.js';
import type { Expr, VectorSelector } from '../query/ast.js';
import { parseQuery, printQuery } from '../query/index.js';
import { badData } from './errors.js';
import { checkSeries } from './evaluate.js';
import { nameLokiSelectors } from './loki-selectors.js';
import { collectParams, params, promTime, requireQuery, type Params } from './params.js';
import { labelKey } from './responses.js';
import type { RouteEnv } from './route-env.js';
import { labelAnswer, layoutValues, streamCounts, type Window } from './streams.js';
import { logSelectorOf } from '../query/shape.js';

/** The Prometheus API level the routes follow (clients read features off `buildinfo.version`). */
export const PROMETHEUS_API_VERSION = '2.42.0';

let ownVersion: Promise<string> | null = null;
/** letheql's version, from its package.json (read once). */
export function letheqlVersion(): Promise<string> {
  ownVersion ??= readFile(new URL('../../package.json', import.meta.url), 'utf8').then(
    (t) => (JSON.parse(t) as { version: string }).version,
    () => 'unknown',
  );
  return ownVersion;
}

/** A selector parameter (`match[]`): a log selector, its log type named from its labels when not written. */
export function selectorParamOf(text: string, name: string): VectorSelector {
  const sel = logSelectorOf(nameLokiSelectors(parseQuery(text)));
  if (sel !== null) return sel;
  throw badData(`invalid parameter "${name}": expected a series selector such as pod{namespace="shop"} or {namespace="shop"}, got a metric query`);
}

/** `start`/`end` as Prometheus reads them; defaults: the epoch and now. */
function promWindow(p: Params, nowNs: bigint): Window {
  const endNs = promTime(p, 'end', nowNs);
  const startNs = promTime(p, 'start', 0n);
  if (endNs < startNs) throw badData('invalid parameter "end": end timestamp must not be before start time');
  return { startNs, endNs };
}

async function presentLogTypes(env: RouteEnv): Promise<LogType[]> {
  const targets = await env.ctx.store.targets();
  return (['node', 'pod'] as const).filter((t) => targets[t].length > 0);
}

/** The selectors of `match[]`, or one over all targets of each log type present. */
async function matchSelectors(env: RouteEnv, p: Params): Promise<VectorSelector[]> {
  const given = params(p, 'match[]');
  if (given.length > 0) return given.map((m) => selectorParamOf(m, 'match[]'));
  return (await presentLogTypes(env)).map((t) => selectorParamOf(`${t}{${fieldNames(t)[0]}=~".+"}`, 'match[]'));
}

async function labelNames(env: RouteEnv, p: Params): Promise<string[]> {
  promWindow(p, env.now()); // validated; names do not depend on the window
  const names = new Set<string>();
  for (const sel of await matchSelectors(env, p)) for (const n of fieldNames(sel.name as LogType)) names.add(n);
  if (env.ctx.store.clusters !== null) names.add(CLUSTER_LABEL);
  return ['__name__', ...[...names].sort()];
}

async function labelValues(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, name: string, p: Params, warnings: Set<string>): Promise<string[]> {
  const win = promWindow(p, env.now());
  const selectors = await matchSelectors(env, p);
  if (name === '__name__') return [...new Set(selectors.map((s) => s.name!))].sort();
  const values = new Set<string>();
  for (const sel of selectors) {
    const logType = sel.name as LogType;
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
  if (params(p, 'match[]').length === 0) throw badData('no match[] parameter provided');
  const win = promWindow(p, env.now());
  const sets = new Map<string, Record<string, string>>();
  const warnings = new Set<string>();
  for (const sel of await matchSelectors(env, p)) {
    const { streams, source, warnings: left } = await streamCounts(env, request, reply, sel, win);
    env.note(request, { streamsFrom: source });
    for (const w of left ?? []) warnings.add(w);
    for (const s of streams) {
      const labels = { __name__: sel.name!, ...s.labels };
      sets.set(labelKey(labels), labels);
    }
    checkSeries(env.ctx, sets.size);
  }
  const data = [...sets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, labels]) => labels);
  return labelAnswer(data, warnings);
}

/** Registers the routes of the module note. */
export function registerPromRoutes(app: FastifyInstance, env: RouteEnv): void {
  const read = { scope: 'read' as const };
  app.route({
    method: ['GET', 'POST'],
    url: '/api/v1/labels',
    config: read,
    handler: async (req) => ({ status: 'success', data: await labelNames(env, collectParams(req.query, req.body)) }),
  });
  app.route<{ Params: { name: string } }>({
    method: ['GET', 'POST'],
    url: '/api/v1/label/:name/values',
    config: read,
    handler: async (req, reply) => {
      const warnings = new Set<string>();
      return labelAnswer(await labelValues(env, req, reply, req.params.name, collectParams(req.query, req.body), warnings), warnings);
    },
  });
  app.route({ method: ['GET', 'POST'], url: '/api/v1/series', config: read, handler: (req, reply) => series(env, req, reply) });
  app.get('/api/v1/status/buildinfo', { config: read }, async () => ({
    status: 'success',
    data: { version: PROMETHEUS_API_VERSION, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '', letheqlVersion: await letheqlVersion() },
  }));
  app.get('/api/v1/status/config', { config: read }, async () => ({ status: 'success', data: { yaml: env.configYaml?.() ?? '' } }));
  app.route({
    method: ['GET', 'POST'],
    url: '/api/v1/query_exemplars',
    config: read,
    handler: async (req) => {
      const p = collectParams(req.query, req.body);
      parseQuery(requireQuery(p)); // a bad query is still a 400
      promWindow(p, env.now());
      return { status: 'success', data: [] };
    },
  });
  app.route({
    method: ['GET', 'POST'],
    url: '/api/v1/format_query',
    config: read,
    handler: async (req) => ({ status: 'success', data: printQuery(parseQuery(requireQuery(collectParams(req.query, req.body)))) }),
  });
}
