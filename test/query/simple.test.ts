/**
 * The simple selector parser (src/query/simple.ts) against the full parser: for every query
 * it accepts, the AST must equal the full parser's, spans included; every query the full
 * parser rejects, it must leave to the full parser (return null), so that errors keep one
 * source. A table of accepted shapes, a table of near misses, the LogQL corpus, and random
 * queries built from the tokens that matter.
 */
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../src/errors.js';
import { parseQuery } from '../../src/query/index.js';
import { keywordSpellings } from '../../src/query/lexer.js';
import { parse } from '../../src/query/parser.js';
import { parseSimpleQuery, SIMPLE_PARSER_KEYWORDS } from '../../src/query/simple.js';
import { LOGQL_CORPUS, PROMQL_CORPUS } from './corpus.js';

/** The full parser's answer: a tree, or the error's code. */
function full(q: string): unknown {
  try {
    return parse(q);
  } catch (e) {
    if (e instanceof QueryError) return { error: e.code };
    throw e;
  }
}

function agrees(q: string): void {
  const simple = parseSimpleQuery(q);
  if (simple !== null) expect(simple, q).toEqual(full(q));
}

const ACCEPTED = [
  'pod{namespace="shop"}',
  'node{node="n1"}',
  'pod{namespace="shop"} |= "GET"',
  'pod{namespace="shop"} != "kube-probe"',
  'pod{namespace="shop"} |~ "user/[0-9]+" !~ "(?i)debug"',
  'pod{namespace=~"shop|ingress-nginx", pod!="x", container!~"side.*"} |= "a" |= "b"',
  '  pod { namespace = "shop" , pod = "p" }  |=  "x"  ',
  'pod{namespace="shop"}\n  |= "x"\n\t!= "y"\r\n',
  'pod{namespace="shop"} |= "\\"quoted\\" \\\\ \\t \\u00e9 \\x41 \\101"',
  'pod{namespace="shop"} |= `raw \\d+ "x"`',
  'pod{namespace="shop"} |= `two\nlines`',
  'pod{namespace="shop"} |= "결제 실패"',
  'pod{namespace="shop"} |= ""',
  'pod{namespace=""}',
  'pod{_a="1", A_b9="2"}',
  'node{node="n1", process=~"kubelet|containerd"} |~ "E[0-9]{4}" !~ "x"',
];

const FALLS_BACK = [
  '', '   ', 'pod', 'pod{}', '{namespace="shop"}', 'up{job="x"}', 'Pod{namespace="x"}',
  'pod{namespace="shop",}', 'pod{namespace="shop"} # comment', '# c\npod{namespace="shop"}',
  "pod{namespace='shop'}", 'pod{namespace="shop"} |= \'x\'', 'pod{__name__="x"}', 'pod{"namespace"="x"}',
  'pod{namespace=="shop"}', 'pod{namespace=~~"shop"}', 'pod{namespace!=~"shop"}', 'pod{namespace="shop"} |== "x"',
  'pod{namespace="shop"} !=~ "x"', 'pod{namespace="shop"} | json', 'pod{namespace="shop"} |= "x" | json', 'pod{namespace="shop"}[5m]',
  'pod{namespace="shop"} offset 5m', 'count_over_time(pod{namespace="shop"}[5m])', 'pod{namespace="shop"} |= "x" or "y"',
  'pod{namespace="sh\nop"}', 'pod{namespace="shop\\q"}', 'pod{namespace="\\xff"}', 'pod{namespace="shop"', 'pod{namespace="shop"} |= "x',
  'pod{namespace="shop"} |= `x', 'pod{name:space="x"}', 'pod:x{a="b"}', 'pod{by="x"}', 'pod{OFFSET="x"}', 'pod{sum="x"}',
  'pod{namespace="shop"}\u00a0|= "x"', 'pod{namespace="shop"} |=', 'pod{namespace="shop"} "x"', 'pod{a="b"} |= "\\\n"',
];

describe('the simple selector parser', () => {
  it('accepts plain log selectors with line filters, with the full parser\'s tree', () => {
    for (const q of ACCEPTED) {
      const simple = parseSimpleQuery(q);
      expect(simple, q).not.toBeNull();
      expect(simple, q).toEqual(parse(q));
    }
  });

  it('leaves everything else to the full parser, errors included', () => {
    for (const q of FALLS_BACK) {
      expect(parseSimpleQuery(q), JSON.stringify(q)).toBeNull();
      agrees(q);
    }
  });

  it('agrees with the full parser over the query corpora', () => {
    for (const [q, printed] of [...LOGQL_CORPUS, ...PROMQL_CORPUS]) {
      agrees(q);
      agrees(printed);
      agrees(`pod${printed.startsWith('{') ? printed : `{a="b"} |= ${JSON.stringify(printed)}`}`);
    }
  });

  it('knows every keyword of the lexer', () => {
    expect([...SIMPLE_PARSER_KEYWORDS].sort()).toEqual(keywordSpellings().sort());
  });

  it('parseQuery answers the same through either parser', () => {
    for (const q of [...ACCEPTED, ...FALLS_BACK]) {
      let viaEntry: unknown;
      try {
        viaEntry = parseQuery(q);
      } catch (e) {
        viaEntry = { error: (e as QueryError).code };
      }
      expect(viaEntry, q).toEqual(full(q));
    }
  });

  it('agrees with the full parser on random queries built from the tokens that matter', () => {
    // A seeded generator: mostly well-formed selectors with small mutations.
    let seed = 13;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    // Mostly a good token (the first four of each list), now and then a bad one.
    const pick = (xs: readonly string[]): string => (rnd(10) === 0 ? xs[4 + rnd(xs.length - 4)]! : xs[rnd(4)]!);
    const names = ['pod', 'node', 'pod', 'node', 'up', 'POD', 'pod:', 'by', 'on', 'x_1', '_'];
    const labels = ['namespace', 'pod', 'a', 'by', 'Bool', '__name__', 'x:y', '9a', '', 'OFFSET'];
    const ops = ['=', '!=', '=~', '!~', '==', '!', '~', '=~~', '!=~'];
    const strings = ['"x"', '""', '"a\\"b\\n\\u00e9"', '`r\\d`', '"\\xff"', '"\\q"', "'s'", '"unterminated', '`un', '"a\nb"', '"\\\n"'];
    const filters = ['|=', '!=', '|~', '!~', '|', '|==', '!=~', '| json', 'or', '|= "x" |'];
    const spaces = ['', ' ', '\n', '\t', '\r\n', '#c\n', '\u00a0', '\f'];
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      let q = pick(spaces) + pick(names) + pick(spaces) + '{';
      const m = rnd(4);
      for (let j = 0; j < m; j++) q += (j > 0 ? ',' + pick(spaces) : '') + pick(labels) + pick(spaces) + pick(ops) + pick(spaces) + pick(strings);
      if (rnd(8) === 0) q += ',';
      q += '}';
      const f = rnd(4);
      for (let j = 0; j < f; j++) q += pick(spaces) + pick(filters) + pick(spaces) + pick(strings);
      q += pick(spaces);
      if (rnd(6) === 0) q = q.slice(0, rnd(q.length + 1));
      agrees(q);
      if (parseSimpleQuery(q) !== null) accepted++;
    }
    expect(accepted).toBeGreaterThan(100); // the generator reaches the accepted shapes
  });
});
