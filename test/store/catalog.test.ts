/**
 * File selection (contract §1): which files a window reads, in store order, and which it
 * skips and why — on Lethe's test store, on our fixture stores, and at the hour boundaries.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LogType } from '../../src/model.js';
import { describeStore, listTargets, selectFiles } from '../../src/store/catalog.js';
import { FsChunkSource } from '../../src/platform/node/fs-source.js';
import { HOUR_NS } from '../../src/store/hours.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { parseTime } from '../../src/time.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/store', import.meta.url));
const EDGE = fileURLToPath(new URL('../../fixtures/edge-store', import.meta.url));
const LETHE = fileURLToPath(new URL('../../../shared/fixtures/lethe-testdata/log', import.meta.url));
const HAS_LETHE = (() => {
  try {
    return statSync(LETHE).isDirectory();
  } catch {
    return false;
  }
})();
const NO_LETHE = "../shared/fixtures/lethe-testdata is absent (fresh clone): Lethe's store tests need it";

/** Whole-second RFC 3339 (`…Z`) to ns; enough for these tables. */
const ns = (iso: string): bigint => parseTime(iso);
const all = (): boolean => true;
const only =
  (...names: string[]) =>
  (t: string): boolean =>
    names.includes(t);

interface Case {
  name: string;
  logType: LogType;
  filter: (t: string) => boolean;
  start: string;
  end: string;
  files: string[];
  skipped: [string, 'invalid-name' | 'out-of-range'][];
}

const lethe: Case[] = [
  {
    name: 'pod, [22:58, 23:00] (end is the start of hour 23, which no 2009 file has)',
    logType: 'pod',
    filter: all,
    start: '2009-11-10T22:58:00Z',
    end: '2009-11-10T23:00:00Z',
    files: ['pod/namespace01/2009-11-10_22.log', 'pod/namespace02/2009-11-10_22.log'],
    skipped: [
      ['pod/namespace01/2000-01-01_00.log', 'out-of-range'],
      ['pod/namespace01/2009-11-10_21.log', 'out-of-range'],
      ['pod/namespace01/2029-11-10_23.log', 'out-of-range'],
      ['pod/namespace02/0000-00-00_00.log', 'invalid-name'],
    ],
  },
  {
    name: 'node, [22:58, 23:00]: hour 21 of node01 holds 22:56–22:59 lines but is not read (file hour rule)',
    logType: 'node',
    filter: all,
    start: '2009-11-10T22:58:00Z',
    end: '2009-11-10T23:00:00Z',
    files: ['node/node01/2009-11-10_22.log'],
    skipped: [
      ['node/node01/2009-11-10_21.log', 'out-of-range'],
      ['node/node02/2009-11-01_00.log', 'out-of-range'],
      ['node/node02/2009-11-10_21.log', 'out-of-range'],
    ],
  },
  {
    name: 'pod, [21:00, 23:00]: store order is path order (target, then hour)',
    logType: 'pod',
    filter: all,
    start: '2009-11-10T21:00:00Z',
    end: '2009-11-10T23:00:00Z',
    files: ['pod/namespace01/2009-11-10_21.log', 'pod/namespace01/2009-11-10_22.log', 'pod/namespace02/2009-11-10_22.log'],
    skipped: [
      ['pod/namespace01/2000-01-01_00.log', 'out-of-range'],
      ['pod/namespace01/2029-11-10_23.log', 'out-of-range'],
      ['pod/namespace02/0000-00-00_00.log', 'invalid-name'],
    ],
  },
  {
    name: 'node, [21:00, 23:00]: node01 hours 21 and 22 before node02 hour 21 (path order, as Lethe)',
    logType: 'node',
    filter: all,
    start: '2009-11-10T21:00:00Z',
    end: '2009-11-10T23:00:00Z',
    files: ['node/node01/2009-11-10_21.log', 'node/node01/2009-11-10_22.log', 'node/node02/2009-11-10_21.log'],
    skipped: [['node/node02/2009-11-01_00.log', 'out-of-range']],
  },
  {
    name: 'pod, years 0001–9999: every valid name, 2000 and 2029 included; the invalid one still skipped',
    logType: 'pod',
    filter: all,
    start: '0001-01-01T00:00:00Z',
    end: '9999-12-31T23:59:59Z',
    files: ['pod/namespace01/2000-01-01_00.log', 'pod/namespace01/2009-11-10_21.log', 'pod/namespace01/2009-11-10_22.log', 'pod/namespace01/2029-11-10_23.log', 'pod/namespace02/2009-11-10_22.log'],
    skipped: [['pod/namespace02/0000-00-00_00.log', 'invalid-name']],
  },
  {
    name: 'node, a whole day: the empty file is selected like any other',
    logType: 'node',
    filter: all,
    start: '2009-11-01T00:00:00Z',
    end: '2009-11-01T23:59:59Z',
    files: ['node/node02/2009-11-01_00.log'],
    skipped: [
      ['node/node01/2009-11-10_21.log', 'out-of-range'],
      ['node/node01/2009-11-10_22.log', 'out-of-range'],
      ['node/node02/2009-11-10_21.log', 'out-of-range'],
    ],
  },
  {
    name: 'pod{namespace="namespace02"}: only that directory is listed, and reported',
    logType: 'pod',
    filter: only('namespace02'),
    start: '2009-11-10T22:00:00Z',
    end: '2009-11-10T23:00:00Z',
    files: ['pod/namespace02/2009-11-10_22.log'],
    skipped: [['pod/namespace02/0000-00-00_00.log', 'invalid-name']],
  },
  {
    name: 'a target that does not exist selects nothing',
    logType: 'pod',
    filter: only('namespace99'),
    start: '2009-11-10T22:00:00Z',
    end: '2009-11-10T23:00:00Z',
    files: [],
    skipped: [],
  },
  {
    name: 'the 2029 hour alone, instant window just inside it',
    logType: 'pod',
    filter: only('namespace01'),
    start: '2029-11-10T23:00:00.000000001Z',
    end: '2029-11-10T23:00:00.000000001Z',
    files: ['pod/namespace01/2029-11-10_23.log'],
    skipped: [
      ['pod/namespace01/2000-01-01_00.log', 'out-of-range'],
      ['pod/namespace01/2009-11-10_21.log', 'out-of-range'],
      ['pod/namespace01/2009-11-10_22.log', 'out-of-range'],
    ],
  },
];

