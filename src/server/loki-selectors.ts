/**
 * LogQL stream selectors → LetheQL log selectors (Loki dialect only).
 *
 * Loki clients write `{namespace="shop", pod=~"api-.*"} |= "error"`: no log type. LetheQL
 * needs one (`pod{…}` or `node{…}`), so every selector without a name gets the log type its
 * labels imply:
 * - any of `namespace`, `pod`, `container` → `pod`; any of `node`, `process` → `node`;
 *   both kinds, or neither (only `cluster`, or unknown labels) → 400 naming the labels;
 * - a selector without its target label (`{container="nginx"}`) reads every target:
 *   `namespace=~".+"` (or `node=~".+"`) is added, because Loki has no such requirement and
 *   Grafana's label browser builds such selectors. LetheQL queries (the Lethe dialect) keep
 *   the contract's rule that the target label is required.
 * Selectors that already name a log type (`pod{…}`) are left alone, so LetheQL also works
 * on Loki routes. The rewrite copies the tree; spans still point into the original text, so
 * error carets stay right. A selector's own unknown labels (`{job="x"}` next to `namespace`)
 * are left for the planner, which names the allowed ones.
 *
 * `service_name` (Grafana's Drilldown label) is derived, not stored: its matchers become
 * matchers on the label it comes from (`service-name.ts`); alone it means pod logs.
 * Anywhere else (`sum by (service_name)`, `without`, a label filter) it is a label that
 * {@link deriveServiceName} adds to each line first.
 */
import { LOG_TYPES, type LogType } from '../model.js';
import type { Expr, LabelMatcher, PipelineStage, VectorSelector } from '../query/ast.js';
import { parseQuery, printQuery } from '../query/index.js';
import { DETECTED_LEVEL } from '../pipeline/detected.js';
import { QueryError } from '../errors.js';
import { SERVICE_NAME, serviceNameTemplate, sourceMatcher, type ServiceNameRule } from './service-name.js';

const POD_LABELS = new Set<string>(['namespace', 'pod', 'container']);
const NODE_LABELS = new Set<string>(['node', 'process']);

/** The log type a nameless selector's labels imply. Throws a {@link QueryError} when they do not tell. */
export function inferLogType(selector: VectorSelector): LogType {
  const names = selector.matchers.map((m) => m.name);
  const pod = names.some((n) => POD_LABELS.has(n));
  const node = names.some((n) => NODE_LABELS.has(n));
  if (pod && node) {
    throw new QueryError(
      'UNKNOWN_LOG_TYPE',
      'a selector cannot mix pod labels (namespace, pod, container) with node labels (node, process): Lethe keeps them in different logs',
      selector.span,
      ['pod', 'node'],
    );
  }
  if (!pod && !node && names.includes(SERVICE_NAME)) return 'pod';
  if (!pod && !node) {
    throw new QueryError(
      'UNKNOWN_LOG_TYPE',
      `cannot tell pod logs from node logs in ${names.length ? `{${names.join(', ')}}` : 'this selector'}: use the labels namespace, pod, container (pod logs) or node, process (node logs), or write pod{…} / node{…}`,
      selector.span,
      ['pod', 'node'],
    );
  }
  return pod ? 'pod' : 'node';
}

function nameSelector(s: VectorSelector, rule: ServiceNameRule): VectorSelector {
  if (s.name !== null && s.name !== 'pod' && s.name !== 'node') return s;
  const logType = s.name ?? inferLogType(s);
  const target = LOG_TYPES[logType].target;
  const matchers: LabelMatcher[] = s.matchers.map((m) => (m.name === SERVICE_NAME ? sourceMatcher(m, logType, rule) : m));
  if (s.name !== null) return matchers.some((m, i) => m !== s.matchers[i]) ? { ...s, matchers } : s;
  if (!matchers.some((m) => m.name === target)) {
    matchers.push({ kind: 'LabelMatcher', name: target, op: '=~', value: '.+', span: s.span, valueSpan: s.span });
  }
  return { ...s, name: logType, matchers };
}

/**
 * Returns `expr` with every nameless selector given its log type and every `service_name`
 * matcher rewritten under `rule` (see the module note).
 */
export function nameLokiSelectors(expr: Expr, rule: ServiceNameRule = 'app'): Expr {
  return mapSelectors(expr, (s) => nameSelector(s, rule));
}

