/**
 * `letheql retention --store s3://…` (s3rver on 127.0.0.1) applies the rules it applies on
 * disk: the same store, shipped, and a local copy of it, given the same limits and clock,
 * report the same deletions (age, then size; the current hour kept; names that are not
 * hours ignored; stray root files removed) and keep the same files; each deleted hour's
 * sidecar goes with it.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { S3Driver } from '../../src/platform/node/s3.js';
import { runRetention, type RetentionReport } from '../../src/write/retention.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FAR_FUTURE_NS, isSummaryKey, shipTo, startS3, storeFiles, type S3Server } from '../support/s3.js';

const started = await startS3();
const server: S3Server | null = typeof started === 'string' ? null : started;
const SKIP = typeof started === 'string' ? started : '';
let tmp = '';

const NOW = '2024-09-24T12:30:00Z';

/** A store of hours 00–12 (12 is current at NOW) in two namespaces, a non-hour file, and sidecars. */
function makeStore(root: string): void {
  for (const ns of ['a', 'b']) {
    mkdirSync(join(root, 'pod', ns), { recursive: true });
    for (let h = 0; h <= 12; h++) {
      const hh = String(h).padStart(2, '0');
      writeFileSync(join(root, 'pod', ns, `2024-09-24_${hh}.log`), `2024-09-24T${hh}:00:00Z[${ns}|p|c] ${'x'.repeat(100 * (h + 1))}\n`);
    }
  }
  writeFileSync(join(root, 'pod', 'a', 'notes.txt'), 'not an hour\n');
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (d: string, cb?: () => void) => ((out += d), cb?.(), true) }, stderr: { write: (d: string, cb?: () => void) => ((err += d), cb?.(), true) }, env: {} };
  return { code: await main(argv, io as never), out, err };
}

const comparable = (r: RetentionReport) => ({ ...r, removedDirs: [] });

beforeAll(async () => {
  if (!server) return;
  tmp = mkdtempSync(join(tmpdir(), 'letheql-s3-retention-'));
  await server.bucket('ret');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!server)(`retention on s3:// stores${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('deletes what it deletes on disk, by age then by size, sidecars with their files', async () => {
    const local = join(tmp, 'local');
    makeStore(local);
    await indexStore(local, { nowNs: FAR_FUTURE_NS });
    await shipTo(local, 's3://ret/store', server!.endpoint);
    const d = new S3Driver('s3://ret/store', { endpoint: server!.endpoint });
    // A stray root object, as fluent-bit configs leave (Lethe removes them), and a file that
    // is not an hour (ship does not ship it; a store written by others may hold it).
    await d.put('kube.var.log', { size: 1, read: async () => new Uint8Array([10]) });
    await d.put('pod/a/notes.txt', { size: 12, read: async () => new TextEncoder().encode('not an hour\n') });
    writeFileSync(join(local, 'kube.var.log'), '\n');
    rmSync(join(local, '.letheql', 'ship'), { recursive: true });
    rmSync(join(local, '.letheql', 'store-id'));

    for (const limits of [['--max-age', '6h'], ['--max-size', '8000']]) {
      const r = await cli(['retention', '--store', 's3://ret/store', '--s3-endpoint', server!.endpoint, ...limits, '--now', NOW, '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const remote = JSON.parse(r.out) as RetentionReport;
      const want = await runRetention(local, { ...(limits[0] === '--max-age' ? { maxAge: limits[1] } : { maxSize: limits[1] }), now: NOW });
      expect(comparable(remote)).toEqual(comparable(want));
      expect(remote.deleted.length).toBeGreaterThan(0);
      // (target summaries, derived by ship, stay: their entries for deleted objects never match a listed one)
      const keys = (await d.list('')).map((o) => o.key).filter((k) => !isSummaryKey(k));
      expect(keys).toEqual(storeFiles(local));
    }
  });

  it('a missing bucket: exit 2, one line', async () => {
    const r = await cli(['retention', '--store', 's3://no-such-bucket', '--s3-endpoint', server!.endpoint, '--max-age', '1h']);
    expect(r.err).toMatch(/^letheql retention: S3 bucket not found: no-such-bucket at http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(r.code).toBe(2);
  });
});
