#!/usr/bin/env node
// The naive baseline of `npm run bench`: what a small script would do to answer a log query.
//
// It reads each file of the selected targets whose hour overlaps the window as one UTF-8
// string, splits lines, parses time and labels with string operations, and tests the line
// filters with `String.includes` and JS `RegExp` per message. It understands exactly the
// query shape the bench uses (`pod{namespace=…} |= … != … |~ … !~ …`), nothing more.
//
// It runs in a child process (bench/run.mjs spawns `node bench/naive.mjs '<json>'`) because
// JS `RegExp` backtracks: on `(a+)+$` against a long run of `a` it takes exponential time
// and cannot be interrupted from inside the process. The parent kills the child when one run
// exceeds the cap. The child prints one JSON line per run, `{"ms":…,"count":…}` (or
// `{"error":…}`), and decides how many runs to make with the same rule as the other
// contenders (bench/measure.mjs), so that its figures are comparable.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timedRuns } from './measure.mjs';

const HOUR_NS = 3_600_000_000_000n;

function nsOf(ts) {
  const ms = Date.parse(ts.replace(/\.\d+/, ''));
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? '';
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

/**
 * A JS `RegExp` for an RE2 pattern, as a script would write it: a leading `(?i)`, `(?s)` or
 * `(?m)` becomes a flag (Node 20's `RegExp` has no inline flags); the rest is passed as is,
 * which is right for the patterns of the bench (and wrong for RE2-only syntax in general).
 */
export function jsRegExp(pattern) {
  const m = /^\(\?([ism]+)\)/.exec(pattern);
  return m ? new RegExp(pattern.slice(m[0].length), m[1]) : new RegExp(pattern);
}

/** Counts the lines of `root` matching `q` with times in [startNs, endNs] (bigint ns). */
export function naiveCount(root, q, startNs, endNs) {
  const m = /^pod\{namespace(=~|=)"([^"]*)"\}\s*(.*)$/.exec(q);
  if (!m) throw new Error(`naive baseline: unsupported query shape ${q}`);
  const targetRe = m[1] === '=' ? null : new RegExp(`^(?:${m[2]})$`);
  const filters = [...m[3].matchAll(/(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, op, v]) => {
    const s = JSON.parse(`"${v}"`);
    if (op === '|=') return (l) => l.includes(s);
    if (op === '!=') return (l) => !l.includes(s);
    const re = jsRegExp(s);
    return op === '|~' ? (l) => re.test(l) : (l) => !re.test(l);
  });
  let count = 0;
  for (const ns of readdirSync(join(root, 'pod'))) {
    if (targetRe ? !targetRe.test(ns) : ns !== m[2]) continue;
    for (const f of readdirSync(join(root, 'pod', ns))) {
      const hour = BigInt(Date.parse(`${f.slice(0, 10)}T${f.slice(11, 13)}:00:00Z`)) * 1_000_000n;
      if (!(startNs < hour + HOUR_NS && endNs >= hour)) continue;
      const text = readFileSync(join(root, 'pod', ns, f), 'utf8');
      for (let line of text.split('\n')) {
        if (line.endsWith('\r')) line = line.slice(0, -1);
        const b = line.indexOf('[');
        const e = line.indexOf(']', b);
        if (b < 0 || e < 0) continue;
        const t = nsOf(line.slice(0, b));
        if (t < startNs || t > endNs) continue;
        if (line.slice(b + 1, e).split('|').length !== 3) continue;
        const msg = line.slice(e + 2);
        if (filters.every((fn) => fn(msg))) count++;
      }
    }
  }
  return count;
}

// ---- child-process entry: node bench/naive.mjs '{"root":…,"query":…,"startNs":"…",…}' --------
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const a = JSON.parse(process.argv[2]);
  const once = () => {
    const t = performance.now();
    const count = naiveCount(a.root, a.query, BigInt(a.startNs), BigInt(a.endNs));
    const ms = performance.now() - t;
    process.stdout.write(JSON.stringify({ ms, count }) + '\n');
    return ms;
  };
  try {
    const first = once();
    const n = timedRuns(first, a.rule);
    for (let i = 0; i < n; i++) once();
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e?.message ?? e) }) + '\n');
    process.exitCode = 1;
  }
}
