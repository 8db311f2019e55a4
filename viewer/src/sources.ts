/**
 * Where results come from: a store opened in the page (queries run in the engine worker) or a
 * `letheql serve` URL (its HTTP API). Both implement {@link DataSource}, so the UI never asks
 * which one it has, except to offer the live tail and the Rules view (server only).
 *
 * Local: {@link EngineClient} numbers requests, routes the worker's answers back to their
 * promise, and turns an AbortSignal into a `cancel` message. Server: log queries use the Loki
 * dialect's `query_range` with `Accept: application/vnd.apache.arrow.stream`, so both
 * sources hand the page the same Arrow table; metric queries use its JSON matrix; the tail is
 * the Loki WebSocket; the ruler's groups are its `GET /api/v1/rules` (404: no ruler). A token
 * given in the connect form goes out as `Authorization: Bearer`;
 * browsers cannot set headers on WebSockets, so the tail offers it as a subprotocol instead
 * (`letheql` plus `base64url.bearer.authorization.letheql.<base64url token>`, the server's
 * `auth.ts`), never in the URL.
 */
import { tableFromIPC, type Table } from 'apache-arrow';
import type { ErrorInfo, RequestBody, SeriesData, StatsInfo, StoreFile, TargetsInfo, WorkerRequest, WorkerResponse } from './protocol.ts';
import type { RuleGroupInfo } from './rules.ts';

/** A failed request as an Error carrying the engine's error data (code, span). */
export class ViewerError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'ViewerError';
  }
}

export interface Progress {
  bytesScanned: number;
  totalBytes: number;
}

/** What a run needs besides the query: the window (ns, inclusive) and how to report. */
export interface RunOptions {
  startNs: bigint;
  endNs: bigint;
  signal: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface LogResult {
  table: Table;
  stats: StatsInfo | null;
}

export interface MetricData {
  series: SeriesData[];
  stats: StatsInfo | null;
}

/** One line delivered by a live tail. */
export interface TailLine {
  timeNs: bigint;
  labels: Record<string, string>;
  line: string;
}

export interface DataSource {
  readonly kind: 'local' | 'server';
  /** What the header shows: the folder name or the server URL. */
  readonly label: string;
  logs(query: string, opts: RunOptions & { limit: number; direction: 'forward' | 'backward' }): Promise<LogResult>;
  metric(query: string, opts: RunOptions & { step: string }): Promise<MetricData>;
  /** A metric query evaluated once, at `endNs` (the range is in the query). */
  instant(query: string, endNs: bigint, signal?: AbortSignal): Promise<SeriesData[]>;
  /** Values of a label (server: its label values endpoint); absent: the page uses {@link instant}. */
  labelValues?(name: string, selector: string, startNs: bigint, endNs: bigint): Promise<string[]>;
  targets(): Promise<TargetsInfo>;
  /** The ruler's groups (`GET /api/v1/rules`); null when the server runs no ruler (404). Server only. */
  rules?(signal?: AbortSignal): Promise<RuleGroupInfo[] | null>;
  /** Follows new lines of a log query; returns a function that stops. Server only. */
  tail?(query: string, onLines: (lines: TailLine[]) => void, onError: (message: string) => void): () => void;
}

/** The page's side of the engine worker. */
export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void; onProgress?: ((p: Progress) => void) | undefined }>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<WorkerResponse>) => {
      const msg = e.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') {
        p.onProgress?.({ bytesScanned: msg.bytesScanned, totalBytes: msg.totalBytes });
        return;
      }
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new ViewerError(msg.error));
      else p.resolve(msg);
    };
    worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new ViewerError({ code: 'INTERNAL', message: `engine worker failed: ${e.message}` }));
      this.pending.clear();
    };
  }

  /** Sends one request; an abort of `signal` sends `cancel` (the answer is then an ABORTED error). */
  request(body: RequestBody, signal?: AbortSignal, onProgress?: (p: Progress) => void, transfer: Transferable[] = []): Promise<WorkerResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      if (signal) {
        if (signal.aborted) queueMicrotask(() => this.worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest));
        signal.addEventListener('abort', () => this.worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest), { once: true });
      }
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }
}

/** A store opened from files: every query runs in the engine worker. */
export class LocalSource implements DataSource {
  readonly kind = 'local';
  constructor(
    private readonly engine: EngineClient,
    readonly label: string,
  ) {}

  /** Opens `files` in the worker; resolves with what the store holds. */
  static async open(engine: EngineClient, label: string, files: StoreFile[]): Promise<{ source: LocalSource; opened: Extract<WorkerResponse, { type: 'opened' }> }> {
    const r = await engine.request({ type: 'open', files });
    if (r.type !== 'opened') throw new Error(`unexpected answer ${r.type}`);
    return { source: new LocalSource(engine, label), opened: r };
  }

