/**
 * The planner's use of sidecar indexes (`store/sidecar.ts`): per planned file, what its
 * sidecar proves about the query, as plain data in the plan.
 *
 * For a file with a sidecar that checks out (format, checksum, identity: path, size, mtime),
 * the plan records:
 * - **time**: the file is skipped when no good line's time is in the window (its
 *   `[minNs, maxNs]` misses it); otherwise blocks whose own range misses it are skipped;
 * - **bloom**: a block is skipped when one of the program's positive `contains` filters
 *   (literal `|=` filters, regexes that are a literal, and the required literals the regex
 *   prefilter found: all must hold) has a 4-gram whose bit is clear in the block's bloom
 *   (the no-false-negative argument is in `sidecar.ts`);
 * - **runs**: the byte ranges of consecutive blocks left, with the lines before each, so a
 *   scan of a run reports exact line numbers;
 * - **count**: for a selector-only query (no line filter, no pipeline) over a file whose
 *   lines all fall inside the window, the number of lines the label matchers accept,
 *   summed over the sidecar's streams — the executor answers a count with it without
 *   reading the file. Null when the streams are unknown (a field not UTF-8).
 * - the file's line and bad-line counts and first bad lines, with which the executor
 *   accounts for what it skips (lines not read count as validated when it was built:
 *   the rule is in `src/exec/index-use.ts`).
 *
 * Everything a sidecar claims is conditional on one thing the plan cannot know: the
 * executor's `maxLineBytes` (which lines are `line-too-long`). `longestLine` and
 * `builtMaxLineBytes` let the executor check that neither scan would call any line too long;
 * otherwise it scans the file whole.
 *
 * Sidecars with a problem (stale, truncated, corrupt, unsupported, unreadable) are listed in
 * the plan's `index.problems` and ignored; files without one are counted. A plan gets an
 * `index` part only when at least one of its files has a sidecar, so a store that was never
 * indexed plans exactly as before.
 */
import type { LogType } from '../model.js';
import { compileRegex } from '../regex/index.js';
import { attachSegment, blockMayHold, decodeSidecar, decodeSidecarHead, needleProbes, neededSegments, SIDECAR_HEAD_READ, type NeedleProbes, type Sidecar, type SidecarIdentity, type SidecarProblem, type SidecarRead } from '../store/sidecar.js';
import { storePath } from '../store/paths.js';
import { attachSummaryPart, decodeSummaryHead, entryMayHold, neededSummaryParts, summaryPath, SUMMARY_HEAD_READ, type IndexSummary } from '../store/index-summary.js';
import type { ChunkSource, SidecarBytes, SidecarFile } from '../store/types.js';
import type { KernelLabelMatcher, KernelProgram } from './program.js';

/** A run of consecutive blocks to scan: the lines whose first byte is in `[start, end)`. */
export interface IndexRun {
  start: number;
  end: number;
  /** Lines of the file before the run. */
  lineBase: number;
  /** The sidecar's line and bad-line counts of the run. */
  lines: number;
  badLines: number;
  blocks: number;
}

/** What a file's sidecar proves for this query (see the module note). */
export interface PlannedIndex {
  blocks: number;
  /** No good line of the file is in the window: nothing is read. */
  fileSkippedByTime: boolean;
  blocksSkippedByTime: number;
  blocksSkippedByBloom: number;
  /** Byte ranges to scan, in file order; `[]` when nothing needs reading. */
  runs: IndexRun[];
  /** A selector-only count of the file from its streams, or null. */
  count: number | null;
  lines: number;
  badLines: number;
  badLineSamples: { line: number; reason: string }[];
  longestLine: number;
  builtMaxLineBytes: number;
  /** Decided by the target's summary alone (the file's sidecar was not opened). */
  fromSummary?: true;
}

/** The plan's summary of sidecar use. */
export interface PlanIndexSummary {
  /** Planned files with a usable sidecar (or target-summary entry). */
  used: number;
  /** Of those, files skipped on their target summary's word alone (their sidecar not opened). */
  fromSummary: number;
  /** Target summaries ignored, and why. */
  summaryProblems: { path: string; problem: string; detail: string }[];
  /** Planned files without one. */
  missing: number;
  /**
   * Planned files whose target summary shows that their sidecar could not narrow this query
   * (no literal of 4 bytes or more to test, not a count from streams, every good line in the
   * window): their sidecar is not opened and they are read whole, as without one.
   */
  unneeded: number;
  /** Sidecars ignored, and why. */
  problems: { path: string; problem: SidecarProblem; detail: string }[];
}

