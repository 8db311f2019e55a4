/**
 * The PromQL grammar: a documentation corpus with canonical prints, and tree-shape tests
 * for precedence, associativity, modifiers and vector matching.
 */
import { describe, expect, it } from 'vitest';
import { parseQuery, printQuery, stripSpans, type Expr } from '../../src/query/index.js';
import { PROMQL_CORPUS } from './corpus.js';
import { agg, bin, call, HOUR, m, matrix, MIN, neg, num, paren, sel, str, type Bare } from './helpers.js';

describe('PromQL corpus', () => {
  it('has at least 80 queries', () => {
    expect(PROMQL_CORPUS.length).toBeGreaterThanOrEqual(80);
  });
  it.each(PROMQL_CORPUS)('%s', (query, printed) => {
    expect(printQuery(parseQuery(query))).toBe(printed);
  });
});

const x = sel('x');
const a = sel('a');
const b = sel('b');
const c = sel('c');

const shapes: [string, Bare<Expr>][] = [
  ['1 + 2 * 3', bin('+', num(1), bin('*', num(2), num(3)))],
  ['1 * 2 + 3', bin('+', bin('*', num(1), num(2)), num(3))],
  ['a - b - c', bin('-', bin('-', a, b), c)],
  ['2 ^ 3 ^ 2', bin('^', num(2), bin('^', num(3), num(2)))],
  ['-2 ^ 2', neg(bin('^', num(2), num(2)))],
  ['-a ^ b', neg(bin('^', a, b))],
  ['2 ^ -1', bin('^', num(2), num(-1))],
  ['-a * b', bin('*', neg(a), b)],
  ['a + -b * c', bin('+', a, bin('*', neg(b), c))],
  ['-1', num(-1)],
  ['- -1', num(1)],
  ['-(1)', neg(paren(num(1)))],
  ['a or b and c', bin('or', a, bin('and', b, c))],
  ['a and b or c', bin('or', bin('and', a, b), c)],
  ['a unless b and c', bin('and', bin('unless', a, b), c)],
  ['a == b + c', bin('==', a, bin('+', b, c))],
  ['a > b and c', bin('and', bin('>', a, b), c)],
  ['a * b atan2 c', bin('atan2', bin('*', a, b), c)],
  ['a % b ^ c', bin('%', a, bin('^', b, c))],
  ['1 > bool 2', bin('>', num(1), num(2), { returnBool: true })],
  ['a / on(x, y) group_left(z) b', bin('/', a, b, { matching: { on: true, labels: ['x', 'y'], card: 'many-to-one', include: ['z'] } })],
  ['a / ignoring(x) group_right b', bin('/', a, b, { matching: { on: false, labels: ['x'], card: 'one-to-many', include: [] } })],
  ['a - on(x) b', bin('-', a, b, { matching: { on: true, labels: ['x'], card: 'one-to-one', include: [] } })],
  ['a and on(x) b', bin('and', a, b, { matching: { on: true, labels: ['x'], card: 'many-to-many', include: [] } })],
  ['"a"', str('a')],
  ['x != 5', bin('!=', x, num(5))],
  ['x != "5"', sel('x', [], [{ kind: 'LineFilter', op: '!=', value: '5' }])],
  ['x != bool 5', bin('!=', x, num(5), { returnBool: true })],
  ['x[5m]', matrix(x, 5 * MIN)],
  ['x[5m] offset 1h', matrix(x, 5 * MIN, HOUR)],
  ['x offset -1h', sel('x', [], [], { offset: { ms: -HOUR } })],
  ['x @ 10', sel('x', [], [], { at: { kind: 'AtTimestamp', seconds: 10 } })],
  ['x @ start()', sel('x', [], [], { at: { kind: 'AtStart' } })],
  ['x @ end() offset 1m', sel('x', [], [], { at: { kind: 'AtEnd' }, offset: { ms: MIN } })],
  ['-x offset 1m', neg(sel('x', [], [], { offset: { ms: MIN } }))],
  ['x[1h:5m]', { kind: 'SubqueryExpr', expr: x, range: { ms: HOUR }, step: { ms: 5 * MIN }, offset: null, at: null }],
  ['rate(x[5m])[1h:] offset 1m', { kind: 'SubqueryExpr', expr: call('rate', matrix(x, 5 * MIN)), range: { ms: HOUR }, step: null, offset: { ms: MIN }, at: null }],
  ['sum by (a) (x)', agg('sum', x, { by: ['a'] })],
  ['sum(x) by (a)', agg('sum', x, { by: ['a'] })],
  ['sum without (a, b) (x)', agg('sum', x, { without: ['a', 'b'] })],
  ['topk(3, x)', agg('topk', x, { param: num(3) })],
  ['count_values("l", x) by (a)', agg('count_values', x, { param: str('l'), by: ['a'] })],
  ['sum', sel('sum')],
  ['sum{job="a"}', sel('sum', [m('job', '=', 'a')])],
  ['by + offset', bin('+', sel('by'), sel('offset'))],
];

describe('tree shapes', () => {
  it.each(shapes)('%s', (query, ast) => {
    expect(stripSpans(parseQuery(query))).toEqual(ast);
  });
});
