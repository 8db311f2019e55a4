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
 * Accessibility: an ARIA grid (`aria-rowcount` is the full count, each rendered row has its
 * `aria-rowindex`); focus stays on the grid and `aria-activedescendant` names the selected
 * row. ↑/↓, PageUp/PageDown, Home/End move the selection; Enter shows the whole row in the
 * detail pane.
 */
import type { Table, Vector } from 'apache-arrow';
import { matchRanges } from './query-text.ts';

/** Rows read by index from columns. */
export interface RowSet {
  readonly length: number;
  readonly labelNames: readonly string[];
  /** How many of `labelNames` (the first ones) are stream labels; the rest a log pipeline added (`| json`, …). */
  readonly streamLabelCount?: number;
  timeNs(i: number): bigint;
  label(i: number, k: number): string;
  line(i: number): string;
}

/** An Arrow log result (contract §3 columns) as a {@link RowSet}. */
export class ArrowRows implements RowSet {
  readonly length: number;
  readonly labelNames: readonly string[];
  readonly streamLabelCount: number;
  private readonly times: BigInt64Array;
  private readonly labels: Vector[];
  private readonly lines: Vector;

  constructor(table: Table) {
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

export class VirtualList {
  private rows: RowSet | null = null;
  private highlight: RegExp[] = [];
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private selected = -1;
  private renderQueued = false;
  /** Called when the selection changes (the detail pane follows it). */
  onSelect: (index: number) => void = () => {};
  /** Called when Enter is pressed on a row. */
  onOpen: (index: number) => void = () => {};

  constructor(private readonly grid: HTMLElement) {
    this.spacer = document.createElement('div');
    this.spacer.className = 'rows-spacer';
    this.spacer.setAttribute('role', 'presentation');
    grid.append(this.spacer);
    grid.addEventListener('scroll', () => this.queueRender());
    grid.addEventListener('keydown', (e) => this.keydown(e));
    grid.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.row');
      if (row?.dataset['index'] !== undefined) this.select(Number(row.dataset['index']), false);
    });
    new ResizeObserver(() => this.queueRender()).observe(grid);
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

  /** Shows `rows` (null: empty), highlighting what `highlight` matches in messages. */
  setRows(rows: RowSet | null, highlight: RegExp[] = [], keepScroll = false): void {
    this.rows = rows;
    this.highlight = highlight;
    for (const el of this.pool) el.dataset['index'] = '';
    if (!keepScroll) {
      this.selected = -1;
      this.grid.scrollTop = 0;
    }
    this.grid.setAttribute('aria-rowcount', String(this.length));
    this.grid.removeAttribute('aria-activedescendant');
    this.render();
  }

  /** Re-renders after rows were appended (live tail); follows the end when it was shown. */
  refresh(followEnd: boolean): void {
    this.grid.setAttribute('aria-rowcount', String(this.length));
    for (const el of this.pool) el.dataset['index'] = '';
    this.render();
    if (followEnd) this.scrollToIndex(this.length - 1);
  }

  /** Whether the last row is in view. */
  atEnd(): boolean {
    return this.grid.scrollTop + this.grid.clientHeight >= this.grid.scrollHeight - ROW_HEIGHT;
  }

  private geometry() {
    const n = this.length;
    const view = this.grid.clientHeight;
    const virtual = n * ROW_HEIGHT;
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
    const first = Math.max(0, Math.floor(virtualTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n - 1, Math.ceil((virtualTop + view) / ROW_HEIGHT) + OVERSCAN);
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
        el.removeAttribute('id');
        continue;
      }
      const i = first + k;
      el.hidden = false;
      el.style.transform = `translateY(${scrollTop + (i * ROW_HEIGHT - virtualTop)}px)`;
      if (el.dataset['index'] !== String(i)) this.fill(el, i);
      el.setAttribute('aria-selected', String(i === this.selected));
    }
  }

  private fill(el: HTMLElement, i: number): void {
    const rows = this.rows!;
    el.dataset['index'] = String(i);
    el.id = `row-${i}`;
    el.setAttribute('aria-rowindex', String(i + 1));
    let labels = '';
    const streamCount = rows.streamLabelCount ?? rows.labelNames.length;
    for (let k = 0; k < rows.labelNames.length; k++) {
      const v = rows.label(i, k);
      if (v === '') continue;
      const name = escapeHtml(rows.labelNames[k]!);
      // Parsed labels show their names: a bare "200" or "info" would not say which field it is.
      labels += k < streamCount ? `<span class="chip" title="${name}">${escapeHtml(v)}</span>` : `<span class="chip parsed" title="${name}">${name}=${escapeHtml(v)}</span>`;
    }
    el.innerHTML =
      `<span role="gridcell" class="c-time">${formatTime(rows.timeNs(i))}</span>` +
      `<span role="gridcell" class="c-labels">${labels}</span>` +
      `<span role="gridcell" class="c-line">${highlightLine(rows.line(i), this.highlight)}</span>`;
  }

  /** Selects row `i` and scrolls it into view. */
  select(i: number, scroll = true): void {
    if (this.length === 0) return;
    this.selected = Math.max(0, Math.min(this.length - 1, i));
    if (scroll) this.scrollToIndex(this.selected);
    this.render();
    this.grid.setAttribute('aria-activedescendant', `row-${this.selected}`);
    this.onSelect(this.selected);
  }

  /** Scrolls the least needed to show row `i`. */
  scrollToIndex(i: number): void {
    const { view, ratio } = this.geometry();
    const virtualTop = this.grid.scrollTop * ratio;
    const top = i * ROW_HEIGHT;
    let target: number | null = null;
    if (top < virtualTop) target = top;
    else if (top + ROW_HEIGHT > virtualTop + view) target = top + ROW_HEIGHT - view;
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
    }
  }
}
