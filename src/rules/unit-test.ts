/**
 * `letheql rules test`: unit tests for rules in `promtool test rules`' format, with log
 * lines as input.
 *
 * ```yaml
 * rule_files: [alerts.yaml]          # relative to this file
 * evaluation_interval: 1m            # default 1m
 * tests:
 *   - name: errors page after 2m
 *     input_logs:                    # in place of promtool's input_series
 *       - stream: pod{namespace="shop", pod="api-1", container="api"}
 *         lines:
 *           - 30s error: payment declined        # OFFSET LINE
 *           - 1m30s+1mx3 error: card expired     # OFFSET+STEPxN: at 1m30s, then 3 more a minute apart
 *     alert_rule_test:
 *       - eval_time: 4m
 *         alertname: ShopErrors
 *         exp_alerts:
 *           - exp_labels: {severity: warning, namespace: shop}
 *             exp_annotations: {summary: "2 errors"}
 *     logql_expr_test:                # or promql_expr_test
 *       - expr: sum(count_over_time(pod{namespace="shop"} [5m]))
 *         eval_time: 5m
 *         exp_samples:
 *           - labels: '{}'
 *             value: 5
 * ```
 *
 * As in promtool: time starts at 0 (the Unix epoch); every group is evaluated at every
 * `evaluation_interval` from 0 to the last `eval_time`; `exp_alerts` lists the *firing*
 * alerts of `alertname` at `eval_time`, labels without `alertname`, annotations in full;
 * order does not matter. Streams are `pod{namespace, pod, container}` or `node{node,
 * process}` selectors with `=` matchers (a `cluster` matcher puts the stream in that member
 * of a store set). `sample_lines` annotations are off unless the test file sets
 * `sample_lines: N`, so that expectations stay short. A failed expectation is reported with
 * the expected and the actual alerts or samples, line by line.
 */
import { parse as parseYaml } from 'yaml';
import { LogStore, openStoreSetFromSources } from '../api.js';
import { LOG_TYPES, isLogType } from '../model.js';
import { parseQuery, printQuery, isMetricQuery } from '../query/index.js';
import { MemoryChunkSource } from '../store/memory-source.js';
import { parseDuration } from '../time.js';
import { evaluateMetricQuery } from '../metrics/evaluator.js';
import { formatPromValue } from '../go-format.js';
import { Ruler } from './ruler.js';
import { parseRuleFile, type RuleGroup } from './rule-file.js';

/** A problem with the test file itself (exit 2), as opposed to a failed expectation (exit 1). */
export class RuleTestFileError extends Error {}

/** The outcome of one test file. */
export interface RuleTestReport {
  file: string;
  tests: number;
  /** Failure descriptions, one per failed expectation (empty: all passed). */
  failures: string[];
}

const NS = 1_000_000_000n;

function dur(text: unknown, what: string): bigint {
  if (typeof text === 'number') return BigInt(Math.round(text * 1e9));
  if (typeof text !== 'string') throw new RuleTestFileError(`${what}: expected a duration such as 5m`);
  if (/^0+(?:[smhdw]|ms)?$/.test(text.trim())) return 0n;
  try {
    return parseDuration(text, what);
  } catch (e) {
    throw new RuleTestFileError((e as Error).message);
  }
}

function fmtDur(ns: bigint): string {
  const s = Number(ns / NS);
  const parts: string[] = [];
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)}h`);
  if (s % 3600 >= 60) parts.push(`${Math.floor((s % 3600) / 60)}m`);
  if (s % 60 || parts.length === 0) parts.push(`${s % 60}s`);
  return parts.join('');
}

/** `2024-…Z`-style Lethe timestamp for ns since the epoch (microseconds). */
function letheTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const micros = Number((ns / 1000n) % 1000n);
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

interface Stream {
  cluster: string;
  path: (hour: string) => string;
  prefix: string;
}

function readStream(text: unknown): Stream {
  if (typeof text !== 'string') throw new RuleTestFileError('input_logs: each entry needs a stream such as pod{namespace="shop", pod="api-1", container="api"}');
  let expr;
  try {
    expr = parseQuery(text);
  } catch (e) {
    throw new RuleTestFileError(`input_logs: stream ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (expr.kind !== 'VectorSelector' || !expr.name || !isLogType(expr.name) || expr.lineFilters.length || expr.pipeline.length) {
    throw new RuleTestFileError(`input_logs: stream ${JSON.stringify(text)}: expected a log type with = matchers, such as pod{namespace="shop", pod="api-1", container="api"}`);
  }
  const labels: Record<string, string> = {};
  for (const m of expr.matchers) {
    if (m.op !== '=') throw new RuleTestFileError(`input_logs: stream ${JSON.stringify(text)}: only = matchers name a stream`);
    labels[m.name] = m.value;
  }
  const type: { target: string; lineLabels: readonly string[] } = LOG_TYPES[expr.name];
  const target = labels[type.target];
  if (!target) throw new RuleTestFileError(`input_logs: stream ${JSON.stringify(text)}: needs ${type.target}="…"`);
  for (const k of Object.keys(labels)) if (k !== 'cluster' && k !== type.target && !type.lineLabels.includes(k)) throw new RuleTestFileError(`input_logs: stream ${JSON.stringify(text)}: ${expr.name} streams have the labels ${[type.target, ...type.lineLabels].join(', ')} (and cluster)`);
  const fields = [target, ...type.lineLabels.map((l) => labels[l] ?? l)];
  return { cluster: labels['cluster'] ?? '', path: (hour) => `${expr.name}/${target}/${hour}.log`, prefix: `[${fields.join('|')}]` };
}

