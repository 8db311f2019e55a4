/**
 * Input parsers (Docker json-file, CRI, syslog, kubelet file names), the line splitter and
 * the decoder (partial joining, record boundaries, malformed lines).
 */
import { describe, expect, it } from 'vitest';
import { parseCriLine } from '../../src/write/cri.js';
import { LineDecoder, type DecoderOptions } from '../../src/write/decoder.js';
import { parseDockerLine } from '../../src/write/docker.js';
import { parseKubeLogPath } from '../../src/write/kube-paths.js';
import { LineSplitter } from '../../src/write/line-splitter.js';
import { parseSyslogLine } from '../../src/write/syslog.js';
import { parseRfc3339 } from '../../src/time.js';

const ns = (t: string): bigint => parseRfc3339(t)!;
const ID = '0123456789abcdef'.repeat(4);

describe('parseDockerLine', () => {
  const cases: [string, string, object | string][] = [
    ['a whole line', '{"log":"GET /\\n","stream":"stdout","time":"2018-02-21T17:26:53.360920913Z"}', { timeNs: ns('2018-02-21T17:26:53.360920913Z'), stream: 'stdout', message: 'GET /', partial: false }],
    ['8 fraction digits', '{"log":"x\\n","stream":"stderr","time":"2016-03-02T22:59:04.66649744Z"}', { timeNs: ns('2016-03-02T22:59:04.666497440Z'), stream: 'stderr', message: 'x', partial: false }],
    ['a partial (no trailing \\n)', '{"log":"part","stream":"stdout","time":"2018-02-21T17:26:53Z"}', { message: 'part', partial: true }],
    ['JSON inside log is unescaped once', '{"log":"{\\"a\\":\\"b\\"}\\n","stream":"stdout","time":"2018-02-21T17:26:53Z"}', { message: '{"a":"b"}' }],
    ['missing leading brace', '"log":"cp x\\n","stream":"stdout","time":"2016-03-02T22:59:04.647847045Z"}', 'not a JSON object'],
    ['an array', '[1]', 'not a JSON object'],
    ['no log field', '{"stream":"stdout","time":"2016-03-02T22:59:04Z"}', 'missing string field "log"'],
    ['bad time', '{"log":"x\\n","time":"yesterday"}', 'invalid time'],
  ];
  it.each(cases)('%s', (_n, line, expected) => {
    const r = parseDockerLine(line);
    if (typeof expected === 'string') {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain(expected);
    } else {
      expect(r.ok && r.entry).toMatchObject(expected);
    }
  });
});

describe('parseCriLine', () => {
  const cases: [string, string, object | string][] = [
    ['full', '2024-09-24T15:00:01.123456789Z stdout F GET / 200', { timeNs: ns('2024-09-24T15:00:01.123456789Z'), stream: 'stdout', message: 'GET / 200', partial: false }],
    ['partial', '2024-09-24T15:00:01Z stderr P first half ', { stream: 'stderr', message: 'first half ', partial: true }],
    ['empty message with its space', '2024-09-24T15:00:01Z stdout F ', { message: '', partial: false }],
    ['empty message without the space', '2024-09-24T15:00:01Z stdout F', { message: '', partial: false }],
    ['extra tags after the first', '2024-09-24T15:00:01Z stdout F:x msg', { message: 'msg', partial: false }],
    ['spaces kept in the message', '2024-09-24T15:00:01Z stdout F   indented', { message: '  indented' }],
    ['offset time', '2024-09-25T00:00:01+09:00 stdout F x', { timeNs: ns('2024-09-24T15:00:01Z') }],
    ['bad stream', '2024-09-24T15:00:01Z stdin F x', 'invalid stream'],
    ['bad tag', '2024-09-24T15:00:01Z stdout X x', 'invalid tag'],
    ['no tag', '2024-09-24T15:00:01Z stdout', 'missing P/F tag'],
    ['bad time', 'noon stdout F x', 'invalid time'],
    ['docker line given to cri', '{"log":"x"}', 'not a CRI line'],
  ];
  it.each(cases)('%s', (_n, line, expected) => {
    const r = parseCriLine(line);
    if (typeof expected === 'string') {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain(expected);
    } else {
      expect(r.ok && r.entry).toMatchObject(expected);
    }
  });
});

