/**
 * A straightforward reference implementation of log queries, for differential tests.
 *
 * It reads whole files as text, splits lines, parses each with a regular expression, and
 * filters with `String.includes` and re2-wasm — no kernel, no blocks, no heap. It shares
 * only the parser with the engine (the parser has its own tests).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr, VectorSelector } from '../../src/query/ast.js';
import { RE2 } from './re2.js';


export interface RefRow {
  time: bigint;
  raw: string;
  labels: string[];
  line: string;
  path: string;
  lineNo: number;
}

const HOUR_NAME = /^(\d{4})-(\d{2})-(\d{2})_(\d{2})\.log$/;
const LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))\[([^\]]*)\]([\s\S]?)([\s\S]*)$/;

function hourOf(name: string): bigint | null {
  const m = HOUR_NAME.exec(name);
  if (!m) return null;
  const [y, mo, d, h] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23) return null;
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, 0, 0, 0);
  if (dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
  return BigInt(dt.getTime()) * 1_000_000n;
}

function nsOf(ts: string): bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(ts);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || s! > 59) return null;
  const dt = new Date(0);
  dt.setUTCFullYear(y!, mo! - 1, d!);
  if (dt.getUTCMonth() !== mo! - 1) return null;
  dt.setUTCHours(h!, mi!, s!, 0);
  let ns = BigInt(dt.getTime()) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
  if (m[9]) ns -= BigInt((Number(m[10]) * 60 + Number(m[11])) * (m[9] === '-' ? -1 : 1)) * 60_000_000_000n;
  return ns;
}

function selectorOf(expr: Expr): VectorSelector {
  if (expr.kind === 'VectorSelector') return expr;
  if (expr.kind === 'MatrixSelector') return expr.selector;
  if (expr.kind === 'ParenExpr') return selectorOf(expr.expr);
  throw new Error(`reference: not a log query: ${expr.kind}`);
}

const anchoredTest = (pattern: string) => {
  const re = new RE2(`^(?:${pattern})$`, 'u');
  return (s: string) => re.test(s);
};

/** Evaluates a log query over the store at `root`, returning rows in result order. */
export function referenceQuery(root: string, expr: Expr, startNs: bigint, endNs: bigint, direction: 'forward' | 'backward' = 'forward'): RefRow[] {
  const sel = selectorOf(expr);
  const logType = sel.name as 'pod' | 'node';
  const names = logType === 'pod' ? ['namespace', 'pod', 'container'] : ['node', 'process'];
  const matchTest = (op: string, value: string): ((s: string) => boolean) => {
    if (op === '=') return (s) => s === value;
    if (op === '!=') return (s) => s !== value;
    const t = anchoredTest(value);
    return op === '=~' ? t : (s) => !t(s);
  };
  const targetTests = sel.matchers.filter((m) => m.name === names[0]).map((m) => matchTest(m.op, m.value));
  const labelTests = sel.matchers.filter((m) => m.name !== names[0]).map((m) => ({ idx: names.indexOf(m.name), test: matchTest(m.op, m.value) }));
  const lineTests = sel.lineFilters.map((f) => {
    if (f.op === '|=') return (s: string) => s.includes(f.value);
    if (f.op === '!=') return (s: string) => !s.includes(f.value);
    const re = new RE2(f.value, 'u');
    return f.op === '|~' ? (s: string) => re.test(s) : (s: string) => !re.test(s);
  });
  const dir = join(root, logType);
  const files: { path: string; hour: bigint; target: string; name: string }[] = [];
  let targets: string[] = [];
  try {
    targets = readdirSync(dir).filter((t) => statSync(join(dir, t)).isDirectory());
  } catch {
    targets = [];
  }
  for (const target of targets) {
    if (!targetTests.every((t) => t(target))) continue;
    for (const name of readdirSync(join(dir, target))) {
      const hour = hourOf(name);
      if (hour === null) continue;
      if (!(startNs < hour + 3_600_000_000_000n && endNs > hour)) continue;
      files.push({ path: `${logType}/${target}/${name}`, hour, target, name });
    }
  }
  // Store order is path order, as Lethe reads files (sort.Strings over paths).
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const rows: RefRow[] = [];
  for (const f of files) {
    const text = readFileSync(join(root, f.path)).toString('utf8');
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    lines.forEach((l0, i) => {
      const l = l0.endsWith('\r') ? l0.slice(0, -1) : l0;
      const m = LINE.exec(l);
      if (!m) return;
      const time = nsOf(m[1]!);
      if (time === null) return;
      const labels = m[2]!.split('|');
      if (labels.length !== names.length) return;
      if (time < startNs || time > endNs) return;
      const line = m[4]!;
      if (!labelTests.every((t) => t.test(labels[t.idx]!))) return;
      if (!lineTests.every((t) => t(line))) return;
      rows.push({ time, raw: m[1]!, labels, line, path: f.path, lineNo: i + 1 });
    });
  }
  // Array.prototype.sort is stable: ties stay in store order.
  rows.sort((a, b) => (a.time === b.time ? 0 : (a.time < b.time) === (direction === 'forward') ? -1 : 1));
  return rows;
}
