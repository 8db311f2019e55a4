/**
 * Retention with a frozen clock: by age (whole hours, as Lethe), by size (oldest first until
 * strictly under), the current hour kept, dry runs, empty target directories and stray root
 * files pruned, sizes parsed as Lethe does; plus the CLI.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseSize, planRetention, type StoreFileInfo } from '../../src/write/retention-plan.js';
import { runRetention, startRetention, type RetentionReport } from '../../src/write/retention.js';
import { cliIO, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const NOW = '2024-09-24T15:20:00Z';

/** A store: 100-byte hour files for shop (10:00–15:00), node-a (09:00, 15:00), a non-hour file, an old empty dir, strays. */
function buildStore(): string {
  const t = tempDir('letheql-retention-');
  cleanups.push(t.cleanup);
  const put = (rel: string, size = 100): void => {
    mkdirSync(join(t.dir, rel, '..'), { recursive: true });
    writeFileSync(join(t.dir, rel), 'x'.repeat(size - 1) + '\n');
  };
  for (const h of ['10', '11', '12', '13', '14', '15']) put(`pod/shop/2024-09-24_${h}.log`);
  put('pod/shop/notes.log', 50);
  put('node/node-a/2024-09-24_09.log');
  put('node/node-a/2024-09-24_15.log');
  put('pod/old-ns/2024-09-23_01.log');
  mkdirSync(join(t.dir, 'pod/empty-old'));
  utimesSync(join(t.dir, 'pod/empty-old'), new Date('2024-09-20T00:00:00Z'), new Date('2024-09-20T00:00:00Z'));
  mkdirSync(join(t.dir, 'pod/empty-new')); // mtime: the real now, after the frozen NOW
  writeFileSync(join(t.dir, 'kube.var.log.containers.x.log'), 'stray');
  writeFileSync(join(t.dir, 'host.1'), 'stray');
  writeFileSync(join(t.dir, 'README'), 'not a stray');
  return t.dir;
}

describe('planRetention', () => {
  const files: StoreFileInfo[] = [
    { logType: 'pod', target: 'b', name: '2024-09-24_13.log', size: 10 },
    { logType: 'pod', target: 'a', name: '2024-09-24_13.log', size: 10 },
    { logType: 'node', target: 'n', name: '2024-09-24_14.log', size: 10 },
    { logType: 'pod', target: 'a', name: '2024-09-24_15.log', size: 10 },
    { logType: 'pod', target: 'a', name: '0000-00-00_00.log', size: 10 },
  ];
  const nowNs = 1727191200000000000n; // 2024-09-24T15:20:00Z
  const h = 3_600_000_000_000n;
  it.each([
    ['age 1h: hours before 14:00', 1n * h, null, ['age pod/a/2024-09-24_13.log', 'age pod/b/2024-09-24_13.log'], 30, []],
    ['age 80m: cut-off hour 14:00 (whole hours)', 80n * 60_000_000_000n, null, ['age pod/a/2024-09-24_13.log', 'age pod/b/2024-09-24_13.log'], 30, []],
    ['age 20m: cut-off is the current hour, which is never before itself', 20n * 60_000_000_000n, null, ['age pod/a/2024-09-24_13.log', 'age pod/b/2024-09-24_13.log', 'age node/n/2024-09-24_14.log'], 20, []],
    ['size 31: until strictly under', null, 31, ['size pod/a/2024-09-24_13.log', 'size pod/b/2024-09-24_13.log'], 30, []],
    ['size 30: one more', null, 30, ['size pod/a/2024-09-24_13.log', 'size pod/b/2024-09-24_13.log', 'size node/n/2024-09-24_14.log'], 20, []],
    ['size 5: the current hour and non-hour names stay', null, 5, ['size pod/a/2024-09-24_13.log', 'size pod/b/2024-09-24_13.log', 'size node/n/2024-09-24_14.log'], 20, ['pod/a/2024-09-24_15.log']],
    ['age then size', 1n * h, 25, ['age pod/a/2024-09-24_13.log', 'age pod/b/2024-09-24_13.log', 'size node/n/2024-09-24_14.log'], 20, []],
  ] as [string, bigint | null, number | null, string[], number, string[]][])('%s', (_n, maxAgeNs, maxSizeBytes, deletions, after, kept) => {
    const plan = planRetention(files, { maxAgeNs, maxSizeBytes, nowNs });
    expect(plan.deletions.map((d) => `${d.reason} ${d.path}`)).toEqual(deletions);
    expect(plan.bytesBefore).toBe(50);
    expect(plan.bytesAfter).toBe(after);
    expect(plan.keptCurrentHour).toEqual(kept);
    expect(plan.ignored).toEqual(['pod/a/0000-00-00_00.log']);
    expect(plan.underSizeLimit).toBe(maxSizeBytes === null || after < maxSizeBytes);
  });
});

