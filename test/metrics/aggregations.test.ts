/**
 * Vector aggregations with by/without, topk/bottomk ties and k edge cases, NaN handling,
 * compensated sums, and the parameter errors.
 */
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../src/errors.js';
import { MemorySampleSource } from '../../src/metrics/index.js';
import { gaugeQuery, gauges, run, vectorRows } from './helpers.js';

const source = () =>
  new MemorySampleSource({
    'gauge{name="A"}': gauges([
      [{ app: 'api', pod: 'a1', zone: 'x' }, 1],
      [{ app: 'api', pod: 'a2', zone: 'y' }, 4],
      [{ app: 'web', pod: 'w1', zone: 'x' }, 10],
      [{ app: 'web', pod: 'w2', zone: 'x' }, 10],
    ]),
    'gauge{name="N"}': gauges([
      [{ pod: 'p1' }, NaN],
      [{ pod: 'p2' }, 1],
      [{ pod: 'p3' }, 3],
    ]),
    'gauge{name="K"}': gauges([
      [{ pod: 'k1' }, 1e100],
      [{ pod: 'k2' }, 1],
      [{ pod: 'k3' }, -1e100],
    ]),
    'gauge{name="O"}': gauges([
      [{ pod: 'o1' }, 1e308],
      [{ pod: 'o2' }, 1e308],
    ]),
  });

const A1 = '{app="api", pod="a1", zone="x"}';
const A2 = '{app="api", pod="a2", zone="y"}';
const W1 = '{app="web", pod="w1", zone="x"}';
const W2 = '{app="web", pod="w2", zone="x"}';

const rows: { q: string; want: [string, number][] }[] = [
  { q: 'sum(A)', want: [['{}', 25]] },
  { q: 'sum by (app) (A)', want: [['{app="api"}', 5], ['{app="web"}', 20]] },
  { q: 'sum(A) by (app)', want: [['{app="api"}', 5], ['{app="web"}', 20]] },
  // without (pod): 1 + 0 for {api,x}, 4 for {api,y}, 10 + 10 for {web,x}.
  { q: 'sum without (pod) (A)', want: [['{app="api", zone="x"}', 1], ['{app="api", zone="y"}', 4], ['{app="web", zone="x"}', 20]] },
  // by a label no series has: one group with no labels.
  { q: 'sum by (nope) (A)', want: [['{}', 25]] },
  { q: 'avg by (app) (A)', want: [['{app="api"}', 2.5], ['{app="web"}', 10]] },
  { q: 'min by (app) (A)', want: [['{app="api"}', 1], ['{app="web"}', 10]] },
  { q: 'max by (app) (A)', want: [['{app="api"}', 4], ['{app="web"}', 10]] },
  { q: 'count by (zone) (A)', want: [['{zone="x"}', 3], ['{zone="y"}', 1]] },
  { q: 'group by (zone) (A)', want: [['{zone="x"}', 1], ['{zone="y"}', 1]] },
  // api: 1 and 4, mean 2.5, deviations ±1.5 → variance 2.25, deviation 1.5; web: 10, 10 → 0.
  { q: 'stdvar by (app) (A)', want: [['{app="api"}', 2.25], ['{app="web"}', 0]] },
  { q: 'stddev by (app) (A)', want: [['{app="api"}', 1.5], ['{app="web"}', 0]] },
  // sorted 1, 4, 10, 10; rank 0.5·3 = 1.5 → 4·0.5 + 10·0.5 = 7.
  { q: 'quantile(0.5, A)', want: [['{}', 7]] },
  { q: 'quantile by (app) (0.5, A)', want: [['{app="api"}', 2.5], ['{app="web"}', 10]] },
  { q: 'quantile(2, A)', want: [['{}', Infinity]] },
  { q: 'count_values("v", A)', want: [['{v="1"}', 1], ['{v="10"}', 2], ['{v="4"}', 1]] },
  { q: 'count_values by (app) ("v", A)', want: [['{app="api", v="1"}', 1], ['{app="api", v="4"}', 1], ['{app="web", v="10"}', 2]] },
  // topk keeps input labels; the tie between w1 and w2 (both 10) goes to w1, the first by labels.
  { q: 'topk(1, A)', want: [[W1, 10]] },
  { q: 'topk(2, A)', want: [[W1, 10], [W2, 10]] },
  { q: 'topk(2.9, A)', want: [[W1, 10], [W2, 10]] },
  { q: 'topk(100, A)', want: [[A1, 1], [A2, 4], [W1, 10], [W2, 10]] },
  { q: 'topk(0, A)', want: [] },
  { q: 'topk(-3, A)', want: [] },
  { q: 'topk by (app) (1, A)', want: [[A2, 4], [W1, 10]] },
  { q: 'topk(1, A) by (zone)', want: [[A2, 4], [W1, 10]] },
  { q: 'bottomk(1, A)', want: [[A1, 1]] },
  { q: 'bottomk by (zone) (1, A)', want: [[A1, 1], [A2, 4]] },
  { q: 'bottomk by (app) (1, A)', want: [[A1, 1], [W1, 10]] },
  { q: 'topk(scalar(count(A)) - 3, A)', want: [[W1, 10]] },
  // NaN: ignored by min/max, contagious for sum, last for topk and bottomk alike.
  { q: 'max(N)', want: [['{}', 3]] },
  { q: 'min(N)', want: [['{}', 1]] },
  { q: 'sum(N)', want: [['{}', NaN]] },
  { q: 'count(N)', want: [['{}', 3]] },
  { q: 'stddev(N)', want: [['{}', NaN]] },
  { q: 'topk(2, N)', want: [['{pod="p2"}', 1], ['{pod="p3"}', 3]] },
  { q: 'bottomk(2, N)', want: [['{pod="p2"}', 1], ['{pod="p3"}', 3]] },
  { q: 'topk(3, N)', want: [['{pod="p1"}', NaN], ['{pod="p2"}', 1], ['{pod="p3"}', 3]] },
  // Kahan–Neumaier: 1e100 + 1 − 1e100 is 1, not 0.
  { q: 'sum(K)', want: [['{}', 1]] },
  // The sum overflows; the incremental mean does not.
  { q: 'avg(O)', want: [['{}', 1e308]] },
  // without drops __name__ too; by keeps it when asked.
  { q: 'sum without (pod) (label_replace(N, "__name__", "m", "", ""))', want: [['{}', NaN]] },
  { q: 'sum by (__name__) (label_replace(N, "__name__", "m", "", ""))', want: [['{__name__="m"}', NaN]] },
  { q: 'max by (__name__) (label_replace(N, "__name__", "m", "", ""))', want: [['{__name__="m"}', 3]] },
  // Aggregating nothing gives nothing.
  { q: 'sum(A > 100)', want: [] },
];

