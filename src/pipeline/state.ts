/**
 * The per-line state every pipeline stage reads and writes, and the label rules the
 * parsers share (sanitising extracted keys, the `_extracted` suffix, error labels).
 *
 * One {@link LineState} lives in each compiled pipeline and is reset for every line, so a
 * line costs no allocation until a stage changes a label: `labels` is the caller's object
 * until the first write, which copies it (copy on write). The caller's object is never
 * mutated.
 */

/** `__error__`: set by a stage that could not read a line; `| __error__ = ""` filters those out. */
export const ERROR_LABEL = '__error__';
/** `__error_details__`: the reason, in the parser's own words. */
export const ERROR_DETAILS_LABEL = '__error_details__';

/** Values of `__error__`, as Loki names them. */
export const PipelineErrors = {
  json: 'JSONParserErr',
  logfmt: 'LogfmtParserErr',
  labelFilter: 'LabelFilterErr',
  template: 'TemplateFormatErr',
  sampleExtraction: 'SampleExtractionErr',
} as const;

/** Mutable state of the line being processed. */
export interface LineState {
  line: string;
  /** The stream labels passed to `process()`: what `_extracted` checks against. Never mutated. */
  base: Readonly<Record<string, string>>;
  /** The current labels; the same object as `base` until a stage writes. */
  labels: Record<string, string>;
  owned: boolean;
}

export function newLineState(): LineState {
  return { line: '', base: {}, labels: {}, owned: false };
}

export function resetLineState(st: LineState, line: string, labels: Readonly<Record<string, string>>): void {
  st.line = line;
  st.base = labels;
  st.labels = labels as Record<string, string>;
  st.owned = false;
}

/**
 * The line's own copy of its labels. A null-prototype object: V8 keeps those in dictionary
 * mode from the start, so adding the labels a parser extracts is a hash insert. A plain
 * copy took a hidden-class transition per new key, and lines of differently shaped JSON
 * made those transitions megamorphic: `| json` spent ~60% of its time adding labels.
 */
function ownLabels(st: LineState): Record<string, string> {
  if (!st.owned) {
    const copy = Object.create(null) as Record<string, string>;
    const from = st.labels;
    for (const k in from) copy[k] = from[k]!;
    st.labels = copy;
    st.owned = true;
  }
  return st.labels;
}

export function setLabel(st: LineState, name: string, value: string): void {
  ownLabels(st)[name] = value;
}

export function deleteLabel(st: LineState, name: string): void {
  if (!Object.hasOwn(st.labels, name)) return;
  delete ownLabels(st)[name];
}

export function hasError(st: LineState): boolean {
  return Object.hasOwn(st.labels, ERROR_LABEL);
}

/** Sets `__error__` (and `__error_details__` when given). Parsers overwrite; label filters pass `keepFirst`. */
export function setError(st: LineState, error: string, details: string | null, keepFirst = false): void {
  if (keepFirst && hasError(st)) return;
  setLabel(st, ERROR_LABEL, error);
  if (details !== null) setLabel(st, ERROR_DETAILS_LABEL, details);
}

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const sanitized = new Map<string, string>();
const sanitizedNested = new Map<string, string>();
const CACHE_LIMIT = 4096;

/**
 * Loki's `sanitizeLabelKey`: trims spaces, replaces every character outside
 * `[A-Za-z0-9_]` with `_` (one per code point), and — for a key that starts a label name
 * (`atStart`) — prefixes `_` to a leading digit. Cached: keys repeat from line to line.
 */
export function sanitizeLabelKey(key: string, atStart: boolean): string {
  const cache = atStart ? sanitized : sanitizedNested;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (atStart && VALID_NAME.test(key)) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, key);
    return key;
  }
  const trimmed = key.trim();
  let out = atStart && trimmed.length > 0 && trimmed.charCodeAt(0) >= 48 && trimmed.charCodeAt(0) <= 57 ? '_' : '';
  for (const ch of trimmed) {
    const c = ch.charCodeAt(0);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
    out += ok ? ch : '_';
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, out);
  return out;
}

/** The label an extracted key becomes: `key`, or `key_extracted` when the stream already has `key`. */
export function extractedName(st: LineState, key: string): string {
  return Object.hasOwn(st.base, key) ? `${key}_extracted` : key;
}

/** Which labels a parser should materialise: all, or only these. */
export type Want = ReadonlySet<string> | null;
