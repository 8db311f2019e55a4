/** Label matchers (eq/neq on field bytes) and literal line filters on the message bytes. */
import { describe, expect, test } from 'vitest';
import type { KernelLabelMatcher, KernelLineFilter } from '../../src/plan/program.js';
import { Kernel } from '../../src/scan/kernel.js';
import { program, referenceScan, sweep } from './helpers.js';

const T = '2009-11-10T23:00:00Z';
const pod = [
  `${T}[ns1|nginx-1|nginx] GET /index.html 200`,
  `${T}[ns1|nginx-1|sidecar] hello from sidecar`,
  `${T}[ns2|apache-1|httpd] GET /healthz 200`,
  `${T}[ns2|apache-1|httpd] POST /login 500 error`,
  `${T}[ns1|nginx-10|nginx] ünïcödé ✓ message`,
  `${T}[ns1||nginx] empty pod field`,
  `${T}[ns1|nginx-1|nginx] `,
].join('\n');

const labelCases: [string, KernelLabelMatcher[], number[]][] = [
  ['eq on field 0', [{ field: 0, op: 'eq', value: 'ns2' }], [3, 4]],
  ['neq on field 0', [{ field: 0, op: 'neq', value: 'ns2' }], [1, 2, 5, 6, 7]],
  ['eq is exact, not a prefix', [{ field: 1, op: 'eq', value: 'nginx-1' }], [1, 2, 7]],
  ['eq on a longer value', [{ field: 1, op: 'eq', value: 'nginx-10' }], [5]],
  ['eq on empty value', [{ field: 1, op: 'eq', value: '' }], [6]],
  ['neq on empty value', [{ field: 1, op: 'neq', value: '' }], [1, 2, 3, 4, 5, 7]],
  ['two matchers', [{ field: 0, op: 'eq', value: 'ns1' }, { field: 2, op: 'neq', value: 'nginx' }], [2]],
  ['contradiction', [{ field: 2, op: 'eq', value: 'nginx' }, { field: 2, op: 'eq', value: 'httpd' }], []],
  ['no such value', [{ field: 2, op: 'eq', value: 'nginxx' }], []],
];

const filterCases: [string, KernelLineFilter[], number[]][] = [
  ['contains', [{ op: 'contains', needle: 'GET' }], [1, 3]],
  ['notContains', [{ op: 'notContains', needle: 'GET' }], [2, 4, 5, 6, 7]],
  ['empty needle is in every line', [{ op: 'contains', needle: '' }], [1, 2, 3, 4, 5, 6, 7]],
  ['notContains empty needle matches nothing', [{ op: 'notContains', needle: '' }], []],
  ['needle at message start', [{ op: 'contains', needle: 'hello' }], [2]],
  ['needle at message end', [{ op: 'contains', needle: 'error' }], [4]],
  ['needle equal to the whole message', [{ op: 'contains', needle: 'empty pod field' }], [6]],
  ['needle longer than any message', [{ op: 'contains', needle: 'x'.repeat(200) }], []],
  ['needle does not see the fields', [{ op: 'contains', needle: 'sidecar]' }], []],
  ['needle does not see the separator', [{ op: 'contains', needle: ' GET' }], []],
  ['needle does not see the timestamp', [{ op: 'contains', needle: '2009' }], []],
  ['single byte needle', [{ op: 'contains', needle: '5' }], [4]],
  ['UTF-8 needle', [{ op: 'contains', needle: 'cödé ✓' }], [5]],
  ['UTF-8 partial code point is not a match of another char', [{ op: 'contains', needle: 'é' }], [5]],
  ['several filters, all must hold', [{ op: 'contains', needle: '200' }, { op: 'notContains', needle: 'healthz' }], [1]],
  ['left-to-right with repeats', [{ op: 'contains', needle: 'GET' }, { op: 'contains', needle: 'GET' }, { op: 'notContains', needle: 'POST' }], [1, 3]],
  ['case-sensitive', [{ op: 'contains', needle: 'get' }], []],
];