describe('vector aggregations', () => {
  it.each(rows)('$q', async ({ q, want }) => {
    expect(vectorRows(await run(gaugeQuery(q), source(), { time: 3600 }))).toEqual(want);
  });
});

describe('aggregation errors', () => {
  it.each([
    { q: 'topk("a", A)', code: 'INVALID_EXPRESSION', msg: 'expected type scalar in aggregation parameter of topk, got string', span: '"a"' },
    { q: 'topk(A, A)', code: 'INVALID_EXPRESSION', msg: 'got instant vector', span: 'A' },
    { q: 'quantile("x", A)', code: 'INVALID_EXPRESSION', msg: 'expected type scalar', span: '"x"' },
    { q: 'sum(1)', code: 'INVALID_EXPRESSION', msg: 'expected type instant vector in aggregation expression, got scalar', span: '1' },
    { q: 'count_values(1, A)', code: 'INVALID_EXPRESSION', msg: 'expected type string in aggregation parameter of count_values', span: '1' },
    { q: 'count_values("1x", A)', code: 'INVALID_EXPRESSION', msg: 'invalid label name "1x"', span: '"1x"' },
    { q: 'topk(NaN, A)', code: 'INVALID_EXPRESSION', msg: 'parameter value of topk is NaN', span: 'NaN' },
    { q: 'limitk(1, A)', code: 'NOT_SUPPORTED', msg: 'limitk is not supported', span: 'limitk(1, A)' },
  ] as const)('$q', async ({ q, code, msg, span }) => {
    const text = gaugeQuery(q);
    const e = (await run(text, source(), { time: 3600 }).catch((x: unknown) => x)) as QueryError;
    expect(e).toBeInstanceOf(QueryError);
    expect(e.code).toBe(code);
    expect(e.message).toContain(msg);
    expect(text.slice(e.span.start.offset, e.span.end.offset)).toBe(gaugeQuery(span));
  });
});
