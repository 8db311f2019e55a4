/**
 * The ruler's Prometheus semantics with an injected clock, over an in-memory store whose
 * lines are placed by the minute: pending → firing with `for`, resend, resolved and its
 * 15-minute retention, keep_firing_for, limit, templates, sample lines, the viewer link,
 * shared scans, and the state file across a restart.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogStore, openStoreSetFromSources } from '../../src/api.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { parseRuleFile } from '../../src/rules/rule-file.js';
import { Ruler, type OutgoingAlert } from '../../src/rules/ruler.js';
import { StateFile } from '../../src/rules/state-file.js';
import { decodeState } from '../../viewer/src/range.js';

const T0 = Date.parse('2024-09-24T13:00:00Z');
const t0 = BigInt(T0) * 1_000_000n;
const at = (minutes: number): bigint => t0 + BigInt(Math.round(minutes * 60)) * 1_000_000_000n;
const iso = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

/** One `error` line in shop/api-1 at mm:30 of each minute in `errorMinutes`, and an info line each minute. */
function store(errorMinutes: number[]): LogStore {
  const lines: string[] = [];
  for (let m = 0; m < 59; m++) {
    const ts = (s: number) => new Date(T0 + m * 60_000 + s * 1000).toISOString().replace('.000Z', '.000000Z');
    lines.push(`${ts(10)}[shop|api-1|api] info all good`);
    if (errorMinutes.includes(m)) lines.push(`${ts(30)}[shop|api-1|api] error: payment ${m} failed ${'x'.repeat(400)}`);
  }
  return new LogStore(MemoryChunkSource.fromRecord({ 'pod/shop/2024-09-24_13.log': lines.join('\n') + '\n' }));
}

const RULES = `groups:
  - name: shop
    interval: 1m
    rules:
      - alert: ShopErrors
        expr: sum by (namespace) (count_over_time(pod{namespace="shop"} |= "error" [1m])) > 0
        for: 2m
        labels:
          severity: '{{ if gt $value 5.0 }}critical{{ else }}warning{{ end }}'
        annotations:
          summary: '{{ $value }} errors in {{ $labels.namespace }} ({{ $externalLabels.cluster }})'
`;

function ruler(lines: LogStore, rules = RULES, extra: Partial<ConstructorParameters<typeof Ruler>[0]> = {}) {
  const sent: OutgoingAlert[][] = [];
  const r = new Ruler({ store: lines, groups: parseRuleFile(rules, 'r.yaml'), externalLabels: { cluster: 'prod' }, externalURL: 'http://letheql:3100/', notify: (a) => sent.push(a), ...extra });
  return { r, sent };
}

const states = (r: Ruler) => r.alerts().map((a) => a.alert.state);

