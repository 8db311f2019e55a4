/**
 * Label sets of metric series: canonical form, ordering, interning and match signatures.
 *
 * ## What it owns
 * PromQL treats a label with an empty value as absent, compares label sets name by name in
 * byte order, and keys series by their full label set. Every series the evaluator handles
 * is a {@link Series}: a frozen, name-sorted label record without empty values plus its
 * canonical `key`. An evaluation interns series in one {@link SeriesTable}, so the same
 * label set is the same object at every step: per-node caches (group of a series, result of
 * matching two series) are then plain `Map`s keyed by object, and the work that depends on
 * labels happens once per series, not once per step.
 *
 * Keys are JSON of the sorted `[name, value]` pairs: unambiguous for any bytes a log line
 * may put into a label value, and cheap to build once per series.
 */

/** A series' labels as plain data: name → value. */
export type Labels = Readonly<Record<string, string>>;

/** An interned label set. Compare identity, or `key` across tables. */
export interface Series {
  /** Name-sorted, no empty values, frozen. */
  readonly labels: Labels;
  /** Canonical key (JSON of the sorted pairs). */
  readonly key: string;
}

/** PromQL's metric name label (log streams never carry it; `label_replace` may add it). */
export const METRIC_NAME = '__name__';

/** Byte-order comparison of two strings, as Go compares strings (UTF-16 order differs above U+FFFF). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** The non-empty labels of `labels`, sorted by name. */
export function sortedPairs(labels: Labels): [string, string][] {
  const out: [string, string][] = [];
  for (const name of Object.keys(labels)) {
    const value = labels[name]!;
    if (value !== '') out.push([name, value]);
  }
  return out.sort((a, b) => compareStrings(a[0], b[0]));
}

/** Canonical key of a label set (empty values dropped). */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(sortedPairs(labels));
}

/**
 * Orders label sets as Prometheus' `labels.Compare` does: pair by pair in name order, name
 * first then value; a set that is a prefix of the other comes first. Both sets must have
 * their keys in name order, as every {@link Series} and every result series does.
 */
export function compareLabels(a: Labels, b: Labels): number {
  const x = Object.keys(a);
  const y = Object.keys(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(x[i]!, y[i]!);
    if (c !== 0) return c;
    const v = compareStrings(a[x[i]!]!, b[y[i]!]!);
    if (v !== 0) return v;
  }
  return x.length - y.length;
}

/** Prometheus' rendering of a label set, for error messages: `{a="1", b="2"}`. */
export function formatLabels(labels: Labels): string {
  return `{${sortedPairs(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `name` is a valid label name (the classic Prometheus rule, which LogQL keeps). */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/**
 * Interns label sets for one evaluation: equal sets give the same {@link Series} object.
 * Not shared between queries (no hidden global state).
 */
export class SeriesTable {
  private readonly byKey = new Map<string, Series>();

  /** The interned series for `labels` (empty values are dropped). */
  intern(labels: Labels): Series {
    const pairs = sortedPairs(labels);
    const key = JSON.stringify(pairs);
    let series = this.byKey.get(key);
    if (series === undefined) {
      const record: Record<string, string> = {};
      for (const [k, v] of pairs) record[k] = v;
      series = { labels: Object.freeze(record), key };
      this.byKey.set(key, series);
    }
    return series;
  }

  /** `series` with `edit` applied to a copy of its labels. */
  derive(series: Series, edit: (labels: Record<string, string>) => void): Series {
    const copy: Record<string, string> = { ...series.labels };
    edit(copy);
    return this.intern(copy);
  }

  /** How many distinct label sets this evaluation has seen. */
  get size(): number {
    return this.byKey.size;
  }
}

/**
 * The match signature of a series for vector matching and set operators: with `on`, the
 * listed labels; with `ignoring` (or no clause), every label except the listed ones and
 * `__name__`. Two series match when their signatures are equal.
 */
export function matchSignature(labels: Labels, on: boolean, names: readonly string[]): string {
  const out: [string, string][] = [];
  for (const name of Object.keys(labels)) {
    const listed = names.includes(name);
    if (on ? listed : !listed && name !== METRIC_NAME) out.push([name, labels[name]!]);
  }
  // Series labels are already name-sorted, so the pairs are too.
  return JSON.stringify(out);
}

/** The labels a signature is made of (for error messages). */
export function signatureLabels(labels: Labels, on: boolean, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels)) {
    const listed = names.includes(name);
    if (on ? listed : !listed && name !== METRIC_NAME) out[name] = labels[name]!;
  }
  return out;
}
