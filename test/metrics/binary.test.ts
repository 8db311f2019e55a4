/**
 * Binary operators: arithmetic, comparisons with and without bool, set operators, vector
 * matching (on/ignoring, group_left/group_right with extra labels), scalar operands,
 * unary minus, __name__ handling, and PromQL's matching errors with spans.
 */
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../src/errors.js';
import { MemorySampleSource } from '../../src/metrics/index.js';
import { gaugeQuery, gauges, run, vectorRows } from './helpers.js';

const source = () =>
  new MemorySampleSource({
    'gauge{name="L"}': gauges([
      [{ job: 'api', pod: 'p1', role: 'r1' }, 10],
      [{ job: 'api', pod: 'p2', role: 'r2' }, 20],
      [{ job: 'web', pod: 'p3' }, 30],
    ]),
    'gauge{name="R"}': gauges([
      [{ job: 'api', pod: 'p1', role: 'r1' }, 2],
      [{ job: 'api', pod: 'p2', role: 'other' }, 8],
      [{ job: 'db', pod: 'p9' }, 7],
    ]),
    // One series per job, with labels to copy across.
    'gauge{name="J"}': gauges([
      [{ job: 'api', team: 'core', tier: 'back' }, 100],
      [{ job: 'web', team: 'ui', tier: 'front' }, 1000],
    ]),
    // Two series for job="api": not unique on the "one" side.
    'gauge{name="D"}': gauges([
      [{ job: 'api', x: '1' }, 1],
      [{ job: 'api', x: '2' }, 2],
    ]),
  });

const P1 = '{job="api", pod="p1", role="r1"}';
const P2 = '{job="api", pod="p2", role="r2"}';
const P3 = '{job="web", pod="p3"}';

const vectorCases: { q: string; want: [string, number][] }[] = [
  // Default matching uses every label: only p1 has the same labels on both sides.
  { q: 'L + R', want: [[P1, 12]] },
  { q: 'L - R', want: [[P1, 8]] },
  { q: 'L * R', want: [[P1, 20]] },
  { q: 'L / R', want: [[P1, 5]] },
  { q: 'L % R', want: [[P1, 0]] },
  { q: 'L ^ R', want: [[P1, 100]] },
  // ignoring(role): p1 10+2, p2 20+8; one-to-one drops the ignored label.
  { q: 'L + ignoring(role) R', want: [['{job="api", pod="p1"}', 12], ['{job="api", pod="p2"}', 28]] },
  { q: 'L % ignoring(role) R', want: [['{job="api", pod="p1"}', 0], ['{job="api", pod="p2"}', 4]] },
  { q: 'L / ignoring(role) R', want: [['{job="api", pod="p1"}', 5], ['{job="api", pod="p2"}', 2.5]] },
  // on(pod): one-to-one keeps only the on labels.
  { q: 'L - on(pod) R', want: [['{pod="p1"}', 8], ['{pod="p2"}', 12]] },
  // Comparisons filter and keep the left value (labels as for arithmetic: on(pod) keeps pod);
  // bool gives 0/1 for every match.
  { q: 'L > on(pod) R', want: [['{pod="p1"}', 10], ['{pod="p2"}', 20]] },
  { q: 'L > ignoring(role) R', want: [['{job="api", pod="p1"}', 10], ['{job="api", pod="p2"}', 20]] },
  { q: 'L < on(pod) R', want: [] },
  { q: 'L == on(pod) R', want: [] },
  { q: 'L != on(pod) R', want: [['{pod="p1"}', 10], ['{pod="p2"}', 20]] },
  { q: 'L >= on(pod) R', want: [['{pod="p1"}', 10], ['{pod="p2"}', 20]] },
  { q: 'L <= on(pod) R', want: [] },
  { q: 'L > bool on(pod) R', want: [['{pod="p1"}', 1], ['{pod="p2"}', 1]] },
  { q: 'L < bool on(pod) R', want: [['{pod="p1"}', 0], ['{pod="p2"}', 0]] },
  { q: 'L == bool L', want: [[P1, 1], [P2, 1], [P3, 1]] },
  // many-to-one: every L series matches its job's J series; group_left(team) copies team.
  // p1 10·100, p2 20·100, p3 30·1000.
  {
    q: 'L * on(job) group_left(team) J',
    want: [
      ['{job="api", pod="p1", role="r1", team="core"}', 1000],
      ['{job="api", pod="p2", role="r2", team="core"}', 2000],
      ['{job="web", pod="p3", team="ui"}', 30000],
    ],
  },
  { q: 'L * on(job) group_left J', want: [[P1, 1000], [P2, 2000], [P3, 30000]] },
  {
    q: 'L * on(job) group_left(team, tier) J',
    want: [
      ['{job="api", pod="p1", role="r1", team="core", tier="back"}', 1000],
      ['{job="api", pod="p2", role="r2", team="core", tier="back"}', 2000],
      ['{job="web", pod="p3", team="ui", tier="front"}', 30000],
    ],
  },
  // group_left(x) with x absent on the one side removes x from the result.
  { q: 'D * on(job) group_left(tier) J', want: [['{job="api", tier="back", x="1"}', 100], ['{job="api", tier="back", x="2"}', 200]] },
  // one-to-many: labels from the right (many) side, values in query order: 100/10, 100/20, 1000/30.
  {
    q: 'J / on(job) group_right(team) L',
    want: [
      ['{job="api", pod="p1", role="r1", team="core"}', 10],
      ['{job="api", pod="p2", role="r2", team="core"}', 5],
      ['{job="web", pod="p3", team="ui"}', 1000 / 30],
    ],
  },
  // A filtering comparison keeps the left operand's value even when the right side is "many".
  { q: 'J > on(job) group_right L', want: [[P1, 100], [P2, 100], [P3, 1000]] },
  // Set operators.
  { q: 'L and R', want: [[P1, 10]] },
  { q: 'L and on(job) R', want: [[P1, 10], [P2, 20]] },
  { q: 'L unless R', want: [[P2, 20], [P3, 30]] },
  { q: 'L unless on(job) R', want: [[P3, 30]] },
  { q: 'L unless ignoring(role) R', want: [[P3, 30]] },
  {
    q: 'L or R',
    // Sorted by labels: role="other" < role="r2".
    want: [[P1, 10], ['{job="api", pod="p2", role="other"}', 8], [P2, 20], ['{job="db", pod="p9"}', 7], [P3, 30]],
  },
  { q: 'L or on(job) R', want: [[P1, 10], [P2, 20], ['{job="db", pod="p9"}', 7], [P3, 30]] },
  // Vector and scalar.
  { q: 'L * 2', want: [[P1, 20], [P2, 40], [P3, 60]] },
  { q: '2 - L', want: [[P1, -8], [P2, -18], [P3, -28]] },
  { q: 'L > 15', want: [[P2, 20], [P3, 30]] },
  { q: '15 < L', want: [[P2, 20], [P3, 30]] },
  { q: 'L == 20', want: [[P2, 20]] },
  { q: 'L > bool 15', want: [[P1, 0], [P2, 1], [P3, 1]] },
  { q: '15 >= bool L', want: [[P1, 1], [P2, 0], [P3, 0]] },
  { q: '-L', want: [[P1, -10], [P2, -20], [P3, -30]] },
  { q: '+L', want: [[P1, 10], [P2, 20], [P3, 30]] },
  // __name__: arithmetic and bool drop it, a filtering comparison keeps it.
  { q: 'label_replace(L, "__name__", "m", "", "") * 1 > 25', want: [[P3, 30]] },
  { q: 'label_replace(L, "__name__", "m", "", "") > 25', want: [['{__name__="m", job="web", pod="p3"}', 30]] },
  { q: 'label_replace(L, "__name__", "m", "", "") > bool 25', want: [[P1, 0], [P2, 0], [P3, 1]] },
  { q: '-label_replace(L, "__name__", "m", "", "") < -25', want: [[P3, -30]] },
];

