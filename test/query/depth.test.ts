/**
 * Issue 16 point 4: deep nesting is refused with QUERY_TOO_DEEP (code + span) before any
 * recursive walker sees it, and a query exactly at a limit works everywhere: parse, print
 * (round trip), explain, evaluate — in the library, the CLI (exit 2) and the server (400).
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { LogStore } from '../../src/api.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { parseQuery, printQuery, QueryError } from '../../src/core.js';
import { stripSpans } from '../../src/query/index.js';
import { main } from '../../src/cli/main.js';
import { MAX_QUERY_DEPTH, MAX_QUERY_NESTING } from '../../src/query/depth.js';
import { FIXTURE_STORE } from '../support/paths.js';

const OPTS = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' } as const;
const COT = 'count_over_time(pod{namespace="default"}[5m])';
/** `COT` reaches depth 3 (top level, its parentheses, its braces/brackets). */
const COT_DEPTH = 3;

/** Each case: a query at the limit, and one level more. */
const CASES: { name: string; at: string; over: string; metric: boolean }[] = [
  { name: 'parentheses', at: '('.repeat(MAX_QUERY_NESTING - COT_DEPTH) + COT + ')'.repeat(MAX_QUERY_NESTING - COT_DEPTH), over: '('.repeat(MAX_QUERY_NESTING - COT_DEPTH + 1) + COT + ')'.repeat(MAX_QUERY_NESTING - COT_DEPTH + 1), metric: true },
  { name: 'unary minus', at: '-'.repeat(MAX_QUERY_NESTING - COT_DEPTH) + COT, over: '-'.repeat(MAX_QUERY_NESTING - COT_DEPTH + 1) + COT, metric: true },
  { name: 'unary after a binary minus', at: `1 - ${'-'.repeat(MAX_QUERY_NESTING - 1)}1`, over: `1 - ${'-'.repeat(MAX_QUERY_NESTING)}1`, metric: true },
  { name: 'right-associative ^', at: Array(MAX_QUERY_NESTING).fill('1').join(' ^ '), over: Array(MAX_QUERY_NESTING + 1).fill('1').join(' ^ '), metric: true },
  { name: 'nested aggregations', at: 'sum('.repeat(MAX_QUERY_NESTING - COT_DEPTH) + COT + ')'.repeat(MAX_QUERY_NESTING - COT_DEPTH), over: 'sum('.repeat(MAX_QUERY_NESTING - COT_DEPTH + 1) + COT + ')'.repeat(MAX_QUERY_NESTING - COT_DEPTH + 1), metric: true },
  { name: 'binary chain', at: Array(MAX_QUERY_DEPTH).fill('1').join(' + '), over: Array(MAX_QUERY_DEPTH + 1).fill('1').join(' + '), metric: true },
  // A range aggregation is 3 levels itself (RangeAggregation → MatrixSelector → VectorSelector).
  { name: 'binary chain of range aggregations', at: Array(MAX_QUERY_DEPTH - 3).fill(COT).join(' or '), over: Array(MAX_QUERY_DEPTH - 2).fill(COT).join(' or '), metric: true },
  {
    name: 'label filter parentheses',
    at: `pod{namespace="default"} | ${'('.repeat(MAX_QUERY_NESTING - 1)}a > 1${')'.repeat(MAX_QUERY_NESTING - 1)}`,
    over: `pod{namespace="default"} | ${'('.repeat(MAX_QUERY_NESTING)}a > 1${')'.repeat(MAX_QUERY_NESTING)}`,
    metric: false,
  },
  {
    // pipeline: VectorSelector → LabelFilter stage → the and-chain.
    name: 'label filter chain',
    at: `pod{namespace="default"} | ${Array(MAX_QUERY_DEPTH - 2).fill('a > 1').join(' and ')}`,
    over: `pod{namespace="default"} | ${Array(MAX_QUERY_DEPTH).fill('a > 1').join(' and ')}`,
    metric: false,
  },
];

function refusal(q: string): QueryError {
  try {
    parseQuery(q);
  } catch (e) {
    if (e instanceof QueryError) return e;
    throw e;
  }
  throw new Error('expected QUERY_TOO_DEEP');
}

