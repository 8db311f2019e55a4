/**
 * "Parsers run only on surviving lines and only extract the fields the query needs": what
 * the compiler tells each parser to extract, for a consumer that reads only some labels,
 * and what that changes on real lines.
 */
import { describe, expect, it } from 'vitest';
import { pipelineOf } from './helpers.js';

type Row = [query: string, output: readonly string[] | 'all', extracts: ('all' | string[] | null)[], readsWholeLine: boolean[], inputLabels: 'all' | string[]];

const Q = 'pod{namespace="a"}';

const rows: Row[] = [
  // A log query shows every label: everything is extracted.
  [`${Q} | json | status >= 500`, 'all', ['all', null], [true, false], 'all'],
  // `sum by (namespace) (count_over_time(… | json | status >= 500 [5m]))`: json needs only status.
  [`${Q} | json | status >= 500`, ['namespace'], [['namespace', 'status'], null], [false, false], ['namespace', 'status']],
  // Reading `__error__` makes parsers read whole lines.
  [`${Q} | json | __error__ = "" | status >= 500`, ['namespace'], [['__error__', 'namespace', 'status'], null, null], [true, false, false], ['__error__', 'namespace', 'status']],
  // Two parsers: each extracts what is needed after it.
  [`${Q} | logfmt | json | a = "1" | b = "2"`, [], [['a', 'b'], ['a', 'b'], null, null], [false, false, false, false], ['a', 'b']],
  // line_format names its fields; the line filter after it needs no label.
  [`${Q} | json | line_format "{{.method}} {{.path | upper}}" |= "GET"`, [], [['method', 'path'], null, null], [false, false, false], ['method', 'path']],
  // label_format: a rename needs its source instead of its destination.
  [`${Q} | json | label_format dst=src | dst = "x"`, [], [['src'], null, null], [false, false, false], ['src']],
  [`${Q} | json | label_format d="{{.a}}{{.b}}" | d = "x"`, [], [['a', 'b'], null, null], [false, false, false], ['a', 'b']],
  // keep turns "all" into its list (plus the error labels it always keeps).
  [`${Q} | json | keep level, method="GET"`, 'all', [['__error__', '__error_details__', 'level', 'method'], null], [true, false], ['__error__', '__error_details__', 'level', 'method']],
  // drop removes a name from what is needed; with a matcher it reads it.
  [`${Q} | json | drop x, y="1"`, ['x', 'y', 'z'], [['y', 'z'], null], [false, false], ['y', 'z']],
  // unwrap reads its label; a metric grouped by pod needs pod too.
  [`sum_over_time(${Q} | json | unwrap latency_ms [1m])`, ['pod'], [['latency_ms', 'pod'], null], [false, false], ['latency_ms', 'pod']],
  // A metric grouped `without (…)` reads every other label: 'all'.
  [`sum_over_time(${Q} | json | unwrap latency_ms [1m])`, 'all', ['all', null], [true, false], 'all'],
  // pattern and regexp with a subset.
  [`${Q} | pattern "<ip> <_> <status>" | status >= 500`, [], [['status'], null], [false, false], ['status']],
];

describe('what each parser extracts', () => {
  it.each(rows)('%s → %j', (query, output, extracts, whole, input) => {
    const p = pipelineOf(query, { outputLabels: output });
    expect(p.stages.map((s) => s.extracts)).toEqual(extracts);
    expect(p.stages.map((s) => s.readsWholeLine)).toEqual(whole);
    expect(p.inputLabels).toEqual(input);
  });
});

