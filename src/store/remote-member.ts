/**
 * Remote members of a store set: another `letheql serve`, reached over HTTP(S).
 *
 * A remote member is not a chunk source: its files are behind a server that plans and scans
 * them itself. So it sits beside the local members, not under the engine: for a log query
 * `LogStore` (`api.ts`) picks the members a query's `cluster` matchers select, sends each
 * remote one the query with its `cluster` matchers removed (printed by the canonical printer),
 * and merges the answers with the local rows (`exec/member-merge.ts`); metric queries go
 * through partial states (below).
 *
 * The wire: the server's own Arrow answer (`Accept: application/vnd.apache.arrow.stream`),
 * which is the engine's result table with its statistics in the schema metadata
 * (`letheql.stats`), so nothing is re-encoded or re-parsed as JSON.
 * - With a limit: `GET /loki/api/v1/query_range` with `limit` and `direction` (Loki's `end`
 *   is exclusive, so `end` is sent one nanosecond later than the engine's inclusive end).
 * - Without one: `GET /api/v1/query_range` (Lethe's dialect, which has no default limit; the
 *   member's `maxLines` still caps it, and a capped answer is an error naming the member,
 *   since merging it would silently drop rows). It answers oldest first; `backward` re-sorts.
 * Times are sent as RFC 3339 with nanoseconds, which both dialects read exactly.
 * - Metric queries: the store set evaluates the whole expression itself and reads a remote
 *   member like a local one, through a `LogSampleSource` (`exec/member-source.ts`): one
 *   `POST /letheql/v1/partials` per range aggregation, whose JSON body is the bucket or sample
 *   request (`metrics/source-wire.ts`) and whose Arrow answer the per-series partial states
 *   (`arrow/partials.ts`). The member reads its store as the set's cluster of that name, so
 *   its series and file paths carry the cluster exactly as a local member's do.
 * - Counts (`count()`, `--count`): `POST /letheql/v1/count`, JSON both ways
 *   ({@link CountRequestJson}, answered `{"count":N,"stats":{…}}`). The query is sent whole,
 *   `cluster` matchers kept, and the member counts over its store read as the set's cluster
 *   of that name, as for partials; a count adds up across members (a line lives in one).
 *
 * Platform-neutral: the HTTP client is the standard `fetch` (Node 18+, browsers), or one the
 * caller passes (tests, proxies). The token is sent as `Authorization: Bearer …` and never
 * appears in an error message.
 */
import type { Table } from 'apache-arrow';
import { LetheQLError } from '../errors.js';
import type { QueryStats } from '../exec/stats.js';
import type { PartialRequestJson } from '../metrics/source-wire.js';
import { wireNs } from '../metrics/source-wire.js';
import { formatRfc3339 } from '../time.js';
import { checkClusterName } from './federated-source.js';
import { compareNames } from './paths.js';

