/**
 * Where a scan's matching lines go ({@link Sink}): the one type the executor, the worker
 * pools and the metric source hand around. Its own module so that the row helpers
 * (`rows.ts`) need not know the metric fold's types, nor the fold the rows'.
 */
import type { MatchBatch } from '../scan/types.js';
import type { FoldAccumulator, FoldSpec, MatchFolder } from './match-fold.js';
import type { RowSink } from './rows.js';

/** Where matching lines go: counted only, or kept as rows (bounded by `top` when there is a limit). */
export type Sink =
  | { kind: 'count' }
  | RowSink
  /**
   * Matches folded into per-series buckets or samples (metric queries, `match-fold.ts`): by
   * `folder` into `into` in this thread, or on workers (from `spec`) and merged into `into`.
   */
  | { kind: 'fold'; spec: FoldSpec; folder: MatchFolder; into: FoldAccumulator }
  /** Every kernel batch handed to a callback, keeping nothing. In-thread only. */
  | { kind: 'visit'; visit: (batch: MatchBatch, fileIndex: number) => void };
