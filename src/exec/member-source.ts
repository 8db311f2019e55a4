/**
 * The metric evaluator's view of a store set with remote members: one {@link LogSampleSource}
 * over every member, local and remote, so the evaluator runs the whole expression here, once,
 * whatever its shape (aggregations across clusters, binary operators, `topk`, quantiles,
 * `absent_over_time`, …), and answers exactly what the same stores opened locally as a set
 * would.
 *
 * What it owns: sending each request of the evaluator (per-series buckets or samples of one
 * range aggregation, `metrics/source.ts`) to the members its range's `cluster` matchers
 * select, and putting the answers together.
 * - The local members answer as one store set through {@link StoreSampleSource} (their series
 *   carry `cluster` because over a set it is a stream label, `store/federated-source.ts`).
 * - Each remote member is sent the request as JSON (`metrics/source-wire.ts`, with the range
 *   in canonical text and its `cluster` matchers kept) and answers with its partial states in
 *   Arrow (`arrow/partials.ts`). It reads its store as a one-member set named by its cluster,
 *   so the `cluster` label enters its series where it enters a local member's: before the
 *   pipeline (`drop cluster`, templates and label filters on it behave as locally).
 * - The answers are concatenated in cluster order (the local part at its first cluster); the
 *   evaluator merges series that repeat a label set, as it merges a local scan's worker
 *   partials. Counts and byte totals are exact sums; for float sums of `unwrap`ped values the
 *   order of addition is the members' order, where one local scan's order would be its
 *   workers'.
 *
 * Statistics: each member's own, summed per member over the query's requests (`members`, in
 * cluster order: the local part, then each remote member asked), and in total. A remote member
 * that fails fails the query (`REMOTE_ERROR` naming it), or with `onMemberError: 'warn'` is
 * left out of this and every later request of the query, named in `warnings` — unless it had
 * already answered another range aggregation of the query (then the query fails: leaving it
 * out of some ranges only would combine ranges over different members).
 */
import type { Table } from 'apache-arrow';
import { LetheQLError } from '../errors.js';
import type { RangeNeeds } from '../metrics/label-needs.js';
import { partialRequestJson } from '../metrics/source-wire.js';
import type { BucketRequest, BucketSeries, LogRange, LogRangeInfo, LogSampleSource, SampleRequest, SampleSeries } from '../metrics/source.js';
import { nameFilter } from '../plan/plan.js';
import type { MatrixSelector } from '../query/ast.js';
import { printQuery } from '../query/tree.js';
import { CLUSTER_LABEL } from '../model.js';
import { compareNames } from '../store/paths.js';
import type { RemoteMember } from '../store/remote-member.js';
import { sumStats } from './member-merge.js';
import { describeLogRange, emptyMetricStats, type StoreSampleSource } from './metric-source.js';
import { addStats } from './stats.js';
import type { MemberStats, QueryStats } from './stats.js';

/** How a {@link MemberSampleSource} reaches the set's members. */
export interface MemberSourceOptions {
  /** The local members' source (over the store set of the local members); null: every member is remote. */
  local: StoreSampleSource | null;
  /** The local members' clusters. */
  localClusters: readonly string[];
  remotes: readonly RemoteMember[];
  onMemberError: 'fail' | 'warn';
  /** What the query reads from each range (`metrics/label-needs.ts`); absent: every label. */
  needs?: ReadonlyMap<MatrixSelector, RangeNeeds>;
  signal?: AbortSignal;
}

interface RemoteState {
  member: RemoteMember;
  asked: boolean;
  /** It has answered a request of this query (its series are in the evaluation). */
  answered: boolean;
  stats: QueryStats | null;
  error?: string;
}

/** A {@link LogSampleSource} over a store set with remote members (see the module note). */
export class MemberSampleSource implements LogSampleSource {
  readonly #o: MemberSourceOptions;
  readonly #remotes: RemoteState[];
  /** Local clusters some request selected. */
  readonly #localAsked = new Set<string>();

  constructor(options: MemberSourceOptions) {
    this.#o = options;
    this.#remotes = options.remotes.map((member) => ({ member, asked: false, answered: false, stats: null }));
  }

