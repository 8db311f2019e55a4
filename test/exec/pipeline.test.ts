/**
 * Log queries with pipelines, end to end: the kernel's line filters, then the pipeline on the
 * surviving lines, then rows with one Arrow column per label the pipeline added.
 *
 * A small store written here, worked out by hand; then a differential check over the
 * fixture store: a query with a pipeline must give exactly the rows of the same query
 * without it, put through the compiled pipeline one by one (the pipeline's semantics are
 * tested in test/pipeline/; this checks the executor's plumbing: labels in, labels and line
 * out, drops, order, limits and statistics).
 */
import { DataType, type Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { openMemoryStore } from '../../src/browser.js';
import { getStats, openStore, openStoreSetFromSources } from '../../src/node.js';
import { compilePipeline } from '../../src/pipeline/index.js';
import { parseQuery, type VectorSelector } from '../../src/query/index.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { FILES, WEB, WINDOW } from '../support/pipeline-store.js';

const store = openMemoryStore(FILES, { workers: 0 });

/** Rows as plain objects: every column, nulls kept (a parsed label a row lacks is null). */
function rows(table: Table): Record<string, string | null>[] {
  const names = table.schema.fields.map((f) => f.name);
  return Array.from({ length: table.numRows }, (_, i) => {
    const out: Record<string, string | null> = {};
    table.schema.fields.forEach((f, c) => {
      if (f.name === 'time') return;
      out[names[c]!] = (table.getChildAt(c)!.get(i) as string | null) ?? null;
    });
    return out;
  });
}

describe('log queries with pipelines (hand-worked store)', () => {
  it('| json | status >= 500: one row, with a column per extracted label', async () => {
    const t = await store.query('pod{namespace="shop"} | json | status >= 500', WINDOW);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['time', 'namespace', 'pod', 'container', 'line', 'time_raw', 'latency_ms', 'level', 'path', 'status']);
    expect(t.schema.fields.slice(6).every((f) => f.nullable && DataType.isDictionary(f.type))).toBe(true);
    expect(rows(t)).toEqual([
      {
        namespace: 'shop', pod: 'api-1', container: 'api',
        line: '{"level":"error","status":500,"latency_ms":250,"path":"/b"}', time_raw: '2024-09-24T13:00:02.000000Z',
        latency_ms: '250', level: 'error', path: '/b', status: '500',
      },
    ]);
    expect(getStats(t)).toMatchObject({ linesScanned: 5, linesMatched: 1, rowsReturned: 1, truncated: false });
  });

  it('| json | __error__="": errors dropped, absent labels null, clashes renamed', async () => {
    const t = await store.query('pod{namespace="shop"} | json | __error__=""', WINDOW);
    // `pod` clashes with the stream label (pod_extracted, as Loki), `time` with the result column (time_extracted).
    expect(t.schema.fields.slice(6).map((f) => f.name)).toEqual(['latency_ms', 'level', 'path', 'pod_extracted', 'status', 'time_extracted']);
    expect(rows(t).map((r) => [r['container'], r['latency_ms'], r['path'], r['pod_extracted'], r['status'], r['time_extracted']])).toEqual([
      ['api', '12.5', '/a', null, '200', 't1'],
      ['api', '250', '/b', null, '500', null],
      ['sidecar', '3.5', null, 'inner', '201', null],
    ]);
    expect(getStats(t)!.linesMatched).toBe(3);
  });

  it('a line | json cannot read gets __error__ and __error_details__ columns, and stays', async () => {
    const t = await store.query('pod{namespace="shop", pod="api-2"} | json', WINDOW);
    expect(rows(t).map((r) => [r['__error__'], typeof r['__error_details__']])).toEqual([
      ['JSONParserErr', 'string'],
      ['JSONParserErr', 'string'],
    ]);
  });

  it('| logfmt on the logfmt line, | regexp on the plain one', async () => {
    const lf = await store.query('pod{namespace="shop"} | logfmt | level="warn"', WINDOW);
    expect(rows(lf).map((r) => [r['level'], r['status'], r['latency_ms'], r['path']])).toEqual([['warn', '404', '7', '/c']]);
    const re = await store.query('pod{namespace="shop"} | regexp "(?P<method>GET|POST) (?P<path>/\\\\S+)" | method="GET"', WINDOW);
    expect(rows(re).map((r) => [r['pod'], r['method'], r['path'], r['line']])).toEqual([['api-2', 'GET', '/d', 'not json at all GET /d']]);
  });

  it('line_format replaces the line; rows stay in time order across targets', async () => {
    const t = await store.query('pod{namespace=~"shop|web"} | json | __error__="" | line_format "{{.level}} {{.status}}"', WINDOW);
    expect(rows(t).map((r) => `${r['namespace']} ${r['line']}`)).toEqual(['shop info 200', 'shop error 500', 'shop info 201', 'web info 200', 'web error 503']);
  });

  it('drop and keep act on stream labels too', async () => {
    const dropped = await store.query('pod{namespace="web"} | drop container', WINDOW);
    expect(rows(dropped).map((r) => r['container'])).toEqual(['', '']);
    const kept = await store.query('pod{namespace="web"} | json | keep namespace, level', WINDOW);
    expect(kept.schema.fields.slice(6).map((f) => f.name)).toEqual(['level']);
    expect(rows(kept).map((r) => [r['namespace'], r['pod'], r['level']])).toEqual([
      ['web', '', 'info'],
      ['web', '', 'error'],
    ]);
  });

  it('limit keeps the first rows the pipeline lets through; linesMatched counts all of them', async () => {
    const t = await store.query('pod{namespace=~"shop|web"} | json | __error__="" | level="info"', { ...WINDOW, limit: 2, direction: 'backward' });
    expect(rows(t).map((r) => r['time_raw'])).toEqual(['2024-09-24T13:01:00.000000Z', '2024-09-24T13:00:05.000000Z']);
    expect(getStats(t)).toMatchObject({ linesMatched: 3, rowsReturned: 2, truncated: true });
  });

  it('count runs the pipeline without keeping rows', async () => {
    expect((await store.count('pod{namespace=~"shop|web"} | json | status >= 500', WINDOW)).count).toBe(2);
    expect((await store.count('pod{namespace=~"shop|web"} |= "info" | json | latency_ms < 50', WINDOW)).count).toBe(2);
    expect((await store.count('pod{namespace=~"shop|web"} | json | __error__!=""', WINDOW)).count).toBe(2);
  });

  it('a count with | regexp whose groups nobody reads is the count without it; reading a group filters', async () => {
    const all = (await store.count('pod{namespace=~"shop|web"}', WINDOW)).count;
    const re = '| regexp "(?P<key>[a-z_]+)\\":(?P<num>[0-9]+)"';
    expect((await store.count(`pod{namespace=~"shop|web"} ${re}`, WINDOW)).count).toBe(all);
    const stats = getStats(await store.query(`pod{namespace=~"shop|web"} ${re} | num != ""`, WINDOW))!;
    expect((await store.count(`pod{namespace=~"shop|web"} ${re} | num != ""`, WINDOW)).count).toBe(stats.linesMatched);
    expect(stats.linesMatched).toBeLessThan(all);
    expect(stats.linesMatched).toBeGreaterThan(0);
  });

  it('line filters after a stage see the line as it is then', async () => {
    const t = await store.query('pod{namespace="shop"} | json | __error__="" | line_format "{{.path}}" |= "/a"', WINDOW);
    expect(rows(t).map((r) => r['line'])).toEqual(['/a']);
  });

  it('the plan runs leading line filters in the kernel and lists the pipeline', async () => {
    const plan = await store.explain('pod{namespace="shop"} |= "status" | json | status >= 500', WINDOW);
    expect(plan.program.lineFilters).toEqual([{ op: 'contains', needle: 'status' }]);
    expect(plan.pipeline!.text).toBe('| json | status >= 500');
    expect(plan.pipeline!.compiled.map((s) => [s.kind, s.extracts])).toEqual([
      ['JsonStage', 'all'],
      ['LabelFilterStage', null],
    ]);
    expect((await store.explain('pod{namespace="shop"} |= "x"', WINDOW)).pipeline).toBeNull();
  });

  it('over a store set, cluster is a label the pipeline reads', async () => {
    const set = openStoreSetFromSources({ a: MemoryChunkSource.fromRecord(FILES), b: MemoryChunkSource.fromRecord({ 'pod/web/2024-09-24_13.log': WEB }) });
    const t = await set.query('pod{namespace="web"} | json | cluster="b" | level="error"', WINDOW);
    expect(rows(t).map((r) => [r['cluster'], r['line']])).toEqual([['b', '{"level":"error","status":503,"latency_ms":900}']]);
  });

  it('bad pipelines are refused before any file is read, with spans', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['pod{namespace="shop"} | regexp "(?P<x>"', 'INVALID_REGEX', '1:33', /missing closing \)/],
      ['pod{namespace="shop"} | json | unwrap latency_ms', 'INVALID_EXPRESSION', '1:30', /unwrap is only allowed in a range aggregation/],
      ['pod{namespace="shop"} | json | level =~ "(oops"', 'INVALID_REGEX', '1:42', /missing closing \)/],
      ['pod{namespace="shop"} | line_format "{{.a"', 'INVALID_EXPRESSION', '1:', /template/],
    ];
    for (const [q, code, at, message] of cases) {
      const err = (await store.query(q, WINDOW).catch((e: unknown) => e)) as { code?: string; message: string; span?: { start: { line: number; column: number } } };
      expect(err.code, q).toBe(code);
      expect(err.message, q).toMatch(message);
      expect(`${err.span?.start.line}:${err.span?.start.column}`.startsWith(at), `${q}: ${JSON.stringify(err.span)}`).toBe(true);
    }
  });
});

