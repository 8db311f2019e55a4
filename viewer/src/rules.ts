/**
 * The Rules view: a server's ruler as `GET /api/v1/rules` reports it (`src/server/rules-routes.ts`,
 * Prometheus's shapes), shown in server mode when the server runs rules (`letheql serve --rules`).
 *
 * Each group (name, file, interval, last evaluation and its duration) lists its rules: alert or
 * record, name, state (a coloured mark, as the level marks of the rows), health with `lastError`
 * in full when set, last evaluation, the expression, and a link that opens the query view on the
 * rule's query (the rule's `viewerURL`, the ruler's own link: `src/rules/links.ts`). An alerting
 * rule's active alerts (labels, annotations with their sample lines, state, activeAt, value)
 * open under it; what is open stays open across refreshes.
 *
 * Filters: states (firing, pending, inactive; none on = all) keep the alerting rules in those
 * states — recording rules have no state and show only while no state is picked — and a text
 * that a rule's or its group's name must contain (case-insensitive). Groups with nothing left
 * are not drawn. The filters are plain data ({@link RulesFilter}); the page keeps them in the
 * share link. The view reloads on Refresh and every {@link REFRESH_MS} while shown and the
 * page is visible; an older answer never replaces a newer one.
 *
 * The view only renders and reports (`on*` callbacks); the page owns the source, the URL and
 * the query view.
 */

