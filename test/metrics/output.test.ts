/**
 * Result outputs: Prometheus value and time formatting, the Prometheus `data` JSON (text
 * and object), and the Arrow long table (schema, nulls, collisions, IPC round trip).
 */
import { DataType, tableFromIPC, TimeUnit } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { toArrowIPC } from '../../src/arrow/build.js';
import {
  formatPromTime,
  formatPromValue,
  MemorySampleSource,
  metricTable,
  prometheusDataJson,
  toPrometheusData,
  type MetricResult,
} from '../../src/metrics/index.js';
import { formatFloatF } from '../../src/go-format.js';
import { at, expression, run, T0 } from './helpers.js';

describe('formatPromValue (Go strconv as Prometheus uses it)', () => {
  it.each([
    [1, '1'],
    [-2, '-2'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [123456789.125, '123456789.125'],
    [0.000001, '0.000001'],
    [1e-7, '1e-07'],
    [1.5e-10, '1.5e-10'],
    [2e-300, '2e-300'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [-0, '-0'],
    [0, '0'],
  ])('%s → %s', (v, want) => {
    expect(formatPromValue(v)).toBe(want);
  });

  it.each([
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e22, '-25000000000000000000000'],
    [10, '10'],
    [Infinity, '+Inf'],
  ])("count_values' 'f' form: %s → %s", (v, want) => {
    expect(formatFloatF(v)).toBe(want);
  });
});

describe('formatPromTime', () => {
  it.each([
    [T0, '1257894000'],
    [T0 + 500_000_000n, '1257894000.500'],
    [T0 + 1_000_000n, '1257894000.001'],
    [T0 + 1n, '1257894000.000000001'],
    [T0 + 1_250n, '1257894000.00000125'],
    [-1_500_000_000n, '-1.500'],
    [0n, '0'],
  ])('%s → %s', (t, want) => {
    expect(formatPromTime(t)).toBe(want);
  });
});

const source = () =>
  new MemorySampleSource({
    'pod{namespace=~".+"}': expression([
      { labels: { namespace: 'a', pod: 'a1' }, at: [10, 20] },
      { labels: { namespace: 'b' }, at: [70] },
    ]),
  });

describe('Prometheus JSON', () => {
  it('matrix', async () => {
    const result = await run('count_over_time(pod{namespace=~".+"}[1m])', source(), { start: 30, end: 90.5, step: 60.5 });
    expect(prometheusDataJson(result)).toBe(
      '{"resultType":"matrix","result":[' +
        '{"metric":{"namespace":"a","pod":"a1"},"values":[[1257894030,"2"]]},' +
        '{"metric":{"namespace":"b"},"values":[[1257894090.500,"1"]]}]}',
    );
    expect(JSON.parse(prometheusDataJson(result))).toEqual(toPrometheusData(result));
  });

  it('vector, with special values', async () => {
    const result = await run('count_over_time(pod{namespace=~".+"}[1m]) / 0 - 1', source(), { time: 30 });
    expect(prometheusDataJson(result)).toBe('{"resultType":"vector","result":[{"metric":{"namespace":"a","pod":"a1"},"value":[1257894030,"+Inf"]}]}');
    expect(toPrometheusData(result)).toEqual({ resultType: 'vector', result: [{ metric: { namespace: 'a', pod: 'a1' }, value: [1257894030, '+Inf'] }] });
  });

  it('scalar', async () => {
    const result = await run('0.1 + 0.2', source(), { time: 0.25 });
    expect(prometheusDataJson(result)).toBe('{"resultType":"scalar","result":[1257894000.250,"0.30000000000000004"]}');
    expect(toPrometheusData(result)).toEqual({ resultType: 'scalar', result: [1257894000.25, '0.30000000000000004'] });
  });

  it('an empty result', async () => {
    const result = await run('count_over_time(pod{namespace=~".+"}[1m])', source(), { time: 1000 });
    expect(prometheusDataJson(result)).toBe('{"resultType":"vector","result":[]}');
  });

  it('label names and values are JSON-escaped', () => {
    const result: MetricResult = { resultType: 'vector', series: [{ labels: { msg: 'a "quoted"\nline' }, samples: [[0n, NaN]] }] };
    expect(prometheusDataJson(result)).toBe('{"resultType":"vector","result":[{"metric":{"msg":"a \\"quoted\\"\\nline"},"value":[0,"NaN"]}]}');
  });
});

describe('Arrow long table', () => {
  it('one dictionary column per label (sorted), then time and value; missing labels are null', async () => {
    const result = await run('count_over_time(pod{namespace=~".+"}[1m])', source(), { start: 30, end: 90, step: 60 });
    const table = metricTable(result);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['namespace', 'pod', 'time', 'value']);
    const [ns, pod, time, value] = table.schema.fields;
    expect(DataType.isDictionary(ns!.type)).toBe(true);
    expect(DataType.isDictionary(pod!.type)).toBe(true);
    expect(DataType.isTimestamp(time!.type)).toBe(true);
    expect((time!.type as { unit: TimeUnit }).unit).toBe(TimeUnit.NANOSECOND);
    expect((time!.type as { timezone: string }).timezone).toBe('UTC');
    expect(DataType.isFloat(value!.type)).toBe(true);
    expect(ns!.metadata.get('label')).toBe('namespace');
    // Rows: series by series. a/a1 at 30 (window (−30,30]: 10, 20); b at 90 ((30,90]: 70).
    const rows = table.toArray().map((r) => ({ namespace: r.namespace, pod: r.pod, value: r.value }));
    expect(rows).toEqual([
      { namespace: 'a', pod: 'a1', value: 2 },
      { namespace: 'b', pod: null, value: 1 },
    ]);
    // Row accessors give milliseconds; the column holds nanoseconds.
    expect([...(table.getChild('time')!.data[0]!.values as BigInt64Array)]).toEqual([at(30), at(90)]);
  });

  it('survives an IPC round trip', async () => {
    const result = await run('count_over_time(pod{namespace=~".+"}[1m])', source(), { start: 30, end: 90, step: 60 });
    const back = tableFromIPC(toArrowIPC(metricTable(result)));
    expect(back.numRows).toBe(2);
    expect(back.getChild('pod')!.toArray()).toEqual(['a1', null]);
    expect([...back.getChild('value')!]).toEqual([2, 1]);
  });

  it('labels named time or value get a suffixed column', () => {
    const result: MetricResult = { resultType: 'vector', series: [{ labels: { time: 'noon', value: 'v', z: 'z' }, samples: [[5n, 1]] }] };
    const table = metricTable(result);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['time_extracted', 'value_extracted', 'z', 'time', 'value']);
    expect(table.schema.fields[0]!.metadata.get('label')).toBe('time');
    expect(table.get(0)!.toJSON()).toMatchObject({ time_extracted: 'noon', value_extracted: 'v', z: 'z', value: 1 });
  });

  it('an empty result keeps its schema; a scalar has no label columns', async () => {
    const empty = metricTable({ resultType: 'matrix', series: [] });
    expect(empty.schema.fields.map((f) => f.name)).toEqual(['time', 'value']);
    expect(empty.numRows).toBe(0);
    const scalar = metricTable(await run('1', source(), { time: 0 }));
    expect(scalar.schema.fields.map((f) => f.name)).toEqual(['time', 'value']);
    expect([...scalar.getChild('value')!]).toEqual([1]);
  });
});
