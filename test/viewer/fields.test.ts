/**
 * The viewer's per-line helpers (viewer/src/fields.ts) and query edits (query-text.ts), in
 * Node: parsed fields must be exactly what the engine's `| json` / `| logfmt` give the same
 * line (checked against the engine over every pod line of the fixture store), levels and
 * dedup keys follow their tables, and every filter edit yields a query the engine accepts
 * with the rows the edit promises.
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { dedupKey, detectLevel, parseFields, prettyJson, stripAnsi, ansiHtml } from '../../viewer/src/fields.js';
import { streamSelector, withFieldFilter, withLabelMatcher } from '../../viewer/src/query-text.js';
import { FIXTURE_STORE } from '../support/paths.js';

const FROM = '2024-09-24T13:00:00Z';
const TO = '2024-09-24T16:00:00Z';
const STREAM = ['namespace', 'pod', 'container'];

/** Each row's labels the pipeline added (non-null, `__error__*` left out). */
function pipelineLabels(table: Awaited<ReturnType<ReturnType<typeof openStore>['query']>>, i: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of table.schema.fields) {
    if (['time', 'line', 'time_raw', ...STREAM].includes(f.name) || f.name.startsWith('__error')) continue;
    const v = table.getChild(f.name)!.get(i) as string | null;
    if (v !== null) out[f.name] = v;
  }
  return out;
}

describe('parsed fields are the engine pipeline labels', () => {
  const store = openStore(FIXTURE_STORE, { workers: 0 });
  for (const parser of ['json', 'logfmt'] as const) {
    it(`| ${parser}: every pod line the viewer parses as ${parser}`, async () => {
      const t = await store.query(`pod{namespace=~".+"} | ${parser}`, { start: FROM, end: TO, limit: 100_000 });
      let checked = 0;
      for (let i = 0; i < t.numRows; i++) {
        const line = t.getChild('line')!.get(i) as string;
        const stream = Object.fromEntries(STREAM.map((n) => [n, t.getChild(n)!.get(i) as string]));
        const got = parseFields(line, stream);
        if (got.parser !== parser) continue;
        checked++;
        expect(Object.fromEntries(got.fields), line).toEqual(pipelineLabels(t, i));
      }
      expect(checked).toBeGreaterThan(parser === 'json' ? 100 : 20);
    });
  }
  it('names a key that is a stream label with _extracted, nested keys joined with _', () => {
    expect(parseFields('{"pod":"x","a":{"b":1,"c":[1]},"n":null}', { pod: 'p' })).toEqual({ parser: 'json', fields: [['pod_extracted', 'x'], ['a_b', '1']] });
    expect(parseFields('level=info msg="a b" dur=3ms', {})).toEqual({ parser: 'logfmt', fields: [['level', 'info'], ['msg', 'a b'], ['dur', '3ms']] });
    expect(parseFields('plain text line', {})).toEqual({ parser: null, fields: [] });
    // Not a JSON object (broken): logfmt is tried next, and finds nothing here.
    expect(parseFields('{"a":', {}).parser).toBeNull();
  });
});

describe('levels', () => {
  const cases: [line: string, labels: Record<string, string>, level: string][] = [
    ['{"level":"error","msg":"x"}', {}, 'error'],
    ['{"severity":"WARNING","msg":"info here"}', {}, 'warn'],
    ['{"lvl":"dbg"}', {}, 'debug'],
    ['time=1 level=warning msg="an error was logged"', {}, 'warn'],
    ['I0924 14:01:08.510372    1234 scope.go:117] "RemoveContainer"', {}, 'info'],
    ['E0924 14:01:08.510372    1234 x.go:1] failed', {}, 'error'],
    ['[INFO] 10.0.0.1 GET /', {}, 'info'],
    ['2024-09-24 14:00:00 ERROR something broke', {}, 'error'],
    ['panic: runtime error', {}, 'fatal'],
    ['GET /healthz 200', {}, 'unknown'],
    ['informational words do not count', {}, 'unknown'],
    ['anything', { level: 'crit' }, 'critical'],
    ['{"msg":"no level key, but an error word"}', {}, 'error'],
  ];
  it.each(cases)('%s %j → %s', (line, labels, level) => {
    expect(detectLevel(line, labels)).toBe(level);
  });
});

describe('line rendering', () => {
  it('pretty-prints JSON keeping every member, and leaves other lines alone', () => {
    expect(prettyJson('{"a":1,"b":{"c":"d"}}')).toBe('{\n  "a": 1,\n  "b": {\n    "c": "d"\n  }\n}');
    expect(prettyJson('not json')).toBeNull();
    expect(prettyJson('{"a":')).toBeNull();
  });
  it('strips ANSI escapes, or renders SGR colours as spans (escaped text)', () => {
    const line = '\x1b[1;31mERROR\x1b[0m <b>\x1b[2K done';
    expect(stripAnsi(line)).toBe('ERROR <b> done');
    expect(ansiHtml(line)).toBe('<span class="ansi-bold ansi-red">ERROR</span> &lt;b&gt; done');
  });
});

