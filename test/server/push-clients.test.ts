/**
 * Lossless, forgiving pushes (issue 15 point 3), against `letheql serve` (its command entry,
 * in-process) on 127.0.0.1 with a config file:
 * - the real npm clients: `winston-loki` (snappy protobuf, millisecond times, labels
 *   `{level, app}`) and `pino-loki` (JSON, nanosecond times as strings); every pushed line is
 *   read back exactly, its time to the nanosecond;
 * - partial success: a push with refused streams and entries stores the rest and answers 400
 *   naming what was refused and why; `/metrics` counts it;
 * - the push label rule (`push.labels` in the config) maps client labels to a pod.
 */
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { runServe } from '../../src/cli/serve.js';
import { parseServerConfig } from '../../src/server/config.js';
import { DEFAULT_PUSH_LABEL_RULE } from '../../src/server/push.js';
import { parseRfc3339 } from '../../src/time.js';
import { deferred, eventually, get, postRaw, tempDir } from './helpers.js';

const ns = (rfc3339: string): string => String(parseRfc3339(rfc3339)!);
const JSON_TYPE = { 'content-type': 'application/json' };

function quietIo() {
  const stderr = new PassThrough();
  const err: string[] = [];
  stderr.on('data', (d) => err.push(String(d)));
  return { io: { stdout: new PassThrough(), stderr, env: {} }, err: () => err.join('') };
}

