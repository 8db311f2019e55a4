/**
 * The executor: runs a {@link LogQueryPlan} against a chunk source.
 *
 * Small scans run here as one local scan job (`scan-job.ts`, {@link runLocalJob}: the same
 * per-file and per-batch code as a worker's jobs): files are scanned one after another in
 * store order by the WASM kernel, which hands back the matching lines of each block as
 * offsets (every filter, regexes included, ran there), counted or kept as rows in the
 * sink this module builds. With a limit,
 * rows live in a bounded heap ordered by (time, file, line), so memory stays bounded by
 * the limit whatever the store's size; a candidate that cannot make the cut is dropped
 * before any string is decoded (fast path). Without a limit every row is kept: the caller
 * asked for all of them.
 *
 * Ordering is exact even when files hold lines outside their hour (Lethe's own test store
 * does), which is why results are emitted after the scan rather than hour by hour.
 *
 * Big scans may instead run on a worker pool (`env.pool`, see `workers/parallel.ts`): the pool
 * decides per query, and fills the same sink with the same keys, so results and
 * statistics are the same either way.
 *
 * Over a store set the plan's files come from several member stores (each file names its
 * cluster): a file is opened through its member, its rows carry its cluster, and its path in
 * statistics and errors is the plan's (`cluster-a:pod/x/…`). The file index, hence store
 * order, already runs over clusters first.
 */
import { LetheQLError, LimitError } from '../errors.js';
import type { LogRow } from '../arrow/build.js';
import type { LogQueryPlan } from '../plan/plan.js';
import { DEFAULT_BLOCK_SIZE, type Kernel } from '../scan/kernel.js';
import type { MatchBatch } from '../scan/types.js';
import { isStoreSet } from '../store/federated-source.js';
import type { ChunkSource } from '../store/types.js';
import type { ScanPool } from './workers/pool.js';
import { fileUses } from './index-use.js';
import { emptyStats, MAX_BAD_LINE_SAMPLES, type QueryStats } from './stats.js';
import { DEFAULT_MAX_BYTES_RETURNED, type ExecOptions } from './options.js';
import { makeBefore, TopRows, type Keyed, type RowBudget } from './rows.js';
import { compileMatchers, pipelineSpec, runLocalJob } from './scan-job.js';
import type { Sink } from './sink.js';

export interface ExecEnv {
  source: ChunkSource;
  /** An idle kernel for this execution's exclusive use. */
  kernel: Kernel;
  /** Worker threads for big scans; absent or null: every scan runs in this thread. */
  pool?: ScanPool | null;
}

/** The source to open a planned file from: its cluster's member over a store set, else `source` itself. */
export function fileSource(source: ChunkSource, cluster: string | undefined): ChunkSource {
  return cluster !== undefined && isStoreSet(source) ? source.member(cluster) : source;
}

async function run(plan: LogQueryPlan, env: ExecEnv, opts: ExecOptions, sink: Sink): Promise<QueryStats> {
  const started = performance.now();
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new LetheQLError('INVALID_OPTION', `invalid blockSize ${String(blockSize)}: expected a positive integer of bytes`);
  const planned = plan.files.reduce((a, f) => a + f.size, 0);
  const maxScanned = opts.maxBytesScanned ?? Infinity;
  if (planned > maxScanned) {
    throw new LimitError(
      'maxBytesScanned',
      maxScanned,
      `the query would scan ${planned} bytes of store files, more than the limit maxBytesScanned=${maxScanned}; narrow the time range or the targets`,
    );
  }
  // The pool decides whether the scan pays for workers (size, source, regex engine); null: scan here.
  const parallel = env.pool ? await env.pool.scan(plan, env.source, opts, sink, blockSize) : null;
  if (parallel !== null) return parallel;
  const stats = emptyStats(plan);
  // The pipeline runs on every kernel match, so that linesMatched counts what it lets through.
  // Its stages are loaded when a query has one (start-up: most queries have none).
  const { pipeline } = await compileMatchers(plan.logType, pipelineSpec(plan, sink.kind, opts.maxTemplateBytes), null);
  env.kernel.setProgram(plan.program);
  const totalBytes = plan.files.reduce((a, f) => a + f.size, 0);
  await runLocalJob({
    plan,
    uses: fileUses(plan, sink.kind === 'count', opts.maxLineBytes),
    sourceOf: (i) => fileSource(env.source, plan.files[i]!.cluster),
    kernel: env.kernel,
    scanOptions: { blockSize, maxLineBytes: opts.maxLineBytes, maxBadLineSamples: MAX_BAD_LINE_SAMPLES, signal: opts.signal },
    readAhead: opts.readAhead !== false,
    sink,
    pipeline,
    stats,
    ...(opts.onProgress
      ? { onFile: () => opts.onProgress!({ filesRead: stats.filesRead, filesTotal: plan.files.length, bytesScanned: stats.bytesScanned, totalBytes, linesMatched: stats.linesMatched }) }
      : {}),
  });
  stats.elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
  return stats;
}

