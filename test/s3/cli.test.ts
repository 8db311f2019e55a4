/**
 * The CLI and the server on `s3://` stores (s3rver on 127.0.0.1): `query`, `explain`,
 * `targets` and `serve` print what they print for the local store; bad URLs, a missing
 * bucket and refused credentials exit 2 with one precise line and no stack; the disk cache
 * serves a second query without a GET.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runServe } from '../../src/cli/serve.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { shipTo, startS3, type S3Server } from '../support/s3.js';

const started = await startS3();
const server: S3Server | null = typeof started === 'string' ? null : started;
const SKIP = typeof started === 'string' ? started : '';
let tmp = '';

function sink() {
  const chunks: Buffer[] = [];
  return { chunks, isTTY: false, write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean { chunks.push(Buffer.from(data)); cb?.(); return true; } };
}

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout: stdout as never, stderr: stderr as never, env });
  return { code, out: Buffer.concat(stdout.chunks).toString('utf8'), err: Buffer.concat(stderr.chunks).toString('utf8') };
}

const WINDOW = ['--start', '2024-09-24T13:00:00Z', '--end', '2024-09-24T16:00:00Z'];

beforeAll(async () => {
  if (!server) return;
  tmp = mkdtempSync(join(tmpdir(), 'letheql-s3-cli-'));
  await server.bucket('cli');
  await shipTo(FIXTURE_STORE, 's3://cli/fixture', server.endpoint);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!server)(`letheql on s3:// stores${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const s3 = () => ['--store', 's3://cli/fixture', '--s3-endpoint', server!.endpoint];

  it('query, explain and targets print what they print for the local store', async () => {
    for (const args of [
      ['query', ...WINDOW, '--format', 'jsonl', '--limit', '0', 'pod{namespace=~".+"} |~ "(?i)error"'],
      ['query', ...WINDOW, '--count', 'node{node=~".+"}'],
      ['query', ...WINDOW, '--step', '30m', 'sum by (namespace) (count_over_time(pod{namespace=~".+"}[30m]))'],
      ['targets', '--json'],
    ]) {
      const want = await run([...args, '--store', FIXTURE_STORE, '--workers', '0']);
      const got = await run([...args, ...s3()]);
      expect(got, args.join(' ')).toEqual(want);
      expect(got.code).toBe(0);
    }
    // explain names the same files (the plan lists store-relative paths).
    const want = await run(['explain', ...WINDOW, '--json', '--store', FIXTURE_STORE, 'pod{namespace="shop"}']);
    const got = await run(['explain', ...WINDOW, '--json', ...s3(), 'pod{namespace="shop"}']);
    expect(JSON.parse(got.out).files).toEqual(JSON.parse(want.out).files);
  });

  it('--stores FILE may name s3:// members (kept as URLs, not resolved as paths)', async () => {
    const file = join(tmp, 'stores.json');
    writeFileSync(file, JSON.stringify({ a: 's3://cli/fixture', b: FIXTURE_STORE }));
    const got = await run(['query', ...WINDOW, '--count', '--stores', file, '--s3-endpoint', server!.endpoint, 'pod{namespace="shop"}']);
    const one = await run(['query', ...WINDOW, '--count', '--store', FIXTURE_STORE, 'pod{namespace="shop"}']);
    expect(got.err).toBe('');
    expect(Number(got.out)).toBe(2 * Number(one.out));
  });

  it('the endpoint may come from AWS_ENDPOINT_URL', async () => {
    process.env['AWS_ENDPOINT_URL'] = server!.endpoint;
    try {
      const r = await run(['query', ...WINDOW, '--count', '--store', 's3://cli/fixture', 'pod{namespace="shop"}']);
      expect(r.err).toBe('');
      expect(Number(r.out)).toBeGreaterThan(0);
    } finally {
      delete process.env['AWS_ENDPOINT_URL'];
    }
  });

  it('--cache-dir: a second query answers the same from the cache', async () => {
    const cache = join(tmp, 'cache');
    const args = ['query', ...WINDOW, '--count', ...s3(), '--cache-dir', cache, '--cache-size', '64m', 'pod{namespace=~".+"}'];
    const first = await run(args);
    expect(first.code).toBe(0);
    expect(readdirSync(cache).length).toBeGreaterThan(0);
    const second = await run(args);
    expect(second).toEqual(first);
  });

  it('bad input exits 2 with one precise line', async () => {
    const cases: [string[], RegExp][] = [
      [['--store', 's3://'], /^letheql: invalid S3 store URL "s3:\/\/": no bucket name \(expected s3:\/\/BUCKET\/PREFIX\)\n$/],
      [['--store', 's3://xyz/y', '--s3-endpoint', 'nope'], /^letheql: invalid S3 endpoint "nope": expected http\(s\):\/\/HOST\[:PORT\]\n$/],
      [['--store', 's3://no-such-bucket/x', '--s3-endpoint', server!.endpoint], /^letheql: S3 bucket not found: no-such-bucket at http:\/\/127\.0\.0\.1:\d+\n$/],
      [['--store', FIXTURE_STORE, '--cache-dir', tmp], /^letheql: --cache-dir applies to s3:\/\/ stores only\n/],
      [[...s3(), '--cache-size', '1g'], /^letheql: --cache-size needs --cache-dir\n/],
    ];
    for (const [flags, err] of cases) {
      const r = await run(['query', ...WINDOW, ...flags, 'pod{namespace="shop"}']);
      expect(r.err, flags.join(' ')).toMatch(err);
      expect(r.code).toBe(2);
    }
    const keep = process.env['AWS_ACCESS_KEY_ID'];
    process.env['AWS_ACCESS_KEY_ID'] = 'WRONG';
    try {
      const r = await run(['targets', ...s3()]);
      expect(r.err).toMatch(/^letheql: S3 access denied to s3:\/\/cli\/fixture at http:\/\/127\.0\.0\.1:\d+: InvalidAccessKeyId.*check AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY or the profile\n$/);
      expect(r.code).toBe(2);
    } finally {
      process.env['AWS_ACCESS_KEY_ID'] = keep;
    }
  });

  it('serve answers from an s3:// store, and refuses a missing bucket at start-up', async () => {
    const out = new PassThrough();
    let log = '';
    out.on('data', (d) => (log += d));
    const bad = await runServe(['--store', 's3://no-such-bucket', '--s3-endpoint', server!.endpoint, '--listen', '127.0.0.1:0'], { stdout: out, stderr: out, env: {} });
    expect(bad).toBe(2);
    expect(log).toMatch(/^letheql serve: S3 bucket not found: no-such-bucket at http:\/\/127\.0\.0\.1:\d+\n$/);

    let resolveUrl: (u: string) => void = () => undefined;
    const url = new Promise<string>((r) => (resolveUrl = r));
    const stop = new AbortController();
    const exit = runServe([...s3(), '--listen', '127.0.0.1:0'], { stdout: out, stderr: out, env: {} }, stop.signal, resolveUrl);
    const base = await url;
    try {
      const q = new URLSearchParams({ query: 'pod{namespace="shop"} |= "500"', start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' });
      const res = await fetch(`${base}/api/v1/query_range?${q}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { result: unknown[] } };
      const local = await run(['query', ...WINDOW, '--count', '--store', FIXTURE_STORE, 'pod{namespace="shop"} |= "500"']);
      expect(body.data.result.length).toBe(Number(local.out));
      // Push has no local directory to write to: a read-only store.
      const push = await fetch(`${base}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams: [] }) });
      expect(push.status).toBeGreaterThanOrEqual(400);
      expect(push.status).toBeLessThan(600);
    } finally {
      stop.abort();
      expect(await exit).toBe(0);
    }
  });
});

describe('object-store failures in the server', () => {
  it('are 500s with an id, whatever their kind: never the request\'s fault, never the bucket in the answer', async () => {
    const { toHttpError } = await import('../../src/server/errors.js');
    const { DriverError } = await import('../../src/store/driver.js');
    for (const kind of ['auth', 'no-bucket', 'io', 'changed'] as const) {
      const h = toHttpError(new DriverError(kind, 'S3 access denied to s3://secret-bucket at http://10.0.0.1:9000'));
      expect(h.status).toBe(500);
      expect(h.message).not.toContain('secret-bucket');
    }
  });
});
