/**
 * The result list: a virtual list over columnar rows.
 *
 * Only the rows in view (plus a few above and below) exist in the DOM, absolutely placed in
 * a tall spacer; a row element is reused as the view scrolls and refilled only when its
 * index changes. Rows are read from columns on demand ({@link RowSet}), never turned into a
 * million objects: an Arrow table stays as decoded IPC buffers, and the time column is one
 * BigInt64Array.
 *
 * Browsers cap an element's height (~33.5M px in Chromium), so past {@link MAX_SCROLL_PX} the
 * scroll position maps proportionally onto row offsets: any row count stays reachable,
 * the first and last rows exactly at the two ends.
 *
 * Wrapped lines: rows grow to their line's height. The heights come from each line's length
 * (the Arrow column's offsets, no line decoded) and the characters that fit the message
 * column (measured once per width, at the widest printable ASCII glyph: a monospace stack
 * may take some glyphs from a fallback font of another width): with `word-break: break-all`
 * the count of wrapped lines is exact or an over-estimate (blank space, never a cut). A prefix sum of heights places rows; a binary search
 * finds the first in view. Toggling wrap is one pass over the lengths.
 *
 * Accessibility: an ARIA grid (`aria-rowcount` is the full count, each rendered row has its
 * `aria-rowindex`); focus stays on the grid and `aria-activedescendant` names the selected
 * row. ↑/↓, PageUp/PageDown, Home/End move the selection; Enter (or a click) opens the row,
 * Escape closes it (`onOpen` / `onClose`; the page draws the row pane).
 *
 * Context inline: the page may show a {@link ContextRows} view, the lines of a row's stream
 * around it, in place; the list draws those apart (`decorations.context`) and "more" rows as
 * controls that the page answers when they are opened.
 */
import type { Table, Vector } from 'apache-arrow';
import { stripAnsi } from './fields.js';
import { matchRanges } from './query-text.js';

/** Rows read by index from columns. */
export interface RowSet {
  readonly length: number;
  readonly labelNames: readonly string[];
  /** How many of `labelNames` (the first ones) are stream labels; the rest a log pipeline added (`| json`, …). */
  readonly streamLabelCount?: number;
  timeNs(i: number): bigint;
  label(i: number, k: number): string;
  line(i: number): string;
  /** The line's length in characters or UTF-8 bytes (an upper bound is fine): sizes wrapped rows without decoding lines. */
  lineLength?(i: number): number;
}

/** An Arrow log result (contract §3 columns) as a {@link RowSet}. */
export class ArrowRows implements RowSet {
  readonly length: number;
  readonly labelNames: readonly string[];
  readonly streamLabelCount: number;
  private readonly times: BigInt64Array;
  private readonly labels: Vector[];
  private readonly lines: Vector;

  constructor(private readonly table: Table) {
    this.length = table.numRows;
    // Stream labels are never null; labels a pipeline added are nullable columns after them
    // (a parsed `time` arrives as `time_extracted`, so names never clash with `time`/`line`).
    const fields = table.schema.fields.map((f, i) => ({ f, i })).filter(({ f }) => f.nullable || (f.name !== 'time' && f.name !== 'line' && f.name !== 'time_raw'));
    const ordered = [...fields.filter(({ f }) => !f.nullable), ...fields.filter(({ f }) => f.nullable)];
    this.labelNames = ordered.map(({ f }) => f.name);
    this.streamLabelCount = fields.filter(({ f }) => !f.nullable).length;
    this.labels = ordered.map(({ i }) => table.getChildAt(i)!);
    this.lines = table.getChild('line')!;
    // `toArray()` of a Timestamp<ns> column gives the raw nanoseconds (`get(i)` gives ms).
    const t = table.getChild('time')?.toArray() as BigInt64Array | undefined;
    this.times = t instanceof BigInt64Array ? t : new BigInt64Array(this.length);
  }