describe('pushes from real clients to letheql serve', () => {
  const tmp = tempDir();
  const stop = new AbortController();
  let base = '';
  let exit: Promise<number>;
  beforeAll(async () => {
    mkdirSync(join(tmp.dir, 'store'));
    const config = join(tmp.dir, 'serve.json');
    // The rule: `service` names the pod first; namespace defaults to "apps" (container keeps its default).
    writeFileSync(config, JSON.stringify({ logLevel: 'warn', workers: 0, push: { fsync: 'none', labels: { pod: { from: ['pod', 'service', 'app'] }, namespace: { default: 'apps' } } } }));
    const url = deferred<string>();
    exit = runServe(['--store', join(tmp.dir, 'store'), '--listen', '127.0.0.1:0', '--config', config], quietIo().io, stop.signal, url.resolve);
    base = await url.promise;
  });
  afterAll(async () => {
    stop.abort();
    expect(await exit).toBe(0);
    tmp.cleanup();
  });

  const range = { start: ns('2024-09-24T15:00:00Z'), end: ns('2024-09-24T16:00:00Z'), direction: 'forward', limit: '1000' };
  const values = async (query: string): Promise<[string, string][]> => {
    const r = await get(base, '/loki/api/v1/query_range', { query, ...range });
    expect(r.status, r.text).toBe(200);
    return r.body.data.result.flatMap((s: { values: [string, string][] }) => s.values);
  };

  it('winston-loki (protobuf): {level, app} labels map to a pod, every line reads back exactly', async () => {
    const errors: unknown[] = [];
    const transport = new LokiTransport({
      host: base,
      labels: { app: 'winston-app' },
      batching: false,
      replaceTimestamp: false, // keep the record's own time (the client's default replaces it with "now")
      format: winston.format.printf((info) => String(info.message)),
      onConnectionError: (e: unknown) => errors.push(e),
    });
    const logger = winston.createLogger({ transports: [transport] });
    const sent: [string, string][] = [];
    for (let i = 0; i < 5; i++) {
      const time = `2024-09-24T15:0${i}:00.${String(100 + i)}Z`;
      logger.log({ level: i % 2 ? 'warn' : 'info', message: `winston line ${i} ✓`, timestamp: time });
      sent.push([ns(time), `winston line ${i} ✓`]);
    }
    // Lines of level info and warn are two streams; both map to the same pod.
    await eventually(async () => (await values('{namespace="apps", pod="winston-app"}')).length === 5);
    expect(errors).toEqual([]);
    expect(await values('{namespace="apps", pod="winston-app", container="default"}')).toEqual(sent);
    logger.close();
  });

  it('pino-loki (JSON, nanosecond times): every line reads back exactly, nanoseconds included', async () => {
    let current = '';
    const times = ['2024-09-24T15:10:00.123457789Z', '2024-09-24T15:10:00.123457790Z', '2024-09-24T15:10:01.000000001Z', '2024-09-24T15:10:02Z'].map(ns);
    const stream = pinoLoki({ host: base, batching: false, labels: { service: 'pino-svc' }, silenceErrors: false });
    // pino's custom timestamp: the nanosecond string goes into the JSON line, and pino-loki sends it as the entry's time.
    const logger = pino({ base: null, timestamp: () => `,"time":"${current}"` }, stream);
    for (let k = 0; k < times.length; k++) {
      current = times[k]!;
      logger.info(`pino line ${k}`);
    }
    await eventually(async () => (await values('{pod="pino-svc"}')).length === times.length);
    expect(await values('{namespace="apps", pod="pino-svc"}')).toEqual(times.map((t, k) => [t, `{"level":30,"time":"${t}","msg":"pino line ${k}"}`]));
    // A nanosecond-exact range finds exactly the one line.
    const exact = await get(base, '/loki/api/v1/query_range', { query: '{pod="pino-svc"}', start: times[0]!, end: String(BigInt(times[0]!) + 1n) });
    expect(exact.body.data.result[0].values.map((v: string[]) => v[0])).toEqual([times[0]]);
    // The store keeps 9 digits only where the time has them, Lethe's 6 otherwise.
    const file = readFileSync(join(tmp.dir, 'store/pod/apps/2024-09-24_15.log'), 'utf8');
    expect(file).toContain('2024-09-24T15:10:00.123457789Z[apps|pino-svc|default] {"level":30');
    expect(file).toContain('2024-09-24T15:10:02.000000Z[apps|pino-svc|default] {"level":30');
    stream.end();
  });

  it('stores the valid streams of a push and answers 400 naming what was refused and why', async () => {
    const body = JSON.stringify({
      streams: [
        { stream: { namespace: 'shop', pod: 'ok-1', container: 'app' }, values: [[ns('2024-09-24T15:20:00Z'), 'kept 1'], ['99999999999999999999', 'too late'], [ns('2024-09-24T15:20:01Z'), 'kept 2']] },
        { stream: { namespace: 'shop', pod: 'p|2', container: 'app' }, values: [[ns('2024-09-24T15:20:00Z'), 'bad pod']] },
        { stream: { level: 'info', team: 'x' }, values: [[ns('2024-09-24T15:20:00Z'), 'no pod'], [ns('2024-09-24T15:20:01Z'), 'no pod']] },
        { stream: { app: 'mapped', level: 'info' }, values: [[ns('2024-09-24T15:20:02Z'), 'mapped line']] },
      ],
    });
    const res = await postRaw(base, '/loki/api/v1/push', body, JSON_TYPE);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: expect.stringMatching(/^stored 3 of 7 entries; refused 4: stream \{container="app", namespace="shop", pod="ok-1"\}: invalid time 5138-11-16T09:46:39\.999999999Z: outside what a store can hold .* \(and 2 more refusals\)$/),
      message: res.body.error,
      data: {
        streams: 4,
        entries: 7,
        entriesStored: 3,
        linesWritten: 3,
        streamsMapped: 1,
        labelsDropped: { level: 1 },
        refusedCount: 3,
        refused: [
          { stream: '{container="app", namespace="shop", pod="ok-1"}', entries: 1, reason: 'time', message: expect.stringContaining('invalid time 5138-11-16T09:46:39.999999999Z: outside what a store can hold') },
          { stream: '{container="app", namespace="shop", pod="p|2"}', entries: 1, reason: 'label_value', message: 'stream {container="app", namespace="shop", pod="p|2"} cannot be stored: invalid pod "p|2": must not contain "|" (labels cannot hold | [ ] or control characters such as line breaks)' },
          { stream: '{level="info", team="x"}', entries: 2, reason: 'labels', message: expect.stringMatching(/^stream \{level="info", team="x"\} cannot be stored: no label for pod \(looked for pod, service, app\)/) },
        ],
      },
    });
    expect(await values('{namespace="shop"}')).toEqual([
      [ns('2024-09-24T15:20:00Z'), 'kept 1'],
      [ns('2024-09-24T15:20:01Z'), 'kept 2'],
    ]);
    expect(await values('{namespace="apps", pod="mapped"}')).toEqual([[ns('2024-09-24T15:20:02Z'), 'mapped line']]);
    const metrics = (await get(base, '/metrics')).text;
    expect(metrics).toMatch(/^letheql_push_entries_refused_total\{reason="time"\} 1$/m);
    expect(metrics).toMatch(/^letheql_push_entries_refused_total\{reason="label_value"\} 1$/m);
    expect(metrics).toMatch(/^letheql_push_entries_refused_total\{reason="labels"\} 2$/m);
    expect(metrics).toMatch(/^letheql_push_streams_mapped_total [1-9]\d*$/m);
  });

  it('answers 200 counting mapped streams and dropped labels, 204 when the labels are stored as sent', async () => {
    const mapped = await postRaw(base, '/loki/api/v1/push', JSON.stringify({ streams: [{ stream: { service: 's1', env: 'prod', level: 'warn' }, values: [[ns('2024-09-24T15:30:00Z'), 'x']] }] }), JSON_TYPE);
    expect([mapped.status, mapped.body]).toEqual([200, { status: 'success', data: { streams: 1, entries: 1, entriesStored: 1, linesWritten: 1, streamsMapped: 1, labelsDropped: { env: 1, level: 1 } } }]);
    const exact = await postRaw(base, '/loki/api/v1/push', JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'a', container: 'b' }, values: [[ns('2024-09-24T15:30:00Z'), 'y']] }] }), JSON_TYPE);
    expect([exact.status, exact.text]).toEqual([204, '']);
  });
});

describe('push.labels in the server config', () => {
  it('keeps the default rule for fields left out', () => {
    const c = parseServerConfig({ push: { labels: { pod: { from: ['service'] } } } });
    expect(c.push.labels).toEqual({ ...DEFAULT_PUSH_LABEL_RULE, pod: { from: ['service'], default: null } });
  });
  const bad: [unknown, RegExp][] = [
    [{ pod: 'app' }, /push\.labels\.pod must be \{"from"/],
    [{ host: {} }, /unknown key "host" in push\.labels/],
    [{ pod: { from: ['a-b'] } }, /push\.labels\.pod\.from must be a list of label names/],
    [{ namespace: { default: '..' } }, /push\.labels\.namespace\.default must be usable as one directory name/],
    [{ container: { default: 'a|b' } }, /push\.labels\.container\.default must not contain "\|"/],
  ];
  it.each(bad)('refuses %j', (labels, message) => {
    expect(() => parseServerConfig({ push: { labels } })).toThrow(message);
  });
});
