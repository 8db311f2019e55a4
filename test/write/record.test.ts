/**
 * Records → Lethe lines: the exact bytes written (timestamp digits, brackets, line breaks in
 * messages, the hour file) and the label rules (rejected values and why).
 */
import { describe, expect, it } from 'vitest';
import { LetheQLError } from '../../src/errors.js';
import { formatRecord, InvalidRecordError, messageLines, type FractionDigits, type LogRecord } from '../../src/write/record.js';

const pod = (over: Partial<Extract<LogRecord, { kind: 'pod' }>> = {}): LogRecord => ({
  kind: 'pod',
  time: '2024-09-24T15:00:01Z',
  namespace: 'shop',
  pod: 'api-7d9f',
  container: 'app',
  message: 'GET /',
  ...over,
});
const node = (over: Partial<Extract<LogRecord, { kind: 'node' }>> = {}): LogRecord => ({
  kind: 'node',
  time: '2024-09-24T15:00:01Z',
  node: 'node-a',
  process: 'kubelet',
  message: 'started',
  ...over,
});

describe('formatRecord', () => {
  const cases: [string, LogRecord, FractionDigits | undefined, string, string][] = [
    ['pod record, whole seconds', pod(), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.000000Z[shop|api-7d9f|app] GET /\n'],
    ['node record', node(), undefined, 'node/node-a/2024-09-24_15.log', '2024-09-24T15:00:01.000000Z[node-a|kubelet] started\n'],
    ['nanoseconds keep 9 digits (auto)', pod({ time: 1727190001123456789n }), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.123456789Z[shop|api-7d9f|app] GET /\n'],
    ['whole microseconds keep Lethe\'s 6 digits (auto)', pod({ time: 1727190001123456000n }), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.123456Z[shop|api-7d9f|app] GET /\n'],
    ['one nanosecond is enough for 9 digits (auto)', pod({ time: '2024-09-24T15:00:01.000000001Z' }), 'auto', 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.000000001Z[shop|api-7d9f|app] GET /\n'],
    ['nanoseconds truncate to 6 digits on request', pod({ time: 1727190001123456789n }), 6, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.123456Z[shop|api-7d9f|app] GET /\n'],
    ['9 digits on request', pod({ time: 1727190001123456789n }), 9, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.123456789Z[shop|api-7d9f|app] GET /\n'],
    ['0 digits on request', pod({ time: '2024-09-24T15:00:01.999Z' }), 0, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01Z[shop|api-7d9f|app] GET /\n'],
    ['an offset becomes UTC, in the UTC hour', pod({ time: '2024-09-25T01:30:00.5+09:00' }), undefined, 'pod/shop/2024-09-24_16.log', '2024-09-24T16:30:00.500000Z[shop|api-7d9f|app] GET /\n'],
    ['a Date', pod({ time: new Date('2024-09-24T15:59:59.999Z') }), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:59:59.999000Z[shop|api-7d9f|app] GET /\n'],
    ['last nanosecond of an hour stays in it', pod({ time: '2024-09-24T15:59:59.999999999Z' }), 6, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:59:59.999999Z[shop|api-7d9f|app] GET /\n'],
    ['before 1970', node({ time: '1969-12-31T23:59:59.5Z' }), undefined, 'node/node-a/1969-12-31_23.log', '1969-12-31T23:59:59.500000Z[node-a|kubelet] started\n'],
    [
      'line breaks split the message',
      pod({ message: 'a\nb\r\nc\rd' }),
      undefined,
      'pod/shop/2024-09-24_15.log',
      ['a', 'b', 'c', 'd'].map((m) => `2024-09-24T15:00:01.000000Z[shop|api-7d9f|app] ${m}\n`).join(''),
    ],
    ['one trailing break adds no line', pod({ message: 'done\n' }), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.000000Z[shop|api-7d9f|app] done\n'],
    ['empty message', pod({ message: '' }), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.000000Z[shop|api-7d9f|app] \n'],
    ['brackets and bars are fine in messages', pod({ message: '[x|y] ]' }), undefined, 'pod/shop/2024-09-24_15.log', '2024-09-24T15:00:01.000000Z[shop|api-7d9f|app] [x|y] ]\n'],
    ['dots and unicode in labels', pod({ namespace: 'kube-system', pod: 'coredns.1', container: 'déjà' }), undefined, 'pod/kube-system/2024-09-24_15.log', '2024-09-24T15:00:01.000000Z[kube-system|coredns.1|déjà] GET /\n'],
  ];
  it.each(cases)('%s', (_name, record, digits, path, text) => {
    const f = formatRecord(record, digits);
    expect(f.path).toBe(path);
    expect(f.text).toBe(text);
    expect(f.lines).toBe(text.split('\n').length - 1);
  });

  it('messageLines keeps inner empty lines', () => {
    expect(messageLines('a\n\nb\n')).toEqual(['a', '', 'b']);
    expect(messageLines('\n')).toEqual(['']);
  });
});

describe('formatRecord rejects what a Lethe line cannot hold', () => {
  const cases: [string, LogRecord, string, RegExp][] = [
    ['empty namespace', pod({ namespace: '' }), 'namespace', /must not be empty/],
    ['| in a pod name', pod({ pod: 'a|b' }), 'pod', /must not contain "\|"/],
    ['] in a container', pod({ container: 'a]b' }), 'container', /must not contain "]"/],
    ['[ in a process', node({ process: 'a[1' }), 'process', /must not contain "\["/],
    ['newline in a container', pod({ container: 'a\nb' }), 'container', /must not contain "\\n"/],
    ['tab in a node', node({ node: 'a\tb' }), 'node', /control characters/],
    ['.. as namespace', pod({ namespace: '..' }), 'namespace', /directory name/],
    ['. as node', node({ node: '.' }), 'node', /directory name/],
    ['/ in a namespace', pod({ namespace: 'a/b' }), 'namespace', /directory name/],
    ['\\ in a node', node({ node: 'a\\b' }), 'node', /directory name/],
    ['/ is fine in a pod label (not a directory)', pod({ pod: 'ok' }), '', /^$/],
    ['bad time text', pod({ time: 'yesterday' }), 'time', /expected RFC 3339/],
    ['invalid Date', pod({ time: new Date(NaN) }), 'time', /invalid Date/],
    ['year 10000', pod({ time: 253402300800000000000n }), 'time', /outside what a store can hold/],
    // Issue 16 point 6: the writer's window is the reader's (int64 ns), at the written precision.
    ['year 9999', pod({ time: '9999-01-01T00:00:00Z' }), 'time', /^invalid time 9999-01-01T00:00:00\.000000000Z: outside what a store can hold \(int64 nanoseconds, 1677-09-21T00:12:43\.145224192Z to 2262-04-11T23:47:16\.854775807Z at 6 fraction digits\)$/],
    ['year 0001', pod({ time: '0001-01-01T00:00:00Z' }), 'time', /outside what a store can hold/],
    ['the first instant keeps its nanoseconds (auto), so it is fine', pod({ time: '1677-09-21T00:12:43.145224192Z' }), '', /^$/],
    ['the first whole microsecond after it is fine', pod({ time: '1677-09-21T00:12:43.145225Z' }), '', /^$/],
    ['the last instant is fine', pod({ time: '2262-04-11T23:47:16.854775807Z' }), '', /^$/],
    ['a namespace of 254 bytes', pod({ namespace: 'n'.repeat(254) }), 'namespace', /is longer than 253 bytes/],
    ['a pod of 253 bytes is fine', pod({ pod: 'p'.repeat(253) }), '', /^$/],
    ['a container of 85 three-byte characters (255 bytes)', pod({ container: '€'.repeat(85) }), 'container', /is longer than 253 bytes/],
    ['unknown kind', { ...pod(), kind: 'job' } as unknown as LogRecord, 'kind', /expected "pod" or "node"/],
    ['message not a string', pod({ message: 42 as unknown as string }), 'message', /must be a string/],
  ];
  it.each(cases)('%s', (_name, record, field, message) => {
    if (field === '') {
      expect(() => formatRecord(record)).not.toThrow();
      return;
    }
    let err: unknown;
    try {
      formatRecord(record);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidRecordError);
    expect(err).toBeInstanceOf(LetheQLError);
    expect((err as InvalidRecordError).field).toBe(field);
    expect((err as InvalidRecordError).code).toBe(field === 'time' ? 'INVALID_TIME' : 'INVALID_RECORD');
    expect((err as Error).message).toMatch(message);
  });
});