  timeNs(i: number): bigint {
    return this.times[i]!;
  }
  label(i: number, k: number): string {
    return String(this.labels[k]!.get(i) ?? '');
  }
  line(i: number): string {
    return String(this.lines.get(i) ?? '');
  }
  private lengths: Int32Array | null = null;
  /** UTF-8 byte length of line `i`, from the column's offsets (no decoding). */
  lineLength(i: number): number {
    if (!this.lengths) {
      const out = new Int32Array(this.length);
      let at = 0;
      for (const d of this.lines.data) {
        const off = d.valueOffsets as Int32Array | undefined;
        for (let k = 0; k < d.length; k++) out[at++] = off ? off[d.offset + k + 1]! - off[d.offset + k]! : 0;
      }
      this.lengths = out;
    }
    return this.lengths[i]!;
  }
  /** The Arrow table the rows read from. */
  get source(): Table {
    return this.table;
  }
}

/** Rows held in arrays (the live tail), appended as they arrive, with a cap that drops the oldest. */
export class ArrayRows implements RowSet {
  private times: bigint[] = [];
  private labelValues: string[][] = [];
  private lines: string[] = [];
  private readonly seen = new Set<string>();
  constructor(
    readonly labelNames: readonly string[],
    private readonly cap = 100_000,
  ) {}
  get length(): number {
    return this.lines.length;
  }
  /**
   * Adds a line unless the same (time, labels, line) came already: the server's tail is best
   * effort and may deliver a line twice (history and push, or push and file follower).
   * Returns whether it was added.
   */
  append(timeNs: bigint, labels: Record<string, string>, line: string): boolean {
    const key = `${timeNs}\u0000${this.labelNames.map((n) => labels[n] ?? '').join('\u0000')}\u0000${line}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.cap) this.seen.delete(this.seen.values().next().value!);
    this.times.push(timeNs);
    this.labelValues.push(this.labelNames.map((n) => labels[n] ?? ''));
    this.lines.push(line);
    if (this.lines.length > this.cap) {
      const drop = this.lines.length - this.cap;
      this.times.splice(0, drop);
      this.labelValues.splice(0, drop);
      this.lines.splice(0, drop);
    }
    return true;
  }
  timeNs(i: number): bigint {
    return this.times[i]!;
  }
  label(i: number, k: number): string {
    return this.labelValues[i]![k]!;
  }
  line(i: number): string {
    return this.lines[i]!;
  }
  lineLength(i: number): number {
    return this.lines[i]!.length;
  }
}

/**
 * A view of a {@link RowSet}: the rows `index` picks (level filter, deduplication), in
 * order, each with how many rows it stands for (`counts`, deduplication). Identity when
 * `index` is null. Built from the loaded rows, so filtering never re-runs a query.
 */
export class ViewRows implements RowSet {
  readonly length: number;
  readonly labelNames: readonly string[];
  readonly streamLabelCount?: number;
  constructor(
    readonly base: RowSet,
    readonly index: Int32Array | null,
    readonly counts: Int32Array | null = null,
  ) {
    this.length = index ? index.length : base.length;
    this.labelNames = base.labelNames;
    if (base.streamLabelCount !== undefined) this.streamLabelCount = base.streamLabelCount;
  }
  baseIndex(i: number): number {
    return this.index ? this.index[i]! : i;
  }
  timeNs(i: number): bigint {
    return this.base.timeNs(this.baseIndex(i));
  }
  label(i: number, k: number): string {
    return this.base.label(this.baseIndex(i), k);
  }
  line(i: number): string {
    return this.base.line(this.baseIndex(i));
  }
  lineLength(i: number): number {
    const b = this.baseIndex(i);
    return this.base.lineLength ? this.base.lineLength(b) : this.base.line(b).length;
  }
  /** Rows row `i` stands for (1 unless deduplicated). */
  count(i: number): number {
    return this.counts ? this.counts[i]! : 1;
  }
}

/** One line of context (a neighbour in a row's stream), or a "more" control at the end of a run of them. */
export type ContextEntry = { kind: 'line'; timeNs: bigint; line: string } | { kind: 'more'; dir: 'before' | 'after'; note: string };

/**
 * A view with context inline: `above` entries right above inner row `at` and `below` right
 * under it, in display order (the page orders them as the list: newest first for a backward
 * result). A context line is of the anchor's stream, so its stream labels are the anchor's
 * and it has no pipeline labels; a "more" entry reads as its note. Built on the view, so the
 * loaded rows are never copied.
 */
export class ContextRows implements RowSet {
  readonly length: number;
  readonly labelNames: readonly string[];
  readonly streamLabelCount?: number;
  constructor(
    readonly inner: ViewRows,
    readonly at: number,
    readonly above: readonly ContextEntry[],
    readonly below: readonly ContextEntry[],
  ) {
    this.length = inner.length + above.length + below.length;
    this.labelNames = inner.labelNames;
    if (inner.streamLabelCount !== undefined) this.streamLabelCount = inner.streamLabelCount;
  }
  /** The anchor's display index. */
  get anchor(): number {
    return this.at + this.above.length;
  }
  /** The inner (view) index of display row `i`, or -1 for a context entry. */
  innerIndex(i: number): number {
    const a = this.anchor;
    if (i < this.at) return i;
    if (i < a) return -1;
    if (i === a) return this.at;
    if (i <= a + this.below.length) return -1;
    return i - this.above.length - this.below.length;
  }
  /** The display index of inner row `v`. */
  displayIndex(v: number): number {
    return v < this.at ? v : v === this.at ? this.anchor : v + this.above.length + this.below.length;
  }
  /** The context entry at display row `i`, or null for a row of the view. */
  entry(i: number): ContextEntry | null {
    const a = this.anchor;
    if (i >= this.at && i < a) return this.above[i - this.at]!;
    if (i > a && i <= a + this.below.length) return this.below[i - a - 1]!;
    return null;
  }
  timeNs(i: number): bigint {
    const e = this.entry(i);
    return e === null ? this.inner.timeNs(this.innerIndex(i)) : e.kind === 'line' ? e.timeNs : this.inner.timeNs(this.at);
  }
  label(i: number, k: number): string {
    const e = this.entry(i);
    if (e === null) return this.inner.label(this.innerIndex(i), k);
    return e.kind === 'line' && k < (this.streamLabelCount ?? this.labelNames.length) ? this.inner.label(this.at, k) : '';
  }
  line(i: number): string {
    const e = this.entry(i);
    return e === null ? this.inner.line(this.innerIndex(i)) : e.kind === 'line' ? e.line : e.note;
  }
  lineLength(i: number): number {
    return this.entry(i) === null ? this.inner.lineLength(this.innerIndex(i)) : this.line(i).length;
  }
}

/** A row's stream labels as a record (empty values left out). */
export function streamLabelsOf(rows: RowSet, i: number): Record<string, string> {
  const out: Record<string, string> = {};
  const n = rows.streamLabelCount ?? rows.labelNames.length;
  for (let k = 0; k < n; k++) {
    const v = rows.label(i, k);
    if (v !== '') out[rows.labelNames[k]!] = v;
  }
  return out;
}

/** `2024-09-24 15:00:01.123` (UTC); `full` adds the nanoseconds. */
export function formatTime(ns: bigint, full = false): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-09-24T15:00:01.123Z
  if (!full) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

const ROW_HEIGHT = 22;
/** Height of one wrapped text line, and a wrapped row's padding. */
const WRAP_LINE = 18;
const WRAP_PAD = 4;
/** Tallest spacer used; beyond it scrolling maps proportionally (see the module note). */
export const MAX_SCROLL_PX = 8_000_000;
const OVERSCAN = 6;
const MAX_LINE_CHARS = 2000;

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);

/** Message HTML with the matched parts in `<mark>`. */
export function highlightLine(text: string, res: readonly RegExp[]): string {
  const shown = text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) : text;
  if (res.length === 0) return escapeHtml(shown);
  let out = '';
  let at = 0;
  for (const [a, b] of matchRanges(shown, res)) {
    out += escapeHtml(shown.slice(at, a)) + '<mark>' + escapeHtml(shown.slice(a, b)) + '</mark>';
    at = b;
  }
  return out + escapeHtml(shown.slice(at));
}


/** What the list shows beside each row, supplied by the page (computed per row in view). */
export interface RowDecorations {
  /** The row's level (a coloured mark), or null for none. */
  level?(i: number): string | null;
  /** The value of parsed field `name` for the fields-as-columns option. */
  field?(i: number, name: string): string;
  /** How many rows row `i` stands for (deduplication; 1 shows no badge). */
  count?(i: number): number;
  /** A context line (drawn apart, labels left out) or a "more" control in place of row `i`, or null for a row. */
  context?(i: number): ContextEntry | null;
}

export class VirtualList {
  private rows: RowSet | null = null;
  private highlight: RegExp[] = [];
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private selected = -1;
  private renderQueued = false;
  private wrapOn = false;
  private cols: readonly string[] = [];
  /** Wrapped mode: `tops[i]` is row i's virtual top, `tops[n]` the total height. */
  private tops: Float64Array | null = null;
  private charsPerLine = 0;
  private lastWidth = 0;
  /** The widest printable ASCII glyph of the rows' font, px (0: not measured yet). */
  private glyphWidth = 0;
  decorations: RowDecorations = {};
  /** Called when the selection changes (the detail pane follows it). */
  onSelect: (index: number) => void = () => {};
  /** Called when Enter is pressed on a row, or a row is clicked. */
  onOpen: (index: number) => void = () => {};
  /** Called when Escape is pressed in the list. */
  onClose: () => void = () => {};

  constructor(private readonly grid: HTMLElement) {
    this.spacer = document.createElement('div');
    this.spacer.className = 'rows-spacer';
    this.spacer.setAttribute('role', 'presentation');
    grid.append(this.spacer);
    grid.addEventListener('scroll', () => this.queueRender());
    grid.addEventListener('keydown', (e) => this.keydown(e));
    grid.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.row');
      if (row?.dataset['index'] === undefined || row.dataset['index'] === '') return;
      const i = Number(row.dataset['index']);
      this.select(i, false, false);
      this.onOpen(i);
    });
    new ResizeObserver(() => {
      if (this.wrapOn && this.grid.clientWidth !== this.lastWidth) this.layout();
      this.queueRender();
    }).observe(grid);
  }

  get length(): number {
    return this.rows?.length ?? 0;
  }

  get selectedIndex(): number {
    return this.selected;
  }

  get rowSet(): RowSet | null {
    return this.rows;
  }

  get wrap(): boolean {
    return this.wrapOn;
  }

  /** Shows `rows` (null: empty), highlighting what `highlight` matches in messages. */
  setRows(rows: RowSet | null, highlight: RegExp[] = [], keepScroll = false): void {
    this.rows = rows;
    this.highlight = highlight;
    if (!keepScroll) {
      this.selected = -1;
      this.grid.scrollTop = 0;
    } else if (this.selected >= this.length) this.selected = this.length - 1;
    this.grid.setAttribute('aria-rowcount', String(this.length));
    this.grid.removeAttribute('aria-activedescendant');
    this.layout();
  }

  /** Wraps long lines (rows grow to show the whole line) or cuts them at the column's edge. */
  setWrap(on: boolean): void {
    if (on === this.wrapOn) return;
    const keep = this.selected >= 0 ? this.selected : this.firstVisible();
    this.wrapOn = on;
    this.grid.classList.toggle('wrap', on);
    this.layout();
    if (keep >= 0) this.scrollToIndex(keep, true);
  }

  /** Parsed fields shown as columns after the time. */
  setColumns(names: readonly string[]): void {
    this.cols = names;
    this.redraw();
  }

  /** Refills every row in view (decorations changed). */
  redraw(): void {
    for (const el of this.pool) el.dataset['index'] = '';
    this.render();
  }

  /** Re-renders after rows were appended (live tail); follows the end when it was shown. */
  refresh(followEnd: boolean): void {
    this.grid.setAttribute('aria-rowcount', String(this.length));
    this.layout();
    if (followEnd) this.scrollToIndex(this.length - 1);
  }

  /** Whether the last row is in view. */
  atEnd(): boolean {
    return this.grid.scrollTop + this.grid.clientHeight >= this.grid.scrollHeight - ROW_HEIGHT;
  }

  /** Recomputes row heights (wrap) and redraws: O(rows) over line lengths, no line decoded. */
  private layout(): void {
    this.tops = null;
    if (this.wrapOn && this.rows) {
      this.lastWidth = this.grid.clientWidth;
      this.charsPerLine = this.measureCharsPerLine();
      const rows = this.rows;
      const n = rows.length;
      const tops = new Float64Array(n + 1);
      const cpl = this.charsPerLine;
      let y = 0;
      for (let i = 0; i < n; i++) {
        tops[i] = y;
        const len = Math.min(MAX_LINE_CHARS, rows.lineLength ? rows.lineLength(i) : rows.line(i).length);
        const lines = Math.max(1, Math.ceil(len / cpl));
        y += lines === 1 ? ROW_HEIGHT : lines * WRAP_LINE + WRAP_PAD;
      }
      tops[n] = y;
      this.tops = tops;
    }
    this.redraw();
  }

  /** Characters of the monospace font that fit the message column. */
  private measureCharsPerLine(): number {
    // Every printable ASCII character, each in its own run: a "monospace" stack may draw some
    // glyphs from a fallback font of another width, so the widest one sets the count
    // (measured once: the font does not change).
    const glyphs = this.glyphWidth === 0 ? Array.from({ length: 95 }, (_, k) => String.fromCharCode(32 + k).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)) : [];
    const probe = document.createElement('div');
    probe.className = 'row';
    probe.style.visibility = 'hidden';
    probe.innerHTML = `<span class="lvl"></span><span class="c-time"></span>${this.cols.map(() => '<span class="c-field"></span>').join('')}<span class="c-labels"></span><span class="c-line">${glyphs.map((c) => `<span class="probe" style="display:inline-block;white-space:pre">${c.repeat(20)}</span>`).join('')}</span>`;
    this.spacer.append(probe);
    const lineWidth = probe.querySelector<HTMLElement>('.c-line')!.clientWidth;
    probe.querySelectorAll<HTMLElement>('.probe').forEach((p) => (this.glyphWidth = Math.max(this.glyphWidth, p.getBoundingClientRect().width / 20)));
    probe.remove();
    return Math.max(10, Math.floor(lineWidth / Math.max(1, this.glyphWidth)) - 1);
  }

  private top(i: number): number {
    return this.tops ? this.tops[i]! : i * ROW_HEIGHT;
  }

  private height(i: number): number {
    return this.tops ? this.tops[i + 1]! - this.tops[i]! : ROW_HEIGHT;
  }

  /** The row at virtual offset `y`. */
  private indexAt(y: number): number {
    const n = this.length;
    if (!this.tops) return Math.min(n - 1, Math.max(0, Math.floor(y / ROW_HEIGHT)));
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private firstVisible(): number {
    if (this.length === 0) return -1;
    const { ratio } = this.geometry();
    return this.indexAt(this.grid.scrollTop * ratio);
  }

  private geometry() {
    const n = this.length;
    const view = this.grid.clientHeight;
    const virtual = this.top(n);
    const physical = Math.min(virtual, MAX_SCROLL_PX);
    // Maps scrollTop (physical) to a virtual offset; identity below the cap.
    const ratio = physical > view && virtual > view ? (virtual - view) / (physical - view) : 1;
    return { n, view, virtual, physical, ratio };
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    const { n, view, physical, ratio } = this.geometry();
    this.spacer.style.height = `${physical}px`;
    const scrollTop = this.grid.scrollTop;
    const virtualTop = scrollTop * ratio;
    const first = n === 0 ? 0 : Math.max(0, this.indexAt(virtualTop) - OVERSCAN);
    const last = n === 0 ? -1 : Math.min(n - 1, this.indexAt(virtualTop + view) + OVERSCAN);
    const count = Math.max(0, last - first + 1);
    while (this.pool.length < count) {
      const el = document.createElement('div');
      el.className = 'row';
      el.setAttribute('role', 'row');
      this.spacer.append(el);
      this.pool.push(el);
    }
    for (let k = 0; k < this.pool.length; k++) {
      const el = this.pool[k]!;
      if (k >= count) {
        el.hidden = true;
        el.dataset['index'] = '';
        el.dataset['ctx'] = '';
        el.removeAttribute('id');
        continue;
      }
      const i = first + k;
      el.hidden = false;
      el.style.transform = `translateY(${scrollTop + (this.top(i) - virtualTop)}px)`;
      el.style.height = `${this.height(i)}px`;
      if (el.dataset['index'] !== String(i)) this.fill(el, i);
      el.setAttribute('aria-selected', String(i === this.selected));
    }
  }

  private fill(el: HTMLElement, i: number): void {
    const rows = this.rows!;
    const d = this.decorations;
    el.dataset['index'] = String(i);
    el.id = `row-${i}`;
    el.setAttribute('aria-rowindex', String(i + 1));
    const ctx = d.context?.(i) ?? null;
    el.classList.toggle('ctx-row', ctx?.kind === 'line');
    el.classList.toggle('ctx-more', ctx?.kind === 'more');
    el.dataset['ctx'] = ctx === null ? '' : ctx.kind === 'line' ? 'line' : `more-${ctx.dir}`;
    if (ctx?.kind === 'more') {
      // A control row: the page loads more when it is opened (click, Enter).
      el.dataset['level'] = '';
      el.innerHTML =
        `<span class="lvl"></span><span role="gridcell" class="c-time"></span>${this.cols.map(() => '<span class="c-field"></span>').join('')}<span role="gridcell" class="c-labels"></span>` +
        `<span role="gridcell" class="c-line"><button type="button" class="small" tabindex="-1">${ctx.dir === 'before' ? 'More before' : 'More after'}</button> <span class="muted">${escapeHtml(ctx.note)}</span></span>`;
      return;
    }
    let labels = '';
    const streamCount = rows.streamLabelCount ?? rows.labelNames.length;
    // A context line's labels are its anchor's (same stream): not repeated.
    for (let k = 0; k < (ctx ? 0 : rows.labelNames.length); k++) {
      const v = rows.label(i, k);
      if (v === '') continue;
      const name = escapeHtml(rows.labelNames[k]!);
      // Parsed labels show their names: a bare "200" or "info" would not say which field it is.
      labels += k < streamCount ? `<span class="chip" title="${name}">${escapeHtml(v)}</span>` : `<span class="chip parsed" title="${name}">${name}=${escapeHtml(v)}</span>`;
    }
    const level = d.level?.(i) ?? null;
    el.dataset['level'] = level ?? '';
    const count = d.count?.(i) ?? 1;
    let fields = '';
    for (const c of this.cols) {
      const v = d.field?.(i, c) ?? '';
      fields += `<span role="gridcell" class="c-field" title="${escapeHtml(c)}">${escapeHtml(v)}</span>`;
    }
    el.innerHTML =
      `<span class="lvl${level ? ` lvl-${level}` : ''}" title="${level ?? ''}" aria-label="level ${level ?? 'none'}"></span>` +
      `<span role="gridcell" class="c-time">${formatTime(rows.timeNs(i))}</span>` +
      fields +
      `<span role="gridcell" class="c-labels">${labels}</span>` +
      `<span role="gridcell" class="c-line">${count > 1 ? `<span class="dups" title="${count} duplicates">${count}×</span>` : ''}${highlightLine(stripAnsi(rows.line(i)), ctx ? [] : this.highlight)}</span>`;
  }

  /** Selects row `i` and scrolls it into view. */
  select(i: number, scroll = true, notify = true): void {
    if (this.length === 0) return;
    this.selected = Math.max(0, Math.min(this.length - 1, i));
    if (scroll) this.scrollToIndex(this.selected);
    this.render();
    this.grid.setAttribute('aria-activedescendant', `row-${this.selected}`);
    if (notify) this.onSelect(this.selected);
  }

  /** Scrolls the least needed to show row `i` (`toTop`: row i at the top). */
  scrollToIndex(i: number, toTop = false): void {
    const { view, ratio } = this.geometry();
    const virtualTop = this.grid.scrollTop * ratio;
    const top = this.top(i);
    const h = this.height(i);
    let target: number | null = null;
    if (toTop || top < virtualTop) target = top;
    else if (top + h > virtualTop + view) target = top + h - view;
    if (target !== null) this.grid.scrollTop = Math.ceil(target / ratio);
    this.render();
  }

  private keydown(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.grid.clientHeight / ROW_HEIGHT) - 1);
    const cur = this.selected < 0 ? -1 : this.selected;
    const moves: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: Math.max(0, cur - 1), PageDown: cur + page, PageUp: Math.max(0, cur - page), Home: 0, End: this.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      this.select(moves[e.key]!);
    } else if (e.key === 'Enter' && this.selected >= 0) {
      e.preventDefault();
      this.onOpen(this.selected);
    } else if (e.key === 'Escape') {
      this.onClose();
    }
  }
}
