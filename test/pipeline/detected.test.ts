/**
 * Level and field detection (`src/pipeline/detected.ts`), and `__detected_level__` in a
 * `label_format` template through the engine's own pipeline.
 */
import { describe, expect, it } from 'vitest';
import { LogStore } from '../../src/api.js';
import { detectLevel, fieldType, lineFields, mergeTypes } from '../../src/pipeline/detected.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';

describe('detectLevel', () => {
  it.each([
    ['{"level":"WARNING","msg":"disk"}', 'warn'],
    ['{"severity":"Error","msg":"x"}', 'error'],
    ['{"msg":"an error happened"}', 'error'],
    ['ts=1 lvl=dbg msg="cache hit"', 'debug'],
    ['level=info msg="error budget fine"', 'info'],
    ['2024-09-24 14:02:59.476  INFO 1 --- [main] c.s.App : started', 'info'],
    ['E0924 14:00:00.1 1 x.go:1] failed', 'unknown'],
    ['[error] mod_jk child workerEnv in error state 6', 'error'],
    ['PANIC: runtime error', 'fatal'],
    ['we err on the side of caution', 'unknown'],
    ['ERR connection refused', 'error'],
    ['{"level":"notice"}', 'notice'],
    ['GET /healthz 200', 'unknown'],
  ])('%s → %s', (line, want) => expect(detectLevel(line)).toBe(want));
});

describe('fields', () => {
  it('reads JSON (nested keys joined with _) and logfmt (identifier keys only)', () => {
    expect(lineFields('{"a":{"b":1},"c":"x","d":null}')).toEqual({ parser: 'json', fields: new Map([['a_b', '1'], ['c', 'x'], ['d', '']]) });
    expect(lineFields('ts=1 msg="hi \\"there\\"" http.status=200 GET /x?a=1')).toEqual({ parser: 'logfmt', fields: new Map([['ts', '1'], ['msg', 'hi "there"'], ['http_status', '200']]) });
    expect(lineFields('plain words only')).toBeNull();
  });
  it.each([
    ['42', 'int'],
    ['-3.5', 'float'],
    ['1e3', 'float'],
    ['true', 'boolean'],
    ['150ms', 'duration'],
    ['1h2m', 'duration'],
    ['12KB', 'bytes'],
    ['3 MiB', 'bytes'],
    ['abc', 'string'],
  ])('fieldType(%s) = %s', (v, t) => expect(fieldType(v)).toBe(t));
  it('merges types', () => {
    expect(mergeTypes(new Set(['int', 'float'] as const))).toBe('float');
    expect(mergeTypes(new Set(['int', 'string'] as const))).toBe('string');
    expect(mergeTypes(new Set(['duration'] as const))).toBe('duration');
  });
});

describe('__detected_level__ in label_format', () => {
  it('gives every line its level, usable in a grouping', async () => {
    const store = new LogStore(
      MemoryChunkSource.fromRecord({
        'pod/a/2024-09-24_15.log': [
          '2024-09-24T15:00:01.000000Z[a|p|c] {"level":"info","msg":"x"}',
          '2024-09-24T15:00:02.000000Z[a|p|c] level=error msg=y',
          '2024-09-24T15:00:03.000000Z[a|p|c] WARN z',
          '2024-09-24T15:00:04.000000Z[a|p|c] nothing',
          '',
        ].join('\n'),
      }),
    );
    const r = await store.queryMetric('sum by (detected_level) (count_over_time(pod{namespace="a"} | label_format detected_level=`{{ __detected_level__ }}` [1h]))', { end: '2024-09-24T16:00:00Z' });
    expect(Object.fromEntries(r.result.series.map((s) => [s.labels['detected_level'], s.samples[0]![1]]))).toEqual({ info: 1, error: 1, warn: 1, unknown: 1 });
  });
});
