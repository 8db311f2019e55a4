/**
 * Patterns among the loaded rows, by the engine's Drain (`src/patterns/drain.ts`: the same
 * algorithm, parameters and templates as `letheql patterns` and the server's
 * `/loki/api/v1/patterns`), with a count and the counts over time for a sparkline. Drain
 * counts every line under exactly one template, so the counts add up to the rows (to the
 * matching lines when the result holds them all).
 *
 * A template becomes a line filter by Drain's own `patternRegex` (`|~ "^…$"`: literal
 * tokens escaped, `<_>` as one or more tokens, whitespace as Drain splits lines); the filter
 * keeps every line of the template, and also the lines of a more specific template that fits
 * it (see drain.ts).
 *
 * Runs over rows already loaded (no scan), in local-store and server mode alike, in a worker
 * of its own (Drain takes some 10–25 µs a line: a big result must not block the page); a
 * newer request cancels an older one.
 */
import { Drain, type DrainPattern } from '../../src/patterns/drain.js';
import type { PatternsAnswer, PatternsRequest } from './patterns-worker.js';
import { ArrowRows, type RowSet } from './rows.js';

export interface PatternRow {
  template: string;
  count: number;
  /** Lines per time bucket, for the sparkline. */
  buckets: Float64Array;
}

/** Drain's templates as the tab lists them: each template's counts per bucket in [0, bucketCount). */
export function patternRows(found: readonly DrainPattern[], bucketCount: number): PatternRow[] {
  return found.map((p) => {
    const buckets = new Float64Array(bucketCount);
    for (const [b, n] of p.buckets) if (b >= 0 && b < bucketCount) buckets[b] = n;
    return { template: p.pattern, count: p.count, buckets };
  });
}

/**
 * The templates of `rows`, most frequent first, on this thread; `bucketOf` maps a row time
 * to a bucket (outside [0, bucketCount): counted, not drawn). The page runs the same in a
 * worker ({@link findPatternsInWorker}).
 */
export function findPatterns(rows: RowSet, bucketCount: number, bucketOf: (ns: bigint) => number): PatternRow[] {
  const drain = new Drain();
  for (let i = 0; i < rows.length; i++) drain.add(rows.line(i), bucketOf(rows.timeNs(i)));
  return patternRows(drain.patterns(), bucketCount);
}

/** The lines of `rows` as one UTF-8 buffer and offsets: the Arrow column's own bytes when there is one, else encoded. */
function packLines(rows: RowSet): { bytes: Uint8Array; offsets: Int32Array } {
  const n = rows.length;
  const offsets = new Int32Array(n + 1);
  if (rows instanceof ArrowRows) {
    const chunks = rows.source.getChild('line')!.data;
    let total = 0;
    for (const d of chunks) total += d.valueOffsets[d.offset + d.length]! - d.valueOffsets[d.offset]!;
    const bytes = new Uint8Array(total);
    let at = 0;
    let i = 0;
    for (const d of chunks) {
      const off = d.valueOffsets;
      const first = off[d.offset]!;
      const last = off[d.offset + d.length]!;
      bytes.set(d.values.subarray(first, last), at);
      for (let k = 0; k < d.length; k++) offsets[i++] = at + off[d.offset + k]! - first;
      at += last - first;
    }
    offsets[n] = at;
    return { bytes, offsets };
  }
  const enc = new TextEncoder();
  const parts = Array.from({ length: n }, (_, i) => enc.encode(rows.line(i)));
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  parts.forEach((p, i) => {
    offsets[i] = at;
    bytes.set(p, at);
    at += p.length;
  });
  offsets[n] = at;
  return { bytes, offsets };
}

/**
 * {@link findPatterns} in a worker (`patterns-worker.ts`), so Drain (some 10–25 µs a line)
 * never blocks the page; resolves null when `signal` aborts first (the worker is terminated).
 */
export async function findPatternsInWorker(rows: RowSet, bucketCount: number, bucketOf: (ns: bigint) => number, signal: AbortSignal): Promise<PatternRow[] | null> {
  const buckets = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) buckets[i] = bucketOf(rows.timeNs(i));
  const { bytes, offsets } = packLines(rows);
  if (signal.aborted) return null;
  const worker = new Worker(new URL('./patterns-worker.ts', import.meta.url), { type: 'module' });
  try {
    const found = await new Promise<PatternsAnswer | null>((resolve, reject) => {
      signal.addEventListener('abort', () => resolve(null), { once: true });
      worker.onmessage = (e: MessageEvent<PatternsAnswer>) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`patterns worker failed: ${e.message}`));
      worker.postMessage({ bytes, offsets, buckets } satisfies PatternsRequest, [bytes.buffer, offsets.buffer, buckets.buffer]);
    });
    return found === null ? null : patternRows(found.patterns, bucketCount);
  } finally {
    worker.terminate();
  }
}

/** An SVG sparkline of `values` (width × height px). */
export function sparkline(values: Float64Array, width = 120, height = 20): string {
  const max = Math.max(1, ...values);
  const n = values.length;
  const pts = Array.from(values, (v, k) => `${((k + 0.5) * width) / Math.max(1, n)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-hidden="true"><polyline fill="none" stroke="currentColor" stroke-width="1.2" points="${pts}"/></svg>`;
}
