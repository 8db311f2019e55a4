/**
 * Context lines (`grep -B/-A/-C`, the library's `context: { before, after }`): the lines of
 * the same stream around each match.
 *
 * A *stream* is a label set as stored: `namespace|pod|container` (or `node|process`), and
 * the cluster over a store set. Its lines are ordered as results are, forward: by time, ties
 * in store order (file, line number) — so "the line before" is the stream's previous line in
 * time, wherever it sits in the hour files.
 *
 * Two scans, both streaming:
 * 1. the query itself gives the matches (at most `limit`, each keyed by time, file, line
 *    number — an exact identity, no text comparison);
 * 2. the query's *selector* alone (no line filters, no pipeline, no limit) visits every line
 *    of the selected streams in the same window; each line is offered to the matches of its
 *    stream it could be context for: the next `before` matches after it and the previous
 *    `after` matches before it (found by binary search in the stream's sorted matches). Each
 *    match keeps the `before` nearest earlier and `after` nearest later lines in small
 *    bounded heaps.
 * Memory is O(matches × (before + after)): the scan of every line keeps nothing else, so a
 * context query costs one more read of the selected files, never their size in memory.
 *
 * Output, as grep prints it: each maximal run of the stream's lines that holds matches and
 * their context (overlapping or adjacent contexts merge) is one *group*, its rows in stream
 * order (forward); groups are ordered by their first match in the query's direction. Every
 * row says whether it is a match or context, and its group number (0, 1, …): the CLI prints
 * `--` between groups. Context lines come from the query's window (`start`–`end`); a match
 * near its edge has fewer.
 *
 * `| line_format` is refused with context: a formatted line is no longer the stored line
 * that the context is made of.
 */
import { InternalError, LetheQLError } from '../errors.js';
import type { LogRow } from '../arrow/build.js';
import type { LogQueryPlan } from '../plan/plan.js';
import { OFF_FIELD0_START, OFF_LINE_START, OFF_MSG_END, OFF_MSG_START, OFF_TIME_END, OFFSET_STRIDE, type MatchBatch } from '../scan/types.js';
import { FieldDecoder, type Keyed } from './rows.js';

/** Lines of context around each match. */
export interface ContextOptions {
  /** Lines before each match (grep `-B`). */
  before?: number;
  /** Lines after each match (grep `-A`). */
  after?: number;
}

/** Most context lines a side (a bound on memory: matches × (before + after) rows). */
export const MAX_CONTEXT_LINES = 10_000;

/** Validates a context option; returns whole non-negative counts. */
export function checkContext(context: ContextOptions): { before: number; after: number } {
  const count = (v: unknown, name: string): number => {
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_CONTEXT_LINES) {
      throw new LetheQLError('INVALID_OPTION', `invalid context.${name} ${String(v)}: expected a whole number of lines from 0 to ${MAX_CONTEXT_LINES}`);
    }
    return v;
  };
  return { before: count(context.before, 'before'), after: count(context.after, 'after') };
}

/** A row of a context result: the row, whether it is context, its group. */
export interface ContextRow {
  row: LogRow;
  isContext: boolean;
  group: number;
}

/** A line's place in its stream's order (time, file of the selector plan, line number). */
interface Pos {
  t: bigint;
  f: number;
  n: number;
}

const forwardBefore = (a: Pos, b: Pos): boolean => a.t < b.t || (a.t === b.t && (a.f < b.f || (a.f === b.f && a.n < b.n)));

