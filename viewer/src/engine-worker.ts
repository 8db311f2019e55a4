/**
 * The engine worker: owns the opened store and runs every query off the page's thread.
 *
 * The store is opened with `workers: 0`, so the scan runs here (the page stays free, and a
 * nested pool of workers would buy nothing on small machines). Each request gets its own
 * AbortController; `cancel` aborts it and the query rejects with `ABORTED`. Progress is
 * reported after each file (the engine's `onProgress`), throttled to one message per 50 ms.
 * Log results go back as Arrow IPC bytes in a transferred ArrayBuffer; metric results as
 * Float64Array pairs per series (transferred too).
 *
 * `synthetic` builds a result of N rows straight into Arrow buffers (no row objects), for
 * the viewer's million-row test and for trying the list without a big store.
 */
import { makeData, makeVector, RecordBatch, Struct, Table, type Data, type Dictionary, type Int32, type TimestampNanosecond, type TypeMap, type Utf8 } from 'apache-arrow';
import { getStats, logSchema, openMemoryStore, QueryError, LetheQLError, toArrowIPC, type LogStore, type QueryStats } from '../../src/browser.ts';
import type { ErrorInfo, SeriesData, StatsInfo, StoreFile, TargetsInfo, WorkerRequest, WorkerResponse } from './protocol.ts';

