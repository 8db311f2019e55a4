/**
 * Row output for people (`text`) and programs (`jsonl`).
 *
 * `jsonl` prints one Lethe record per line, keys in Lethe's order (`time, namespace, pod,
 * container, log` or `time, node, process, log`) with `time` exactly as stored. `text`
 * aligns the label columns and colours them on a TTY. Both take the label columns from the
 * table's schema, so a result over a store set prints its `cluster` column where the table
 * has it, right after `time` (`{"time","cluster","namespace",…}`); a plain store's output
 * is unchanged.
 *
 * Rows are written as they are formatted, in chunks of about 256 KiB (a row larger than
 * that is a chunk of its own): never the whole answer as one string, so a result of
 * hundreds of 1 MB lines streams instead of failing with `Invalid string length`. How large
 * a result may get is the engine's `maxBytesReturned` (`--max-bytes-returned`).
 */
import type { Table } from 'apache-arrow';
import { formatRfc3339 } from '../time.js';
import type { MetricQueryPlan } from '../api.js';
import type { MetricResult } from '../metrics/result.js';
import { formatPromValue } from '../go-format.js';
import { formatPlan } from '../plan/plan.js';

export type OutputFormat = 'text' | 'jsonl' | 'arrow';

const DIM = '\x1b[2m';
const CYAN = '\x1b[36m';
const RESET = '\x1b[0m';

/** Label columns of a log table: the stream's (never null), then those a pipeline added (null where absent). */
function labelColumns(table: Table): { stream: string[]; parsed: string[] } {
  const fixed = new Set(['time', 'line', 'time_raw', 'context', 'context_group']);
  const labels = table.schema.fields.filter((f) => !fixed.has(f.name) || f.nullable);
  return { stream: labels.filter((f) => !f.nullable).map((f) => f.name), parsed: labels.filter((f) => f.nullable).map((f) => f.name) };
}

/**
 * Renders a log table as text chunks of about `chunkChars` UTF-16 units (whole rows; one
 * larger row is a chunk alone), so the CLI writes a large result with back-pressure
 * instead of building one huge string. A table with context lines (`context`,
 * `context_group` columns) prints `--` between groups in text, as grep does (context lines
 * dimmed in colour), and `"context"`/`"group"` fields in jsonl.
 */
export function* formatRows(table: Table, format: 'text' | 'jsonl', color: boolean, chunkChars = 256 * 1024): Generator<string> {
  const { stream: labels, parsed } = labelColumns(table);
  const raw = table.getChild('time_raw')!;
  const line = table.getChild('line')!;
  const cols = labels.map((l) => table.getChild(l)!);
  const parsedCols = parsed.map((l) => table.schema.fields.findIndex((f) => f.name === l && f.nullable)).map((i) => table.getChildAt(i)!);
  const n = table.numRows;
  const isContext = table.schema.fields.some((f) => f.name === 'context' && !f.nullable) ? table.getChild('context') : null;
  const group = isContext ? table.getChild('context_group') : null;
  /** A row's parsed labels that are present, as `name=value` pairs (values quoted when they need it). */
  const parsedPairs = (i: number): [string, string][] => {
    const out: [string, string][] = [];
    parsedCols.forEach((c, k) => {
      const v = c.get(i) as string | null;
      if (v !== null) out.push([parsed[k]!, v]);
    });
    return out;
  };
  let row: (i: number) => string;
  if (format === 'jsonl') {
    row = (i) => {
      const rec: Record<string, string> = { time: raw.get(i) as string };
      labels.forEach((l, k) => (rec[l] = cols[k]!.get(i) as string));
      for (const [k, v] of parsedPairs(i)) rec[k] = v;
      rec['log'] = line.get(i) as string;
      if (isContext) return JSON.stringify({ ...rec, context: isContext.get(i) === true, group: group!.get(i) as number });
      return JSON.stringify(rec);
    };
  } else {
    const widths = labels.map(() => 0);
    let timeWidth = 0;
    for (let i = 0; i < n; i++) {
      timeWidth = Math.max(timeWidth, (raw.get(i) as string).length);
      cols.forEach((c, k) => (widths[k] = Math.max(widths[k]!, (c.get(i) as string).length)));
    }
    row = (i) => {
      const t = (raw.get(i) as string).padEnd(timeWidth);
      const pairs = parsedPairs(i).map(([k, v]) => `${k}=${/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`);
      const ls = cols.map((c, k) => (c.get(i) as string).padEnd(widths[k]!)).join(' ') + (pairs.length ? ` ${pairs.join(' ')}` : '');
      const msg = line.get(i) as string;
      if (color && isContext?.get(i) === true) return `${DIM}${t} ${ls} ${msg}${RESET}`;
      return color ? `${DIM}${t}${RESET} ${CYAN}${ls}${RESET} ${msg}` : `${t} ${ls} ${msg}`;
    };
    if (group) {
      const plain = row;
      row = (i) => (i > 0 && group.get(i) !== group.get(i - 1) ? `--\n${plain(i)}` : plain(i));
    }
  }
  let out: string[] = [];
  let size = 0;
  for (let i = 0; i < n; i++) {
    const r = row(i);
    if (size > 0 && size + r.length > chunkChars) {
      yield out.join('');
      out = [];
      size = 0;
    }
    out.push(r, '\n');
    size += r.length + 1;
  }
  if (size > 0) yield out.join('');
}

/** A metric result as text: one line per sample, `time  {labels}  value`, series in order. */
export function formatMetricText(result: MetricResult): string {
  if (result.resultType === 'scalar') {
    return result.series.flatMap((s) => s.samples.map(([t, v]) => `${formatRfc3339(t)}  ${formatPromValue(v)}\n`)).join('');
  }
  let out = '';
  for (const s of result.series) {
    const labels = `{${Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
    for (const [t, v] of s.samples) out += `${formatRfc3339(t)}  ${labels}  ${formatPromValue(v)}\n`;
  }
  return out || '(no series)\n';
}

/** `letheql explain` for a metric query: the evaluation times, then each range's log plan. */
export function formatMetricPlan(plan: MetricQueryPlan): string {
  const out = [`query:      ${plan.query}`, `evaluated:  ${plan.times.step === null ? `at ${plan.times.end} (instant)` : `from ${plan.times.start} to ${plan.times.end} every ${plan.times.step}`}`];
  plan.ranges.forEach((r, i) => {
    out.push(`range ${i + 1}:    ${r.range}  (${r.request === 'buckets' ? `${r.buckets} buckets per series, no lines kept` : 'raw samples'})`);
    out.push(...formatPlan(r.plan).split('\n').map((l) => `  ${l}`));
  });
  return out.join('\n');
}
