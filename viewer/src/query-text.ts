/**
 * What the page needs to know about LetheQL text, without running anything: the library's
 * own parser (`safeParseQuery`, so error spans are exactly the engine's), whether a query is
 * a log or a metric query, the positive line filters to highlight in rows, the query that
 * counts a log query's lines per bucket for the histogram, and selector rewriting for the
 * targets tree. Also a small tokenizer for syntax colouring: it never fails (any character
 * it does not know is plain text) and runs on every keystroke, so it is a single pass.
 */
import { safeParseQuery } from '../../src/query/index.js';
import type { Expr, VectorSelector } from '../../src/query/ast.js';
import type { ErrorInfo } from './protocol.js';

export type Checked = { ok: true; expr: Expr } | { ok: false; error: ErrorInfo };

/** Parses `text`; an error carries its span as 0-based offsets. */
export function checkQuery(text: string): Checked {
  const r = safeParseQuery(text);
  if (r.ok) return { ok: true, expr: r.expr };
  const { error } = r;
  return { ok: false, error: { code: error.code, message: error.message, span: { start: error.span.start.offset, end: error.span.end.offset } } };
}

/** The log selector of a log query (through parentheses), or null for a metric query. */
export function logSelector(expr: Expr): VectorSelector | null {
  let e = expr;
  while (e.kind === 'ParenExpr') e = e.expr;
  return e.kind === 'VectorSelector' && (e.name === 'pod' || e.name === 'node') ? e : null;
}

/**
 * Matchers for the parts of a message the query's positive line filters (`|=`, `|~`) match,
 * one global RegExp per filter. A regex JS cannot compile as written (RE2-only syntax) is
 * skipped silently: highlighting is a hint, never a second engine.
 */
