/**
 * Line framing, bracket fields and bad lines. Every case runs with block sizes 1..64 and
 * larger ones: the results must be identical whatever the block boundaries, and equal to
 * the table's expectation (and to the JS reference of helpers.ts).
 */
import { describe, expect, test } from 'vitest';
import type { KernelProgram } from '../../src/plan/program.js';
import type { BadLine } from '../../src/scan/types.js';
import { Kernel } from '../../src/scan/kernel.js';
import { program, referenceScan, runScan, sweep } from './helpers.js';

const T = '2009-11-10T23:00:00Z';
const TNS = 1257894000000000000n;

interface Case {
  name: string;
  data: string;
  prog?: Partial<KernelProgram>;
  lines: number;
  /** [lineNo, message, fields?] per match. */
  matches: [number, string, string[]?][];
  bad?: [number, BadLine['reason']][];
}

const cases: Case[] = [
  { name: 'empty file', data: '', lines: 0, matches: [] },
  { name: 'one line with newline', data: `${T}[a|b|c] hello\n`, lines: 1, matches: [[1, 'hello', ['a', 'b', 'c']]] },
  { name: 'no final newline', data: `${T}[a|b|c] one\n${T}[a|b|c] two`, lines: 2, matches: [[1, 'one'], [2, 'two']] },
  { name: 'CRLF stripped once', data: `${T}[a|b|c] one\r\n${T}[a|b|c] two\r\r\n`, lines: 2, matches: [[1, 'one'], [2, 'two\r']] },
  { name: 'CR at EOF without LF is stripped', data: `${T}[a|b|c] one\r`, lines: 1, matches: [[1, 'one']] },
  { name: 'lone CR inside a message is kept', data: `${T}[a|b|c] a\rb\n`, lines: 1, matches: [[1, 'a\rb']] },
  {
    name: 'empty lines in the middle and at the end are bad',
    data: `${T}[a|b|c] one\n\n\r\n${T}[a|b|c] two\n\n`,
    lines: 5,
    matches: [[1, 'one'], [4, 'two']],
    bad: [[2, 'bad-timestamp'], [3, 'bad-timestamp'], [5, 'bad-timestamp']],
  },
  { name: 'a lone CR as the last line is a bad line', data: `${T}[a|b|c] one\n\r`, lines: 2, matches: [[1, 'one']], bad: [[2, 'bad-timestamp']] },
  { name: 'message with brackets and pipes', data: `${T}[a|b|c] x [y] | z ] [\n`, lines: 1, matches: [[1, 'x [y] | z ] [', ['a', 'b', 'c']]] },
  { name: 'message empty after ]', data: `${T}[a|b|c]\n${T}[a|b|c] \n${T}[a|b|c]x\n`, lines: 3, matches: [[1, ''], [2, ''], [3, '']] },
  { name: 'separator is any one byte', data: `${T}[a|b|c]\tmsg\n${T}[a|b|c]  two spaces\n`, lines: 2, matches: [[1, 'msg'], [2, ' two spaces']] },
  { name: 'empty fields', data: `${T}[||] m\n`, lines: 1, matches: [[1, 'm', ['', '', '']]] },
  { name: 'UTF-8 fields and message', data: `${T}[ns|pöd|c] héllo wörld ✓\n`, lines: 1, matches: [[1, 'héllo wörld ✓', ['ns', 'pöd', 'c']]] },
  {
    name: 'pod lines: wrong field counts',
    data: `${T}[a|b] two\n${T}[a|b|c|d] four\n${T}[abc] one\n${T}[a|b|c] ok\n${T}[] none\n`,
    lines: 5,
    matches: [[4, 'ok']],
    bad: [[1, 'wrong-field-count'], [2, 'wrong-field-count'], [3, 'wrong-field-count'], [5, 'wrong-field-count']],
  },
  {
    name: 'node lines: two fields, field 2 absent',
    prog: { fieldCount: 2 },
    data: `${T}[node01|kubelet] hi\n${T}[a|b|c] three\n${T}[a] one\n`,
    lines: 3,
    matches: [[1, 'hi', ['node01', 'kubelet']]],
    bad: [[2, 'wrong-field-count'], [3, 'wrong-field-count']],
  },
  {
    name: 'missing bracket',
    data: `${T}[a|b|c no close\n${T}[a|b|c] ok\n${T}[a|b|c\n${T}[`,
    lines: 4,
    matches: [[2, 'ok']],
    bad: [[1, 'missing-bracket'], [3, 'missing-bracket'], [4, 'missing-bracket']],
  },
  { name: 'a "]" on the next line does not close the bracket', data: `${T}[a|b|c\n] x\n`, lines: 2, matches: [], bad: [[1, 'missing-bracket'], [2, 'bad-timestamp']] },
  { name: 'pipes after ] are message bytes', data: `${T}[a|b|c] |||\n`, lines: 1, matches: [[1, '|||']] },
  { name: 'long fields across SIMD chunks', data: `${T}[${'n'.repeat(40)}|${'p'.repeat(17)}|${'c'.repeat(33)}] m\n`, lines: 1, matches: [[1, 'm', ['n'.repeat(40), 'p'.repeat(17), 'c'.repeat(33)]]] },
  {
    name: 'lines without timestamps (lorem/ipsum)',
    data: 'lorem\nipsum\n',
    lines: 2,
    matches: [],
    bad: [[1, 'bad-timestamp'], [2, 'bad-timestamp']],
  },
  { name: 'out-of-order lines keep file order', data: `2009-11-10T23:00:02Z[a|b|c] 2\n2009-11-10T23:00:01Z[a|b|c] 1\n`, lines: 2, matches: [[1, '2'], [2, '1']] },
  {
    name: 'bad lines are counted even outside the window',
    prog: { startNs: '0', endNs: '1' },
    data: `${T}[a|b] bad\n${T}[a|b|c] out of window\nxx\n`,
    lines: 3,
    matches: [],
    bad: [[1, 'wrong-field-count'], [3, 'bad-timestamp']],
  },
];

