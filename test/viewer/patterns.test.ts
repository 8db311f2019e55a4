/**
 * The viewer's Patterns tab (viewer/src/patterns.ts) is the engine's Drain over the loaded
 * rows: the same templates and counts as `letheql patterns` for the same query, counts that
 * add up to the rows, sparkline buckets that add up to each count, and a line filter
 * (Drain's `patternRegex`, run by the engine's `|~`) that keeps exactly the lines of its
 * template's shape — counted independently here, by matching tokens — which are the
 * template's own lines and those of other templates that fit it (`GET <_> HTTP/1.1" <_>`
 * also keeps the lines of its cousins with a user agent: its trailing `<_>` takes them).
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { main } from '../../src/cli/main.js';
import { Drain, patternRegex, WILDCARD } from '../../src/patterns/drain.js';
import { ArrowRows } from '../../viewer/src/rows.js';
import { findPatterns } from '../../viewer/src/patterns.js';
import { withLineFilter } from '../../viewer/src/query-text.js';
import { FIXTURE_STORE } from '../support/paths.js';

const FROM = '2024-09-24T13:00:00Z';
const TO = '2024-09-24T16:00:00Z';

/** Whether `line`'s whitespace-separated tokens fit `template` (`<_>`: one or more tokens), by dynamic programming: independent of regexes. */
function fits(template: string, line: string): boolean {
  const t = template === '' ? [] : template.split(' ');
  const w = line.split(/[\t\n\f\r ]+/).filter((x) => x !== '');
  // ok[j]: the template's first i tokens can cover the line's first j.
  let ok = w.map(() => false).concat(false);
  ok[0] = true;
  for (const tok of t) {
    const next = ok.map(() => false);
    for (let j = 0; j < w.length; j++) {
      if (!ok[j]) continue;
      if (tok === WILDCARD) for (let k = j + 1; k <= w.length; k++) next[k] = true;
      else if (w[j] === tok) next[j + 1] = true;
    }
    ok = next;
  }
  return ok[w.length]!;
}

describe('fits (the test helper)', () => {
  it.each([
    ['a <_> c', 'a b c', true],
    ['a <_> c', 'a b b c', true],
    ['a <_> c', 'a c', false],
    ['<_>', 'x', true],
    ['', '', true],
    ['a', ' a\t', true],
  ])('%j fits %j: %s', (t, l, want) => expect(fits(t, l)).toBe(want));
});

describe('patterns of the fixture store', () => {
  const store = openStore(FIXTURE_STORE, { workers: 0 });
  const q = 'pod{namespace=~".+"}';

  it('are letheql patterns\' templates and counts; each filter keeps exactly the lines of its shape', async () => {
    const t = await store.query(q, { start: FROM, end: TO, limit: 100_000, direction: 'backward' });
    expect(t.numRows).toBeGreaterThan(1000);
    const rows = new ArrowRows(t);
    const lines = Array.from({ length: rows.length }, (_, i) => rows.line(i));
    const startNs = BigInt(Date.parse(FROM)) * 1_000_000n;
    const stepNs = 600n * 1_000_000_000n;
    const found = findPatterns(rows, 18, (ns) => Number((ns - startNs) / stepNs));
    expect(found.reduce((a, p) => a + p.count, 0)).toBe(t.numRows);
    for (const p of found) expect(p.buckets.reduce((a, b) => a + b, 0), p.template).toBe(p.count);
    expect(found.length).toBeGreaterThan(10);
    expect(found.length).toBeLessThan(t.numRows / 3);

    // The CLI: the same lines (newest first, as the viewer's default direction) give the same table.
    const out: Buffer[] = [];
    const sink = { write: (d: string | Uint8Array, cb?: () => void) => (out.push(Buffer.from(d)), cb?.(), true) };
    const code = await main(['patterns', '--store', FIXTURE_STORE, '--from', FROM, '--to', TO, '--workers', '0', q], { stdout: sink as never, stderr: sink as never, env: {} });
    expect(code).toBe(0);
    const cli = Buffer.concat(out).toString('utf8').trimEnd().split('\n').map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]);
    expect(found.map((p) => [String(p.count), p.template])).toEqual(cli);

    // Each line's template, by add()'s cluster ids read after the last line (the same Drain
    // run as findPatterns: equal counts checked below).
    const drain = new Drain();
    const ids = lines.map((l) => drain.add(l));
    const templateOfLine = ids.map((id) => drain.templateOf(id));
    let exact = 0;
    for (const p of found.slice(0, 15)) {
      const own = lines.filter((_, i) => templateOfLine[i] === p.template);
      expect(own.length, p.template).toBe(p.count);
      const shape = lines.filter((l) => fits(p.template, l));
      const { count } = await store.count(withLineFilter(q, patternRegex(p.template)), { start: FROM, end: TO });
      expect(count, p.template).toBe(shape.length);
      // The template's own lines all fit it; the others that do belong to other templates.
      for (const l of own) expect(fits(p.template, l), l).toBe(true);
      if (count === p.count) exact++;
    }
    expect(exact).toBeGreaterThan(5);
  });
});
