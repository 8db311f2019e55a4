/**
 * StreamLabels: one record per distinct stream, handed back by identity whenever the stream
 * recurs (lines of several pods interleave in one namespace file), so that a metric fold
 * can keep a series per record instead of keying every stream switch.
 */
import { describe, expect, it } from 'vitest';
import { StreamLabels, messageOf } from '../../src/exec/stream-labels.js';
import type { RowBatch } from '../../src/exec/rows.js';
import { OFF_FIELD0_START, OFF_LINE_START, OFF_MSG_END, OFF_MSG_START, OFF_TIME_END, OFFSET_STRIDE } from '../../src/scan/types.js';

/** A batch over Lethe lines, with offsets laid out as the kernel lays them out. */
function batchOf(lines: string[]): RowBatch {
  const text = lines.join('\n');
  const bytes = new TextEncoder().encode(text); // ASCII only here: string and byte offsets agree
  const offsets = new Int32Array(lines.length * OFFSET_STRIDE).fill(-1);
  let at = 0;
  lines.forEach((line, i) => {
    const o = i * OFFSET_STRIDE;
    const open = line.indexOf('[');
    const close = line.indexOf(']');
    offsets[o + OFF_LINE_START] = at;
    offsets[o + OFF_TIME_END] = at + open;
    let start = open + 1;
    line
      .slice(open + 1, close)
      .split('|')
      .forEach((f, k) => {
        offsets[o + OFF_FIELD0_START + 2 * k] = at + start;
        offsets[o + OFF_FIELD0_START + 2 * k + 1] = at + start + f.length;
        start += f.length + 1;
      });
    offsets[o + OFF_MSG_START] = at + close + 2;
    offsets[o + OFF_MSG_END] = at + line.length;
    at += line.length + 1;
  });
  return { count: lines.length, bytes, offsets, timesNs: new BigInt64Array(lines.length), lineNos: Uint32Array.from(lines, (_, i) => i + 1) };
}

describe('StreamLabels', () => {
  const T = '2024-09-24T13:00:00Z';
  const batch = batchOf([`${T}[shop|api-1|app] a`, `${T}[shop|api-1|app] b`, `${T}[shop|web-2|nginx] c`, `${T}[shop|api-1|app] d`, `${T}[shop|api-1|sidecar] e`, `${T}[shop|web-2|nginx] f`]);

  it('decodes labels and messages, and returns one record per stream, by identity, however streams interleave', () => {
    const s = new StreamLabels('pod');
    const records = Array.from({ length: batch.count }, (_, i) => s.of(batch, i, undefined));
    expect(records.map((r) => r['pod'] + '/' + r['container'])).toEqual(['api-1/app', 'api-1/app', 'web-2/nginx', 'api-1/app', 'api-1/sidecar', 'web-2/nginx']);
    expect(records[0]).toEqual({ namespace: 'shop', pod: 'api-1', container: 'app' });
    expect(new Set(records).size).toBe(3);
    expect(records[3]).toBe(records[0]);
    expect(records[5]).toBe(records[2]);
    expect(records[4]).not.toBe(records[0]);
    expect(Array.from({ length: batch.count }, (_, i) => messageOf(batch, i))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('decodes only the labels asked for: streams that differ elsewhere share one record', () => {
    const s = new StreamLabels('pod', ['namespace', 'container']);
    expect(s.names).toEqual(['namespace', 'container']);
    const records = Array.from({ length: batch.count }, (_, i) => s.of(batch, i, undefined));
    expect(records.map((r) => r['container'])).toEqual(['app', 'app', 'nginx', 'app', 'sidecar', 'nginx']);
    expect(records[0]).toEqual({ namespace: 'shop', container: 'app' });
    expect(new Set(records).size).toBe(3);
    expect(new StreamLabels('pod', ['namespace']).of(batch, 2, 'east')).toEqual({ cluster: 'east', namespace: 'shop' });
  });

  it('keeps clusters apart: the same fields from two clusters are two streams', () => {
    const s = new StreamLabels('pod');
    const a = s.of(batch, 0, 'east');
    const b = s.of(batch, 0, 'west');
    expect(a).toEqual({ cluster: 'east', namespace: 'shop', pod: 'api-1', container: 'app' });
    expect(b['cluster']).toBe('west');
    expect(s.of(batch, 1, 'east')).toBe(a);
    expect(s.of(batch, 0, undefined)).not.toHaveProperty('cluster');
  });
});
