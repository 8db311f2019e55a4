/**
 * Rule files: the formats, and `letheql rules check`'s table of bad rules with their exact
 * positioned messages (the CLI exits 2 on each).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { printQuery } from '../../src/query/index.js';
import { formatRuleIssue, parseRuleFile, RuleFileError } from '../../src/rules/rule-file.js';

function issues(text: string): string[] {
  try {
    parseRuleFile(text, 'r.yaml');
  } catch (e) {
    if (e instanceof RuleFileError) return e.issues.map(formatRuleIssue);
    throw e;
  }
  return [];
}

const rule = (body: string): string => `groups:\n  - name: g\n    rules:\n${body}`;

describe('rule files', () => {
  it('reads the Prometheus/Loki format', () => {
    const [g] = parseRuleFile(
      rule(`      - alert: Errors
        expr: sum by (namespace) (count_over_time(pod{namespace="shop"} |= "error" [5m])) > 10
        for: 2m
        keep_firing_for: 1m
        labels: {severity: warning}
        annotations:
          summary: '{{ $labels.namespace }} logs {{ $value | humanize }} errors'
      - record: ns:errors:count5m
        expr: sum by (namespace) (count_over_time(pod{namespace="shop"} |= "error" [5m]))
`),
      'r.yaml',
    );
    expect(g!.name).toBe('g');
    expect(g!.intervalNs).toBeNull();
    const [a, rec] = g!.rules;
    expect(a!).toMatchObject({ kind: 'alert', name: 'Errors', forNs: 120_000_000_000n, keepFiringForNs: 60_000_000_000n, countsLines: false, windowNs: 300_000_000_000n, labels: { severity: 'warning' } });
    expect(printQuery(a!.logQuery!)).toBe('pod{namespace="shop"} |= "error"');
    expect(rec!).toMatchObject({ kind: 'record', name: 'ns:errors:count5m' });
    expect(a!.where).toEqual({ file: 'r.yaml', line: 4, column: 9 });
  });

  it('reads a bare log query as the number of matching lines in the window (group interval, or its own range)', () => {
    const [g] = parseRuleFile(
      `groups:\n  - name: g\n    interval: 30s\n    rules:\n      - alert: A\n        expr: pod{namespace="shop"} |= "panic"\n      - alert: B\n        expr: node{node="node-a"} |= "OOM" [10m]\n`,
      'r.yaml',
    );
    expect(g!.rules.map((r) => [r.countsLines, printQuery(r.query)])).toEqual([
      [true, 'sum(count_over_time(pod{namespace="shop"} |= "panic" [30s]))'],
      [true, 'sum(count_over_time(node{node="node-a"} |= "OOM" [10m]))'],
    ]);
  });

  it("reads Venti's AlertRuleFile: commonLabels under the rule's own, datasourceSelector", () => {
    const [g] = parseRuleFile(
      `kind: AlertRuleFile\ncommonLabels: {team: shop, severity: info}\ndatasourceSelector: {cluster: [prod-a, prod-b]}\ngroups:\n  - name: g\n    labels: {source: venti}\n    rules:\n      - alert: A\n        expr: pod{namespace="shop"} |= "panic"\n        labels: {severity: critical}\n`,
      'v.yaml',
    );
    expect(g!.clusters).toEqual(['prod-a', 'prod-b']);
    expect(g!.rules[0]!.labels).toEqual({ team: 'shop', severity: 'critical', source: 'venti' });
  });

  // [file text, exact messages]
  const BAD: [string, string, string[]][] = [
    ['no alert nor record', rule(`      - expr: vector(1)\n`), ["r.yaml:4:9: one of 'record' or 'alert' must be set"]],
    ['both alert and record', rule(`      - alert: A\n        record: b\n        expr: vector(1)\n`), ["r.yaml:5:9: only one of 'record' and 'alert' must be set"]],
    ['no expr', rule(`      - alert: A\n`), ["r.yaml:4:9: field 'expr' must be set in rule"]],
    [
      'query error in a plain scalar, at its column',
      rule(`      - alert: A\n        expr: count_over_time(pod{namespace="x"} |= [5m])\n`),
      [`r.yaml:5:53: 'expr': unexpected "[" in line filter, expected a string or ip("…")`],
    ],
    [
      'query error in a | block, at its line and column',
      rule(`      - alert: A\n        expr: |\n          sum(\n            rate(pod{namespace="x"}[5m]) +\n          )\n`),
      [`r.yaml:8:11: 'expr': unexpected ")", expected an expression`],
    ],
    ['unknown function', rule(`      - alert: A\n        expr: 'nope(pod{namespace="x"}[5m])'\n`), [`r.yaml:5:16: 'expr': unknown function with name "nope"`]],
    [
      'query error in an escaped string: the value and the offset in the query',
      rule(`      - alert: A\n        expr: "nope(pod{namespace=\\"x\\"}[5m])"\n`),
      [`r.yaml:5:15: 'expr': unknown function with name "nope" (at 1:1 of the query)`],
    ],
    ['a string expression', rule(`      - alert: A\n        expr: '"up"'\n`), [`r.yaml:5:16: 'expr': invalid expression type "string": a rule needs a metric query (a vector or a scalar) or a log query`]],
    ['bad record name', rule(`      - record: 'a-b'\n        expr: vector(1)\n`), ['r.yaml:4:17: invalid recording rule name: "a-b"']],
    ['for on a recording rule', rule(`      - record: a\n        expr: vector(1)\n        for: 5m\n`), ["r.yaml:6:9: invalid field 'for' in recording rule"]],
    ['bad duration', rule(`      - alert: A\n        expr: vector(1)\n        for: 5x\n`), [`r.yaml:6:14: invalid 'for' "5x": expected a duration such as 15m, 1h30m or 7d`]],
    ['bad label name', rule(`      - alert: A\n        expr: vector(1)\n        labels: {1x: a}\n`), ['r.yaml:6:18: invalid label name: "1x"']],
    ['unknown rule field', rule(`      - alert: A\n        expr: vector(1)\n        severity: page\n`), ['r.yaml:6:9: field "severity" not found in type rule (fields: alert, record, expr, for, keep_firing_for, labels, annotations)']],
    [
      'unknown template function, at its column',
      rule(`      - alert: A\n        expr: vector(1)\n        annotations:\n          summary: "value {{ $value | humanise }}"\n`),
      ['r.yaml:7:39: annotation "summary": template: function "humanise" not defined'],
    ],
    [
      'unknown template variable',
      rule(`      - alert: A\n        expr: vector(1)\n        annotations:\n          summary: "{{ $label.pod }}"\n`),
      ['r.yaml:7:24: annotation "summary": template: undefined variable "$label.pod": an alert template reads $labels.NAME, $externalLabels.NAME or $value'],
    ],
    ['repeated group', `groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n`, ['r.yaml:4:11: group name "g" is repeated in the same file']],
    ['group without a name', `groups:\n  - rules: []\n`, ['r.yaml:2:5: group name must not be empty']],
    ['bad limit', `groups:\n  - name: g\n    limit: -1\n    rules: []\n`, ["r.yaml:3:12: group 'limit' must be a non-negative integer"]],
    ['top-level typo', `grups: []\n`, ['r.yaml:1:1: field "grups" not found in type rule file (fields: groups; or kind: AlertRuleFile for Venti\'s format)']],
    ['Venti: unknown kind', `kind: AlertRules\ngroups: []\n`, ['r.yaml:1:7: unknown kind "AlertRules": expected AlertRuleFile (Venti) or no kind (Prometheus/Loki groups)']],
    ['YAML syntax error', `groups:\n  - name: g\n    rules: [\n`, ['r.yaml:4:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
    [
      'several problems at once',
      rule(`      - alert: A\n      - record: b c\n        expr: vector(1)\n`),
      ["r.yaml:4:9: field 'expr' must be set in rule", 'r.yaml:5:17: invalid recording rule name: "b c"'],
    ],
  ];

  it.each(BAD)('refuses %s with its position', (_name, text, want) => {
    expect(issues(text)).toEqual(want);
  });

  it('`letheql rules check` exits 2 with the positioned errors, 0 with a summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'letheql-rules-'));
    const bad = join(dir, 'bad.yaml');
    const good = join(dir, 'good.yaml');
    writeFileSync(bad, BAD[0]![1]);
    writeFileSync(good, `groups:\n  - name: g\n    interval: 1m\n    rules:\n      - alert: Panics\n        expr: pod{namespace="shop"} |= "panic"\n`);
    const out: string[] = [];
    const err: string[] = [];
    const io = (into: string[]) => ({ write: (d: string, cb?: () => void) => (into.push(String(d)), cb?.(), true) }) as never;
    expect(await main(['rules', 'check', bad, good], { stdout: io(out), stderr: io(err), env: {} })).toBe(2);
    expect(err.join('')).toBe(`letheql: ${bad}:4:9: one of 'record' or 'alert' must be set\n`);
    out.length = 0;
    expect(await main(['rules', 'check', good], { stdout: io(out), stderr: io(err), env: {} })).toBe(0);
    expect(out.join('')).toBe(`${good}: 1 group, 1 rules\n  g/Panics (alert): sum(count_over_time(pod{namespace="shop"} |= "panic" [1m]))  (a log query: the value is the number of matching lines in 1m)\n`);
  });
});