describe.skipIf(!HAS_LETHE)(`selectFiles on Lethe's store${HAS_LETHE ? '' : ` (${NO_LETHE})`}`, () => {
  const src = new FsChunkSource(LETHE);
  it.each(lethe)('$name', async (c) => {
    const sel = await selectFiles(src, c.logType, c.filter, ns(c.start), ns(c.end));
    expect(sel.files.map((f) => f.path)).toEqual(c.files);
    expect(sel.skipped.map((s) => [s.path, s.reason])).toEqual(c.skipped);
  });

  it('fills every field of a selected file', async () => {
    const sel = await selectFiles(src, 'pod', only('namespace01'), ns('2009-11-10T22:00:00Z'), ns('2009-11-10T22:30:00Z'));
    expect(sel.files).toEqual([
      { logType: 'pod', target: 'namespace01', name: '2009-11-10_22.log', path: 'pod/namespace01/2009-11-10_22.log', hourNs: ns('2009-11-10T22:00:00Z'), size: 1031, mtimeMs: expect.any(Number) },
    ]);
  });

  it('describeStore summarises targets, counting invalid names apart', async () => {
    const d = await describeStore(src);
    expect(d.source).toBe(LETHE);
    expect(d.logTypes.pod).toEqual([
      { target: 'namespace01', files: 4, bytes: 1031 + 279 + 1031 + 279, invalidFiles: 0, firstHour: '2000-01-01T00:00:00Z', lastHour: '2029-11-10T23:00:00Z' },
      { target: 'namespace02', files: 1, bytes: 1125, invalidFiles: 1, firstHour: '2009-11-10T22:00:00Z', lastHour: '2009-11-10T22:00:00Z' },
    ]);
    expect(d.logTypes.node.map((t) => [t.target, t.files, t.bytes])).toEqual([
      ['node01', 2, 1057 + 177],
      ['node02', 2, 1116],
    ]);
    expect(d.files).toBe(9);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d); // plain, JSON-safe data
  });
});

describe('selectFiles at hour boundaries (ns precision)', () => {
  const H13 = ns('2024-09-24T13:00:00Z');
  const src = MemoryChunkSource.fromRecord({
    'pod/a/2024-09-24_12.log': '',
    'pod/a/2024-09-24_13.log': '',
    'pod/a/2024-09-24_14.log': '',
    'pod/b/2024-09-24_13.log': '',
    'pod/b/notes.txt': '',
  });
  const cases: [string, bigint, bigint, string[]][] = [
    ['end exactly at 13:00 does not read hour 13 (contract and Lethe: end > hour)', H13 - HOUR_NS, H13, ['pod/a/2024-09-24_12.log']],
    ['end 1 ns after 13:00 reads hour 13', H13 - HOUR_NS, H13 + 1n, ['pod/a/2024-09-24_12.log', 'pod/a/2024-09-24_13.log', 'pod/b/2024-09-24_13.log']],
    ['start exactly at 13:00 does not read hour 12', H13, H13 + 1n, ['pod/a/2024-09-24_13.log', 'pod/b/2024-09-24_13.log']],
    ['start 1 ns before 13:00 reads hour 12', H13 - 1n, H13 + 1n, ['pod/a/2024-09-24_12.log', 'pod/a/2024-09-24_13.log', 'pod/b/2024-09-24_13.log']],
    ['the last ns of hour 13 reads hour 13 only', H13 + HOUR_NS - 1n, H13 + HOUR_NS - 1n, ['pod/a/2024-09-24_13.log', 'pod/b/2024-09-24_13.log']],
    ['a single instant at 14:00 reads no file', H13 + HOUR_NS, H13 + HOUR_NS, []],
  ];
  it.each(cases)('%s', async (_, start, end, files) => {
    const sel = await selectFiles(src, 'pod', all, start, end);
    expect(sel.files.map((f) => f.path)).toEqual(files);
    expect(sel.skipped.filter((s) => s.reason === 'invalid-name')).toEqual([{ path: 'pod/b/notes.txt', reason: 'invalid-name' }]);
    expect(sel.files.length + sel.skipped.length).toBe(5);
  });
});

