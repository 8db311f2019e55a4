/**
 * Differential test on real logs: loghub's samples (../shared/fixtures/loghub) are turned
 * into a Lethe store inside the test, then seeded random literal and regex filters run
 * through the engine (WASM kernel + re2-wasm post-filters) and through the straightforward
 * reference in support/reference.ts. Both must return the same rows in the same order.
 */
import { mkdtempSync, readdirSync, readFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, parseQuery, type LogStore } from '../src/node.js';
import { formatRfc3339 } from '../src/time.js';
import { HAS_SHARED, LOGHUB, SHARED_REASON, tableLines } from './support/paths.js';
import { referenceQuery } from './support/reference.js';
import { mulberry32 } from '../scripts/lib/prng.mjs';


const START = 1_727_182_800n * 1_000_000_000n; // 2024-09-24T13:00:00Z

describe.skipIf(!HAS_SHARED)(`loghub differential (${SHARED_REASON})`, () => {
  let root = '';
  let store: LogStore;
  const corpus: string[] = [];
  const rand = mulberry32(20240924);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'letheql-loghub-'));
    const files = readdirSync(LOGHUB).filter((f) => f.endsWith('_2k.log')).sort();
    for (const file of files) {
      const ns = file.replace('_2k.log', '').toLowerCase();
      const lines = readFileSync(join(LOGHUB, file), 'utf8').split('\n').filter((l) => l.length > 0);
      // Spread each file's lines over three hours, a few seconds apart, in order.
      const byHour = new Map<string, string[]>();
      lines.forEach((msg, i) => {
        const t = START + BigInt(i) * 5_123_456_789n;
        const raw = formatRfc3339(t, 6);
        const hour = raw.slice(0, 13).replace('T', '_');
        const pod = `${ns}-${['7c9f', 'a1b2', 'ff00'][i % 3]}`;
        const container = i % 5 === 0 ? 'sidecar' : 'app';
        const out = byHour.get(hour) ?? [];
        out.push(`${raw}[${ns}|${pod}|${container}] ${msg}`);
        byHour.set(hour, out);
        corpus.push(msg);
      });
      mkdirSync(join(root, 'pod', ns), { recursive: true });
      for (const [hour, out] of byHour) writeFileSync(join(root, 'pod', ns, `${hour}.log`), out.join('\n') + '\n');
    }
    store = openStore(root);
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A literal drawn from a random line, so most filters have hits. */
  function literal(): string {
    const line = pick(corpus);
    const words = line.split(/\s+/).filter((w) => w.length > 2);
    if (words.length === 0 || rand() < 0.1) return pick(['error', 'INFO', 'failed', 'zzz-never', '']);
    const w = pick(words);
    const from = Math.floor(rand() * Math.max(1, w.length - 3));
    return w.slice(from, from + 3 + Math.floor(rand() * 8));
  }
  const escape = (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
  function regex(): string {
    const a = escape(literal());
    const b = escape(literal());
    return pick([
      `${a}.*${b}`,
      `(?i)${a.toLowerCase()}`,
      `${a}|${b}`,
      `\\d{3,}`,
      `[A-Z]{4,}`,
      `^\\w+`,
      `(${a}|${b})\\s`,
      `user\\w*`,
      `\\b${a}\\b`,
      `[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+`,
      `(?i)(error|fail\\w*)`,
      `${a}$`,
    ]);
  }
  const str = (s: string) => JSON.stringify(s);

  const queries: string[] = [];
  beforeAll(() => {
    for (let i = 0; i < 60; i++) {
      const target = pick(['namespace=~".*"', 'namespace="openssh"', 'namespace=~"h.*"', 'namespace!="linux"', 'namespace="apache"']);
      const labels = pick(['', ', container="app"', ', container!="app"', ', pod=~".*-7c9f"', ', pod!~".*ff00"']);
      const filters: string[] = [];
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        const kind = pick(['|=', '!=', '|~', '!~', '|=']);
        filters.push(`${kind} ${str(kind === '|=' || kind === '!=' ? literal() : regex())}`);
      }
      queries.push(`pod{${target}${labels}} ${filters.join(' ')}`);
    }
  });

  it('runs at least 50 seeded queries, with hits', () => {
    expect(queries.length).toBeGreaterThanOrEqual(50);
  });

  it('engine and reference agree on every query', async () => {
    const end = START + 3n * 3_600_000_000_000n;
    let withHits = 0;
    for (const q of queries) {
      for (const direction of ['forward', 'backward'] as const) {
        const table = await store.query(q, { start: START, end, direction });
        const ref = referenceQuery(root, parseQuery(q), START, end, direction).map((r) => `${r.raw}[${r.labels.join('|')}] ${r.line}`);
        expect(tableLines(table), q).toEqual(ref);
        if (ref.length > 0 && direction === 'forward') withHits++;
      }
      const limited = await store.query(q, { start: START, end, limit: 7 });
      const ref = referenceQuery(root, parseQuery(q), START, end).slice(0, 7).map((r) => `${r.raw}[${r.labels.join('|')}] ${r.line}`);
      expect(tableLines(limited), `${q} limit 7`).toEqual(ref);
    }
    expect(withHits).toBeGreaterThan(20);
  }, 300_000);

  it('a narrow window agrees too (hour selection and inclusive ends)', async () => {
    const start = START + 3_600_000_000_000n - 20_000_000_000n;
    const end = START + 3_600_000_000_000n + 15_370_370_367n;
    for (const q of queries.slice(0, 15)) {
      const table = await store.query(q, { start, end });
      const ref = referenceQuery(root, parseQuery(q), start, end).map((r) => `${r.raw}[${r.labels.join('|')}] ${r.line}`);
      expect(tableLines(table), q).toEqual(ref);
    }
  });
});