/** A file as the index planner needs it. */
export interface IndexableFile {
  cluster?: string;
  path: string;
  target: string;
  name: string;
  size: number;
  /** As listed; without either the file's target-summary entry cannot be checked. */
  mtimeMs?: number;
  etag?: string;
}

/** Reads sidecars at most this many at a time. */
const CONCURRENCY = 16;

/** `=~`/`!~` matchers are anchored as the kernel anchors them. */
function labelTest(m: KernelLabelMatcher): (v: string) => boolean {
  if (m.op === 'eq') return (v) => v === m.value;
  if (m.op === 'neq') return (v) => v !== m.value;
  const re = compileRegex(`^(?:${(m as { pattern: string }).pattern})$`);
  return m.op === 'regex' ? (v) => re.test(v) : (v) => !re.test(v);
}

/** What the query asks of a file that a sidecar can answer. */
interface IndexQuery {
  startNs: bigint;
  endNs: bigint;
  /** The grams of each positive `contains` literal long enough to prune. */
  literals: NeedleProbes[];
  /** Label matchers as tests on stream fields, when counting from streams is allowed at all. */
  countable: ((fields: string[]) => boolean) | null;
}

function indexQuery(program: KernelProgram, hasPipeline: boolean): IndexQuery {
  const literals: Uint32Array[] = [];
  for (const f of program.lineFilters) {
    if (f.op !== 'contains') continue;
    const h = needleProbes(f.needle);
    if (h !== null) literals.push(h);
  }
  let countable: IndexQuery['countable'] = null;
  if (program.lineFilters.length === 0 && !hasPipeline) {
    const tests = program.labelMatchers.map((m) => ({ field: m.field, test: labelTest(m) }));
    countable = (fields) => tests.every((t) => t.test(fields[t.field] ?? ''));
  }
  return { startNs: BigInt(program.startNs), endNs: BigInt(program.endNs), literals, countable };
}

/**
 * The plan of one file from its (checked) sidecar; null when a bloom segment it read fails
 * its checksum (the sidecar is corrupt: the file is planned without it).
 */
export function planFromSidecar(sc: Sidecar, q: IndexQuery): PlannedIndex | null {
  const h = sc.header;
  const out: PlannedIndex = {
    blocks: h.blocks.length,
    fileSkippedByTime: false,
    blocksSkippedByTime: 0,
    blocksSkippedByBloom: 0,
    runs: [],
    count: null,
    lines: h.lines,
    badLines: h.badLines,
    badLineSamples: h.badLineSamples.map((s) => ({ line: s.line, reason: s.reason })),
    longestLine: h.longestLine,
    builtMaxLineBytes: h.build.maxLineBytes,
  };
  if (!inWindow(h.minNs, h.maxNs, q)) {
    out.fileSkippedByTime = true;
    return out;
  }
  if (q.countable !== null && h.streams !== null && BigInt(h.minNs!) >= q.startNs && BigInt(h.maxNs!) <= q.endNs) {
    out.count = h.streams.reduce((n, s) => (q.countable!(s.fields) ? n + s.lines : n), 0);
  }
  let run: IndexRun | null = null;
  for (let i = 0; i < h.blocks.length; i++) {
    const b = h.blocks[i]!;
    let keep = true;
    if (!inWindow(b.minNs, b.maxNs, q)) {
      out.blocksSkippedByTime++;
      keep = false;
    } else {
      for (const probes of q.literals) {
        const may = blockMayHold(sc, i, probes);
        if (may === null) return null;
        if (!may) {
          out.blocksSkippedByBloom++;
          keep = false;
          break;
        }
      }
    }
    if (!keep) {
      run = null;
      continue;
    }
    if (run === null) {
      run = { start: b.offset, end: b.offset, lineBase: b.lineBase, lines: 0, badLines: 0, blocks: 0 };
      out.runs.push(run);
    }
    run.end = b.offset + b.bytes;
    run.lines += b.lines;
    run.badLines += b.badLines;
    run.blocks++;
  }
  return out;
}

