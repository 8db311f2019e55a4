/**
 * ContextRows (viewer/src/rows.ts): the view with context entries in place around one row —
 * display ↔ view indices both ways, the entries, and what a context line reads as (its
 * anchor's stream labels, no pipeline labels).
 */
import { describe, expect, it } from 'vitest';
import { ArrayRows, ContextRows, ViewRows, type ContextEntry } from '../../viewer/src/rows.js';

const rows = new ArrayRows(['namespace', 'pod']);
for (let i = 0; i < 5; i++) rows.append(BigInt(100 + i), { namespace: 'ns', pod: `p${i}` }, `row ${i}`);
const line = (t: number, text: string): ContextEntry => ({ kind: 'line', timeNs: BigInt(t), line: text });

describe('ContextRows', () => {
  // View rows 1 and 3 (a level filter, say); context around view row 1 (base row 3).
  const view = new ViewRows(rows, Int32Array.from([1, 3, 4]));
  const above = [{ kind: 'more', dir: 'after', note: 'no more' } as ContextEntry, line(9, 'later')];
  const below = [line(7, 'earlier'), { kind: 'more', dir: 'before', note: '' } as ContextEntry];
  const c = new ContextRows(view, 1, above, below);

  it('places the entries around the anchor and maps indices both ways', () => {
    expect(c.length).toBe(7);
    expect(c.anchor).toBe(3);
    expect(Array.from({ length: c.length }, (_, i) => c.innerIndex(i))).toEqual([0, -1, -1, 1, -1, -1, 2]);
    expect([0, 1, 2].map((v) => c.displayIndex(v))).toEqual([0, 3, 6]);
    expect(Array.from({ length: c.length }, (_, i) => c.line(i))).toEqual(['row 1', 'no more', 'later', 'row 3', 'earlier', '', 'row 4']);
    expect(Array.from({ length: c.length }, (_, i) => c.entry(i)?.kind ?? null)).toEqual([null, 'more', 'line', null, 'line', 'more', null]);
  });

  it('gives a context line its anchor\'s stream labels and time of its own', () => {
    expect(c.label(2, 1)).toBe('p3');
    expect(c.timeNs(2)).toBe(9n);
    expect(c.timeNs(4)).toBe(7n);
    expect(c.label(6, 1)).toBe('p4');
    expect(c.lineLength(4)).toBe('earlier'.length);
  });

  it('with nothing around, is the view', () => {
    const bare = new ContextRows(view, 2, [], []);
    expect(Array.from({ length: bare.length }, (_, i) => bare.line(i))).toEqual(['row 1', 'row 3', 'row 4']);
    expect(bare.anchor).toBe(2);
  });
});