describe('label matchers', async () => {
  const k = await Kernel.load();
  test.each(labelCases)('%s', async (_name, labelMatchers, want) => {
    const p = program({ labelMatchers });
    k.setProgram(p);
    const r = await sweep(k, pod);
    expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    expect(r.matches).toEqual(referenceScan(pod, p).matches);
  });

  test('node lines: matchers on fields 0 and 1', async () => {
    const node = `${T}[node01|kubelet] a\n${T}[node01|containerd] b\n${T}[node02|kubelet] c\n`;
    const p = program({ fieldCount: 2, labelMatchers: [{ field: 1, op: 'eq', value: 'kubelet' }, { field: 0, op: 'neq', value: 'node02' }] });
    k.setProgram(p);
    const r = await sweep(k, node);
    expect(r.matches.map((m) => [m.lineNo, m.fields])).toEqual([[1, ['node01', 'kubelet']]]);
  });
});

describe('line filters', async () => {
  const k = await Kernel.load();
  test.each(filterCases)('%s', async (_name, lineFilters, want) => {
    const p = program({ lineFilters });
    k.setProgram(p);
    const r = await sweep(k, pod);
    expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    expect(r.matches).toEqual(referenceScan(pod, p).matches);
  });

  test('needles at every position and across 16-byte chunks', async () => {
    const needles = ['ab', 'abc', 'xyzq', 'abcdefghijklmnopq', 'a'.repeat(20) + 'b'];
    for (const needle of needles) {
      k.setProgram(program({ lineFilters: [{ op: 'contains', needle }] }));
      const lines: string[] = [];
      const want: number[] = [];
      for (let len = 0; len < 70; len++) {
        for (const at of [0, Math.floor(len / 2), len - needle.length]) {
          if (at < 0 || at + needle.length > len) {
            lines.push(`${T}[a|b|c] ${'a'.repeat(len)}`);
            if ('a'.repeat(len).includes(needle)) want.push(lines.length);
            continue;
          }
          const msg = 'a'.repeat(at) + needle + 'a'.repeat(len - at - needle.length);
          lines.push(`${T}[a|b|c] ${msg}`);
          want.push(lines.length);
        }
      }
      // Near misses: the rare bytes are in place but the middle differs.
      lines.push(`${T}[a|b|c] ${needle[0]}${'-'.repeat(Math.max(0, needle.length - 2))}${needle.at(-1)}`);
      if (needle.length <= 2) want.push(lines.length);
      const data = lines.join('\n');
      const r = await sweep(k, data);
      expect(r.matches.map((m) => m.lineNo), needle).toEqual(want);
    }
  });

  test('a needle never matches across a line boundary', async () => {
    k.setProgram(program({ lineFilters: [{ op: 'contains', needle: 'end\nstart' }] }));
    const r = await sweep(k, `${T}[a|b|c] end\n${T}[a|b|c] start\n`);
    expect(r.matches).toEqual([]);
    k.setProgram(program({ lineFilters: [{ op: 'contains', needle: 'tail' }] }));
    // The message ends right before the needle would: 'ta' + next line.
    const r2 = await sweep(k, `${T}[a|b|c] ta\nil${T}[a|b|c] x`);
    expect(r2.matches).toEqual([]);
  });
});

