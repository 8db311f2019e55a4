/**
 * The query box: a textarea with a highlighted copy of its text drawn underneath (the
 * textarea's own text is transparent, its caret is not), a completion popup, and an inline
 * error marker.
 *
 * Why an overlay and not contenteditable: the textarea keeps native editing, undo, IME and
 * accessibility; the overlay is only paint (`aria-hidden`). Both use the same font, padding
 * and wrapping, and the overlay follows the textarea's scroll.
 *
 * Errors: the page parses as the user types (debounced) and calls {@link QueryEditor.setError}
 * with the parser's span; the span is underlined in the overlay (an empty span at the end gets
 * a visible marker) and the message goes into a live region linked by `aria-describedby`.
 *
 * Completion: `Ctrl+Space`, or typing inside a selector, asks the provider for items at the
 * caret ({@link completionContext}); the popup is an ARIA listbox driven by the keyboard
 * (↑/↓, Enter/Tab to accept, Esc to close) while focus stays in the textarea
 * (`aria-activedescendant`). `Ctrl+Enter` runs the query.
 */
import { completionContext, tokenize, type CompletionContext } from './query-text.ts';

export type CompletionProvider = (ctx: NonNullable<CompletionContext>) => Promise<string[]>;

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);

export class QueryEditor {
  readonly textarea: HTMLTextAreaElement;
  private readonly overlay: HTMLElement;
  private readonly popup: HTMLUListElement;
  private readonly errorBox: HTMLElement;
  private error: { start: number; end: number } | null = null;
  private items: string[] = [];
  private active = 0;
  private ctx: NonNullable<CompletionContext> | null = null;
  private completionSeq = 0;
  onRun: () => void = () => {};
  onInput: (text: string) => void = () => {};

  constructor(
    root: HTMLElement,
    errorBox: HTMLElement,
    private readonly provider: CompletionProvider,
  ) {
    this.textarea = root.querySelector('textarea')!;
    this.overlay = root.querySelector('.editor-hl')!;
    this.popup = root.querySelector('ul')!;
    this.errorBox = errorBox;
    this.textarea.addEventListener('input', () => {
      this.render();
      this.onInput(this.value);
      const ctx = completionContext(this.value, this.textarea.selectionStart);
      if (ctx && ctx.kind !== 'type') void this.complete();
      else if (ctx?.kind === 'type' && ctx.prefix.length > 0) void this.complete();
      else this.closePopup();
    });
    this.textarea.addEventListener('scroll', () => {
      this.overlay.scrollTop = this.textarea.scrollTop;
      this.overlay.scrollLeft = this.textarea.scrollLeft;
    });
    this.textarea.addEventListener('keydown', (e) => this.keydown(e));
    this.textarea.addEventListener('blur', () => setTimeout(() => this.closePopup(), 150));
    this.popup.addEventListener('mousedown', (e) => {
      const li = (e.target as HTMLElement).closest('li');
      if (!li) return;
      e.preventDefault();
      this.accept(Number(li.dataset['index']));
    });
    this.render();
  }

  get value(): string {
    return this.textarea.value;
  }

  set value(text: string) {
    this.textarea.value = text;
    this.render();
  }

  /** Marks `[start, end)` (0-based offsets) with `message`; null clears the marker. */
  setError(error: { message: string; span?: { start: number; end: number } | undefined } | null): void {
    this.error = error?.span ?? null;
    this.errorBox.textContent = error ? error.message : '';
    this.errorBox.hidden = error === null;
    this.textarea.setAttribute('aria-invalid', String(error !== null));
    this.render();
  }

  private render(): void {
    const text = this.value;
    const err = this.error;
    let html = '';
    const piece = (cls: string, from: number, to: number): void => {
      if (to <= from) return;
      const inErr = err !== null && from >= err.start && to <= Math.max(err.end, err.start + 1);
      html += `<span class="tok-${cls}${inErr ? ' err' : ''}">${escapeHtml(text.slice(from, to))}</span>`;
    };
    for (const t of tokenize(text)) {
      // Split the token at the error's boundaries so exactly the span is underlined.
      const cuts = [t.start, t.end];
      if (err) for (const c of [err.start, Math.max(err.end, err.start + 1)]) if (c > t.start && c < t.end) cuts.push(c);
      cuts.sort((a, b) => a - b);
      for (let i = 0; i + 1 < cuts.length; i++) piece(t.kind, cuts[i]!, cuts[i + 1]!);
    }
    if (err && err.start >= text.length) html += '<span class="err err-end"> </span>';
    // A trailing newline needs a character after it, or the overlay is one line short.
    this.overlay.innerHTML = html + '\n ';
    const lines = Math.min(6, text.split('\n').length);
    this.textarea.rows = Math.max(1, lines);
  }

