/**
 * What the scan stage hands to the executor: matches per block, as columns of typed
 * arrays over the block's bytes. No per-line objects are created in the scan stage.
 */

/** Offsets recorded per matching line, relative to `MatchBatch.bytes`; `OFFSET_STRIDE` int32 per match. */
export const OFF_LINE_START = 0; // first byte of the line (timestamp start)
export const OFF_TIME_END = 1; // index of the '[' that ends the timestamp
export const OFF_FIELD0_START = 2; // field k: start at 2 + 2k, end at 3 + 2k (exclusive); -1 when absent
export const OFF_MSG_START = 8; // first byte of the message (after the separator byte)
export const OFF_MSG_END = 9; // end of the message, exclusive, after stripping "\n" and one "\r"
export const OFFSET_STRIDE = 10;

/** Bad lines kept as samples (file, line, reason) per scan and per query; the rest are only counted. */
export const DEFAULT_MAX_BAD_LINE_SAMPLES = 100;

/**
 * Matching lines of one block. Views are valid only during the callback that receives
 * the batch (they may point into WASM memory that the next block overwrites).
 */
export interface MatchBatch {
  readonly count: number;
  readonly bytes: Uint8Array;
  /** Per match: timestamp, nanoseconds since the epoch. */
  readonly timesNs: BigInt64Array;
  /** Per match: 1-based line number in the file. */
  readonly lineNos: Uint32Array;
  /** Per match: `OFFSET_STRIDE` offsets, see the `OFF_*` constants. */
  readonly offsets: Int32Array;
}

/** Why a line was not read. */
export type BadLineReason =
  | 'bad-timestamp' // no '[' or an unparsable RFC 3339 timestamp before it
  | 'timestamp-out-of-range' // parses, but outside what nanoseconds in int64 can hold (years 1678–2262)
  | 'missing-bracket' // no ']' closing the label fields
  | 'wrong-field-count' // not 3 (pod) or 2 (node) '|'-separated fields
  | 'line-too-long'; // longer than the scan's maxLineBytes; skipped whole

export interface BadLine {
  /** 1-based line number in the file. */
  line: number;
  reason: BadLineReason;
}

/** Counters for one file scan. */
export interface FileScanStats {
  bytes: number;
  lines: number;
  /**
   * Lines the kernel validated (framed: length, timestamp, bracket fields). All of `lines`
   * unless the program has a search anchor (`Kernel.searchAnchor`): then only the lines
   * holding a candidate of it, and every over-long line. `badLines` counts bad lines among these.
   */
  validated: number;
  /** Lines that passed the kernel program (window, label matchers and line filters, regexes included). */
  matched: number;
  /** Bad lines among the `validated` ones. */
  badLines: number;
  /** The first few bad lines (at most `ScanOptions.maxBadLineSamples`). */
  badLineSamples: BadLine[];
  /** True when the callback asked to stop early. */
  stopped: boolean;
}

export interface ScanOptions {
  /** Bytes read per block (default 1 MiB). */
  blockSize?: number;
  /** Longest line accepted; longer lines are skipped and counted as `line-too-long` (default 64 MiB). */
  maxLineBytes?: number;
  maxBadLineSamples?: number;
  signal?: AbortSignal;
}
