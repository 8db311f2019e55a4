/**
 * The messages between the page and the engine worker (`engine-worker.ts`).
 *
 * Plain data only, so every message survives structured cloning: times travel as decimal
 * strings of nanoseconds (BigInt would clone too, but strings also go into URLs and JSON),
 * log results as Arrow IPC bytes in a transferred ArrayBuffer (no copy, decoded lazily in the
 * page), metric results as one Float64Array pair per series. Every request carries an `id`;
 * the worker answers with `progress` messages (zero or more), then exactly one `result`,
 * `metric`, `targets`, `opened` or `error`. `cancel` aborts the request with that id.
 */

/** A query error or failure as data; `span` offsets are 0-based UTF-16 indexes into the query. */
export interface ErrorInfo {
  code: string;
  message: string;
  span?: { start: number; end: number };
}

/** The statistics the status line shows (a subset of the engine's `QueryStats`). */
export interface StatsInfo {
  filesRead: number;
  bytesScanned: number;
  linesScanned: number;
  linesMatched: number;
  rowsReturned: number;
  truncated: boolean;
  elapsedMs: number;
}

/** One series of a metric result: labels, sample times (ms since epoch) and values. */
export interface SeriesData {
  labels: Record<string, string>;
  timesMs: Float64Array;
  values: Float64Array;
}

/** Targets of a store: `pod` namespaces and `node` nodes, plus clusters of a store set. */
export interface TargetsInfo {
  pod: string[];
  node: string[];
  clusters: string[] | null;
}

/** A store file to open: its store-relative path (`pod/<ns>/<hour>.log`) and contents. */
export interface StoreFile {
  path: string;
  file: Blob;
}

export type WorkerRequest =
  | { type: 'open'; id: number; files: StoreFile[] }
  | { type: 'query'; id: number; query: string; startNs: string; endNs: string; limit: number; direction: 'forward' | 'backward' }
  | { type: 'metric'; id: number; query: string; startNs: string; endNs: string; /** '' = an instant query at `endNs`. */ step: string }
  | { type: 'targets'; id: number }
  | { type: 'synthetic'; id: number; rows: number }
  | { type: 'cancel'; id: number };

export type WorkerResponse =
  | { type: 'opened'; id: number; files: number; bytes: number; firstHourMs: number | null; lastHourMs: number | null; targets: TargetsInfo }
  | { type: 'progress'; id: number; bytesScanned: number; totalBytes: number }
  | { type: 'result'; id: number; ipc: ArrayBuffer; stats: StatsInfo | null }
  | { type: 'metric'; id: number; series: SeriesData[]; stats: StatsInfo | null }
  | { type: 'targets'; id: number; targets: TargetsInfo }
  | { type: 'error'; id: number; error: ErrorInfo };

/** Distributes `Omit` over a union (plain `Omit<Union, K>` collapses it). */
export type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
