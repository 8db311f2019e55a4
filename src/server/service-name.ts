/**
 * `service_name`, the stream label Grafana's Logs Drilldown starts from, derived from a
 * Lethe stream's labels (Lethe lines carry no such label; Loki derives it at ingestion from
 * the labels it is pushed with, configurable as `discover_service_name`).
 *
 * Rules (server config `serviceName`):
 * - `app` (default): pod logs: the pod name without the ReplicaSet and pod hash suffixes,
 *   i.e. the workload's name (`api-7d9f8b6c5-x2k4p` → `api`, a DaemonSet's `kube-proxy-8mxwz`
 *   → `kube-proxy`; a name without such suffixes, `etcd-cp-1`, stays whole); node logs: the
 *   process (`kubelet`).
 * - `container`: pod logs: the container; node logs: the process.
 *
 * A suffix is `-` and 6–10 characters of `[a-z0-9]` (the ReplicaSet's pod-template hash)
 * followed by `-` and 5 (the pod's own), or `-` and 5 alone (DaemonSets, Jobs).
 *
 * In selectors, a `service_name` matcher becomes a matcher on the label it is derived from, so
 * the store's directories and the scan kernel still select: under `app`, `service_name="api"`
 * becomes `pod=~"api-[a-z0-9]{6,10}-[a-z0-9]{5}|api-[a-z0-9]{5}"` (and `api` itself when it could
 * be a name without suffix): exact for `=` and `!=`. A regex `service_name=~"R"` becomes
 * `pod=~"(?:R)(?:-<hash>-<hash>|-<hash>)?"`, which can also take a pod whose own name (with a
 * suffix) matches `R`: close, not exact. With no other label, `service_name` selects pod logs;
 * beside `node`/`process`, node logs.
 */
import type { LogType } from '../model.js';
import type { LabelMatcher } from '../query/ast.js';

/** How `service_name` is derived (see the module note). */
export type ServiceNameRule = 'app' | 'container';

export const SERVICE_NAME = 'service_name';
export const SERVICE_NAME_RULES: readonly ServiceNameRule[] = ['app', 'container'];

const H = '[a-z0-9]';
const REPLICASET = new RegExp(`^(.+)-${H}{6,10}-${H}{5}$`);
const POD_HASH = new RegExp(`^(.+)-${H}{5}$`);

/** The workload name of a pod: its name without hash suffixes. */
export function appOfPod(pod: string): string {
  return REPLICASET.exec(pod)?.[1] ?? POD_HASH.exec(pod)?.[1] ?? pod;
}

/** The label `service_name` is derived from, for a log type under a rule. */
export function serviceSourceLabel(logType: LogType, rule: ServiceNameRule): string {
  if (logType === 'node') return 'process';
  return rule === 'app' ? 'pod' : 'container';
}

/** `service_name` of a stream's labels (`""` when its source label is absent). */
export function serviceNameOf(logType: LogType, labels: Readonly<Record<string, string>>, rule: ServiceNameRule): string {
  const v = labels[serviceSourceLabel(logType, rule)] ?? '';
  return logType === 'pod' && rule === 'app' ? appOfPod(v) : v;
}

/**
 * A `label_format` template that gives a line's `service_name` from its stream labels, equal
 * to {@link serviceNameOf}: under `app`, pod logs strip the ReplicaSet suffix, else the pod
 * hash (one regex whose first alternative wins when both could match, as `appOfPod` tries
 * them in turn; no match leaves the name whole).
 */
export function serviceNameTemplate(logType: LogType, rule: ServiceNameRule): string {
  const source = serviceSourceLabel(logType, rule);
  if (logType === 'node' || rule === 'container') return `{{ .${source} }}`;
  return `{{ regexReplaceAll "^(.+)-${H}{6,10}-${H}{5}$|^(.+)-${H}{5}$" .${source} "\${1}\${2}" }}`;
}

/** RE2 syntax for a literal string. */
export function regexLiteral(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A `service_name` matcher as a matcher on its source label (see the module note). */
export function sourceMatcher(m: LabelMatcher, logType: LogType, rule: ServiceNameRule): LabelMatcher {
  const name = serviceSourceLabel(logType, rule);
  if (logType === 'node' || rule === 'container') return { ...m, name };
  if (m.op === '=' || m.op === '!=') {
    const v = m.value;
    const lit = regexLiteral(v);
    const alts = [`${lit}-${H}{6,10}-${H}{5}`];
    if (!new RegExp(`-${H}{6,10}$`).test(v)) alts.push(`${lit}-${H}{5}`);
    if (appOfPod(v) === v) alts.push(lit);
    return { ...m, name, op: m.op === '=' ? '=~' : '!~', value: alts.join('|') };
  }
  return { ...m, name, value: `(?:${m.value})(?:-${H}{6,10}-${H}{5}|-${H}{5})?` };
}