describe('vector operations', () => {
  it.each(vectorCases)('$q', async ({ q, want }) => {
    expect(vectorRows(await run(gaugeQuery(q), source(), { time: 3600 }))).toEqual(want);
  });
});

describe('scalar operations', () => {
  it.each([
    { q: '1 + 2', want: 3 },
    { q: '2 ^ 3 ^ 2', want: 512 },
    { q: '5 % 3', want: 2 },
    // Go's math.Mod keeps the dividend's sign.
    { q: '-5 % 3', want: -2 },
    { q: '5 % -3', want: 2 },
    { q: '1 / 0', want: Infinity },
    { q: '-1 / 0', want: -Infinity },
    { q: '0 / 0', want: NaN },
    // Go's math.Pow, not JS's: (−1)^±Inf = 1, 1^NaN = 1, NaN^0 = 1.
    { q: '(-1) ^ Inf', want: 1 },
    { q: '1 ^ NaN', want: 1 },
    { q: 'NaN ^ 0', want: 1 },
    { q: '2 atan2 0', want: Math.PI / 2 },
    { q: '1 > bool 2', want: 0 },
    { q: '3 == bool 3', want: 1 },
    { q: 'NaN == bool NaN', want: 0 },
    { q: 'NaN != bool NaN', want: 1 },
    { q: '-(1)', want: -1 },
    { q: 'scalar(L > 25) * 2', want: 60 },
  ])('$q = $want', async ({ q, want }) => {
    const result = await run(gaugeQuery(q), source(), { time: 3600 });
    expect(result.resultType).toBe('scalar');
    expect(result.series[0]!.samples[0]![1]).toEqual(want);
  });
});

describe('binary operator errors', () => {
  it.each([
    {
      q: 'L + on(job) D',
      msg: 'found duplicate series for the match group {job="api"} on the right hand-side of the operation: [{job="api", x="2"}, {job="api", x="1"}];many-to-many matching not allowed: matching labels must be unique on one side',
    },
    {
      q: 'D + on(job) group_right L',
      msg: 'found duplicate series for the match group {job="api"} on the left hand-side of the operation',
    },
    { q: 'L + on(job) J', msg: 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)' },
    { q: 'D * on(job) group_left(x) J', msg: 'multiple matches for labels: grouping labels must ensure unique matches' },
    { q: 'L and 1', msg: 'set operator "and" not allowed in binary scalar expression' },
    { q: '1 or 2', msg: 'set operator "or" not allowed in binary scalar expression' },
    { q: '1 > 2', msg: 'comparisons between scalars must use BOOL modifier' },
    { q: 'L + on(job) 1', msg: 'vector matching only allowed between instant vectors' },
    { q: 'L + "a"', msg: 'binary expression must contain only scalar and instant vector types' },
    { q: '-"a"', msg: 'unary expression only allowed on expressions of type scalar or instant vector' },
  ])('$q', async ({ q, msg }) => {
    const text = gaugeQuery(q);
    const e = (await run(text, source(), { time: 3600 }).catch((x: unknown) => x)) as QueryError;
    expect(e).toBeInstanceOf(QueryError);
    expect(e.code).toBe('INVALID_EXPRESSION');
    expect(e.message).toContain(msg);
    // The span is the whole binary (or unary) expression.
    expect(text.slice(e.span.start.offset, e.span.end.offset)).toBe(text);
  });
});