describe('extracting a subset', () => {
  const line = '{"status":503,"method":"GET","nested":{"deep":{"x":1}},"path":"/a"}';

  it('materialises only the needed labels', () => {
    const p = pipelineOf(`${Q} | json | status >= 500`, { outputLabels: ['namespace'] });
    expect({ ...p.process(line, { namespace: 'a' })!.labels }).toEqual({ namespace: 'a', status: '503' });
    const all = pipelineOf(`${Q} | json | status >= 500`);
    expect({ ...all.process(line, { namespace: 'a' })!.labels }).toEqual({ namespace: 'a', status: '503', method: 'GET', nested_deep_x: '1', path: '/a' });
  });

  it('descends into nested objects only toward a needed label', () => {
    const p = pipelineOf(`${Q} | json | nested_deep_x = "1"`, { outputLabels: [] });
    expect({ ...p.process(line, {})!.labels }).toEqual({ nested_deep_x: '1' });
  });

  it('stops at the last needed label unless __error__ is read (as Loki: the tail is not validated)', () => {
    const broken = '{"status":503, "tail": oops';
    const subset = pipelineOf(`${Q} | json | status >= 500`, { outputLabels: [] });
    expect({ ...subset.process(broken, {})!.labels }).toEqual({ status: '503' });
    const exact = pipelineOf(`${Q} | json | status >= 500`, { outputLabels: ['__error__'] });
    expect({ ...exact.process(broken, {})!.labels }).toEqual({ status: '503', __error__: 'JSONParserErr', __error_details__: 'unexpected character at offset 23' });
    const filtered = pipelineOf(`${Q} | json | __error__ = "" | status >= 500`, { outputLabels: [] });
    expect(filtered.process(broken, {})).toBe(null);
  });

  it('finds _extracted twins of stream labels', () => {
    const p = pipelineOf(`${Q} | logfmt | pod_extracted = "x"`, { outputLabels: [] });
    expect({ ...p.process('pod=x other=y', { pod: 'p' })!.labels }).toEqual({ pod: 'p', pod_extracted: 'x' });
  });

  it('reuses one result object (callers copy what they keep)', () => {
    const p = pipelineOf(`${Q} | logfmt`);
    const a = p.process('a=1', {});
    const b = p.process('a=2', {});
    expect(a).toBe(b);
    expect(b!.labels).toEqual({ a: '2' });
  });
});

describe('| regexp extracts only what is read', () => {
  const RE = '| regexp "(?P<method>[A-Z]+) (?P<path>\\\\S+) HTTP"';
  const line = '10.0.0.1 - - "GET /api/v1/users HTTP/1.1" 200';

  it('a count reads none of its groups: the stage keeps every line and sets nothing', () => {
    const p = pipelineOf(`${Q} ${RE}`, { outputLabels: [] });
    expect(p.keepsEveryLine).toBe(true);
    expect(pipelineOf(`${Q} ${RE} ${RE}`, { outputLabels: [] }).keepsEveryLine).toBe(true);
    // Anything that may drop a line, or a consumer that reads the groups, needs the pipeline.
    expect(pipelineOf(`${Q} ${RE} | method = "GET"`, { outputLabels: [] }).keepsEveryLine).toBe(false);
    expect(pipelineOf(`${Q} ${RE} |= "x"`, { outputLabels: [] }).keepsEveryLine).toBe(false);
    expect(pipelineOf(`${Q} ${RE}`, { outputLabels: ['method'] }).keepsEveryLine).toBe(false);
    expect(pipelineOf(`${Q} ${RE}`).keepsEveryLine).toBe(false);
    expect(pipelineOf(`${Q} | json`, { outputLabels: [] }).keepsEveryLine).toBe(false);
    expect({ ...p.process(line, { pod: 'p' })!.labels }).toEqual({ pod: 'p' });
    expect(p.process('no match here', {})).not.toBe(null);
  });

  it('a label filter on one group extracts that group (and its _extracted twin)', () => {
    const p = pipelineOf(`${Q} ${RE} | method = "GET"`, { outputLabels: [] });
    expect({ ...p.process(line, {})!.labels }).toEqual({ method: 'GET' });
    expect(p.process('no match here', {})).toBe(null);
    const twin = pipelineOf(`${Q} ${RE} | method_extracted = "GET"`, { outputLabels: [] });
    expect({ ...twin.process(line, { method: 'm' })!.labels }).toEqual({ method: 'm', method_extracted: 'GET' });
  });

  it('a log query shows every group', () => {
    const p = pipelineOf(`${Q} ${RE}`);
    expect({ ...p.process(line, {})!.labels }).toEqual({ method: 'GET', path: '/api/v1/users' });
  });
});
