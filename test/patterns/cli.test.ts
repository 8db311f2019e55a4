/**
 * `letheql patterns` (run in-process through `main`, so the lazy subcommand table is used):
 * a store made of the Loghub OpenSSH sample (one line a second from 10:00:00Z, node
 * `labsz`, process `sshd`), templates with counts that add up to the matched lines, per
 * `--step` bucket, and bad input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../server/helpers.js';
import { HAS_SHARED, LOGHUB, SHARED_REASON } from '../support/paths.js';

function sink() {
  const chunks: Buffer[] = [];
  return { chunks, write: (d: string | Uint8Array, cb?: (e?: Error | null) => void) => (chunks.push(Buffer.from(d)), cb?.(), true) };
}
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out as never, stderr: err as never, env: {} });
  return { code, out: Buffer.concat(out.chunks).toString('utf8'), err: Buffer.concat(err.chunks).toString('utf8') };
}

describe.skipIf(!HAS_SHARED)(`letheql patterns on Loghub OpenSSH (${SHARED_REASON})`, () => {
  const tmp = tempDir('letheql-patterns-');
  let messages: string[] = [];
  beforeAll(() => {
    messages = readFileSync(join(LOGHUB, 'OpenSSH_2k.log'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l !== '');
    const dir = join(tmp.dir, 'node', 'labsz');
    mkdirSync(dir, { recursive: true });
    const at = (i: number) => `2024-09-24T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000Z`;
    writeFileSync(join(dir, '2024-09-24_10.log'), messages.map((m, i) => `${at(i)}[labsz|sshd] ${m}\n`).join(''));
  });
  afterAll(() => tmp.cleanup());
  const WINDOW = ['--store', '', '--from', '2024-09-24T10:00:00Z', '--to', '2024-09-24T10:59:59Z'];
  const args = (...rest: string[]) => [...WINDOW.map((a) => (a === '' ? tmp.dir : a)), ...rest];

  it('prints COUNT<TAB>PATTERN, most frequent first, counts adding up to the lines', async () => {
    const r = await run(['patterns', ...args('node{node="labsz"}')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = r.out.trimEnd().split('\n').map((l) => l.split('\t') as [string, string]);
    expect(rows.reduce((n, [c]) => n + Number(c), 0)).toBe(messages.length);
    const counts = rows.map(([c]) => Number(c));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const invalid = messages.filter((m) => /sshd\[\d+\]: Invalid user\s+\S+ from \S+$/.test(m)).length;
    expect(rows).toContainEqual([String(invalid), 'Dec <_> LabSZ <_> Invalid user <_> from <_>']);
  });

  it('--json --step: Loki samples per bucket, the filter applied first', async () => {
    const r = await run(['patterns', ...args('--json', '--step', '10m', 'node{node="labsz"} |= "Invalid user"')]);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as { status: string; data: { pattern: string; samples: [number, number][] }[] };
    expect(body.status).toBe('success');
    const matched = messages.filter((m) => m.includes('Invalid user'));
    expect(body.data.flatMap((p) => p.samples).reduce((n, [, c]) => n + c, 0)).toBe(matched.length);
    // Line i is at 10:00:00 + i s: bucket k holds lines 600k … 600k+599.
    const top = body.data.find((p) => p.pattern === 'Dec <_> LabSZ <_> Invalid user <_> from <_>')!;
    const perBucket = new Map<number, number>();
    messages.forEach((m, i) => {
      if (/sshd\[\d+\]: Invalid user\s+\S+ from \S+$/.test(m)) perBucket.set(1727172000 + 600 * Math.floor(i / 600), (perBucket.get(1727172000 + 600 * Math.floor(i / 600)) ?? 0) + 1);
    });
    expect(top.samples).toEqual([...perBucket.entries()].sort((a, b) => a[0] - b[0]));
  });

  it.each([
    { argv: ['patterns', '--store', '/nonexistent'], code: 2, err: 'missing QUERY' },
    { argv: ['patterns', '--store', '/nonexistent', 'count_over_time(node{node="x"}[1m])'], code: 2, err: 'not a metric query' },
    { argv: ['patterns', '--store', '/nonexistent', 'node{node="x"'], code: 2, err: '' },
    { argv: ['patterns', '--store', '/nonexistent', '--step', '-5m', 'node{node="x"}'], code: 2, err: 'step' },
    { argv: ['patterns', '--store', '/nonexistent', '--max-lines', '0', 'node{node="x"}'], code: 2, err: 'max-lines' },
  ])('exit $code for $argv', async ({ argv, code, err }) => {
    const r = await run(argv);
    expect(r.code).toBe(code);
    expect(r.err).toContain(err);
    expect(r.out).toBe('');
  });
});
