/**
 * Fuzzing the query front end and the evaluator (issue 16): LetheQL queries from a grammar
 * (selectors, line filters, pipeline stages, templates, range and vector aggregations,
 * binary operators, nesting), and mutations of the corpus (cuts, insertions of tokens and
 * brackets, duplications). Every one must parse or fail with a QueryError, print and parse
 * back to the same tree, and evaluate or fail with a LetheQLError (`harness.ts`). A hang
 * fails through the test timeout. Budget and seed: `config.ts`.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { LOGQL_CORPUS, PROMQL_CORPUS } from '../query/corpus.js';
import { fuzzParams, fuzzTimeout } from './config.js';
import { checkQuery, fuzzStore, reached } from './harness.js';

const store = fuzzStore();

const str = fc.constantFrom('""', '"a"', '"error"', '"ü🎉"', '"\\\\d+"', '"x|y"', '`raw`', '"(?i)err"', '"["', '"%"', '"{{"', '"\\u0000"');
const regexLit = fc.constantFrom('".*"', '"a|b"', '"(?P<x>\\\\w+)"', '"[[:alpha:]]+"', '"(?i)ERR"', '"\\\\d{3}"', '"("', '"a**"', '"\\\\pL+"', '"(a*)*b"', '"^$"', '"(?s).{0,3}"');
const dur = fc.constantFrom('1s', '5m', '1h', '30s', '10m', '1ms', '0s');
const labelName = fc.constantFrom('namespace', 'pod', 'container', 'status', 'level', 'latency', 'x', 'msg', '__error__', 'user');
const labelValue = fc.constantFrom('"x"', '"200"', '500', '1.5s', '10KB', '-1', '0', '1e309', '""', '"a.*"');
const labelOp = fc.constantFrom('=', '!=', '=~', '!~', '>', '>=', '<', '<=', '==');

const templateFn = fc.constantFrom('repeat', 'printf', 'alignLeft', 'alignRight', 'indent', 'nindent', 'replace', 'regexReplaceAll', 'trunc', 'substr', 'upper', 'b64enc', 'urlencode', 'ToUpper', 'Replace', 'default', 'add', 'div', 'mod', 'round', 'len', 'eq', 'lt', 'and', 'not', 'title', 'trim', 'count');
const templateArg = fc.oneof(
  fc.constantFrom('.x', '.msg', '.status', '__line__', '"s"', '"%05d"', '"%.200f"', '"%0999999999d"', '""', '"ü"', '3', '-1', '0', '2147483648', '1.5', 'true', '"a"'),
  fc.integer({ min: -3, max: 100_000_000 }).map(String),
);
const templateAction = fc.oneof(
  fc.constantFrom('{{.x}}', '{{ __line__ }}', '{{ .msg | upper }}', '{{ repeat 4 .level }}', '{{ printf "%5.2f|%-8s|%x" 3.14159 .level .x }}'),
  fc.tuple(templateFn, fc.array(templateArg, { maxLength: 4 })).map(([f, a]) => `{{ ${f} ${a.join(' ')} }}`),
  fc.tuple(templateFn, templateArg, templateFn, fc.array(templateArg, { maxLength: 3 })).map(([f, a, g, b]) => `{{ ${f} ${a} | ${g} ${b.join(' ')} }}`),
  fc.tuple(templateFn, fc.array(templateArg, { maxLength: 2 }), templateFn, fc.array(templateArg, { maxLength: 2 })).map(([f, a, g, b]) => `{{ ${f} (${g} ${b.join(' ')}) ${a.join(' ')} }}`),
  fc.constantFrom('{{if .x}}a{{else}}b{{end}}', '{{- .msg -}}', '{{/* c */}}', '{{', '}}', '{{ $x }}', '{{ range . }}'),
);
const template = fc.array(fc.oneof(fc.constantFrom('t', ' ', '"', '\\', 'ü'), templateAction), { maxLength: 4 }).map((p) => p.join(''));

