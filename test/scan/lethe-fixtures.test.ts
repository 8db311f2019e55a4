/**
 * The real Lethe test store through the kernel, with counts checked by hand against the
 * files (see the comments). Needs ../shared; skipped with the reason when it is absent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Kernel } from '../../src/scan/kernel.js';
import { HAS_SHARED, LETHE_STORE, SHARED_REASON } from '../support/paths.js';
import { program, referenceScan, runScan } from './helpers.js';

const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

interface FixtureCase {
  file: string;
  fieldCount: 2 | 3;
  lines: number;
  bad: number;
  /** Matches of the widest window, no filters. */
  valid: number;
  lastNoNewline?: boolean;
}

const fixtures: FixtureCase[] = [
  { file: 'pod/namespace02/0000-00-00_00.log', fieldCount: 3, lines: 2, bad: 2, valid: 0 }, // "lorem", "ipsum"
  { file: 'pod/namespace01/2009-11-10_22.log', fieldCount: 3, lines: 11, bad: 0, valid: 11, lastNoNewline: true },
  { file: 'pod/namespace01/2000-01-01_00.log', fieldCount: 3, lines: 11, bad: 0, valid: 11, lastNoNewline: true },
  { file: 'pod/namespace01/2009-11-10_21.log', fieldCount: 3, lines: 3, bad: 0, valid: 3 },
  { file: 'pod/namespace01/2029-11-10_23.log', fieldCount: 3, lines: 3, bad: 0, valid: 3 },
  { file: 'pod/namespace02/2009-11-10_22.log', fieldCount: 3, lines: 12, bad: 0, valid: 12 },
  { file: 'node/node01/2009-11-10_21.log', fieldCount: 2, lines: 11, bad: 0, valid: 11 },
  { file: 'node/node01/2009-11-10_22.log', fieldCount: 2, lines: 3, bad: 0, valid: 3 },
  { file: 'node/node02/2009-11-01_00.log', fieldCount: 2, lines: 0, bad: 0, valid: 0 }, // empty file
  { file: 'node/node02/2009-11-10_21.log', fieldCount: 2, lines: 12, bad: 0, valid: 12 },
];

describe.skipIf(!HAS_SHARED)(`Lethe fixtures (${SHARED_REASON})`, async () => {
  const k = HAS_SHARED ? await Kernel.load() : null;
  const read = (f: string) => new Uint8Array(readFileSync(join(LETHE_STORE, f)));

  test.each(fixtures)('$file', async (c) => {
    const data = read(c.file);
    expect(data.length > 0 && data[data.length - 1] !== 10).toBe(c.lastNoNewline ?? false);
    const p = program({ fieldCount: c.fieldCount });
    k!.setProgram(p);
    for (const blockSize of [1, 7, 64, 333, undefined]) {
      const r = await runScan(k!, data, { blockSize });
      expect([r.lines, r.badLines, r.matches.length]).toEqual([c.lines, c.bad, c.valid]);
      expect(r.matches).toEqual(referenceScan(data, p).matches);
    }
  });

  test('namespace02/0000-00-00_00.log: both lines have no timestamp', async () => {
    k!.setProgram(program());
    const r = await runScan(k!, read('pod/namespace02/0000-00-00_00.log'));
    expect(r.samples).toEqual([
      { line: 1, reason: 'bad-timestamp' },
      { line: 2, reason: 'bad-timestamp' },
    ]);
  });

  test('namespace01/2009-11-10_22.log: out-of-order lines, a window, and a filter', async () => {
    // Lines 4 and 11 are at 22:59 ("lorem ipsum", "hello world"); lines 1-3 at 22:56, 5-7 at 22:57, 8-10 at 22:58.
    k!.setProgram(program({ startNs: ns('2009-11-10T22:58:00Z').toString(), endNs: ns('2009-11-10T22:59:00Z').toString() }));
    const r = await runScan(k!, read('pod/namespace01/2009-11-10_22.log'));
    expect(r.matches.map((m) => m.lineNo)).toEqual([4, 8, 9, 10, 11]);
    expect(r.matches.at(-1)).toMatchObject({ msg: 'hello world', fields: ['namespace01', 'nginx-deployment-75675f5897-7ci7o', 'nginx'], raw: '2009-11-10T22:59:00.000000Z' });

    k!.setProgram(program({ lineFilters: [{ op: 'contains', needle: 'sidecar' }], labelMatchers: [{ field: 2, op: 'neq', value: 'httpd' }] }));
    const r2 = await runScan(k!, read('pod/namespace01/2009-11-10_22.log'));
    expect(r2.matches.map((m) => [m.lineNo, m.msg])).toEqual([
      [8, 'hello from sidecar'],
      [9, 'lorem from sidecar'],
      [10, 'hello from sidecar'],
    ]);
  });

  test('node01/2009-11-10_21.log: a file of hour 21 holds lines of 22:56-22:59', async () => {
    k!.setProgram(program({ fieldCount: 2, labelMatchers: [{ field: 1, op: 'eq', value: 'dockerd' }], lineFilters: [{ op: 'notContains', needle: 'lorem' }] }));
    const r = await runScan(k!, read('node/node01/2009-11-10_21.log'));
    expect(r.matches.map((m) => [m.lineNo, m.timeNs, m.msg])).toEqual([
      [8, ns('2009-11-10T22:58:00Z'), 'hello from sidecar'],
      [10, ns('2009-11-10T22:58:00Z'), 'hello from sidecar'],
    ]);
  });

  test('a pod program over node lines: every line has the wrong field count', async () => {
    k!.setProgram(program({ fieldCount: 3 }));
    const r = await runScan(k!, read('node/node02/2009-11-10_21.log'));
    expect([r.lines, r.badLines, r.matches.length]).toEqual([12, 12, 0]);
    expect(new Set(r.samples.map((s) => s.reason))).toEqual(new Set(['wrong-field-count']));
  });
});
