/**
 * CRI log lines (containerd, CRI-O): `<RFC3339Nano> <stdout|stderr> <P|F>[:more tags] <message>`.
 *
 * The runtime splits a long line into `P` (partial) records ended by one `F` (full) record;
 * {@link parseCriLine} reports `partial` and the decoder joins the pieces. The message is
 * everything after the third space, taken verbatim (it may be empty, with or without that
 * space). Pure: no `node:` imports.
 */
import { parseRfc3339 } from '../time.js';

/** One CRI record. */
export interface CriEntry {
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  message: string;
  /** True for a `P` record: the message continues in the next record. */
  partial: boolean;
}

/** A parsed record, or why the line is not one. */
export type CriParse = { ok: true; entry: CriEntry } | { ok: false; reason: string };

/** Parses one CRI line (without its line break). */
export function parseCriLine(line: string): CriParse {
  const s1 = line.indexOf(' ');
  if (s1 <= 0) return { ok: false, reason: 'not a CRI line (expected "<time> <stream> <P|F> <message>")' };
  const timeNs = parseRfc3339(line.slice(0, s1));
  if (timeNs === null) return { ok: false, reason: `invalid time ${JSON.stringify(line.slice(0, s1))}` };
  const s2 = line.indexOf(' ', s1 + 1);
  const stream = line.slice(s1 + 1, s2 < 0 ? undefined : s2);
  if (stream !== 'stdout' && stream !== 'stderr') return { ok: false, reason: `invalid stream ${JSON.stringify(stream)} (expected stdout or stderr)` };
  if (s2 < 0) return { ok: false, reason: 'missing P/F tag' };
  const s3 = line.indexOf(' ', s2 + 1);
  const tags = line.slice(s2 + 1, s3 < 0 ? undefined : s3);
  const tag = tags.split(':', 1)[0];
  if (tag !== 'P' && tag !== 'F') return { ok: false, reason: `invalid tag ${JSON.stringify(tags)} (expected P or F)` };
  return { ok: true, entry: { timeNs, stream, message: s3 < 0 ? '' : line.slice(s3 + 1), partial: tag === 'P' } };
}