const stage = fc.oneof(
  fc.constantFrom('| json', '| logfmt', '| unpack', '| decolorize', '| logfmt --strict', '| json v="nested.a[2].b"', '| pattern "<ip> <_> <status>"', '| pattern "<_>"'),
  regexLit.map((r) => `| regexp ${r}`),
  fc.tuple(labelName, labelOp, labelValue).map(([n, o, v]) => `| ${n} ${o} ${v}`),
  fc.tuple(labelName, labelOp, labelValue, fc.constantFrom('and', 'or', ','), labelName, labelOp, labelValue).map(([a, b, c, j, d, e, f]) => `| (${a} ${b} ${c} ${j} ${d} ${e} ${f})`),
  template.map((t) => `| line_format ${JSON.stringify(t)}`),
  fc.tuple(labelName, template).map(([n, t]) => `| label_format ${n}=${JSON.stringify(t)}`),
  fc.tuple(labelName, labelName).map(([a, b]) => `| label_format ${a}=${b}`),
  labelName.map((n) => `| drop ${n}`),
  labelName.map((n) => `| keep ${n}, namespace`),
);
const lineFilter = fc.tuple(fc.constantFrom('|=', '!=', '|~', '!~'), fc.oneof(str, regexLit)).map(([o, v]) => `${o} ${v}`);
const podMatcher = fc.tuple(fc.constantFrom('pod', 'container'), fc.constantFrom('=', '!=', '=~', '!~'), fc.oneof(str, regexLit)).map(([n, o, v]) => `${n}${o}${v}`);
const podSelector = fc
  .tuple(fc.constantFrom('namespace="a"', 'namespace=~".+"', 'namespace=~"a|b"', 'namespace!="a"', 'namespace=~"("'), fc.array(podMatcher, { maxLength: 2 }))
  .map(([t, ms]) => `pod{${[t, ...ms].join(', ')}}`);
const nodeSelector = fc.constantFrom('node{node="n1"}', 'node{node=~"n.*", process="proc1"}', 'node{node!="x", process=~"proc[0-9]"}');
/** Mostly valid, sometimes not (a label the log type lacks, no target): both paths are exercised. */
const anySelector = fc.oneof(
  { weight: 6, arbitrary: podSelector },
  { weight: 2, arbitrary: nodeSelector },
  { weight: 1, arbitrary: fc.constantFrom('{namespace="a"}', 'pod{level="x"}', 'pod{}', 'svc{namespace="a"}') },
);
const validStage = fc.oneof(
  { weight: 4, arbitrary: stage },
  { weight: 3, arbitrary: fc.constantFrom('| json', '| logfmt', '| line_format "{{.msg}} {{ __line__ | len }}"', '| label_format x="{{ repeat 3 .level }}"', '| level="error"', '| status >= 400', '| latency > 10ms') },
);
const selector = fc
  .tuple(anySelector, fc.array(lineFilter, { maxLength: 3 }), fc.array(validStage, { maxLength: 4 }))
  .map(([sel, lfs, sts]) => `${sel} ${lfs.join(' ')} ${sts.join(' ')}`.trim());

const rangeAgg = fc.oneof(
  fc.tuple(fc.constantFrom('count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time'), selector, dur).map(([f, s, d]) => `${f}(${s} [${d}])`),
  fc.tuple(fc.constantFrom('sum_over_time', 'avg_over_time', 'max_over_time', 'stddev_over_time', 'first_over_time', 'rate'), selector, labelName, dur).map(([f, s, l, d]) => `${f}(${s} | logfmt | unwrap ${l} [${d}])`),
  fc.tuple(fc.constantFrom('0.5', '0.99', '-1', '2'), selector, dur).map(([q, s, d]) => `quantile_over_time(${q}, ${s} | json | unwrap duration(latency) [${d}])`),
  fc.tuple(selector, dur, dur).map(([s, d, o]) => `count_over_time(${s} [${d}] offset ${o})`),
);
const { metric } = fc.letrec<{ metric: string }>((tie) => ({
  metric: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeAgg,
    fc.constantFrom('1', '-2.5', 'Inf', 'NaN', '0x1f', 'vector(1)', 'time()'),
    fc.tuple(fc.constantFrom('sum', 'avg', 'min', 'max', 'count', 'stddev', 'sort', 'sort_desc'), fc.constantFrom('', ' by (namespace)', ' without (pod)', ' by ()'), tie('metric')).map(([a, g, m]) => `${a}${g} (${m})`),
    fc.tuple(fc.constantFrom('topk', 'bottomk'), fc.integer({ min: -1, max: 5 }), tie('metric')).map(([a, k, m]) => `${a}(${k}, ${m})`),
    fc.tuple(tie('metric'), fc.constantFrom('+', '-', '*', '/', '%', '^', '==', '!=', '> bool', '<', 'and', 'or', 'unless', '+ on (namespace)', '/ ignoring (pod) group_left'), tie('metric')).map(([a, o, b]) => `${a} ${o} ${b}`),
    tie('metric').map((m) => `(${m})`),
    tie('metric').map((m) => `-${m}`),
    fc.tuple(fc.constantFrom('abs', 'ceil', 'floor', 'sqrt', 'exp', 'ln', 'sgn', 'scalar', 'absent'), tie('metric')).map(([f, m]) => `${f}(${m})`),
  ),
}));