describe('parseSyslogLine', () => {
  const ref = ns('2024-09-24T16:00:00Z');
  const cases: [string, string, bigint, object | string][] = [
    ['RFC 3164 with pid', 'Sep 24 15:00:01 node-a kubelet[1234]: I0924 started', ref, { timeNs: ns('2024-09-24T15:00:01Z'), host: 'node-a', process: 'kubelet', message: 'I0924 started' }],
    ['RFC 3164 without pid, single-digit day', 'Sep  4 15:00:01 node-a kernel: [  1.0] usb', ref, { timeNs: ns('2024-09-04T15:00:01Z'), process: 'kernel', message: '[  1.0] usb' }],
    ['RFC 3164 with PRI', '<30>Sep 24 15:00:01 node-a systemd[1]: Started x.', ref, { process: 'systemd', message: 'Started x.' }],
    ['no tag: process "-"', 'Sep 24 15:00:01 node-a just text', ref, { process: '-', message: 'just text' }],
    ['December line read in January: previous year', 'Dec 31 23:59:59 h p: x', ns('2025-01-01T00:10:00Z'), { timeNs: ns('2024-12-31T23:59:59Z') }],
    ['up to 7 days ahead stays in this year (clock skew)', 'Sep 30 00:00:00 h p: x', ref, { timeNs: ns('2024-09-30T00:00:00Z') }],
    ['more than 7 days ahead: last year', 'Oct  2 00:00:00 h p: x', ref, { timeNs: ns('2023-10-02T00:00:00Z') }],
    ['Feb 29 in a year after a leap year falls back to the leap year', 'Feb 29 10:00:00 h p: x', ns('2025-03-01T00:00:00Z'), { timeNs: ns('2024-02-29T10:00:00Z') }],
    ['RFC 3339 file format', '2024-09-24T15:00:01.123456+02:00 node-a containerd[77]: msg', ref, { timeNs: ns('2024-09-24T13:00:01.123456Z'), host: 'node-a', process: 'containerd', message: 'msg' }],
    ['RFC 5424 with structured data', '<165>1 2024-09-24T15:00:01.003Z node-a evntslog 99 ID47 [ex@32473 iut="3" a="x\\]y"] An event', ref, { timeNs: ns('2024-09-24T15:00:01.003Z'), host: 'node-a', process: 'evntslog', message: 'An event' }],
    ['RFC 5424 nil SD and BOM', '<34>1 2024-09-24T15:00:01Z node-a su - ID47 - \ufeffsu failed', ref, { process: 'su', message: 'su failed' }],
    ['RFC 5424 nil time', '<34>1 - node-a su - ID47 - x', ref, 'without a timestamp'],
    ['bad month', 'Foo 24 15:00:01 h p: x', ref, 'invalid month'],
    ['hour 25', 'Sep 24 25:00:01 h p: x', ref, 'invalid date or time'],
    ['not syslog', 'hello world', ref, 'not a syslog line'],
  ];
  it.each(cases)('%s', (_n, line, referenceNs, expected) => {
    const r = parseSyslogLine(line, { referenceNs });
    if (typeof expected === 'string') {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain(expected);
    } else {
      expect(r.ok && r.entry).toMatchObject(expected);
    }
  });

  it('a local-time offset shifts RFC 3164 times', () => {
    const r = parseSyslogLine('Sep 24 15:00:01 h p: x', { referenceNs: ref, utcOffsetMinutes: 540 });
    expect(r.ok && r.entry.timeNs).toBe(ns('2024-09-24T06:00:01Z'));
  });
});

describe('parseKubeLogPath', () => {
  const cases: [string, object | null][] = [
    [`/var/log/containers/api-7d9f-x2_shop_app-${ID}.log`, { pod: 'api-7d9f-x2', namespace: 'shop', container: 'app', id: ID }],
    [`/var/log/containers/coredns.1_kube-system_coredns-${ID}.log`, { pod: 'coredns.1', namespace: 'kube-system', container: 'coredns' }],
    [`/var/log/containers/p_ns_istio-proxy-${ID}.log`, { pod: 'p', namespace: 'ns', container: 'istio-proxy' }],
    ['/var/log/pods/shop_api-7d9f_5c2e-11/app/0.log', { namespace: 'shop', pod: 'api-7d9f', container: 'app', id: '5c2e-11' }],
    [`/var/log/containers/api_shop_app-${ID.slice(1)}.log`, null],
    ['/tmp/socks_session-db-fdd649d68-cq5sp_istio-proxy.log', null],
    ['app.log', null],
  ];
  it.each(cases)('%s', (path, expected) => {
    const r = parseKubeLogPath(path);
    if (expected === null) expect(r).toBeNull();
    else expect(r).toMatchObject(expected);
  });
});

describe('LineSplitter', () => {
  const split = (chunks: string[], max?: number): [string, number, boolean][] => {
    const out: [string, number, boolean][] = [];
    const s = new LineSplitter(0, max);
    const enc = new TextEncoder();
    for (const c of chunks) s.push(enc.encode(c), (t, e, cut) => out.push([t, e, cut]));
    s.end((t, e, cut) => out.push([t, e, cut]));
    return out;
  };
  it.each([
    ['lines across chunks', ['ab', 'c\nd', 'e\n'], undefined, [['abc', 4, false], ['de', 7, false]]],
    ['unfinished last line at end', ['a\nbc'], undefined, [['a', 2, false], ['bc', 4, true]]],
    ['empty lines', ['\n\n'], undefined, [['', 1, false], ['', 2, false]]],
    ['multibyte split across chunks', ['h\u00e9', 'llo\n'], undefined, [['héllo', 7, false]]],
    ['long line cut at the cap', ['abcdefg\nxy\n'], 3, [['abcdefg', 8, false], ['xy', 11, false]]],
    ['unfinished line cut at the cap', ['abc', 'defgh'], 3, [['abc', 3, true], ['def', 6, true], ['gh', 8, true]]],
  ] as [string, string[], number | undefined, [string, number, boolean][]][])('%s', (_n, chunks, max, expected) => {
    expect(split(chunks, max)).toEqual(expected);
  });
});