/** A sidecar read whole (`readSidecar`) and checked; null when there is none. */
async function readWhole(source: ChunkSource, logType: LogType, f: IndexableFile): Promise<SidecarRead | null> {
  const bytes: SidecarBytes | null = await source.readSidecar!(logType, f.target, f.name);
  if (bytes === null) return null;
  return staleness(bytes, f) ?? decodeSidecar(bytes.bytes, identity(logType, f, bytes.fileMtimeMs));
}

/**
 * A sidecar's head read and checked (`openSidecar`), with the bloom segments the query's
 * literals need attached: the rest of its bytes are never read. Null when there is none.
 */
async function readHead(source: ChunkSource, logType: LogType, f: IndexableFile, q: IndexQuery): Promise<SidecarRead | null> {
  const file: SidecarFile | null = await source.openSidecar!(logType, f.target, f.name);
  if (file === null) return null;
  try {
    const stale = staleness(file, f);
    if (stale) return stale;
    const id = identity(logType, f, file.fileMtimeMs);
    let r = decodeSidecarHead(await file.read(0, Math.min(file.size, SIDECAR_HEAD_READ)), file.size, id);
    // A long header first, then its checksums, may each need a longer read.
    for (let tries = 0; tries < 2 && !r.ok && 'need' in r; tries++) r = decodeSidecarHead(await file.read(0, r.need), file.size, id);
    if (!r.ok) return { ok: false, problem: r.problem, detail: r.detail };
    const sc = r.sidecar;
    if (q.literals.length > 0 && inWindow(sc.header.minNs, sc.header.maxNs, q)) {
      for (const s of neededSegments(sc, q.literals)) {
        const run = await file.read(sc.segmentAt[s]!, sc.segmentAt[s + 1]! - sc.segmentAt[s]!);
        if (run.length !== sc.segmentAt[s + 1]! - sc.segmentAt[s]!) return { ok: false, problem: 'truncated', detail: 'blooms cut short' };
        attachSegment(sc, s, run);
      }
    }
    return r;
  } finally {
    await file.close();
  }
}

/** The identity a sidecar must have: the file's as listed for the plan (size) and as it is now (mtime). */
const identity = (logType: LogType, f: IndexableFile, mtimeMs: number): SidecarIdentity => ({ path: storePath(logType, f.target, f.name), size: f.size, mtimeMs });

/** Stale when the file's size now is not its size when listed. */
const staleness = (now: { fileSize: number }, f: IndexableFile): SidecarRead | null => (now.fileSize !== f.size ? { ok: false, problem: 'stale', detail: `the file has ${now.fileSize} bytes, ${f.size} when listed` } : null);

/** Whether a time range `[min, max]` (null: no good line) meets the query's window. */
function inWindow(min: string | null, max: string | null, q: IndexQuery): boolean {
  return min !== null && max !== null && BigInt(max) >= q.startNs && BigInt(min) <= q.endNs;
}

/** A target's summary as one query uses it: the entries it may ask about have their filter parts loaded. */
type LoadedSummary = { ok: true; summary: IndexSummary } | { ok: false; path: string; problem: string; detail: string } | null;

/**
 * Reads and checks a target's summary (`store/index-summary.ts`) and, when the query has
 * literals, the filter parts its grams pick — only the span of the entries named `names`
 * (the target's planned files: one contiguous range, entries being in name order).
 */
async function loadSummary(source: ChunkSource, logType: LogType, target: string, names: string[], q: IndexQuery): Promise<LoadedSummary> {
  const path = summaryPath(logType, target);
  const file = await source.openIndexSummary!(logType, target);
  if (file === null) return null;
  try {
    let r = decodeSummaryHead(await file.read(0, Math.min(file.size, SUMMARY_HEAD_READ)), file.size);
    for (let tries = 0; tries < 2 && !r.ok && r.need !== undefined; tries++) r = decodeSummaryHead(await file.read(0, r.need), file.size);
    if (!r.ok) return { ok: false, path, problem: r.problem, detail: r.detail };
    const sm = r.summary;
    if (q.literals.length > 0) {
      let lo = Infinity;
      let hi = -1;
      for (const n of names) {
        const e = sm.byName.get(n);
        if (e === undefined) continue;
        lo = Math.min(lo, e);
        hi = Math.max(hi, e);
      }
      if (hi >= 0) {
        const from = sm.entryAt[lo]!;
        const len = sm.entryAt[hi + 1]! - from;
        for (const p of neededSummaryParts(sm, q.literals)) {
          const run = await file.read(sm.partAt[p]! + from, len);
          if (run.length !== len) return { ok: false, path, problem: 'truncated', detail: 'filters cut short' };
          attachSummaryPart(sm, p, run, from);
        }
      }
    }
    return r;
  } catch (e) {
    return { ok: false, path, problem: 'unreadable', detail: (e as Error).message };
  } finally {
    await file.close();
  }
}

