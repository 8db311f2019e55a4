/**
 * The streams of a selector in a time window, with their line and message-byte counts: what
 * both dialects' label routes (`/labels`, `/label/<name>/values`, `/series`) and the Loki
 * index routes (`index/stats`, `index/volume`, `detected_labels`) are answered from.
 *
 * Where it comes from, cheapest first:
 * 1. **The store layout.** Target labels (`namespace`, `node`) are directory names and
 *    `cluster` a store set's member: the plan lists them without reading a byte
 *    ({@link layoutValues}).
 * 2. **Sidecars** (`letheql index`): each hour file's sidecar holds its streams with line
 *    and byte counts. When the selector has no line filter and every planned file has a
 *    usable sidecar with streams, the answer is their sum, filtered by the selector's label
 *    matchers; no log file is read. The window is applied at hour-file granularity (a file
 *    whose lines all lie outside the window is left out, per the sidecar's min/max time), as
 *    Loki's index answers at chunk granularity.
 * 3. **A scan**: otherwise one metric query, `sum by (<labels>) (count_over_time(<sel>[w]))`
 *    (and `bytes_over_time` when bytes are asked for) at the window's end. Counting folds
 *    matches into per-stream sums; no line is materialised, and it runs under the server's
 *    limits like any query.
 *
 * A store set with **remote members** (another `letheql serve`): their layout and sidecars are
 * behind their servers, so the answer is always the scan, which reads every member as any
 * metric query does (`exec/member-source.ts`: each remote member reads its store as the set's
 * cluster of that name, so `cluster` is a stream label there too) and follows the set's
 * `onMemberError`: a member left out is named in `warnings`. Target label values then come
 * from the lines in the window, where the layout answers at hour-file granularity.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLUSTER_LABEL, fieldNames, LOG_TYPES, type LogType } from '../model.js';
import type { LabelMatcher, VectorSelector } from '../query/ast.js';
import { parseQuery, printQuery } from '../query/index.js';
import { compileRegex } from '../regex/index.js';
import { isStoreSet } from '../store/federated-source.js';
import { storePath } from '../store/paths.js';
import { decodeSidecar, type SidecarStream } from '../store/sidecar.js';
import type { ChunkSource } from '../store/types.js';
import { engineBudgets, withSlot } from './evaluate.js';
import { labelKey } from './responses.js';
import type { RouteEnv } from './route-env.js';

/** An inclusive time window, ns. */
export interface Window {
  startNs: bigint;
  endNs: bigint;
}

/** One stream (its label set) and what it holds in the window. */
export interface StreamCount {
  labels: Record<string, string>;
  lines: number;
  /** Bytes of the lines' messages. */
  bytes: number;
}

/** Where an answer came from (tests and the request log check that the layout answered). */
export type StreamSource = 'sidecars' | 'scan';

/** Whether a selector filters lines (line filters or pipeline stages). */
export function filtersLines(sel: VectorSelector): boolean {
  return sel.lineFilters.length > 0 || sel.pipeline.length > 0;
}

/** `=~`/`!~` anchored as the kernel anchors them; an absent label is `""`. */
export function matcherTest(m: Pick<LabelMatcher, 'op' | 'value'>): (v: string) => boolean {
  if (m.op === '=') return (v) => v === m.value;
  if (m.op === '!=') return (v) => v !== m.value;
  const re = compileRegex(`^(?:${m.value})$`);
  return m.op === '=~' ? (v) => re.test(v) : (v) => !re.test(v);
}

/** A label route's answer, with the remote members left out named in `warnings` (as the query routes name them). */
export function labelAnswer(data: unknown, warnings: ReadonlySet<string>): Record<string, unknown> {
  return { status: 'success', data, ...(warnings.size > 0 ? { warnings: [...warnings] } : {}) };
}

/**
 * Values of a target label (`namespace`, `node`) or `cluster` from the store layout (the
 * plan's files in the window), or null when the selector needs lines to tell (it filters
 * lines or matches line labels).
 */
export async function layoutValues(env: RouteEnv, sel: VectorSelector, name: string, win: Window): Promise<string[] | null> {
  const logType = sel.name as LogType;
  const target = LOG_TYPES[logType].target;
  if (env.ctx.store.remotes.length > 0 || filtersLines(sel) || !sel.matchers.every((m) => m.name === target || m.name === CLUSTER_LABEL)) return null;
  if (name !== target && name !== CLUSTER_LABEL) return null;
  const plan = await env.ctx.store.explain(sel, { start: win.startNs, end: win.endNs });
  const out = new Set<string>();
  for (const f of plan.files) {
    if (f.index?.fileSkippedByTime) continue;
    const v = name === target ? f.target : f.cluster;
    if (v !== undefined) out.add(v);
  }
  return [...out].sort();
}

