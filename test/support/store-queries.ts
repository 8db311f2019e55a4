/**
 * Differential query tables: queries whose rows, order and statistics must be the same on
 * two ways of reading one store (with and without sidecars, a local directory and its copy
 * in S3, …): test/exec/sidecar-differential.test.ts and test/s3/read.test.ts. The generated ones are for `generateStore({ sizeBytes: 3_000_000, seed: 7 })`.
 */
import { getStats, type LogStore, type QueryOptions, type QueryStats } from '../../src/node.js';
import { tableLines } from './paths.js';

export type Shape = 'count' | 'rows' | 'rows, limit 7' | 'rows, backward, limit 7' | 'rows, backward' | 'metric';

export interface QueryCase {
  query: string;
  /** The window (and a metric case's step): the shapes add the rest. */
  opts: QueryOptions;
  shapes: Shape[];
}

export const LOG_SHAPES: Shape[] = ['count', 'rows', 'rows, limit 7', 'rows, backward, limit 7', 'rows, backward'];
const FIX = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };
const GEN = { start: '2024-09-24T00:00:00Z', end: '2024-09-24T02:59:59.999999999Z' };

export const FIXTURE_CASES: QueryCase[] = [
  { query: 'pod{namespace="shop"}', opts: FIX, shapes: LOG_SHAPES },
  { query: 'pod{namespace=~".+", pod=~"api-.*", container!="istio-proxy"}', opts: FIX, shapes: LOG_SHAPES },
  { query: 'pod{namespace="shop"} |= " 500 "', opts: FIX, shapes: LOG_SHAPES },
  { query: 'pod{namespace=~".+"} |~ "(?i)ERROR"', opts: FIX, shapes: LOG_SHAPES },
  { query: 'pod{namespace=~".+"} |= "Exception" != "healthz"', opts: FIX, shapes: LOG_SHAPES },
  { query: 'node{node=~".+"} |~ "oom.?kill(ed)? process [0-9]+"', opts: FIX, shapes: LOG_SHAPES },
  { query: 'node{node=~".+"}', opts: { start: '2024-09-24T14:10:00Z', end: '2024-09-24T14:37:12.345678901Z' }, shapes: LOG_SHAPES },
  { query: 'pod{namespace="default"} |= "no such literal here"', opts: FIX, shapes: LOG_SHAPES },
  { query: 'pod{namespace="shop"} | json | level="error"', opts: FIX, shapes: LOG_SHAPES },
  { query: 'sum by (pod) (count_over_time(pod{namespace=~".+"} |= "GET" [10m]))', opts: { ...FIX, step: '10m' }, shapes: ['metric'] },
  { query: 'bytes_over_time(node{node="node-a"}[30m])', opts: { ...FIX, step: '30m' }, shapes: ['metric'] },
];

export const GENERATED_CASES: QueryCase[] = [
  { query: 'pod{namespace=~".+"}', opts: GEN, shapes: LOG_SHAPES },
  { query: 'pod{namespace=~".+"} |= "ulid=01J8971445EBA25ADDE675DE02"', opts: GEN, shapes: LOG_SHAPES },
  { query: 'pod{namespace=~".+", container="prometheus"} |= "10.244.1.8:9090"', opts: GEN, shapes: LOG_SHAPES },
  { query: 'node{node=~".+"} |~ "(?i)oom"', opts: GEN, shapes: LOG_SHAPES },
  { query: 'pod{namespace="shop"}', opts: { start: '2024-09-24T01:20:00Z', end: '2024-09-24T01:25:00Z' }, shapes: LOG_SHAPES },
  { query: 'pod{namespace=~".+"} |= "trace_id=RARE-7f3a"', opts: GEN, shapes: LOG_SHAPES },
  { query: 'count_over_time(pod{namespace=~".+"} |= "level=warn" [1h])', opts: { ...GEN, step: '1h' }, shapes: ['metric'] },
  { query: 'sum(count_over_time(pod{namespace="shop"} | logfmt | level="error" [20m]))', opts: { ...GEN, step: '20m' }, shapes: ['metric'] },
];

/** Runs one case in one shape: the result to compare, and the query's statistics (each test decides what of them must agree). */
export async function runCase(store: LogStore, c: QueryCase, shape: Shape): Promise<{ result: unknown; stats: QueryStats | null }> {
  if (shape === 'count') {
    const { count, stats } = await store.count(c.query, c.opts);
    return { result: count, stats };
  }
  if (shape === 'metric') {
    const { result, stats } = await store.queryMetric(c.query, c.opts);
    return { result, stats };
  }
  const t = await store.query(c.query, { ...c.opts, limit: shape.includes('limit 7') ? 7 : null, direction: shape.includes('backward') ? 'backward' : 'forward' });
  return { result: { lines: tableLines(t), times: [...(t.getChild('time')?.toArray() ?? [])].map(String), columns: t.schema.fields.map((f) => f.name) }, stats: getStats(t) };
}