/**
 * What a target summary proves about one file: that it can be skipped whole (no good line in
 * the window, or a literal's gram is missing from its filter); null when it proves nothing
 * here (no entry for this identity, bad lines to account, or the file may hold a match) —
 * the file's own sidecar decides then; `'corrupt'` when a filter part fails its checksum.
 */
/** The index of `f`'s entry in a summary, when the entry speaks for the file as listed (same size, and ETag or mtime). */
function entryOf(sm: IndexSummary, f: IndexableFile): number | undefined {
  const i = sm.byName.get(f.name);
  if (i === undefined) return undefined;
  const e = sm.entries[i]!;
  if (e.size !== f.size) return undefined;
  // The identity: the listed ETag in a shipped summary (object stores), else the mtime.
  if (e.etag !== undefined ? f.etag !== e.etag : f.mtimeMs === undefined || e.mtimeMs !== f.mtimeMs) return undefined;
  return i;
}

/**
 * Whether a file's sidecar could narrow this query, by its summary entry: not when the query
 * has no literal to test, is no count from streams, and every good line of the file is in the
 * window (no block can be skipped by time). Then opening the sidecar (a read per file; a GET
 * in an object store) buys nothing. True when the summary does not speak for the file.
 */
function sidecarMayHelp(sm: IndexSummary, f: IndexableFile, q: IndexQuery): boolean {
  if (q.literals.length > 0 || q.countable !== null) return true;
  const i = entryOf(sm, f);
  if (i === undefined) return true;
  const e = sm.entries[i]!;
  return e.minNs === null || e.maxNs === null || e.minNs < q.startNs || e.maxNs > q.endNs;
}

function skipFromSummary(sm: IndexSummary, f: IndexableFile, q: IndexQuery): PlannedIndex | null | 'corrupt' {
  const i = entryOf(sm, f);
  if (i === undefined) return null;
  const e = sm.entries[i]!;
  if (e.badLines !== 0) return null;
  const out: PlannedIndex = {
    blocks: e.blocks,
    fileSkippedByTime: false,
    blocksSkippedByTime: 0,
    blocksSkippedByBloom: 0,
    runs: [],
    count: null,
    lines: e.lines,
    badLines: 0,
    badLineSamples: [],
    longestLine: e.longestLine,
    builtMaxLineBytes: e.maxLineBytes,
    fromSummary: true,
  };
  if (e.minNs === null || e.maxNs === null || e.maxNs < q.startNs || e.minNs > q.endNs) {
    out.fileSkippedByTime = true;
    return out;
  }
  for (const probes of q.literals) {
    const may = entryMayHold(sm, i, probes);
    if (may === null) return 'corrupt';
    if (!may) {
      out.blocksSkippedByBloom = e.blocks;
      return out;
    }
  }
  return null;
}

/**
 * Reads and checks the sidecars of `files` and returns, per file, what its usable sidecar
 * proves (undefined: none), with the plan's summary (null when no file has a sidecar, or
 * the source has none). `sourceOf` gives the source a file is read from (a store set's member).
 */