export const RULE_STATES = ['firing', 'pending', 'inactive'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** One alert of an alerting rule, as `/api/v1/rules` gives it. */
export interface AlertInfo {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: RuleState;
  activeAt: string;
  keepFiringSince?: string;
  /** Go's `%e` text (`2.4e+01`). */
  value: string;
}

/** One rule, as `/api/v1/rules` gives it. */
export interface RuleInfo {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  labels?: Record<string, string>;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
  /** Alerting rules only. */
  state?: RuleState;
  duration?: number;
  keepFiringFor?: number;
  annotations?: Record<string, string>;
  alerts?: AlertInfo[];
  /** letheql's: the viewer's share link on the rule's query (absent from other rulers). */
  viewerURL?: string;
}

/** One rule group, as `/api/v1/rules` gives it. */
export interface RuleGroupInfo {
  name: string;
  file: string;
  /** Seconds. */
  interval: number;
  limit?: number;
  evaluationTime: number;
  lastEvaluation: string;
  rules: RuleInfo[];
}

/** What the view shows: states picked (empty: all) and a name filter. */
export interface RulesFilter {
  states: RuleState[];
  text: string;
}

/** Loads the groups; null when the server runs no ruler (404). */
export type RulesLoader = (signal: AbortSignal) => Promise<RuleGroupInfo[] | null>;

export const REFRESH_MS = 15_000;

/** Prometheus's zero time: never evaluated. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);

/** Does `rule` of `group` pass `filter`? */
export function ruleShown(rule: RuleInfo, group: RuleGroupInfo, filter: RulesFilter): boolean {
  if (filter.states.length > 0 && (rule.type !== 'alerting' || !filter.states.includes(rule.state ?? 'inactive'))) return false;
  const t = filter.text.trim().toLowerCase();
  return t === '' || rule.name.toLowerCase().includes(t) || group.name.toLowerCase().includes(t);
}

/** The groups with their rules that pass `filter` (groups left empty dropped). */
export function filterGroups(groups: readonly RuleGroupInfo[], filter: RulesFilter): RuleGroupInfo[] {
  return groups.map((g) => ({ ...g, rules: g.rules.filter((r) => ruleShown(r, g, filter)) })).filter((g) => g.rules.length > 0);
}

/** Alerting rules per state, over every group (the state buttons' counts). */
export function stateCounts(groups: readonly RuleGroupInfo[]): Record<RuleState, number> {
  const out = { firing: 0, pending: 0, inactive: 0 };
  for (const g of groups) for (const r of g.rules) if (r.type === 'alerting') out[r.state ?? 'inactive']++;
  return out;
}

/** RFC 3339 (any fraction) → ms; null for the zero time or unreadable text. */
export function parseApiTime(text: string): number | null {
  if (!text || text === ZERO_TIME) return null;
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? null : ms;
}

/** `2024-09-24 16:00:05Z (12 s ago)`; `never` before the first evaluation. */
export function describeTime(text: string, nowMs: number): string {
  const ms = parseApiTime(text);
  if (ms === null) return 'never';
  const ago = Math.round((nowMs - ms) / 1000);
  const iso = new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  return `${iso} (${ago < 0 ? 'in the future' : ago < 90 ? `${ago} s ago` : ago < 5400 ? `${Math.round(ago / 60)} min ago` : `${Math.round(ago / 3600)} h ago`})`;
}

/** Seconds → `15s`, `1m`, `1m30s`, `2h`. */
export function describeSeconds(s: number): string {
  if (s === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(s);
  for (const [unit, n] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${unit}`);
      rest %= n;
    }
  }
  return parts.join('') || `${s}s`;
}

function describeDuration(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
}

const chips = (labels: Record<string, string>, cls = 'chip'): string =>
  Object.entries(labels)
    .map(([k, v]) => `<span class="${cls}">${esc(k)}=${esc(v)}</span>`)
    .join('');

export class RulesView {
  private groups: RuleGroupInfo[] | null = null;
  /** The server answered 404: it runs no ruler. */
  private noRuler = false;
  private loader: RulesLoader | null = null;
  private filter: RulesFilter = { states: [], text: '' };
  private timer: ReturnType<typeof setInterval> | null = null;
  private loading: AbortController | null = null;
  private seq = 0;
  private shown = false;
  private readonly open = new Set<string>();
  private readonly listEl: HTMLElement;
  private readonly statesEl: HTMLElement;
  private readonly textEl: HTMLInputElement;
  private readonly noteEl: HTMLElement;
  /** A rule's link was clicked (plain click): `viewerURL` as the server gave it. */
  onOpenQuery: (viewerURL: string) => void = () => {};
  /** The filter changed (the page saves it in the URL). */
  onFilter: (filter: RulesFilter) => void = () => {};
  /** The href of a rule's link (the page's own share link for it). */
  linkHref: (viewerURL: string) => string = (u) => u;

  constructor(root: HTMLElement) {
    this.listEl = root.querySelector<HTMLElement>('#rules')!;
    this.statesEl = root.querySelector<HTMLElement>('#rule-states')!;
    this.textEl = root.querySelector<HTMLInputElement>('#rule-filter')!;
    this.noteEl = root.querySelector<HTMLElement>('#rules-note')!;
    root.querySelector('#rules-refresh')!.addEventListener('click', () => void this.refresh());
    this.statesEl.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-state]');
      if (!b) return;
      const s = b.dataset['state'] as RuleState;
      const states = this.filter.states.includes(s) ? this.filter.states.filter((x) => x !== s) : [...this.filter.states, s];
      this.setFilter({ ...this.filter, states: RULE_STATES.filter((x) => states.includes(x)) });
    });
    this.textEl.addEventListener('input', () => this.setFilter({ ...this.filter, text: this.textEl.value }));
    this.listEl.addEventListener('click', (e) => {
      const a = (e.target as HTMLElement).closest<HTMLAnchorElement>('a[data-viewer-url]');
      if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      this.onOpenQuery(a.dataset['viewerUrl']!);
    });
    // Which alert lists are open survives a refresh's redraw.
    this.listEl.addEventListener(
      'toggle',
      (e) => {
        const d = e.target as HTMLDetailsElement;
        const key = d.dataset['key'];
        if (!key) return;
        if (d.open) this.open.add(key);
        else this.open.delete(key);
      },
      true,
    );
    document.addEventListener('visibilitychange', () => {
      if (this.shown && document.visibilityState === 'visible') void this.refresh();
    });
    this.renderStates();
  }

  get currentFilter(): RulesFilter {
    return { states: [...this.filter.states], text: this.filter.text };
  }

  /** Sets the filter (from the URL, or a click) and redraws. */
  setFilter(f: RulesFilter, notify = true): void {
    this.filter = { states: RULE_STATES.filter((s) => f.states.includes(s)), text: f.text };
    if (this.textEl.value !== f.text) this.textEl.value = f.text;
    this.render();
    if (notify) this.onFilter(this.currentFilter);
  }

  /** Where the rules come from (null: no server); clears what was shown. */
  setLoader(loader: RulesLoader | null): void {
    this.loader = loader;
    this.groups = null;
    this.noRuler = false;
    this.loading?.abort();
    this.open.clear();
    this.render();
    if (this.shown) void this.refresh();
  }

  /** Shows the view: loads now and every {@link REFRESH_MS} while the page is visible. */
  show(): void {
    this.shown = true;
    if (!this.timer) {
      this.timer = setInterval(() => {
        if (document.visibilityState === 'visible') void this.refresh();
      }, REFRESH_MS);
    }
    void this.refresh();
  }

  hide(): void {
    this.shown = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.loading?.abort();
  }

  /** Loads the groups again and redraws. */
  async refresh(): Promise<void> {
    const loader = this.loader;
    if (!loader) {
      this.render();
      return;
    }
    this.loading?.abort();
    const ac = new AbortController();
    this.loading = ac;
    const seq = ++this.seq;
    this.listEl.setAttribute('aria-busy', 'true');
    try {
      const groups = await loader(ac.signal);
      if (seq !== this.seq) return;
      this.groups = groups;
      this.noRuler = groups === null;
      this.listEl.dataset['loads'] = String(Number(this.listEl.dataset['loads'] ?? 0) + 1);
      this.render();
    } catch (e) {
      if (seq !== this.seq || ac.signal.aborted) return;
      const message = `Could not load the rules: ${e instanceof Error ? e.message : String(e)}`;
      if (this.groups === null) this.listEl.innerHTML = `<p class="rules-empty error">${esc(message)}</p>`;
      this.noteEl.textContent = message;
      this.noteEl.classList.add('error');
    } finally {
      if (seq === this.seq) this.listEl.removeAttribute('aria-busy');
    }
  }

  private renderStates(): void {
    const counts = this.groups ? stateCounts(this.groups) : null;
    this.statesEl.replaceChildren(
      ...RULE_STATES.map((s) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'small level-btn';
        b.dataset['state'] = s;
        b.setAttribute('aria-pressed', String(this.filter.states.includes(s)));
        b.innerHTML = `<span class="lvl rule-${s}" aria-hidden="true"></span>${s}${counts ? ` <span class="muted">${counts[s]}</span>` : ''}`;
        b.title = `Show only ${s} alerting rules (toggle; several may be on)`;
        return b;
      }),
    );
  }

  private render(): void {
    this.renderStates();
    this.noteEl.classList.remove('error');
    const el = this.listEl;
    if (!this.loader) {
      el.dataset['ruler'] = 'none';
      el.innerHTML = '<p class="muted rules-empty">Rules are shown when connected to a server (<code>letheql serve --rules FILE…</code>).</p>';
      this.noteEl.textContent = '';
      return;
    }
    if (this.noRuler) {
      el.dataset['ruler'] = 'none';
      el.innerHTML = '<p class="muted rules-empty">This server runs no rules (start it with <code>letheql serve --rules FILE…</code>).</p>';
      this.noteEl.textContent = '';
      return;
    }
    if (this.groups === null) {
      el.innerHTML = '<p class="muted rules-empty">Loading the rules…</p>';
      return;
    }
    delete el.dataset['ruler'];
    const now = Date.now();
    const shown = filterGroups(this.groups, this.filter);
    const total = this.groups.reduce((n, g) => n + g.rules.length, 0);
    const kept = shown.reduce((n, g) => n + g.rules.length, 0);
    this.noteEl.textContent = `${kept === total ? `${total} rules` : `${kept} of ${total} rules shown`} in ${this.groups.length} group${this.groups.length === 1 ? '' : 's'} · updated ${new Date(now).toISOString().slice(11, 19)}Z`;
    if (this.groups.length === 0) {
      el.innerHTML = '<p class="muted rules-empty">The server runs a ruler with no rule groups.</p>';
      return;
    }
    if (shown.length === 0) {
      el.innerHTML = '<p class="muted rules-empty">No rule matches the filters.</p>';
      return;
    }
    el.innerHTML = shown.map((g) => this.groupHtml(g, now)).join('');
    el.querySelectorAll<HTMLDetailsElement>('details[data-key]').forEach((d) => (d.open = this.open.has(d.dataset['key']!)));
  }

  private groupHtml(g: RuleGroupInfo, now: number): string {
    const key = (r: RuleInfo) => `${g.file}\u0000${g.name}\u0000${r.type}\u0000${r.name}\u0000${r.query}`;
    return (
      `<section class="rule-group" data-group="${esc(g.name)}" aria-label="Group ${esc(g.name)}">` +
      `<header class="rule-group-head"><h3>${esc(g.name)}</h3><span class="muted" title="Rule file">${esc(g.file)}</span>` +
      `<span class="muted">every ${describeSeconds(g.interval)}</span>` +
      `<span class="muted" data-field="group-last">last evaluation ${esc(describeTime(g.lastEvaluation, now))}${parseApiTime(g.lastEvaluation) !== null ? ` in ${describeDuration(g.evaluationTime)}` : ''}</span></header>` +
      `<table class="rule-table"><thead><tr><th>State</th><th>Rule</th><th>Health</th><th>Last evaluation</th><th>Expression</th><th></th></tr></thead>` +
      g.rules.map((r) => this.ruleHtml(r, key(r), now)).join('') +
      `</table></section>`
    );
  }

  private ruleHtml(r: RuleInfo, key: string, now: number): string {
    const alerting = r.type === 'alerting';
    const state = alerting ? (r.state ?? 'inactive') : null;
    const mark = state ? `<span class="lvl rule-${state}" aria-hidden="true"></span>${state}` : '<span class="muted">—</span>';
    const kind = alerting ? 'alert' : 'record';
    const href = r.viewerURL ? this.linkHref(r.viewerURL) : '';
    const meta = [alerting && r.duration ? `for ${describeSeconds(r.duration)}` : '', alerting && r.keepFiringFor ? `keep firing ${describeSeconds(r.keepFiringFor)}` : ''].filter(Boolean).join(' · ');
    let html =
      `<tbody class="rule" data-rule="${esc(r.name)}" data-type="${kind}"${state ? ` data-state="${state}"` : ''} data-health="${r.health}">` +
      `<tr><td class="rule-state">${mark}</td>` +
      `<td><span class="rule-kind rule-kind-${kind}">${kind}</span> <span class="rule-name">${esc(r.name)}</span>${meta ? ` <span class="muted">${esc(meta)}</span>` : ''}` +
      `${r.labels && Object.keys(r.labels).length ? `<div class="rule-labels">${chips(r.labels, 'chip parsed')}</div>` : ''}</td>` +
      `<td class="rule-health health-${r.health}">${r.health}</td>` +
      `<td class="rule-last">${esc(describeTime(r.lastEvaluation, now))}${parseApiTime(r.lastEvaluation) !== null ? `<div class="muted">took ${describeDuration(r.evaluationTime)}</div>` : ''}</td>` +
      `<td class="rule-expr"><code>${esc(r.query)}</code></td>` +
      `<td>${href ? `<a class="rule-link" href="${esc(href)}" data-viewer-url="${esc(r.viewerURL!)}" title="Open the query view on this rule's query, up to its last evaluation">Open query</a>` : ''}</td></tr>`;
    if (r.lastError) html += `<tr class="rule-error-row"><td></td><td colspan="5"><div class="rule-error" role="note"><strong>Error:</strong> <span class="rule-error-text">${esc(r.lastError)}</span></div></td></tr>`;
    const alerts = r.alerts ?? [];
    if (alerting && alerts.length > 0) {
      html +=
        `<tr class="rule-alerts-row"><td></td><td colspan="5"><details class="rule-alerts" data-key="${esc(key)}"><summary>${alerts.length} active alert${alerts.length === 1 ? '' : 's'}</summary>` +
        alerts.map((a) => alertHtml(a, now)).join('') +
        `</details></td></tr>`;
    }
    return html + '</tbody>';
  }
}

function alertHtml(a: AlertInfo, now: number): string {
  const notes = Object.entries(a.annotations)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === 'sample_lines' || v.includes('\n') ? `<pre class="sample-lines">${esc(v)}</pre>` : esc(v)}</dd>`)
    .join('');
  return (
    `<div class="alert" data-state="${a.state}">` +
    `<div class="alert-head"><span class="lvl rule-${a.state}" aria-hidden="true"></span><strong>${a.state}</strong>` +
    `<span class="muted">active since ${esc(describeTime(a.activeAt, now))}</span>` +
    `<span class="muted">value <span class="alert-value">${esc(a.value)}</span></span>` +
    (a.keepFiringSince ? `<span class="muted">kept firing since ${esc(describeTime(a.keepFiringSince, now))}</span>` : '') +
    `</div><div class="alert-labels">${chips(a.labels)}</div>` +
    (notes ? `<dl class="alert-annotations">${notes}</dl>` : '') +
    `</div>`
  );
}
