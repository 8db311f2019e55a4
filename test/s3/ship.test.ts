/**
 * `letheql ship` against a real S3-compatible server (s3rver on 127.0.0.1): every closed
 * hour file and sidecar lands exactly once with its exact bytes, never the current hour;
 * reruns upload nothing; a changed closed hour is shipped again; `--delete-after-upload`
 * removes local files only once their objects are verified; and a ship killed (SIGKILL)
 * in the middle of a multipart upload leaves no partial object, and the rerun completes the
 * store with nothing missing or duplicated.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../scripts/lib/generate.mjs';
import { main } from '../../src/cli/main.js';
import { runShipCommand } from '../../src/cli/ship-command.js';
import { decodeSummaryFiles } from '../../src/store/index-summary.js';
import { S3Driver } from '../../src/platform/node/s3.js';
import { parseTime } from '../../src/time.js';
import { shipStore } from '../../src/write/ship.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { FAR_FUTURE_NS, isSummaryKey, startS3, storeFiles, type S3Server } from '../support/s3.js';

const started = await startS3();
const server: S3Server | null = typeof started === 'string' ? null : started;
const SKIP = typeof started === 'string' ? started : '';
const BIN = fileURLToPath(new URL('../../bin/letheql.js', import.meta.url));
let tmp = '';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The shippable files of a local store (hour files and sidecars; not the ship ledger). */
function shippable(root: string): string[] {
  return storeFiles(root).filter((f) => !f.startsWith('.letheql/ship/') && f !== '.letheql/store-id' && !f.startsWith('.letheql-generated'));
}

/**
 * Every object under `url` has the bytes of the same local file, and there is no other
 * object but target summaries, whose every entry names its hour object's listed ETag and size.
 */
async function expectMirror(root: string, url: string, files = shippable(root)): Promise<void> {
  const d = new S3Driver(url, { endpoint: server!.endpoint });
  const all = await d.list('');
  const objects = all.filter((o) => !isSummaryKey(o.key));
  expect(objects.map((o) => o.key)).toEqual([...files].sort());
  const byKey = new Map(all.map((o) => [o.key, o]));
  for (const o of all.filter((x) => isSummaryKey(x.key))) {
    const got = await d.get(o.key);
    const entries = decodeSummaryFiles(got!.bytes);
    if (!Array.isArray(entries)) throw new Error(`${o.key}: ${entries.detail}`);
    const dir = o.key.slice('.letheql/index/'.length, -'/summary.lqts'.length);
    for (const { entry } of entries) {
      const hour = byKey.get(`${dir}/${entry.name}`);
      expect(entry.etag, `${o.key}: ${entry.name}`).toBe(hour?.etag);
      expect(entry.size).toBe(hour?.size);
    }
  }
  for (const o of objects) {
    const local = readFileSync(join(root, o.key));
    const got = await d.get(o.key);
    expect(got!.bytes.length, o.key).toBe(local.length);
    expect(sha(got!.bytes), o.key).toBe(sha(local));
    expect(got!.head.metadata['letheql-sha256']).toBe(sha(local));
  }
}