export async function planIndexes(
  files: IndexableFile[],
  sourceOf: (cluster: string | undefined) => ChunkSource,
  logType: LogType,
  program: KernelProgram,
  hasPipeline: boolean,
): Promise<{ summary: PlanIndexSummary | null; indexes: (PlannedIndex | undefined)[] }> {
  const indexes: (PlannedIndex | undefined)[] = new Array(files.length);
  const hasSidecars = (s: ChunkSource): boolean => typeof s.openSidecar === 'function' || typeof s.readSidecar === 'function';
  if (files.length === 0 || !files.some((f) => hasSidecars(sourceOf(f.cluster)))) return { summary: null, indexes };
  const q = indexQuery(program, hasPipeline);
  const summary: PlanIndexSummary = { used: 0, fromSummary: 0, summaryProblems: [], missing: 0, unneeded: 0, problems: [] };
  // One target summary per target (when the source has them): most files of a rare literal
  // are skipped on it without opening their sidecar.
  const summaries = new Map<string, Promise<LoadedSummary>>();
  const summaryOf = (source: ChunkSource, f: IndexableFile): Promise<LoadedSummary> => {
    const key = `${f.cluster ?? ''}\u0000${f.target}`;
    let p = summaries.get(key);
    if (!p) {
      const names = files.filter((g) => g.cluster === f.cluster && g.target === f.target).map((g) => g.name);
      summaries.set(key, (p = source.openIndexSummary ? loadSummary(source, logType, f.target, names, q) : Promise.resolve(null)));
    }
    return p;
  };
  const corruptSummaries = new Set<IndexSummary>();
  const found: ((typeof summary.problems)[number] | 'used' | 'missing' | 'unneeded')[] = new Array(files.length);
  // One directory listing per target (when the source can list): no failed read per file
  // of a target that was never indexed.
  const listed = new Map<string, Promise<Set<string> | null>>();
  const sidecarsOf = (source: ChunkSource, f: IndexableFile): Promise<Set<string> | null> => {
    const key = `${f.cluster ?? ''}\u0000${f.target}`;
    let p = listed.get(key);
    if (!p) listed.set(key, (p = source.listSidecars ? source.listSidecars(logType, f.target).catch(() => null) : Promise.resolve(null)));
    return p;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const f = files[i]!;
      const source = sourceOf(f.cluster);
      const loaded = f.mtimeMs !== undefined || f.etag !== undefined ? await summaryOf(source, f) : null;
      if (loaded?.ok && !corruptSummaries.has(loaded.summary)) {
        const skip = skipFromSummary(loaded.summary, f, q);
        if (skip === 'corrupt') {
          corruptSummaries.add(loaded.summary);
          summary.summaryProblems.push({ path: summaryPath(logType, f.target), problem: 'corrupt', detail: 'filter checksum mismatch' });
        } else if (skip !== null) {
          indexes[i] = skip;
          found[i] = 'used';
          summary.fromSummary++;
          continue;
        } else if (!sidecarMayHelp(loaded.summary, f, q)) {
          found[i] = 'unneeded';
          continue;
        }
      }
      // A file its target's summary names had a sidecar when the summary was built: try to
      // open it without listing the sidecar directory (a few hundred entries per target).
      const named = loaded?.ok === true && loaded.summary.byName.has(f.name);
      if (!hasSidecars(source) || (!named && (await sidecarsOf(source, f))?.has(f.name) === false)) {
        found[i] = 'missing';
        continue;
      }
      let r: SidecarRead | null;
      try {
        r = await (source.openSidecar ? readHead(source, logType, f, q) : readWhole(source, logType, f));
      } catch (e) {
        found[i] = { path: f.path, problem: 'unreadable', detail: (e as Error).message };
        continue;
      }
      if (r === null) {
        found[i] = 'missing';
        continue;
      }
      if (!r.ok) {
        found[i] = { path: f.path, problem: r.problem, detail: r.detail };
        continue;
      }
      const planned = planFromSidecar(r.sidecar, q);
      if (planned === null) {
        found[i] = { path: f.path, problem: 'corrupt', detail: 'bloom checksum mismatch' };
        continue;
      }
      indexes[i] = planned;
      found[i] = 'used';
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  for (const l of await Promise.all(summaries.values())) if (l !== null && !l.ok) summary.summaryProblems.push({ path: l.path, problem: l.problem, detail: l.detail });
  for (const x of found) {
    if (x === 'used') summary.used++;
    else if (x === 'missing') summary.missing++;
    else if (x === 'unneeded') summary.unneeded++;
    else summary.problems.push(x);
  }
  return { summary: summary.used + summary.unneeded + summary.problems.length === 0 ? null : summary, indexes };
}
