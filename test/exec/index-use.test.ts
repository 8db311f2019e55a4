/**
 * `combineRunStats`: a file read in runs gets a full scan's statistics under the rule of
 * `src/exec/index-use.ts` — lines not read count as validated by the index, bad lines come
 * from the sidecar for them and from the scans for the runs, and samples are the file's first
 * counted bad lines without a gap, cut where a capped sample list stops being complete.
 *
 * The file of every case: 300 lines in three 100-line blocks A (1–100), B (101–200) and
 * C (201–300); A and C are the runs, B is skipped.
 */
import { describe, expect, it } from 'vitest';
import { bytesToRead, combineRunStats, sampledThrough, type RunPart } from '../../src/exec/index-use.js';
import type { IndexRun, PlannedIndex } from '../../src/plan/sidecar-plan.js';
import type { BadLine } from '../../src/scan/types.js';

const RUNS: IndexRun[] = [
  { start: 0, end: 1000, lineBase: 0, lines: 100, badLines: 0, blocks: 1 },
  { start: 2000, end: 3000, lineBase: 200, lines: 100, badLines: 0, blocks: 1 },
];

const bad = (...lines: number[]): BadLine[] => lines.map((line) => ({ line, reason: 'bad-timestamp' }));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** A sidecar whose bad lines are `badA`, `badB`, `badC` (by block), keeping the first `keep` as samples. */
function sidecar(badA: number[], badB: number[], badC: number[], keep = 100): { ix: PlannedIndex; runs: IndexRun[] } {
  const all = [...badA, ...badB, ...badC];
  const runs = [{ ...RUNS[0]!, badLines: badA.length }, { ...RUNS[1]!, badLines: badC.length }];
  const ix: PlannedIndex = {
    blocks: 3,
    fileSkippedByTime: false,
    blocksSkippedByTime: 0,
    blocksSkippedByBloom: 1,
    runs,
    count: null,
    lines: 300,
    badLines: all.length,
    badLineSamples: bad(...all.slice(0, keep)),
    longestLine: 80,
    builtMaxLineBytes: 64 << 20,
  };
  return { ix, runs };
}

/** A run's scan: `validated` of its 100 lines, reporting `badLines` (line numbers from the file's start) with the first `keep` as samples. */
const part = (validated: number, badLines: number[], keep = 100): RunPart => ({ bytes: 1000, lines: 100, validated, badLines: badLines.length, badLineSamples: bad(...badLines.slice(0, keep)) });

describe('combineRunStats', () => {
  it('every line validated (no anchor): a full scan\'s statistics, samples its first 100', () => {
    // 90 bad lines in A, 30 in B, 10 in C: the sidecar keeps A's 90 and B's first 10.
    const A = range(1, 90);
    const B = range(101, 30);
    const C = range(201, 10);
    const { ix, runs } = sidecar(A, B, C);
    const fs = combineRunStats(ix, runs, [part(100, A), part(100, C)], 100);
    expect(fs).toMatchObject({ bytes: 2000, lines: 300, validated: 300, badLines: 130 });
    expect(fs.badLineSamples).toEqual(bad(...A, ...B.slice(0, 10)));
  });

  it('an anchored scan: the skipped block counts as validated, with the sidecar\'s bad lines', () => {
    // The kernel validated 7 lines of A (none bad) and 5 of C (one bad, line 250).
    const { ix, runs } = sidecar([3, 4], [150, 160], [250]);
    const fs = combineRunStats(ix, runs, [part(7, []), part(5, [250])], 100);
    expect(fs).toMatchObject({ lines: 300, validated: 100 + 7 + 5, badLines: 3 });
    expect(fs.badLineSamples).toEqual(bad(150, 160, 250));
  });

  it('an anchored scan: samples stop where the sidecar\'s capped list stops, never leaving a gap', () => {
    // A holds 100 bad lines (the sidecar's 100 samples), none validated by the kernel; B holds
    // 50 the sidecar counted but could not sample; C one the kernel found. Listing C's line
    // alone would hide B's 50 before it: no sample is shown, the count stays exact.
    const { ix, runs } = sidecar(range(1, 100), range(101, 50), [250]);
    const fs = combineRunStats(ix, runs, [part(3, []), part(5, [250])], 100);
    expect(fs).toMatchObject({ validated: 108, badLines: 51 });
    expect(fs.badLineSamples).toEqual([]);
  });

  it('a run whose scan capped its samples cuts the list there', () => {
    const A = range(1, 60);
    const { ix, runs } = sidecar(A, [150], [], 100);
    // The run's scan kept only its first 20 samples (of 60): lines 21–60 are not known, so
    // the sidecar's line 150 is not listed after line 20.
    const fs = combineRunStats(ix, runs, [part(100, A, 20), part(100, [])], 100);
    expect(fs.badLines).toBe(61);
    expect(fs.badLineSamples).toEqual(bad(...range(1, 20)));
  });
});

describe('sampledThrough', () => {
  it.each([
    [bad(3, 9), 2, 0, Infinity],
    [bad(3, 9), 5, 0, 9],
    [[], 4, 200, 200],
    [[], 0, 200, Infinity],
  ] as const)('%j of %i bad lines after line %i: through %d', (samples, badLines, base, through) => {
    expect(sampledThrough(samples, badLines, base)).toBe(through);
  });
});

describe('bytesToRead', () => {
  it('counts whole files whole, runs by their bytes, skipped files as nothing (the pool decides on it)', () => {
    const { ix } = sidecar([], [], []);
    const files = [{ size: 5000 }, { size: 3000 }, { size: 7000 }] as never;
    expect(bytesToRead({ files }, [{ kind: 'whole' }, { kind: 'runs', runs: RUNS, index: ix }, { kind: 'skip', why: 'bloom', matched: 0, index: ix }])).toBe(5000 + 2000);
  });
});
