/**
 * The viewer page: wires the source (a store opened in the engine worker, or a server), the
 * query box, the range picker, the histogram or metric chart, the rows and the targets tree.
 *
 * One run at a time: a new run (or Cancel) aborts the previous one, and answers of an older
 * run are dropped by sequence number. A log query runs twice in parallel: the rows (with
 * `limit`) and the histogram (`sum(count_over_time(q [step]))` over the whole range, so it
 * counts every matching line, not only the rows returned); a metric query draws its series
 * instead. Every parameter of the view lives in the URL hash (`range.ts`), so a copied link
 * restores it. Nothing heavy runs on this thread: scans are in the worker, rows are drawn
 * virtually, and parsing for error markers is debounced.
 *
 * The loaded rows are the base of everything shown below the histogram: a view of them
 * (level filter, deduplication), the opened row (details.ts: fields parsed by the engine's
 * own `| json` / `| logfmt` stages, filter buttons that edit the query), wrap and fields as
 * columns, patterns and downloads. None of these runs a query; filter buttons, context
 * (ordinary queries over the row's exact stream selector, shown in place in the list around
 * the opened row) and a pattern's filter do. A local
 * result that holds every matching line draws the histogram from its rows (the engine
 * worker would otherwise scan twice); a server answers the count query in parallel.
 *
 * Beside the query view, the Rules view (`rules.ts`) shows a server's ruler; its tab shows
 * for a server only, and a rule's link brings the query view back on the rule's query.
 *
 * `window.letheqlViewer` exposes a few hooks for tests and automation (load a synthetic
 * result, read the state); it is plain data and functions, no globals are read from it.
 */
import { Histogram, TimeSeriesChart } from './charts.ts';
import { QueryEditor, type CompletionProvider } from './editor.ts';
import type { SeriesData, StatsInfo, TargetsInfo } from './protocol.ts';
import { checkQuery, highlightersFor, histogramQuery, levelHistogramQuery, logSelector, streamSelector, withFieldFilter, withLabelMatcher, withLineFilter, withSelector } from './query-text.ts';
import { decodeState, describeRange, durationMs, encodeState, formatUtc, histogramStepMs, parseUtc, PRESETS, REFRESH, resolveRange, type TimeRange } from './range.ts';
import { ArrayRows, ArrowRows, ContextRows, streamLabelsOf, ViewRows, VirtualList, type ContextEntry, type RowSet } from './rows.ts';
import { DetailPane, type Kind } from './details.ts';
import { DEDUP_MODES, dedupKey, detectLevel, LEVELS, normalLevel, parseFields, type DedupMode, type Level, type ParsedFields } from './fields.ts';
import { downloadRows, type DownloadFormat } from './download.ts';
import { findPatternsInWorker, sparkline } from './patterns.ts';
import { patternRegex } from '../../src/patterns/drain.ts';
import { EngineClient, LocalSource, ServerSource, ViewerError, type DataSource, type Progress } from './sources.ts';
import { droppedFiles, toStoreFiles, type PickedFile } from './store-files.ts';
import { TargetsTree, type LabelSets } from './tree.ts';
import { RULE_STATES, RulesView, type RuleState } from './rules.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

// ---------------------------------------------------------------------------------------
// State

