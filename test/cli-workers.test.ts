/**
 * `letheql query --workers N`: over a store big enough for the pool to use workers (its pod
 * part is ~35 MiB, above the 32 MiB threshold), `--workers 2` prints exactly what `--workers 0` prints and
 * really starts two worker threads (counted through a wrapped `node:worker_threads`);
 * `--workers 0` starts none; a bad value is a usage error (exit 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateStore, type GeneratedStore } from '../scripts/lib/generate.mjs';
import { main } from '../src/cli/main.js';

const started = vi.hoisted(() => ({ workers: 0 }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class CountedWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      started.workers++;
    }
  }
  return { ...real, default: { ...real, Worker: CountedWorker }, Worker: CountedWorker };
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) => ({
    isTTY: false,
    write(data: string | Uint8Array, cb?: (e?: Error | null) => void): boolean {
      append(Buffer.from(data).toString('utf8'));
      cb?.();
      return true;
    },
  });
  const code = await main(args, { stdout: sink((s) => (out += s)) as never, stderr: sink((s) => (err += s)) as never, env: {} });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'letheql-cli-workers-'));
let store: GeneratedStore;
beforeAll(async () => {
  store = await generateStore({ out: join(tmp, 'store'), sizeBytes: 48 << 20, seed: 3 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('letheql query --workers', () => {
  const base = () => ['query', '--store', store.out, '--start', store.start, '--end', store.end];
  const runs: [string, string[]][] = [
    ['--count', ['--count', '--stats', 'pod{namespace=~".*"} |= "GET"']],
    ['--count with a regex', ['--count', 'pod{namespace=~".*"} |~ "user/[0-9]+"']],
    ['jsonl rows, backward, limit 25', ['--format', 'jsonl', '--direction', 'backward', '--limit', '25', 'pod{namespace=~".*"} |= "POST"']],
    ['all rows of a rare message', ['--format', 'jsonl', '--limit', '0', 'pod{namespace=~".*"} |= "NullPointerException"']],
  ];
  it.each(runs)('%s: --workers 2 prints what --workers 0 prints, on two worker threads', async (_name, args) => {
    started.workers = 0;
    const inThread = await run([...base(), '--workers', '0', ...args]);
    expect(inThread.code).toBe(0);
    expect(started.workers).toBe(0);
    // The store (48 MiB) is below the default threshold: lower it so that the workers run.
    const parallel = await run([...base(), '--workers', '2', '--parallel-min-bytes', '16MiB', ...args]);
    expect(started.workers).toBe(2);
    expect(parallel.code).toBe(0);
    expect(parallel.out).toBe(inThread.out);
    expect(parallel.out.length).toBeGreaterThan(1);
    // --stats: identical statistics but for the elapsed time
    const strip = (s: string) => s.replace(/"elapsedMs":[0-9.]+/, '');
    expect(strip(parallel.err)).toBe(strip(inThread.err));
  });

  it('keeps a small query in-thread even with --workers 2', async () => {
    started.workers = 0;
    const r = await run([...base(), '--workers', '2', '--count', 'node{node=~".*"}']); // ~12 MiB
    expect(r.code).toBe(0);
    expect(started.workers).toBe(0);
  });

  it.each(['-1', 'two', '1.5', ''])('rejects --workers=%j as a usage error', async (bad) => {
    const r = await run([...base(), `--workers=${bad}`, '--count', 'pod{namespace="shop"}']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid --workers ${JSON.stringify(bad)}: expected a non-negative integer`);
  });

  it('documents the flag in --help', async () => {
    expect((await run(['--help'])).out).toMatch(/--workers N +worker threads for big scans/);
  });
});
