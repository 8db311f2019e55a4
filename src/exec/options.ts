/**
 * The options of one execution (tuning, budgets, cancellation, progress), shared by the
 * in-thread executor, the worker pools and the metric source.
 */

/** Tuning and cancellation for one execution. */
export interface ExecOptions {
  signal?: AbortSignal;
  /** Bytes per kernel block (default 1 MiB). */
  blockSize?: number;
  /** Longest line read (default 64 MiB); longer ones are skipped and counted as bad lines. */
  maxLineBytes?: number;
  /**
   * Overlap reading with scanning (default true): the next block is read into a staging
   * buffer while the kernel scans, then copied into WASM memory. With `false`, every block
   * is read straight into WASM memory and nothing overlaps (slower on a page-cache-hot
   * store: median 1.41 vs 1.62 GB/s for a rare literal over 200 MB here; two buffers less).
   */
  readAhead?: boolean;
  /**
   * Cap on what one `line_format`/`label_format` may build (UTF-16 units; default 1 MiB, or
   * the formatted line's length when longer): past it the query fails with a `LimitError`
   * naming `maxTemplateBytes`.
   */
  maxTemplateBytes?: number;
  /**
   * Cap on the rows a log query keeps, in UTF-16 units of lines, label values and times
   * (default {@link DEFAULT_MAX_BYTES_RETURNED}; `Infinity` for none). Checked as rows are
   * kept, so memory stays near the cap: past it the query fails with a `LimitError` naming
   * `maxBytesReturned`.
   */
  maxBytesReturned?: number;
  /**
   * Cap on the bytes of store files one scan plans to read (default: none), checked before a
   * byte is read: past it the query fails with a `LimitError` naming `maxBytesScanned`. A
   * metric query checks each range aggregation's scan.
   */
  maxBytesScanned?: number;
  /** Called after each file with the running totals (for progress bars); `totalBytes` is the plan's. */
  onProgress?: (progress: ScanProgress) => void;
}

/** Progress of a running query, reported after each file. */
export interface ScanProgress {
  filesRead: number;
  filesTotal: number;
  bytesScanned: number;
  totalBytes: number;
  linesMatched: number;
}

/**
 * Default `maxBytesReturned` of the library and the CLI: 256 MiB of rows (a V8 heap holds
 * that comfortably; the text and JSON writers stream it). The server's default is lower
 * (`limits.maxBytesReturned`, 64 MiB): it answers many clients at once.
 */
export const DEFAULT_MAX_BYTES_RETURNED = 256 * 1024 * 1024;
