/**
 * The opened row: its time and level, the whole line (wrapped; a JSON line pretty-printed;
 * ANSI colours rendered, or stripped on request), its stream labels and the fields
 * `| json` / `| logfmt` parse from it. Each label and field has buttons that edit the
 * query (filter for, filter out), show it as a column, and copy its value; the line has a
 * copy button and "show context", whose lines of the same stream appear around it with
 * "more" in either direction.
 *
 * The pane only renders and reports clicks (`on*` callbacks); the page edits the query and
 * runs the context queries (`main.ts`). Everything it shows comes from the loaded row.
 */
import { ansiHtml, prettyJson, stripAnsi, type Level, type ParsedFields } from './fields.ts';
import { formatTime } from './rows.ts';

/** One line of context (a neighbour in the row's stream). */
export interface ContextLine {
  timeNs: bigint;
  line: string;
}

/** What the pane shows for one row. */
export interface DetailRow {
  index: number;
  timeNs: bigint;
  line: string;
  level: Level;
  stream: Record<string, string>;
  /** Labels a pipeline of the query added (already columns of the result). */
  pipelineLabels: Record<string, string>;
  parsed: ParsedFields;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);

/** What a filter button filters on: a stream label, a field the row's parser finds, a label the query's pipeline already adds. */
export type Kind = 'label' | 'field' | 'pipeline';

export class DetailPane {
  private row: DetailRow | null = null;
  private before: ContextLine[] = [];
  private after: ContextLine[] = [];
  private contextShown = false;
  private raw = false;
  /** Filter for/out a stream label (`kind` label) or a parsed field (`kind` field, with its parser). */
  onFilter: (kind: Kind, name: string, value: string, include: boolean) => void = () => {};
  /** Toggle a parsed field as a column. */
  onColumn: (name: string) => void = () => {};
  /** Load (more) context lines before or after. */
  onContext: (dir: 'before' | 'after') => void = () => {};
  onClose: () => void = () => {};
  /** Is `name` shown as a column? */
  isColumn: (name: string) => boolean = () => false;