  async logs(query: string, o: RunOptions & { limit: number; direction: 'forward' | 'backward' }): Promise<LogResult> {
    const r = await this.engine.request({ type: 'query', query, startNs: String(o.startNs), endNs: String(o.endNs), limit: o.limit, direction: o.direction }, o.signal, o.onProgress);
    if (r.type !== 'result') throw new Error(`unexpected answer ${r.type}`);
    return { table: tableFromIPC(new Uint8Array(r.ipc)), stats: r.stats };
  }

  async metric(query: string, o: RunOptions & { step: string }): Promise<MetricData> {
    const r = await this.engine.request({ type: 'metric', query, startNs: String(o.startNs), endNs: String(o.endNs), step: o.step }, o.signal, o.onProgress);
    if (r.type !== 'metric') throw new Error(`unexpected answer ${r.type}`);
    return { series: r.series, stats: r.stats };
  }

  async instant(query: string, endNs: bigint, signal?: AbortSignal): Promise<SeriesData[]> {
    const r = await this.engine.request({ type: 'metric', query, startNs: String(endNs), endNs: String(endNs), step: '' }, signal);
    if (r.type !== 'metric') throw new Error(`unexpected answer ${r.type}`);
    return r.series;
  }

  async targets(): Promise<TargetsInfo> {
    const r = await this.engine.request({ type: 'targets' });
    if (r.type !== 'targets') throw new Error(`unexpected answer ${r.type}`);
    return r.targets;
  }

  /** A synthetic result of `rows` rows built in the worker (tests, demos). */
  async synthetic(rows: number): Promise<LogResult> {
    const r = await this.engine.request({ type: 'synthetic', rows });
    if (r.type !== 'result') throw new Error(`unexpected answer ${r.type}`);
    return { table: tableFromIPC(new Uint8Array(r.ipc)), stats: r.stats };
  }
}

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** `1:30: message` (how the server words query errors) → a span at that position. */
function errorFromServer(status: number, body: string, query: string): ViewerError {
  let message = body;
  let code = `HTTP_${status}`;
  try {
    const j = JSON.parse(body) as { error?: string; message?: string; errorType?: string };
    message = j.error ?? j.message ?? body;
    if (j.errorType) code = j.errorType;
  } catch {
    /* not JSON: the text is the message */
  }
  const m = /^(\d+):(\d+): /.exec(message);
  if (m) {
    const offset = offsetOf(query, Number(m[1]), Number(m[2]));
    return new ViewerError({ code, message: message.slice(m[0].length), span: { start: offset, end: offset + 1 } });
  }
  return new ViewerError({ code, message });
}

/** 0-based offset of 1-based line:column in `text`. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + column - 1);
}

/** A `letheql serve` (or Loki-compatible) server. */
export class ServerSource implements DataSource {
  readonly kind = 'server';
  readonly label: string;
  private readonly base: string;