/** `OFFSET LINE` or `OFFSET+STEPxN LINE` → [time, line] pairs. */
function expandLine(entry: unknown): [bigint, string][] {
  if (typeof entry !== 'string') throw new RuleTestFileError('input_logs: each line is a string "OFFSET LINE", e.g. "1m30s error: payment declined"');
  const m = /^(\S+?)(?:\+(\S+?)x(\d+))?\s+(.*)$/s.exec(entry);
  if (!m) throw new RuleTestFileError(`input_logs: ${JSON.stringify(entry)}: expected "OFFSET LINE" or "OFFSET+STEPxN LINE"`);
  const start = dur(m[1], `line offset in ${JSON.stringify(entry)}`);
  const step = m[2] ? dur(m[2], `line step in ${JSON.stringify(entry)}`) : 0n;
  const n = m[3] ? Number(m[3]) : 0;
  if (n > 100_000) throw new RuleTestFileError(`input_logs: ${JSON.stringify(entry)}: at most 100000 repetitions`);
  const out: [bigint, string][] = [];
  for (let i = 0; i <= n; i++) out.push([start + BigInt(i) * step, m[4]!]);
  return out;
}

/** The store a test's `input_logs` describe (a store set when any stream names a cluster). */
export function storeFromInputLogs(input: unknown): LogStore {
  const byCluster = new Map<string, Map<string, [bigint, string][]>>();
  for (const entry of (Array.isArray(input) ? input : []) as Record<string, unknown>[]) {
    const s = readStream(entry?.['stream']);
    const lines = Array.isArray(entry['lines']) ? entry['lines'] : [];
    const files = byCluster.get(s.cluster) ?? new Map<string, [bigint, string][]>();
    byCluster.set(s.cluster, files);
    for (const l of lines) {
      for (const [t, text] of expandLine(l)) {
        const hour = letheTime(t).slice(0, 13).replace('T', '_');
        const key = s.path(hour);
        const list = files.get(key) ?? [];
        list.push([t, `${letheTime(t)}${s.prefix} ${text}`]);
        files.set(key, list);
      }
    }
  }
  const sources: Record<string, MemoryChunkSource> = {};
  for (const [cluster, files] of byCluster) {
    const record: Record<string, string> = {};
    for (const [path, lines] of files) record[path] = lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, l]) => l + '\n').join('');
    sources[cluster] = MemoryChunkSource.fromRecord(record);
  }
  const clusters = Object.keys(sources);
  if (clusters.length > 1 || (clusters.length === 1 && clusters[0] !== '')) {
    if (clusters.includes('')) throw new RuleTestFileError('input_logs: when one stream names a cluster, every stream must');
    return openStoreSetFromSources(sources);
  }
  return new LogStore(sources[''] ?? MemoryChunkSource.fromRecord({}));
}

function labelsText(labels: Record<string, string>): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