describe('ruler', () => {
  it('goes inactive → pending → firing → resolved, sends as Prometheus does, forgets resolved alerts after 15m', async () => {
    const { r, sent } = ruler(store([0, 1, 2, 3, 4, 5]));
    const seen: [number, string[], number][] = [];
    for (let m = 1; m <= 24; m++) {
      const before = sent.length;
      await r.evaluateAll(at(m) + 5_000_000_000n); // 5 s after the tick: evaluates at the aligned tick
      seen.push([m, states(r), sent.length - before]);
    }
    expect(seen.slice(0, 10)).toEqual([
      [1, ['pending'], 0],
      [2, ['pending'], 0],
      [3, ['firing'], 1],
      [4, ['firing'], 0],
      [5, ['firing'], 1],
      [6, ['firing'], 0],
      [7, ['inactive'], 1],
      [8, ['inactive'], 0],
      [9, ['inactive'], 1],
      [10, ['inactive'], 0],
    ]);
    // Kept 15 minutes after resolving at 7m, gone after.
    expect(seen.find(([m]) => m === 22)![1]).toEqual(['inactive']);
    expect(seen.find(([m]) => m === 23)![1]).toEqual([]);
    const [firing] = sent[0]!;
    expect(firing).toMatchObject({
      labels: { alertname: 'ShopErrors', namespace: 'shop', severity: 'warning', cluster: 'prod' },
      annotations: { summary: '1 errors in shop (prod)' },
      startsAt: iso(3),
      endsAt: iso(7), // valid for 4 × max(interval, resend delay)
    });
    expect(firing!.annotations['sample_lines']).toBe(`error: payment 2 failed ${'x'.repeat(276)}…`);
    const link = new URL(firing!.generatorURL);
    expect(link.origin + link.pathname).toBe('http://letheql:3100/');
    expect(decodeState(link.hash)).toMatchObject({ query: 'pod{namespace="shop"} |= "error"', range: { kind: 'absolute', startMs: T0, endMs: T0 + 3 * 60_000 } });
    const resolved = sent[2]![0]!;
    expect(resolved).toMatchObject({ startsAt: iso(3), endsAt: iso(7) });
    expect(sent[3]![0]!.endsAt).toBe(iso(7));
  });

  // The viewer's Rules view opens a rule's link: both it and the alerts' links show the window the rule read.
  it("links to, and takes sample lines from, the window a range's @ or offset places", async () => {
    const rules = `groups:
  - name: shop
    interval: 1m
    rules:
      - alert: Pinned
        expr: sum by (namespace) (count_over_time(pod{namespace="shop"} |= "error" [10m] @ ${(T0 + 20 * 60_000) / 1000})) > 0
      - alert: Shifted
        expr: sum by (namespace) (count_over_time(pod{namespace="shop"} |= "error" [10m] offset 1h)) > 0
        for: 5m
      - record: shop:lines
        expr: sum(count_over_time(pod{namespace="shop"} [30m] @ ${(T0 + 30 * 60_000) / 1000}))
`;
    const { r } = ruler(store([12, 15]), rules);
    const evalAt = at(80); // 14:20: the offset window is 13:10–13:20, as the @ one
    await r.evaluateAll(evalAt);
    const [pinned, shifted] = r.alerts();
    expect(pinned!.alert.state).toBe('firing');
    expect(shifted!.alert.state).toBe('pending');
    for (const a of [pinned!, shifted!]) {
      expect(a.alert.annotations['sample_lines']).toMatch(/^error: payment 15 failed x+…\nerror: payment 12 failed x+…$/);
      // From the alert's start minus the window to the window's end.
      expect(decodeState(new URL(a.alert.generatorURL).hash)).toMatchObject({ query: 'pod{namespace="shop"} |= "error"', range: { kind: 'absolute', startMs: T0 + 10 * 60_000, endMs: T0 + 20 * 60_000 } });
    }
    // A rule's link covers its window and `for` (a metric rule with no one log range: its expression).
    const [g] = r.groups;
    const link = (i: number) => decodeState(new URL(r.ruleLink(g!, g!.rules[i]!)).hash);
    expect(link(0)).toMatchObject({ query: 'pod{namespace="shop"} |= "error"', range: { kind: 'absolute', startMs: T0 + 10 * 60_000, endMs: T0 + 20 * 60_000 } });
    expect(link(1)).toMatchObject({ range: { kind: 'absolute', startMs: T0 + 5 * 60_000, endMs: T0 + 20 * 60_000 } });
    expect(link(2)).toMatchObject({ query: 'pod{namespace="shop"}', range: { kind: 'absolute', startMs: T0, endMs: T0 + 30 * 60_000 } });
  });

  it('keeps firing for keep_firing_for after the condition clears', async () => {
    const { r } = ruler(store([0, 1, 2, 3]), RULES.replace('for: 2m', 'for: 1m\n        keep_firing_for: 2m'));
    const seen: string[] = [];
    for (let m = 1; m <= 7; m++) {
      await r.evaluateAll(at(m));
      seen.push(states(r).join());
    }
    expect(seen).toEqual(['pending', 'firing', 'firing', 'firing', 'firing', 'firing', 'inactive']);
  });

  it('fails a rule past the group limit, clears its alerts, and goes on with the other rules', async () => {
    const rules = `groups:
  - name: g
    interval: 1m
    limit: 1
    rules:
      - alert: PerContainer
        expr: count_over_time(pod{namespace="shop"} [1m]) > 0
      - alert: Broken
        expr: count_over_time(nolog{x="y"} [1m]) > 0
      - alert: Total
        expr: pod{namespace="shop"} |= "info"
`;
    const { r } = ruler(store([0]), rules);
    await r.evaluateAll(at(1));
    const [per, broken, total] = r.groups[0]!.rules;
    expect(per!.health).toBe('ok');
    expect(total!.health).toBe('ok');
    expect(broken!.health).toBe('err');
    expect(broken!.lastError).toMatch(/nolog/);
    expect([...total!.active.values()].map((a) => [a.value, a.labels])).toEqual([[1, { alertname: 'Total' }]]);
    const two = store([0]);
    const { r: r2 } = ruler(two, rules.replace('limit: 1', 'limit: 1\n    labels: {}').replace('count_over_time(pod{namespace="shop"} [1m]) > 0', 'count_over_time(pod{namespace="shop"} [1m]) > 0 or vector(1)'));
    await r2.evaluateAll(at(1));
    expect(r2.groups[0]!.rules[0]!.lastError).toBe('exceeded limit of 1 with 2 alerts');
    expect(r2.groups[0]!.rules[0]!.active.size).toBe(0);
  });

  it('shares one scan between rules of a group reading the same range (the warning/critical pattern)', async () => {
    const rules = `groups:
  - name: levels
    interval: 1m
    rules:
      - alert: ErrorsWarning
        expr: sum(count_over_time(pod{namespace="shop"} |= "error" [5m])) > 1
        labels: {severity: warning}
      - alert: ErrorsCritical
        expr: sum(count_over_time(pod{namespace="shop"} |= "error" [5m])) > 4
        labels: {severity: critical}
`;
    const { r } = ruler(store([0, 1, 2, 3, 4]), rules);
    await r.evaluateAll(at(5));
    expect(r.lastScans).toMatchObject({ scans: 1, shared: 1 });
    expect(r.alerts().map((a) => [a.alert.labels['severity'], a.alert.value])).toEqual([['warning', 5], ['critical', 5]]);
    const { r: unshared } = ruler(store([0, 1, 2, 3, 4]), rules, { shareScans: false });
    await unshared.evaluateAll(at(5));
    expect(unshared.lastScans).toMatchObject({ scans: 2, shared: 0 });
  });

  it('evaluates at aligned instants, querying query_offset earlier', async () => {
    const { r } = ruler(store([0]), RULES.replace('interval: 1m', 'interval: 1m\n    query_offset: 30s'));
    await r.evaluateAll(at(1) + 59_000_000_000n);
    expect(r.groups[0]!.lastEvaluationNs).toBe(at(1));
    // At 1m the window is (0:00, 1:00] shifted 30 s back: the 0:30 error is in (−0:30, 0:30].
    expect(r.alerts().map((a) => a.alert.activeAtNs)).toEqual([at(1)]);
  });

  it("reads only the store-set members Venti's datasourceSelector picks", async () => {
    const member = (n: number) => MemoryChunkSource.fromRecord({ 'pod/shop/2024-09-24_13.log': Array.from({ length: n }, (_, i) => `2024-09-24T13:00:${String(10 + i).padStart(2, '0')}.000000Z[shop|api-1|api] ERROR x`).join('\n') + '\n' });
    const set = openStoreSetFromSources({ east: member(2), west: member(5) });
    const venti = `kind: AlertRuleFile\ncommonLabels: {team: shop}\ndatasourceSelector: {cluster: west}\ngroups:\n  - name: g\n    interval: 1m\n    rules:\n      - alert: Errors\n        expr: pod{namespace="shop"} |= "ERROR"\n`;
    const r = new Ruler({ store: set, groups: parseRuleFile(venti, 'v.yaml') });
    await r.evaluateAll(at(1));
    expect(r.alerts().map((a) => [a.alert.value, a.alert.labels])).toEqual([[5, { alertname: 'Errors', team: 'shop' }]]);
    expect(() => new Ruler({ store: set, groups: parseRuleFile(venti.replace('cluster: west', 'cluster: north'), 'v.yaml') })).toThrow('v.yaml: group "g": datasourceSelector names cluster "north", which the store set does not have (it has east, west)');
    expect(() => new Ruler({ store: store([]), groups: parseRuleFile(venti, 'v.yaml') })).toThrow('datasourceSelector picks clusters, but the store is not a store set');
  });

  it('records samples of recording rules with __name__ and the rule labels', async () => {
    const got: unknown[] = [];
    const { r } = ruler(store([0]), `groups:\n  - name: rec\n    rules:\n      - record: shop:lines:count1m\n        expr: sum by (namespace) (count_over_time(pod{namespace="shop"} [1m]))\n        labels: {source: letheql}\n`, { onRecord: (s) => got.push(...s) });
    await r.evaluateAll(at(1));
    expect(got).toEqual([{ labels: { namespace: 'shop', source: 'letheql', __name__: 'shop:lines:count1m' }, timeNs: at(1), value: 2 }]);
  });

  it('survives a restart: a pending for-timer is kept, a firing alert is neither re-fired nor re-sent early, a done tick is not redone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'letheql-ruler-'));
    const file = join(dir, 'state.json');
    const lines = store([0, 1, 2, 3, 4, 5]);
    const first = ruler(lines, RULES, { state: new StateFile(file) });
    await first.r.evaluateAll(at(1));
    await first.r.evaluateAll(at(2));
    expect(states(first.r)).toEqual(['pending']);
    // "Killed" here; a new process restores.
    const second = ruler(lines, RULES, { state: new StateFile(file) });
    await second.r.restore();
    expect(states(second.r)).toEqual(['pending']);
    expect(second.r.groups[0]!.lastEvaluationNs).toBe(at(2));
    await second.r.evaluateAll(at(3));
    expect(states(second.r)).toEqual(['firing']); // activeAt 1m kept: fires at 3m, not 5m
    expect(second.sent.flat().map((a) => a.startsAt)).toEqual([iso(3)]);
    // Killed while firing; the restart does not send again before the resend delay, and startsAt stays.
    const third = ruler(lines, RULES, { state: new StateFile(file) });
    await third.r.restore();
    await third.r.evaluateAll(at(4));
    expect(third.sent).toEqual([]);
    await third.r.evaluateAll(at(5));
    expect(third.sent.flat().map((a) => [a.startsAt, a.endsAt])).toEqual([[iso(3), iso(9)]]);
    // run() after a restart starts with the next tick, not the one done.
    let clock = at(5) + 10_000_000_000n;
    const ac = new AbortController();
    const r4 = new Ruler({
      store: lines,
      groups: parseRuleFile(RULES, 'r.yaml'),
      state: new StateFile(file),
      now: () => clock,
      sleep: async (ms) => {
        if (r4.groups[0]!.lastEvaluationNs! > at(5)) ac.abort();
        else clock += BigInt(ms) * 1_000_000n;
      },
    });
    await r4.restore();
    await r4.run(ac.signal);
    expect(r4.groups[0]!.lastEvaluationNs).toBe(at(6));
  });
});
