/**
 * The committed fixture stores: reproducible from their script, and saying what
 * fixtures/README.md and fixtures/store-facts.json say they say. The counts here are
 * computed from the raw bytes with code independent of the generator.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHourFileName, HOUR_NS } from '../../src/store/hours.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/make-fixture-store.mjs', import.meta.url));
const STORE = join(FIXTURES, 'store');
const EDGE = join(FIXTURES, 'edge-store');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]))
    .sort();
}

interface Line {
  path: string;
  dir: string;
  n: number;
  raw: string;
  ts: string;
  t: bigint;
  labels: string[];
  msg: string;
}

const TS = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)\[/;

/** Contract §1 line parsing, written independently of the engine, for these tests only. */
function parseStore(root: string): Line[] {
  const out: Line[] = [];
  for (const file of walk(root)) {
    const path = relative(root, file);
    const [logType, target] = path.split('/') as [string, string];
    const text = readFileSync(file, 'utf8');
    const rows = text.split('\n');
    if (rows.at(-1) === '') rows.pop();
    rows.forEach((row, i) => {
      const raw = row.endsWith('\r') ? row.slice(0, -1) : row;
      const m = TS.exec(raw);
      if (!m) throw new Error(`${path}:${i + 1}: no timestamp`);
      const close = raw.indexOf(']');
      const labels = raw.slice(m[0].length, close).split('|');
      if (labels.length !== (logType === 'pod' ? 3 : 2) || labels[0] !== target) throw new Error(`${path}:${i + 1}: bad labels`);
      const [, y, mo, d, h, mi, s, frac = '', zone] = m as unknown as string[];
      let t = BigInt(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!)) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
      if (zone !== 'Z') t -= BigInt((zone![0] === '-' ? -1 : 1) * (+zone!.slice(1, 3) * 60 + +zone!.slice(4, 6)) * 60) * 1_000_000_000n;
      out.push({ path, dir: `${logType}/${target}`, n: i + 1, raw: row, ts: m[0].slice(0, -1), t, labels, msg: raw.slice(close + 2) });
    });
  }
  return out;
}

const facts = JSON.parse(readFileSync(join(FIXTURES, 'store-facts.json'), 'utf8')) as {
  files: Record<string, { bytes: number; lines: number }>;
  queries: Record<string, number>;
};

