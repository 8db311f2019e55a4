/**
 * LogQL additions of issue 15 point 6, end to end on the bundled fixture store: parse →
 * print round trip, then results checked against the equivalent query.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { parseQuery, printQuery } from '../../src/query/index.js';
import { FIXTURE_STORE } from '../support/paths.js';

const store = openStore(FIXTURE_STORE, { workers: 0 });
afterAll(() => store.close());
const at = { end: '2024-09-24T16:00:00Z' };

describe('approx_topk', () => {
  it('parses, prints back, and is computed exactly as topk', async () => {
    const q = 'approx_topk(2, sum by (pod) (count_over_time(pod{namespace="default"}[3h])))';
    expect(printQuery(parseQuery(q))).toBe(q);
    const approx = await store.queryMetric(q, at);
    const exact = await store.queryMetric(q.replace('approx_topk', 'topk'), at);
    expect(approx.result.series.length).toBe(2);
    expect(approx.result).toEqual(exact.result);
    const range = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z', step: '1h' };
    expect((await store.queryMetric(q, range)).result).toEqual((await store.queryMetric(q.replace('approx_topk', 'topk'), range)).result);
  });
  it('needs its parameter', () => {
    expect(() => parseQuery('approx_topk(sum(count_over_time(pod{namespace="default"}[1h])))')).toThrow(/wrong number of arguments for aggregate expression/);
  });
});