  describe(range: LogRange): LogRangeInfo {
    return describeLogRange(range, true, this.#o.needs?.get(range)?.output ?? 'all');
  }

  buckets(request: BucketRequest): Promise<BucketSeries[]> {
    return this.#ask(request, (local) => local.buckets(request), async (table) => {
      const { bucketPartialsOf } = await import('../arrow/partials.js');
      return bucketPartialsOf(table, request.grid.edgesNs.length - 1, request.measures);
    });
  }

  samples(request: SampleRequest): Promise<SampleSeries[]> {
    return this.#ask(request, (local) => local.samples(request), async (table) => {
      const { samplePartialsOf } = await import('../arrow/partials.js');
      return samplePartialsOf(table);
    });
  }

  /**
   * The query's statistics so far: every member's summed (`elapsedMs` and `rowsReturned` are
   * the caller's), `members` in cluster order, and a warning per member left out.
   */
  get stats(): QueryStats {
    const order = [...this.#o.localClusters, ...this.#o.remotes.map((r) => r.cluster)].sort(compareNames);
    const parts: { first: string; m: MemberStats }[] = [];
    const localClusters = this.#o.localClusters.filter((c) => this.#localAsked.has(c));
    if (this.#o.local !== null && localClusters.length > 0) parts.push({ first: localClusters[0]!, m: { clusters: localClusters, url: null, stats: this.#o.local.stats } });
    for (const r of this.#remotes) {
      if (!r.asked) continue;
      parts.push({ first: r.member.cluster, m: { clusters: [r.member.cluster], url: r.member.url, stats: r.stats, ...(r.error !== undefined ? { error: r.error } : {}) } });
    }
    parts.sort((a, b) => order.indexOf(a.first) - order.indexOf(b.first));
    const out = sumStats(parts.flatMap((p) => (p.m.stats ? [p.m.stats] : [])));
    out.members = parts.map((p) => p.m);
    const warnings = parts.flatMap((p) => (p.m.error !== undefined ? [`${p.m.error}; the answer leaves out cluster ${JSON.stringify(p.m.clusters[0])}`] : []));
    if (warnings.length > 0) out.warnings = warnings;
    return out;
  }

  /** One request to every member the range selects, answers concatenated in cluster order. */
  async #ask<T>(request: BucketRequest | SampleRequest, local: (s: StoreSampleSource) => Promise<T[]>, decode: (table: Table) => Promise<{ series: T[]; stats: QueryStats }>): Promise<T[]> {
    const selects = nameFilter(request.range.selector.matchers.filter((m) => m.name === CLUSTER_LABEL));
    const parts: { first: string; answer: Promise<T[]> }[] = [];
    const localSelected = this.#o.localClusters.filter(selects);
    if (this.#o.local !== null && localSelected.length > 0) {
      for (const c of localSelected) this.#localAsked.add(c);
      parts.push({ first: localSelected[0]!, answer: local(this.#o.local) });
    }
    // Nothing to read (every window is empty): the local source answers [] without a scan, and a remote member is not asked.
    if (request.readIntervals.length > 0) {
      let body: ReturnType<typeof partialRequestJson> | null = null;
      for (const r of this.#remotes) {
        if (!selects(r.member.cluster) || r.error !== undefined) continue;
        r.asked = true;
        body ??= partialRequestJson('', printQuery(request.range), request, this.#o.needs?.get(request.range));
        parts.push({ first: r.member.cluster, answer: this.#remote(r, { ...body, cluster: r.member.cluster }, decode) });
      }
    }
    parts.sort((a, b) => compareNames(a.first, b.first));
    return (await Promise.all(parts.map((p) => p.answer))).flat();
  }

  async #remote<T>(r: RemoteState, body: ReturnType<typeof partialRequestJson>, decode: (table: Table) => Promise<{ series: T[]; stats: QueryStats }>): Promise<T[]> {
    try {
      const { series, stats } = await decode(await r.member.partials(body, this.#o.signal));
      // Left out already (another request of this query failed): its answer is dropped too.
      if (r.error !== undefined) return [];
      addStats((r.stats ??= emptyMetricStats()), stats);
      r.answered = true;
      return series;
    } catch (e) {
      if (this.#o.onMemberError !== 'warn' || !(e instanceof LetheQLError) || e.code !== 'REMOTE_ERROR') throw e;
      // Once some of its series are in the evaluation it cannot be left out any more: the
      // answer would mix ranges with and without it.
      if (r.answered) throw new LetheQLError('REMOTE_ERROR', `${e.message} (after answering another range aggregation of the query, so it cannot be left out)`);
      r.error = e.message;
      r.stats = null;
      return [];
    }
  }
}