/** A corpus query with a few random edits. */
const TOKENS = ['(', ')', '{', '}', '[', ']', '|', '|=', '"', '`', ',', '-', '^', ' by ', ' offset ', '5m', '{{', '}}', '\\', '#', '\n', 'ü', '\u0000', '(((((', '-----', '^1^1^1'];
const corpus = [...PROMQL_CORPUS, ...LOGQL_CORPUS].map(([q]) => q);
const mutated = fc
  .tuple(
    fc.constantFrom(...corpus),
    fc.array(
      fc.oneof(
        fc.tuple(fc.constant('cut' as const), fc.nat(), fc.nat({ max: 8 })),
        fc.tuple(fc.constant('insert' as const), fc.nat(), fc.constantFrom(...TOKENS)),
        fc.tuple(fc.constant('dup' as const), fc.nat(), fc.nat({ max: 12 })),
        fc.tuple(fc.constant('char' as const), fc.nat(), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([q, edits]) => {
    let s = q;
    for (const [op, at, arg] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      if (op === 'cut') s = s.slice(0, i) + s.slice(i + (arg as number));
      else if (op === 'insert') s = s.slice(0, i) + (arg as string) + s.slice(i);
      else if (op === 'dup') s = s.slice(0, i) + s.slice(i, i + (arg as number)) + s.slice(i);
      else s = s.slice(0, i) + (arg as string) + s.slice(i + 1);
    }
    return s;
  });

afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`query fuzzing reached: ${reached.queries} queries, ${reached.parsed} parsed, ${reached.evaluated} evaluated; errors ${JSON.stringify(Object.fromEntries(reached.errorCodes))}`);
});

describe('query fuzzing (parse, print, evaluate)', () => {
  it(
    'grammar-generated log queries',
    async () => {
      await fc.assert(fc.asyncProperty(selector, (q) => checkQuery(store, q)), fuzzParams(800));
    },
    fuzzTimeout(120_000),
  );
  it(
    'grammar-generated metric queries',
    async () => {
      await fc.assert(fc.asyncProperty(metric, (q) => checkQuery(store, q)), fuzzParams(600));
    },
    fuzzTimeout(180_000),
  );
  it(
    'mutated corpus queries (parse and print only; evaluation is covered above)',
    async () => {
      await fc.assert(fc.asyncProperty(mutated, (q) => checkQuery(store, q, false)), fuzzParams(1500));
    },
    fuzzTimeout(120_000),
  );
  it(
    'mutated corpus queries, evaluated',
    async () => {
      await fc.assert(fc.asyncProperty(mutated, (q) => checkQuery(store, q)), fuzzParams(500));
    },
    fuzzTimeout(120_000),
  );
  it(
    'random strings',
    async () => {
      await fc.assert(fc.asyncProperty(fc.string({ maxLength: 80, unit: 'grapheme-ascii' }), (q) => checkQuery(store, q, false)), fuzzParams(1000));
    },
    fuzzTimeout(60_000),
  );
});