let source: DataSource | null = null;
let targets: TargetsInfo | null = null;
let range: TimeRange = { kind: 'relative', span: '1h' };
let refresh = 'off';
let refreshTimer: ReturnType<typeof setInterval> | null = null;
let running: AbortController | null = null;
let runSeq = 0;
let stopTail: (() => void) | null = null;
let lastStats: StatsInfo | null = null;
const engine = new EngineClient(new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module' }));
const labelValueCache = new Map<string, Promise<string[]>>();

// ---------------------------------------------------------------------------------------
// Widgets

const statusEl = $('status');
const progressEl = $<HTMLProgressElement>('progress');
const runBtn = $<HTMLButtonElement>('run');
const tailBtn = $<HTMLButtonElement>('tail');
const presetSel = $<HTMLSelectElement>('range-preset');
const refreshSel = $<HTMLSelectElement>('refresh');
const fromIn = $<HTMLInputElement>('range-from');
const toIn = $<HTMLInputElement>('range-to');
const limitSel = $<HTMLSelectElement>('limit');
const directionSel = $<HTMLSelectElement>('direction');
const histogram = new Histogram($<HTMLCanvasElement>('histogram'), $('histogram-tip'));
const chart = new TimeSeriesChart($<HTMLCanvasElement>('chart'), $('legend'));
const list = new VirtualList($('rows'));
const detail = new DetailPane($('detail'));

const completions: CompletionProvider = async (ctx) => {
  if (ctx.kind === 'type') return ['pod', 'node', 'count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'sum', 'avg', 'min', 'max', 'topk', 'bottomk'];
  const storeSet = (targets?.clusters?.length ?? 0) > 0;
  const names = ctx.logType === 'pod' ? ['namespace', 'pod', 'container'] : ['node', 'process'];
  if (storeSet) names.push('cluster');
  if (ctx.kind === 'label') return names.filter((n) => !ctx.used.includes(n));
  return labelValues(ctx.logType as 'pod' | 'node', ctx.label);
};
const editor = new QueryEditor($('editor'), $('query-error'), completions);
const tree = new TargetsTree($('tree'), loadTreeChildren);

for (const p of PRESETS) presetSel.add(new Option(`Last ${p}`, p));
presetSel.add(new Option('Absolute…', 'absolute'));
for (const r of REFRESH) refreshSel.add(new Option(r === 'off' ? 'Refresh: off' : `Every ${r}`, r));

// ---------------------------------------------------------------------------------------
// Status

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function setStatus(text: string, error = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', error);
}

function statsText(s: StatsInfo | null, rows: number, elapsedMs: number): string {
  if (!s) return `${rows.toLocaleString()} rows · ${Math.round(elapsedMs)} ms`;
  return [
    `${s.filesRead} files read`,
    `${formatBytes(s.bytesScanned)} scanned`,
    `${s.linesMatched.toLocaleString()} lines matched`,
    `${rows.toLocaleString()} rows${s.truncated ? ' (limit reached)' : ''}`,
    `${Math.round(elapsedMs)} ms`,
  ].join(' · ');
}

function showProgress(p: Progress | null): void {
  progressEl.hidden = p === null;
  if (p) {
    progressEl.max = Math.max(1, p.totalBytes);
    progressEl.value = p.bytesScanned;
    progressEl.setAttribute('aria-valuetext', `${formatBytes(p.bytesScanned)} of ${formatBytes(p.totalBytes)} scanned`);
    setStatus(`Scanning… ${formatBytes(p.bytesScanned)} of ${formatBytes(p.totalBytes)}`);
  }
}

function setRunning(on: boolean): void {
  runBtn.textContent = on ? 'Cancel' : 'Run';
  runBtn.classList.toggle('primary', !on);
  runBtn.setAttribute('aria-label', on ? 'Cancel the running query' : 'Run the query (Ctrl+Enter)');
  document.body.toggleAttribute('data-running', on);
}

// ---------------------------------------------------------------------------------------
// Range and URL

function syncRangeControls(): void {
  presetSel.value = range.kind === 'relative' ? range.span : 'absolute';
  $('absolute').hidden = range.kind !== 'absolute';
  if (range.kind === 'absolute') {
    fromIn.value = formatUtc(range.startMs);
    toIn.value = formatUtc(range.endMs);
  }
  refreshSel.value = refresh;
}

function saveUrl(): void {
  const rf = rulesView.currentFilter;
  const hash = encodeState({ query: editor.value, range, refresh, server: source?.kind === 'server' ? source.label : '', wrap: list.wrap, cols: columns, levels: [...levelFilter], dedup, view: pageView, ruleStates: rf.states, ruleText: rf.text });
  history.replaceState(null, '', hash);
}

function setRange(r: TimeRange, run = true): void {
  range = r;
  syncRangeControls();
  saveUrl();
  labelValueCache.clear();
  if (run) void runQuery();
}

function setRefresh(r: string): void {
  refresh = r;
  if (refreshTimer) clearInterval(refreshTimer);
  refreshTimer = null;
  if (r !== 'off') {
    refreshTimer = setInterval(() => {
      if (!running && !stopTail && source) void runQuery();
    }, durationMs(r));
  }
  syncRangeControls();
  saveUrl();
}

presetSel.addEventListener('change', () => {
  if (presetSel.value === 'absolute') {
    const { startNs, endNs } = resolveRange(range);
    range = { kind: 'absolute', startMs: Number(startNs / 1_000_000n), endMs: Number(endNs / 1_000_000n) };
    syncRangeControls();
    fromIn.focus();
  } else setRange({ kind: 'relative', span: presetSel.value });
});
$('range-apply').addEventListener('click', applyAbsolute);
for (const el of [fromIn, toIn]) el.addEventListener('keydown', (e) => e.key === 'Enter' && applyAbsolute());
function applyAbsolute(): void {
  const a = parseUtc(fromIn.value);
  const b = parseUtc(toIn.value);
  if (Number.isNaN(a) || Number.isNaN(b) || b <= a) {
    setStatus('Invalid range: use RFC 3339 times (UTC), the start before the end', true);
    return;
  }
  setRange({ kind: 'absolute', startMs: a, endMs: b });
}
refreshSel.addEventListener('change', () => setRefresh(refreshSel.value));
histogram.onZoom = (a, b) => setRange({ kind: 'absolute', startMs: a, endMs: b });
$('zoom-out').addEventListener('click', () => {
  const { startNs, endNs } = resolveRange(range);
  const a = Number(startNs / 1_000_000n);
  const b = Number(endNs / 1_000_000n);
  const half = (b - a) / 2;
  setRange({ kind: 'absolute', startMs: Math.round(a - half), endMs: Math.round(b + half) });
});

// ---------------------------------------------------------------------------------------
// Running queries

function runOrCancel(): void {
  if (running) cancel();
  else void runQuery();
}

function cancel(): void {
  running?.abort();
}

async function runQuery(): Promise<void> {
  running?.abort();
  stopLive();
  const text = editor.value;
  saveUrl();
  if (!source) {
    setStatus('Open a store folder or connect to a server first', true);
    return;
  }
  const checked = checkQuery(text);
  if (!checked.ok) {
    editor.setError(checked.error);
    setStatus(`Query error: ${checked.error.message}`, true);
    return;
  }
  editor.setError(null);
  const seq = ++runSeq;
  const ac = new AbortController();
  running = ac;
  setRunning(true);
  showProgress({ bytesScanned: 0, totalBytes: 1 });
  const started = performance.now();
  const { startNs, endNs } = resolveRange(range);
  const sel = logSelector(checked.expr);
  const current = source;
  try {
    if (sel) {
      $('histogram-section').hidden = false;
      $('chart-section').hidden = true;
      $('rows-section').hidden = false;
      // Bucket k is the sample at start - 1ns + (k+1)·step: its window (t - step, t] starts
      // at `start` inclusive; the buckets cover [start, end] and at most 100 ms past `end`.
      const stepMs = histogramStepMs(Number((endNs - startNs) / 1_000_000n));
      const stepNs = BigInt(stepMs) * 1_000_000n;
      const buckets = Number((endNs - startNs + 1n + stepNs - 1n) / stepNs);
      const bucketQuery = (q: string): Promise<HistAnswer> =>
        current
          .metric(q, { startNs: startNs + stepNs - 1n, endNs: startNs + BigInt(buckets) * stepNs - 1n, step: `${stepMs}ms`, signal: ac.signal })
          .then((m) => ({ ok: true as const, series: m.series }))
          .catch((e: unknown) => ({ ok: false as const, e }));
      const countQuery = (): Promise<HistAnswer> => bucketQuery(histogramQuery(text, stepMs));
      // A server answers both at once; the engine worker would only interleave the two scans,
      // so locally the rows come first, and when they are every matching line (the limit not
      // reached) they are the histogram's lines too: no second scan.
      const early = current.kind === 'server' ? countQuery() : null;
      const logs = await current.logs(text, {
        startNs,
        endNs,
        limit: Number(limitSel.value),
        direction: directionSel.value as 'forward' | 'backward',
        signal: ac.signal,
        onProgress: (p) => seq === runSeq && showProgress(p),
      });
      if (seq !== runSeq) return;
      resultDirection = directionSel.value as 'forward' | 'backward';
      setResult(new ArrowRows(logs.table), highlightersFor(sel), sel.name ?? 'pod');
      lastStats = logs.stats;
      const complete = logs.stats !== null && !logs.stats.truncated && logs.stats.rowsReturned === logs.table.numRows;
      const h = early ? await early : complete ? histogramFromRows(baseRows!, startNs, stepNs, buckets) : await countQuery();
      if (seq !== runSeq) return;
      const startMs = Number(startNs / 1_000_000n);
      if (h.ok) {
        const counts = new Float64Array(buckets);
        for (const s of h.series) addToBuckets(counts, s, startMs, stepMs);
        histBase = { startMs, stepMs, counts };
        histWindow = { startNs, stepNs };
        histogram.setData(histBase);
        if (patternsShown) void renderPatterns(); // sparklines over the new histogram's buckets
        $('histogram-note').textContent = `${counts.reduce((a, b) => a + b, 0).toLocaleString()} lines · ${describeRange(range)}`;
      } else {
        histBase = null;
        histogram.setData(null);
        $('histogram-note').textContent = `histogram unavailable: ${h.e instanceof Error ? h.e.message : String(h.e)}`;
      }
      setStatus(statsText(logs.stats, logs.table.numRows, performance.now() - started));
      if (h.ok) void stackHistogram(seq, () => bucketQuery(levelHistogramQuery(text, stepMs)));
    } else {
      $('histogram-section').hidden = true;
      $('chart-section').hidden = false;
      $('rows-section').hidden = true;
      const stepMs = histogramStepMs(Number((endNs - startNs) / 1_000_000n));
      const m = await current.metric(text, { startNs, endNs, step: `${stepMs}ms`, signal: ac.signal, onProgress: (p) => seq === runSeq && showProgress(p) });
      if (seq !== runSeq) return;
      chart.setData(
        m.series.map((s) => ({ name: seriesName(s), timesMs: s.timesMs, values: s.values })),
        Number(startNs / 1_000_000n),
        Number(endNs / 1_000_000n),
      );
      lastStats = m.stats;
      setStatus(`${m.series.length} series · ${statsText(m.stats, m.stats?.rowsReturned ?? 0, performance.now() - started)}`);
    }
  } catch (e) {
    if (seq !== runSeq) return;
    if (ac.signal.aborted || (e instanceof ViewerError && e.info.code === 'ABORTED') || (e instanceof DOMException && e.name === 'AbortError')) {
      setStatus('Query cancelled');
    } else if (e instanceof ViewerError) {
      if (e.info.span) editor.setError(e.info);
      setStatus(`${e.info.code}: ${e.info.message}`, true);
    } else setStatus(e instanceof Error ? e.message : String(e), true);
  } finally {
    if (seq === runSeq) {
      running = null;
      setRunning(false);
      showProgress(null);
    }
  }
}

type HistAnswer = { ok: true; series: { labels?: Record<string, string>; timesMs: Float64Array; values: Float64Array }[] } | { ok: false; e: unknown };

/** Adds a count series to its buckets: bucket k's sample is at its end, start - 1ns + (k+1)·step. */
function addToBuckets(counts: Float64Array, s: { timesMs: Float64Array; values: Float64Array }, startMs: number, stepMs: number): void {
  for (let k = 0; k < s.timesMs.length; k++) {
    // A server gives the time in float seconds rounded to the millisecond, so round to the
    // nearest bucket end.
    const b = Math.round((s.timesMs[k]! - startMs) / stepMs) - 1;
    if (b >= 0 && b < counts.length) counts[b]! += s.values[k]!;
  }
}

/** The histogram's one series from loaded rows (all the matching lines): bucket k's sample at its end, as the count query gives it. */
function histogramFromRows(rows: RowSet, startNs: bigint, stepNs: bigint, buckets: number): HistAnswer {
  const values = new Float64Array(buckets);
  for (let i = 0; i < rows.length; i++) {
    const k = Number((rows.timeNs(i) - startNs) / stepNs);
    if (k >= 0 && k < buckets) values[k]! += 1;
  }
  const stepMs = Number(stepNs / 1_000_000n);
  const startMs = Number(startNs / 1_000_000n);
  const timesMs = Float64Array.from({ length: buckets }, (_, k) => startMs + (k + 1) * stepMs);
  return { ok: true, series: [{ timesMs, values }] };
}

function seriesName(s: SeriesData): string {
  const entries = Object.entries(s.labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(', ')}}` : '{}';
}

runBtn.addEventListener('click', runOrCancel);
editor.onRun = () => void runQuery();
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  if (running) cancel();
  else if (detail.open && !(e.target instanceof HTMLTextAreaElement)) closeRow();
});

// Parse as the user types (debounced): markers at the parser's spans.
let parseTimer: ReturnType<typeof setTimeout> | null = null;
editor.onInput = (text) => {
  if (parseTimer) clearTimeout(parseTimer);
  parseTimer = setTimeout(() => {
    const r = checkQuery(text);
    editor.setError(r.ok || text.trim() === '' ? null : r.error);
  }, 250);
};

// ---------------------------------------------------------------------------------------
// Rows: the loaded result, the view of it (level filter, deduplication), the opened row.
// Everything here works on the loaded rows; nothing re-runs the scan.

let baseRows: RowSet | null = null;
let view = new ViewRows(new ArrayRows([]), null);
/** What the list shows: the view, or the view with the opened row's context in place. */
let shown: ViewRows | ContextRows = view;
/** The order of the loaded rows (context lines are placed in it). */
let resultDirection: 'forward' | 'backward' = 'backward';
let highlight: RegExp[] = [];
let logType = 'pod';
/** Per loaded row: its level's index in LEVELS + 1 (0: not computed yet). */
let levelCodes: Uint8Array | null = null;
let levelsComplete = false;
let levelTask = 0;
let levelsPromise: Promise<boolean> = Promise.resolve(false);
const EAGER_LEVELS = 200_000;
let histBase: { startMs: number; stepMs: number; counts: Float64Array } | null = null;
let histWindow: { startNs: bigint; stepNs: bigint } | null = null;
let columns: string[] = [];
const levelFilter = new Set<Level>();
let dedup: DedupMode = 'none';
const fieldCache = new Map<number, ParsedFields>();
const wrapBox = $<HTMLInputElement>('wrap');
const dedupSel = $<HTMLSelectElement>('dedup');
const levelGroup = $('level-filter');
const columnsEl = $('columns');
const rowsHead = $('rows-head');

function setResult(rows: RowSet, hl: RegExp[], type: string): void {
  baseRows = rows;
  highlight = hl;
  logType = type;
  levelCodes = new Uint8Array(rows.length);
  levelsComplete = false;
  fieldCache.clear();
  context = null; // before closeRow: the old view's context must not be drawn over the new rows
  closeRow();
  const task = ++levelTask;
  // Every row's level (buttons' counts, the stacked histogram) for results up to
  // EAGER_LEVELS rows; past that, levels of the rows in view only, and a level filter
  // computes the rest when asked.
  levelsPromise = rows.length <= EAGER_LEVELS ? computeLevels(task) : Promise.resolve(false);
  rebuildView(false);
  updateLevelButtons();
  if (patternsShown) void renderPatterns();
  void levelsPromise.then((done) => done && updateLevelButtons());
}

/** All labels of base row `b` (stream and pipeline), empty values left out. */
function labelsOf(rows: RowSet, b: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 0; k < rows.labelNames.length; k++) {
    const v = rows.label(b, k);
    if (v !== '') out[rows.labelNames[k]!] = v;
  }
  return out;
}

function fieldsOf(b: number): ParsedFields {
  let f = fieldCache.get(b);
  if (!f) {
    const rows = baseRows!;
    f = parseFields(rows.line(b), streamLabelsOf(rows, b));
    if (fieldCache.size >= 5000) fieldCache.clear();
    fieldCache.set(b, f);
  }
  return f;
}

function levelOfBase(b: number): Level {
  const rows = baseRows!;
  const cached = levelCodes && b < levelCodes.length ? levelCodes[b]! : 0;
  if (cached) return LEVELS[cached - 1]!;
  const level = detectLevel(rows.line(b), labelsOf(rows, b), fieldCache.get(b));
  if (levelCodes && b < levelCodes.length) levelCodes[b] = LEVELS.indexOf(level) + 1;
  return level;
}

/** Levels of every loaded row, in slices between frames; false when a newer result replaced them. */
async function computeLevels(task: number): Promise<boolean> {
  const rows = baseRows!;
  const n = levelCodes!.length;
  for (let b = 0; b < n; b++) {
    if (b % 20_000 === 19_999) {
      await new Promise((r) => setTimeout(r, 0));
      if (task !== levelTask) return false;
    }
    if (levelCodes![b] === 0) levelOfBase(b);
  }
  if (task !== levelTask || rows !== baseRows) return false;
  levelsComplete = true;
  return true;
}

/**
 * The histogram stacked by level. When the loaded rows are every line it counts, from their
 * levels (the marks on the rows); otherwise (the limit was reached, or too many rows to
 * classify on the page) by the engine: `levelQuery` counts the same lines per bucket split by
 * their `detected_level` (`pipeline/detected.ts`, as the server's Loki routes derive it),
 * which reads a level key or a level word as the marks do, but knows no klog header or
 * stream label. Either way, only when every bucket's levels add up to its count.
 */
async function stackHistogram(seq: number, levelQuery: () => Promise<HistAnswer>): Promise<void> {
  const done = await levelsPromise;
  if (seq !== runSeq || !histBase || !histWindow || !baseRows) return;
  const { counts, startMs, stepMs } = histBase;
  const total = counts.reduce((a, b) => a + b, 0);
  const rows = baseRows;
  const byLevel = LEVELS.map((name) => ({ name, counts: new Float64Array(counts.length) }));
  let how = '';
  if (done && total === rows.length) {
    const { startNs, stepNs } = histWindow;
    for (let b = 0; b < rows.length; b++) {
      const k = Number((rows.timeNs(b) - startNs) / stepNs);
      if (k >= 0 && k < counts.length) byLevel[levelCodes![b]! - 1]!.counts[k]! += 1;
    }
  } else {
    const h = await levelQuery();
    if (seq !== runSeq || !histBase) return;
    if (!h.ok) {
      $('histogram-note').textContent += ` · levels unavailable: ${h.e instanceof Error ? h.e.message : String(h.e)}`;
      return;
    }
    for (const s of h.series) addToBuckets(byLevel[LEVELS.indexOf(normalLevel(s.labels?.['detected_level'] ?? ''))]!.counts, s, startMs, stepMs);
    how = ' · levels: detected_level';
  }
  // Only when every bucket agrees with the engine's count (the same lines, split).
  for (let k = 0; k < counts.length; k++) {
    if (byLevel.reduce((a, l) => a + l.counts[k]!, 0) !== counts[k]) {
      $('histogram-note').textContent += ' · levels: not stacked (the counts changed)';
      return;
    }
  }
  histogram.setData({ ...histBase, byLevel: byLevel.filter((l) => l.counts.some((v) => v > 0)) });
  $('histogram-note').textContent += how;
}

function updateLevelButtons(): void {
  const rows = baseRows;
  const tally = new Map<Level, number>();
  if (rows && levelCodes && levelsComplete) for (let b = 0; b < rows.length; b++) tally.set(LEVELS[levelCodes[b]! - 1]!, (tally.get(LEVELS[levelCodes[b]! - 1]!) ?? 0) + 1);
  levelGroup.replaceChildren(
    ...LEVELS.filter((l) => tally.has(l) || levelFilter.has(l) || !levelsComplete).map((l) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `small level-btn lvl-btn-${l}`;
      b.dataset['level'] = l;
      b.setAttribute('aria-pressed', String(levelFilter.has(l)));
      b.innerHTML = `<span class="lvl lvl-${l}" aria-hidden="true"></span>${l}${levelsComplete ? ` <span class="muted">${(tally.get(l) ?? 0).toLocaleString()}</span>` : ''}`;
      b.title = `Show only ${l} lines (toggle; several may be on)`;
      return b;
    }),
  );
}
levelGroup.addEventListener('click', (e) => {
  const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-level]');
  if (!b) return;
  const l = b.dataset['level'] as Level;
  if (levelFilter.has(l)) levelFilter.delete(l);
  else levelFilter.add(l);
  b.setAttribute('aria-pressed', String(levelFilter.has(l)));
  closeRow();
  rebuildView(false);
  saveUrl();
});

/** The view of the loaded rows: the level filter, then deduplication of consecutive lines. */
function rebuildView(keepScroll: boolean): void {
  const rows = baseRows;
  if (!rows) return;
  if (levelFilter.size === 0 && dedup === 'none') view = new ViewRows(rows, null);
  else {
    const idx: number[] = [];
    const counts: number[] = [];
    let prev: string | null = null;
    const mode = dedup;
    for (let b = 0; b < rows.length; b++) {
      if (levelFilter.size > 0 && !levelFilter.has(levelOfBase(b))) continue;
      if (mode !== 'none') {
        const key = dedupKey(rows.line(b), mode);
        if (key === prev) {
          counts[counts.length - 1]!++;
          continue;
        }
        prev = key;
      }
      idx.push(b);
      counts.push(1);
    }
    view = new ViewRows(rows, Int32Array.from(idx), mode !== 'none' ? Int32Array.from(counts) : null);
  }
  context = null;
  showRows(keepScroll);
  const hidden = rows.length - view.length;
  $('rows-note').textContent = hidden > 0 ? `${view.length.toLocaleString()} of ${rows.length.toLocaleString()} loaded rows shown` : '';
}

list.decorations = {
  level: (i) => {
    if (!baseRows) return null;
    const e = entryAt(i);
    if (e) return e.kind === 'line' && context ? detectLevel(e.line, context.stream) : null;
    return levelOfBase(view.baseIndex(toView(i)));
  },
  field: (i, name) => {
    if (!baseRows || entryAt(i)) return '';
    const b = view.baseIndex(toView(i));
    const k = baseRows.labelNames.indexOf(name);
    if (k >= (baseRows.streamLabelCount ?? baseRows.labelNames.length)) return baseRows.label(b, k);
    return fieldsOf(b).fields.find(([n]) => n === name)?.[1] ?? '';
  },
  count: (i) => (entryAt(i) ? 1 : view.count(toView(i))),
  context: (i) => entryAt(i),
};

function openRow(i: number): void {
  const rows = baseRows;
  if (!rows || i < 0 || i >= shown.length) return;
  let v = toView(i);
  if (v < 0) return; // a context line or control: nothing to open
  if (context && v !== context.at) {
    // Another row: its neighbour's context goes, and the list closes up around it.
    context = null;
    showRows(true);
    i = v;
    list.select(i, true, false);
  }
  v = toView(i);
  const b = view.baseIndex(v);
  const streamCount = rows.streamLabelCount ?? rows.labelNames.length;
  const pipelineLabels: Record<string, string> = {};
  for (let k = streamCount; k < rows.labelNames.length; k++) {
    const v = rows.label(b, k);
    if (v !== '') pipelineLabels[rows.labelNames[k]!] = v;
  }
  detail.show({ index: i, timeNs: rows.timeNs(b), line: rows.line(b), level: levelOfBase(b), stream: streamLabelsOf(rows, b), pipelineLabels, parsed: fieldsOf(b) }, context !== null);
}

function closeRow(): void {
  detail.hide();
  if (context) {
    // The context belongs to the opened row: it goes with it.
    const sel = list.selectedIndex >= 0 ? toView(list.selectedIndex) : -1;
    context = null;
    showRows(true);
    if (sel >= 0) list.select(sel, true, false);
  }
}

list.onSelect = (i) => {
  if (detail.open && detail.index !== i && !entryAt(i)) openRow(i);
};
list.onOpen = (i) => {
  const e = entryAt(i);
  if (e?.kind === 'more') void loadContext(e.dir);
  else if (e) return;
  else if (detail.open && detail.index === i) closeRow();
  else openRow(i);
};
list.onClose = closeRow;
detail.onClose = () => {
  closeRow();
  $('rows').focus();
};
detail.isColumn = (name) => columns.includes(name);
detail.onColumn = (name) => {
  setColumns(columns.includes(name) ? columns.filter((c) => c !== name) : [...columns, name]);
  if (detail.open) openRow(detail.index);
};
detail.onFilter = (kind: Kind, name, value, include) => {
  const q = editor.value;
  const parser = kind === 'field' ? (detail.current?.parsed.parser ?? null) : null;
  editor.value = kind === 'label' ? withLabelMatcher(q, name, value, include) : withFieldFilter(q, parser, name, value, include);
  saveUrl();
  void runQuery();
};

// Context: the opened row's own stream before and after it, by ordinary queries over its
// exact selector, CONTEXT_LINES at a time, each looking up to CONTEXT_WINDOW_NS further; the
// lines are shown in place in the list (a ContextRows view over the view), in the list's
// order (newest first for a backward result), with a "more" row at either end. The same
// queries run on a local store (the engine worker) and on a server.
const CONTEXT_LINES = 10;
const CONTEXT_WINDOW_NS = 3_600_000_000_000n;
type ContextLine = { timeNs: bigint; line: string };
interface InlineContext {
  /** The anchor's view index (the view does not change while context is shown). */
  at: number;
  timeNs: bigint;
  stream: Record<string, string>;
  /** Oldest first, both. */
  before: ContextLine[];
  after: ContextLine[];
  note: { before: string; after: string };
  /** Where the next query in each direction starts (exclusive). */
  cursor: { before: bigint; after: bigint };
}
let context: InlineContext | null = null;

/** The context entry at list row `i`, or null for a row of the view. */
function entryAt(i: number): ContextEntry | null {
  return shown instanceof ContextRows ? shown.entry(i) : null;
}

/** The view index of list row `i` (-1 for a context entry). */
function toView(i: number): number {
  return shown instanceof ContextRows ? shown.innerIndex(i) : i;
}

/** Shows the view, with the context in place when there is one. */
function showRows(keepScroll: boolean): void {
  const c = context;
  if (!c) shown = view;
  else {
    const line = (l: ContextLine): ContextEntry => ({ kind: 'line', timeNs: l.timeNs, line: l.line });
    const more = (dir: 'before' | 'after'): ContextEntry => ({ kind: 'more', dir, note: c.note[dir] });
    shown =
      resultDirection === 'backward'
        ? new ContextRows(view, c.at, [more('after'), ...c.after.map(line).reverse()], [...c.before.map(line).reverse(), more('before')])
        : new ContextRows(view, c.at, [more('before'), ...c.before.map(line)], [...c.after.map(line), more('after')]);
  }
  list.setRows(shown, highlight, keepScroll);
}

detail.onContext = (show) => {
  const row = detail.current;
  if (!row) return;
  if (!show) {
    closeRow();
    openRow(list.selectedIndex);
    return;
  }
  const v = toView(row.index);
  if (v < 0) return;
  context = { at: v, timeNs: row.timeNs, stream: row.stream, before: [], after: [], note: { before: '', after: '' }, cursor: { before: row.timeNs, after: row.timeNs } };
  placeContext(null);
  openRow((shown as ContextRows).anchor);
  void loadContext('before');
  void loadContext('after');
};

/** Redraws the list with the context, keeps the opened row selected, and scrolls to show `dir`'s "more" row (null: the row). */
function placeContext(dir: 'before' | 'after' | null): void {
  showRows(true);
  const rows = shown as ContextRows;
  const anchor = rows.anchor;
  list.select(anchor, false, false);
  detail.moveTo(anchor);
  if (dir === null) list.scrollToIndex(anchor);
  else {
    const last = anchor + rows.below.length;
    const first = rows.at;
    // The "more" row of `dir` is the first row above the anchor or the last one below it.
    const top = (resultDirection === 'backward') === (dir === 'after');
    list.scrollToIndex(top ? first : last);
  }
}

async function loadContext(dir: 'before' | 'after'): Promise<void> {
  const c = context;
  const src = source;
  if (!c || !src) return;
  const edge = c.cursor[dir];
  const startNs = dir === 'before' ? edge - CONTEXT_WINDOW_NS : edge + 1n;
  const endNs = dir === 'before' ? edge - 1n : edge + CONTEXT_WINDOW_NS;
  try {
    const r = await src.logs(streamSelector(logType, c.stream), { startNs, endNs, limit: CONTEXT_LINES, direction: dir === 'before' ? 'backward' : 'forward', signal: new AbortController().signal });
    if (context !== c || c.cursor[dir] !== edge) return;
    const got = new ArrowRows(r.table);
    const lines: ContextLine[] = [];
    for (let k = 0; k < got.length; k++) lines.push({ timeNs: got.timeNs(k), line: got.line(k) });
    if (dir === 'before') lines.reverse();
    const full = lines.length === CONTEXT_LINES;
    // A full page continues from its last line; a short one has read the whole window.
    c.cursor[dir] = full ? (dir === 'before' ? lines[0]!.timeNs : lines[lines.length - 1]!.timeNs) : dir === 'before' ? startNs : endNs;
    if (dir === 'before') c.before = [...lines, ...c.before];
    else c.after = [...c.after, ...lines];
    c.note[dir] = full ? '' : `no more lines in the ${dir === 'before' ? 'hour before' : 'hour after'}; "More" looks further`;
    placeContext(dir);
  } catch (e) {
    setStatus(`Context: ${e instanceof Error ? e.message : String(e)}`, true);
  }
}

// Row options: wrap, fields as columns, deduplication, download.

function setWrap(on: boolean, save = true): void {
  list.setWrap(on);
  wrapBox.checked = on;
  if (save) saveUrl();
}
wrapBox.addEventListener('change', () => setWrap(wrapBox.checked));

function setColumns(names: string[], save = true): void {
  columns = names;
  list.setColumns(names);
  rowsHead.querySelectorAll('.c-field').forEach((e) => e.remove());
  const time = rowsHead.querySelector('.c-time')!;
  time.after(
    ...names.map((n) => {
      const s = document.createElement('span');
      s.className = 'c-field';
      s.textContent = n;
      return s;
    }),
  );
  columnsEl.replaceChildren(
    ...names.map((n) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'small chip-btn';
      b.dataset['column'] = n;
      b.textContent = `${n} ✕`;
      b.title = `Stop showing ${n} as a column`;
      return b;
    }),
  );
  if (save) saveUrl();
}
columnsEl.addEventListener('click', (e) => {
  const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-column]');
  if (b) setColumns(columns.filter((c) => c !== b.dataset['column']));
});

for (const m of DEDUP_MODES) dedupSel.add(new Option(m === 'none' ? 'No dedup' : `Dedup: ${m}`, m));
dedupSel.addEventListener('change', () => {
  dedup = dedupSel.value as DedupMode;
  closeRow();
  rebuildView(false);
  saveUrl();
});

// Patterns: the loaded rows' templates (computed when the tab is shown, again for a new result).

const patternsEl = $('patterns');
const LOG_PANEL = ['rows-bar', 'rows-head', 'rows'];
let patternsShown = false;

function showTab(patterns: boolean): void {
  patternsShown = patterns;
  $('tab-logs').setAttribute('aria-selected', String(!patterns));
  $('tab-patterns').setAttribute('aria-selected', String(patterns));
  $('tab-logs').tabIndex = patterns ? -1 : 0;
  $('tab-patterns').tabIndex = patterns ? 0 : -1;
  for (const id of LOG_PANEL) $(id).hidden = patterns;
  if (patterns) closeRow();
  else patternRun?.abort();
  patternsEl.hidden = !patterns;
  if (patterns) void renderPatterns();
}
$('tab-logs').addEventListener('click', () => showTab(false));
$('tab-patterns').addEventListener('click', () => showTab(true));
for (const id of ['tab-logs', 'tab-patterns']) {
  $(id).addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    showTab(!patternsShown);
    $(patternsShown ? 'tab-patterns' : 'tab-logs').focus();
  });
}

let patternRun: AbortController | null = null;
async function renderPatterns(): Promise<void> {
  patternRun?.abort();
  const run = new AbortController();
  patternRun = run;
  const rows = baseRows;
  if (!rows) {
    patternsEl.textContent = 'Run a log query first.';
    return;
  }
  const n = histBase?.counts.length ?? 50;
  let bucketOf: (ns: bigint) => number;
  if (histWindow && histBase) {
    const { startNs, stepNs } = histWindow;
    bucketOf = (t) => Number((t - startNs) / stepNs);
  } else {
    let lo = 0n;
    let hi = 0n;
    for (let i = 0; i < rows.length; i++) {
      const t = rows.timeNs(i);
      if (i === 0 || t < lo) lo = t;
      if (i === 0 || t > hi) hi = t;
    }
    const step = (hi - lo) / BigInt(n) + 1n;
    bucketOf = (t) => Number((t - lo) / step);
  }
  // Drain keeps at most 1000 templates (and its overflow one), so all of them are listed.
  patternsEl.textContent = `Finding patterns among ${rows.length.toLocaleString()} loaded rows…`;
  delete patternsEl.dataset['total'];
  let shown: Awaited<ReturnType<typeof findPatternsInWorker>>;
  try {
    shown = await findPatternsInWorker(rows, n, bucketOf, run.signal);
  } catch (e) {
    patternsEl.textContent = `Patterns unavailable: ${e instanceof Error ? e.message : String(e)}`;
    return;
  }
  if (shown === null || run.signal.aborted || rows !== baseRows || !patternsShown) return;
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
  patternsEl.innerHTML =
    `<p class="muted">${shown.length.toLocaleString()} patterns (Drain, as <code>letheql patterns</code>) among ${rows.length.toLocaleString()} loaded rows; a pattern's filter adds a line filter to the query.</p>` +
    `<table class="pattern-table"><thead><tr><th>Over time</th><th>Count</th><th>%</th><th>Pattern</th><th></th></tr></thead><tbody>` +
    shown
      .map(
        (p, k) =>
          `<tr data-count="${p.count}"><td>${sparkline(p.buckets)}</td><td class="num">${p.count.toLocaleString()}</td><td class="num">${((100 * p.count) / rows.length).toFixed(1)}</td>` +
          `<td class="pattern">${esc(p.template).replace(/&lt;_&gt;/g, '<span class="var">&lt;_&gt;</span>')}</td>` +
          `<td><button type="button" class="small" data-pattern="${k}" title="Keep the lines of this pattern">Filter</button></td></tr>`,
      )
      .join('') +
    `</tbody></table>`;
  patternsEl.dataset['total'] = String(shown.reduce((a, p) => a + p.count, 0));
  patternsEl.onclick = (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-pattern]');
    if (!b) return;
    const p = shown[Number(b.dataset['pattern'])]!;
    editor.value = withLineFilter(editor.value, patternRegex(p.template));
    showTab(false);
    saveUrl();
    void runQuery();
  };
}

