/**
 * Patterns (viewer/src/patterns.ts) over the fixture store's pod lines: every line belongs to
 * one template, a template's regex matches every line it groups (checked with the engine's
 * own `|~`, which must keep at least those lines), and templates follow their table.
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { ArrayRows } from '../../viewer/src/rows.js';
import { findPatterns, templateOf, templateRegex } from '../../viewer/src/patterns.js';
import { withLineFilter } from '../../viewer/src/query-text.js';
import { FIXTURE_STORE } from '../support/paths.js';

const FROM = '2024-09-24T13:00:00Z';
const TO = '2024-09-24T16:00:00Z';

describe('templates', () => {
  it.each([
    ['GET /api/items/42 200 12ms', 'GET <_> <_> <_>'],
    ['GET /api/items/42 from alice', 'GET <_> from alice'],
    ['user alice logged in', 'user alice logged in'],
    ['trace deadbeefdeadbeefdeadbeef done', 'trace <_> done'],
    ['  \x1b[31mERROR\x1b[0m  code=7  ', 'ERROR code=<_>'],
    ['{"level":"info","ts":1727.5,"msg":"ok"}', '{"level":"info","ts":<_>,"msg":"ok"}'],
    ['a\t\tb', 'a b'],
  ])('%j → %s', (line, template) => {
    expect(templateOf(line)).toBe(template);
  });
  it('puts a regex line filter right after the selector', () => {
    expect(withLineFilter('pod{namespace="shop"} | json', '^a\\s+\\S+$')).toBe('pod{namespace="shop"} |~ "^a\\\\s+\\\\S+$" | json');
  });
});

describe('patterns of the fixture store', () => {
  const store = openStore(FIXTURE_STORE, { workers: 0 });
  it('group every line once, and each template filter keeps its lines in the engine', async () => {
    const q = 'pod{namespace=~".+"}';
    const t = await store.query(q, { start: FROM, end: TO, limit: 100_000 });
    const lines = Array.from({ length: t.numRows }, (_, i) => String(t.getChild('line')!.get(i)));
    const rows = new ArrayRows(['namespace']);
    lines.forEach((l, i) => rows.append(BigInt(i), {}, l));
    const found = findPatterns(rows, 10, (ns) => Number(ns % 10n));
    expect(found.reduce((a, p) => a + p.count, 0)).toBe(t.numRows);
    expect(found.length).toBeGreaterThan(10);
    expect(found.length).toBeLessThan(t.numRows / 3);
    for (const p of found.slice(0, 15)) {
      const filtered = await store.query(withLineFilter(q, templateRegex(p.template)), { start: FROM, end: TO, limit: 100_000 });
      const kept = new Set(Array.from({ length: filtered.numRows }, (_, i) => String(filtered.getChild('line')!.get(i))));
      const mine = lines.filter((l) => templateOf(l) === p.template);
      expect(mine.length).toBe(p.count);
      for (const l of mine) expect(kept.has(l), `${p.template} keeps ${l}`).toBe(true);
    }
  });
});
