/**
 * A metric query's result as plain data, and its Prometheus JSON forms.
 *
 * ## What it owns
 * {@link MetricResult} is what the evaluator returns: series (labels, samples in time
 * order), in a deterministic order (by labels, or by value after a top-level `sort`/
 * `sort_desc`). The Prometheus HTTP API's `data` object is built from it two ways (the CLI's
 * `--format jsonl` and the server's JSON answers in both dialects use the exact text, so
 * they are byte-identical):
 * {@link toPrometheusData} as a JS object for a JSON serialiser, and
 * {@link prometheusDataJson} as exact text, byte for byte what Prometheus writes:
 * timestamps as Unix seconds with the fraction trimmed to no fewer than three digits
 * (`1257894000`, `1257894000.500`, `1257894000.000000001`), values as strings in Go's
 * shortest form (`NaN`, `+Inf`, `-Inf`, `0.1`, `1e-07`, `1e+21`).
 */
import { NS_PER_SECOND } from '../time.js';
import type { Labels } from './labels.js';
import { InternalError } from '../errors.js';
import { formatPromValue } from '../go-format.js';

/** One sample: nanoseconds since the epoch and the value. */
export type MetricSample = [timeNs: bigint, value: number];

export interface MetricSeries {
  labels: Labels;
  /** Time order. One sample for `vector` and `scalar` results. */
  samples: MetricSample[];
}

export interface MetricResult {
  /** `vector`/`scalar` for instant queries, `matrix` for range queries (a scalar range query gives one unlabelled series). */
  resultType: 'vector' | 'matrix' | 'scalar';
  series: MetricSeries[];
}

/**
 * Unix seconds as Prometheus writes a sample time (`jsonutil.MarshalTimestamp`): integer
 * seconds, then a fraction of three digits when it is whole milliseconds, more digits
 * (up to nine, trailing zeros trimmed) when finer.
 */
export function formatPromTime(timeNs: bigint): string {
  const negative = timeNs < 0n;
  const abs = negative ? -timeNs : timeNs;
  const seconds = abs / NS_PER_SECOND;
  const fraction = abs % NS_PER_SECOND;
  let out = `${negative ? '-' : ''}${seconds}`;
  if (fraction !== 0n) {
    let digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
    if (digits.length < 3) digits = digits.padEnd(3, '0');
    out += `.${digits}`;
  }
  return out;
}

/** A sample time as a JS number of Unix seconds (exact to the microsecond or so for current dates). */
export function promTimeNumber(timeNs: bigint): number {
  const seconds = timeNs / NS_PER_SECOND;
  return Number(seconds) + Number(timeNs - seconds * NS_PER_SECOND) / 1e9;
}

/** Prometheus `data` shapes. */
export type PrometheusPoint = [number, string];
export type PrometheusData =
  | { resultType: 'matrix'; result: { metric: Labels; values: PrometheusPoint[] }[] }
  | { resultType: 'vector'; result: { metric: Labels; value: PrometheusPoint }[] }
  | { resultType: 'scalar'; result: PrometheusPoint };

/** The Prometheus API `data` object as JS values (times as numbers: see {@link prometheusDataJson} for exact text). */
export function toPrometheusData(result: MetricResult): PrometheusData {
  const point = ([t, v]: MetricSample): PrometheusPoint => [promTimeNumber(t), formatPromValue(v)];
  switch (result.resultType) {
    case 'matrix':
      return { resultType: 'matrix', result: result.series.map((s) => ({ metric: { ...s.labels }, values: s.samples.map(point) })) };
    case 'vector':
      return { resultType: 'vector', result: result.series.map((s) => ({ metric: { ...s.labels }, value: point(s.samples[0]!) })) };
    case 'scalar': {
      const sample = result.series[0]?.samples[0];
      if (sample === undefined) throw new InternalError('scalar result without a sample');
      return { resultType: 'scalar', result: point(sample) };
    }
  }
}

function metricJson(labels: Labels): string {
  return `{${Object.keys(labels)
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`)
    .join(',')}}`;
}

function pointJson([t, v]: MetricSample): string {
  return `[${formatPromTime(t)},"${formatPromValue(v)}"]`;
}

/**
 * The Prometheus API `data` object as JSON text, e.g.
 * `{"resultType":"matrix","result":[{"metric":{"namespace":"a"},"values":[[1257894000,"3"]]}]}`.
 */
export function prometheusDataJson(result: MetricResult): string {
  return [...prometheusDataJsonChunks(result)].join('');
}

/**
 * {@link prometheusDataJson} in pieces (about one series each), for an answer that is
 * streamed rather than built as one string. `extra` is raw JSON text of more members
 * appended to the object (`"stats":{…}`), as Loki's answers carry them.
 */
export function* prometheusDataJsonChunks(result: MetricResult, extra?: string): Generator<string> {
  const tail = extra !== undefined ? `,${extra}}` : '}';
  switch (result.resultType) {
    case 'matrix':
    case 'vector': {
      yield `{"resultType":"${result.resultType}","result":[`;
      let first = true;
      for (const s of result.series) {
        const body = result.resultType === 'matrix' ? `"values":[${s.samples.map(pointJson).join(',')}]` : `"value":${pointJson(s.samples[0]!)}`;
        yield `${first ? '' : ','}{"metric":${metricJson(s.labels)},${body}}`;
        first = false;
      }
      yield `]${tail}`;
      return;
    }
    case 'scalar': {
      const sample = result.series[0]?.samples[0];
      if (sample === undefined) throw new InternalError('scalar result without a sample');
      yield `{"resultType":"scalar","result":${pointJson(sample)}${tail}`;
    }
  }
}
