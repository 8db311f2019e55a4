/**
 * Helpers for the server tests: a real server on 127.0.0.1 (port 0), real HTTP through
 * `fetch`, temporary stores, a chunk source whose reads wait on a gate (to hold a query
 * "in flight" deterministically, without timing), and log capture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LogStore } from '../../src/api.js';
import { createServer, type LetheServer, type ServerOptions } from '../../src/server/server.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import type { ChunkReader, ChunkSource, FileEntry, LogType } from '../../src/store/types.js';
import { parseRfc3339 } from '../../src/time.js';

/** Lethe's tests freeze the clock here. */
export const LETHE_NOW = '2009-11-10T23:00:00Z';
export const LETHE_NOW_NS = parseRfc3339(LETHE_NOW)!;

export interface Running {
  server: LetheServer;
  url: string;
  /** Log lines the server wrote (JSON objects). */
  logs: Record<string, unknown>[];
  /** Raw log text. */
  logText(): string;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1:0 with a captured log. */
export async function start(options: Omit<ServerOptions, 'log'> & { logLevel?: string }): Promise<Running> {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const server = await createServer({ ...options, log: { level: options.logLevel ?? 'info', stream } });
  const url = await server.listen('127.0.0.1', 0);
  const logText = () => chunks.join('');
  return {
    server,
    url,
    get logs() {
      return logText()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText,
    close: () => server.close(),
  };
}

/** A frozen clock for `ServerOptions.now`. */
export function frozen(rfc3339: string): () => bigint {
  const ns = parseRfc3339(rfc3339)!;
  return () => ns;
}

/** GET `path` with query parameters; returns status, parsed JSON (or text) and headers. */
export async function get(base: string, path: string, query: Record<string, string | string[]> = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const u = new URL(path, base);
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) u.searchParams.append(k, x);
  const res = await fetch(u, { headers });
  return answer(res);
}

/** POST a form body. */
export async function postForm(base: string, path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await fetch(new URL(path, base), { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return answer(res);
}

/** POST raw bytes. */
export async function postRaw(base: string, path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const res = await fetch(new URL(path, base), { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers });
  return answer(res);
}

async function answer(res: Response): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, body, text, headers: res.headers };
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'letheql-serve-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A promise with its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A source over in-memory files whose reads wait until `release()`: a query on it is in
 * flight until the test says so. `entered` resolves when the first read starts.
 */
export class GatedSource implements ChunkSource {
  readonly description = 'gated';
  private readonly inner: MemoryChunkSource;
  private gate = deferred();
  entered = deferred();
  reads = 0;
  constructor(files: Record<string, string>) {
    this.inner = MemoryChunkSource.fromRecord(files);
  }
  release(): void {
    this.gate.resolve();
  }
  listTargets(logType: LogType): Promise<string[]> {
    return this.inner.listTargets(logType);
  }
  listFiles(logType: LogType, target: string, select?: (name: string) => boolean): Promise<FileEntry[]> {
    return this.inner.listFiles(logType, target, select);
  }
  async open(logType: LogType, target: string, name: string): Promise<ChunkReader> {
    const r = await this.inner.open(logType, target, name);
    const gate = () => this.gate.promise;
    const self = this;
    return {
      size: r.size,
      async read(dest: Uint8Array, position: number): Promise<number> {
        self.reads++;
        self.entered.resolve();
        await gate();
        return r.read(dest, position);
      },
      close: () => r.close(),
    };
  }
}

/** A store over a gated source (scans in-thread). */
export function gatedStore(files: Record<string, string>): { store: LogStore; source: GatedSource } {
  const source = new GatedSource(files);
  return { store: new LogStore(source), source };
}

/** Polls `check` (no wall-clock threshold: a bounded number of event-loop turns). */
export async function eventually(check: () => boolean | Promise<boolean>, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not reached');
}

/**
 * Peak resident set size while `work` runs, sampled every 2 ms of the event loop it yields
 * (the server under test runs in this process): the memory bound of the hardening tests,
 * measured, never a wall-clock figure.
 */
export async function peakRss<T>(work: () => Promise<T>): Promise<{ value: T; peak: number; before: number }> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peak, before };
  } finally {
    clearInterval(timer);
  }
}
