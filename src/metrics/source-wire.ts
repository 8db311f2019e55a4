/**
 * A {@link BucketRequest} or {@link SampleRequest} as plain JSON, so that a store set can ask a
 * remote member (another `letheql serve`, `POST /letheql/v1/partials`) for the partial states
 * of one range aggregation, and the member can check the request strictly before it reads a
 * byte.
 *
 * ```json
 * { "cluster": "cluster-b",
 *   "range": "pod{namespace=\"shop\"} | logfmt | unwrap latency [5m]",
 *   "kind": "buckets", "edges": ["1727182500000000000", …], "measures": ["count", "sum"],
 *   "intervals": [["1727182500000000000", "1727193600000000000"]],
 *   "output": ["latency"], "keeps": [] }
 * ```
 * - `cluster`: the name the member's store answers as. Over a store set `cluster` is a stream
 *   label before the pipeline (`store/federated-source.ts`), so the member reads its store as a
 *   one-member set of that name: `cluster` matchers, templates, label filters, `drop`/`keep`
 *   and the series labels behave exactly as when the set opens the store locally.
 * - `range`: the range aggregation's argument in canonical LetheQL (`printQuery`); its own
 *   `[r]`, `offset` and `@` are ignored (the grid and intervals account for them).
 * - `kind` `buckets`: `edges` (ns as decimal strings, strictly increasing, at least two) and
 *   `measures` (`count` and any of `bytes`, `sum`, `min`, `max`, each once); `samples`: neither.
 * - `intervals`: `[start, end]` pairs (ns, `(start, end]`), sorted, disjoint, non-empty; for
 *   buckets within `(edges[0], edges[last]]`.
 * - `output`, `keeps`: what the query reads from the range (`metrics/label-needs.ts`); absent:
 *   every label, none kept.
 *
 * Times are strings because a JSON number cannot hold every int64. Anything else (a missing
 * or unknown field, a wrong type, more edges or intervals than a query can need) is refused
 * with `INVALID_OPTION` naming the field, which the server answers 400.
 */
import { LetheQLError } from '../errors.js';
import { DEFAULT_MAX_POINTS } from './grid.js';
import type { RangeNeeds } from './label-needs.js';
import type { BucketMeasure, BucketRequest, SampleRequest, TimeInterval } from './source.js';

/** The JSON body (see the module note). */
export interface PartialRequestJson {
  cluster: string;
  range: string;
  kind: 'buckets' | 'samples';
  edges?: string[];
  measures?: BucketMeasure[];
  intervals: [string, string][];
  output?: string[] | 'all';
  keeps?: string[];
}

/** A checked request: the range still as text (the caller parses it). */
export interface PartialRequest {
  cluster: string;
  rangeText: string;
  /** The request without its range. */
  request: Omit<BucketRequest, 'range'> | Omit<SampleRequest, 'range'>;
  needs: RangeNeeds;
}

/**
 * The most edges (and intervals) a request may hold: a range query has at most
 * `DEFAULT_MAX_POINTS` steps, and its grid at most two edges per step.
 */
export const MAX_PARTIAL_EDGES = 2 * DEFAULT_MAX_POINTS;

const MEASURES = new Set<BucketMeasure>(['count', 'bytes', 'sum', 'min', 'max']);
const FIELDS = new Set(['cluster', 'range', 'kind', 'edges', 'measures', 'intervals', 'output', 'keeps']);

/** The body asking a member named `cluster` for `request`'s partials; `range` is its canonical text. */
export function partialRequestJson(cluster: string, range: string, request: BucketRequest | SampleRequest, needs: RangeNeeds | undefined): PartialRequestJson {
  const out: PartialRequestJson = { cluster, range, kind: request.kind, intervals: request.readIntervals.map((i) => [String(i.startNs), String(i.endNs)]) };
  if (request.kind === 'buckets') {
    out.edges = request.grid.edgesNs.map(String);
    out.measures = request.measures.slice();
  }
  if (needs !== undefined) {
    out.output = needs.output === 'all' ? 'all' : needs.output.slice();
    out.keeps = needs.keepsLabels.slice();
  }
  return out;
}

function invalid(message: string): LetheQLError {
  return new LetheQLError('INVALID_OPTION', `invalid partials request: ${message}`);
}

function nsOf(v: unknown, what: string): bigint {
  return wireNs(v, what, invalid);
}

/**
 * A time of a member request body: ns as a decimal string within int64 (JSON numbers lose
 * digits past 2^53). `invalid` makes the error naming the request.
 */