function syncRowControls(): void {
  wrapBox.checked = list.wrap;
  dedupSel.value = dedup;
  updateLevelButtons();
}

$('download').addEventListener('click', () => {
  if (!baseRows || view.length === 0) {
    setStatus('Nothing to download: run a log query first', true);
    return;
  }
  const format = $<HTMLSelectElement>('download-format').value as DownloadFormat;
  const n = downloadRows(view, format);
  setStatus(`Downloaded ${n.toLocaleString()} rows as ${format}`);
});

// ---------------------------------------------------------------------------------------
// Live tail (server)

function stopLive(): void {
  if (!stopTail) return;
  stopTail();
  stopTail = null;
  tailBtn.setAttribute('aria-pressed', 'false');
}

function startLive(): void {
  if (!source?.tail) return;
  const checked = checkQuery(editor.value);
  const sel = checked.ok ? logSelector(checked.expr) : null;
  if (!checked.ok || !sel) {
    setStatus('Live tail follows a log query (a selector with filters)', true);
    return;
  }
  running?.abort();
  const names = sel.name === 'node' ? ['node', 'process'] : ['namespace', 'pod', 'container'];
  if (targets?.clusters) names.unshift('cluster');
  const rows = new ArrayRows(names);
  resultDirection = 'forward';
  setResult(rows, highlightersFor(sel), sel.name ?? 'pod');
  let received = 0;
  tailBtn.setAttribute('aria-pressed', 'true');
  setStatus('Live: waiting for lines…');
  stopTail = source.tail(
    editor.value,
    (lines) => {
      const follow = list.atEnd() || list.length === 0;
      for (const l of lines) if (rows.append(l.timeNs, l.labels, l.line)) received++;
      if (levelFilter.size > 0 || dedup !== 'none') rebuildView(true);
      else {
        view = new ViewRows(rows, null);
        context = null;
        showRows(true);
      }
      list.refresh(follow);
      setStatus(`Live: ${received.toLocaleString()} lines received`);
    },
    (message) => {
      setStatus(message, true);
      stopLive();
    },
  );
}
tailBtn.addEventListener('click', () => (stopTail ? stopLive() : startLive()));

