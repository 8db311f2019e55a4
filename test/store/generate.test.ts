/**
 * scripts/lib/generate.mjs: same seed → same bytes, exact size, idempotence, well-formed lines
 * in time order, the advertised mix (long lines, Korean, stack traces, rare token).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore, MARKER, parseSize, RARE_TOKEN, type GeneratedStore } from '../../scripts/lib/generate.mjs';
import { HOUR_NS, parseHourFileName } from '../../src/store/hours.js';

const tmp = mkdtempSync(join(tmpdir(), 'letheql-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function files(root: string): string[] {
  const out: string[] = [];
  for (const lt of ['node', 'pod']) for (const t of readdirSync(join(root, lt)).sort()) for (const f of readdirSync(join(root, lt, t)).sort()) out.push(join(lt, t, f));
  return out;
}
function digest(root: string): string {
  const h = createHash('sha256');
  for (const f of files(root)) h.update(f).update(readFileSync(join(root, f)));
  return h.digest('hex');
}
const totalSize = (root: string): number => files(root).reduce((n, f) => n + statSync(join(root, f)).size, 0);

describe('parseSize', () => {
  it.each([
    ['1024', 1024],
    ['64KB', 64_000],
    ['64KiB', 65_536],
    ['256MB', 256_000_000],
    ['256MiB', 268_435_456],
    ['256m', 268_435_456],
    ['1GiB', 1_073_741_824],
    ['1gb', 1_000_000_000],
    ['1.5KiB', 1536],
  ])('%s → %i', (text, n) => expect(parseSize(text)).toBe(n));
  it.each(['', 'MB', '12 parsecs', '-1MB', '1iB'])('rejects %j', (text) => expect(() => parseSize(text)).toThrow(/invalid size/));
});

describe('generateStore', () => {
  it.each([1024, 100_000, 1_234_567])('writes exactly %i bytes, the same bytes for the same seed', async (size) => {
    const a = await generateStore({ out: join(tmp, `a-${size}`), sizeBytes: size, seed: 7 });
    const b = await generateStore({ out: join(tmp, `b-${size}`), sizeBytes: size, seed: 7 });
    const c = await generateStore({ out: join(tmp, `c-${size}`), sizeBytes: size, seed: 8 });
    expect(a.bytes).toBe(size);
    expect(totalSize(a.out)).toBe(size);
    expect(totalSize(c.out)).toBe(size);
    expect(digest(a.out)).toBe(digest(b.out));
    expect(digest(a.out)).not.toBe(digest(c.out));
    expect({ ...a, out: '', elapsedMs: 0 }).toEqual({ ...b, out: '', elapsedMs: 0 });
  });

  it('is idempotent: a second call with the same parameters writes nothing', async () => {
    const out = join(tmp, 'idem');
    const first = await generateStore({ out, sizeBytes: 50_000, seed: 1 });
    const before = digest(out);
    const mtime = statSync(join(out, files(out)[0]!)).mtimeMs;
    const again = await generateStore({ out, sizeBytes: 50_000, seed: 1 });
    expect(first.skipped).toBe(false);
    expect(again.skipped).toBe(true);
    expect(again.bytes).toBe(first.bytes);
    expect(statSync(join(out, files(out)[0]!)).mtimeMs).toBe(mtime);
    // Other parameters regenerate in place.
    const other = await generateStore({ out, sizeBytes: 60_000, seed: 1 });
    expect(other.skipped).toBe(false);
    expect(totalSize(out)).toBe(60_000);
    expect(digest(out)).not.toBe(before);
  });

  it('refuses a non-empty directory it did not write', async () => {
    const out = join(tmp, 'foreign');
    mkdirSync(out);
    writeFileSync(join(out, 'precious.txt'), 'keep me');
    await expect(generateStore({ out, sizeBytes: 10_000, seed: 1 })).rejects.toThrow(/refusing to generate/);
    expect(readFileSync(join(out, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('generated content (12 MB)', () => {
  let info: GeneratedStore;
  let lines: { file: string; raw: string }[] = [];
  beforeAll(async () => {
    info = await generateStore({ out: join(tmp, 'content'), sizeBytes: 12_000_000, seed: 1 });
    for (const f of files(info.out)) {
      const text = readFileSync(join(info.out, f), 'utf8');
      expect(text.endsWith('\n'), f).toBe(true);
      for (const raw of text.slice(0, -1).split('\n')) lines.push({ file: f, raw });
    }
  });
  afterAll(() => {
    lines = [];
  });

  it('has several namespaces and nodes, hour files, and a window covering them', () => {
    expect(info.namespaces).toEqual(['default', 'ingress-nginx', 'kube-system', 'monitoring', 'payments', 'shop']);
    expect(info.nodes).toEqual(['node-01', 'node-02', 'node-03', 'node-04']);
    expect(files(info.out).length).toBe(info.files);
    expect(info.start).toBe('2024-09-24T00:00:00Z');
    expect(info.end).toBe(`2024-09-24T${String(info.hours - 1).padStart(2, '0')}:59:59.999999999Z`);
    expect(JSON.parse(readFileSync(join(info.out, MARKER), 'utf8'))).toMatchObject({ complete: true, sizeBytes: 12_000_000, seed: 1 });
    expect(lines.length).toBe(info.lines);
  });

  it('every line is well formed, inside its file hour, and in time order', () => {
    const re = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6}|\d{9})Z\[([^\]|]+)\|([^\]|]+)(?:\|([^\]|]+))?\] /;
    let prev = { file: '', t: -1n };
    const bad: string[] = [];
    for (const { file, raw } of lines) {
      const m = re.exec(raw);
      const [logType, target, name] = file.split('/') as [string, string, string];
      if (m === null || m[3] !== target || (m[5] === undefined) !== (logType === 'node') || m[2]!.length !== (logType === 'node' ? 9 : 6)) {
        bad.push(`malformed: ${file}: ${raw.slice(0, 120)}`);
        continue;
      }
      const t = BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt(m[2]!.padEnd(9, '0'));
      const hour = parseHourFileName(name)!;
      if (t < hour || t >= hour + HOUR_NS) bad.push(`outside its hour: ${file}: ${raw.slice(0, 60)}`);
      if (prev.file === file && t < prev.t) bad.push(`out of order: ${file}: ${raw.slice(0, 60)}`);
      prev = { file, t };
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('has the advertised mix', () => {
    const has = (re: RegExp): number => lines.filter((l) => re.test(l.raw)).length;
    const msg = (raw: string): string => raw.slice(raw.indexOf('] ') + 2);
    // Access logs: nginx/ingress and Envoy, v1 and v2 APIs, user/<id> paths, probes.
    expect(has(/"(GET|POST|PUT|PATCH|DELETE|HEAD) \/\S* HTTP\/1\.1" [45]\d\d /)).toBeGreaterThan(100);
    expect(has(/\] \[\d{4}-\d\d-\d\dT[\d:.]+Z\] "[A-Z]+ \S+ HTTP\/1\.1" \d{3} \S+ via_upstream /)).toBeGreaterThan(100);
    expect(has(/ \/api\/v1\//)).toBeGreaterThan(100);
    expect(has(/ \/api\/v2\//)).toBeGreaterThan(100);
    expect(has(/user\/[0-9]+/)).toBeGreaterThan(100);
    expect(has(/kube-probe/)).toBeGreaterThan(10);
    // JSON application logs, errors spelled every way, latencies.
    expect(has(/\] \{"level":"error"/)).toBeGreaterThan(10);
    expect(has(/"level":"ERROR"/)).toBeGreaterThan(10);
    expect(has(/"severity":"ERROR"/)).toBeGreaterThan(1);
    expect(has(/"message":"Error /)).toBeGreaterThan(10);
    expect(has(/"latency_ms":\d+(\.\d)?[,}]/)).toBeGreaterThan(100);
    // Multi-line stack traces: Java frames and Go goroutine dumps, one Lethe line each.
    expect(has(/\] \tat /)).toBeGreaterThan(10);
    expect(has(/\] goroutine \d+ \[running\]:$/)).toBeGreaterThan(0);
    expect(has(/\] \t\/usr\/local\/go\/src\/net\/http\/server\.go:\d+ \+0x[0-9a-f]+$/)).toBeGreaterThan(0);
    // klog, Korean, long lines (some of them runs of `a` or `x`), the rare token.
    expect(has(/\] [IWE]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [a-z_]+\.go:\d+\] /)).toBeGreaterThan(100);
    expect(has(/결제|주문/)).toBeGreaterThan(100);
    const long = lines.filter((l) => l.raw.length >= 8192);
    expect(long.length).toBe(info.longLines);
    expect(long.length).toBeGreaterThan(0);
    expect(Math.max(...lines.map((l) => Buffer.byteLength(msg(l.raw))))).toBeLessThan(64 * 1024 + 300);
    expect(has(new RegExp(RARE_TOKEN))).toBe(info.rareLines);
  });

  it('has long runs of a and x, some ending the line (or in y), in a larger store', async () => {
    // 12 MB holds only a handful of long lines; 64 MB holds dozens, and the generator cycles
    // through the kinds of long line.
    const big = await generateStore({ out: join(tmp, 'long'), sizeBytes: 64 << 20, seed: 1 });
    const kinds = { aEndsLine: 0, aInside: 0, xNoY: 0, xThenY: 0 };
    const [aRun, xRun] = ['a'.repeat(8192), 'x'.repeat(8192)];
    for (const f of files(big.out)) {
      for (const raw of readFileSync(join(big.out, f), 'utf8').split('\n')) {
        if (raw.length < 8192) continue;
        if (raw.endsWith(aRun)) kinds.aEndsLine++;
        else if (raw.includes(`${aRun}"}`)) kinds.aInside++;
        if (raw.includes(`${xRun}y`)) kinds.xThenY++;
        else if (raw.endsWith(xRun)) kinds.xNoY++;
      }
    }
    expect(kinds.aEndsLine).toBeGreaterThan(0);
    expect(kinds.aInside).toBeGreaterThan(0);
    expect(kinds.xNoY).toBeGreaterThan(0);
    expect(kinds.xThenY).toBeGreaterThan(0);
    rmSync(big.out, { recursive: true, force: true });
  });
});