describe('selectFiles on our fixture stores', () => {
  it('the full window reads all 9 pod files, in path order', async () => {
    const sel = await selectFiles(new FsChunkSource(FIXTURE), 'pod', all, ns('2024-09-24T13:00:00Z'), ns('2024-09-24T16:00:00Z'));
    expect(sel.files.map((f) => f.path)).toEqual(
      ['default', 'kube-system', 'shop'].flatMap((t) => ['13', '14', '15'].map((h) => `pod/${t}/2024-09-24_${h}.log`)),
    );
    expect(sel.skipped).toEqual([]);
  });

  it('the edge store reports both invalid names and reads the empty file', async () => {
    const sel = await selectFiles(new FsChunkSource(EDGE), 'pod', all, ns('2024-09-24T13:00:00Z'), ns('2024-09-24T14:00:00.000000001Z'));
    expect(sel.files.map((f) => [f.path, f.size])).toEqual([
      ['pod/edge/2024-09-24_13.log', expect.any(Number)],
      ['pod/edge/2024-09-24_14.log', 0],
    ]);
    expect(sel.skipped).toEqual([
      { path: 'pod/edge/2024-09-24_24.log', reason: 'invalid-name' },
      { path: 'pod/edge/2024-9-24_15.log', reason: 'invalid-name' },
    ]);
  });

  it('listTargets passes through; describeStore gives hours as RFC 3339', async () => {
    const src = new FsChunkSource(FIXTURE);
    expect(await listTargets(src, 'node')).toEqual(['node-a', 'node-b']);
    const d = await describeStore(src);
    expect(d.logTypes.pod.map((t) => [t.target, t.files, t.firstHour, t.lastHour])).toEqual([
      ['default', 3, '2024-09-24T13:00:00Z', '2024-09-24T15:00:00Z'],
      ['kube-system', 3, '2024-09-24T13:00:00Z', '2024-09-24T15:00:00Z'],
      ['shop', 3, '2024-09-24T13:00:00Z', '2024-09-24T15:00:00Z'],
    ]);
    expect(d.files).toBe(15);
  });
});

describe('selectFiles and the select callback of listFiles', () => {
  const files = {
    'pod/a/2024-09-24_13.log': 'x',
    'pod/a/2024-09-24_14.log': 'yy',
    'pod/a/2024-09-24_15.log': 'zzz',
    'pod/a/notes.txt': 'n',
  };
  const start = 1_727_182_800n * 1_000_000_000n + HOUR_NS; // 2024-09-24T14:00:00Z
  const end = start + HOUR_NS - 1n;

  it('asks the source only for the files it will read', async () => {
    const source = MemoryChunkSource.fromRecord(files);
    const asked: string[] = [];
    const original = source.listFiles.bind(source);
    source.listFiles = async (logType, target, select) => {
      const entries = await original(logType, target, select);
      asked.push(...entries.map((e) => e.name));
      return entries;
    };
    const sel = await selectFiles(source, 'pod', () => true, start, end);
    expect(sel.files.map((f) => [f.name, f.size])).toEqual([['2024-09-24_14.log', 2]]);
    expect(asked).toEqual(['2024-09-24_14.log']);
    expect(sel.skipped).toEqual([
      { path: 'pod/a/2024-09-24_13.log', reason: 'out-of-range' },
      { path: 'pod/a/2024-09-24_15.log', reason: 'out-of-range' },
      { path: 'pod/a/notes.txt', reason: 'invalid-name' },
    ]);
  });

  it('gives the same selection with a source that ignores select', async () => {
    const source = MemoryChunkSource.fromRecord(files);
    const original = source.listFiles.bind(source);
    source.listFiles = (logType, target) => original(logType, target);
    const sel = await selectFiles(source, 'pod', () => true, start, end);
    expect(sel.files.map((f) => f.name)).toEqual(['2024-09-24_14.log']);
    expect(sel.skipped.map((s) => s.reason)).toEqual(['out-of-range', 'out-of-range', 'invalid-name']);
  });
});
