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
 * Runs on the page over rows already loaded (no scan), in local-store and server mode alike,
 * in slices between tasks (Drain takes some 10–25 µs a line), so a big result never blocks
 * the page; a newer request cancels an older one.
 */
import { Drain } from '../../src/patterns/drain.js';
import type { RowSet } from './rows.js';

export interface PatternRow {
  template: string;
  count: number;
  /** Lines per time bucket, for the sparkline. */
  buckets: Float64Array;
}

/** Rows added to Drain between two yields to the page. */
const SLICE = 10_000;

/**
 * The templates of `rows`, most frequent first; `bucketOf` maps a row time to a bucket
 * (outside [0, bucketCount): counted, not drawn). Resolves null when `cancelled()` turns true
 * between slices; `onProgress` hears the rows done.
 */
export async function findPatterns(
  rows: RowSet,
  bucketCount: number,
  bucketOf: (ns: bigint) => number,
  opts: { cancelled?: () => boolean; onProgress?: (done: number) => void } = {},
): Promise<PatternRow[] | null> {
  const drain = new Drain();
  for (let i = 0; i < rows.length; i++) {
    if (i % SLICE === SLICE - 1) {
      opts.onProgress?.(i + 1);
      await new Promise((r) => setTimeout(r, 0));
      if (opts.cancelled?.()) return null;
    }
    drain.add(rows.line(i), bucketOf(rows.timeNs(i)));
  }
  return drain.patterns().map((p) => {
    const buckets = new Float64Array(bucketCount);
    for (const [b, n] of p.buckets) if (b >= 0 && b < bucketCount) buckets[b] = n;
    return { template: p.pattern, count: p.count, buckets };
  });
}

/** An SVG sparkline of `values` (width × height px). */
export function sparkline(values: Float64Array, width = 120, height = 20): string {
  const max = Math.max(1, ...values);
  const n = values.length;
  const pts = Array.from(values, (v, k) => `${((k + 0.5) * width) / Math.max(1, n)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-hidden="true"><polyline fill="none" stroke="currentColor" stroke-width="1.2" points="${pts}"/></svg>`;
}