// ---------------------------------------------------------------------------------------
// Targets tree and label values

function windowNs(): { startNs: bigint; endNs: bigint; rangeMs: number } {
  const { startNs, endNs } = resolveRange(range);
  return { startNs, endNs, rangeMs: Math.max(1, Number((endNs - startNs) / 1_000_000n)) };
}

async function loadTreeChildren(logType: 'pod' | 'node', target: string): Promise<LabelSets> {
  if (!source) return [];
  const { endNs, rangeMs } = windowNs();
  const by = logType === 'pod' ? 'pod, container' : 'process';
  const sel = logType === 'pod' ? `pod{namespace=${JSON.stringify(target)}}` : `node{node=${JSON.stringify(target)}}`;
  const series = await source.instant(`count by (${by}) (count_over_time(${sel}[${rangeMs}ms]))`, endNs);
  return series.map((s) => s.labels);
}

function labelValues(logType: 'pod' | 'node', label: string): Promise<string[]> {
  const key = `${logType}/${label}`;
  let p = labelValueCache.get(key);
  if (!p) {
    p = computeLabelValues(logType, label);
    labelValueCache.set(key, p);
    p.catch(() => labelValueCache.delete(key));
  }
  return p;
}

async function computeLabelValues(logType: 'pod' | 'node', label: string): Promise<string[]> {
  if (!source) return [];
  const target = logType === 'pod' ? 'namespace' : 'node';
  if (label === target && targets) return logType === 'pod' ? targets.pod : targets.node;
  if (label === 'cluster') return targets?.clusters ?? [];
  const { startNs, endNs, rangeMs } = windowNs();
  const sel = `${logType}{${target}=~".+"}`;
  if (source.labelValues) return source.labelValues(label, sel, startNs, endNs);
  const series = await source.instant(`count by (${label}) (count_over_time(${sel}[${rangeMs}ms]))`, endNs);
  return [...new Set(series.map((s) => s.labels[label] ?? '').filter((v) => v !== ''))].sort();
}

