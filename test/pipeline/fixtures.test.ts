/**
 * The fixture store's real lines through json, logfmt, pattern and regexp pipelines
 * (fixtures/store, described in fixtures/README.md). JSON lines are checked against an
 * independent reading (`JSON.parse`, flattened by hand); access-log lines against two
 * parsers that must agree, and a few lines worked out by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURE_STORE } from '../support/paths.js';
import { run } from './helpers.js';

interface Line {
  labels: Record<string, string>;
  message: string;
}

/**
 * The lines of one fixture file, split like Lethe does (`TIME[f1|f2|…] message`, one `\r`
 * before the newline stripped), the bracket's fields named by `fields`.
 */
function fixtureLines(file: string, fields: readonly string[]): Line[] {
  return readFileSync(`${FIXTURE_STORE}/${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((raw) => {
      const open = raw.indexOf('[');
      const close = raw.indexOf(']', open);
      const values = raw.slice(open + 1, close).split('|');
      return { labels: Object.fromEntries(fields.map((f, i) => [f, values[i]!])), message: raw.slice(close + 2).replace(/\r$/, '') };
    });
}

const podLines = (file: string): Line[] => fixtureLines(file, ['namespace', 'pod', 'container']);
const nodeLines = (file: string): Line[] => fixtureLines(file, ['node', 'process']);

/** `| json`'s labels for an object without arrays, duplicates or escapes in keys: flattened with `_`. */
function flatten(value: unknown, prefix: string, out: Record<string, string>, stream: Record<string, string>): void {
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const name = (prefix ? `${prefix}_` : '') + k.replace(/[^A-Za-z0-9_]/g, '_');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, name, out, stream);
    else if (typeof v === 'string' || typeof v === 'boolean') out[name in stream ? `${name}_extracted` : name] = String(v);
    else if (typeof v === 'number') out[name in stream ? `${name}_extracted` : name] = String(v);
  }
}

const shop = ['13', '14', '15'].flatMap((h) => podLines(`pod/shop/2024-09-24_${h}.log`));

describe('fixture JSON lines through | json', () => {
  const jsonLines = shop.filter((l) => l.message.startsWith('{'));

  it('finds the api and payment JSON lines', () => {
    expect(jsonLines.length).toBeGreaterThan(20);
  });

  it('extracts what an independent reading finds, on every JSON line', () => {
    for (const l of jsonLines) {
      const parsed = JSON.parse(l.message) as Record<string, unknown>;
      // Numbers keep their text in LogQL; compare only lines whose numbers JSON.parse prints back unchanged.
      const expected: Record<string, string> = { ...l.labels };
      flatten(parsed, '', expected, l.labels);
      const got = run('pod{namespace="shop"} | json', l.message, { ...l.labels });
      for (const [k, v] of Object.entries(expected)) {
        if (/^-?\d+(\.\d+)?$/.test(v) && got!.labels[k] !== v) expect(Number(got!.labels[k])).toBe(Number(v));
        else expect([k, got!.labels[k]]).toEqual([k, v]);
      }
      expect(Object.keys(got!.labels).sort()).toEqual(Object.keys(expected).sort());
    }
  });

  it('counts slow api requests with a number filter (duration_ms > 250, checked against a reading of the file)', () => {
    const q = 'pod{namespace="shop"} | json | msg = "request served" | duration_ms > 250';
    const kept = jsonLines.filter((l) => run(q, l.message, { ...l.labels }) !== null);
    const byHand = jsonLines.filter((l) => {
      const o = JSON.parse(l.message) as { msg?: string; duration_ms?: number };
      return o.msg === 'request served' && (o.duration_ms ?? 0) > 250;
    });
    expect(byHand.length).toBeGreaterThan(0);
    expect(kept.length).toBe(byHand.length);
  });

  it('keeps ts as written (1727182800.000000) and reads a Korean message', () => {
    const first = jsonLines.find((l) => l.message.includes('"hourly report started"'))!;
    expect(run('pod{namespace="shop"} | json ts, msg', first.message, { ...first.labels })!.labels).toMatchObject({ ts: '1727182800.000000', msg: 'hourly report started' });
    const korean = jsonLines.find((l) => l.message.includes('결제 승인 완료'))!;
    expect(run('pod{namespace="shop"} | json | line_format "{{.msg}} {{.amount}} {{.currency}}"', korean.message, { ...korean.labels })!.line).toMatch(/^결제 승인 완료 \d+ KRW$/);
  });

  it('marks non-JSON lines of the same store with JSONParserErr', () => {
    const access = shop.find((l) => l.labels.container === 'nginx')!;
    expect(run('pod{namespace="shop"} | json', access.message, { ...access.labels })!.labels.__error__).toBe('JSONParserErr');
    expect(run('pod{namespace="shop"} | json | __error__ = ""', access.message, { ...access.labels })).toBe(null);
  });
});

describe('fixture access-log lines through | pattern and | regexp', () => {
  const access = shop.filter((l) => l.labels.container === 'nginx');
  const PATTERN = 'pod{namespace="shop"} | pattern `<ip> - - [<_>] "<method> <path> <_>" <status> <size> "<_>" "<agent>" <latency>`';
  const REGEXP = 'pod{namespace="shop"} | regexp `^(?P<ip>\\S+) - - \\[[^\\]]*\\] "(?P<method>\\S+) (?P<path>\\S+) [^"]*" (?P<status>\\d+) (?P<size>\\d+) "[^"]*" "(?P<agent>[^"]*)" (?P<latency>\\S+)$`';

  it('has the 45 frontend lines per hour the fixture describes', () => {
    expect(access.length).toBeGreaterThanOrEqual(45);
  });

  it('reads the 13:00:39 line as worked out by hand', () => {
    const line = '198.51.100.23 - - [24/Sep/2024:13:00:39 +0000] "POST /api/v1/user/3330/cart HTTP/1.1" 200 238 "-" "okhttp/4.12.0" 0.401';
    const want = { ip: '198.51.100.23', method: 'POST', path: '/api/v1/user/3330/cart', status: '200', size: '238', agent: 'okhttp/4.12.0', latency: '0.401' };
    expect(run(PATTERN, line, {})!.labels).toEqual(want);
    expect(run(REGEXP, line, {})!.labels).toEqual(want);
  });

  it('agrees between pattern and regexp on every line, and the 5xx count matches a hand count', () => {
    let fiveHundreds = 0;
    for (const l of access) {
      const a = run(PATTERN, l.message, { ...l.labels })!.labels;
      const b = run(REGEXP, l.message, { ...l.labels })!.labels;
      expect(a).toEqual(b);
      if (Number(a.status) >= 500) fiveHundreds++;
    }
    const byHand = access.filter((l) => / (5\d\d) \d+ "/.test(l.message)).length;
    expect(byHand).toBeGreaterThan(0);
    expect(fiveHundreds).toBe(byHand);
    const kept = access.filter((l) => run(`${PATTERN} | status >= 500`, l.message, { ...l.labels }) !== null).length;
    expect(kept).toBe(byHand);
  });

  it('formats lines with line_format', () => {
    const line = '198.51.100.201 - - [24/Sep/2024:13:00:52 +0000] "GET /api/v1/checkout HTTP/1.1" 404 2361 "-" "Go-http-client/1.1" 0.767';
    expect(run(`${PATTERN} | line_format "{{.method}} {{.path}} {{ .status }} {{ mulf .latency 1000 }}ms"`, line, {})!.line).toBe('GET /api/v1/checkout 404 767ms');
  });
});

describe('fixture containerd lines through | logfmt', () => {
  const containerd = nodeLines('node/node-a/2024-09-24_13.log').filter((l) => l.labels.process === 'containerd');

  it('reads time, level and the quoted msg with escaped quotes', () => {
    const l = containerd.find((x) => x.message.includes('shop/api:v2.14.0'))!;
    expect(run('node{node="node-a"} | logfmt', l.message, { ...l.labels })!.labels).toEqual({
      ...l.labels,
      time: '2024-09-24T13:01:11.106013935Z',
      level: 'info',
      msg: 'PullImage "registry.example.com/shop/api:v2.14.0"',
    });
  });

  it('gives every containerd line a level, strictly', () => {
    expect(containerd.length).toBeGreaterThan(0);
    for (const l of containerd) {
      const got = run('node{node="node-a"} | logfmt --strict | level =~ "info|warn|warning|error|debug"', l.message, { ...l.labels });
      expect(got, l.message).not.toBe(null);
      expect(got!.labels.__error__).toBeUndefined();
    }
  });
});
