/**
 * Sidecar indexes on the write path: the store writer indexes the closed hours it wrote
 * (on close, and once quiet), never the open hour; retention deletes a file's sidecar with
 * it; `letheql index` builds sidecars for closed hours (not the current one), keeps fresh
 * ones, rebuilds with `--rebuild`, limits itself with `--since`, and removes orphans.
 * Queries then use them (the differential test in test/exec checks they change nothing).
 */
import { cpSync, existsSync, readFileSync, statSync, truncateSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/node.js';
import { decodeSummaryHead, summaryPath } from '../../src/store/index-summary.js';
import { decodeSidecar, sidecarPath } from '../../src/store/sidecar.js';
import { runRetention } from '../../src/write/retention.js';
import { indexStore, writeTargetSummary } from '../../src/write/sidecar-files.js';
import { parseTime } from '../../src/time.js';
import { openStoreWriter } from '../../src/write/store-writer.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { cliIO, tempDir } from './helpers.js';

const tmp = tempDir('letheql-sidecars-');
afterAll(() => tmp.cleanup());

function fresh(store: string, rel: string): boolean {
  const [lt, target, name] = rel.split('/') as [string, string, string];
  const idx = join(store, sidecarPath(lt, target, name));
  if (!existsSync(idx)) return false;
  const st = statSync(join(store, rel));
  return decodeSidecar(readFileSync(idx), { path: rel, size: st.size, mtimeMs: st.mtimeMs }).ok;
}

/** The file names a target's summary has entries for (null: no usable summary). */
function summarised(store: string, lt: string, target: string): string[] | null {
  const p = join(store, summaryPath(lt, target));
  if (!existsSync(p)) return null;
  const b = new Uint8Array(readFileSync(p));
  const r = decodeSummaryHead(b, b.length);
  return r.ok ? r.summary.entries.map((e) => e.name) : null;
}

describe('store writer', () => {
  it('indexes the closed hours it wrote on close, not the open hour', async () => {
    const store = join(tmp.dir, 'w1');
    const now = Date.parse('2024-09-24T15:30:00Z');
    const w = await openStoreWriter(store, { fsync: 'none', sidecars: { graceMs: 60_000, now: () => now } });
    const rec = (iso: string, message: string) => ({ kind: 'pod' as const, time: new Date(iso), namespace: 'shop', pod: 'api-1', container: 'app', message });
    await w.append([rec('2024-09-24T13:10:00Z', 'old hour trace=4bf92f3577b34da6a3ce929d0e0e4736'), rec('2024-09-24T15:10:00Z', 'open hour')]);
    await w.close();
    expect(fresh(store, 'pod/shop/2024-09-24_13.log')).toBe(true);
    expect(existsSync(join(store, sidecarPath('pod', 'shop', '2024-09-24_15.log')))).toBe(false);
    // and its target's summary names what it indexed
    expect(summarised(store, 'pod', 'shop')).toEqual(['2024-09-24_13.log']);
    expect(w.sidecarStats).toEqual({ built: 1, failed: 0 });
    const s = openStore(store, { workers: 0 });
    const { count, stats } = await s.count('pod{namespace="shop"} |= "4bf92f3577b34da6"', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' });
    expect(count).toBe(1);
    expect(stats.index).toMatchObject({ filesIndexed: 1, filesNotIndexed: 1 });
    await s.close();
  });

  it('indexes a closed hour in the background once it is quiet', async () => {
    const store = join(tmp.dir, 'w2');
    let now = Date.parse('2024-09-24T15:30:00Z');
    const w = await openStoreWriter(store, { fsync: 'none', sidecars: { graceMs: 1000, now: () => now } });
    await w.append([{ kind: 'node', time: new Date('2024-09-24T14:00:00Z'), node: 'n1', process: 'kubelet', message: 'late line' }]);
    expect(w.sidecarStats.built).toBe(0);
    now += 2000;
    await w.append([{ kind: 'node', time: new Date('2024-09-24T15:20:00Z'), node: 'n1', process: 'kubelet', message: 'another' }]);
    for (let i = 0; i < 200 && w.sidecarStats.built === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fresh(store, 'node/n1/2024-09-24_14.log')).toBe(true);
    await w.close();
  });

  it('can be turned off', async () => {
    const store = join(tmp.dir, 'w3');
    const w = await openStoreWriter(store, { fsync: 'none', sidecars: false });
    await w.append([{ kind: 'node', time: new Date('2020-01-01T00:00:00Z'), node: 'n1', process: 'p', message: 'x' }]);
    await w.close();
    expect(existsSync(join(store, '.letheql/index'))).toBe(false);
  });
});

describe('letheql index and retention', () => {
  it('builds sidecars for closed hours, keeps fresh ones, rebuilds, limits by --since, removes orphans; retention deletes them', async () => {
    const store = join(tmp.dir, 'cli');
    cpSync(FIXTURE_STORE, store, { recursive: true });
    const cli = cliIO();
    // At 15:30 the 15:00 hour is open.
    expect(await main(['index', '--store', store, '--now', '2024-09-24T15:30:00Z', '--json'], cli.io)).toBe(0);
    expect(JSON.parse(cli.out())).toMatchObject({ built: 10, fresh: 0, unindexable: 0 });
    expect(fresh(store, 'pod/shop/2024-09-24_14.log')).toBe(true);
    expect(existsSync(join(store, sidecarPath('pod', 'shop', '2024-09-24_15.log')))).toBe(false);
    cli.clear();
    expect(await main(['index', '--store', store, '--now', '2024-09-24T17:00:00Z', '--json'], cli.io)).toBe(0);
    expect(JSON.parse(cli.out())).toMatchObject({ built: 5, fresh: 10 });
    cli.clear();
    // A changed file gets a new sidecar; --since 3h at 17:00 covers the hours ending after 14:00 (14 and 15).
    const touched = join(store, 'pod/shop/2024-09-24_14.log');
    utimesSync(touched, new Date(), new Date());
    expect(fresh(store, 'pod/shop/2024-09-24_14.log')).toBe(false);
    expect(await main(['index', '--store', store, '--now', '2024-09-24T17:00:00Z', '--since', '3h', '--json'], cli.io)).toBe(0);
    expect(JSON.parse(cli.out())).toMatchObject({ built: 1, fresh: 9 });
    expect(fresh(store, 'pod/shop/2024-09-24_14.log')).toBe(true);
    cli.clear();
    expect(await main(['index', '--store', store, '--now', '2024-09-24T17:00:00Z', '--rebuild'], cli.io)).toBe(0);
    expect(cli.out()).toMatch(/^built 15 sidecars, \d+ bytes \(\d+\.\d+% of 316203 bytes indexed\); 0 up to date.*; \d+ target summaries, \d+ bytes;/);
    expect(summarised(store, 'pod', 'shop')).toEqual(['2024-09-24_13.log', '2024-09-24_14.log', '2024-09-24_15.log']);
    cli.clear();
    // Orphans: a file deleted by someone else.
    unlinkSync(join(store, 'node/node-b/2024-09-24_13.log'));
    expect(await main(['index', '--store', store, '--now', '2024-09-24T17:00:00Z', '--json'], cli.io)).toBe(0);
    expect(JSON.parse(cli.out())).toMatchObject({ orphansRemoved: 1 });
    expect(existsSync(join(store, sidecarPath('node', 'node-b', '2024-09-24_13.log')))).toBe(false);
    // Retention deletes the sidecar with its file.
    const report = await runRetention(store, { maxAge: '2h', now: '2024-09-24T16:30:00Z' });
    expect(report.deleted.map((d) => d.path)).toContain('pod/shop/2024-09-24_13.log');
    expect(existsSync(join(store, sidecarPath('pod', 'shop', '2024-09-24_13.log')))).toBe(false);
    expect(existsSync(join(store, sidecarPath('pod', 'shop', '2024-09-24_15.log')))).toBe(true);
    // and the target's summary no longer names the deleted file
    expect(summarised(store, 'pod', 'shop')).toEqual(['2024-09-24_14.log', '2024-09-24_15.log']);
    // Usage errors.
    cli.clear();
    expect(await main(['index'], cli.io)).toBe(2);
    expect(cli.err()).toMatch(/missing --store/);
    expect(await main(['index', '--store', store, '--since', 'soon'], cli.io)).toBe(2);
  });
});

describe('target summaries', () => {
  it('are updated incrementally: an unchanged file keeps its entry without its sidecar being read; a full rebuild reads them all; a gone sidecar drops its entry', async () => {
    const store = join(tmp.dir, 'summaries');
    cpSync(FIXTURE_STORE, store, { recursive: true });
    await indexStore(store, { nowNs: parseTime('2024-09-24T17:00:00Z') });
    const names = summarised(store, 'pod', 'shop')!;
    expect(names.length).toBeGreaterThan(1);
    // Damage the sidecar of a file that did not change: the incremental update does not read it.
    const [first, second] = names as [string, string];
    truncateSync(join(store, sidecarPath('pod', 'shop', first)), 10);
    await writeTargetSummary(store, 'pod', 'shop');
    expect(summarised(store, 'pod', 'shop')).toEqual(names);
    // A full rebuild reads every sidecar: the damaged one is left out.
    await writeTargetSummary(store, 'pod', 'shop', { full: true });
    expect(summarised(store, 'pod', 'shop')).toEqual(names.filter((n) => n !== first));
    // A file whose sidecar is gone loses its entry.
    unlinkSync(join(store, sidecarPath('pod', 'shop', second)));
    await writeTargetSummary(store, 'pod', 'shop');
    expect(summarised(store, 'pod', 'shop')).toEqual(names.filter((n) => n !== first && n !== second));
  });
});