  constructor(private readonly el: HTMLElement) {
    el.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
      if (!b) return;
      const { action, kind, name, value } = b.dataset as Record<string, string>;
      if (action === 'for' || action === 'out') this.onFilter(kind as Kind, name!, value!, action === 'for');
      else if (action === 'column') this.onColumn(name!);
      else if (action === 'copy') void this.copy(value ?? this.row?.line ?? '', b);
      else if (action === 'context') {
        this.contextShown = true;
        this.onContext('before');
        this.onContext('after');
      } else if (action === 'more-before') this.onContext('before');
      else if (action === 'more-after') this.onContext('after');
      else if (action === 'raw') {
        this.raw = !this.raw;
        this.render();
      } else if (action === 'close') this.onClose();
    });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  get index(): number {
    return this.row?.index ?? -1;
  }

  get current(): DetailRow | null {
    return this.row;
  }

  show(row: DetailRow): void {
    if (this.row?.index !== row.index) {
      this.before = [];
      this.after = [];
      this.contextShown = false;
    }
    this.row = row;
    this.el.hidden = false;
    this.render();
  }

  hide(): void {
    this.el.hidden = true;
    this.row = null;
  }

  /** Adds context lines: `before` oldest first, ending next to the row; `after` oldest first. `exhausted`: no more in that direction (in the searched window). */
  addContext(dir: 'before' | 'after', lines: ContextLine[], note: string): void {
    if (dir === 'before') this.before = [...lines, ...this.before];
    else this.after = [...this.after, ...lines];
    this.contextShown = true;
    this.render();
    const n = this.el.querySelector<HTMLElement>(`.ctx-note-${dir}`);
    if (n) n.textContent = note;
  }

  /** The oldest (before) or newest (after) time shown, or the row's time. */
  edgeNs(dir: 'before' | 'after'): bigint {
    const r = this.row!;
    if (dir === 'before') return this.before.length ? this.before[0]!.timeNs : r.timeNs;
    return this.after.length ? this.after[this.after.length - 1]!.timeNs : r.timeNs;
  }

  private async copy(text: string, b: HTMLButtonElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      b.dataset['copied'] = 'true';
      b.title = 'Copied';
    } catch {
      b.title = 'Copy failed (clipboard unavailable)';
    }
  }

  private render(): void {
    const r = this.row;
    if (!r) return;
    const buttons = (kind: Kind, name: string, value: string, column: boolean) =>
      `<button type="button" class="icon" data-action="for" data-kind="${kind}" data-name="${esc(name)}" data-value="${esc(value)}" title="Filter for ${esc(name)}=${esc(value)}" aria-label="Filter for ${esc(name)}=${esc(value)}">⊕</button>` +
      `<button type="button" class="icon" data-action="out" data-kind="${kind}" data-name="${esc(name)}" data-value="${esc(value)}" title="Filter out ${esc(name)}=${esc(value)}" aria-label="Filter out ${esc(name)}=${esc(value)}">⊖</button>` +
      (column ? `<button type="button" class="icon" data-action="column" data-name="${esc(name)}" aria-pressed="${this.isColumn(name)}" title="Show ${esc(name)} as a column" aria-label="Show ${esc(name)} as a column">▥</button>` : '') +
      `<button type="button" class="icon" data-action="copy" data-value="${esc(value)}" title="Copy the value" aria-label="Copy ${esc(name)}">copy</button>`;
    const table = (title: string, kind: Kind, entries: [string, string][], column: boolean) =>
      entries.length === 0
        ? ''
        : `<table class="fields" data-kind="${kind}"><caption>${title}</caption><tbody>${entries
            .map(([k, v]) => `<tr data-name="${esc(k)}"><th scope="row">${esc(k)}</th><td class="v">${esc(v)}</td><td class="b">${buttons(kind, k, v, column)}</td></tr>`)
            .join('')}</tbody></table>`;
    const pretty = this.raw ? null : prettyJson(stripAnsi(r.line));
    const body = pretty ?? (this.raw ? esc(stripAnsi(r.line)) : ansiHtml(r.line));
    const ctxLine = (c: ContextLine) => `<li><span class="c-time">${formatTime(c.timeNs)}</span> <span class="ctx-text">${ansiHtml(c.line)}</span></li>`;
    const context = this.contextShown
      ? {
          before: `<div class="ctx" data-dir="before"><button type="button" data-action="more-before" class="small">More before</button> <span class="muted ctx-note-before"></span><ol class="ctx-lines ctx-before">${this.before.map(ctxLine).join('')}</ol></div>`,
          after: `<div class="ctx" data-dir="after"><ol class="ctx-lines ctx-after">${this.after.map(ctxLine).join('')}</ol><button type="button" data-action="more-after" class="small">More after</button> <span class="muted ctx-note-after"></span></div>`,
        }
      : { before: '', after: '' };
    const pipeline = Object.entries(r.pipelineLabels);
    this.el.innerHTML =
      `<div class="detail-bar"><span class="lvl lvl-${r.level}" aria-hidden="true"></span><strong>${formatTime(r.timeNs, true)}</strong> <span class="level-name">${r.level}</span>` +
      `<span class="spacer"></span>` +
      `<button type="button" class="small" data-action="context" aria-pressed="${this.contextShown}">Show context</button>` +
      `<button type="button" class="small" data-action="raw" aria-pressed="${this.raw}" title="Show the line as stored (no pretty-printing, colours stripped)">Raw</button>` +
      `<button type="button" class="small" data-action="copy" title="Copy the line">Copy line</button>` +
      `<button type="button" class="small" data-action="close" aria-label="Close the row (Escape)">✕</button></div>` +
      `<div class="detail-main"><div class="detail-text">` +
      context.before +
      `<pre class="detail-line${pretty ? ' json' : ''}">${body}</pre>` +
      context.after +
      `</div><div class="detail-tables">` +
      table('Stream labels', 'label', Object.entries(r.stream), false) +
      table(r.parsed.parser ? `Fields (| ${r.parsed.parser})` : 'Fields', 'field', r.parsed.fields, true) +
      table('Labels the query added', 'pipeline', pipeline, true) +
      `</div></div>`;
    this.el.dataset['parser'] = r.parsed.parser ?? '';
  }
}
