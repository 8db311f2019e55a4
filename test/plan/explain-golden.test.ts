/**
 * Golden tests for `explain`: the printed plan (formatPlan, what `letheql explain` shows) for a
 * table of query shapes over the bundled fixture store, compared with test/golden/explain.txt.
 * The plan is the engine's inspectable contract — which files, which kernel program, which
 * pipeline — so a change in it must be seen and accepted: after an intended change, run
 * `UPDATE_GOLDEN=1 npx vitest run test/plan/explain-golden.test.ts` and review the diff.
 * Goes through the package's front door (src/node.ts), as a user would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPlan, openStore } from '../../src/node.js';

const STORE = new URL('../../fixtures/store', import.meta.url).pathname;
const GOLDEN = new URL('../golden/explain.txt', import.meta.url).pathname;
const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T15:59:59Z' };

/** [name, query, extra options] — one row per query shape the planner distinguishes. */
const CASES: [string, string, Record<string, unknown>?][] = [
  ['selector only', 'pod{namespace="shop"}'],
  ['regex target, two namespaces', 'pod{namespace=~"shop|default"}'],
  ['negated target', 'pod{namespace!="kube-system"}'],
  ['label matchers in the kernel', 'pod{namespace="shop",pod=~"api-.*",container!="istio-proxy"}'],
  ['literal filter', 'pod{namespace="shop"} |= "error"'],
  ['negated literal', 'pod{namespace="default"} != "kube-probe"'],
  ['regex that is a literal', 'pod{namespace="shop"} |~ "timeout"'],
  ['regex with a required literal (prefilter)', 'pod{namespace="shop"} |~ "user/[0-9]+"'],
  ['alternation', 'pod{namespace="shop"} |~ "(GET|POST) /api/v[12]/"'],
  ['case-insensitive', 'pod{namespace="shop"} |~ "(?i)error"'],
  ['negated regex', 'pod{namespace="shop"} !~ "healthz|readyz"'],
  ['several filters', 'pod{namespace="shop"} |= "GET" != "kube-probe" |~ "HTTP/1\\\\.[01]"'],
  ['node logs', 'node{node="node-a",process="kubelet"} |~ "E[0-9]{4}"'],
  ['node regex target', 'node{node=~"node-.*"} |= "OOM"'],
  ['no target matches', 'pod{namespace="nope"}'],
  ['one hour', 'pod{namespace="shop"} |= "error"', { start: '2024-09-24T14:00:00Z', end: '2024-09-24T14:59:59Z' }],
  ['backward with a limit', 'pod{namespace="default"}', { direction: 'backward', limit: 10 }],
  ['json pipeline', 'pod{namespace="shop",container="api"} | json | level="error"'],
  ['logfmt and line_format', 'node{node="node-a"} | logfmt | line_format "{{.msg}}"'],
  ['regexp stage', 'pod{namespace="shop",container="nginx"} | regexp "(?P<method>[A-Z]+) (?P<path>\\\\S+) HTTP"'],
  ['pattern and label filter', 'pod{namespace="shop",container="nginx"} | pattern "<ip> - - <_> \\"<method> <path> <_>\\" <status> <_>" | status >= 500'],
  ['keep', 'pod{namespace="shop",container="api"} | json | keep level, msg'],
];

describe('explain golden', () => {
  it('prints the plan of every query shape as recorded in test/golden/explain.txt', async () => {
    expect(new Set(CASES.map(([name]) => name)).size).toBe(CASES.length);
    const store = openStore(STORE, { workers: 0 });
    try {
      const sections: string[] = [];
      for (const [name, query, extra] of CASES) {
        const plan = await store.explain(query, { ...WINDOW, ...extra });
        // The store's absolute path is the one machine-specific part of a plan: print it relative.
        sections.push(`## ${name}\n${formatPlan(plan).replaceAll(STORE, '<store>')}\n`);
      }
      const actual = sections.join('\n');
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
      expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
    } finally {
      await store.close();
    }
  });
});