/** The part of a `fetch` response a remote member reads. */
export interface RemoteResponse {
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** The part of `fetch` a remote member calls. */
export type RemoteFetch = (url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<RemoteResponse>;

/** How a store set reaches a remote member. */
export interface RemoteMemberOptions {
  /** Bearer token of the member's `auth.tokenFile` (a `read` token). */
  token?: string;
  /** The HTTP client (default: the global `fetch`). */
  fetch?: RemoteFetch;
  /**
   * How long one request to the member may take, answer body included (default 120 s, a
   * little over a server's default `queryTimeout`): a member that accepts the connection and
   * never answers fails as `REMOTE_ERROR` instead of holding the query forever.
   */
  timeoutMs?: number;
}

/** Default of {@link RemoteMemberOptions.timeoutMs}. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 120_000;

/** What a remote member is asked: a log query without `cluster` matchers, and its window. */
export interface RemoteLogRequest {
  /** The query text (canonical form, no `cluster` matcher). */
  query: string;
  /** Inclusive window, ns. */
  startNs: bigint;
  endNs: bigint;
  limit: number | null;
  direction: 'forward' | 'backward';
  signal?: AbortSignal;
}

/** The path of the count route (`server/count-route.ts`). */
export const COUNT_ROUTE = '/letheql/v1/count';

/**
 * The body of `POST /letheql/v1/count`: a log query (canonical text, `cluster` matchers
 * kept), counted over the member's store read as cluster `cluster` of a set, in the inclusive
 * window `[start, end]` (ns as decimal strings).
 */
export interface CountRequestJson {
  cluster: string;
  query: string;
  start: string;
  end: string;
}

const COUNT_FIELDS = new Set(['cluster', 'query', 'start', 'end']);

function invalidCount(message: string): LetheQLError {
  return new LetheQLError('INVALID_OPTION', `invalid count request: ${message}`);
}

/** Checks a count request body strictly; throws `INVALID_OPTION` naming the problem. */
export function readCountRequest(body: unknown): { cluster: string; query: string; startNs: bigint; endNs: bigint } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidCount('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!COUNT_FIELDS.has(k)) throw invalidCount(`unknown field ${JSON.stringify(k)}`);
  if (typeof b['cluster'] !== 'string') throw invalidCount('"cluster" must be a string (the cluster name the store answers as)');
  if (typeof b['query'] !== 'string' || b['query'].trim() === '') throw invalidCount('"query" must be a non-empty string (a log query)');
  const startNs = wireNs(b['start'], '"start"', invalidCount);
  const endNs = wireNs(b['end'], '"end"', invalidCount);
  if (endNs < startNs) throw invalidCount('"end" is before "start"');
  return { cluster: b['cluster'], query: b['query'], startNs, endNs };
}

/** Whether a store-set member is given as a URL of a `letheql serve` (`http://` or `https://`). */
export function isRemoteUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/**
 * One remote member: a cluster name and the base URL of the `letheql serve` that holds it.
 * Throws `INVALID_OPTION` for a bad cluster name or URL.
 *
 * @example
 * const m = new RemoteMember('cluster-b', 'https://logs-b.example:6060', { token: process.env.LETHEQL_TOKEN_CLUSTER_B });
 */
export class RemoteMember {
  /** The base URL, without a trailing `/`. */
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: RemoteFetch | undefined;
  readonly #timeoutMs: number;

  constructor(
    readonly cluster: string,
    url: string,
    options: RemoteMemberOptions = {},
  ) {
    checkClusterName(cluster);
    if (!isRemoteUrl(url)) throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)}: a remote member is an http:// or https:// URL, got ${JSON.stringify(url)}`);
    this.url = url.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
    if (!(this.#timeoutMs > 0)) throw new LetheQLError('INVALID_OPTION', `cluster ${JSON.stringify(cluster)}: timeoutMs must be positive`);
  }

  /**
   * Runs `fn` with a signal that aborts when `outer` does or after the timeout; a timeout
   * becomes a `REMOTE_ERROR` naming the member, an outer abort stays the caller's.
   */
  async #withTimeout<T>(outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, this.#timeoutMs);
    const onAbort = () => ac.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    if (outer?.aborted) ac.abort();
    try {
      return await fn(ac.signal);
    } catch (e) {
      if (outer?.aborted) throw outer.reason;
      if (timedOut) throw this.#error(`${this.url} did not answer within ${this.#timeoutMs} ms`);
      throw e;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  /** `cluster=URL`, as a store set describes its members. */
  get description(): string {
    return this.url;
  }

  /**
   * Runs a log query on the member and returns its result table (no `cluster` column) and
   * statistics. Throws `REMOTE_ERROR` naming the member when it cannot be reached, refuses
   * the query (its message is kept), answers something else than Arrow, or cut its answer
   * at its own `maxLines`.
   */
  async queryLogs(req: RemoteLogRequest): Promise<{ table: Table; stats: QueryStats }> {
    const params: [string, string][] = [['query', req.query]];
    let path: string;
    if (req.limit !== null) {
      path = '/loki/api/v1/query_range';
      params.push(['start', formatRfc3339(req.startNs)], ['end', formatRfc3339(req.endNs + 1n)], ['limit', String(req.limit)], ['direction', req.direction]);
    } else {
      path = '/api/v1/query_range';
      params.push(['start', formatRfc3339(req.startNs)], ['end', formatRfc3339(req.endNs)]);
    }
    const table = await this.#fetchArrow(path, params, req.signal);
    const json = table.schema.metadata.get('letheql.stats');
    if (json === undefined) throw this.#error(`${this.url} answered a table without statistics (letheql.stats)`);
    if (table.schema.fields.some((f) => f.name === 'cluster')) {
      throw this.#error(`${this.url} serves a store set; a store set cannot contain another store set`);
    }
    const stats = JSON.parse(json) as QueryStats;
    if (req.limit === null && stats.truncated) {
      throw this.#error(`${this.url} cut its answer at its maxLines (${stats.rowsReturned} of ${stats.linesMatched} lines); give the query a limit, or raise the member's maxLines`);
    }
    return { table, stats };
  }

  /**
   * The member's partial states of one range aggregation (`POST /letheql/v1/partials`, body
   * `metrics/source-wire.ts`): its Arrow answer (`arrow/partials.ts`), statistics in the
   * schema metadata. The store set evaluates the whole metric query from these
   * (`exec/member-source.ts`).
   */
  async partials(body: PartialRequestJson, signal?: AbortSignal): Promise<Table> {
    return this.#fetchArrow('/letheql/v1/partials', [], signal, JSON.stringify(body));
  }

  /**
   * The member's count of a log query (`POST /letheql/v1/count`): `query` is sent whole
   * (`cluster` matchers kept) and counted over the member's store read as this member's
   * cluster, so its statistics name files `cluster:path`. Throws `REMOTE_ERROR` naming the
   * member when it cannot be reached, refuses the query, or answers something else.
   */
  async count(req: { query: string; startNs: bigint; endNs: bigint; signal?: AbortSignal }): Promise<{ count: number; stats: QueryStats }> {
    const body: CountRequestJson = { cluster: this.cluster, query: req.query, start: String(req.startNs), end: String(req.endNs) };
    const text = await this.#withTimeout(req.signal, async (signal) => (await this.#get(COUNT_ROUTE, [], 'application/json', signal, JSON.stringify(body))).text());
    let answer: { count?: unknown; stats?: unknown };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      answer = {};
    }
    if (typeof answer.count !== 'number' || !Number.isSafeInteger(answer.count) || typeof answer.stats !== 'object' || answer.stats === null) {
      throw this.#error(`${this.url} answered ${COUNT_ROUTE} with something else than {"count","stats"} (is it a letheql serve?)`);
    }
    return { count: answer.count, stats: answer.stats as QueryStats };
  }

  /**
   * The bytes of the member's hour files per target in an inclusive window, for a selector
   * that matches target names only (`query`: canonical text, no `cluster` matcher): its
   * `GET /loki/api/v1/index/volume` grouped by the target label, which answers these from its
   * store layout without reading a line. The server's volume routes add them to the local
   * members' (`server/drilldown-routes.ts`).
   */
  async targetVolumes(req: { query: string; targetLabel: string; startNs: bigint; endNs: bigint; signal?: AbortSignal }): Promise<{ target: string; bytes: number }[]> {
    const params: [string, string][] = [
      ['query', req.query],
      ['start', formatRfc3339(req.startNs)],
      ['end', formatRfc3339(req.endNs)],
      ['targetLabels', req.targetLabel],
      ['limit', String(Number.MAX_SAFE_INTEGER)],
    ];
    const text = await this.#withTimeout(req.signal, async (signal) => (await this.#get('/loki/api/v1/index/volume', params, 'application/json', signal)).text());
    let rows: unknown;
    try {
      rows = (JSON.parse(text) as { data?: { result?: unknown } }).data?.result;
    } catch {
      rows = undefined;
    }
    const out: { target: string; bytes: number }[] = [];
    for (const r of Array.isArray(rows) ? (rows as { metric?: Record<string, unknown>; value?: unknown[] }[]) : []) {
      const target = r.metric?.[req.targetLabel];
      const bytes = Number(r.value?.[1]);
      if (typeof target !== 'string' || !Number.isSafeInteger(bytes)) throw this.#error(`${this.url} answered /loki/api/v1/index/volume with something else than a vector of ${req.targetLabel} (is it a letheql serve?)`);
      out.push({ target, bytes });
    }
    if (!Array.isArray(rows)) throw this.#error(`${this.url} answered /loki/api/v1/index/volume with something else than a vector (is it a letheql serve?)`);
    return out;
  }

  /**
   * The member's targets per log type, sorted (its `GET /api/v1/metadata`, which lists them
   * as `pod{namespace="x"}` / `node{node="y"}`).
   */
  async targets(outer?: AbortSignal): Promise<Record<'pod' | 'node', string[]>> {
    const text = await this.#withTimeout(outer, async (signal) => (await this.#get('/api/v1/metadata', [], 'application/json', signal)).text());
    let body: { data?: { targets?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw this.#error(`${this.url} answered /api/v1/metadata with something else than JSON (is it a letheql serve?)`);
    }
    const out: Record<'pod' | 'node', string[]> = { pod: [], node: [] };
    const list = Array.isArray(body.data?.targets) ? (body.data!.targets as unknown[]) : [];
    for (const t of list) {
      const m = typeof t === 'string' ? /^(pod|node)\{(?:namespace|node)=("(?:[^"\\]|\\.)*")\}$/.exec(t) : null;
      if (m) out[m[1] as 'pod' | 'node'].push(JSON.parse(m[2]!) as string);
    }
    out.pod.sort(compareNames);
    out.node.sort(compareNames);
    return out;
  }

  /** GET `path` (POST `body` as JSON when given) and read the Arrow answer. */
  #fetchArrow(path: string, params: [string, string][], outer: AbortSignal | undefined, body?: string): Promise<Table> {
    return this.#withTimeout(outer, async (signal) => {
      const res = await this.#get(path, params, ARROW_STREAM, signal, body);
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith(ARROW_STREAM)) throw this.#error(`${this.url} answered ${JSON.stringify(type)}, not an Arrow stream (is it a letheql serve?)`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const { fromArrowIPC } = await import('../arrow/build.js');
      return fromArrowIPC(bytes);
    });
  }

  /**
   * GET `path` with the token (POST `body`, JSON, when given); a non-200 answer or no answer
   * is a `REMOTE_ERROR` naming the member.
   */
  async #get(path: string, params: [string, string][], accept: string, signal: AbortSignal | undefined, body?: string): Promise<RemoteResponse> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    const fetchFn = this.#fetch ?? (globalThis as { fetch?: RemoteFetch }).fetch;
    if (fetchFn === undefined) throw new LetheQLError('INVALID_OPTION', 'remote members need fetch (Node 18+ or a browser), or the fetch option');
    let res: RemoteResponse;
    try {
      const qs = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
      res = await fetchFn(`${this.url}${path}${qs ? `?${qs}` : ''}`, { method: body === undefined ? 'GET' : 'POST', headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw this.#error(`cannot reach ${this.url}: ${causeText(e)}`);
    }
    if (res.status !== 200) throw this.#error(`${this.url} answered ${res.status}: ${await errorText(res)}`);
    return res;
  }

  #error(message: string): LetheQLError {
    return new LetheQLError('REMOTE_ERROR', `member ${JSON.stringify(this.cluster)}: ${message}`);
  }
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: unknown } | null)?.cause;
  const base = e instanceof Error ? e.message : String(e);
  return cause instanceof Error ? `${base} (${cause.message})` : base;
}

/** The member's error message: the JSON body's `error`, else the first 200 characters. */
async function errorText(res: RemoteResponse): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