beforeAll(async () => {
  if (!server) return;
  tmp = mkdtempSync(join(tmpdir(), 'letheql-s3-ship-'));
  await server.bucket('ship');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!server)(`letheql ship${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('ships the fixture store exactly once; reruns upload nothing; a changed hour goes again', async () => {
    const root = join(tmp, 'fixture');
    cpSync(FIXTURE_STORE, root, { recursive: true });
    const d = new S3Driver('s3://ship/fixture', { endpoint: server!.endpoint });
    const first = await shipStore(root, d, { nowNs: FAR_FUTURE_NS });
    expect(first.uploaded).toBe(shippable(root).length);
    expect(first.present).toBe(0);
    await expectMirror(root, 's3://ship/fixture');
    const again = await shipStore(root, d, { nowNs: FAR_FUTURE_NS });
    expect(again).toMatchObject({ uploaded: 0, present: first.uploaded, bytesUploaded: 0 });
    // Without the ledger, the objects' hashes still say they are there.
    rmSync(join(root, '.letheql', 'ship'), { recursive: true });
    expect(await shipStore(root, d, { nowNs: FAR_FUTURE_NS })).toMatchObject({ uploaded: 0, present: first.uploaded });
    // A late line in a closed hour: that file (only) is shipped again.
    const late = shippable(root).find((f) => f.startsWith('pod/shop/'))!;
    appendFileSync(join(root, late), '2024-09-24T13:59:59Z[shop|api-x|api] late line\n');
    expect(await shipStore(root, d, { nowNs: FAR_FUTURE_NS })).toMatchObject({ uploaded: 1, present: first.uploaded - 1 });
    await expectMirror(root, 's3://ship/fixture');
  });

  it('never ships the current hour; --delete-after-upload keeps it and removes the shipped ones', async () => {
    const root = join(tmp, 'hours');
    mkdirSync(join(root, 'pod', 'ns'), { recursive: true });
    for (const h of ['10', '11', '12']) writeFileSync(join(root, 'pod', 'ns', `2024-09-24_${h}.log`), `2024-09-24T${h}:00:00Z[ns|p|c] hour ${h}\n`);
    await indexStore(root, { nowNs: parseTime('2024-09-24T11:30:00Z') });
    const argv = ['ship', '--store', root, '--to', 's3://ship/hours', '--s3-endpoint', server!.endpoint, '--now', '2024-09-24T11:30:00Z', '--json', '--delete-after-upload'];
    const out: Buffer[] = [];
    const io = { stdout: { write: (d: string, cb?: () => void) => (out.push(Buffer.from(d)), cb?.(), true) }, stderr: { write: (_d: string, cb?: () => void) => (cb?.(), true) }, env: {} };
    expect(await main(argv, io as never)).toBe(0);
    expect(JSON.parse(Buffer.concat(out).toString())).toMatchObject({ uploaded: 2, deleted: 1, open: 2 });
    const objects = (await new S3Driver('s3://ship/hours', { endpoint: server!.endpoint }).list('')).map((o) => o.key);
    expect(objects).toEqual(['.letheql/index/pod/ns/2024-09-24_10.log.idx', '.letheql/index/pod/ns/summary.lqts', 'pod/ns/2024-09-24_10.log']);
    expect(existsSync(join(root, 'pod/ns/2024-09-24_10.log'))).toBe(false);
    expect(existsSync(join(root, '.letheql/index/pod/ns/2024-09-24_10.log.idx'))).toBe(false);
    expect(existsSync(join(root, 'pod/ns/2024-09-24_11.log'))).toBe(true);
  });

  it('bad input: exit 2, one line', async () => {
    const run = async (argv: string[]): Promise<{ code: number; err: string }> => {
      let err = '';
      const io = { stdout: { write: (_d: string, cb?: () => void) => (cb?.(), true) }, stderr: { write: (d: string, cb?: () => void) => ((err += d), cb?.(), true) }, env: {} };
      return { code: await main(['ship', ...argv], io as never), err };
    };
    expect(await run(['--store', FIXTURE_STORE, '--to', '/tmp/x'])).toEqual({ code: 2, err: 'letheql ship: invalid --to "/tmp/x": expected s3://BUCKET/PREFIX\nrun `letheql ship --help` for usage\n' });
    const r = await run(['--store', FIXTURE_STORE, '--to', 's3://no-such-bucket/x', '--s3-endpoint', server!.endpoint, '--now', '2100-01-01T00:00:00Z']);
    expect(r.err).toMatch(/^letheql ship: S3 bucket not found: no-such-bucket at http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(r.code).toBe(2);
  });

  it('killed mid-upload (SIGKILL): no partial object; the rerun leaves nothing missing or duplicated', async () => {
    const root = join(tmp, 'kill');
    await generateStore({ out: root, sizeBytes: 2_000_000, seed: 3 });
    // One big closed hour, uploaded in parts (over the 64 MiB multipart threshold), shipped last.
    const big = join(root, 'pod', 'zz-big');
    mkdirSync(big, { recursive: true });
    const line = '2024-09-24T00:00:00.000000001Z[zz-big|pod-0|c] ' + 'x'.repeat(1000) + '\n';
    writeFileSync(join(big, '2024-09-24_00.log'), line.repeat(Math.ceil((70 << 20) / line.length)));
    await indexStore(root, { nowNs: FAR_FUTURE_NS });
    const args = [BIN, 'ship', '--store', root, '--to', 's3://ship/kill', '--s3-endpoint', server!.endpoint, '--now', '2100-01-01T00:00:00Z', '--verbose'];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...server!.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const killed = new Promise<void>((res) => {
      child.stderr.on('data', (d) => {
        log += d;
        if (log.includes('uploading pod/zz-big/') && !child.killed) setTimeout(() => child.kill('SIGKILL'), 300);
      });
      child.on('exit', () => res());
    });
    await killed;
    expect(log, 'the ship must have been killed while uploading the big file').toContain('uploading pod/zz-big/');
    expect(log).not.toContain('uploaded pod/zz-big/');
    const d = new S3Driver('s3://ship/kill', { endpoint: server!.endpoint });
    const partial = (await d.list('')).find((o) => o.key === 'pod/zz-big/2024-09-24_00.log');
    expect(partial, 'no object for the file being uploaded').toBeUndefined();
    // The rerun (through the CLI again) completes the store; a third run finds everything there.
    const rerun = spawn(process.execPath, [...args.slice(0, -1), '--json'], { env: { ...process.env, ...server!.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    rerun.stdout.on('data', (x) => (out += x));
    let err = '';
    rerun.stderr.on('data', (x) => (err += x));
    const code = await new Promise<number | null>((res) => rerun.on('exit', res));
    expect(err).toBe('');
    expect(code).toBe(0);
    const second = JSON.parse(out) as { uploaded: number; present: number };
    expect(second.uploaded + second.present).toBe(shippable(root).length);
    expect(second.uploaded).toBeGreaterThan(0);
    await expectMirror(root, 's3://ship/kill');
    expect(await shipStore(root, d, { nowNs: FAR_FUTURE_NS })).toMatchObject({ uploaded: 0, present: shippable(root).length });
  }, 240_000);

  it('two stores shipped to one prefix: the second stops with a conflict instead of overwriting', async () => {
    const mk = (name: string, text: string): string => {
      const root = join(tmp, name);
      mkdirSync(join(root, 'pod', 'ns'), { recursive: true });
      writeFileSync(join(root, 'pod', 'ns', '2024-09-24_10.log'), `2024-09-24T10:00:00Z[ns|p|c] ${text}\n`);
      return root;
    };
    const a = mk('node-a', 'from node a');
    const b = mk('node-b', 'from node b, longer');
    const d = new S3Driver('s3://ship/shared', { endpoint: server!.endpoint });
    expect(await shipStore(a, d, { nowNs: FAR_FUTURE_NS })).toMatchObject({ uploaded: 1 });
    await expect(shipStore(b, d, { nowNs: FAR_FUTURE_NS })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/^conflict: s3:\/\/ship\/shared\/pod\/ns\/2024-09-24_10\.log was shipped from another store .*ship each store to its own prefix/) });
    expect(new TextDecoder().decode((await d.get('pod/ns/2024-09-24_10.log'))!.bytes)).toContain('from node a');
    expect(await shipStore(a, d, { nowNs: FAR_FUTURE_NS })).toMatchObject({ uploaded: 0, present: 1 });
  });

  it('--interval: ships hours as they appear, until stopped', async () => {
    const root = join(tmp, 'interval');
    mkdirSync(join(root, 'node', 'n1'), { recursive: true });
    writeFileSync(join(root, 'node', 'n1', '2024-09-24_10.log'), '2024-09-24T10:00:00Z[n1|kubelet] one\n');
    const stop = new AbortController();
    let out = '';
    const io = { stdout: { write: (d: string, cb?: () => void) => ((out += d), cb?.(), true) }, stderr: { write: (_d: string, cb?: () => void) => (cb?.(), true) }, env: {} };
    const done = runShipCommand(['--store', root, '--to', 's3://ship/interval', '--s3-endpoint', server!.endpoint, '--now', '2100-01-01T00:00:00Z', '--interval', '100ms', '--json'], io as never, stop.signal);
    const d = new S3Driver('s3://ship/interval', { endpoint: server!.endpoint });
    const until = async (n: number): Promise<void> => {
      for (let i = 0; i < 100 && (await d.list('')).length < n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    await until(1);
    writeFileSync(join(root, 'node', 'n1', '2024-09-24_11.log'), '2024-09-24T11:00:00Z[n1|kubelet] two\n');
    await until(2);
    stop.abort();
    expect(await done).toBe(0);
    expect((await d.list('')).map((o) => o.key)).toEqual(['node/n1/2024-09-24_10.log', 'node/n1/2024-09-24_11.log']);
    const reports = out.trim().split('\n').map((l) => JSON.parse(l) as { uploaded: number });
    expect(reports.reduce((a, r) => a + r.uploaded, 0)).toBe(2);
  });

  it('killed mid single PUT: a partial object (s3rver keeps one; S3 never does) is replaced by the rerun', async () => {
    const root = join(tmp, 'kill-put');
    mkdirSync(join(root, 'pod', 'x'), { recursive: true });
    const line = '2024-09-24T00:00:00Z[x|p|c] ' + 'y'.repeat(1000) + '\n';
    writeFileSync(join(root, 'pod', 'x', '2024-09-24_00.log'), line.repeat(Math.ceil((40 << 20) / line.length))); // under the multipart threshold
    const args = [BIN, 'ship', '--store', root, '--to', 's3://ship/kill-put', '--s3-endpoint', server!.endpoint, '--now', '2100-01-01T00:00:00Z', '--verbose'];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...server!.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => {
      log += d;
      if (log.includes('uploading pod/x/') && !child.killed) setTimeout(() => child.kill('SIGKILL'), 400);
    });
    await new Promise((res) => child.on('exit', res));
    const d = new S3Driver('s3://ship/kill-put', { endpoint: server!.endpoint });
    const report = await shipStore(root, d, { nowNs: FAR_FUTURE_NS });
    expect(report.uploaded + report.present).toBe(1);
    await expectMirror(root, 's3://ship/kill-put');
  }, 120_000);
});