/** The streams of every planned file from its sidecar, or null when one file has none (or no stream list). */
async function sidecarStreams(source: ChunkSource, sel: VectorSelector, win: Window, env: RouteEnv): Promise<{ cluster: string | undefined; streams: SidecarStream[] }[] | null> {
  const logType = sel.name as LogType;
  const plan = await env.ctx.store.explain(sel, { start: win.startNs, end: win.endNs });
  const out: { cluster: string | undefined; streams: SidecarStream[] }[] = [];
  for (const f of plan.files) {
    if (f.index === undefined) return null;
    if (f.index.fileSkippedByTime) continue;
    const member = f.cluster !== undefined && isStoreSet(source) ? source.member(f.cluster) : source;
    const bytes = member.readSidecar ? await member.readSidecar(logType, f.target, f.name) : null;
    if (bytes === null || bytes.fileSize !== f.size) return null;
    const r = decodeSidecar(bytes.bytes, { path: storePath(logType, f.target, f.name), size: f.size, mtimeMs: bytes.fileMtimeMs });
    if (!r.ok || r.sidecar.header.streams === null) return null;
    out.push({ cluster: f.cluster, streams: r.sidecar.header.streams });
  }
  return out;
}

/**
 * The streams `sel` (a named selector) matches in `win`, summed per label set of `by` (all
 * stream labels when absent). `bytes`: also count message bytes (a scan then runs twice).
 * See the module note for where the answer comes from. `warnings`: remote members left out
 * (`onMemberError: warn`), when there are some.
 */
export async function streamCounts(
  env: RouteEnv,
  request: FastifyRequest,
  reply: FastifyReply,
  sel: VectorSelector,
  win: Window,
  options: { by?: readonly string[]; bytes?: boolean } = {},
): Promise<{ streams: StreamCount[]; source: StreamSource; warnings?: string[] }> {
  const logType = sel.name as LogType;
  const names = fieldNames(logType);
  const { store } = env.ctx;
  const storeSet = store.clusters !== null;
  const all = storeSet ? [CLUSTER_LABEL, ...names] : [...names];
  const by = (options.by ?? all).filter((n) => all.includes(n));
  const sums = new Map<string, StreamCount>();
  const add = (labels: Record<string, string>, lines: number, bytes: number) => {
    const key = labelKey(labels);
    const cur = sums.get(key);
    if (cur) {
      cur.lines += lines;
      cur.bytes += bytes;
    } else sums.set(key, { labels, lines, bytes });
  };
  if (!filtersLines(sel) && store.remotes.length === 0) {
    const files = await sidecarStreams(store.source, sel, win, env);
    if (files !== null) {
      const tests = sel.matchers.filter((m) => m.name !== CLUSTER_LABEL).map((m) => ({ field: names.indexOf(m.name), test: matcherTest(m) }));
      for (const f of files) {
        for (const s of f.streams) {
          if (!tests.every((t) => t.test(s.fields[t.field] ?? ''))) continue;
          const labels: Record<string, string> = {};
          for (const n of by) {
            const v = n === CLUSTER_LABEL ? f.cluster : s.fields[names.indexOf(n)];
            if (v !== undefined && v !== '') labels[n] = v;
          }
          add(labels, s.lines, s.bytes);
        }
      }
      return { streams: [...sums.values()], source: 'sidecars' };
    }
  }
  const rangeMs = Number((win.endNs - win.startNs) / 1_000_000n) + 1;
  const grouping = by.length > 0 ? ` by (${by.join(', ')})` : '';
  const warnings = new Set<string>();
  const run = async (fn: string): Promise<{ labels: Record<string, string>; value: number }[]> => {
    const expr = parseQuery(`sum${grouping} (${fn}(${printQuery(sel)} [${rangeMs}ms]))`);
    const { signal, done } = env.signalFor(request, reply);
    try {
      const { value } = await withSlot(env.ctx, signal, () => store.queryMetric(expr, { end: win.endNs, signal, ...engineBudgets(env.ctx.limits) }));
      // Labels in `by` order (the sidecar path's order), so both answer byte for byte alike.
      for (const w of value.stats.warnings ?? []) warnings.add(w);
      const ordered = (l: Readonly<Record<string, string>>) => Object.fromEntries(by.filter((n) => l[n] !== undefined).map((n) => [n, l[n]!]));
      return value.result.series.map((s) => ({ labels: ordered(s.labels), value: s.samples[0]?.[1] ?? 0 }));
    } finally {
      done();
    }
  };
  for (const s of await run('count_over_time')) add(s.labels, s.value, 0);
  if (options.bytes) for (const s of await run('bytes_over_time')) add(s.labels, 0, s.value);
  return { streams: [...sums.values()].filter((s) => s.lines > 0), source: 'scan', ...(warnings.size > 0 ? { warnings: [...warnings] } : {}) };
}
