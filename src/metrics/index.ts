/**
 * Metric queries over logs: the public entry of `src/metrics/`.
 *
 * Layout (each module's note says what it owns):
 * - `source.ts` — {@link LogSampleSource}, the seam to the executor (bucketed counts or raw
 *   unwrapped samples), with accumulators and an in-memory source;
 * - `grid.ts` — evaluation times, windows `(t − range, t]`, the bucket grid;
 * - `range-functions.ts`, `range-node.ts` — the range aggregations;
 * - `aggregations.ts`, `binary.ts`, `functions.ts` — vector aggregations, operators and
 *   vector matching, instant functions;
 * - `evaluator.ts` — planning, type checking, step evaluation, result assembly;
 * - `result.ts`, `arrow.ts` — result data, Prometheus JSON, the Arrow long table.
 *
 * Platform-neutral: no `node:` imports.
 */
export {
  DEFAULT_MAX_SERIES,
  evaluateMetricQuery,
  isMetricQuery,
  planMetricQuery,
  SeriesLimitError,
  type MetricEvalOptions,
  type MetricQueryPlan,
} from './evaluator.js';
export { bucketLocator, DEFAULT_MAX_POINTS, planWindows, stepTimes, type BucketGrid, type EvalTimes, type WindowPlan } from './grid.js';
export { compareLabels, type Labels } from './labels.js';
export { BucketAccumulator, inIntervals, SampleAccumulator, type AccumulatorSeries } from './accumulators.js';
export { MemorySampleSource, type MemoryEntry, type MemoryExpression } from './memory-source.js';
export {
  absentLabelsOf,
  type BucketMeasure,
  type BucketRequest,
  type BucketSeries,
  type LogRange,
  type LogRangeInfo,
  type LogSampleSource,
  type SampleRequest,
  type SampleSeries,
  type TimeInterval,
} from './source.js';
export { formatPromValue } from '../go-format.js';
export {
  formatPromTime,
  prometheusDataJson,
  toPrometheusData,
  type MetricResult,
  type MetricSample,
  type MetricSeries,
  type PrometheusData,
} from './result.js';
export { metricLabelColumns, metricSchema, metricTable } from './arrow.js';
