/**
 * Alerts reach Debian's real Alertmanager, started on 127.0.0.1 by the test: a log rule goes
 * pending, then firing (the ruler's clock is stepped by hand, one second per tick, never
 * ahead of the real time: Alertmanager judges `endsAt` by its own clock), and shows in Alertmanager's
 * `/api/v2/alerts` with its labels, templated annotations, sample lines and generatorURL;
 * when the matching lines stop it resolves, and Alertmanager's webhook receiver (an HTTP
 * server in the test) gets the firing and then the resolved notification. Also: an
 * unreachable Alertmanager is retried with back-off without holding up evaluation.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogStore } from '../../src/api.js';
import { AlertmanagerSender, alertsEndpoint } from '../../src/rules/alertmanager.js';
import { parseRuleFile } from '../../src/rules/rule-file.js';
import { Ruler } from '../../src/rules/ruler.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { binary, freePort, httpReceiver, startService, type Service } from '../support/services.js';

const AM = binary('/usr/bin/prometheus-alertmanager');

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

describe.skipIf(!AM)('Alertmanager (Debian prometheus-alertmanager; install it with apt to run)', () => {
  let am: Service;
  let hook: Awaited<ReturnType<typeof httpReceiver>>;

  beforeAll(async () => {
    hook = await httpReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'letheql-am-'));
    writeFileSync(
      join(dir, 'am.yml'),
      `route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${hook.url}/hook\n        send_resolved: true\n`,
    );
    const port = await freePort();
    am = await startService(AM!, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], `http://127.0.0.1:${port}`, '/-/ready');
  }, 40_000);

  afterAll(async () => {
    await am?.stop();
    await hook?.close();
  });

  it('pending → firing shows in /api/v2/alerts with labels, annotations, sample lines, generatorURL; lines stop → resolved', async () => {
    // Whole seconds of real time; error lines at base+0.5 s … base+4.5 s, then none.
    const base = BigInt(Math.ceil(Date.now() / 1000) + 1) * 1_000_000_000n;
    const stamp = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString().replace('Z', '000Z');
    const hour = new Date(Number(base / 1_000_000n)).toISOString().slice(0, 13).replace('T', '_');
    const lines: string[] = [];
    for (let k = 0n; k < 5n; k++) lines.push(`${stamp(base + k * 1_000_000_000n + 500_000_000n)}[shop|api-1|api] ERROR payment ${k} declined`);
    // Lines near an hour boundary may fall in the next hour's file; store both hours.
    const files: Record<string, string> = {};
    for (const l of lines) {
      const h = l.slice(0, 13).replace('T', '_');
      files[`pod/shop/${h}.log`] = (files[`pod/shop/${h}.log`] ?? '') + l + '\n';
    }
    expect(Object.keys(files).some((f) => f.includes(hour))).toBe(true);
    const store = new LogStore(MemoryChunkSource.fromRecord(files));
    const sender = new AlertmanagerSender([am.url]);
    let now = base;
    const ruler = new Ruler({
      store,
      groups: parseRuleFile(
        `groups:\n  - name: shop\n    interval: 1s\n    rules:\n      - alert: PaymentErrors\n        expr: pod{namespace="shop"} |= "ERROR"\n        for: 2s\n        labels: {severity: page, team: '{{ "payments" | toUpper }}'}\n        annotations:\n          summary: '{{ $value }} payment errors in the last second'\n`,
        'r.yaml',
      ),
      now: () => now,
      externalURL: 'http://letheql.test:3100/',
      externalLabels: { cluster: 'prod-a' },
      notify: (a) => sender.send(a),
    });
    /** Steps the ruler's clock to base + k s, once the real time has reached it. */
    const tick = async (k: bigint): Promise<void> => {
      now = base + k * 1_000_000_000n;
      while (Date.now() < Number(now / 1_000_000n)) await new Promise((r) => setTimeout(r, 20));
      await ruler.evaluateAll();
    };
    const amAlerts = async (): Promise<AmAlert[]> => (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as AmAlert[];

    for (const k of [1n, 2n]) {
      await tick(k);
      expect(ruler.alerts().map((a) => a.alert.state)).toEqual(['pending']);
    }
    expect(await sender.flush(5000)).toBe(true);
    expect(await amAlerts()).toEqual([]); // pending alerts are not sent
    await tick(3n);
    expect(ruler.alerts().map((a) => a.alert.state)).toEqual(['firing']);
    expect(await sender.flush(5000)).toBe(true);
    const [shown, ...more] = await amAlerts();
    expect(more).toEqual([]);
    expect(shown!.status.state).toBe('active');
    expect(shown!.labels).toEqual({ alertname: 'PaymentErrors', severity: 'page', team: 'PAYMENTS', cluster: 'prod-a' });
    expect(shown!.annotations).toEqual({ summary: '1 payment errors in the last second', sample_lines: 'ERROR payment 2 declined' });
    expect(shown!.generatorURL).toMatch(/^http:\/\/letheql\.test:3100\/#q=pod%7Bnamespace%3D%22shop%22%7D\+%7C%3D\+%22ERROR%22&from=/);
    expect(Date.parse(shown!.startsAt)).toBe(Number((base + 3_000_000_000n) / 1_000_000n));
    await hook.waitFor((r) => r.some((x) => JSON.parse(x.body.toString()).status === 'firing'));

    // The lines stop after base+4.5 s: at base+6 s the window (5 s, 6 s] is empty.
    for (const k of [4n, 5n, 6n]) await tick(k);
    expect(ruler.alerts().map((a) => a.alert.state)).toEqual(['inactive']);
    expect(await sender.flush(5000)).toBe(true);
    const resolvedAt = Number((base + 6_000_000_000n) / 1_000_000n);
    expect(await amAlerts()).toEqual([]);
    await hook.waitFor((r) => r.some((x) => JSON.parse(x.body.toString()).status === 'resolved'));
    const resolved = hook.received.map((x) => JSON.parse(x.body.toString())).find((b) => b.status === 'resolved');
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', labels: { alertname: 'PaymentErrors' } });
    expect(Date.parse(resolved.alerts[0].endsAt)).toBe(resolvedAt);
    sender.close();
  }, 60_000);

  it('retries an unreachable Alertmanager with back-off, never blocking send(), and delivers once it answers', async () => {
    const down = await httpReceiver(503);
    const sender = new AlertmanagerSender([down.url, am.url], { initialBackoffMs: 50, maxBackoffMs: 200 });
    const alert = { labels: { alertname: 'Retry' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 60_000).toISOString(), generatorURL: '' };
    sender.send([alert]); // returns at once
    await down.waitFor((r) => r.length >= 3);
    expect(down.received.every((r) => r.path === '/api/v2/alerts')).toBe(true);
    expect((await (await fetch(`${am.url}/api/v2/alerts?filter=alertname%3D%22Retry%22`)).json()).length).toBe(1);
    down.setStatus(200);
    expect(await sender.flush(5000)).toBe(true);
    const [bad, good] = sender.stats;
    expect(bad!.failedAttempts).toBeGreaterThanOrEqual(2);
    expect(bad!.lastError).toMatch(/HTTP 503/);
    expect([bad!.sent, good!.sent, good!.failedAttempts]).toEqual([1, 1, 0]);
    sender.close();
    await down.close();
  });

  it('builds the endpoint from a base URL', () => {
    expect(alertsEndpoint('http://am:9093')).toBe('http://am:9093/api/v2/alerts');
    expect(alertsEndpoint('http://am:9093/prefix/')).toBe('http://am:9093/prefix/api/v2/alerts');
    expect(alertsEndpoint('https://am/api/v2/alerts')).toBe('https://am/api/v2/alerts');
    expect(() => alertsEndpoint('ftp://am')).toThrow('invalid Alertmanager URL "ftp://am": expected http:// or https://');
  });
});