describe('case-insensitive line filters (ASCII letters fold, other bytes exact)', async () => {
  const k = await Kernel.load();
  const fold = (op: 'contains' | 'notContains', needle: string): KernelLineFilter => ({ op, needle, caseInsensitive: true });
  const foldCases: [string, KernelLineFilter[], number[]][] = [
    ['lower-case needle', [fold('contains', 'get')], [1, 3]],
    ['mixed-case needle', [fold('contains', 'gEt /')], [1, 3]],
    ['notContains', [fold('notContains', 'GET')], [2, 4, 5, 6, 7]],
    ['empty needle', [fold('contains', '')], [1, 2, 3, 4, 5, 6, 7]],
    ['notContains empty needle matches nothing', [fold('notContains', '')], []],
    ['single letter', [fold('contains', 'P')], [4, 6]],
    ['single non-letter', [fold('contains', '5')], [4]],
    ['non-ASCII bytes compare exactly', [fold('contains', 'ÜNÏ')], []],
    ['ASCII letters fold around exact non-ASCII bytes', [fold('contains', 'üNïCöDÉ')], []],
    ['ASCII letters fold around exact non-ASCII bytes (match)', [fold('contains', 'üNïCöDé ✓ MESSAGE')], [5]],
    ['needle does not see the fields', [fold('contains', 'SIDECAR]')], []],
    ['fold and exact together', [fold('contains', 'Error'), { op: 'contains', needle: 'error' }], [4]],
  ];
  test.each(foldCases)('%s', async (_name, lineFilters, want) => {
    const p = program({ lineFilters });
    k.setProgram(p);
    const r = await sweep(k, pod);
    expect(r.matches.map((m) => m.lineNo)).toEqual(want);
    expect(r.matches).toEqual(referenceScan(pod, p).matches);
  });

  test('only letters fold: @ ` [ { ] } \\ | ^ ~ _ DEL stay distinct', async () => {
    // Each pair differs by 0x20 only; an OR-0x20 fold of all bytes would equate them.
    const pairs = ['@`', '[{', ']}', '\\|', '^~', '_\x7f', 'Aa', 'Zz', 'Mm'];
    const msgs = pairs.flatMap(([a, b]) => [`x${a}y`, `x${b}y`]);
    const data = msgs.map((m) => `${T}[a|b|c] ${m}`).join('\n');
    for (const [i, [a, b]] of pairs.entries()) {
      for (const needle of [`x${a}y`, `X${b}Y`]) {
        k.setProgram(program({ lineFilters: [fold('contains', needle)] }));
        const r = await sweep(k, data);
        const letters = /[A-Za-z]/.test(a!);
        // Letters: both lines match; other bytes: only the line with the same byte.
        const want = letters ? [2 * i + 1, 2 * i + 2] : [needle[1] === a ? 2 * i + 1 : 2 * i + 2];
        expect(r.matches.map((m) => m.lineNo), JSON.stringify(needle)).toEqual(want);
      }
    }
  });

  test('needles at every position, in every case mix, across 16-byte chunks', async () => {
    const needles = ['ab', 'aBc', 'XyZq', 'abcdefghijklmnopq', 'A'.repeat(20) + 'b', 'k8s-Pod_1'];
    const flip = (s: string, i: number) => s.replace(/[a-z]/gi, (c, j: number) => ((i + j) % 2 ? c.toUpperCase() : c.toLowerCase()));
    for (const needle of needles) {
      k.setProgram(program({ lineFilters: [fold('contains', needle)] }));
      const lines: string[] = [];
      const want: number[] = [];
      const lower = needle.toLowerCase();
      for (let len = 0; len < 70; len++) {
        for (const at of [0, Math.floor(len / 2), len - needle.length]) {
          if (at < 0 || at + needle.length > len) {
            lines.push(`${T}[a|b|c] ${'a'.repeat(len)}`);
            if ('a'.repeat(len).includes(lower)) want.push(lines.length);
            continue;
          }
          const msg = 'a'.repeat(at) + flip(needle, len + at) + 'a'.repeat(len - at - needle.length);
          lines.push(`${T}[a|b|c] ${msg}`);
          want.push(lines.length);
        }
      }
      // Near misses: the first and last bytes are in place but the middle differs.
      lines.push(`${T}[a|b|c] ${needle[0]}${'-'.repeat(Math.max(0, needle.length - 2))}${needle.at(-1)}`);
      if (needle.length <= 2) want.push(lines.length);
      const r = await sweep(k, lines.join('\n'));
      expect(r.matches.map((m) => m.lineNo), needle).toEqual(want);
    }
  });
});
