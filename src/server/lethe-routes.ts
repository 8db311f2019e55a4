/**
 * The Lethe/Prometheus dialect (what Venti calls), contract §4.
 *
 * | route | answer |
 * |---|---|
 * | `GET /-/healthy`, `GET /-/ready` | `Venti is Healthy.\n` / `Venti is Ready.\n` (Lethe's exact bodies; ready is 503 while shutting down) |
 * | `GET\|POST /api/v1/query` | `query`, `time` (default now); a log query reads `[time-1m, time]` |
 * | `GET\|POST /api/v1/query_range` | `query`, `start`, `end` (required; Unix seconds or RFC 3339), `step` (metric queries) |
 * | `GET /api/v1/metadata` | `{"status":"success","data":{"targets":["node{node=\"node01\"}", …, "pod{namespace=\"…\"}"]}}` |
 * | `GET /api/v1/targets` | `{"status":"success","data":{"activeTargets":[{"discoveredLabels":{…},"health":"up","lastScrape":"…"}]}}` |
 *
 * Log results: `{"status":"success","data":{"resultType":"logs","result":[{"time":…,"namespace":…,"pod":…,"container":…,"log":…}]}}`,
 * oldest first (contract §3; Lethe returns lines in file order), `time` exactly as stored.
 * Metric results: Prometheus `vector`/`matrix`/`scalar`. `warnings` (strings) appear only
 * when there are some: a result cut at the line limit, bad lines skipped.
 *
 * Beyond Lethe: an optional `limit` parameter (at most `maxLines`; more is a 400). Without
 * it an answer holds at most `maxLines` lines, the oldest, with a warning when cut — Lethe
 * also cuts at its configured limit, silently.
 *
 * Targets, as Lethe lists them: node targets, then pod targets, each sorted; `lastScrape` is
 * the first timestamp of the target's newest hour file, to the second (Lethe reads the first
 * 19 characters of that file); `""` for a target without files. Over a store set each
 * (cluster, target) is listed, with a `cluster` discovered label.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toArrowIPC } from '../arrow/build.js';
import type { QueryStats } from '../exec/stats.js';
import { LOG_TYPES, type LogType } from '../model.js';
import { isStoreSet } from '../store/federated-source.js';
import { parseHourFileName } from '../store/hours.js';
import type { ChunkSource } from '../store/types.js';
import { formatRfc3339, NS_PER_MINUTE, parseRfc3339 } from '../time.js';
import { badData } from './errors.js';
import { runQuery, type Evaluation } from './evaluate.js';
import { parseLokiQuery } from './loki-selectors.js';
import { collectParams, durationParam, param, positiveInt, promTime, requireQuery, type Params } from './params.js';
import { metricTable } from '../metrics/arrow.js';
import { LazyArray, letheRowsLazy, sendJson, sendMetricJson } from './responses.js';
import { ARROW_STREAM, wantsArrow, type RouteEnv } from './route-env.js';

/** Lethe's probe bodies, byte for byte (its handlers were copied from Venti's). */
export const HEALTHY_BODY = 'Venti is Healthy.\n';
export const READY_BODY = 'Venti is Ready.\n';

/** Log types in the order Lethe walks the store (`node/` before `pod/`). */
const LETHE_ORDER: readonly LogType[] = ['node', 'pod'];

/** The requested line limit: the optional `limit` parameter, capped by `maxLines`. */
export function lineLimit(p: Params, maxLines: number | null): number | null {
  if (param(p, 'limit') === undefined) return maxLines;
  const asked = positiveInt(p, 'limit', 1);
  if (maxLines !== null && asked > maxLines) {
    throw badData(`invalid parameter "limit": ${asked} is more than the server allows (limit maxLines=${maxLines})`);
  }
  return asked;
}

function warnings(stats: QueryStats, limit: number | null, maxLines: number | null): string[] {
  // Store sets with remote members: a member left out (onMemberError warn), named.
  const out: string[] = [...(stats.warnings ?? [])];
  if (stats.truncated) {
    const why = limit !== null && limit === maxLines ? `the server's limit maxLines=${maxLines}` : `limit=${limit}`;
    out.push(`result truncated: ${stats.linesMatched} lines matched, the oldest ${stats.rowsReturned} are returned (${why}); narrow the time range or add filters`);
  }
  if (stats.badLines > 0) {
    const first = stats.badLineSamples[0];
    out.push(`${stats.badLines} unparsable lines were skipped${first ? ` (first: ${first.path}:${first.line}: ${first.reason})` : ''}`);
  }
  return out;
}

