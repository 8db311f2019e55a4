/**
 * LogQL pipelines in the grammar: canonical prints of the corpus, tree shapes for the
 * constructs whose meaning hangs on precedence or typing, and spans.
 */
import { describe, expect, it } from 'vitest';
import { parseQuery, printQuery, stripSpans, type Expr, type LabelFilterExpr, type PipelineStage, type VectorSelector } from '../../src/query/index.js';
import { LOGQL_CORPUS } from './corpus.js';
import type { Bare } from './helpers.js';

describe('LogQL corpus prints canonically', () => {
  it('has at least 80 queries', () => {
    expect(LOGQL_CORPUS.length).toBeGreaterThanOrEqual(80);
  });
  it.each(LOGQL_CORPUS)('%s', (query, printed) => {
    expect(printQuery(parseQuery(query))).toBe(printed);
  });
});

/** The pipeline of the (only) selector in `q`. */
function pipelineOf(q: string): Bare<PipelineStage>[] {
  let e: Expr = parseQuery(q);
  for (;;) {
    if (e.kind === 'VectorSelector') return stripSpans(e).pipeline;
    if (e.kind === 'MatrixSelector') e = e.selector;
    else if (e.kind === 'Call') e = e.args[e.args.length - 1]!;
    else if (e.kind === 'AggregateExpr') e = e.expr;
    else throw new Error(`no selector in ${q}`);
  }
}

const p = (name: string, op: string, value: Bare<LabelFilterExpr & { kind: 'LabelPredicate' }>['value']): Bare<LabelFilterExpr> =>
  ({ kind: 'LabelPredicate', name, op, value }) as Bare<LabelFilterExpr>;
const and = (left: Bare<LabelFilterExpr>, right: Bare<LabelFilterExpr>): Bare<LabelFilterExpr> => ({ kind: 'LabelFilterBinary', op: 'and', left, right });
const or = (left: Bare<LabelFilterExpr>, right: Bare<LabelFilterExpr>): Bare<LabelFilterExpr> => ({ kind: 'LabelFilterBinary', op: 'or', left, right });
const s = (value: string) => ({ type: 'string' as const, value });
const num = (value: number) => ({ type: 'number' as const, value });
const filter = (f: Bare<LabelFilterExpr>): Bare<PipelineStage> => ({ kind: 'LabelFilterStage', filter: f });

const A = p('a', '=', s('1'));
const B = p('b', '=', s('2'));
const C = p('c', '=', s('3'));

const shapes: [string, Bare<PipelineStage>[]][] = [
  ['pod | json', [{ kind: 'JsonStage', params: [] }]],
  ['pod | json a="x.y", b', [{ kind: 'JsonStage', params: [{ kind: 'LabelExtraction', label: 'a', path: 'x.y' }, { kind: 'LabelExtraction', label: 'b', path: 'b' }] }]],
  ['pod | logfmt --keep-empty x', [{ kind: 'LogfmtStage', strict: false, keepEmpty: true, params: [{ kind: 'LabelExtraction', label: 'x', path: 'x' }] }]],
  ['pod | regexp "(?P<a>.)"', [{ kind: 'RegexpStage', pattern: '(?P<a>.)' }]],
  ['pod | unpack | decolorize', [{ kind: 'UnpackStage' }, { kind: 'DecolorizeStage' }]],
  // `and` binds tighter than `or`; both fold to the left.
  ['pod | a="1" or b="2" and c="3"', [filter(or(A, and(B, C)))]],
  ['pod | a="1" and b="2" or c="3"', [filter(or(and(A, B), C))]],
  ['pod | a="1" or b="2" or c="3"', [filter(or(or(A, B), C))]],
  ['pod | (a="1" or b="2") and c="3"', [filter(and(or(A, B), C))]],
  // `,` and juxtaposition take the rest as their right operand (Loki's yacc resolution).
  ['pod | a="1", b="2" or c="3"', [filter(and(A, or(B, C)))]],
  ['pod | a="1" b="2" or c="3"', [filter(and(A, or(B, C)))]],
  ['pod | a="1" or b="2", c="3"', [filter(or(A, and(B, C)))]],
  ['pod | a="1" | b="2"', [filter(A), filter(B)]],
  // Value types follow how the value is written.
  ['pod | x > 5', [filter(p('x', '>', num(5)))]],
  ['pod | x = 5', [filter(p('x', '==', num(5)))]],
  ['pod | x = "5"', [filter(p('x', '=', s('5')))]],
  ['pod | x > -0x10', [filter(p('x', '>', num(-16)))]],
  ['pod | x > 250ms', [filter(p('x', '>', { type: 'duration', ns: 250e6 }))]],
  ['pod | x > 1.5us', [filter(p('x', '>', { type: 'duration', ns: 1500 }))]],
  ['pod | x > 1d', [filter(p('x', '>', { type: 'duration', ns: 86400e9 }))]],
  ['pod | x >= 1MB', [filter(p('x', '>=', { type: 'bytes', bytes: 1e6 }))]],
  ['pod | x >= 1MiB', [filter(p('x', '>=', { type: 'bytes', bytes: 2 ** 20 }))]],
  ['pod | x >= 1.5KiB', [filter(p('x', '>=', { type: 'bytes', bytes: 1536 }))]],
  ['pod | x < 5K', [filter(p('x', '<', { type: 'bytes', bytes: 5000 }))]],
  ['pod | x < 5Ki', [filter(p('x', '<', { type: 'bytes', bytes: 5120 }))]],
  ['pod | x < 20B', [filter(p('x', '<', { type: 'bytes', bytes: 20 }))]],
  [
    'pod | label_format a=b, c="{{.d}}"',
    [{ kind: 'LabelFormatStage', items: [{ kind: 'LabelRename', dst: 'a', src: 'b' }, { kind: 'LabelTemplate', dst: 'c', template: '{{.d}}' }] }],
  ],
  ['pod | drop a, b!="x"', [{ kind: 'DropStage', labels: [{ kind: 'LabelName', name: 'a' }, { kind: 'LabelMatcher', name: 'b', op: '!=', value: 'x' }] }]],
  ['pod | keep a', [{ kind: 'KeepStage', labels: [{ kind: 'LabelName', name: 'a' }] }]],
  ['rate(pod | unwrap bytes(x) | __error__="" [1m])', [{ kind: 'UnwrapStage', label: 'x', conversion: 'bytes' }, filter(p('__error__', '=', s('')))]],
  // Line filters before the first stage are the selector's; after it, pipeline stages.
  ['pod |= "a" | json != "b"', [{ kind: 'JsonStage', params: [] }, { kind: 'LineFilter', op: '!=', value: 'b' }]],
];