describe('dedup keys', () => {
  const cases: [a: string, b: string, mode: 'exact' | 'numbers' | 'signature', same: boolean][] = [
    ['2024-09-24T14:00:00Z GET /a', '2024-09-24T14:00:05.123Z GET /a', 'exact', true],
    ['GET /a', 'GET /b', 'exact', false],
    ['took 12ms id=7', 'took 340ms id=12', 'numbers', true],
    ['took 12ms id=7', 'took 12s id=7', 'numbers', false],
    ['user alice logged in', 'user bob logged out', 'signature', true],
    ['user alice: logged in', 'user bob logged out', 'signature', false],
  ];
  it.each(cases)('%s | %s (%s) → %s', (a, b, mode, same) => {
    expect(dedupKey(a, mode) === dedupKey(b, mode)).toBe(same);
  });
});

describe('query edits from the row detail', () => {
  const store = openStore(FIXTURE_STORE, { workers: 0 });
  const edits: [before: string, edit: (q: string) => string, after: string][] = [
    ['pod{namespace="shop"}', (q) => withLabelMatcher(q, 'pod', 'api-7d9f8b6c5-x2k4p', true), 'pod{namespace="shop", pod="api-7d9f8b6c5-x2k4p"}'],
    ['pod{namespace="shop", pod="a"} |= "x"', (q) => withLabelMatcher(q, 'pod', 'b', true), 'pod{namespace="shop", pod="b"} |= "x"'],
    ['pod{namespace="shop"} |= "x"', (q) => withLabelMatcher(q, 'container', 'api', false), 'pod{namespace="shop", container!="api"} |= "x"'],
    ['pod{namespace="shop", container="api"}', (q) => withLabelMatcher(q, 'container', 'api', false), 'pod{namespace="shop", container!="api"}'],
    ['pod{namespace="a,b}"}', (q) => withLabelMatcher(q, 'pod', 'p', true), 'pod{namespace="a,b}", pod="p"}'],
    ['pod{namespace="shop"}', (q) => withFieldFilter(q, 'json', 'status', '502', true), 'pod{namespace="shop"} | json | status="502"'],
    ['pod{namespace="shop"} | json', (q) => withFieldFilter(q, 'json', 'level', 'info', false), 'pod{namespace="shop"} | json | level!="info"'],
    ['pod{namespace="shop"} # mine', (q) => withFieldFilter(q, 'logfmt', 'a', 'x"y', true), 'pod{namespace="shop"} # mine\n| logfmt | a="x\\"y"'],
    ['pod{namespace="shop"} | json', (q) => withFieldFilter(q, null, 'level', 'error', true), 'pod{namespace="shop"} | json | level="error"'],
  ];
  it.each(edits)('%s', async (before, edit, after) => {
    const q = edit(before);
    expect(q).toBe(after);
    await store.query(q, { start: FROM, end: TO, limit: 1 }); // the engine accepts it
  });
  it('filter for / out split the rows between them', async () => {
    const base = 'pod{namespace="shop"}';
    const all = await store.count(base, { start: FROM, end: TO });
    const inc = await store.count(withFieldFilter(base, 'json', 'level', 'error', true), { start: FROM, end: TO });
    const exc = await store.count(withFieldFilter(base, 'json', 'level', 'error', false), { start: FROM, end: TO });
    expect(inc.count).toBeGreaterThan(0);
    expect(inc.count + exc.count).toBe(all.count);
  });
  it('builds the exact stream selector of a row', () => {
    expect(streamSelector('pod', { namespace: 'shop', pod: 'a"b', container: '' })).toBe('pod{namespace="shop", pod="a\\"b"}');
  });
});

describe('pretty JSON keeps tokens as written', () => {
  it.each([
    ['{"a":1.50,"b":12345678901234567890}', '{\n  "a": 1.50,\n  "b": 12345678901234567890\n}'],
    ['{"s":"x,{y}:\\"z\\"","e":{},"l":[ ],"n":[1,[2]]}', '{\n  "s": "x,{y}:\\"z\\"",\n  "e": {},\n  "l": [],\n  "n": [\n    1,\n    [\n      2\n    ]\n  ]\n}'],
  ])('%s', (line, pretty) => {
    expect(prettyJson(line)).toBe(pretty);
    expect(JSON.parse(pretty)).toEqual(JSON.parse(line));
  });
});
