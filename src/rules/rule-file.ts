/**
 * Rule files: the Prometheus/Loki `groups` format and Venti's `kind: AlertRuleFile`, parsed
 * into plain {@link RuleGroup}s with every query and template checked.
 *
 * ## What it owns
 * Reading YAML (the `yaml` package, with a line counter so every error names
 * `file:line:column`), the shape of a rule file, and the static checks `letheql rules check`
 * runs: one of `alert`/`record`, a parseable `expr`, durations, label and annotation names,
 * templates in the alert dialect (`src/query/template.ts`). A bad file is refused whole at
 * load, with every problem found, never half-loaded.
 *
 * ## Formats
 * - Prometheus/Loki: `groups: [{name, interval, query_offset, limit, labels, rules: [{alert |
 *   record, expr, for, keep_firing_for, labels, annotations}]}]`. Unknown fields are errors,
 *   as Prometheus's strict unmarshalling makes them.
 * - Venti: `kind: AlertRuleFile`, `commonLabels` (added to every rule's labels, a rule's own
 *   label wins) and `datasourceSelector: {cluster: NAME | [NAME…]}` (the store-set members the
 *   file's rules read), then the same `groups`.
 *
 * ## Log queries as rules
 * `expr` is a LetheQL metric query, or a bare log query, evaluated as Venti does: the value is
 * the number of lines that matched in the window (the query's own `[range]`, else the group's
 * interval) — the rule's query becomes `sum(count_over_time(LOG [window]))`, which
 * {@link Rule.query} holds and `rules check` prints. No matching line: no sample, no alert.
 * Such rules (and metric rules with exactly one log selector) keep their log query in
 * {@link Rule.logQuery}, which the evaluator reads sample lines from.
 *
 * ## Positions
 * A query or template error inside a scalar is placed exactly for plain, quoted and `|`
 * block scalars; in folded (`>`) scalars and escaped quoted strings it points at the value's
 * first character and names the offset.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { QueryError } from '../errors.js';
import { isMetricQuery, parseQuery, printQuery, type Expr, type MatrixSelector, type VectorSelector } from '../query/index.js';
import { parseTemplate, TemplateSyntaxError, type TemplateNode } from '../query/template.js';
import { formatLabelDuration } from '../query/units.js';
import { parseDuration } from '../time.js';
import { queryShape } from '../query/shape.js';

/** Where a problem is: 1-based line and column. */
export interface RulePosition {
  file: string;
  line: number;
  column: number;
}

/** One problem in a rule file. */
export interface RuleIssue extends RulePosition {
  message: string;
}

/** A rule file that cannot be loaded: every problem found, each with its position. */
export class RuleFileError extends Error {
  constructor(readonly issues: readonly RuleIssue[]) {
    super(issues.map(formatRuleIssue).join('\n'));
    this.name = 'RuleFileError';
  }
}

