/**
 * The ruler's Prometheus-compatible routes (what Grafana and Venti read), present when the
 * server runs with rules (`letheql serve --rules FILE…`):
 *
 * | route | answer |
 * |---|---|
 * | `GET /api/v1/rules` | `{"status":"success","data":{"groups":[{name, file, interval, limit, rules: [...], evaluationTime, lastEvaluation}]}}`; `type=alert\|record`, `rule_name[]`, `rule_group[]`, `file[]` filter |
 * | `GET /api/v1/alerts` | `{"status":"success","data":{"alerts":[{labels, annotations, state, activeAt, value}]}}` (pending and firing) |
 *
 * Shapes as Prometheus's `api/v1` writes them: durations in seconds, times RFC 3339 (the zero
 * time `0001-01-01T00:00:00Z` before the first evaluation), alert values in Go's `%e`
 * shortest form (`2.4e+01`), a rule's `state` the most severe of its alerts', `health`
 * `ok`/`err`/`unknown` with `lastError`. Alerts are the rule's active ones (not the resolved
 * ones kept for notifiers), without external labels, as in Prometheus.
 *
 * One field Prometheus does not have: each rule's `viewerURL`, the viewer's share link on its
 * query over its window and `for`, ending at its last evaluation (`Ruler.ruleLink`); the
 * viewer's Rules view (`viewer/src/rules.ts`) opens it, other clients ignore it.
 */
import type { FastifyInstance } from 'fastify';
import { describeRule } from '../rules/rule-file.js';
import type { Alert, GroupStatus, Ruler, RuleStatus } from '../rules/ruler.js';
import { formatRfc3339 } from '../time.js';
import { badData } from './errors.js';
import { collectParams, param, params } from './params.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Go's `strconv.FormatFloat(v, 'e', -1, 64)`. */
export function formatGoExp(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const [m, e] = v.toExponential().split('e') as [string, string];
  const sign = e.startsWith('-') ? '-' : '+';
  return `${m}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
}

const time = (ns: bigint | null): string => (ns === null ? ZERO_TIME : formatRfc3339(ns));
const seconds = (ns: bigint): number => Number(ns) / 1e9;

function apiAlert(a: Alert) {
  return { labels: a.labels, annotations: a.annotations, state: a.state, activeAt: time(a.activeAtNs), ...(a.keepFiringSinceNs !== null ? { keepFiringSince: time(a.keepFiringSinceNs) } : {}), value: formatGoExp(a.value) };
}

function apiRule(ruler: Ruler, g: GroupStatus, r: RuleStatus) {
  const common = { name: r.rule.name, query: describeRule(r.rule), labels: r.rule.labels, health: r.health, lastError: r.lastError, evaluationTime: r.evaluationSeconds, lastEvaluation: time(r.lastEvaluationNs), viewerURL: ruler.ruleLink(g, r) };
  if (r.rule.kind === 'record') return { ...common, type: 'recording' };
  const active = [...r.active.values()].filter((a) => a.state !== 'inactive');
  const state = active.some((a) => a.state === 'firing') ? 'firing' : active.length ? 'pending' : 'inactive';
  return { state, ...common, duration: seconds(r.rule.forNs), keepFiringFor: seconds(r.rule.keepFiringForNs), annotations: r.rule.annotations, alerts: active.map(apiAlert), type: 'alerting' };
}

/** Registers `/api/v1/rules` and `/api/v1/alerts` for `ruler`. */
export function registerRulesRoutes(app: FastifyInstance, ruler: Ruler): void {
  app.get('/api/v1/rules', { config: { scope: 'read' } }, async (request) => {
    const p = collectParams(request.query, undefined);
    const type = param(p, 'type');
    if (type !== undefined && type !== 'alert' && type !== 'record') throw badData(`invalid type ${JSON.stringify(type)}: expected alert or record`);
    const names = new Set(params(p, 'rule_name[]'));
    const groupNames = new Set(params(p, 'rule_group[]'));
    const files = new Set(params(p, 'file[]'));
    const groups = ruler.groups
      .filter((g) => (groupNames.size === 0 || groupNames.has(g.group.name)) && (files.size === 0 || files.has(g.group.file)))
      .map((g) => ({
        name: g.group.name,
        file: g.group.file,
        rules: g.rules.filter((r) => (type === undefined || (type === 'alert') === (r.rule.kind === 'alert')) && (names.size === 0 || names.has(r.rule.name))).map((r) => apiRule(ruler, g, r)),
        interval: seconds(g.intervalNs),
        limit: g.group.limit,
        evaluationTime: g.evaluationSeconds,
        lastEvaluation: time(g.lastEvaluationNs),
      }))
      .filter((g) => g.rules.length > 0 || (type === undefined && names.size === 0));
    return { status: 'success', data: { groups } };
  });
  app.get('/api/v1/alerts', { config: { scope: 'read' } }, async () => ({
    status: 'success',
    data: { alerts: ruler.alerts().filter((a) => a.alert.state !== 'inactive').map((a) => apiAlert(a.alert)) },
  }));
}
