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
 * `window.letheqlViewer` exposes a few hooks for tests and automation (load a synthetic
 * result, read the state); it is plain data and functions, no globals are read from it.
 */
import { Histogram, TimeSeriesChart } from './charts.ts';
import { QueryEditor, type CompletionProvider } from './editor.ts';
import type { SeriesData, StatsInfo, TargetsInfo } from './protocol.ts';
import { checkQuery, highlightersFor, histogramQuery, logSelector, withSelector } from './query-text.ts';
import { decodeState, describeRange, durationMs, encodeState, formatUtc, histogramStepMs, parseUtc, PRESETS, REFRESH, resolveRange, type TimeRange } from './range.ts';
import { ArrayRows, ArrowRows, formatTime, VirtualList } from './rows.ts';
import { EngineClient, LocalSource, ServerSource, ViewerError, type DataSource, type Progress } from './sources.ts';
import { droppedFiles, toStoreFiles, type PickedFile } from './store-files.ts';
import { TargetsTree, type LabelSets } from './tree.ts';

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
const detail = $('detail');

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
  const hash = encodeState({ query: editor.value, range, refresh, server: source?.kind === 'server' ? source.label : '' });
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
      const hist = current
        .metric(histogramQuery(text, stepMs), { startNs: startNs + stepNs - 1n, endNs: startNs + BigInt(buckets) * stepNs - 1n, step: `${stepMs}ms`, signal: ac.signal })
        .then((m) => ({ ok: true as const, m }))
        .catch((e: unknown) => ({ ok: false as const, e }));
      const logs = await current.logs(text, {
        startNs,
        endNs,
        limit: Number(limitSel.value),
        direction: directionSel.value as 'forward' | 'backward',
        signal: ac.signal,
        onProgress: (p) => seq === runSeq && showProgress(p),
      });
      if (seq !== runSeq) return;
      list.setRows(new ArrowRows(logs.table), highlightersFor(sel));
      detail.hidden = true;
      lastStats = logs.stats;
      const h = await hist;
      if (seq !== runSeq) return;
      const startMs = Number(startNs / 1_000_000n);
      if (h.ok) {
        const counts = new Float64Array(buckets);
        for (const s of h.m.series) {
          for (let k = 0; k < s.timesMs.length; k++) {
            const b = Math.floor((s.timesMs[k]! - startMs) / stepMs);
            if (b >= 0 && b < buckets) counts[b]! += s.values[k]!;
          }
        }
        histogram.setData({ startMs, stepMs, counts });
        $('histogram-note').textContent = `${counts.reduce((a, b) => a + b, 0).toLocaleString()} lines · ${describeRange(range)}`;
      } else {
        histogram.setData(null);
        $('histogram-note').textContent = `histogram unavailable: ${h.e instanceof Error ? h.e.message : String(h.e)}`;
      }
      setStatus(statsText(logs.stats, logs.table.numRows, performance.now() - started));
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

function seriesName(s: SeriesData): string {
  const entries = Object.entries(s.labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(', ')}}` : '{}';
}

runBtn.addEventListener('click', runOrCancel);
editor.onRun = () => void runQuery();
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running) cancel();
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
// Rows detail

list.onSelect = (i) => {
  if (!detail.hidden) showDetail(i);
};
list.onOpen = (i) => {
  detail.hidden = !detail.hidden && detail.dataset['index'] === String(i);
  if (!detail.hidden) showDetail(i);
};
function showDetail(i: number): void {
  const rows = list.rowSet;
  if (!rows) return;
  detail.dataset['index'] = String(i);
  const labels = rows.labelNames
    .map((n, k) => [n, rows.label(i, k)] as const)
    .filter(([, v]) => v !== '')
    .map(([n, v]) => `${n}=${JSON.stringify(v)}`)
    .join(', ');
  detail.textContent = `${formatTime(rows.timeNs(i), true)}  {${labels}}\n${rows.line(i)}`;
  detail.hidden = false;
}

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
  list.setRows(rows, highlightersFor(sel));
  let received = 0;
  tailBtn.setAttribute('aria-pressed', 'true');
  setStatus('Live: waiting for lines…');
  stopTail = source.tail(
    editor.value,
    (lines) => {
      const follow = list.atEnd() || list.length === 0;
      for (const l of lines) if (rows.append(l.timeNs, l.labels, l.line)) received++;
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
      state(): { query: string; range: TimeRange; rows: number; source: string | null; stats: StatsInfo | null };
      run(): Promise<void>;
    };
  }
}
window.letheqlViewer = {
  async loadSynthetic(rows: number) {
    const local = source instanceof LocalSource ? source : new LocalSource(engine, 'synthetic');
    const r = await local.synthetic(rows);
    $('chart-section').hidden = true;
    $('rows-section').hidden = false;
    list.setRows(new ArrowRows(r.table), []);
    setStatus(statsText(r.stats, r.table.numRows, 0));
  },
  state: () => ({ query: editor.value, range, rows: list.length, source: source?.label ?? null, stats: lastStats }),
  run: () => runQuery(),
};