export function highlightersFor(sel: VectorSelector | null): RegExp[] {
  if (sel === null) return [];
  const out: RegExp[] = [];
  for (const f of sel.lineFilters) {
    if (f.value === '') continue;
    if (f.op === '|=') out.push(new RegExp(f.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu'));
    else if (f.op === '|~') {
      let source = f.value;
      let flags = 'gu';
      const inline = /^\(\?([ims]+)\)/.exec(source);
      if (inline) {
        source = source.slice(inline[0].length);
        flags += inline[1]!;
      }
      try {
        out.push(new RegExp(source, flags));
      } catch {
        /* RE2-only syntax: no highlight for this filter */
      }
    }
  }
  return out;
}

/** The merged, sorted `[start, end)` ranges of `text` that any of `res` matches (empty matches ignored). */
export function matchRanges(text: string, res: readonly RegExp[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const re of res) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    let guard = 0;
    while ((m = re.exec(text)) !== null && guard++ < 1000) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      ranges.push([m.index, m.index + m[0].length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** `sum(count_over_time(<query> [<step>]))`: every matching line, counted per bucket. The newline ends a `#` comment. */
export function histogramQuery(logQuery: string, stepMs: number): string {
  return `sum(count_over_time(${logQuery}\n[${stepMs}ms]))`;
}

/**
 * The histogram's count split by level: `sum by (detected_level) (count_over_time(<query>
 * | label_format detected_level=`{{ __detected_level__ }}` [<step>]))`, the line's level as the
 * engine detects it (`pipeline/detected.ts`), so local stores and servers split alike.
 */
export function levelHistogramQuery(logQuery: string, stepMs: number): string {
  return `sum by (detected_level) (count_over_time(${logQuery}\n| label_format detected_level=\`{{ __detected_level__ }}\`\n[${stepMs}ms]))`;
}

/**
 * Replaces the query's leading selector (`pod{…}` / `node{…}`) with `selector`, keeping its
 * filters; a query without one gets `selector` in front.
 */
export function withSelector(query: string, selector: string): string {
  const m = /(^|[\s(])(pod|node)\s*\{[^}]*\}/.exec(query);
  if (m) return query.slice(0, m.index + m[1]!.length) + selector + query.slice(m.index + m[0].length);
  return query.trim() === '' ? selector : `${selector} ${query.trim()}`;
}

/** A double-quoted LetheQL string. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

export type TokenKind = 'comment' | 'string' | 'number' | 'type' | 'keyword' | 'function' | 'label' | 'op' | 'punct' | 'text';
export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

const KEYWORDS = new Set(['by', 'without', 'bool', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'and', 'or', 'unless', 'json', 'logfmt', 'regexp', 'pattern', 'line_format', 'label_format', 'unwrap', 'drop', 'keep']);
const OPS = ['|=', '!=', '|~', '!~', '=~', '==', '>=', '<=', '=', '>', '<', '+', '-', '*', '/', '%', '^', '|'];

/** Splits `text` into coloured tokens, covering every character. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let braceDepth = 0;
  const push = (kind: TokenKind, start: number, end: number) => out.push({ kind, start, end });
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      push('comment', start, i);
    } else if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && c !== '`') i++;
        if (text[i] === '\n' && c !== '`') break;
        i++;
      }
      i = Math.min(text.length, i + 1);
      push('string', start, i);
    } else if (/[0-9]/.test(c)) {
      while (i < text.length && /[0-9a-zA-Z.]/.test(text[i]!)) i++;
      push('number', start, i);
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_:]/.test(text[i]!)) i++;
      const word = text.slice(start, i);
      let j = i;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      const next = text[j];
      if (braceDepth > 0) push('label', start, i);
      else if ((word === 'pod' || word === 'node') && next !== '(') push('type', start, i);
      else if (next === '(' && !KEYWORDS.has(word.toLowerCase())) push('function', start, i);
      else if (KEYWORDS.has(word.toLowerCase())) push('keyword', start, i);
      else push('text', start, i);
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (op) {
        i += op.length;
        push('op', start, i);
      } else {
        if (c === '{') braceDepth++;
        if (c === '}') braceDepth = Math.max(0, braceDepth - 1);
        i++;
        push(/[{}()[\],]/.test(c) ? 'punct' : 'text', start, i);
      }
    }
  }
  return out;
}

/**
 * What completion should offer at `caret`: log types at the start of a selector, label names
 * inside braces, label values inside a matcher's string.
 */
export type CompletionContext =
  | { kind: 'type'; from: number; prefix: string }
  | { kind: 'label'; logType: string; from: number; prefix: string; used: string[] }
  | { kind: 'value'; logType: string; label: string; from: number; prefix: string; quote: string }
  | null;

export function completionContext(text: string, caret: number): CompletionContext {
  const before = text.slice(0, caret);
  // Inside a string value of a matcher: `type{… label op "prefix`
  const value = /(pod|node)\s*\{([^{}]*?)([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(["'`])((?:\\.|[^"'`\\])*)$/.exec(before);
  if (value) return { kind: 'value', logType: value[1]!, label: value[3]!, from: caret - value[6]!.length, prefix: value[6]!, quote: value[5]! };
  const label = /(pod|node)\s*\{((?:[^{}"'`]|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)*?)([A-Za-z_][A-Za-z0-9_]*)?$/.exec(before);
  if (label) {
    const inside = label[2]!;
    if (/(^|,)\s*$/.test(inside)) {
      const used = [...inside.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
      const prefix = label[3] ?? '';
      return { kind: 'label', logType: label[1]!, from: caret - prefix.length, prefix, used };
    }
    return null;
  }
  const word = /(^|[\s(|])([A-Za-z_]*)$/.exec(before);
  if (word && (word[2]!.length > 0 || before.trim() === '') && !/[{]/.test(before.slice(before.lastIndexOf('}') + 1))) {
    return { kind: 'type', from: caret - word[2]!.length, prefix: word[2]! };
  }
  return null;
}

/** A query's leading selector: `pod{…}` / `node{…}` (braces inside quoted values allowed); group 3 is inside the braces. */
const SELECTOR = /(^|[\s(])(pod|node)\s*\{((?:[^{}"'`]|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)*)\}/;

/**
 * `query` with its selector narrowed by a stream label: `include` sets `name="value"`
 * (replacing the label's other matchers), otherwise adds `name!="value"` (and drops a
 * `name="value"` it contradicts). Queries without a selector are returned unchanged.
 */
export function withLabelMatcher(query: string, name: string, value: string, include: boolean): string {
  const m = SELECTOR.exec(query);
  if (!m) return query;
  const matchers = splitMatchers(m[3]!);
  const parsed = matchers.map((t) => ({ text: t, m: /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s.exec(t) }));
  const mine = `${name}${include ? '=' : '!='}${quote(value)}`;
  const kept = parsed
    .filter(({ m: pm }) => {
      if (!pm || pm[1] !== name) return true;
      if (include) return false;
      const v = unquote(pm[3]!);
      return !((pm[2] === '=' || pm[2] === '!=') && v === value);
    })
    .map(({ text }) => text.trim());
  kept.push(mine);
  const start = m.index + m[1]!.length;
  return `${query.slice(0, start)}${m[2]}{${kept.filter((t) => t !== '').join(', ')}}${query.slice(m.index + m[0].length)}`;
}

/** The comma-separated matchers inside a selector's braces (commas inside strings kept). */
function splitMatchers(inside: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < inside.length; i++) {
    const c = inside[i]!;
    if (q) {
      cur += c;
      if (c === '\\' && q !== '`') cur += inside[++i] ?? '';
      else if (c === q) q = null;
    } else if (c === '"' || c === "'" || c === '`') {
      q = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  try {
    return JSON.parse(s.startsWith("'") ? `"${s.slice(1, -1).replace(/"/g, '\\"')}"` : s) as string;
  } catch {
    return s;
  }
}

/**
 * `query` with a pipeline label filter on a parsed field appended: `| json | name="value"`
 * (or `!=` to filter out), adding the parser stage only when the query has none yet (`parser`
 * null: a label the query's pipeline already adds, no parser).
 */
export function withFieldFilter(query: string, parser: 'json' | 'logfmt' | null, name: string, value: string, include: boolean): string {
  const hasParser = parser === null || new RegExp(`\\|\\s*${parser}\\b`).test(query);
  let base = query.replace(/\s+$/, '');
  // A `#` comment on the last line would swallow what follows it.
  if (base.slice(base.lastIndexOf('\n') + 1).includes('#')) base += '\n';
  else base += ' ';
  return `${base}${hasParser ? '' : `| ${parser} `}| ${name}${include ? '=' : '!='}${quote(value)}`;
}

/**
 * `query` with a regex line filter (`|~ "regex"`) placed right after its selector, before any
 * parser or label filter (line filters read the line as stored).
 */
export function withLineFilter(query: string, regex: string): string {
  const m = SELECTOR.exec(query);
  const filter = `|~ ${quote(regex)}`;
  if (!m) return `${query.trimEnd()} ${filter}`;
  const end = m.index + m[0].length;
  return `${query.slice(0, end)} ${filter}${query.slice(end)}`;
}

/** The exact stream selector of a row: every stream label as `name="value"`. */
export function streamSelector(logType: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${quote(v)}`);
  return `${logType}{${parts.join(', ')}}`;
}