describe('pipelines over the fixture store equal the compiled pipeline applied to plain rows', () => {
  const fixture = openStore(FIXTURE_STORE, { workers: 0 });
  const window = { start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z' };
  const cases: [string, string][] = [
    ['pod{namespace=~".+"}', '| json | __error__="" | level=~"warn|error"'],
    ['pod{namespace=~".+"}', '| logfmt | elapsed > 5ms'],
    ['pod{namespace=~".+"} |= "GET"', '| regexp "(?P<method>[A-Z]+) (?P<path>/[^ ?]*)" | line_format "{{.method}} {{.path}}"'],
    ['pod{namespace=~".+"}', '| pattern "<_> \\"<method> <path> <_>\\" <status> <_>" | status >= 400'],
    ['pod{namespace=~".+"}', '| json | drop __error_details__ | label_format ns="{{.namespace}}/{{.pod}}"'],
    ['node{node=~".+"}', '| decolorize | logfmt | keep node, level'],
    ['node{node=~".+"} |~ "(?i)error|fail"', '| line_format "{{.process | ToUpper}}: {{__line__}}"'],
  ];
  it.each(cases)('%s %s', async (selector, pipeline) => {
    const plain = await fixture.query(selector, { ...window, limit: null });
    const piped = await fixture.query(`${selector} ${pipeline}`, { ...window, limit: null });
    const compiled = compilePipeline((parseQuery(`${selector} ${pipeline}`) as VectorSelector).pipeline);
    const streamNames = plain.schema.fields.map((f) => f.name).filter((n) => !['time', 'line', 'time_raw'].includes(n));
    const want: string[] = [];
    for (const r of rows(plain)) {
      const labels: Record<string, string> = {};
      for (const n of streamNames) if (r[n]) labels[n] = r[n]!;
      const out = compiled.process(r['line']!, labels);
      if (out === null) continue;
      want.push(JSON.stringify([r['time_raw'], out.line, Object.entries(out.labels).sort()]));
    }
    const have = rows(piped).map((r) => {
      const labels = Object.entries(r)
        .filter(([k, v]) => k !== 'line' && k !== 'time_raw' && v !== null && v !== '')
        .map(([k, v]) => [k.replace(/^(time|line)_extracted$/, '$1'), v as string] as [string, string]);
      return JSON.stringify([r['time_raw'], r['line'], labels.sort()]);
    });
    expect(have.length, 'the pipeline keeps some rows and drops some (a meaningful case)').toBeGreaterThan(0);
    expect(have).toEqual(want);
    expect(getStats(piped)!.linesMatched).toBe(want.length);
  });
});
