/**
 * Canvas charts: the histogram of matching lines over time (drag to zoom) and the time-series
 * chart of metric queries. Drawn on a canvas at device-pixel resolution, colours read from the
 * theme's CSS custom properties, so a theme switch is a redraw.
 *
 * The histogram's bucket k covers `(start + k·step, start + (k+1)·step]`, PromQL's window of
 * the `count_over_time` sample at its end. A drag selects a time range (mouse or touch via
 * pointer events); keyboard users set the range in the range picker, and zoom out with the
 * histogram's button. The canvas has `role="img"` and a text summary as its label;
 * `data-total`/`data-buckets` expose the numbers for tests and tools.
 */

export interface HistogramData {
  startMs: number;
  stepMs: number;
  counts: Float64Array;
  /** The counts split by level (bars stacked in this order, coloured by `--lvl-<name>`); their sum per bucket is `counts`. */
  byLevel?: { name: string; counts: Float64Array }[];
}

export interface ChartSeries {
  name: string;
  timesMs: Float64Array;
  values: Float64Array;
}

const PAD = { left: 48, right: 12, top: 10, bottom: 22 };
const TICK_STEPS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400].map((s) => s * 1000);
export const PALETTE = ['#4e8df5', '#e8743b', '#19a979', '#ed4a7b', '#945ecf', '#13a4b4', '#bf8f00', '#6f7c91'];

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** `12:30`, `12:30:15` or `09-24 12:30` (UTC), by the tick step and span. */
export function formatTick(ms: number, stepMs: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  if (spanMs > 2 * 86400_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return stepMs < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
}

function shortNumber(v: number): string {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/** A canvas sized to its box at device resolution; returns its 2D context in CSS pixels. */
function prepare(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.max(1, Math.round(width * dpr));
  canvas.height = Math.max(1, Math.round(height * dpr));
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/** Axes, grid and labels for `[startMs, endMs]` × `[0, yMax]`. */
function drawAxes(canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D, width: number, height: number, startMs: number, endMs: number, yMax: number): void {
  const fg = cssVar(canvas, '--muted', '#888');
  const grid = cssVar(canvas, '--grid', '#8884');
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = fg;
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  const plotH = height - PAD.top - PAD.bottom;
  for (const f of [0, 0.5, 1]) {
    const y = Math.round(PAD.top + plotH * (1 - f)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(PAD.left, y);
    ctx.lineTo(width - PAD.right, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(shortNumber(yMax * f), PAD.left - 6, y);
  }
  const span = Math.max(1, endMs - startMs);
  const plotW = width - PAD.left - PAD.right;
  const step = TICK_STEPS.find((s) => span / s <= Math.max(2, Math.floor(plotW / 90))) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let t = Math.ceil(startMs / step) * step; t <= endMs; t += step) {
    const x = PAD.left + ((t - startMs) / span) * plotW;
    // Labels at the plot's right edge would be cut: right-align them there.
    ctx.textAlign = x > width - PAD.right - 24 ? 'right' : 'center';
    ctx.fillText(formatTick(t, step, span), Math.min(x, width - 2), height - PAD.bottom + 5);
  }
}

/** The histogram of matching lines; a drag calls `onZoom(startMs, endMs)`. */
export class Histogram {
  private data: HistogramData | null = null;
  private drag: { x0: number; x1: number } | null = null;
  onZoom: (startMs: number, endMs: number) => void = () => {};

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly tooltip: HTMLElement,
  ) {
    canvas.addEventListener('pointerdown', (e) => {
      if (!this.data) return;
      canvas.setPointerCapture(e.pointerId);
      this.drag = { x0: e.offsetX, x1: e.offsetX };
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.drag) {
        this.drag.x1 = e.offsetX;
        this.draw();
      }
      this.hover(e.offsetX);
    });
    canvas.addEventListener('pointerup', (e) => {
      const d = this.drag;
      this.drag = null;
      if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
      this.draw();
      if (!d || !this.data || Math.abs(d.x1 - d.x0) < 4) return;
      const a = this.timeAt(Math.min(d.x0, d.x1));
      const b = this.timeAt(Math.max(d.x0, d.x1));
      if (b > a) this.onZoom(a, b);
    });
    canvas.addEventListener('pointerleave', () => (this.tooltip.hidden = true));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  setData(data: HistogramData | null): void {
    this.data = data;
    const total = data ? data.counts.reduce((a, b) => a + b, 0) : 0;
    this.canvas.dataset['total'] = String(total);
    this.canvas.dataset['buckets'] = String(data?.counts.length ?? 0);
    this.canvas.dataset['levels'] = data?.byLevel ? data.byLevel.map((l) => `${l.name}:${l.counts.reduce((a, b) => a + b, 0)}`).join(' ') : '';
    this.canvas.setAttribute(
      'aria-label',
      data ? `Histogram: ${total} matching lines in ${data.counts.length} buckets of ${data.stepMs / 1000}s; drag to zoom into a range` : 'Histogram: no data',
    );
    this.draw();
  }

  private span(): { start: number; end: number } {
    const d = this.data!;
    return { start: d.startMs, end: d.startMs + d.stepMs * d.counts.length };
  }

  private timeAt(x: number): number {
    const { start, end } = this.span();
    const plotW = this.canvas.clientWidth - PAD.left - PAD.right;
    const f = Math.max(0, Math.min(1, (x - PAD.left) / plotW));
    return Math.round(start + f * (end - start));
  }

  private hover(x: number): void {
    const d = this.data;
    if (!d) return;
    const k = Math.floor((this.timeAt(x) - d.startMs) / d.stepMs);
    if (k < 0 || k >= d.counts.length) {
      this.tooltip.hidden = true;
      return;
    }
    const a = new Date(d.startMs + k * d.stepMs).toISOString().slice(11, 19);
    const b = new Date(d.startMs + (k + 1) * d.stepMs).toISOString().slice(11, 19);
    const split = d.byLevel ? d.byLevel.filter((l) => l.counts[k]! > 0).map((l) => `${l.name} ${l.counts[k]}`) : [];
    this.tooltip.textContent = `${a}–${b} UTC: ${d.counts[k]} lines${split.length ? ` (${split.join(', ')})` : ''}`;
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${Math.min(x + 8, this.canvas.clientWidth - 180)}px`;
  }

  draw(): void {
    const { ctx, width, height } = prepare(this.canvas);
    const d = this.data;
    if (!d) return;
    const max = Math.max(1, ...d.counts);
    const { start, end } = this.span();
    drawAxes(this.canvas, ctx, width, height, start, end, max);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const bw = plotW / d.counts.length;
    const layers = d.byLevel ? d.byLevel.map((l) => ({ colour: cssVar(this.canvas, `--lvl-${l.name}`, '#6f7c91'), counts: l.counts })) : [{ colour: cssVar(this.canvas, '--bar', '#4e8df5'), counts: d.counts }];
    for (let k = 0; k < d.counts.length; k++) {
      let base = 0;
      for (const layer of layers) {
        const v = layer.counts[k]!;
        if (v <= 0) continue;
        const y0 = (base / max) * plotH;
        base += v;
        const h = Math.max(1, (base / max) * plotH - y0);
        ctx.fillStyle = layer.colour;
        ctx.fillRect(PAD.left + k * bw + (bw > 4 ? 0.5 : 0), PAD.top + plotH - y0 - h, Math.max(1, bw - (bw > 4 ? 1 : 0)), h);
      }
    }
    if (this.drag) {
      const x = Math.min(this.drag.x0, this.drag.x1);
      ctx.fillStyle = cssVar(this.canvas, '--selection', '#4e8df544');
      ctx.fillRect(x, PAD.top, Math.abs(this.drag.x1 - this.drag.x0), plotH);
    }
  }
}

/** Lines per series over `[startMs, endMs]`, with an HTML legend. */
export class TimeSeriesChart {
  private series: ChartSeries[] = [];
  private startMs = 0;
  private endMs = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly legend: HTMLElement,
  ) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  setData(series: ChartSeries[], startMs: number, endMs: number): void {
    this.series = series;
    this.startMs = startMs;
    this.endMs = endMs;
    this.canvas.dataset['series'] = String(series.length);
    this.canvas.setAttribute('aria-label', `Time series chart: ${series.length} series`);
    this.legend.innerHTML = '';
    series.forEach((s, i) => {
      const li = document.createElement('li');
      const last = s.values.length ? s.values[s.values.length - 1]! : NaN;
      li.innerHTML = `<span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>`;
      li.append(document.createTextNode(`${s.name} — last ${Number.isNaN(last) ? '–' : shortNumber(last)}`));
      this.legend.append(li);
    });
    this.draw();
  }

  draw(): void {
    const { ctx, width, height } = prepare(this.canvas);
    if (this.series.length === 0) return;
    let max = 0;
    for (const s of this.series) for (const v of s.values) if (Number.isFinite(v)) max = Math.max(max, v);
    max = max || 1;
    drawAxes(this.canvas, ctx, width, height, this.startMs, this.endMs, max);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const span = Math.max(1, this.endMs - this.startMs);
    this.series.forEach((s, i) => {
      ctx.strokeStyle = PALETTE[i % PALETTE.length]!;
      ctx.fillStyle = ctx.strokeStyle;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let prev = -Infinity;
      const gap = (span / Math.max(1, s.timesMs.length)) * 1.5;
      for (let k = 0; k < s.timesMs.length; k++) {
        const t = s.timesMs[k]!;
        const v = s.values[k]!;
        if (!Number.isFinite(v)) continue;
        const x = PAD.left + ((t - this.startMs) / span) * plotW;
        const y = PAD.top + plotH * (1 - v / max);
        if (t - prev > gap && s.timesMs.length > 1 && prev !== -Infinity) ctx.moveTo(x, y);
        else if (prev === -Infinity) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
        if (s.timesMs.length < 60) ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
        prev = t;
      }
      ctx.stroke();
    });
  }
}
