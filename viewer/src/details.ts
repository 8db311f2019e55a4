/**
 * The opened row: its time and level, the whole line (wrapped; a JSON line pretty-printed;
 * ANSI colours rendered, or stripped on request), its stream labels and the fields
 * `| json` / `| logfmt` parse from it. Each label and field has buttons that edit the
 * query (filter for, filter out), show it as a column, and copy its value; the line has a
 * copy button and "show context", a toggle: the page shows the lines of the same stream
 * around the row in the row list itself, with "more" in either direction (main.ts).
 *
 * The pane only renders and reports clicks (`on*` callbacks); the page edits the query and
 * runs the context queries (`main.ts`). Everything it shows comes from the loaded row.
 */
import { ansiHtml, prettyJson, stripAnsi, type Level, type ParsedFields } from './fields.ts';
import { formatTime } from './rows.ts';

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
  private contextShown = false;
  private raw = false;
  /** Filter for/out a stream label (`kind` label) or a parsed field (`kind` field, with its parser). */
  onFilter: (kind: Kind, name: string, value: string, include: boolean) => void = () => {};
  /** Toggle a parsed field as a column. */
  onColumn: (name: string) => void = () => {};
  /** Show (true) or hide the row's context in the list. */
  onContext: (show: boolean) => void = () => {};
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
      else if (action === 'context') this.onContext(!this.contextShown);
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

  /** Shows `row`; `context`: whether its context is shown in the list (the toggle's state). */
  show(row: DetailRow, context = false): void {
    this.row = row;
    this.contextShown = context;
    this.el.hidden = false;
    this.render();
  }

  hide(): void {
    this.el.hidden = true;
    this.row = null;
  }

  /** The open row moved in the list (context lines were put above it). */
  moveTo(index: number): void {
    if (this.row) this.row = { ...this.row, index };
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
    const pipeline = Object.entries(r.pipelineLabels);
    this.el.innerHTML =
      `<div class="detail-bar"><span class="lvl lvl-${r.level}" aria-hidden="true"></span><strong>${formatTime(r.timeNs, true)}</strong> <span class="level-name">${r.level}</span>` +
      `<span class="spacer"></span>` +
      `<button type="button" class="small" data-action="context" aria-pressed="${this.contextShown}" title="The lines before and after this one in its stream, in the list">Show context</button>` +
      `<button type="button" class="small" data-action="raw" aria-pressed="${this.raw}" title="Show the line as stored (no pretty-printing, colours stripped)">Raw</button>` +
      `<button type="button" class="small" data-action="copy" title="Copy the line">Copy line</button>` +
      `<button type="button" class="small" data-action="close" aria-label="Close the row (Escape)">✕</button></div>` +
      `<div class="detail-main"><div class="detail-text">` +
      `<pre class="detail-line${pretty ? ' json' : ''}">${body}</pre>` +
      `</div><div class="detail-tables">` +
      table('Stream labels', 'label', Object.entries(r.stream), false) +
      table(r.parsed.parser ? `Fields (| ${r.parsed.parser})` : 'Fields', 'field', r.parsed.fields, true) +
      table('Labels the query added', 'pipeline', pipeline, true) +
      `</div></div>`;
    this.el.dataset['parser'] = r.parsed.parser ?? '';
  }
}