/** A bounded heap of positions: keeps the `cap` nearest to a match on one side. */
class Nearest {
  readonly items: Keyed[] = [];
  /** `farther(a, b)`: a is farther from the match than b. */
  constructor(
    private readonly cap: number,
    private readonly farther: (a: Pos, b: Pos) => boolean,
  ) {}
  wouldKeep(p: Pos): boolean {
    return this.cap > 0 && (this.items.length < this.cap || this.farther(this.items[0]!, p));
  }
  push(k: Keyed): void {
    const h = this.items;
    if (h.length < this.cap) {
      h.push(k);
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.farther(h[i]!, h[p]!)) break;
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      }
      return;
    }
    h[0] = k;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.farther(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.farther(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

interface MatchSlot {
  pos: Pos;
  row: LogRow;
  /** Index in the query's result order. */
  order: number;
  before: Nearest;
  after: Nearest;
}

const decoder = new TextDecoder('utf-8');

/** The stream key of a row: cluster and bracket labels. */
function streamKey(labels: readonly string[], cluster: string | undefined): string {
  return `${cluster ?? ''}\u0000${labels.join('\u0000')}`;
}

/**
 * Adds context to `matches` (keyed rows of `plan`, in result order): `visitAll` scans the
 * selector plan `all` handing each batch to its callback (see the module note).
 */
export async function addContext(
  plan: LogQueryPlan,
  all: LogQueryPlan,
  matches: readonly Keyed[],
  context: { before: number; after: number },
  visitAll: (visit: (batch: MatchBatch, fileIndex: number) => void) => Promise<unknown>,
): Promise<ContextRow[]> {
  if (plan.pipeline?.stages.some((s) => s.kind === 'LineFormatStage')) {
    throw new LetheQLError('INVALID_OPTION', 'context lines cannot be shown with | line_format: the formatted line is not the stored line around which context is read');
  }
  // Match files → the selector plan's files (a sidecar may have skipped some for the query).
  const allIndex = new Map(all.files.map((f, i) => [f.path, i]));
  const streams = new Map<string, MatchSlot[]>();
  matches.forEach((k, order) => {
    const f = allIndex.get(plan.files[k.f]!.path);
    if (f === undefined) throw new InternalError(`context: ${plan.files[k.f]!.path} is not in the selector's plan`);
    const slot: MatchSlot = {
      pos: { t: k.t, f, n: k.n },
      row: k.row,
      order,
      // One line more than shown on each side: the stream's next line beyond the window, which
      // tells whether two windows touch (grep prints no `--` between touching groups).
      before: new Nearest(context.before + 1, (a, b) => forwardBefore(a, b)),
      after: new Nearest(context.after + 1, (a, b) => forwardBefore(b, a)),
    };
    const key = streamKey(k.row.labels, k.row.cluster);
    let list = streams.get(key);
    if (!list) streams.set(key, (list = []));
    list.push(slot);
  });
  for (const list of streams.values()) list.sort((a, b) => (forwardBefore(a.pos, b.pos) ? -1 : forwardBefore(b.pos, a.pos) ? 1 : 0));
  const fieldCount = matches[0]?.row.labels.length ?? 0;

  if (matches.length > 0) {
    const decoders = Array.from({ length: fieldCount }, () => new FieldDecoder());
    const labelsBuf: string[] = new Array<string>(fieldCount);
    await visitAll((batch, fileIndex) => {
      const cluster = all.files[fileIndex]!.cluster;
      const { bytes, offsets, timesNs, lineNos } = batch;
      for (let i = 0; i < batch.count; i++) {
        const o = i * OFFSET_STRIDE;
        for (let k = 0; k < fieldCount; k++) {
          const fo = o + OFF_FIELD0_START + 2 * k;
          labelsBuf[k] = decoders[k]!.decode(bytes, offsets[fo]!, offsets[fo + 1]!);
        }
        const list = streams.get(streamKey(labelsBuf, cluster));
        if (list === undefined) continue;
        const pos: Pos = { t: timesNs[i]!, f: fileIndex, n: lineNos[i]! };
        // First match at or after the line.
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (forwardBefore(list[mid]!.pos, pos)) lo = mid + 1;
          else hi = mid;
        }
        const isMatch = lo < list.length && !forwardBefore(pos, list[lo]!.pos);
        if (isMatch) continue;
        let row: LogRow | null = null;
        const make = (): LogRow => {
          if (row) return row;
          row = {
            timeNs: pos.t,
            timeRaw: decoder.decode(bytes.subarray(offsets[o + OFF_LINE_START]!, offsets[o + OFF_TIME_END]!)),
            labels: labelsBuf.slice(),
            line: decoder.decode(bytes.subarray(offsets[o + OFF_MSG_START]!, offsets[o + OFF_MSG_END]!)),
          };
          if (cluster !== undefined) row.cluster = cluster;
          return row;
        };
        // Before-context of the next `before` matches, after-context of the previous `after`.
        for (let m = lo; m < Math.min(list.length, lo + context.before + 1); m++) {
          const s = list[m]!;
          if (s.before.wouldKeep(pos)) s.before.push({ ...pos, row: make() });
        }
        for (let m = lo - 1; m >= Math.max(0, lo - context.after - 1); m--) {
          const s = list[m]!;
          if (s.after.wouldKeep(pos)) s.after.push({ ...pos, row: make() });
        }
      }
    });
  }

  // Groups: per stream, the matches and their context in stream order, merged where they touch.
  const groups: { first: number; rows: ContextRow[] }[] = [];
  for (const list of streams.values()) {
    const windows = list.map((s) => window(s, context));
    const lines = new Map<string, { pos: Pos; row: LogRow; isContext: boolean; order: number }>();
    const id = (p: Pos) => `${p.f}:${p.n}`;
    for (const s of list) {
      lines.set(id(s.pos), { pos: s.pos, row: s.row, isContext: false, order: s.order });
    }
    for (const w of windows) for (const k of w.shown) if (!lines.has(id(k))) lines.set(id(k), { pos: k, row: k.row, isContext: true, order: Infinity });
    const sorted = [...lines.values()].sort((a, b) => (forwardBefore(a.pos, b.pos) ? -1 : forwardBefore(b.pos, a.pos) ? 1 : 0));
    // Two neighbours in `sorted` are in one group when nothing of the stream lies between them:
    // the earlier one's after-context or the later one's before-context reached across.
    let current: { first: number; rows: ContextRow[] } | null = null;
    let prevEnd: Pos | null = null;
    for (const l of sorted) {
      const joined = current !== null && prevEnd !== null && touches(prevEnd, l.pos, windows);
      if (!joined) {
        current = { first: Infinity, rows: [] };
        groups.push(current);
      }
      current!.rows.push({ row: l.row, isContext: l.isContext, group: 0 });
      if (!l.isContext) current!.first = Math.min(current!.first, l.order);
      prevEnd = l.pos;
    }
  }
  groups.sort((a, b) => a.first - b.first);
  const out: ContextRow[] = [];
  groups.forEach((g, i) => {
    for (const r of g.rows) out.push({ ...r, group: i });
  });
  return out;
}

/** A match's window: the context lines shown, its first and last line, and the stream's lines just outside it. */
interface Window {
  shown: Keyed[];
  lo: Pos;
  hi: Pos;
  /** The stream's line right before `lo` / after `hi`; null when the stream has none there. */
  outBefore: Pos | null;
  outAfter: Pos | null;
}

function window(s: MatchSlot, context: { before: number; after: number }): Window {
  const before = s.before.items.slice().sort((a, b) => (forwardBefore(b, a) ? -1 : 1)); // nearest first
  const after = s.after.items.slice().sort((a, b) => (forwardBefore(a, b) ? -1 : 1));
  const shownBefore = before.slice(0, context.before);
  const shownAfter = after.slice(0, context.after);
  return {
    shown: [...shownBefore, ...shownAfter],
    lo: shownBefore[shownBefore.length - 1] ?? s.pos,
    hi: shownAfter[shownAfter.length - 1] ?? s.pos,
    outBefore: before[context.before] ?? null,
    outAfter: after[context.after] ?? null,
  };
}

const same = (a: Pos, b: Pos): boolean => a.t === b.t && a.f === b.f && a.n === b.n;

/**
 * Whether two consecutive kept lines of a stream (`a` before `b`) have no line of the stream
 * between them: both in one window (windows are contiguous), or `b` is the line right after
 * a window ending at `a` (or `a` the line right before a window starting at `b`), or such a
 * window has no line beyond it at all.
 */
function touches(a: Pos, b: Pos, windows: readonly Window[]): boolean {
  for (const w of windows) {
    const inside = (p: Pos) => !forwardBefore(p, w.lo) && !forwardBefore(w.hi, p);
    if (inside(a) && inside(b)) return true;
    if (same(a, w.hi) && (w.outAfter === null || same(w.outAfter, b))) return true;
    if (same(b, w.lo) && (w.outBefore === null || same(w.outBefore, a))) return true;
  }
  return false;
}