/** Pipeline stages that set a label, by their label_format text (parsed once each). */
const stageCache = new Map<string, PipelineStage>();
function formatStage(dst: string, template: string): PipelineStage {
  const key = `${dst}\u0000${template}`;
  let st = stageCache.get(key);
  if (st === undefined) {
    st = (parseQuery(`{a="b"} | label_format ${dst}=\`${template}\``) as VectorSelector).pipeline[0]!;
    stageCache.set(key, st);
  }
  return st;
}

function definesLabel(s: VectorSelector, name: string): boolean {
  return s.pipeline.some((st) => st.kind === 'LabelFormatStage' && st.items.some((i) => i.dst === name));
}

/** Applies `f` to every selector of `expr`. */
function mapSelectors(expr: Expr, f: (s: VectorSelector) => VectorSelector): Expr {
  const rec = (e: Expr): Expr => mapSelectors(e, f);
  switch (expr.kind) {
    case 'VectorSelector':
      return f(expr);
    case 'MatrixSelector':
      return { ...expr, selector: f(expr.selector) };
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
      return { ...expr, expr: rec(expr.expr) };
    case 'BinaryExpr':
      return { ...expr, lhs: rec(expr.lhs), rhs: rec(expr.rhs) };
    case 'AggregateExpr':
      return { ...expr, expr: rec(expr.expr), param: expr.param && rec(expr.param) };
    case 'Call':
      return { ...expr, args: expr.args.map(rec) };
    case 'NumberLiteral':
    case 'StringLiteral':
      return expr;
  }
}

/**
 * `service_name` as a label of each line, for a query that names it outside its selectors'
 * matchers (run {@link nameLokiSelectors} first, which turns those into matchers on the
 * source label): `sum by (service_name) (count_over_time({namespace="shop"}[5m]))` groups by
 * it, `without (service_name)` drops it, `| service_name="api"` filters on it. Each selector
 * gets a `label_format service_name=…` stage first in its pipeline, whose template derives the
 * name under `rule` exactly as `serviceNameOf` does (`service-name.ts`), unless its pipeline
 * sets `service_name` itself. Queries that do not name it are returned as they are.
 */
export function deriveServiceName(expr: Expr, rule: ServiceNameRule = 'app'): Expr {
  if (!/\bservice_name\b/.test(printQuery(expr))) return expr;
  return mapSelectors(expr, (s) => {
    if (s.name !== 'pod' && s.name !== 'node') return s;
    if (definesLabel(s, SERVICE_NAME)) return s;
    return { ...s, pipeline: [formatStage(SERVICE_NAME, serviceNameTemplate(s.name, rule)), ...s.pipeline] };
  });
}

/**
 * Parses a query as the server's query routes read it (Loki and Lethe/Prometheus dialects):
 * names its selectors' log types (`service_name` matchers under `rule`) and derives
 * `service_name` and `detected_level` where they are named.
 */
export function parseLokiQuery(text: string, rule: ServiceNameRule = 'app'): Expr {
  return deriveDetectedLevel(deriveServiceName(nameLokiSelectors(parseQuery(text), rule), rule));
}

/** `| label_format detected_level=`{{ __detected_level__ }}``: the stage that derives `detected_level`. */
let detectedLevelStage: PipelineStage | null = null;
function levelStage(): PipelineStage {
  detectedLevelStage ??= (parseQuery('{a="b"} | label_format detected_level=`{{ __detected_level__ }}`') as VectorSelector).pipeline[0]!;
  return detectedLevelStage;
}

function withLevel(s: VectorSelector): VectorSelector {
  return definesLabel(s, DETECTED_LEVEL) ? s : { ...s, pipeline: [levelStage(), ...s.pipeline] };
}

/**
 * Loki derives `detected_level` from each line; here a query that names it (grouping,
 * label filter) gets it from a `label_format detected_level=`{{ __detected_level__ }}``
 * stage put first in each selector's pipeline (`pipeline/detected.ts` says how a level is
 * found), so `sum by (detected_level) (count_over_time({…}[1m]))` splits by level.
 * Queries that do not name it are returned as they are.
 */
export function deriveDetectedLevel(expr: Expr): Expr {
  if (!/\bdetected_level\b/.test(printQuery(expr))) return expr;
  return mapSelectors(expr, withLevel);
}