tree.onPick = (selector) => {
  editor.value = withSelector(editor.value, selector);
  saveUrl();
  editor.textarea.focus();
  void runQuery();
};

// ---------------------------------------------------------------------------------------
// Views: the query view, or the Rules view (a server's ruler)

/** The view shown; 'rules' only while the source is a server (the tab is hidden otherwise). */
let pageView: 'query' | 'rules' = 'query';
const rulesView = new RulesView($('rules-view'));

function showView(view: 'query' | 'rules', save = true): void {
  pageView = view;
  const rules = view === 'rules';
  $('view-query').setAttribute('aria-selected', String(!rules));
  $('view-rules').setAttribute('aria-selected', String(rules));
  $('view-query').tabIndex = rules ? -1 : 0;
  $('view-rules').tabIndex = rules ? 0 : -1;
  $('layout').hidden = rules;
  $('rules-view').hidden = !rules;
  if (rules) rulesView.show();
  else rulesView.hide();
  if (save) saveUrl();
}
$('view-query').addEventListener('click', () => showView('query'));
$('view-rules').addEventListener('click', () => showView('rules'));
for (const id of ['view-query', 'view-rules']) {
  $(id).addEventListener('keydown', (e) => {
    if ((e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') || $('view-rules').hidden) return;
    showView(pageView === 'rules' ? 'query' : 'rules');
    $(pageView === 'rules' ? 'view-rules' : 'view-query').focus();
  });
}
rulesView.onFilter = () => saveUrl();
/** A rule's link: the viewer's share link the ruler built (`src/rules/links.ts`), opened on this page's source. */
rulesView.linkHref = (viewerURL) => {
  const st = decodeState(new URL(viewerURL, location.href).hash);
  return encodeState({ query: st.query ?? '', range: st.range ?? range, refresh: 'off', server: source?.kind === 'server' ? source.label : '' });
};
rulesView.onOpenQuery = (viewerURL) => {
  const st = decodeState(new URL(viewerURL, location.href).hash);
  if (st.query !== undefined) editor.value = st.query;
  showView('query', false);
  if (st.range) setRange(st.range);
  else void runQuery();
};

// ---------------------------------------------------------------------------------------
// Sources

async function useSource(s: DataSource, t: TargetsInfo, defaultRange: TimeRange | null): Promise<void> {
  stopLive();
  running?.abort();
  source = s;
  targets = t;
  labelValueCache.clear();
  tree.setTargets(t);
  $('source-label').textContent = s.label;
  $('source-label').title = s.label;
  tailBtn.hidden = !s.tail;
  $('view-rules').hidden = !s.rules;
  rulesView.setLoader(s.rules ? (signal) => s.rules!(signal) : null);
  showView(s.rules && pageView === 'rules' ? 'rules' : 'query', false);
  if (defaultRange) range = defaultRange;
  syncRangeControls();
  if (editor.value.trim() === '') {
    editor.value = t.pod.length ? `pod{namespace=${JSON.stringify(t.pod[0])}}` : t.node.length ? `node{node=${JSON.stringify(t.node[0])}}` : '';
  }
  saveUrl();
  if (editor.value.trim() !== '') await runQuery();
}

async function openPicked(picked: PickedFile[]): Promise<void> {
  if (picked.length === 0) return;
  setStatus(`Opening ${picked.length} files…`);
  try {
    const { files, ignored, root } = await toStoreFiles(picked);
    if (files.length === 0) {
      setStatus(`No Lethe log files among the ${picked.length} picked (a store folder holds pod/ and node/)`, true);
      return;
    }
    const { source: s, opened } = await LocalSource.open(engine, root, files);
    // A store of past hours: show all of it rather than an empty "last hour".
    const whole: TimeRange | null =
      opened.firstHourMs !== null && opened.lastHourMs !== null && !hashRange ? { kind: 'absolute', startMs: opened.firstHourMs, endMs: opened.lastHourMs + 3_600_000 - 1 } : null;
    hashRange = false;
    setStatus(`Opened ${opened.files} files (${formatBytes(opened.bytes)})${ignored ? `, ${ignored} ignored` : ''}`);
    await useSource(s, opened.targets, whole);
  } catch (e) {
    setStatus(`Could not open the files: ${e instanceof Error ? e.message : String(e)}`, true);
  }
}

async function connect(url: string, token: string, quiet = false): Promise<boolean> {
  const s = new ServerSource(url, token);
  try {
    const t = await s.targets();
    await useSource(s, t, null);
    return true;
  } catch (e) {
    if (!quiet) setStatus(`Could not connect to ${url}: ${e instanceof Error ? e.message : String(e)}`, true);
    return false;
  }
}

const folderInput = $<HTMLInputElement>('folder-input');
const filesInput = $<HTMLInputElement>('files-input');
$('open-folder').addEventListener('click', () => folderInput.click());
$('open-files').addEventListener('click', () => filesInput.click());
for (const input of [folderInput, filesInput]) {
  input.addEventListener('change', () => {
    const picked = [...(input.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    input.value = '';
    void openPicked(picked);
  });
}

const dialog = $<HTMLDialogElement>('connect-dialog');
$('connect').addEventListener('click', () => {
  const url = $<HTMLInputElement>('server-url');
  if (!url.value) url.value = location.protocol.startsWith('http') ? location.origin : 'http://127.0.0.1:6060';
  dialog.showModal();
});
dialog.addEventListener('close', () => {
  if (dialog.returnValue === 'connect') void connect($<HTMLInputElement>('server-url').value, $<HTMLInputElement>('server-token').value);
});

// Drag and drop anywhere on the page.
const overlay = $('drop-overlay');
let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  overlay.hidden = false;
});
window.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) overlay.hidden = true;
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  if (e.dataTransfer) void droppedFiles(e.dataTransfer).then(openPicked);
});