/** `rules.yaml:12:15: message` */
export function formatRuleIssue(i: RuleIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.message}`;
}

/** A rule as loaded: its text, its effective query, its templates parsed. */
export interface Rule {
  kind: 'alert' | 'record';
  /** The alert name, or the recorded metric's name. */
  name: string;
  /** `expr` as written. */
  expr: string;
  /** The query evaluated: `expr`, or for a bare log query `sum(count_over_time(LOG [window]))`. */
  query: Expr;
  /** `expr` was a bare log query (its value is the number of matching lines in the window). */
  countsLines: boolean;
  /** The one log selector the rule reads, for sample lines and the viewer link; null when it reads several or none. */
  logQuery: VectorSelector | null;
  /** The window of {@link logQuery} (the range of its range aggregation), ns. */
  windowNs: bigint;
  /**
   * Where that window ends, as its range's modifiers place it: `@` (ns since the epoch; null:
   * at the evaluation instant) and `offset` (ns before it). A bare log query's are dropped, as
   * its count is.
   */
  logAtNs: bigint | null;
  logOffsetNs: bigint;
  forNs: bigint;
  keepFiringForNs: bigint;
  /** The rule's labels (group labels and Venti's `commonLabels` already merged in, the rule's own winning); values are templates. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Parsed alert-dialect templates of {@link labels} and {@link annotations}. */
  labelTemplates: Record<string, TemplateNode[]>;
  annotationTemplates: Record<string, TemplateNode[]>;
  where: RulePosition;
}

export interface RuleGroup {
  name: string;
  file: string;
  /** Evaluation interval, ns; null: the ruler's default (1m). */
  intervalNs: bigint | null;
  /** `query_offset` (Prometheus) — how far behind real time the group evaluates, for late logs; null: the ruler's default. */
  queryOffsetNs: bigint | null;
  /** Most alerts (or recorded series) a rule may produce; 0 = no limit. Past it the whole rule fails, as in Prometheus. */
  limit: number;
  /** Venti's `datasourceSelector`: the store-set members (clusters) this group reads; null = all. */
  clusters: string[] | null;
  rules: Rule[];
  where: RulePosition;
}

/** The default evaluation interval (Prometheus's `evaluation_interval` default). */
export const DEFAULT_INTERVAL_NS = 60_000_000_000n;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const GROUP_FIELDS = new Set(['name', 'interval', 'query_offset', 'limit', 'labels', 'rules']);
const RULE_FIELDS = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
const VENTI_FIELDS = new Set(['kind', 'apiVersion', 'metadata', 'commonLabels', 'datasourceSelector', 'groups']);

/** Collects issues while walking one file. */
export class FileReader {
  readonly issues: RuleIssue[] = [];
  private readonly lines: LineCounter;
  constructor(
    readonly file: string,
    readonly text: string,
    lines: LineCounter,
  ) {
    this.lines = lines;
  }

  pos(offset: number): RulePosition {
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, column: p.col };
  }

  at(node: YamlNode | null | undefined): RulePosition {
    return this.pos(node?.range?.[0] ?? 0);
  }

  issue(where: RulePosition, message: string): void {
    this.issues.push({ ...where, message });
  }

  /** The position of `offset` (UTF-16 units) into a scalar's value (see the note at the top). */
  inScalar(node: Scalar, offset: number): { where: RulePosition; exact: boolean } {
    const start = node.range?.[0] ?? 0;
    const value = String(node.value);
    const src = this.text.slice(start, node.range?.[1] ?? start);
    if ((node.type === 'PLAIN' || node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') && !src.includes('\n')) {
      const quoted = node.type !== 'PLAIN';
      if (src.slice(quoted ? 1 : 0, quoted ? -1 : undefined) === value) return { where: this.pos(start + (quoted ? 1 : 0) + offset), exact: true };
    }
    if (node.type === 'BLOCK_LITERAL') {
      const before = value.slice(0, offset);
      const lineIdx = before.split('\n').length - 1;
      const col = offset - (before.lastIndexOf('\n') + 1);
      const header = this.pos(start);
      const srcLines = this.text.split('\n');
      const first = srcLines.slice(header.line).find((l) => l.trim() !== '') ?? '';
      const indent = first.length - first.trimStart().length;
      return { where: { file: this.file, line: header.line + 1 + lineIdx, column: indent + col + 1 }, exact: true };
    }
    return { where: this.pos(start), exact: false };
  }
}

export function pairsOf(map: YAMLMap): Pair<YamlNode, YamlNode | null>[] {
  return map.items as Pair<YamlNode, YamlNode | null>[];
}

export function keyOf(p: Pair<YamlNode, YamlNode | null>): string {
  return isScalar(p.key) ? String(p.key.value) : '';
}

/** A string scalar's value, or an issue and null. */
export function stringValue(r: FileReader, node: YamlNode | null, what: string): string | null {
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')) return String(node.value);
  r.issue(r.at(node), `${what} must be a string`);
  return null;
}

export function durationValue(r: FileReader, node: YamlNode | null, what: string): bigint | null {
  const text = stringValue(r, node, what);
  if (text === null) return null;
  if (/^0+(?:[smhdwy]|ms)?$/.test(text.trim())) return 0n;
  try {
    return parseDuration(text, what);
  } catch (e) {
    r.issue(r.at(node), (e as Error).message);
    return null;
  }
}

/** A `name: value` map of strings (labels, annotations, commonLabels); names checked with `nameRe`. */
export function stringMap(r: FileReader, node: YamlNode | null, what: string, nameWhat: string, nameRe: RegExp | null): { values: Record<string, string>; nodes: Record<string, Scalar> } {
  const values: Record<string, string> = {};
  const nodes: Record<string, Scalar> = {};
  if (node === null || (isScalar(node) && node.value === null)) return { values, nodes };
  if (!isMap(node)) {
    r.issue(r.at(node), `${what} must be a map of names to strings`);
    return { values, nodes };
  }
  for (const p of pairsOf(node)) {
    const name = keyOf(p);
    if (nameRe && !nameRe.test(name)) {
      r.issue(r.at(p.key), `invalid ${nameWhat} name: ${JSON.stringify(name)}`);
      continue;
    }
    const v = stringValue(r, p.value, `${nameWhat} ${JSON.stringify(name)}`);
    if (v !== null && isScalar(p.value)) {
      values[name] = v;
      nodes[name] = p.value;
    }
  }
  return { values, nodes };
}

/** The sole log selector `expr` reads (for sample lines), and its window; null when it reads none or several. */
function soleLogRange(expr: Expr): MatrixSelector | null {
  const found: MatrixSelector[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const node = v as { kind?: string };
    if (node.kind === 'MatrixSelector') {
      found.push(node as MatrixSelector);
      return;
    }
    for (const [k, child] of Object.entries(node)) if (k !== 'span' && k !== 'valueSpan') walk(child);
  };
  walk(expr);
  return found.length === 1 ? found[0]! : null;
}

/** Parses one template in the alert dialect, reporting a positioned issue. */
function template(r: FileReader, node: Scalar, text: string, what: string): TemplateNode[] | null {
  try {
    return parseTemplate(text, 'alert');
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    const { where, exact } = r.inScalar(node, e.offset);
    r.issue(where, `${what}: template: ${e.message}${exact ? '' : ` (at offset ${e.offset} of the template)`}`);
    return null;
  }
}

interface FileDefaults {
  commonLabels: Record<string, string>;
  clusters: string[] | null;
}

function readRule(r: FileReader, node: YamlNode, group: { labels: Record<string, string>; intervalNs: bigint | null }, defaults: FileDefaults): Rule | null {
  if (!isMap(node)) {
    r.issue(r.at(node), 'a rule must be a map');
    return null;
  }
  const where = r.at(node);
  const fields = new Map<string, Pair<YamlNode, YamlNode | null>>();
  for (const p of pairsOf(node)) {
    const k = keyOf(p);
    if (!RULE_FIELDS.has(k)) r.issue(r.at(p.key), `field ${JSON.stringify(k)} not found in type rule (fields: ${[...RULE_FIELDS].join(', ')})`);
    else fields.set(k, p);
  }
  const before = r.issues.length;
  const alert = fields.get('alert');
  const record = fields.get('record');
  if (!alert && !record) r.issue(where, "one of 'record' or 'alert' must be set");
  if (alert && record) r.issue(r.at(record.key), "only one of 'record' and 'alert' must be set");
  const kind = record && !alert ? 'record' : 'alert';
  const nameNode = (alert ?? record)?.value ?? null;
  const name = alert || record ? stringValue(r, nameNode, kind === 'alert' ? "'alert'" : "'record'") : null;
  if (name !== null) {
    if (kind === 'record' && !METRIC_NAME.test(name)) r.issue(r.at(nameNode), `invalid recording rule name: ${JSON.stringify(name)}`);
    if (kind === 'alert' && name.trim() === '') r.issue(r.at(nameNode), "field 'alert' must not be empty");
  }
  if (kind === 'record') {
    for (const f of ['for', 'keep_firing_for', 'annotations']) {
      const p = fields.get(f);
      if (p) r.issue(r.at(p.key), `invalid field '${f}' in recording rule`);
    }
  }
  const forNs = fields.has('for') ? durationValue(r, fields.get('for')!.value, "'for'") : 0n;
  const keepNs = fields.has('keep_firing_for') ? durationValue(r, fields.get('keep_firing_for')!.value, "'keep_firing_for'") : 0n;
  const labels = stringMap(r, fields.get('labels')?.value ?? null, 'labels', 'label', LABEL_NAME);
  const annotations = stringMap(r, fields.get('annotations')?.value ?? null, 'annotations', 'annotation', LABEL_NAME);
  if (kind === 'record') {
    for (const [k, v] of Object.entries(labels.values)) if (v.includes('{{')) r.issue(r.at(labels.nodes[k]), `label ${JSON.stringify(k)}: recording rules do not template labels`);
  }
  const labelTemplates: Record<string, TemplateNode[]> = {};
  const annotationTemplates: Record<string, TemplateNode[]> = {};
  if (kind === 'alert') {
    for (const [k, v] of Object.entries(labels.values)) {
      const t = template(r, labels.nodes[k]!, v, `label ${JSON.stringify(k)}`);
      if (t) labelTemplates[k] = t;
    }
    for (const [k, v] of Object.entries(annotations.values)) {
      const t = template(r, annotations.nodes[k]!, v, `annotation ${JSON.stringify(k)}`);
      if (t) annotationTemplates[k] = t;
    }
  }
  // Group labels and Venti's commonLabels, then the rule's own (which win); group ones are templates too.
  const merged = { ...defaults.commonLabels, ...group.labels, ...labels.values };
  for (const k of Object.keys(merged)) if (!labelTemplates[k] && kind === 'alert') labelTemplates[k] = parseTemplate(merged[k]!, 'alert');

  const exprPair = fields.get('expr');
  let query: Expr | null = null;
  let countsLines = false;
  let logQuery: VectorSelector | null = null;
  let windowNs = 0n;
  let logAtNs: bigint | null = null;
  let logOffsetNs = 0n;
  let exprText = '';
  if (!exprPair) r.issue(where, "field 'expr' must be set in rule");
  else {
    const text = stringValue(r, exprPair.value, "'expr'");
    if (text !== null && isScalar(exprPair.value)) {
      exprText = text;
      try {
        const parsed = parseQuery(text);
        const shape = queryShape(parsed);
        if (shape.kind === 'metric' && shape.expr.kind === 'StringLiteral') {
          r.issue(r.inScalar(exprPair.value, 0).where, "'expr': invalid expression type \"string\": a rule needs a metric query (a vector or a scalar) or a log query");
        } else if (shape.kind === 'metric') {
          query = parsed;
          const range = soleLogRange(parsed);
          if (range) {
            logQuery = range.selector;
            windowNs = BigInt(range.range.ms) * 1_000_000n;
            const at = range.at ?? range.selector.at;
            const offset = range.offset ?? range.selector.offset;
            // `@ start()` and `@ end()` are the evaluation instant of a rule's instant query.
            if (at?.kind === 'AtTimestamp') logAtNs = BigInt(Math.round(at.seconds * 1000)) * 1_000_000n;
            if (offset) logOffsetNs = BigInt(offset.ms) * 1_000_000n;
          }
        } else {
          const sel = shape.selector;
          windowNs = shape.range ? BigInt(shape.range.range.ms) * 1_000_000n : (group.intervalNs ?? DEFAULT_INTERVAL_NS);
          countsLines = true;
          logQuery = sel;
          query = parseQuery(`sum(count_over_time(${printQuery({ ...sel, offset: null, at: null })} [${formatLabelDuration(Number(windowNs))}]))`);
        }
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        const { where: w, exact } = r.inScalar(exprPair.value, e.span.start.offset);
        r.issue(w, `'expr': ${e.message}${exact ? '' : ` (at ${e.span.start.line}:${e.span.start.column} of the query)`}`);
      }
    }
  }
  if (r.issues.length > before || name === null || query === null || forNs === null || keepNs === null) return null;
  return {
    kind,
    name,
    expr: exprText,
    query,
    countsLines,
    logQuery,
    windowNs,
    logAtNs,
    logOffsetNs,
    forNs,
    keepFiringForNs: keepNs,
    labels: merged,
    annotations: annotations.values,
    labelTemplates,
    annotationTemplates,
    where,
  };
}

function readGroup(r: FileReader, node: YamlNode, defaults: FileDefaults, names: Set<string>): RuleGroup | null {
  if (!isMap(node)) {
    r.issue(r.at(node), 'a group must be a map');
    return null;
  }
  const where = r.at(node);
  const fields = new Map<string, Pair<YamlNode, YamlNode | null>>();
  for (const p of pairsOf(node)) {
    const k = keyOf(p);
    if (!GROUP_FIELDS.has(k)) r.issue(r.at(p.key), `field ${JSON.stringify(k)} not found in type group (fields: ${[...GROUP_FIELDS].join(', ')})`);
    else fields.set(k, p);
  }
  const before = r.issues.length;
  const nameP = fields.get('name');
  const name = nameP ? stringValue(r, nameP.value, "group 'name'") : null;
  if (!nameP || name === '') r.issue(where, 'group name must not be empty');
  else if (name !== null) {
    if (names.has(name)) r.issue(r.at(nameP.value), `group name ${JSON.stringify(name)} is repeated in the same file`);
    names.add(name);
  }
  const intervalNs = fields.has('interval') ? durationValue(r, fields.get('interval')!.value, "group 'interval'") : null;
  if (intervalNs === 0n) r.issue(r.at(fields.get('interval')!.value), "group 'interval' must be positive");
  const queryOffsetNs = fields.has('query_offset') ? durationValue(r, fields.get('query_offset')!.value, "group 'query_offset'") : null;
  let limit = 0;
  const limitP = fields.get('limit');
  if (limitP) {
    const v = isScalar(limitP.value) ? limitP.value.value : null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) r.issue(r.at(limitP.value), "group 'limit' must be a non-negative integer");
    else limit = v;
  }
  const labels = stringMap(r, fields.get('labels')?.value ?? null, 'group labels', 'label', LABEL_NAME).values;
  const rulesNode = fields.get('rules')?.value ?? null;
  const rules: Rule[] = [];
  if (rulesNode !== null && !(isScalar(rulesNode) && rulesNode.value === null)) {
    if (!isSeq(rulesNode)) r.issue(r.at(rulesNode), "group 'rules' must be a list");
    else for (const item of rulesNode.items as YamlNode[]) {
      const rule = readRule(r, item, { labels, intervalNs }, defaults);
      if (rule) rules.push(rule);
    }
  }
  if (r.issues.length > before || name === null) return null;
  return { name, file: r.file, intervalNs, queryOffsetNs: queryOffsetNs ?? null, limit, clusters: defaults.clusters, rules, where };
}

/**
 * Parses a rule file's text. Throws {@link RuleFileError} listing every problem, each at its
 * `file:line:column`; returns the groups otherwise (an empty file has none).
 */
export function parseRuleFile(text: string, file: string): RuleGroup[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new FileReader(file, text, lines);
  for (const e of doc.errors) r.issue(r.pos(e.pos[0]), `YAML: ${e.message}`);
  if (r.issues.length) throw new RuleFileError(r.issues);
  const root = doc.contents as YamlNode | null;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) throw new RuleFileError([{ ...r.at(root), message: 'a rule file must be a map with a "groups" list' }]);
  const top = new Map(pairsOf(root).map((p) => [keyOf(p), p] as const));
  const defaults: FileDefaults = { commonLabels: {}, clusters: null };
  const kind = top.get('kind');
  if (kind) {
    const k = isScalar(kind.value) ? kind.value.value : null;
    if (k !== 'AlertRuleFile') r.issue(r.at(kind.value), `unknown kind ${JSON.stringify(k)}: expected AlertRuleFile (Venti) or no kind (Prometheus/Loki groups)`);
    for (const p of pairsOf(root)) if (!VENTI_FIELDS.has(keyOf(p))) r.issue(r.at(p.key), `field ${JSON.stringify(keyOf(p))} not found in type AlertRuleFile (fields: ${[...VENTI_FIELDS].join(', ')})`);
    defaults.commonLabels = stringMap(r, top.get('commonLabels')?.value ?? null, 'commonLabels', 'label', LABEL_NAME).values;
    const sel = top.get('datasourceSelector');
    if (sel) defaults.clusters = datasourceClusters(r, sel.value);
  } else {
    for (const p of pairsOf(root)) if (keyOf(p) !== 'groups') r.issue(r.at(p.key), `field ${JSON.stringify(keyOf(p))} not found in type rule file (fields: groups; or kind: AlertRuleFile for Venti's format)`);
  }
  const groupsNode = top.get('groups')?.value ?? null;
  const groups: RuleGroup[] = [];
  if (groupsNode !== null && !(isScalar(groupsNode) && groupsNode.value === null)) {
    if (!isSeq(groupsNode)) r.issue(r.at(groupsNode), "'groups' must be a list");
    else {
      const names = new Set<string>();
      for (const item of groupsNode.items as YamlNode[]) {
        const g = readGroup(r, item, defaults, names);
        if (g) groups.push(g);
      }
    }
  }
  if (r.issues.length) throw new RuleFileError(r.issues);
  return groups;
}