  constructor(
    base: string,
    private readonly token: string,
  ) {
    this.base = base.replace(/\/+$/, '');
    this.label = this.base;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  private async get(path: string, params: Record<string, string>, signal?: AbortSignal, accept = 'application/json', query = ''): Promise<Response> {
    const url = `${this.base}${path}?${new URLSearchParams(params).toString()}`;
    const res = await fetch(url, { headers: this.headers({ accept }), ...(signal ? { signal } : {}) });
    if (!res.ok) throw errorFromServer(res.status, await res.text(), query);
    return res;
  }

  async logs(query: string, o: RunOptions & { limit: number; direction: 'forward' | 'backward' }): Promise<LogResult> {
    // Loki's end is exclusive; ours inclusive.
    const params = { query, start: String(o.startNs), end: String(o.endNs + 1n), limit: String(o.limit), direction: o.direction };
    const res = await this.get('/loki/api/v1/query_range', params, o.signal, ARROW_STREAM, query);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const table = tableFromIPC(bytes);
    const json = table.schema.metadata.get('letheql.stats');
    const stats = json ? (JSON.parse(json) as StatsInfo) : null;
    o.onProgress?.({ bytesScanned: stats?.bytesScanned ?? 0, totalBytes: stats?.bytesScanned ?? 0 });
    return { table, stats };
  }

  async metric(query: string, o: RunOptions & { step: string }): Promise<MetricData> {
    const params = { query, start: String(o.startNs), end: String(o.endNs + 1n), step: o.step };
    const res = await this.get('/loki/api/v1/query_range', params, o.signal, 'application/json', query);
    const j = (await res.json()) as {
      data: { resultType: string; result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[]; stats?: { summary?: { totalBytesProcessed?: number; execTime?: number }; store?: { decompressedBytes?: number; decompressedLines?: number; totalChunksDownloaded?: number } } };
    };
    const series: SeriesData[] = j.data.result.map((r) => {
      const points = r.values ?? (r.value ? [r.value] : []);
      return { labels: r.metric, timesMs: Float64Array.from(points, (p) => p[0] * 1000), values: Float64Array.from(points, (p) => Number(p[1])) };
    });
    const st = j.data.stats?.store;
    const stats: StatsInfo | null = st
      ? { filesRead: st.totalChunksDownloaded ?? 0, bytesScanned: st.decompressedBytes ?? 0, linesScanned: st.decompressedLines ?? 0, linesMatched: 0, rowsReturned: series.reduce((n, s) => n + s.values.length, 0), truncated: false, elapsedMs: (j.data.stats?.summary?.execTime ?? 0) * 1000 }
      : null;
    return { series, stats };
  }

  async instant(query: string, endNs: bigint, signal?: AbortSignal): Promise<SeriesData[]> {
    const res = await this.get('/loki/api/v1/query', { query, time: String(endNs) }, signal, 'application/json', query);
    const j = (await res.json()) as { data: { result: { metric: Record<string, string>; value?: [number, string] }[] } };
    return j.data.result.map((r) => ({ labels: r.metric, timesMs: Float64Array.of(r.value ? r.value[0] * 1000 : 0), values: Float64Array.of(r.value ? Number(r.value[1]) : 0) }));
  }

  async labelValues(name: string, selector: string, startNs: bigint, endNs: bigint): Promise<string[]> {
    const res = await this.get(`/loki/api/v1/label/${encodeURIComponent(name)}/values`, { query: selector, start: String(startNs), end: String(endNs + 1n) });
    return ((await res.json()) as { data: string[] }).data;
  }

  async rules(signal?: AbortSignal): Promise<RuleGroupInfo[] | null> {
    const res = await fetch(`${this.base}/api/v1/rules`, { headers: this.headers({ accept: 'application/json' }), ...(signal ? { signal } : {}) });
    if (res.status === 404) return null; // no --rules: the route is not registered
    if (!res.ok) throw errorFromServer(res.status, await res.text(), '');
    return ((await res.json()) as { data: { groups: RuleGroupInfo[] } }).data.groups;
  }

  async targets(): Promise<TargetsInfo> {
    const res = await this.get('/api/v1/targets', {});
    const j = (await res.json()) as { data: { activeTargets: { discoveredLabels: Record<string, string> }[] } };
    const pod = new Set<string>();
    const node = new Set<string>();
    const clusters = new Set<string>();
    for (const t of j.data.activeTargets) {
      const l = t.discoveredLabels;
      if (l['__meta_kubernetes_namespace'] !== undefined) pod.add(l['__meta_kubernetes_namespace']);
      if (l['__meta_kubernetes_node_name'] !== undefined) node.add(l['__meta_kubernetes_node_name']);
      if (l['cluster'] !== undefined) clusters.add(l['cluster']);
    }
    const sorted = (s: Set<string>) => [...s].sort();
    return { pod: sorted(pod), node: sorted(node), clusters: clusters.size > 0 ? sorted(clusters) : null };
  }

  tail(query: string, onLines: (lines: TailLine[]) => void, onError: (message: string) => void): () => void {
    const url = new URL(`${this.base}/loki/api/v1/tail`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('query', query);
    url.searchParams.set('limit', '50');
    const ws = this.token ? new WebSocket(url, ['letheql', `base64url.bearer.authorization.letheql.${base64url(this.token)}`]) : new WebSocket(url);
    let stopped = false;
    ws.onmessage = (e) => {
      try {
        const msg = JSON.parse(String(e.data)) as { streams: { stream: Record<string, string>; values: [string, string][] }[] };
        const lines: TailLine[] = [];
        for (const s of msg.streams) for (const [t, line] of s.values) lines.push({ timeNs: BigInt(t), labels: s.stream, line });
        lines.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
        onLines(lines);
      } catch (err) {
        onError(`bad tail message: ${String(err)}`);
      }
    };
    ws.onclose = (e) => {
      if (!stopped) onError(`live tail closed${e.reason ? `: ${e.reason}` : ` (code ${e.code})`}`);
    };
    return () => {
      stopped = true;
      ws.close();
    };
  }
}

/** base64url without padding (RFC 4648 §5) of a string's UTF-8 bytes, as a subprotocol may carry it. */
function base64url(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