describe('parseSize', () => {
  it.each([
    ['100k', 102400],
    ['100m', 104857600],
    ['100g', 107374182400],
    ['1000GB', 1000 * 2 ** 30],
    ['2GiB', 2 * 2 ** 30],
    ['1t', 2 ** 40],
    ['512B', 512],
    ['4096', 4096],
    ['0', null],
  ] as [string, number | null][])('%s', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each(['', '1.5g', '10x', 'g', '-1m'])('rejects %j', (text) => expect(() => parseSize(text)).toThrow(/invalid size/));
});

describe('runRetention on a store', () => {
  it('deletes by age, keeps the current hour, prunes emptied and old empty dirs and strays', async () => {
    const dir = buildStore();
    const r = await runRetention(dir, { maxAge: '3h', now: NOW });
    expect(r.ageCutoff).toBe('2024-09-24_12');
    expect(r.deleted.map((d) => `${d.reason} ${d.path} ${d.hour}`)).toEqual([
      'age pod/old-ns/2024-09-23_01.log 2024-09-23_01',
      'age node/node-a/2024-09-24_09.log 2024-09-24_09',
      'age pod/shop/2024-09-24_10.log 2024-09-24_10',
      'age pod/shop/2024-09-24_11.log 2024-09-24_11',
    ]);
    expect(r.removedDirs).toEqual(['pod/empty-old', 'pod/old-ns']);
    expect(r.removedStrays).toEqual(['host.1', 'kube.var.log.containers.x.log']);
    expect(r.ignored).toEqual(['pod/shop/notes.log']);
    expect(r.bytesBefore).toBe(950);
    expect(r.bytesAfter).toBe(550);
    expect(readdirSync(dir).sort()).toEqual(['README', 'node', 'pod']);
    expect(readdirSync(join(dir, 'pod')).sort()).toEqual(['empty-new', 'shop']);
    expect(readdirSync(join(dir, 'pod/shop')).sort()).toEqual(['2024-09-24_12.log', '2024-09-24_13.log', '2024-09-24_14.log', '2024-09-24_15.log', 'notes.log']);
  });

  it('deletes by size oldest first but never the current hour', async () => {
    const dir = buildStore();
    const r = await runRetention(dir, { maxSize: '150', now: NOW });
    expect(r.deleted.map((d) => d.path)).toEqual([
      'pod/old-ns/2024-09-23_01.log',
      'node/node-a/2024-09-24_09.log',
      'pod/shop/2024-09-24_10.log',
      'pod/shop/2024-09-24_11.log',
      'pod/shop/2024-09-24_12.log',
      'pod/shop/2024-09-24_13.log',
      'pod/shop/2024-09-24_14.log',
    ]);
    expect(r.keptCurrentHour).toEqual(['node/node-a/2024-09-24_15.log', 'pod/shop/2024-09-24_15.log']);
    expect(r.bytesAfter).toBe(250);
    expect(r.underSizeLimit).toBe(false);
    expect(existsSync(join(dir, 'pod/shop/2024-09-24_15.log'))).toBe(true);
    expect(existsSync(join(dir, 'node/node-a/2024-09-24_15.log'))).toBe(true);
  });

  it('--dry-run reports the same plan and deletes nothing', async () => {
    const dir = buildStore();
    const before = JSON.stringify(readdirSync(join(dir, 'pod/shop')).sort());
    const dry = await runRetention(dir, { maxAge: '3h', maxSize: '300', now: NOW, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(JSON.stringify(readdirSync(join(dir, 'pod/shop')).sort())).toBe(before);
    expect(existsSync(join(dir, 'host.1'))).toBe(true);
    const real = await runRetention(dir, { maxAge: '3h', maxSize: '300', now: NOW });
    expect({ ...dry, dryRun: false }).toEqual(real);
    expect(real.deleted.map((d) => `${d.reason} ${d.path}`).slice(-3)).toEqual(['size pod/shop/2024-09-24_12.log', 'size pod/shop/2024-09-24_13.log', 'size pod/shop/2024-09-24_14.log']);
  });

  it('startRetention runs now and then on its interval until stopped', async () => {
    const dir = buildStore();
    const reports: RetentionReport[] = [];
    const loop = startRetention(dir, { maxAge: '3h', now: NOW, intervalMs: 5, onReport: (r) => reports.push(r) });
    while (reports.length < 3) await new Promise((r) => setTimeout(r, 5));
    await loop.stop();
    const n = reports.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(reports.length).toBe(n);
    expect(reports[0]!.deleted).toHaveLength(4);
    expect(reports[1]!.deleted).toEqual([]); // nothing left to delete
    expect(() => startRetention(dir, { maxAge: '3h', intervalMs: 0 })).toThrow(/invalid interval/);
  });

  it('CLI: prints what it deletes, exit 2 on bad input, --json', async () => {
    const dir = buildStore();
    const { io, out, err, clear } = cliIO();
    expect(await main(['retention', '--store', dir, '--max-age', '3h', '--now', NOW, '--dry-run'], io)).toBe(0);
    expect(out()).toContain('would delete pod/shop/2024-09-24_10.log  100 B  (age)\n');
    expect(out()).toContain('dry run: 4 files (400 B) would delete; store 950 B -> 550 B at 2024-09-24T15:20:00.000Z\n');
    clear();
    expect(await main(['retention', '--store', dir, '--max-size', '1000GB', '--now', NOW, '--json'], io)).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ deleted: [], bytesBefore: 950, underSizeLimit: true });
    expect(await main(['retention', '--store', dir, '--max-size', '10x'], io)).toBe(2);
    expect(await main(['retention', '--store', dir], io)).toBe(2);
    expect(await main(['retention', '--store', join(dir, 'nope'), '--max-age', '1d'], io)).toBe(2);
    expect(err()).toContain('invalid max size "10x"');
  });
});

describe('retention and symbolic links (issue 16 point 7)', () => {
  /** A store and a directory beside it (`outside/`), both under one temporary directory. */
  function layout(): { root: string; store: string; outside: string; put: (abs: string, size?: number) => void } {
    const t = tempDir('letheql-retention-links-');
    cleanups.push(t.cleanup);
    const put = (abs: string, size = 100): void => {
      mkdirSync(join(abs, '..'), { recursive: true });
      writeFileSync(abs, 'x'.repeat(size - 1) + '\n');
    };
    mkdirSync(join(t.dir, 'store'));
    mkdirSync(join(t.dir, 'outside'));
    return { root: t.dir, store: join(t.dir, 'store'), outside: join(t.dir, 'outside'), put };
  }

  it('never deletes through a pod/ root that links out of the store (it once deleted outside/…/2000-01-01_00.log and its directory)', async () => {
    const { store, outside, put } = layout();
    put(join(outside, 'ns/2000-01-01_00.log'));
    symlinkSync(outside, join(store, 'pod'));
    const r = await runRetention(store, { maxAge: '1h', now: NOW });
    expect(r.deleted).toEqual([]);
    expect(r.removedDirs).toEqual([]);
    expect(r.keptOutside).toEqual(['pod/ns/2000-01-01_00.log']);
    expect(r.bytesBefore).toBe(100); // counted: queries read it
    expect(existsSync(join(outside, 'ns/2000-01-01_00.log'))).toBe(true);
  });

  it('counts linked target directories and hour files as queries read them; deletes a linked hour file as a link, never its target', async () => {
    const { store, outside, put } = layout();
    put(join(store, 'pod/shop/2024-09-24_10.log'));
    put(join(outside, 'linked-ns/2024-09-24_10.log'), 200);
    symlinkSync(join(outside, 'linked-ns'), join(store, 'pod/linked'));
    put(join(outside, 'elsewhere.log'), 300);
    symlinkSync(join(outside, 'elsewhere.log'), join(store, 'pod/shop/2024-09-24_11.log'));
    // The query engine reads all three.
    const { getStats, openStore } = await import('../../src/node.js');
    const table = await openStore(store).query('pod{namespace=~".+"}', { start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z', limit: null });
    expect(getStats(table)!.bytesScanned).toBe(600);

    const dry = await runRetention(store, { maxAge: '1h', now: NOW, dryRun: true });
    expect(dry.bytesBefore).toBe(600);
    const r = await runRetention(store, { maxAge: '1h', now: NOW });
    expect(r.bytesBefore).toBe(600);
    expect(r.deleted.map((d) => d.path)).toEqual(['pod/shop/2024-09-24_10.log', 'pod/shop/2024-09-24_11.log']);
    expect(r.keptOutside).toEqual(['pod/linked/2024-09-24_10.log']);
    expect(r.bytesAfter).toBe(200);
    expect(r.removedDirs).toEqual(['pod/shop']); // a real directory, emptied
    expect(existsSync(join(outside, 'elsewhere.log'))).toBe(true); // the link went, not its target
    expect(existsSync(join(outside, 'linked-ns/2024-09-24_10.log'))).toBe(true);
    expect(lstatSync(join(store, 'pod/linked')).isSymbolicLink()).toBe(true); // a link is never pruned
  });

  it('deletes through a link that stays inside the store', async () => {
    const { store, put } = layout();
    put(join(store, 'data/shop/2024-09-24_10.log'));
    mkdirSync(join(store, 'pod'));
    symlinkSync(join(store, 'data/shop'), join(store, 'pod/shop'));
    const r = await runRetention(store, { maxAge: '1h', now: NOW });
    expect(r.deleted.map((d) => d.path)).toEqual(['pod/shop/2024-09-24_10.log']);
    expect(r.keptOutside).toEqual([]);
    expect(existsSync(join(store, 'data/shop/2024-09-24_10.log'))).toBe(false);
  });
});