/** Runs a plan and returns its rows in result order (at most `plan.limit`). */
export async function collectRows(plan: LogQueryPlan, env: ExecEnv, opts: ExecOptions = {}): Promise<{ rows: LogRow[]; stats: QueryStats }> {
  const { kept, stats } = await collectKeyed(plan, env, opts);
  return { rows: kept.map((k) => k.row), stats };
}

/** {@link collectRows} with each row's key (time, file index, line number): context lines need them. */
export async function collectKeyed(plan: LogQueryPlan, env: ExecEnv, opts: ExecOptions = {}): Promise<{ kept: Keyed[]; stats: QueryStats }> {
  const before = makeBefore(plan.direction);
  const max = opts.maxBytesReturned ?? DEFAULT_MAX_BYTES_RETURNED;
  const budget: RowBudget | undefined = Number.isFinite(max)
    ? {
        max,
        used: 0,
        exceeded: (used) => {
          throw new LimitError(
            'maxBytesReturned',
            max,
            `the query's result is too large: its rows hold more than ${used} bytes, over the limit maxBytesReturned=${max}; narrow the query or lower its limit`,
          );
        },
      }
    : undefined;
  const sink: Sink = { kind: 'rows', top: plan.limit === null ? null : new TopRows(plan.limit, before), all: [], ...(budget ? { budget } : {}) };
  const stats = await run(plan, env, opts, sink);
  const kept = sink.top ? sink.top.items().slice() : sink.all;
  kept.sort((a, b) => (before(a.t, a.f, a.n, b) ? -1 : before(b.t, b.f, b.n, a) ? 1 : 0));
  stats.rowsReturned = kept.length;
  if (plan.limit !== null && stats.linesMatched > plan.limit) stats.truncated = true;
  return { kept, stats };
}

/** Runs a plan counting matching lines, without materialising any row. */
export async function countLines(plan: LogQueryPlan, env: ExecEnv, opts: ExecOptions = {}): Promise<{ count: number; stats: QueryStats }> {
  const stats = await run(plan, env, opts, { kind: 'count' });
  return { count: stats.linesMatched, stats };
}

/**
 * Runs a plan folding every kernel match into `sink.into` (metric queries: see
 * `match-fold.ts`), on the pool's workers when it pays, as {@link countLines} would. The
 * plan's pipeline is the fold's business (`sink.spec` carries it); `linesMatched` counts
 * the kernel's matches.
 */
export async function foldMatches(plan: LogQueryPlan, env: ExecEnv, opts: ExecOptions, sink: Extract<Sink, { kind: 'fold' }>): Promise<QueryStats> {
  return run(plan, env, opts, sink);
}

/**
 * Runs a plan handing every kernel batch to `visit` (with the index of its file in
 * `plan.files`), keeping nothing: metric queries fold matches into buckets this way.
 * Batches are only valid during the call. Always in-thread. The plan's pipeline is the
 * visitor's business (and `linesMatched` counts the kernel's matches).
 */
export async function visitMatches(plan: LogQueryPlan, env: ExecEnv, opts: ExecOptions, visit: (batch: MatchBatch, fileIndex: number) => void): Promise<QueryStats> {
  return run(plan, env, opts, { kind: 'visit', visit });
}