describe('framing', async () => {
  const k = await Kernel.load();
  test.each(cases)('$name', async (c) => {
    const p = program(c.prog);
    k.setProgram(p);
    const r = await sweep(k, c.data);
    expect(r.lines).toBe(c.lines);
    if (!c.name.includes('order')) for (const m of r.matches) expect(m.timeNs).toBe(TNS);
    expect(r.matches.map((m) => m.lineNo)).toEqual(c.matches.map((m) => m[0]));
    expect(r.matches.map((m) => m.msg)).toEqual(c.matches.map((m) => m[1]));
    for (const [i, m] of c.matches.entries()) if (m[2]) expect(r.matches[i]!.fields).toEqual(m[2]);
    expect(r.samples.map((b) => [b.line, b.reason])).toEqual(c.bad ?? []);
    expect(r.badLines).toBe((c.bad ?? []).length);
    expect(r.bytes).toBe(new TextEncoder().encode(c.data).length);
    expect(r.matches).toEqual(referenceScan(c.data, p).matches);
  });

  test('line numbers continue across many blocks', async () => {
    k.setProgram(program({ lineFilters: [{ op: 'contains', needle: '7' }] }));
    const data = Array.from({ length: 500 }, (_, i) => `${T}[a|b|c] line ${i + 1}\n`).join('');
    const r = await sweep(k, data);
    const want = Array.from({ length: 500 }, (_, i) => i + 1).filter((n) => String(n).includes('7'));
    expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    expect(r.matches.map((m) => m.msg)).toEqual(want.map((n) => `line ${n}`));
    expect(r.lines).toBe(500);
  });

  test('bad-line samples are capped, counts are not', async () => {
    k.setProgram(program());
    const data = 'x\n'.repeat(50);
    const r = await sweep(k, data, { maxBadLineSamples: 3 });
    expect(r.badLines).toBe(50);
    expect(r.samples).toEqual([1, 2, 3].map((line) => ({ line, reason: 'bad-timestamp' })));
    const none = await runScan(k, data, { maxBadLineSamples: 0 });
    expect(none.samples).toEqual([]);
    expect(none.badLines).toBe(50);
  });
});
