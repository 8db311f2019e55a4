/**
 * The library API: one {@link LogStore} over any chunk source.
 *
 * `query()` returns an Arrow table, `stream()` record batches, `count()` a number without
 * materialising rows, `explain()` the plan. Entry points (`node.ts`, `browser.ts`) are thin
 * shells that build a source (and, in Node, a worker pool); everything else is here and in the
 * stage modules it calls (parse → plan → scan → arrow).
 *
 * A store over a store set (`FederatedChunkSource`: several stores, one per cluster) is the
 * same `LogStore`: selectors may use `cluster`, results get a `cluster` column, and
 * {@link LogStore.clusters}/{@link LogStore.targetsByCluster} say what the set holds.
 */
import type { RecordBatch, Table } from 'apache-arrow';
import { buildTable, logSchema, recordBatches, type ResultShape } from './arrow/build.js';
import { collectRows, countLines, type ExecEnv, type ExecOptions, type QueryStats } from './exec/execute.js';
import type { ScanPool } from './exec/pool.js';
import { LOG_TYPES, type LogType } from './model.js';
import { formatPlan, planLogQuery, type LogQueryPlan, type QueryOptions } from './plan/plan.js';
import type { Expr } from './query/ast.js';
import { parseQuery } from './query/index.js';
import { Kernel } from './scan/kernel.js';
import { FederatedChunkSource, isStoreSet } from './store/federated-source.js';
import type { ChunkSource } from './store/types.js';

/** Options of a query: its window and shape ({@link QueryOptions}) plus execution tuning ({@link ExecOptions}). */
export interface LogQueryOptions extends QueryOptions, ExecOptions {
  /** Rows per record batch (default 8192). */
  batchSize?: number;
}

/** The key under which `query()` stores {@link QueryStats} (JSON) in the table's schema metadata. */
export const STATS_METADATA_KEY = 'letheql.stats';

/** Reads the statistics that `LogStore.query()` attached to a table. */
export function getStats(table: Table): QueryStats | null {
  const json = table.schema.metadata.get(STATS_METADATA_KEY);
  return json ? (JSON.parse(json) as QueryStats) : null;
}

/** Record batches of a result, in order, with the query's statistics once the scan is done. */
export interface QueryStream extends AsyncIterable<RecordBatch> {
  /** Resolves when the scan completes (rejects if it fails). */
  readonly stats: Promise<QueryStats>;
}

/** Targets (namespaces or nodes) of a store per log type. */
export type StoreTargets = Record<LogType, string[]>;

/** The result columns a plan asks for beyond its log type's: `cluster` over a store set. */
function resultShape(plan: LogQueryPlan): ResultShape {
  return { cluster: plan.clusters !== undefined };
}

/** Idle kernels kept per store, and the WASM memory above which a kernel is dropped instead (it grew for a very long line). */
const MAX_IDLE_KERNELS = 2;
const MAX_IDLE_KERNEL_BYTES = 32 * 1024 * 1024;

/** Options of a {@link LogStore} beyond its source. */
export interface LogStoreOptions {
  /** Workers for big scans (the entry point builds it: `openStore(dir, { workers })`); null: scan in-thread. */
  pool?: ScanPool | null;
}

/**
 * A Lethe store opened for queries. Cheap to create; holds no open files between queries.
 * With a scan pool, `close()` stops its workers (idle workers never keep a process alive).
 */
export class LogStore {
  /** Kernels are instantiated once and reused: a fresh instance costs more than scanning a small file. */
  private readonly idleKernels: Kernel[] = [];
  /** The scan pool, if any; the pool decides per query whether the scan pays for workers. */
  readonly pool: ScanPool | null;

  constructor(
    readonly source: ChunkSource,
    options: LogStoreOptions = {},
  ) {
    this.pool = options.pool ?? null;
  }

  /** Stops the store's scan workers, if any (queries still running on them reject). Queries after this scan in-thread. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** Parses (if needed) and plans a query without reading log data. */
  async explain(query: string | Expr, opts: LogQueryOptions = {}): Promise<LogQueryPlan> {
    const expr = typeof query === 'string' ? parseQuery(query) : query;
    return planLogQuery(expr, opts, this.source);
  }

  /**
   * Runs a log query and returns an Arrow table ordered by time (`direction`), ties in
   * store order, at most `limit` rows. Statistics are in the schema metadata: {@link getStats}.
   *
   * @example
   * const table = await store.query('pod{namespace="shop"} |= "error"', { since: '1h', limit: 100 });
   * for (const row of table) console.log(row.time, row.pod, row.line);
   */
  async query(query: string | Expr, opts: LogQueryOptions = {}): Promise<Table> {
    const plan = await this.explain(query, opts);
    const { rows, stats } = await this.withEnv((env) => collectRows(plan, env, opts));
    return buildTable(plan.logType, rows, opts.batchSize ?? 8192, new Map([[STATS_METADATA_KEY, JSON.stringify(stats)]]), resultShape(plan));
  }

