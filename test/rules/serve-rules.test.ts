/**
 * `letheql serve --rules`: the ruler runs inside the server on the real clock and answers
 * Prometheus's `GET /api/v1/rules` and `GET /api/v1/alerts`; a failing rule shows its
 * `lastError` and `health: err` while the others go on; ruler metrics are on `/metrics`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runServe } from '../../src/cli/serve.js';
import { formatGoExp } from '../../src/server/rules-routes.js';
import { decodeState } from '../../viewer/src/range.js';

function sink() {
  const chunks: string[] = [];
  return { chunks, write: (d: string | Uint8Array, cb?: () => void) => (chunks.push(Buffer.from(d).toString()), cb?.(), true) };
}

describe('letheql serve --rules', () => {
  it('serves /api/v1/rules, /api/v1/alerts and ruler metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'letheql-serve-rules-'));
    // Three ERROR lines seconds ago, filed by their hour as the store does.
    const now = Date.now();
    for (const ago of [3000, 2000, 1000]) {
      const t = new Date(now - ago).toISOString();
      const file = join(dir, 'store', 'pod', 'shop', `${t.slice(0, 13).replace('T', '_')}.log`);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `${t.replace('Z', '000Z')}[shop|api-1|api] ERROR payment declined\n`, { flag: 'a' });
    }
    writeFileSync(
      join(dir, 'rules.yaml'),
      `groups:
  - name: shop
    interval: 1s
    rules:
      - alert: ShopErrors
        expr: pod{namespace="shop"} |= "ERROR" [1h]
        labels: {severity: warning}
        annotations: {summary: '{{ $value }} errors'}
      - alert: Broken
        expr: count_over_time(pod{nope="x"} [1m]) > 0
      - record: shop:lines:1h
        expr: sum(count_over_time(pod{namespace="shop"} [1h]))
`,
    );
    const out = sink();
    const err = sink();
    const stop = new AbortController();
    let resolveUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (resolveUrl = r));
    const exit = runServe(['--store', join(dir, 'store'), '--listen', '127.0.0.1:0', '--rules', join(dir, 'rules.yaml'), '--workers', '0'], { stdout: out as never, stderr: err as never, env: {} }, stop.signal, resolveUrl);
    const base = await url;
    try {
      let rules: { data: { groups: { name: string; file: string; interval: number; lastEvaluation: string; rules: Record<string, unknown>[] }[] } };
      const deadline = Date.now() + 15_000;
      for (;;) {
        rules = await (await fetch(`${base}/api/v1/rules`)).json();
        if (rules.data.groups[0]!.rules.every((r) => r['lastEvaluation'] !== '0001-01-01T00:00:00Z')) break;
        if (Date.now() > deadline) throw new Error(`no evaluation: ${JSON.stringify(rules)}\n${err.chunks.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const [g] = rules.data.groups;
      expect(g).toMatchObject({ name: 'shop', file: join(dir, 'rules.yaml'), interval: 1 });
      const [alert, broken, record] = g!.rules;
      expect(alert).toMatchObject({
        state: 'firing',
        name: 'ShopErrors',
        query: 'sum(count_over_time(pod{namespace="shop"} |= "ERROR" [1h]))  (a log query: the value is the number of matching lines in 1h)',
        duration: 0,
        labels: { severity: 'warning' },
        annotations: { summary: '{{ $value }} errors' },
        health: 'ok',
        lastError: '',
        type: 'alerting',
        alerts: [{ labels: { alertname: 'ShopErrors', severity: 'warning' }, annotations: { summary: '3 errors', sample_lines: 'ERROR payment declined\nERROR payment declined\nERROR payment declined' }, state: 'firing', value: '3e+00' }],
      });
      expect(broken).toMatchObject({ name: 'Broken', health: 'err', type: 'alerting', state: 'inactive', alerts: [] });
      expect(String(broken!['lastError'])).toMatch(/nope/);
      expect(record).toMatchObject({ name: 'shop:lines:1h', health: 'ok', type: 'recording' });
      // letheql's viewerURL: the viewer (the server itself) on the log query, its window up to the last evaluation.
      const link = new URL(String(alert!['viewerURL']));
      expect(link.origin).toBe(base);
      const end = Date.parse(String(alert!['lastEvaluation']));
      expect(decodeState(link.hash)).toEqual({ query: 'pod{namespace="shop"} |= "ERROR"', range: { kind: 'absolute', startMs: end - 3_600_000, endMs: end } });
      const onlyRecords = await (await fetch(`${base}/api/v1/rules?type=record`)).json();
      expect(onlyRecords.data.groups[0].rules.map((r: { name: string }) => r.name)).toEqual(['shop:lines:1h']);
      expect((await fetch(`${base}/api/v1/rules?type=bogus`)).status).toBe(400);
      const alerts = await (await fetch(`${base}/api/v1/alerts`)).json();
      expect(alerts).toMatchObject({ status: 'success', data: { alerts: [{ labels: { alertname: 'ShopErrors', severity: 'warning' }, state: 'firing', value: '3e+00' }] } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`letheql_rule_evaluations_total\\{rule_group="${join(dir, 'rules.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')};shop"\\} [1-9]`));
      expect(metrics).toMatch(/letheql_rule_evaluation_failures_total\{rule_group="[^"]*;shop"\} [1-9]/);
      expect(metrics).toContain('letheql_rule_alerts{state="firing"} 1');
      expect(metrics).toMatch(/letheql_rule_scans_total\{rule_group="[^"]*;shop"\} [1-9]/);
    } finally {
      stop.abort();
      expect(await exit).toBe(0);
    }
  }, 30_000);

  it('refuses a bad rule file at start with its position (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'letheql-serve-rules-'));
    writeFileSync(join(dir, 'bad.yaml'), 'groups:\n  - name: g\n    rules:\n      - alert: A\n');
    const err = sink();
    const code = await runServe(['--store', dir, '--listen', '127.0.0.1:0', '--rules', join(dir, 'bad.yaml')], { stdout: sink() as never, stderr: err as never, env: {} }, AbortSignal.abort());
    expect(code).toBe(2);
    expect(err.chunks.join('')).toContain(`${join(dir, 'bad.yaml')}:4:9: field 'expr' must be set in rule`);
  });

  it("formats values as Go's %e", () => {
    expect([1, 24, 0.5, 1234567, NaN, Infinity, -0.001].map(formatGoExp)).toEqual(['1e+00', '2.4e+01', '5e-01', '1.234567e+06', 'NaN', '+Inf', '-1e-03']);
  });
});
