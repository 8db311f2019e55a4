/**
 * The store writer: records written and read back through the query engine; group commit
 * order; torn-line repair with quarantine; the writer lock; files deleted under the writer;
 * fsync policies; validation before anything is written.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRecordError, type LogRecord } from '../../src/write/record.js';
import { openStoreWriter, type FsyncPolicy } from '../../src/write/store-writer.js';
import { queryAll, readStoreFiles, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function store(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const records: LogRecord[] = [
  { kind: 'pod', time: '2024-09-24T15:00:01.5Z', namespace: 'shop', pod: 'api-1', container: 'app', message: 'GET /cart 200' },
  { kind: 'pod', time: '2024-09-24T14:59:59Z', namespace: 'shop', pod: 'api-1', container: 'app', message: 'late line from the previous hour' },
  { kind: 'pod', time: 1727190002000001999n, namespace: 'default', pod: 'web', container: 'nginx', message: 'line one\nline two' },
  { kind: 'pod', time: new Date('2024-09-24T16:10:00Z'), namespace: 'shop', pod: 'api-2', container: 'sidecar', message: 'has [brackets] and | bars' },
  { kind: 'node', time: '2024-09-24T15:30:00Z', node: 'node-a', process: 'kubelet', message: 'I0924 started' },
  { kind: 'node', time: '2024-09-24T15:30:00Z', node: 'node-a', process: 'containerd', message: '' },
];

describe('StoreWriter', () => {
  it.each<FsyncPolicy>(['batch', 'interval', 'none'])('writes Lethe files that query back exactly (fsync %s)', async (fsync) => {
    const dir = store();
    const w = await openStoreWriter(dir, { fsync, intervalMs: 5 });
    await Promise.all([w.append(records.slice(0, 3)), w.append(records.slice(3))]);
    await w.close();
    expect(Object.fromEntries(readStoreFiles(dir))).toEqual({
      'node/node-a/2024-09-24_15.log': '2024-09-24T15:30:00.000000Z[node-a|kubelet] I0924 started\n2024-09-24T15:30:00.000000Z[node-a|containerd] \n',
      'pod/default/2024-09-24_15.log': '2024-09-24T15:00:02.000001999Z[default|web|nginx] line one\n2024-09-24T15:00:02.000001999Z[default|web|nginx] line two\n',
      'pod/shop/2024-09-24_14.log': '2024-09-24T14:59:59.000000Z[shop|api-1|app] late line from the previous hour\n',
      'pod/shop/2024-09-24_15.log': '2024-09-24T15:00:01.500000Z[shop|api-1|app] GET /cart 200\n',
      'pod/shop/2024-09-24_16.log': '2024-09-24T16:10:00.000000Z[shop|api-2|sidecar] has [brackets] and | bars\n',
    });
    if (fsync !== 'batch') return; // one read-back is enough; the bytes are identical
    const pods = await queryAll(dir, 'pod');
    expect(pods.stats.badLines).toBe(0);
    expect(pods.lines).toEqual([
      '2024-09-24T14:59:59.000000Z[shop|api-1|app] late line from the previous hour',
      '2024-09-24T15:00:01.500000Z[shop|api-1|app] GET /cart 200',
      '2024-09-24T15:00:02.000001999Z[default|web|nginx] line one',
      '2024-09-24T15:00:02.000001999Z[default|web|nginx] line two',
      '2024-09-24T16:10:00.000000Z[shop|api-2|sidecar] has [brackets] and | bars',
    ]);
    const nodes = await queryAll(dir, 'node');
    expect(nodes.lines).toEqual(['2024-09-24T15:30:00.000000Z[node-a|kubelet] I0924 started', '2024-09-24T15:30:00.000000Z[node-a|containerd] ']);
  });

  it('keeps append order per file across many concurrent appends (group commit)', async () => {
    const dir = store();
    const w = await openStoreWriter(dir, { fsync: 'batch' });
    const n = 300;
    await Promise.all(
      Array.from({ length: n }, (_, i) => w.append([{ kind: 'pod', time: '2024-09-24T15:00:00Z', namespace: 'ns', pod: 'p', container: 'c', message: `#${i}` }])),
    );
    expect(w.stats.appends).toBe(n);
    expect(w.stats.groups).toBeLessThan(n); // appends queued behind an fsync share the next group
    await w.close();
    const lines = readFileSync(join(dir, 'pod/ns/2024-09-24_15.log'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => l.slice(l.indexOf('] ') + 2))).toEqual(Array.from({ length: n }, (_, i) => `#${i}`));
  });

  it('writes the first and last instants a reader can read, and they read back (issue 16 point 6)', async () => {
    const dir = store();
    const w = await openStoreWriter(dir, { fractionDigits: 9 });
    await w.append([
      { kind: 'node', time: '1677-09-21T00:12:43.145224192Z', node: 'n', process: 'p', message: 'first' },
      { kind: 'node', time: '2262-04-11T23:47:16.854775807Z', node: 'n', process: 'p', message: 'last' },
    ]);
    await w.close();
    const { getStats, openStore } = await import('../../src/node.js');
    const table = await openStore(dir).query('node{node="n"}', { start: -(2n ** 63n), end: 2n ** 63n - 1n, limit: null });
    expect(getStats(table)!.badLines).toBe(0);
    expect(table.numRows).toBe(2);
  });

  it('rejects a batch with a bad record and writes none of it', async () => {
    const dir = store();
    const w = await openStoreWriter(dir);
    const bad: LogRecord[] = [records[0]!, { kind: 'pod', time: '2024-09-24T15:00:00Z', namespace: 'shop', pod: 'a|b', container: 'c', message: 'x' }];
    const err = await w.append(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRecordError);
    expect((err as InvalidRecordError).recordIndex).toBe(1);
    expect((err as InvalidRecordError).field).toBe('pod');
    await w.append([records[1]!]);
    await w.close();
    expect([...readStoreFiles(dir).keys()]).toEqual(['pod/shop/2024-09-24_14.log']);
  });

  it('cuts torn last lines on open, keeps the cut bytes in quarantine, and appends after the last whole line', async () => {
    const dir = store();
    mkdirSync(join(dir, 'pod/shop'), { recursive: true });
    mkdirSync(join(dir, 'node/n1'), { recursive: true });
    const whole = '2024-09-24T15:00:00.000000Z[shop|p|c] one\n';
    writeFileSync(join(dir, 'pod/shop/2024-09-24_15.log'), whole + '2024-09-24T15:00:01.000000Z[shop|p|c] tw');
    writeFileSync(join(dir, 'node/n1/2024-09-24_15.log'), '2024-09-24T15:00:00.0000'); // no whole line at all
    writeFileSync(join(dir, 'pod/shop/2024-09-24_16.log'), whole); // intact
    writeFileSync(join(dir, 'pod/shop/notes.txt'), 'no newline'); // not an hour file: not ours to touch

    const w = await openStoreWriter(dir);
    expect(w.repairs.map((r) => [r.path, r.keptBytes, r.cutBytes])).toEqual([
      ['pod/shop/2024-09-24_15.log', whole.length, 40],
      ['node/n1/2024-09-24_15.log', 0, 24],
    ]);
    for (const r of w.repairs) expect(r.quarantinePath.startsWith(join(dir, '.letheql/quarantine', r.path) + '.')).toBe(true);
    expect(readFileSync(w.repairs[0]!.quarantinePath, 'utf8')).toBe('2024-09-24T15:00:01.000000Z[shop|p|c] tw');
    expect(readFileSync(w.repairs[1]!.quarantinePath, 'utf8')).toBe('2024-09-24T15:00:00.0000');
    await w.append([{ kind: 'pod', time: '2024-09-24T15:00:02Z', namespace: 'shop', pod: 'p', container: 'c', message: 'three' }]);
    await w.close();
    expect(readFileSync(join(dir, 'pod/shop/2024-09-24_15.log'), 'utf8')).toBe(whole + '2024-09-24T15:00:02.000000Z[shop|p|c] three\n');
    expect(readFileSync(join(dir, 'node/n1/2024-09-24_15.log'), 'utf8')).toBe('');
    expect(readFileSync(join(dir, 'pod/shop/notes.txt'), 'utf8')).toBe('no newline');
    const { lines, stats } = await queryAll(dir);
    expect(stats.badLines).toBe(0);
    expect(lines).toEqual(['2024-09-24T15:00:00.000000Z[shop|p|c] one', '2024-09-24T15:00:00.000000Z[shop|p|c] one', '2024-09-24T15:00:02.000000Z[shop|p|c] three']);
  });

  it("with repair: 'on-append', checks a file only when it is first appended to", async () => {
    const dir = store();
    mkdirSync(join(dir, 'pod/shop'), { recursive: true });
    writeFileSync(join(dir, 'pod/shop/2024-09-24_15.log'), 'torn');
    writeFileSync(join(dir, 'pod/shop/2024-09-24_16.log'), 'also torn');
    const w = await openStoreWriter(dir, { repair: 'on-append' });
    expect(w.repairs).toEqual([]);
    await w.append([{ kind: 'pod', time: '2024-09-24T15:00:02Z', namespace: 'shop', pod: 'p', container: 'c', message: 'x' }]);
    expect(w.repairs.map((r) => [r.path, r.cutBytes])).toEqual([['pod/shop/2024-09-24_15.log', 4]]);
    await w.close();
    expect(readFileSync(join(dir, 'pod/shop/2024-09-24_15.log'), 'utf8')).toBe('2024-09-24T15:00:02.000000Z[shop|p|c] x\n');
    expect(readFileSync(join(dir, 'pod/shop/2024-09-24_16.log'), 'utf8')).toBe('also torn');
  });

  it('allows one writer per store; a lock left by a dead process is taken over', async () => {
    const dir = store();
    const w = await openStoreWriter(dir);
    const err = await openStoreWriter(dir).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('STORE_LOCKED');
    expect((err as Error).message).toMatch(new RegExp(`being written by pid ${process.pid}`));
    await w.close();
    // A lock file of a pid that no longer exists (2^22 + 1 is above Linux's pid_max default).
    writeFileSync(join(dir, '.letheql/writer.lock'), JSON.stringify({ pid: 4194305, host: (await import('node:os')).hostname(), since: 'x' }));
    const w2 = await openStoreWriter(dir);
    await w2.close();
    expect(existsSync(join(dir, '.letheql/writer.lock'))).toBe(false);
  });

  it('re-creates a file (and its directory) deleted while the writer holds it open', async () => {
    const dir = store();
    const w = await openStoreWriter(dir, { fsync: 'none' });
    const rec = (m: string): LogRecord => ({ kind: 'node', time: '2024-09-24T15:00:00Z', node: 'n1', process: 'p', message: m });
    await w.append([rec('before')]);
    rmSync(join(dir, 'node/n1'), { recursive: true });
    await w.append([rec('after')]);
    await w.close();
    expect(readFileSync(join(dir, 'node/n1/2024-09-24_15.log'), 'utf8')).toBe('2024-09-24T15:00:00.000000Z[n1|p] after\n');
  });

  it('closes least recently used files beyond maxOpenFiles and reopens them in append mode', async () => {
    const dir = store();
    const w = await openStoreWriter(dir, { maxOpenFiles: 2 });
    for (let round = 0; round < 3; round++) {
      for (const ns of ['a', 'b', 'c', 'd']) await w.append([{ kind: 'pod', time: '2024-09-24T15:00:00Z', namespace: ns, pod: 'p', container: 'c', message: `r${round}` }]);
    }
    await w.close();
    for (const ns of ['a', 'b', 'c', 'd']) {
      expect(readFileSync(join(dir, `pod/${ns}/2024-09-24_15.log`), 'utf8')).toBe(['r0', 'r1', 'r2'].map((m) => `2024-09-24T15:00:00.000000Z[${ns}|p|c] ${m}\n`).join(''));
    }
  });

  it('validates options and refuses appends after close', async () => {
    const dir = store();
    await expect(openStoreWriter(dir, { fsync: 'always' as FsyncPolicy })).rejects.toThrow(/invalid fsync policy/);
    await expect(openStoreWriter(dir, { fractionDigits: 12 })).rejects.toThrow(/fractionDigits/);
    await expect(openStoreWriter(join(dir, 'missing'), { create: false })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
    const w = await openStoreWriter(join(dir, 'new/store'));
    await w.close();
    await expect(w.append([records[0]!])).rejects.toThrow(/closed/);
    expect(readdirSync(join(dir, 'new/store'))).toEqual(['.letheql']);
    appendFileSync(join(dir, 'file'), 'x');
    await expect(openStoreWriter(join(dir, 'file'))).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
  });
});
