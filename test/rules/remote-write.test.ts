/**
 * Recording rules → Prometheus remote-write, against Debian's real `prometheus` started on
 * 127.0.0.1 with its remote-write receiver: the recorded series are queryable there with
 * the expected values. The ruler's clock is set to the real time (Prometheus refuses samples
 * far in the past of its head block).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogStore } from '../../src/api.js';
import { parseRuleFile } from '../../src/rules/rule-file.js';
import { encodeWriteRequest, RemoteWriter } from '../../src/rules/remote-write.js';
import { Ruler } from '../../src/rules/ruler.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { binary, freePort, httpReceiver, startService, type Service } from '../support/services.js';

const PROMETHEUS = binary('/usr/bin/prometheus');

describe.skipIf(!PROMETHEUS)('remote-write to Prometheus (Debian prometheus; install it with apt to run)', () => {
  let prom: Service;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'letheql-prom-'));
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
    const port = await freePort();
    prom = await startService(PROMETHEUS!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=warn'], `http://127.0.0.1:${port}`, '/-/ready');
  }, 40_000);
  afterAll(async () => {
    await prom?.stop();
  });

  it('recorded series are queryable in Prometheus with the expected values', async () => {
    const nowMs = Math.floor(Date.now() / 60_000) * 60_000; // a whole minute at or before now
    const stamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');
    const files: Record<string, string> = {};
    const add = (ms: number, text: string): void => {
      const key = `pod/shop/${new Date(ms).toISOString().slice(0, 13).replace('T', '_')}.log`;
      files[key] = (files[key] ?? '') + `${stamp(ms)}${text}\n`;
    };
    // In the minute before now: 3 lines from api-1 (2 errors), 1 error from api-2.
    add(nowMs - 50_000, '[shop|api-1|api] ERROR a');
    add(nowMs - 40_000, '[shop|api-1|api] ok');
    add(nowMs - 30_000, '[shop|api-1|api] ERROR b');
    add(nowMs - 20_000, '[shop|api-2|api] ERROR c');
    const writer = new RemoteWriter([`${prom.url}/api/v1/write`]);
    const ruler = new Ruler({
      store: new LogStore(MemoryChunkSource.fromRecord(files)),
      groups: parseRuleFile(
        `groups:\n  - name: rec\n    interval: 1m\n    rules:\n      - record: shop:errors:count1m\n        expr: sum by (pod) (count_over_time(pod{namespace="shop"} |= "ERROR" [1m]))\n        labels: {source: letheql}\n      - record: shop:lines:count1m\n        expr: sum(count_over_time(pod{namespace="shop"} [1m]))\n`,
        'r.yaml',
      ),
      now: () => BigInt(nowMs) * 1_000_000n,
      onRecord: (s) => writer.send(s),
    });
    await ruler.evaluateAll();
    expect(await writer.flush(10_000)).toBe(true);
    expect(writer.stats[0]).toMatchObject({ sent: 3, failedAttempts: 0, dropped: 0 });
    const query = async (q: string) => (await (await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query: q, time: String(nowMs / 1000) })}`)).json()).data.result as { metric: Record<string, string>; value: [number, string] }[];
    const errors = (await query('shop:errors:count1m')).map((r) => [r.metric, r.value]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(errors).toEqual([
      [{ __name__: 'shop:errors:count1m', pod: 'api-1', source: 'letheql' }, [nowMs / 1000, '2']],
      [{ __name__: 'shop:errors:count1m', pod: 'api-2', source: 'letheql' }, [nowMs / 1000, '1']],
    ]);
    expect((await query('shop:lines:count1m')).map((r) => r.value[1])).toEqual(['4']);
    writer.close();
  }, 30_000);

  it('drops a batch the receiver refuses (4xx) and retries a 5xx', async () => {
    const refuse = await httpReceiver(400);
    const flaky = await httpReceiver(503);
    const writer = new RemoteWriter([refuse.url, flaky.url], { initialBackoffMs: 20, maxBackoffMs: 50 });
    writer.send([{ labels: { __name__: 'x' }, timeNs: 1_000_000_000n, value: 1 }]);
    await flaky.waitFor((r) => r.length >= 2);
    flaky.setStatus(200);
    expect(await writer.flush(5000)).toBe(true);
    const [a, b] = writer.stats;
    expect([a!.sent, a!.dropped, a!.failedAttempts]).toEqual([0, 1, 1]);
    expect(b!.sent).toBe(1);
    expect(flaky.received[0]!.headers['content-encoding']).toBe('snappy');
    expect(flaky.received[0]!.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    writer.close();
    await refuse.close();
    await flaky.close();
  });

  it('encodes a WriteRequest as protobuf (labels sorted, ms timestamps)', () => {
    const bytes = encodeWriteRequest([{ labels: { b: '2', __name__: 'm' }, timeNs: 1_500_000_000n, value: 1 }]);
    // timeseries{ labels{__name__,m} labels{b,2} samples{1.0, 1500} }
    expect(Buffer.from(bytes).toString('hex')).toBe('0a25' + '0a0d' + '0a085f5f6e616d655f5f' + '12016d' + '0a06' + '0a0162' + '120132' + '120c' + '09000000000000f03f' + '10dc0b');
  });
});