describe('LineDecoder', () => {
  const target = { kind: 'pod', namespace: 'ns', pod: 'p', container: 'c' } as const;
  function decode(options: Partial<DecoderOptions>, lines: string[]) {
    const d = new LineDecoder({ format: 'auto', target, now: () => 0n, ...options });
    const boundaries: number[] = [];
    let offset = 0;
    lines.forEach((l, i) => {
      offset += l.length + 1;
      d.push(l, i + 1, offset);
      boundaries.push(d.boundary);
    });
    return { records: d.takeRecords().map((r) => [r.line, (r.record as { message: string }).message]), malformed: d.takeMalformed().map((m) => [m.line, m.reason]), boundaries, d };
  }

  it('joins CRI partials; the boundary stays before the first partial until the F line', () => {
    const r = decode({}, ['2024-09-24T15:00:01Z stdout P ab', '2024-09-24T15:00:02Z stdout P cd', '2024-09-24T15:00:03Z stdout F ef', '2024-09-24T15:00:04Z stdout F g']);
    expect(r.records).toEqual([
      [1, 'abcdef'],
      [4, 'g'],
    ]);
    expect(r.boundaries).toEqual([0, 0, 99, 131]);
    expect(r.d.resolvedFormat).toBe('cri');
  });

  it('joins Docker partials and keeps the first piece time', () => {
    const d = new LineDecoder({ format: 'docker', target, now: () => 0n });
    d.push('{"log":"ab","time":"2024-09-24T15:00:01Z"}', 1, 10);
    d.push('{"log":"cd\\n","time":"2024-09-24T15:00:02Z"}', 2, 20);
    expect(d.takeRecords().map((r) => r.record)).toEqual([{ kind: 'pod', time: ns('2024-09-24T15:00:01Z'), namespace: 'ns', pod: 'p', container: 'c', message: 'abcd' }]);
  });

  it('reports malformed lines with their numbers and goes on; blank lines are skipped', () => {
    const r = decode({ format: 'docker' }, ['{"log":"a\\n","time":"2024-09-24T15:00:01Z"}', '"log":"b\\n"}', '', '{"log":"c\\n","time":"2024-09-24T15:00:02Z"}']);
    expect(r.records).toEqual([
      [1, 'a'],
      [4, 'c'],
    ]);
    expect(r.malformed).toEqual([[2, 'not a JSON object (docker json-file line expected)']]);
  });

  it('cuts a runaway partial at maxRecordChars', () => {
    const r = decode({ maxRecordChars: 4 }, ['2024-09-24T15:00:01Z stdout P abc', '2024-09-24T15:00:01Z stdout P def', '2024-09-24T15:00:01Z stdout F g']);
    expect(r.records).toEqual([
      [1, 'abcdef'],
      [3, 'g'],
    ]);
  });

  it('finish() emits a pending partial (end of a rotated file)', () => {
    const r = decode({}, ['2024-09-24T15:00:01Z stdout P tail']);
    expect(r.records).toEqual([]);
    r.d.finish(40);
    expect(r.d.takeRecords().map((x) => (x.record as { message: string }).message)).toEqual(['tail']);
    expect(r.d.boundary).toBe(40);
  });

  it('raw lines take the fixed time, or the clock; a trailing \\r is dropped', () => {
    const fixed = new LineDecoder({ format: 'raw', target, now: () => 5n, rawTimeNs: 7n });
    fixed.push('x\r', 1, 3);
    const clock = new LineDecoder({ format: 'raw', target, now: () => 5n });
    clock.push('y', 1, 2);
    expect([...fixed.takeRecords(), ...clock.takeRecords()].map((r) => [r.record.time, r.record.message])).toEqual([
      [7n, 'x'],
      [5n, 'y'],
    ]);
  });

  it('syslog records take the host as node unless a node is given', () => {
    const now = () => ns('2024-09-24T16:00:00Z');
    const byHost = new LineDecoder({ format: 'syslog', now });
    byHost.push('Sep 24 15:00:01 node-a kubelet[1]: x', 1, 10);
    const given = new LineDecoder({ format: 'syslog', now, target: { kind: 'node', node: 'node-b', process: '-' } });
    given.push('Sep 24 15:00:01 node-a kubelet[1]: x', 1, 10);
    expect([...byHost.takeRecords(), ...given.takeRecords()].map((r) => r.record)).toEqual([
      { kind: 'node', time: ns('2024-09-24T15:00:01Z'), node: 'node-a', process: 'kubelet', message: 'x' },
      { kind: 'node', time: ns('2024-09-24T15:00:01Z'), node: 'node-b', process: 'kubelet', message: 'x' },
    ]);
  });
});