// ---------------------------------------------------------------------------------------
// Theme, sharing

function setTheme(dark: boolean): void {
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
  $('theme').setAttribute('aria-pressed', String(dark));
  try {
    localStorage.setItem('letheql-theme', dark ? 'dark' : 'light');
  } catch {
    /* storage may be unavailable (file: URLs, privacy modes) */
  }
  histogram.draw();
  chart.draw();
}
$('theme').addEventListener('click', () => setTheme(document.documentElement.dataset['theme'] !== 'dark'));
{
  let saved: string | null = null;
  try {
    saved = localStorage.getItem('letheql-theme');
  } catch {
    /* see above */
  }
  setTheme(saved ? saved === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches);
}

$('share').addEventListener('click', async () => {
  saveUrl();
  try {
    await navigator.clipboard.writeText(location.href);
    setStatus('Link copied');
  } catch {
    setStatus(`Link: ${location.href}`);
  }
});

// ---------------------------------------------------------------------------------------
// Start-up: the hash, then the server this page came from (if it is one).

let hashRange = false;
{
  const s = decodeState(location.hash);
  if (s.query !== undefined) editor.value = s.query;
  if (s.range) {
    range = s.range;
    hashRange = true;
  }
  if (s.refresh) setRefresh(s.refresh);
  if (s.wrap) setWrap(true, false);
  if (s.cols) setColumns(s.cols, false);
  if (s.levels) for (const l of s.levels) if ((LEVELS as readonly string[]).includes(l)) levelFilter.add(l as Level);
  if (s.dedup && (DEDUP_MODES as readonly string[]).includes(s.dedup)) dedup = s.dedup as DedupMode;
  // The Rules view opens once a server with rules is connected (useSource).
  if (s.view === 'rules') pageView = 'rules';
  if (s.ruleStates || s.ruleText) rulesView.setFilter({ states: (s.ruleStates ?? []).filter((x): x is RuleState => (RULE_STATES as readonly string[]).includes(x)), text: s.ruleText ?? '' }, false);
  syncRowControls();
  syncRangeControls();
  const server = s.server || (location.protocol.startsWith('http') ? location.origin : '');
  if (server) {
    void (async () => {
      // Served by `letheql serve`? Its readiness endpoint says so; a static host answers 404.
      if (!s.server) {
        const ready = await fetch(`${server}/ready`).then((r) => r.ok && r.text().then((t) => t.startsWith('ready')), () => false);
        if (!ready) return;
      }
      await connect(server, '', !s.server);
    })();
  }
}

