/**
 * The kernel program: what the WASM kernel evaluates per line, as plain data.
 *
 * It is produced by the planner, printed by `explain()`, and encoded to bytes only at
 * the WASM boundary (`scan/kernel.ts`). It holds only what the kernel can decide on the
 * raw bytes: the time window, byte-equality label matchers and literal line filters.
 * Regex filters and regex label matchers run after the kernel (see `PostFilter`).
 */

/** Matches one bracket field (by index: 0 = target, 1 = pod/process, 2 = container) against bytes. */
export interface KernelLabelMatcher {
  field: number;
  op: 'eq' | 'neq';
  value: string;
}

/** A literal test on the message bytes. An empty needle is contained in every line. */
export interface KernelLineFilter {
  op: 'contains' | 'notContains';
  needle: string;
  /** Set when the planner derived this filter from a regex filter (a prefilter, or a regex that is a plain literal), for `explain()`. */
  fromRegex?: string;
}

export interface KernelProgram {
  version: 1;
  /** Bracket fields per line: 3 for pod (`ns|pod|container`), 2 for node (`node|process`). */
  fieldCount: 2 | 3;
  /** Inclusive window on the line's own timestamp, as nanoseconds since the Unix epoch (decimal strings so the program stays JSON). */
  startNs: string;
  endNs: string;
  labelMatchers: KernelLabelMatcher[];
  /** Applied left to right; all must hold. */
  lineFilters: KernelLineFilter[];
}
