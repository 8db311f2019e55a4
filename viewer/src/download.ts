/**
 * Downloading the rows shown (after the level filter and deduplication) as a file.
 *
 * - JSON lines: one object per row, `{"time": RFC 3339 with nanoseconds, "timeNs": decimal
 *   string, "labels": {…non-empty labels}, "line": …}`.
 * - CSV (RFC 4180): `time,<label columns…>,line`, every field quoted when it needs to be.
 * - Arrow IPC stream: the engine's own table (contract §3 columns and schema metadata) when
 *   every loaded row is shown; otherwise the shown rows in the same columns (time as
 *   timestamp[ns], labels and line as utf8).
 *
 * Built in memory from the loaded rows (no query is run): a result is bounded by the row
 * limit, so the file is too.
 */
import { makeData, makeVector, Table, tableToIPC, TimestampNanosecond, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { ArrowRows, formatTime, type RowSet, type ViewRows } from './rows.ts';

export type DownloadFormat = 'jsonl' | 'csv' | 'arrow';

export function toJsonLines(rows: RowSet): string {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const labels: Record<string, string> = {};
    rows.labelNames.forEach((n, k) => {
      const v = rows.label(i, k);
      if (v !== '') labels[n] = v;
    });
    const t = rows.timeNs(i);
    out.push(JSON.stringify({ time: formatTime(t, true), timeNs: String(t), labels, line: rows.line(i) }));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function toCsv(rows: RowSet): string {
  const out = [['time', ...rows.labelNames, 'line'].map(csvField).join(',')];
  for (let i = 0; i < rows.length; i++) {
    const fields = [formatTime(rows.timeNs(i), true)];
    for (let k = 0; k < rows.labelNames.length; k++) fields.push(rows.label(i, k));
    fields.push(rows.line(i));
    out.push(fields.map(csvField).join(','));
  }
  return `${out.join('\r\n')}\r\n`;
}

export function toArrow(rows: ViewRows): Uint8Array {
  if (rows.index === null && rows.base instanceof ArrowRows) return tableToIPC(rows.base.source, 'stream');
  const n = rows.length;
  const times = new BigInt64Array(n);
  for (let i = 0; i < n; i++) times[i] = rows.timeNs(i);
  const columns: Record<string, Vector> = { time: makeVector(makeData({ type: new TimestampNanosecond(), length: n, nullCount: 0, data: times })) };
  rows.labelNames.forEach((name, k) => {
    columns[name] = vectorFromArray(Array.from({ length: n }, (_, i) => rows.label(i, k)), new Utf8());
  });
  columns['line'] = vectorFromArray(Array.from({ length: n }, (_, i) => rows.line(i)), new Utf8());
  return tableToIPC(new Table(columns), 'stream');
}

/** Saves the rows as a file in `format`; returns how many rows it holds. */
export function downloadRows(rows: ViewRows, format: DownloadFormat): number {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const [body, type, ext] =
    format === 'jsonl' ? [toJsonLines(rows), 'application/x-ndjson', 'jsonl'] : format === 'csv' ? [toCsv(rows), 'text/csv', 'csv'] : [toArrow(rows), 'application/vnd.apache.arrow.stream', 'arrow'];
  const url = URL.createObjectURL(new Blob([body as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `letheql-${stamp}.${ext}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return rows.length;
}