describe('query nesting limits (QUERY_TOO_DEEP)', () => {
  for (const c of CASES) {
    it(`${c.name}: one level over the limit is refused with the code and a span`, () => {
      const e = refusal(c.over);
      expect(e.code).toBe('QUERY_TOO_DEEP');
      expect(e.message).toMatch(/nested too deeply.*limit \d+/);
      expect(e.span.start.offset).toBeGreaterThanOrEqual(0);
      expect(e.span.end.offset).toBeLessThanOrEqual(c.over.length);
    });
    it(`${c.name}: exactly at the limit parses, prints, round-trips, explains and evaluates`, async () => {
      const expr = parseQuery(c.at);
      const printed = printQuery(expr);
      expect(stripSpans(parseQuery(printed))).toEqual(stripSpans(expr));
      const store = openStore(FIXTURE_STORE);
      try {
        if (c.metric) {
          const plan = await store.explainMetric(expr, OPTS);
          expect(plan.kind).toBe('MetricQueryPlan');
          const { result } = await store.queryMetric(expr, { ...OPTS, step: '30m' });
          expect(['matrix', 'scalar', 'vector']).toContain(result.resultType);
        } else {
          const plan = await store.explain(expr, OPTS);
          expect(plan.files.length).toBeGreaterThan(0);
          const table = await store.query(expr, OPTS);
          expect(table.numRows).toBeGreaterThanOrEqual(0);
        }
      } finally {
        await store.close();
      }
    });
  }

  it('the attacker review cases (150 parentheses, 2,000 unary minuses, 1,000-term ^) are query errors, not crashes', () => {
    for (const q of ['('.repeat(150) + '1' + ')'.repeat(150), '-'.repeat(2000) + '1', Array(1000).fill('1').join(' ^ '), '{'.repeat(100000)]) {
      expect(refusal(q).code).toBe('QUERY_TOO_DEEP');
    }
    // The parser singleton is still healthy afterwards.
    expect(printQuery(parseQuery('sum(rate(pod{namespace="a"}[5m]))'))).toBe('sum(rate(pod{namespace="a"}[5m]))');
  });

  it('templates: {{if}} and parentheses past the limit are QUERY_TOO_DEEP with a span into the template', () => {
    for (const t of ['{{ ' + '('.repeat(5000) + '__line__' + ')'.repeat(5000) + ' }}', '{{if 1}}'.repeat(5000) + 'x' + '{{end}}'.repeat(5000)]) {
      const e = refusal(`pod{namespace="a"} | line_format "${t}"`);
      expect(e.code).toBe('QUERY_TOO_DEEP');
    }
    const at = '{{ ' + '('.repeat(MAX_QUERY_NESTING) + '__line__' + ')'.repeat(MAX_QUERY_NESTING) + ' }}';
    expect(() => parseQuery(`pod{namespace="a"} | line_format "${at}"`)).not.toThrow();
  });

  it('a log line of JSON nested 200,000 deep gets __error__ (| json, | json path, | unpack); the query survives', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const objects = `{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_001)}`;
    const store = new LogStore(MemoryChunkSource.fromRecord({ 'pod/a/2024-01-01_00.log': `2024-01-01T00:00:00Z[a|p|c] ${deep}\n2024-01-01T00:00:01Z[a|p|c] ${objects}\n2024-01-01T00:00:02Z[a|p|c] {"ok":"yes"}\n` }));
    for (const q of ['pod{namespace="a"} | json', 'pod{namespace="a"} | json v="a.a.a"', 'pod{namespace="a"} | unpack']) {
      const table = await store.query(q, { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' });
      expect(table.numRows).toBe(3);
    }
    const errs = await store.query('pod{namespace="a"} | json | __error__ != ""', { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' });
    expect(errs.numRows).toBe(2);
  });

  it('CLI: exit 2 with the code and a caret, no stack trace', async () => {
    const chunks: string[] = [];
    const sink = { isTTY: false, write: (d: string | Uint8Array, cb?: () => void) => (chunks.push(String(d)), cb?.(), true) };
    const code = await main(['query', '--store', FIXTURE_STORE, '('.repeat(150) + '1' + ')'.repeat(150)], { stdout: sink as never, stderr: sink as never, env: {} });
    expect(code).toBe(2);
    expect(chunks.join('')).toContain('QUERY_TOO_DEEP');
    expect(chunks.join('')).not.toContain('RangeError');
  });
});