describe('fixtures/store', () => {
  const lines = parseStore(STORE);
  const q = (dir: string | RegExp, pred: (l: Line) => boolean = () => true): number =>
    lines.filter((l) => (typeof dir === 'string' ? l.dir === dir : dir.test(l.dir)) && pred(l)).length;

  it('has the documented layout and stays small', () => {
    const files = walk(STORE).map((f) => relative(STORE, f));
    expect(files).toEqual(
      ['node/node-a', 'node/node-b', 'pod/default', 'pod/kube-system', 'pod/shop'].flatMap((d) => ['13', '14', '15'].map((h) => `${d}/2024-09-24_${h}.log`)),
    );
    const total = walk(STORE).reduce((n, f) => n + statSync(f).size, 0);
    expect(total).toBeLessThan(400_000);
    expect(lines.length).toBe(1330);
    for (const f of files) expect(statSync(join(STORE, f)).size, f).toBe(facts.files[f]!.bytes);
  });

  it('every line parses, lies inside its file hour, and every file ends with \\n', () => {
    for (const l of lines) {
      const hour = parseHourFileName(l.path.split('/')[2]!)!;
      expect(l.t >= hour && l.t < hour + HOUR_NS, `${l.path}:${l.n}`).toBe(true);
    }
    for (const f of walk(STORE)) expect(readFileSync(f).at(-1), f).toBe(0x0a);
  });

  // The README's table, checked against the bytes and against store-facts.json.
  const documented: [string, number, () => number][] = [
    ['pod{namespace="default"}', 296, () => q('pod/default')],
    ['pod{namespace="kube-system"}', 204, () => q('pod/kube-system')],
    ['pod{namespace="shop"}', 540, () => q('pod/shop')],
    ['node{node="node-a"}', 140, () => q('node/node-a')],
    ['node{node="node-b"}', 150, () => q('node/node-b')],
    ['pod{namespace="shop"} |= " 500 "', 10, () => q('pod/shop', (l) => l.msg.includes(' 500 '))],
    ['pod{namespace="shop"} |= "error"', 38, () => q('pod/shop', (l) => l.msg.includes('error'))],
    ['pod{namespace="shop"} |~ "user/[0-9]+"', 52, () => q('pod/shop', (l) => /user\/[0-9]+/.test(l.msg))],
    ['pod{namespace="shop"} |= "GET" |~ "user/[0-9]+"', 26, () => q('pod/shop', (l) => l.msg.includes('GET') && /user\/[0-9]+/.test(l.msg))],
    ['pod{namespace="shop", container="checkout"} |~ "^\\tat "', 36, () => q('pod/shop', (l) => l.labels[2] === 'checkout' && /^\tat /.test(l.msg))],
    ['pod{namespace="shop", container!="istio-proxy"}', 420, () => q('pod/shop', (l) => l.labels[2] !== 'istio-proxy')],
    ['pod{namespace="shop"} |= "결제"', 31, () => q('pod/shop', (l) => l.msg.includes('결제'))],
    ['pod{namespace="default"} |= "healthz"', 180, () => q('pod/default', (l) => l.msg.includes('healthz'))],
    ['pod{namespace="kube-system"} |~ "^E0924 "', 9, () => q('pod/kube-system', (l) => l.msg.startsWith('E0924 '))],
    ['node{node="node-a"} |= "OOM"', 2, () => q('node/node-a', (l) => l.msg.includes('OOM'))],
    ['node{node="node-a", process="kubelet"} |~ "^E0924 "', 9, () => q('node/node-a', (l) => l.labels[1] === 'kubelet' && l.msg.startsWith('E0924 '))],
    ['node{node=~"node-.*"} |= "level=error"', 6, () => q(/^node\//, (l) => l.msg.includes('level=error'))],
  ];
  it.each(documented)('%s → %i lines', (query, count, compute) => {
    expect(compute()).toBe(count);
    expect(facts.queries[query]).toBe(count);
  });
  it('store-facts.json has no query the README table lacks', () => {
    expect(Object.keys(facts.queries).sort()).toEqual(documented.map(([k]) => k).concat('pod{namespace="shop"} |= "error" != "healthz"').sort());
  });

  it('timestamp forms per target: 0, 6 and 9 fraction digits; +09:00 only in node-b hour 14', () => {
    const digits = (l: Line): number => /\.(\d+)/.exec(l.ts)?.[1]?.length ?? 0;
    expect(new Set(lines.filter((l) => l.dir === 'pod/default').map(digits))).toEqual(new Set([0]));
    expect(new Set(lines.filter((l) => l.dir === 'pod/kube-system').map(digits))).toEqual(new Set([9]));
    expect(new Set(lines.filter((l) => l.dir === 'pod/shop').map(digits))).toEqual(new Set([6]));
    expect(new Set(lines.filter((l) => l.dir === 'node/node-a').map(digits))).toEqual(new Set([9]));
    const offset = lines.filter((l) => l.ts.endsWith('+09:00'));
    expect(offset.length).toBe(50);
    expect(new Set(offset.map((l) => l.path))).toEqual(new Set(['node/node-b/2024-09-24_14.log']));
    expect(lines.filter((l) => l.path === 'node/node-b/2024-09-24_14.log').every((l) => l.ts.endsWith('+09:00'))).toBe(true);
  });

  it('CRLF: exactly two lines, in pod/default hour 13, from win-agent', () => {
    const crlf = lines.filter((l) => l.raw.endsWith('\r'));
    expect(crlf.map((l) => [l.path, l.labels[2]])).toEqual([
      ['pod/default/2024-09-24_13.log', 'agent'],
      ['pod/default/2024-09-24_13.log', 'agent'],
    ]);
  });

  it('lines are in time order except two swapped pairs in pod/shop hour 14', () => {
    const inversions = new Map<string, number>();
    for (let i = 1; i < lines.length; i++) {
      const a = lines[i - 1]!;
      const b = lines[i]!;
      if (a.path === b.path && b.t < a.t) inversions.set(a.path, (inversions.get(a.path) ?? 0) + 1);
    }
    expect([...inversions]).toEqual([['pod/shop/2024-09-24_14.log', 2]]);
  });

  it('each shop hour starts at HH:00:00.000000Z and holds one 16-line stack trace under one timestamp', () => {
    for (const h of ['13', '14', '15']) {
      const file = lines.filter((l) => l.path === `pod/shop/2024-09-24_${h}.log`);
      expect(file[0]!.ts).toBe(`2024-09-24T${h}:00:00.000000Z`);
      const start = file.findIndex((l) => l.msg.includes('threw exception'));
      const trace = file.slice(start, start + 16);
      expect(new Set(trace.map((l) => l.ts)).size).toBe(1);
      expect(trace[1]!.msg).toMatch(/^java\.lang\.NullPointerException/);
      expect(trace[15]!.msg).toBe('\t... 52 common frames omitted');
      expect(file[start + 16]?.ts).not.toBe(trace[0]!.ts);
    }
  });
});

describe('fixtures/edge-store', () => {
  it('has the documented files', () => {
    expect(walk(EDGE).map((f) => relative(EDGE, f))).toEqual([
      'node/node-x/2024-09-24_13.log',
      'pod/edge/2024-09-24_13.log',
      'pod/edge/2024-09-24_14.log',
      'pod/edge/2024-09-24_24.log',
      'pod/edge/2024-9-24_15.log',
    ]);
    expect(statSync(join(EDGE, 'pod/edge/2024-09-24_14.log')).size).toBe(0);
    expect(parseHourFileName('2024-09-24_24.log')).toBeNull();
    expect(parseHourFileName('2024-9-24_15.log')).toBeNull();
  });
  it('pod/edge hour 13: 13 CRLF rows, as the README table says', () => {
    const text = readFileSync(join(EDGE, 'pod/edge/2024-09-24_13.log'), 'utf8');
    const rows = text.split('\n');
    expect(rows.pop()).toBe('');
    expect(rows.length).toBe(13);
    expect(rows.filter((r) => !r.endsWith('\r')).map((r) => r.slice(20))).toEqual(['[edge|app-1|main] LF only']);
    expect(rows[9]!.endsWith('\r\r')).toBe(true);
    expect(rows[11]).toBe('\r');
  });
  it('node-x: no final newline, a 131,086-byte message', () => {
    const buf = readFileSync(join(EDGE, 'node/node-x/2024-09-24_13.log'));
    expect(buf.at(-1)).not.toBe(0x0a);
    const rows = buf.toString('utf8').split('\n');
    expect(rows.length).toBe(5);
    expect(rows[3]!.length - '2024-09-24T13:30:03Z[node-x|kernel] '.length).toBe(131_086);
    expect(rows[2]).toBe('2024-09-24T13:30:02Z[node-x|kubelet]');
  });
});

describe('scripts/make-fixture-store.mjs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'letheql-fixtures-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('reproduces the committed bytes exactly', () => {
    const res = spawnSync(process.execPath, [SCRIPT, '--out', tmp], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    for (const sub of ['store', 'edge-store']) {
      const want = walk(join(FIXTURES, sub)).map((f) => relative(FIXTURES, f));
      expect(walk(join(tmp, sub)).map((f) => relative(tmp, f))).toEqual(want);
      for (const f of want) expect(readFileSync(join(tmp, f)).equals(readFileSync(join(FIXTURES, f))), f).toBe(true);
    }
    expect(readFileSync(join(tmp, 'store-facts.json'), 'utf8')).toBe(readFileSync(join(FIXTURES, 'store-facts.json'), 'utf8'));
  });
});
