/**
 * Small hand-made sample sources and compact result shapes for the metric tests.
 *
 * Times are seconds after T0 (Lethe's frozen test clock, 2009-11-10T23:00:00Z) so that a
 * table row reads `[60, 4]`: "at T0+60s the value is 4".
 */
import { parseQuery } from '../../src/query/index.js';
import { NS_PER_SECOND, parseRfc3339 } from '../../src/time.js';
import {
  evaluateMetricQuery,
  MemorySampleSource,
  type Labels,
  type MemoryExpression,
  type MetricEvalOptions,
  type MetricResult,
} from '../../src/metrics/index.js';
import { formatLabels } from '../../src/metrics/labels.js';

export const T0 = parseRfc3339('2009-11-10T23:00:00Z')!;
/** T0 + `s` seconds (fractions allowed down to the nanosecond). */
export const at = (s: number): bigint => T0 + BigInt(Math.round(s * 1e9));
export const secondsOf = (ns: bigint): number => Number(ns - T0) / Number(NS_PER_SECOND);

export interface StreamSpec {
  labels: Labels;
  /** Line times in seconds after T0; or [seconds, value] pairs for unwrapped streams; or [seconds, line]. */
  at: (number | [number, number] | [number, string])[];
}

/** One expression's streams. */
export function expression(streams: StreamSpec[], opts: { unwrapped?: boolean; absentLabels?: Labels } = {}): MemoryExpression {
  return {
    ...opts,
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.at.map((e) => {
        if (typeof e === 'number') return { timeNs: at(e), line: 'x' };
        const [t, v] = e;
        return typeof v === 'number' ? { timeNs: at(t), value: v, line: 'x' } : { timeNs: at(t), line: v };
      }),
    })),
  };
}

/**
 * Gauges: an unwrapped expression `gauge{name="<name>"}` whose series each hold one sample
 * at `time − 1s`, so `last_over_time(gauge{name="<name>"}[1m])` at `time` is the value.
 * {@link gaugeQuery} writes `A` for that whole range aggregation. (The source declares the
 * selector unwrapped; a real query would read `pod{…} | json | unwrap x`.)
 */
export function gauges(values: [Labels, number][], time = 3600): MemoryExpression {
  return expression(
    values.map(([labels, v]) => ({ labels, at: [[time - 1, v]] })),
    { unwrapped: true },
  );
}

/** Replaces every single capital letter `X` by `last_over_time(gauge{name="X"}[1m])`. */
export function gaugeQuery(q: string): string {
  // Not after `?`: `(?P<name>…)` in a regex stays as it is.
  return q.replace(/(?<!\?)\b([A-Z])\b/g, 'last_over_time(gauge{name="$1"}[1m])');
}

export type Times = { time: number } | { start: number; end: number; step: number };

export async function run(query: string, source: MemorySampleSource, times: Times, options: MetricEvalOptions = {}): Promise<MetricResult> {
  const t = 'time' in times ? { startNs: at(times.time), endNs: at(times.time), stepNs: 0n } : { startNs: at(times.start), endNs: at(times.end), stepNs: BigInt(Math.round(times.step * 1e9)) };
  return evaluateMetricQuery(parseQuery(query), t, source, options);
}

/** An instant vector as `[labels, value]` rows, in result order. */
export function vectorRows(result: MetricResult): [string, number][] {
  if (result.resultType !== 'vector') throw new Error(`expected a vector, got ${result.resultType}`);
  return result.series.map((s) => [formatLabels(s.labels), s.samples[0]![1]]);
}

/** A matrix as `{labels: [[seconds, value], …]}`, in result order (the object keeps insertion order). */
export function matrixRows(result: MetricResult): Record<string, [number, number][]> {
  if (result.resultType !== 'matrix') throw new Error(`expected a matrix, got ${result.resultType}`);
  const out: Record<string, [number, number][]> = {};
  for (const s of result.series) out[formatLabels(s.labels)] = s.samples.map(([t, v]) => [secondsOf(t), v]);
  return out;
}