function parseLabelsText(text: unknown): Record<string, string> {
  if (typeof text !== 'string') throw new RuleTestFileError(`exp_samples: labels must be a string such as '{namespace="shop"}'`);
  const t = text.trim();
  if (t === '' || t === '{}') return {};
  let expr;
  try {
    expr = parseQuery(t.startsWith('{') ? `x${t}` : t);
  } catch (e) {
    throw new RuleTestFileError(`exp_samples: labels ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (expr.kind !== 'VectorSelector') throw new RuleTestFileError(`exp_samples: labels ${JSON.stringify(text)}: expected {name="value", …}`);
  const out: Record<string, string> = {};
  if (!t.startsWith('{') && expr.name) out['__name__'] = expr.name;
  for (const m of expr.matchers) out[m.name] = m.value;
  return out;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

/** Runs one test file. `read` reads a rule file named relative to the test file. */
export async function runRuleTests(file: string, text: string, read: (name: string) => Promise<string>): Promise<RuleTestReport> {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(text) as Record<string, unknown>;
  } catch (e) {
    throw new RuleTestFileError(`${file}: YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new RuleTestFileError(`${file}: expected a map with rule_files and tests`);
  const groups: RuleGroup[] = [];
  for (const name of (doc['rule_files'] ?? []) as string[]) groups.push(...parseRuleFile(await read(name), name));
  const interval = doc['evaluation_interval'] === undefined ? 60n * NS : dur(doc['evaluation_interval'], 'evaluation_interval');
  const sampleLines = typeof doc['sample_lines'] === 'number' ? doc['sample_lines'] : 0;
  const externalLabels = strMap(doc['external_labels']);
  const tests = (doc['tests'] ?? []) as Record<string, unknown>[];
  if (!Array.isArray(tests)) throw new RuleTestFileError(`${file}: tests must be a list`);
  const failures: string[] = [];
  for (const [i, test] of tests.entries()) {
    const name = typeof test['name'] === 'string' ? test['name'] : `test ${i + 1}`;
    const store = storeFromInputLogs(test['input_logs']);
    const alertTests = (test['alert_rule_test'] ?? []) as Record<string, unknown>[];
    const exprTests = [...((test['logql_expr_test'] ?? []) as Record<string, unknown>[]), ...((test['promql_expr_test'] ?? []) as Record<string, unknown>[])];
    const ruler = new Ruler({ store, groups, sampleLines, externalLabels, externalURL: typeof doc['external_url'] === 'string' ? doc['external_url'] : undefined });
    const due = new Map<bigint, Record<string, unknown>[]>();
    let last = 0n;
    for (const at of alertTests) {
      const t = dur(at['eval_time'], 'eval_time');
      if (t % interval !== 0n) throw new RuleTestFileError(`${file}: ${name}: eval_time ${fmtDur(t)} is not a multiple of evaluation_interval ${fmtDur(interval)}`);
      due.set(t, [...(due.get(t) ?? []), at]);
      if (t > last) last = t;
    }
    if (alertTests.length) {
      for (let t = 0n; t <= last; t += interval) {
        for (const g of ruler.groups) await ruler.evaluateGroup(g, t);
        for (const at of due.get(t) ?? []) {
          const alertname = String(at['alertname'] ?? '');
          const got = ruler
            .alerts()
            .filter((a) => a.alert.state === 'firing' && a.rule.name === alertname)
            .map((a) => {
              const { alertname: _, ...labels } = a.alert.labels;
              return `labels: ${labelsText(labels)}  annotations: ${labelsText(a.alert.annotations)}`;
            })
            .sort();
          const exp = ((at['exp_alerts'] ?? []) as Record<string, unknown>[]).map((e) => `labels: ${labelsText(strMap(e['exp_labels']))}  annotations: ${labelsText(strMap(e['exp_annotations']))}`).sort();
          const errors = ruler.groups.flatMap((g) => g.rules.filter((r) => r.rule.name === alertname && r.health === 'err').map((r) => r.lastError));
          if (errors.length) failures.push(`${name}: alertname ${alertname}, time ${fmtDur(t)}: rule failed: ${errors.join('; ')}`);
          else if (got.join('\n') !== exp.join('\n')) failures.push(`${name}: alertname ${alertname}, time ${fmtDur(t)}:\n${diff(exp, got)}`);
        }
      }
    }
    for (const et of exprTests) {
      const t = dur(et['eval_time'], 'eval_time');
      const exprText = String(et['expr'] ?? '');
      let exprAst;
      try {
        exprAst = parseQuery(exprText);
      } catch (e) {
        throw new RuleTestFileError(`${file}: ${name}: expr ${JSON.stringify(exprText)}: ${(e as Error).message}`);
      }
      if (!isMetricQuery(exprAst)) throw new RuleTestFileError(`${file}: ${name}: expr ${JSON.stringify(exprText)} is a log query; expression tests take metric queries`);
      let got: string[];
      try {
        const result = await evaluateMetricQuery(exprAst, { startNs: t, endNs: t, stepNs: 0n }, await store.metricSource());
        got = result.series.map((s) => `${labelsText(s.labels as Record<string, string>)} ${formatPromValue(s.samples[s.samples.length - 1]![1])}`).sort();
      } catch (e) {
        failures.push(`${name}: expr ${printQuery(exprAst)}, time ${fmtDur(t)}: ${(e as Error).message}`);
        continue;
      }
      const exp = ((et['exp_samples'] ?? []) as Record<string, unknown>[]).map((s) => `${labelsText(parseLabelsText(s['labels'] ?? '{}'))} ${formatPromValue(Number(s['value']))}`).sort();
      if (got.join('\n') !== exp.join('\n')) failures.push(`${name}: expr ${printQuery(exprAst)}, time ${fmtDur(t)}:\n${diff(exp, got)}`);
    }
    await store.close();
  }
  return { file, tests: tests.length, failures };
}

/** Expected and actual lines: `-` only expected, `+` only actual, ` ` both. */
function diff(exp: string[], got: string[]): string {
  const lines: string[] = [];
  for (const e of exp) lines.push(`${got.includes(e) ? ' ' : '-'} ${e}`);
  for (const g of got) if (!exp.includes(g)) lines.push(`+ ${g}`);
  if (exp.length === 0) lines.unshift('- (no alerts or samples expected)');
  if (got.length === 0) lines.push('+ (none)');
  return `  expected (-) / got (+):\n${lines.map((l) => `    ${l}`).join('\n')}`;
}