  private keydown(e: KeyboardEvent): void {
    const open = !this.popup.hidden;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      this.closePopup();
      this.onRun();
    } else if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      void this.complete(true);
    } else if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      this.select((this.active + (e.key === 'ArrowDown' ? 1 : -1) + this.items.length) % this.items.length);
    } else if (open && (e.key === 'Enter' || e.key === 'Tab')) {
      e.preventDefault();
      this.accept(this.active);
    } else if (open && e.key === 'Escape') {
      e.preventDefault();
      this.closePopup();
    }
  }

  /** Asks the provider for items at the caret and shows them (nothing to show: closes). */
  async complete(explicit = false): Promise<void> {
    const ctx = completionContext(this.value, this.textarea.selectionStart);
    const seq = ++this.completionSeq;
    if (!ctx) {
      this.closePopup();
      return;
    }
    let items: string[] = [];
    try {
      items = await this.provider(ctx);
    } catch {
      items = [];
    }
    if (seq !== this.completionSeq) return;
    const p = ctx.prefix.toLowerCase();
    items = items.filter((i) => i.toLowerCase().startsWith(p) && (explicit || i !== ctx.prefix)).slice(0, 50);
    if (items.length === 0) {
      this.closePopup();
      return;
    }
    this.ctx = ctx;
    this.items = items;
    this.popup.innerHTML = items.map((it, i) => `<li role="option" id="completion-${i}" data-index="${i}">${escapeHtml(it)}</li>`).join('');
    this.popup.hidden = false;
    this.textarea.setAttribute('aria-expanded', 'true');
    this.position(ctx.from);
    this.select(0);
  }

  private select(i: number): void {
    this.active = i;
    this.popup.querySelectorAll('li').forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    this.popup.querySelector(`#completion-${i}`)?.scrollIntoView({ block: 'nearest' });
    this.textarea.setAttribute('aria-activedescendant', `completion-${i}`);
  }

  private accept(i: number): void {
    const ctx = this.ctx;
    const item = this.items[i];
    if (!ctx || item === undefined) return;
    const caret = this.textarea.selectionStart;
    let insert = item;
    if (ctx.kind === 'value' && ctx.quote === '"') insert = JSON.stringify(item).slice(1, -1);
    if (ctx.kind === 'label') insert = `${item}=""`;
    if (ctx.kind === 'type') insert = `${item}{}`;
    const text = this.value;
    const after = text.slice(caret);
    // A value gets its closing quote when the user has not typed one yet.
    if (ctx.kind === 'value' && !after.startsWith(ctx.quote)) insert += ctx.quote;
    this.textarea.value = text.slice(0, ctx.from) + insert + after;
    let caretAt = ctx.from + insert.length;
    if (ctx.kind === 'label') caretAt -= 1; // inside the quotes
    if (ctx.kind === 'type') caretAt -= 1; // inside the braces
    this.textarea.setSelectionRange(caretAt, caretAt);
    this.closePopup();
    this.render();
    this.onInput(this.value);
    this.textarea.focus();
    if (ctx.kind !== 'value') void this.complete();
  }

  closePopup(): void {
    this.popup.hidden = true;
    this.ctx = null;
    this.textarea.setAttribute('aria-expanded', 'false');
    this.textarea.removeAttribute('aria-activedescendant');
  }

  /** Puts the popup under the character at `offset` (monospace: columns × character width). */
  private position(offset: number): void {
    const before = this.value.slice(0, offset);
    const line = before.split('\n').length - 1;
    const column = before.length - before.lastIndexOf('\n') - 1;
    const style = getComputedStyle(this.textarea);
    const canvas = document.createElement('canvas').getContext('2d')!;
    canvas.font = `${style.fontSize} ${style.fontFamily}`;
    const charWidth = canvas.measureText('m').width;
    const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4;
    const left = parseFloat(style.paddingLeft) + column * charWidth - this.textarea.scrollLeft;
    const top = parseFloat(style.paddingTop) + (line + 1) * lineHeight - this.textarea.scrollTop;
    this.popup.style.left = `${Math.max(0, Math.min(left, this.textarea.clientWidth - 160))}px`;
    this.popup.style.top = `${top + 2}px`;
  }
}