async function query(env: RouteEnv, request: FastifyRequest, reply: FastifyReply, range: boolean): Promise<unknown> {
  const p = collectParams(request.query, request.body);
  const text = requireQuery(p);
  let evaluation: Evaluation;
  let logWindow: { startNs: bigint; endNs: bigint };
  if (range) {
    const startNs = promTime(p, 'start');
    const endNs = promTime(p, 'end');
    if (endNs < startNs) throw badData('invalid parameter "end": end timestamp must not be before start time');
    evaluation = { kind: 'range', startNs, endNs, stepNs: durationParam(p, 'step') };
    logWindow = { startNs, endNs };
  } else {
    const timeNs = promTime(p, 'time', env.now());
    evaluation = { kind: 'instant', timeNs };
    logWindow = { startNs: timeNs - NS_PER_MINUTE, endNs: timeNs };
  }
  const maxLines = env.ctx.limits.maxLines;
  const limit = lineLimit(p, maxLines);
  // `{namespace="x"}` (no log type) is named from its labels, and `service_name` and
  // `detected_level` derived, as on the Loki routes.
  const expr = parseLokiQuery(text, env.serviceName);
  const { signal, done } = env.signalFor(request, reply);
  const started = performance.now();
  try {
    const outcome = await runQuery(env.ctx, { expr, evaluation, logWindow, limit, direction: 'forward', signal });
    const arrow = wantsArrow(request);
    if (outcome.kind === 'metric') {
      if (arrow) return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(metricTable(outcome.result))));
      return sendMetricJson(reply, outcome.result, undefined, outcome.stats?.warnings);
    }
    const { stats, table } = outcome;
    env.note(request, { bytesScanned: stats.bytesScanned, linesScanned: stats.linesScanned, linesReturned: stats.rowsReturned });
    if (stats.truncated && limit === maxLines) env.ctx.metrics.limitHits.inc({ limit: 'maxLines' });
    if (arrow) return reply.type(ARROW_STREAM).send(Buffer.from(toArrowIPC(table)));
    const ws = warnings(stats, limit, maxLines);
    const body: Record<string, unknown> = { status: 'success', data: { resultType: 'logs', result: new LazyArray(letheRowsLazy(table)) } };
    if (ws.length > 0) body['warnings'] = ws;
    return sendJson(reply, body);
  } finally {
    done();
    env.ctx.metrics.queryDuration.observe((performance.now() - started) / 1000, { endpoint: range ? '/api/v1/query_range' : '/api/v1/query' });
  }
}

/** The first timestamp of a target's newest non-empty hour file, to the second; `""` when there is none. */
async function lastScrape(source: ChunkSource, logType: LogType, target: string): Promise<string> {
  const files = await source.listFiles(logType, target);
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    const hour = parseHourFileName(f.name);
    if (hour === null || f.size === 0) continue;
    const reader = await source.open(logType, target, f.name);
    try {
      const head = new Uint8Array(Math.min(64, f.size));
      const n = await reader.read(head, 0);
      const text = new TextDecoder().decode(head.subarray(0, n));
      const bracket = text.indexOf('[');
      const ns = bracket > 0 ? parseRfc3339(text.slice(0, bracket)) : null;
      return formatRfc3339(ns ?? hour, 0);
    } finally {
      await reader.close();
    }
  }
  return '';
}

interface TargetEntry {
  logType: LogType;
  target: string;
  cluster?: string;
  source: ChunkSource;
}

async function listTargets(env: RouteEnv): Promise<TargetEntry[]> {
  const source = env.ctx.store.source;
  const members = isStoreSet(source) ? source.members.map((m) => ({ cluster: m.cluster as string | undefined, source: m.source })) : [{ cluster: undefined, source }];
  const out: TargetEntry[] = [];
  for (const logType of LETHE_ORDER) {
    for (const m of members) {
      for (const target of await m.source.listTargets(logType)) out.push({ logType, target, source: m.source, ...(m.cluster !== undefined ? { cluster: m.cluster } : {}) });
    }
  }
  return out;
}

export function registerLetheRoutes(app: FastifyInstance, env: RouteEnv): void {
  app.get('/-/healthy', { config: { scope: null } }, async (_req, reply) => reply.type('text/plain; charset=utf-8').send(HEALTHY_BODY));
  app.get('/-/ready', { config: { scope: null } }, async (_req, reply) => {
    if (env.draining()) return reply.code(503).type('text/plain; charset=utf-8').send('Shutting down.\n');
    return reply.type('text/plain; charset=utf-8').send(READY_BODY);
  });
  for (const [url, range] of [
    ['/api/v1/query', false],
    ['/api/v1/query_range', true],
  ] as const) {
    app.route({ method: ['GET', 'POST'], url, config: { scope: 'read' }, handler: (request, reply) => query(env, request, reply, range) });
  }
  app.get('/api/v1/metadata', { config: { scope: 'read' } }, async () => {
    const targets = (await listTargets(env)).map((t) => `${t.logType}{${LOG_TYPES[t.logType].target}=${JSON.stringify(t.target)}}`);
    // A target present in several clusters is one selector.
    return { status: 'success', data: { targets: [...new Set(targets)] } };
  });
  app.get('/api/v1/targets', { config: { scope: 'read' } }, async () => {
    const activeTargets = await Promise.all(
      (await listTargets(env)).map(async (t) => ({
        discoveredLabels: {
          job: t.logType,
          [t.logType === 'pod' ? '__meta_kubernetes_namespace' : '__meta_kubernetes_node_name']: t.target,
          ...(t.cluster !== undefined ? { cluster: t.cluster } : {}),
        },
        health: 'up',
        lastScrape: await lastScrape(t.source, t.logType, t.target),
      })),
    );
    return { status: 'success', data: { activeTargets } };
  });
}