/** Venti's `datasourceSelector: {cluster: NAME | [NAME…]}`. */
function datasourceClusters(r: FileReader, node: YamlNode | null): string[] | null {
  if (!isMap(node)) {
    r.issue(r.at(node), 'datasourceSelector must be a map such as {cluster: NAME} or {cluster: [NAME, …]}');
    return null;
  }
  let clusters: string[] | null = null;
  for (const p of pairsOf(node)) {
    if (keyOf(p) !== 'cluster') {
      r.issue(r.at(p.key), `datasourceSelector: unknown field ${JSON.stringify(keyOf(p))} (a store set is selected by cluster)`);
      continue;
    }
    if (isSeq(p.value)) clusters = (p.value.items as YamlNode[]).map((n) => stringValue(r, n, 'datasourceSelector cluster') ?? '');
    else {
      const v = stringValue(r, p.value, 'datasourceSelector cluster');
      clusters = v === null ? [] : [v];
    }
  }
  return clusters;
}

/** The rule's label set for `rules check` and `/api/v1/rules`: a compact one-line description of what is evaluated. */
export function describeRule(rule: Rule): string {
  const q = printQuery(rule.query);
  return rule.countsLines ? `${q}  (a log query: the value is the number of matching lines in ${formatLabelDuration(Number(rule.windowNs))})` : q;
}