describe('pipeline tree shapes', () => {
  it.each(shapes)('%s', (q, stages) => {
    expect(pipelineOf(q)).toEqual(stages);
  });

  it('keeps leading line filters on the selector', () => {
    const e = parseQuery('pod |= "a" != "b" | json |= "c"') as VectorSelector;
    expect(e.lineFilters.map((f) => f.value)).toEqual(['a', 'b']);
    expect(e.pipeline.map((s) => s.kind)).toEqual(['JsonStage', 'LineFilter']);
  });

  it('puts LogQL grouping on range aggregations and sort', () => {
    const e = stripSpans(parseQuery('avg_over_time(pod | unwrap x [1m]) without (a, b)'));
    expect(e.kind === 'Call' && e.grouping).toEqual({ without: true, labels: ['a', 'b'] });
    const sorted = stripSpans(parseQuery('sort by (a) (x)'));
    expect(sorted.kind === 'Call' && sorted.grouping).toEqual({ without: false, labels: ['a'] });
    const plain = stripSpans(parseQuery('rate(x[1m])'));
    expect(plain.kind === 'Call' && plain.grouping).toBe(null);
  });

  it('still reads stage names as metric and label names elsewhere', () => {
    expect(stripSpans(parseQuery('json + logfmt'))).toMatchObject({ kind: 'BinaryExpr', lhs: { name: 'json' }, rhs: { name: 'logfmt' } });
    expect(stripSpans(parseQuery('x{json="a", unwrap="b"}'))).toMatchObject({ matchers: [{ name: 'json' }, { name: 'unwrap' }] });
    expect(printQuery(parseQuery('sum by (json) (x)'))).toBe('sum by (json) (x)');
  });
});

describe('pipeline spans', () => {
  const q = 'pod{namespace="a"} | json | status >= 500 and level =~ "err"';
  const at = (sp: { start: { offset: number }; end: { offset: number } }) => q.slice(sp.start.offset, sp.end.offset);
  it('cover each stage from its pipe, predicates and their values', () => {
    const e = parseQuery(q) as VectorSelector;
    expect(at(e.span)).toBe(q);
    expect(at(e.pipeline[0]!.span)).toBe('| json');
    const stage = e.pipeline[1]!;
    expect(at(stage.span)).toBe('| status >= 500 and level =~ "err"');
    if (stage.kind !== 'LabelFilterStage' || stage.filter.kind !== 'LabelFilterBinary') throw new Error('expected a binary filter');
    expect(at(stage.filter.span)).toBe('status >= 500 and level =~ "err"');
    const right = stage.filter.right;
    if (right.kind !== 'LabelPredicate') throw new Error('expected a predicate');
    expect(at(right.span)).toBe('level =~ "err"');
    expect(at(right.valueSpan)).toBe('"err"');
  });
});