  /**
   * Runs a log query and yields record batches in result order.
   *
   * @example
   * const s = store.stream('node{node="node-a"} |= "OOM"', { start, end });
   * for await (const batch of s) render(batch);
   * console.log((await s.stats).linesScanned);
   */
  stream(query: string | Expr, opts: LogQueryOptions = {}): QueryStream {
    let resolveStats!: (s: QueryStats) => void;
    let rejectStats!: (e: unknown) => void;
    const stats = new Promise<QueryStats>((res, rej) => {
      resolveStats = res;
      rejectStats = rej;
    });
    // Callers that only iterate must not see an unhandled rejection from `stats`.
    stats.catch(() => undefined);
    const self = this;
    async function* batches(): AsyncGenerator<RecordBatch> {
      try {
        const plan = await self.explain(query, opts);
        const result = await self.withEnv((env) => collectRows(plan, env, opts));
        resolveStats(result.stats);
        yield* recordBatches(plan.logType, result.rows, opts.batchSize ?? 8192, logSchema(plan.logType, undefined, resultShape(plan)));
      } catch (e) {
        rejectStats(e);
        throw e;
      }
    }
    return { stats, [Symbol.asyncIterator]: () => batches() };
  }

  /** Counts matching lines without materialising rows (`limit` and `direction` are ignored). */
  async count(query: string | Expr, opts: LogQueryOptions = {}): Promise<{ count: number; stats: QueryStats }> {
    const plan = await this.explain(query, { ...opts, limit: null });
    return this.withEnv((env) => countLines(plan, env, opts));
  }

  /**
   * The store's targets per log type (directory names), sorted. Over a store set: the union
   * over clusters — every name a target matcher can select somewhere ({@link targetsByCluster}
   * says where).
   */
  async targets(): Promise<StoreTargets> {
    return targetsOf(this.source);
  }

  /** The cluster names of a store set, sorted (store order); null for a plain store. */
  get clusters(): readonly string[] | null {
    return isStoreSet(this.source) ? this.source.clusters : null;
  }

  /**
   * The targets of each cluster of a store set, keyed by cluster name in cluster order, or
   * null for a plain store.
   *
   * @example
   * await set.targetsByCluster(); // { 'cluster-a': { pod: ['shop'], node: ['node-a'] }, 'cluster-b': { pod: ['shop', 'web'], node: [] } }
   */
  async targetsByCluster(): Promise<Record<string, StoreTargets> | null> {
    if (!isStoreSet(this.source)) return null;
    const per = await Promise.all(this.source.members.map((m) => targetsOf(m.source)));
    const out: Record<string, StoreTargets> = {};
    this.source.members.forEach((m, i) => (out[m.cluster] = per[i]!));
    return out;
  }

  /** Runs `fn` with an execution environment and a kernel of its own (concurrent queries each get one), then keeps the kernel for the next query. */
  private async withEnv<T>(fn: (env: ExecEnv) => Promise<T>): Promise<T> {
    const kernel = this.idleKernels.pop() ?? (await Kernel.load());
    try {
      return await fn({ source: this.source, kernel, pool: this.pool });
    } finally {
      if (this.idleKernels.length < MAX_IDLE_KERNELS && kernel.exports.memory.buffer.byteLength <= MAX_IDLE_KERNEL_BYTES) this.idleKernels.push(kernel);
    }
  }
}

/**
 * A store set built from any chunk sources, one per cluster (platform-neutral: in-memory or
 * `Blob` stores in a browser, filesystem stores in Node). Throws `INVALID_OPTION` like
 * {@link FederatedChunkSource}'s constructor.
 *
 * @example
 * const set = openStoreSetFromSources({ 'cluster-a': MemoryChunkSource.fromRecord(a), 'cluster-b': MemoryChunkSource.fromRecord(b) });
 */
export function openStoreSetFromSources(sources: Readonly<Record<string, ChunkSource>>, options: LogStoreOptions = {}): LogStore {
  return new LogStore(new FederatedChunkSource(sources), options);
}

async function targetsOf(source: ChunkSource): Promise<StoreTargets> {
  const out = {} as StoreTargets;
  for (const t of Object.keys(LOG_TYPES) as LogType[]) out[t] = await source.listTargets(t);
  return out;
}

export { formatPlan };
