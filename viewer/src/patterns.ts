/**
 * Patterns among the loaded rows: each line reduced to a template (every word token holding a
 * digit, or a long hex/base64-like run, becomes `<_>`; words split at whitespace and at JSON
 * and logfmt punctuation, so `"ts":1727…` keeps its key), lines grouped by
 * template, with a count and the counts over time for a sparkline. Every row belongs to
 * exactly one template, so the counts add up to the rows (to the matching lines when the
 * result holds them all).
 *
 * A template becomes a line filter, `|~ "^…$"`: its literal parts escaped, `<_>` as one word
 * token, spaces as `\s+`; the filter keeps the template's lines (and any line of the same
 * shape whose varying word has no digit).
 *
 * This is a deliberately simple tokeniser, run on the page over rows already loaded (no
 * scan); the engine's pattern detection (Loki's `/loki/api/v1/patterns`, Drain) may replace
 * it once available in both local and server mode.
 */
import { stripAnsi } from './fields.js';
import type { RowSet } from './rows.js';

export interface PatternRow {
  template: string;
  count: number;
  /** Lines per time bucket, for the sparkline. */
  buckets: Float64Array;
  /** The first row (in the result's order) with this template. */
  example: number;
}

/** Word tokens (what may vary), runs of whitespace, and single other characters (JSON and logfmt punctuation). */
const TOKEN = /[A-Za-z0-9_.\/+-]+|\s+|[^A-Za-z0-9_.\/+\s-]/g;
const VARIABLE = /\d|^[0-9a-f]{16,}$|^[A-Za-z0-9+/=_-]{32,}$/i;
/** What `<_>` stands for in a template's regex: one word token. */
const VARIABLE_RE = '[A-Za-z0-9_./+-]+';

/** The template of one line: word tokens holding a digit (or long hex/base64 runs) become `<_>`, whitespace one space. */
export function templateOf(line: string): string {
  let out = '';
  for (const m of stripAnsi(line).trim().matchAll(TOKEN)) {
    const t = m[0];
    if (/^\s/.test(t)) out += ' ';
    else if (VARIABLE.test(t) && /^[A-Za-z0-9_./+-]+$/.test(t)) out += '<_>';
    else out += t;
  }
  return out;
}

/** The templates of `rows`, most frequent first; `bucketOf` maps a row time to a bucket or -1. */
export function findPatterns(rows: RowSet, bucketCount: number, bucketOf: (ns: bigint) => number): PatternRow[] {
  const byTemplate = new Map<string, PatternRow>();
  for (let i = 0; i < rows.length; i++) {
    const t = templateOf(rows.line(i));
    let p = byTemplate.get(t);
    if (!p) {
      p = { template: t, count: 0, buckets: new Float64Array(bucketCount), example: i };
      byTemplate.set(t, p);
    }
    p.count++;
    const b = bucketOf(rows.timeNs(i));
    if (b >= 0 && b < bucketCount) p.buckets[b]! += 1;
  }
  return [...byTemplate.values()].sort((a, b) => b.count - a.count || (a.template < b.template ? -1 : 1));
}

/** The RE2 regex a template's lines match (anchored; `<_>` is one word token, a space any whitespace). */
export function templateRegex(template: string): string {
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
  return `^\\s*${template.split('<_>').map(esc).join(VARIABLE_RE)}\\s*$`;
}

/** An SVG sparkline of `values` (width × height px). */
export function sparkline(values: Float64Array, width = 120, height = 20): string {
  const max = Math.max(1, ...values);
  const n = values.length;
  const pts = Array.from(values, (v, k) => `${((k + 0.5) * width) / Math.max(1, n)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-hidden="true"><polyline fill="none" stroke="currentColor" stroke-width="1.2" points="${pts}"/></svg>`;
}
