/**
 * The time range and auto-refresh: relative presets (the last 5m … 7d, resolved against the
 * clock at each run) or an absolute `[start, end]` in UTC, and how both travel in the URL
 * hash (with the query) so a copied link restores the view.
 */

export const PRESETS = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '7d'] as const;
export const REFRESH = ['off', '5s', '10s', '30s', '1m', '5m', '15m', '30m', '1h'] as const;

export type TimeRange = { kind: 'relative'; span: string } | { kind: 'absolute'; startMs: number; endMs: number };

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `15m` → 900000. */
export function durationMs(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The window in ns, inclusive: relative ranges end now. */
export function resolveRange(r: TimeRange, nowMs = Date.now()): { startNs: bigint; endNs: bigint } {
  if (r.kind === 'relative') {
    const end = BigInt(nowMs) * 1_000_000n;
    return { startNs: end - BigInt(durationMs(r.span)) * 1_000_000n, endNs: end };
  }
  return { startNs: BigInt(r.startMs) * 1_000_000n, endNs: BigInt(r.endMs) * 1_000_000n };
}

/** `2024-09-24T13:00:00Z` (seconds kept only when not whole minutes, ms only when present). */
export function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (ms % 1000 !== 0) return iso;
  return iso.slice(0, 19) + 'Z';
}

/** RFC 3339 / ISO text or Unix seconds → ms; NaN when unreadable. A time without a zone is UTC. */
export function parseUtc(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const zoned = /([zZ]|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`;
  return Date.parse(zoned.replace(' ', 'T'));
}

export function describeRange(r: TimeRange): string {
  return r.kind === 'relative' ? `Last ${r.span}` : `${formatUtc(r.startMs)} → ${formatUtc(r.endMs)}`;
}

/** What the URL hash holds. */
export interface ViewState {
  query: string;
  range: TimeRange;
  refresh: string;
  /** A server URL to connect to ('' = none). */
  server: string;
  /** How the rows are shown (absent: the defaults, no wrap, no columns, every level, no dedup). */
  wrap?: boolean;
  /** Parsed fields shown as columns. */
  cols?: string[];
  /** Levels shown (empty: all). */
  levels?: string[];
  dedup?: string;
  /** The page's view: the query view (absent) or `rules` (the Rules view, `rules.ts`). */
  view?: string;
  /** The Rules view's state filter (absent or empty: every state) and name filter. */
  ruleStates?: string[];
  ruleText?: string;
}

export function encodeState(s: ViewState): string {
  const p = new URLSearchParams();
  p.set('q', s.query);
  if (s.range.kind === 'relative') p.set('since', s.range.span);
  else {
    p.set('from', formatUtc(s.range.startMs));
    p.set('to', formatUtc(s.range.endMs));
  }
  if (s.refresh !== 'off') p.set('refresh', s.refresh);
  if (s.server) p.set('server', s.server);
  if (s.wrap) p.set('wrap', '1');
  if (s.cols?.length) p.set('cols', s.cols.join(','));
  if (s.levels?.length) p.set('levels', s.levels.join(','));
  if (s.dedup && s.dedup !== 'none') p.set('dedup', s.dedup);
  if (s.view && s.view !== 'query') p.set('view', s.view);
  if (s.ruleStates?.length) p.set('rstates', s.ruleStates.join(','));
  if (s.ruleText) p.set('rfilter', s.ruleText);
  return '#' + p.toString();
}

export function decodeState(hash: string): Partial<ViewState> {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const out: Partial<ViewState> = {};
  const q = p.get('q');
  if (q !== null) out.query = q;
  const since = p.get('since');
  const from = p.get('from');
  const to = p.get('to');
  if (since && /^\d+[smhdw]$/.test(since)) out.range = { kind: 'relative', span: since };
  else if (from && to && !Number.isNaN(parseUtc(from)) && !Number.isNaN(parseUtc(to))) out.range = { kind: 'absolute', startMs: parseUtc(from), endMs: parseUtc(to) };
  const refresh = p.get('refresh');
  if (refresh && (REFRESH as readonly string[]).includes(refresh)) out.refresh = refresh;
  const server = p.get('server');
  if (server !== null) out.server = server;
  if (p.get('wrap') === '1') out.wrap = true;
  const list = (k: string) => (p.get(k) ?? '').split(',').filter((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v));
  if (p.has('cols')) out.cols = list('cols');
  if (p.has('levels')) out.levels = list('levels');
  const dedup = p.get('dedup');
  if (dedup) out.dedup = dedup;
  const view = p.get('view');
  if (view) out.view = view;
  if (p.has('rstates')) out.ruleStates = list('rstates');
  const rfilter = p.get('rfilter');
  if (rfilter) out.ruleText = rfilter;
  return out;
}

/**
 * A step in ms giving at most 100 buckets over `spanMs` that cover `[start, end]` with both
 * ends inclusive: 100 steps exceed the span (by at most 100 ms), so the last bucket holds `end`.
 */
export function histogramStepMs(spanMs: number): number {
  return Math.floor(spanMs / 100) + 1;
}
