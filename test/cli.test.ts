/**
 * The `letheql` CLI, in-process through `main()` (fast) and once through the real
 * `bin/letheql.js` in a child process (exit codes as a shell sees them).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { FIXTURE_STORE, HAS_SHARED, LETHE_STORE, SHARED_REASON } from './support/paths.js';

interface Run {
  code: number;
  out: string;
  outBytes: Uint8Array;
  err: string;
}

function sink(tty = false) {
  const chunks: Buffer[] = [];
  return {
    chunks,
    isTTY: tty,
    write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
      chunks.push(Buffer.from(data));
      cb?.();
      return true;
    },
  };
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout: stdout as never, stderr: stderr as never, env });
  const outBytes = new Uint8Array(Buffer.concat(stdout.chunks));
  return { code, out: Buffer.from(outBytes).toString('utf8'), outBytes, err: Buffer.concat(stderr.chunks).toString('utf8') };
}

const LETHE = ['--store', LETHE_STORE, '--now', '2009-11-10T23:00:00Z', '--start', '2009-11-10T00:00:00Z'];

describe.skipIf(!HAS_SHARED)(`CLI on Lethe's store (${SHARED_REASON})`, () => {
  it('prints Lethe records as jsonl, time exactly as stored', async () => {
    const r = await run(['query', ...LETHE, '--format', 'jsonl', 'node{node="node01"} |= "world"']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '{"time":"2009-11-10T22:59:00.000000Z","node":"node01","process":"containerd","log":"hello world"}',
        '{"time":"2009-11-10T23:00:00.000000Z","node":"node01","process":"containerd","log":"hello world"}',
        '',
      ].join('\n'),
    );
  });

  it('prints pod records with namespace, pod, container keys in Lethe order', async () => {
    const r = await run(['query', ...LETHE, '--format', 'jsonl', '--limit', '1', '--direction', 'backward', 'pod{namespace="namespace01"}']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('{"time":"2009-11-10T22:59:00.000000Z","namespace":"namespace01","pod":"nginx-deployment-75675f5897-7ci7o","container":"nginx","log":"lorem ipsum"}\n');
  });

  it('--count prints only the number; --stats prints JSON on stderr', async () => {
    const r = await run(['query', ...LETHE, '--count', '--stats', 'pod{namespace=~"namespace0[12]"} |= "hello"']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('22\n');
    const stats = JSON.parse(r.err);
    expect(stats).toMatchObject({ filesRead: 3, linesMatched: 22, badLines: 0 });
    expect(stats.linesScanned).toBe(14 + 12);
  });

  it('--format arrow writes an Arrow IPC stream', async () => {
    const r = await run(['query', ...LETHE, '--format', 'arrow', 'node{node=~"node0."} |= "lorem"']);
    expect(r.code).toBe(0);
    const table = tableFromIPC(r.outBytes);
    expect(table.numRows).toBe(4);
    expect([...table.getChild('node')!]).toEqual(['node02', 'node02', 'node01', 'node01']);
    expect([...table.getChild('process')!]).toEqual(['containerd', 'dockerd', 'dockerd', 'containerd']);
  });

  it('text output aligns columns and says when a limit truncated the result', async () => {
    const r = await run(['query', ...LETHE, '--limit', '2', 'node{node="node01"}']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^2009-11-10T22:56:00\.000000Z node01 kubelet I0525/);
    expect(r.err).toMatch(/showing the first 2 of 12 matching lines/);
  });

  it('reads $LETHEQL_STORE when --store is absent', async () => {
    const r = await run(['query', '--now', '2009-11-10T23:00:00Z', '--since', '1m', '--count', 'node{node="node01"}'], { LETHEQL_STORE: LETHE_STORE });
    // [22:59, 23:00] reads only node01's hour-22 file (23:00); its 22:59 lines are in the hour-21 file.
    expect(r.out).toBe('1\n');
  });
});

describe('CLI errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['bad query, with position and caret', ['query', 'pod{namespace="a"} |= "x" "y"'], /query error \[UNEXPECTED_TOKEN\]\n1:27: .*\n  pod\{namespace="a"\} \|= "x" "y"\n {28}\^\^\^/],
    ['unknown flag', ['query', '--frobnicate', 'pod{namespace="a"}'], /Unknown option '--frobnicate'/],
    ['bad --start', ['query', '--start', 'yesterday', 'pod{namespace="a"}'], /invalid start "yesterday": expected RFC 3339/],
    ['start after end', ['query', '--start', '2024-01-02T00:00:00Z', '--end', '2024-01-01T00:00:00Z', 'pod{namespace="a"}'], /invalid range: start .* is after end/],
    ['bad --since', ['query', '--since', '1x', 'pod{namespace="a"}'], /invalid since "1x"/],
    ['bad --limit', ['query', '--limit', 'ten', 'pod{namespace="a"}'], /invalid --limit "ten"/],
    ['bad --direction', ['query', '--direction', 'sideways', 'pod{namespace="a"}'], /invalid --direction "sideways"/],
    ['bad --format', ['query', '--format', 'xml', 'pod{namespace="a"}'], /invalid --format "xml"/],
    ['missing store', ['query', '--store', '/nonexistent/store', 'pod{namespace="a"}'], /store not found: \/nonexistent\/store/],
    ['missing query', ['query'], /missing QUERY/],
    ['two queries', ['query', 'pod{namespace="a"}', 'extra'], /expected one QUERY/],
    ['unknown command', ['frob'], /unknown command "frob"/],
    ['no command', [], /missing command/],
    ['unwrap in a log query', ['query', 'pod{namespace="a"} | json | unwrap latency'], /INVALID_EXPRESSION\]\n1:27: unwrap is only allowed in a range aggregation/],
    ['a regexp stage without named groups', ['query', 'pod{namespace="a"} | regexp "[0-9]+"'], /INVALID_REGEX\]\n.*needs at least one named capture/],
    ['a PromQL metric, not a log type', ['query', 'rate(up{job="x"}[5m])'], /UNKNOWN_LOG_TYPE/],
    ['bad regex points into the pattern', ['query', 'pod{namespace="a"} |~ "(x"'], /INVALID_REGEX\]\n1:24: invalid regex "\(x": missing closing \): `\(x`/],
    ['look-ahead is not RE2', ['query', 'pod{namespace="a"} |~ "ab(?=x)"'], /INVALID_REGEX\]\n1:26: invalid regex "ab\(\?=x\)": invalid or unsupported Perl syntax: `\(\?=`\n.*\n {27}\^{5}/],
  ];
  it.each(cases)('%s → exit 2', async (_name, args, pattern) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(pattern);
  });
});

describe('CLI on the bundled fixture store', () => {
  it('lists targets of the default store', async () => {
    const r = await run(['targets', '--json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out);
    expect(t.pod.length).toBeGreaterThan(1);
    expect(t.node.length).toBeGreaterThan(1);
    expect(FIXTURE_STORE).toContain('fixtures/store');
  });

  it('explain prints the plan without reading logs', async () => {
    const r = await run(['explain', '--now', '2024-09-24T16:00:00Z', '--since', '3h', 'pod{namespace="shop", container!="istio-proxy"} |= "GET" |~ "user/[0-9]+"']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/window: +\[2024-09-24T13:00:00\.000000000Z, 2024-09-24T16:00:00\.000000000Z\]/);
    expect(r.out).toMatch(/label container != "istio-proxy"/);
    expect(r.out).toMatch(/line contains "GET"/);
    expect(r.out).toMatch(/line \|~ "user\/\[0-9\]\+"/);
  });

  it('the real binary stops quietly when its reader closes the pipe (letheql … | head)', async () => {
    const { spawn } = await import('node:child_process');
    const bin = fileURLToPath(new URL('../bin/letheql.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'query', '--now', '2024-09-24T16:00:00Z', '--since', '3h', '--limit', '0', 'pod{namespace=~".*"}']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('the real binary exits 2 on a bad query and 0 on a good one', () => {
    const bin = fileURLToPath(new URL('../bin/letheql.js', import.meta.url));
    const bad = spawnSync(process.execPath, [bin, 'query', 'pod{namespace='], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^letheql: query error/);
    const good = spawnSync(process.execPath, [bin, 'query', '--now', '2024-09-24T16:00:00Z', '--since', '3h', '--count', 'pod{namespace=~".*"}'], { encoding: 'utf8' });
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(Number(good.stdout)).toBeGreaterThan(100);
  });
});

describe('CLI log pipelines', () => {
  const at = ['--store', FIXTURE_STORE, '--end', '2024-09-24T16:00:00Z', '--since', '3h'];
  const q = 'pod{namespace="shop"} |= "handler/orders.go" | json | status >= 500 | line_format "{{.method}} {{.path}}"';
  it('text: stream labels, then the parsed ones as name=value, then the formatted line', async () => {
    const r = await run(['query', ...at, '--limit', '2', '--direction', 'backward', q]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^2024-09-24T1\d:\d\d:\d\d\.\d{6}Z shop +api-7d9f8b6c5-\w+ +api .*caller=handler\/orders\.go:131 .*status=50\d .* (GET|POST|PUT|DELETE) \/api\/\S+$/);
  });
  it('jsonl: parsed labels are keys of the record; --count counts what the pipeline keeps', async () => {
    const r = await run(['query', ...at, '--limit', '1000', '--format', 'jsonl', q]);
    expect(r.code).toBe(0);
    const records = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(records.length).toBeGreaterThan(3);
    for (const rec of records) {
      expect(Number(rec['status'])).toBeGreaterThanOrEqual(500);
      expect(rec['log']).toBe(`${rec['method']} ${rec['path']}`);
    }
    const count = await run(['query', ...at, '--count', q]);
    expect(Number(count.out)).toBe(records.length);
  });
});

describe('CLI metric queries', () => {
  const at = ['--store', FIXTURE_STORE, '--end', '2024-09-24T16:00:00Z'];
  it('prints an instant vector as text, one line per series', async () => {
    const r = await run(['query', ...at, 'sum by (namespace) (count_over_time(pod{namespace=~"shop|default"} |= "GET" [1h]))']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^2024-09-24T16:00:00\.000000000Z {2}\{namespace="default"\} {2}\d+\n2024-09-24T16:00:00\.000000000Z {2}\{namespace="shop"\} {2}\d+\n$/);
  });
  it('prints a range query as Prometheus matrix JSON with --format jsonl', async () => {
    const r = await run(['query', ...at, '--since', '2h', '--step', '1h', '--format', 'jsonl', 'sum(count_over_time(pod{namespace="shop"} [1h]))']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out) as { resultType: string; result: { metric: object; values: [number, string][] }[] };
    expect(data.resultType).toBe('matrix');
    expect(data.result[0]!.metric).toEqual({});
    expect(data.result[0]!.values.map(([t]) => t)).toEqual([1727186400, 1727190000, 1727193600]);
  });
  it('explains a metric query with its log plan', async () => {
    const r = await run(['explain', ...at, '--since', '2h', '--step', '30m', 'rate(pod{namespace="shop"} |= "GET" [1h])']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('every 30m');
    expect(r.out).toContain('line contains "GET"');
  });
  it('caps the series with --max-series: more fail with exit 2 naming the limit, 0 lifts it', async () => {
    const q = 'count_over_time(pod{namespace="shop"} [1h])';
    const all = await run(['query', ...at, '--format', 'jsonl', q]);
    expect(all.code).toBe(0);
    const series = (JSON.parse(all.out) as { result: unknown[] }).result.length;
    expect(series).toBeGreaterThan(3);
    const capped = await run(['query', ...at, '--max-series', '3', q]);
    expect(capped.code).toBe(2);
    expect(capped.out).toBe('');
    expect(capped.err).toBe('letheql: maximum of series (3) reached for a single query: narrow the selector, aggregate (e.g. sum by (…)) or raise the series limit (--max-series N; 0 = no limit)\n');
    expect((await run(['query', ...at, '--max-series', String(series), q])).code).toBe(0);
    const unlimited = await run(['query', ...at, '--max-series', '0', '--format', 'jsonl', q]);
    expect(unlimited.out).toBe(all.out);
  });
  it.each([
    [['--max-series', '5', 'pod{namespace="shop"}'], /--max-series applies to metric queries/],
    [['--max-series', 'lots', 'count_over_time(pod{namespace="shop"} [5m])'], /invalid --max-series "lots": expected a non-negative integer/],
    [['--step', '5m', 'pod{namespace="shop"}'], /--step applies to metric queries/],
    [['--count', 'count_over_time(pod{namespace="shop"} [5m])'], /--count applies to log queries/],
    [['--step', 'soon', 'count_over_time(pod{namespace="shop"} [5m])'], /invalid step/],
  ])('%j → exit 2', async (args, pattern) => {
    const r = await run(['query', ...at, ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(pattern);
  });
});

describe('lines the scan skips are said on stderr (issue 16 point 9)', () => {
  it('a line over 64 MiB is skipped as line-too-long and the CLI says so, not only with --stats', async () => {
    const { mkdtempSync, mkdirSync, rmSync, openSync, writeSync, closeSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'letheql-cli-long-'));
    try {
      mkdirSync(join(dir, 'pod/big'), { recursive: true });
      const fd = openSync(join(dir, 'pod/big/2024-09-24_15.log'), 'w');
      writeSync(fd, '2024-09-24T15:00:00.000000Z[big|p|c] before\n2024-09-24T15:00:01.000000Z[big|p|c] ');
      const chunk = Buffer.alloc(1 << 20, 0x78);
      for (let i = 0; i < 65; i++) writeSync(fd, chunk);
      writeSync(fd, '\n2024-09-24T15:00:02.000000Z[big|p|c] after\n');
      closeSync(fd);
      const args = ['query', '--store', dir, '--start', '2024-09-24T15:00:00Z', '--end', '2024-09-24T16:00:00Z', '--format', 'jsonl', 'pod{namespace="big"}'];
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.out.trim().split('\n').map((l) => JSON.parse(l).log)).toEqual(['before', 'after']);
      expect(r.err).toBe('letheql: skipped 1 line longer than 64 MiB (line-too-long), the first at pod/big/2024-09-24_15.log:2; --stats lists bad lines\n');
      const c = await run([...args.slice(0, -1), '--count', args.at(-1)!]);
      expect([c.out, c.err]).toEqual(['2\n', r.err]);
      // With --stats, stderr stays one JSON object, which names the line.
      const s = await run([...args.slice(0, -1), '--stats', args.at(-1)!]);
      expect(JSON.parse(s.err).badLineSamples).toEqual([{ path: 'pod/big/2024-09-24_15.log', line: 2, reason: 'line-too-long' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
