/**
 * The printer's promises, over the whole corpus and over generated log queries:
 *   print(parse(print(parse(q)))) === print(parse(q))   and   parse(print(ast)) ≅ ast.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery, printQuery, stripSpans, type LineFilterOp, type MatchOp } from '../../src/query/index.js';
import { LOGQL_CORPUS, PROMQL_CORPUS } from './corpus.js';

const LOG_QUERIES = [
  'pod',
  'pod{}',
  'node{node=~"node.*"}',
  'pod{namespace="namespace01",pod=~"nginx-.*",container!="sidecar"}',
  'node{node="node01",process!="kubelet"} |= "hello" != "sidecar"',
  'pod{namespace="default",pod=~"nginx-.*"} != "POST" |~ "user/[0-9]+"',
  'pod{namespace="a"}|="x"!="y"',
  "pod{namespace='a'}|~`\\d+`!~'x\\'y'",
  'pod{namespace="a"} |= "\\x00\\a\\u2028\\U0001F600\\""',
  'pod{namespace="a"} |= "x" [5m] offset 1h',
  'count_over_time(pod{namespace="x"} |= "err" [5m])',
  'sum by (pod) (count_over_time(pod{namespace="x"} |~ "error|warn" [1m])) > 10',
  'bytes_rate(node{node="n"}[30s]) / 1024',
  'pod{namespace="a"} != "x" != 1',
  '{namespace="a"} |= "x"',
];

const EXTRA = ['-0', '1e300 * 1e-300', '0.1 + 0.2', '1234567890123456789', '-Inf', '- -Inf', '2 ^ -Inf', '--x', '-(-1)', 'x offset 0s', 'x[1ms]', '{"weird name\\n"="v", a="b"}'];

const ALL = [...PROMQL_CORPUS.map(([q]) => q), ...LOGQL_CORPUS.map(([q]) => q), ...LOG_QUERIES, ...EXTRA];

describe('round trip over the corpus', () => {
  it.each(ALL)('%s', (q) => {
    const ast = parseQuery(q);
    const printed = printQuery(ast);
    const reparsed = parseQuery(printed);
    expect(stripSpans(reparsed)).toEqual(stripSpans(ast));
    expect(printQuery(reparsed)).toBe(printed);
  });
});

// ---------------------------------------------------------------------------
// Generated log queries, written in varied (but valid) surface syntax.
// ---------------------------------------------------------------------------

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Writes `value` as a LetheQL string literal in the given style. */
function quote(value: string, style: 'double' | 'double-escaped' | 'single' | 'raw'): string {
  if (style === 'raw' && !value.includes('`')) return `\`${value}\``;
  const q = style === 'single' ? "'" : '"';
  let out = q;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (style === 'double-escaped' && cp < 0x80 && (cp < 0x20 || cp === 0x7f)) out += `\\x${hex(cp, 2)}`;
    else if (style === 'double-escaped' && cp >= 0x80 && cp <= 0xffff && (cp < 0xd800 || cp > 0xdfff)) out += `\\u${hex(cp, 4)}`;
    else if (style === 'double-escaped' && cp > 0xffff) out += `\\U${hex(cp, 8)}`;
    else out += ch;
  }
  return out + q;
}

const styleArb = fc.constantFrom('double', 'double-escaped', 'single', 'raw') as fc.Arbitrary<'double' | 'double-escaped' | 'single' | 'raw'>;
const valueArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('"', "'", '\\', '`', '|', '=', '~', '!', '#', '\n', '\t', 'a', 'é', '😀', ' ', '{', '}'), maxLength: 12 }),
);
const wsArb = fc.constantFrom('', ' ', '  ', '\n', '\t', ' # note\n');
const labelArb = fc.oneof(fc.constantFrom('namespace', 'pod', 'container', 'node', 'process', 'by', 'offset', 'bool', '_x1'), fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/));
const matchOpArb = fc.constantFrom<MatchOp>('=', '!=', '=~', '!~');
const filterOpArb = fc.constantFrom<LineFilterOp>('|=', '!=', '|~', '!~');

const logQueryArb = fc.record({
  logType: fc.constantFrom('pod', 'node'),
  matchers: fc.array(fc.record({ name: labelArb, op: matchOpArb, value: valueArb, style: styleArb, ws: wsArb }), { maxLength: 4 }),
  filters: fc.array(fc.record({ op: filterOpArb, value: valueArb, style: styleArb, ws: wsArb }), { maxLength: 4 }),
  trailingComma: fc.boolean(),
  range: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
});

type LogCase = typeof logQueryArb extends fc.Arbitrary<infer T> ? T : never;

function render(c: LogCase): string {
  let q = c.logType;
  if (c.matchers.length > 0 || c.trailingComma) {
    const parts = c.matchers.map((m) => `${m.ws}${m.name}${m.ws}${m.op}${m.ws}${quote(m.value, m.style)}`);
    q += `{${parts.join(',')}${c.trailingComma && parts.length > 0 ? ',' : ''}}`;
  }
  for (const f of c.filters) q += `${f.ws}${f.op}${f.ws}${quote(f.value, f.style)}`;
  if (c.range !== null) q += ` [${c.range}s]`;
  return q;
}

describe('generated log queries', () => {
  it('parse to what was written, and print → parse → print is stable', () => {
    fc.assert(
      fc.property(logQueryArb, (c) => {
        const text = render(c);
        const ast = parseQuery(text);
        const selector = ast.kind === 'MatrixSelector' ? ast.selector : ast;
        expect(selector.kind).toBe('VectorSelector');
        if (selector.kind !== 'VectorSelector') return;
        expect(selector.name).toBe(c.logType);
        expect(selector.matchers.map((m) => [m.name, m.op, m.value])).toEqual(c.matchers.map((m) => [m.name, m.op, m.value]));
        expect(selector.lineFilters.map((f) => [f.op, f.value])).toEqual(c.filters.map((f) => [f.op, f.value]));
        if (ast.kind === 'MatrixSelector') expect(ast.range.ms).toBe(c.range! * 1000);

        const printed = printQuery(ast);
        const reparsed = parseQuery(printed);
        expect(stripSpans(reparsed)).toEqual(stripSpans(ast));
        expect(printQuery(reparsed)).toBe(printed);
      }),
      { numRuns: 500 },
    );
  });

  it('numbers print to the same value', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        const text = Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Inf' : v === -Infinity ? '-Inf' : String(v);
        const ast = parseQuery(text);
        expect(ast.kind).toBe('NumberLiteral');
        if (ast.kind === 'NumberLiteral') expect(ast.value).toBe(v);
        expect(printQuery(ast)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('durations print canonically and read back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 365 * 24 * 3600 * 1000 }), (ms) => {
        const ast = parseQuery(`x[${ms}ms]`);
        const printed = printQuery(ast);
        expect(printed).toMatch(/^x\[(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?\]$/);
        const again = parseQuery(printed);
        expect(again.kind === 'MatrixSelector' && again.range.ms).toBe(ms);
      }),
      { numRuns: 300 },
    );
  });
});