/** Hooks for tests and automation. */
declare global {
  interface Window {
    letheqlViewer: {
      loadSynthetic(rows: number): Promise<void>;
      state(): { query: string; range: TimeRange; rows: number; source: string | null; stats: StatsInfo | null; loaded: number; levelsDone: boolean; runs: number };
      /** Selects and opens row `i` of the list; returns the time until the pane is laid out, in ms. */
      openRow(i: number): number;
      /** Toggles wrapping; returns the time until the list is laid out again, in ms. */
      toggleWrap(): number;
      /** Runs one log query on the source (no histogram, nothing shown); its wall time in ms, rows and statistics. */
      timeLogs(query: string, startNs: string, endNs: string, limit: number): Promise<{ ms: number; rows: number; stats: StatsInfo | null }>;
      run(): Promise<void>;
      /** Every row of the list as drawn from: `row` (a loaded row), `line` (context) or `more-before`/`more-after`, with its line (tests; small results). */
      listed(): { kind: string; line: string }[];
    };
  }
}
window.letheqlViewer = {
  async loadSynthetic(rows: number) {
    const local = source instanceof LocalSource ? source : new LocalSource(engine, 'synthetic');
    const r = await local.synthetic(rows);
    $('chart-section').hidden = true;
    $('rows-section').hidden = false;
    setResult(new ArrowRows(r.table), [], 'pod');
    setStatus(statsText(r.stats, r.table.numRows, 0));
  },
  state: () => ({ query: editor.value, range, rows: list.length, source: source?.label ?? null, stats: lastStats, loaded: baseRows?.length ?? 0, levelsDone: levelsComplete, runs: runSeq }),
  openRow(i: number) {
    const t0 = performance.now();
    list.select(i);
    openRow(i);
    void document.body.offsetHeight; // forces layout: the pane as drawn
    return performance.now() - t0;
  },
  async timeLogs(query: string, startNs: string, endNs: string, limit: number) {
    if (!source) throw new Error('no source');
    const t0 = performance.now();
    const r = await source.logs(query, { startNs: BigInt(startNs), endNs: BigInt(endNs), limit, direction: 'backward', signal: new AbortController().signal });
    return { ms: performance.now() - t0, rows: r.table.numRows, stats: r.stats };
  },
  toggleWrap() {
    const t0 = performance.now();
    setWrap(!list.wrap);
    void document.body.offsetHeight;
    return performance.now() - t0;
  },
  run: () => runQuery(),
  listed: () =>
    Array.from({ length: shown.length }, (_, i) => {
      const e = entryAt(i);
      return { kind: e === null ? 'row' : e.kind === 'line' ? 'line' : `more-${e.dir}`, line: shown.line(i) };
    }),
};