const scope = self as unknown as { postMessage(message: WorkerResponse, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null };

let store: LogStore | null = null;
const running = new Map<number, AbortController>();

function post(message: WorkerResponse, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function statsInfo(s: QueryStats | null): StatsInfo | null {
  if (s === null) return null;
  return { filesRead: s.filesRead, bytesScanned: s.bytesScanned, linesScanned: s.linesScanned, linesMatched: s.linesMatched, rowsReturned: s.rowsReturned, truncated: s.truncated, elapsedMs: s.elapsedMs };
}

/** Any failure as data; query errors keep their span (offsets into the query text). */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof QueryError) return { code: e.code, message: e.message, span: { start: e.span.start.offset, end: e.span.end.offset } };
  if (e instanceof LetheQLError) return { code: e.code, message: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { code: 'ABORTED', message: 'the query was cancelled' };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function needStore(): LogStore {
  if (store === null) throw new LetheQLError('STORE_NOT_FOUND', 'no store is open: pick a store folder or log files first');
  return store;
}

async function targetsOf(s: LogStore): Promise<TargetsInfo> {
  const t = await s.targets();
  return { pod: t.pod, node: t.node, clusters: s.clusters === null ? null : [...s.clusters] };
}

const HOUR_FILE = /(\d{4})-(\d{2})-(\d{2})_(\d{2})\.log$/;

async function open(files: StoreFile[]): Promise<WorkerResponse> {
  await store?.close();
  const record: Record<string, Blob> = {};
  let bytes = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (const f of files) {
    record[f.path] = f.file;
    bytes += f.file.size;
    const m = HOUR_FILE.exec(f.path);
    if (m) {
      const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!);
      if (!Number.isNaN(t)) {
        first = first === null ? t : Math.min(first, t);
        last = last === null ? t : Math.max(last, t);
      }
    }
  }
  store = openMemoryStore(record, { workers: 0 });
  return { type: 'opened', id: 0, files: files.length, bytes, firstHourMs: first, lastHourMs: last, targets: await targetsOf(store) };
}

function progressReporter(id: number): (p: { bytesScanned: number; totalBytes: number }) => void {
  let lastSent = 0;
  return (p) => {
    const now = performance.now();
    if (now - lastSent < 50 && p.bytesScanned < p.totalBytes) return;
    lastSent = now;
    post({ type: 'progress', id, bytesScanned: p.bytesScanned, totalBytes: p.totalBytes });
  };
}

async function handle(req: Exclude<WorkerRequest, { type: 'cancel' }>, signal: AbortSignal): Promise<void> {
  switch (req.type) {
    case 'open': {
      const r = await open(req.files);
      post({ ...r, id: req.id } as WorkerResponse);
      return;
    }
    case 'targets':
      post({ type: 'targets', id: req.id, targets: await targetsOf(needStore()) });
      return;
    case 'query': {
      const table = await needStore().query(req.query, {
        start: BigInt(req.startNs),
        end: BigInt(req.endNs),
        limit: req.limit,
        direction: req.direction,
        signal,
        onProgress: progressReporter(req.id),
      });
      const ipc = toArrowIPC(table);
      const buffer = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? (ipc.buffer as ArrayBuffer) : (ipc.slice().buffer as ArrayBuffer);
      post({ type: 'result', id: req.id, ipc: buffer, stats: statsInfo(getStats(table)) }, [buffer]);
      return;
    }
    case 'metric': {
      const { result, stats } = await needStore().queryMetric(req.query, {
        start: BigInt(req.startNs),
        end: BigInt(req.endNs),
        ...(req.step ? { step: req.step } : {}),
        signal,
        onProgress: progressReporter(req.id),
      });
      const series: SeriesData[] = result.series.map((s) => ({
        labels: { ...s.labels },
        timesMs: Float64Array.from(s.samples, ([t]) => Number(t) / 1e6),
        values: Float64Array.from(s.samples, ([, v]) => v),
      }));
      const transfer = series.flatMap((s) => [s.timesMs.buffer as ArrayBuffer, s.values.buffer as ArrayBuffer]);
      post({ type: 'metric', id: req.id, series, stats: statsInfo(stats) }, transfer);
      return;
    }
    case 'synthetic': {
      const ipc = toArrowIPC(syntheticTable(req.rows));
      const buffer = ipc.slice().buffer as ArrayBuffer;
      const stats: StatsInfo = { filesRead: 0, bytesScanned: 0, linesScanned: req.rows, linesMatched: req.rows, rowsReturned: req.rows, truncated: false, elapsedMs: 0 };
      post({ type: 'result', id: req.id, ipc: buffer, stats }, [buffer]);
      return;
    }
  }
}

/**
 * N pod rows built column by column: times one second apart from 2024-09-24T00:00:00Z,
 * labels from small dictionaries, lines `synthetic row <i> GET /api/items/<i % 997>`.
 */
export function syntheticTable(rows: number): Table {
  const schema = logSchema('pod');
  const t0 = 1_727_136_000_000_000_000n;
  const times = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) times[i] = t0 + BigInt(i) * 1_000_000_000n;
  const enc = new TextEncoder();
  const utf8Column = (make: (i: number) => string, type: Utf8): Data<Utf8> => {
    const offsets = new Int32Array(rows + 1);
    let bytes = new Uint8Array(rows * 48);
    let at = 0;
    for (let i = 0; i < rows; i++) {
      const b = enc.encode(make(i));
      if (at + b.length > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, at + b.length));
        grown.set(bytes);
        bytes = grown;
      }
      bytes.set(b, at);
      at += b.length;
      offsets[i + 1] = at;
    }
    return makeData({ type, length: rows, nullCount: 0, valueOffsets: offsets, data: bytes.subarray(0, at) });
  };
  const dictionaries: string[][] = [['shop', 'default', 'kube-system'], ['api-0', 'api-1', 'web-0', 'web-1', 'worker-0'], ['api', 'nginx', 'sidecar']];
  const children: Data[] = [makeData({ type: schema.fields[0]!.type as TimestampNanosecond, length: rows, nullCount: 0, data: times })];
  dictionaries.forEach((values, c) => {
    const type = schema.fields[1 + c]!.type as Dictionary<Utf8, Int32>;
    const idx = new Int32Array(rows);
    for (let i = 0; i < rows; i++) idx[i] = (i * (c + 1)) % values.length;
    const dict = utf8DictValues(values, type.dictionary);
    children.push(makeData({ type, length: rows, nullCount: 0, data: idx, dictionary: dict }));
  });
  const lineType = schema.fields[4]!.type as Utf8;
  children.push(utf8Column((i) => `synthetic row ${i} GET /api/items/${i % 997}`, lineType));
  children.push(utf8Column((i) => new Date(Number(times[i]! / 1_000_000n)).toISOString(), lineType));
  const struct = makeData({ type: new Struct<TypeMap>(schema.fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

function utf8DictValues(values: string[], type: Utf8) {
  const enc = new TextEncoder();
  const parts = values.map((v) => enc.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  parts.forEach((p, i) => (offsets[i + 1] = total += p.length));
  const data = new Uint8Array(total);
  parts.forEach((p, i) => data.set(p, offsets[i]!));
  return makeVector(makeData({ type, length: values.length, nullCount: 0, valueOffsets: offsets, data }));
}

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  if (req.type === 'cancel') {
    running.get(req.id)?.abort(new LetheQLError('ABORTED', 'the query was cancelled'));
    return;
  }
  const ac = new AbortController();
  running.set(req.id, ac);
  handle(req, ac.signal)
    .catch((err: unknown) => post({ type: 'error', id: req.id, error: ac.signal.aborted ? { code: 'ABORTED', message: 'the query was cancelled' } : errorInfo(err) }))
    .finally(() => running.delete(req.id));
};