export function wireNs(v: unknown, what: string, invalid: (message: string) => LetheQLError): bigint {
  if (typeof v !== 'string' || !/^-?(0|[1-9]\d{0,18})$/.test(v)) throw invalid(`${what} must be a time in ns as a decimal string, got ${JSON.stringify(v)}`);
  const n = BigInt(v);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw invalid(`${what} is outside int64: ${v}`);
  return n;
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`${what} must be an array of strings`);
  return v as string[];
}

/** Checks a request body (see the module note); throws `INVALID_OPTION` naming the problem. */
export function readPartialRequest(body: unknown): PartialRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!FIELDS.has(k)) throw invalid(`unknown field ${JSON.stringify(k)}`);
  if (typeof b['cluster'] !== 'string') throw invalid('"cluster" must be a string (the cluster name the store answers as)');
  if (typeof b['range'] !== 'string' || b['range'].trim() === '') throw invalid('"range" must be a non-empty string (a log range, e.g. pod{namespace="x"}[5m])');
  const kind = b['kind'];
  if (kind !== 'buckets' && kind !== 'samples') throw invalid(`"kind" must be "buckets" or "samples", got ${JSON.stringify(kind)}`);

  const rawIntervals = b['intervals'];
  if (!Array.isArray(rawIntervals) || rawIntervals.length === 0) throw invalid('"intervals" must be a non-empty array of [start, end] pairs');
  if (rawIntervals.length > MAX_PARTIAL_EDGES) throw invalid(`"intervals" holds ${rawIntervals.length} intervals, more than ${MAX_PARTIAL_EDGES}`);
  const intervals: TimeInterval[] = rawIntervals.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalid(`"intervals"[${i}] must be a [start, end] pair`);
    const startNs = nsOf(pair[0], `"intervals"[${i}][0]`);
    const endNs = nsOf(pair[1], `"intervals"[${i}][1]`);
    if (endNs <= startNs) throw invalid(`"intervals"[${i}] ends before it starts`);
    return { startNs, endNs };
  });
  for (let i = 1; i < intervals.length; i++) {
    if (intervals[i]!.startNs < intervals[i - 1]!.endNs) throw invalid(`"intervals" must be sorted and disjoint ("intervals"[${i}] starts before "intervals"[${i - 1}] ends)`);
  }

  let request: PartialRequest['request'];
  if (kind === 'buckets') {
    const rawEdges = b['edges'];
    if (!Array.isArray(rawEdges) || rawEdges.length < 2) throw invalid('"edges" must be an array of at least two times (buckets requests)');
    if (rawEdges.length > MAX_PARTIAL_EDGES) throw invalid(`"edges" holds ${rawEdges.length} edges, more than ${MAX_PARTIAL_EDGES}`);
    const edgesNs = rawEdges.map((e, i) => nsOf(e, `"edges"[${i}]`));
    for (let i = 1; i < edgesNs.length; i++) if (edgesNs[i]! <= edgesNs[i - 1]!) throw invalid(`"edges" must be strictly increasing ("edges"[${i}])`);
    if (intervals[0]!.startNs < edgesNs[0]! || intervals[intervals.length - 1]!.endNs > edgesNs[edgesNs.length - 1]!) throw invalid('"intervals" must lie within the grid (edges[0], edges[last]]');
    const measures = stringList(b['measures'], '"measures"');
    for (const m of measures) if (!MEASURES.has(m as BucketMeasure)) throw invalid(`unknown measure ${JSON.stringify(m)}, expected count, bytes, sum, min or max`);
    if (new Set(measures).size !== measures.length) throw invalid('"measures" names a measure twice');
    if (!measures.includes('count')) throw invalid('"measures" must contain "count"');
    request = { kind: 'buckets', grid: { edgesNs }, measures: measures as BucketMeasure[], readIntervals: intervals };
  } else {
    if (b['edges'] !== undefined || b['measures'] !== undefined) throw invalid('"edges" and "measures" belong to buckets requests, not samples');
    request = { kind: 'samples', readIntervals: intervals };
  }

  const output = b['output'] === undefined || b['output'] === 'all' ? 'all' : stringList(b['output'], '"output" (or "all")');
  const keepsLabels = b['keeps'] === undefined ? [] : stringList(b['keeps'], '"keeps"');
  return { cluster: b['cluster'], rangeText: b['range'], request, needs: { output, keepsLabels } };
}
