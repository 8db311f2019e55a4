/**
 * The ruler's configuration file (`letheql rules run --config FILE`): the part of a
 * Prometheus configuration that a ruler reads, so that a team moving its log rules from
 * Prometheus/Loki keeps its file, plus a `letheql:` section for what Prometheus has no key for.
 *
 * ```yaml
 * global:
 *   evaluation_interval: 1m          # groups without their own interval
 *   rule_query_offset: 30s           # evaluation delay for late logs (a group's query_offset wins)
 *   external_labels: {cluster: prod}
 * rule_files: [rules/*.yaml]         # relative to this file; `*` and `?` in the last segment
 * alerting:
 *   alertmanagers:
 *     - static_configs: [{targets: ['alertmanager:9093']}]
 *       scheme: http                 # default http
 *       path_prefix: /               # default /
 * remote_write:
 *   - url: http://prometheus:9090/api/v1/write
 * letheql:
 *   state_file: /var/lib/letheql/ruler.json
 *   external_url: https://logs.example.com/
 *   resend_delay: 1m
 *   sample_lines: 3
 *   repeat_interval: 4h               # direct notifiers
 *   webhook: [http://hooks.example.com/alerts]
 *   slack_webhook: [https://hooks.slack.com/services/…]
 *   email: {smtp: 'smtp://user:pass@mail:587', from: alerts@example.com, to: [oncall@example.com]}
 * ```
 *
 * ## Reading
 * The same YAML reader as rule files (`rule-file.ts`): every problem found, each with
 * `file:line:column`, and a bad file refused whole. Unknown keys are errors, as Prometheus's
 * strict unmarshalling makes them; the sections of a full `prometheus.yml` that a ruler has
 * no use for (`scrape_configs`, `remote_read`, `storage`, …) are skipped and listed in
 * {@link RulerConfig.ignored}, so a Prometheus file can be pointed at as it is.
 *
 * The result is in the shape of the `rules run` flags (`cli/rules-command.ts` merges them:
 * repeatable flags add to the file's lists, single flags win), so there is one path from
 * options to a ruler.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { durationValue, FileReader, keyOf, LABEL_NAME, pairsOf, RuleFileError, stringMap, stringValue } from './rule-file.js';
import { formatDuration } from '../time.js';
import { LetheQLError } from '../errors.js';

/** A ruler configuration, in the shape of the `rules run` flags. */
export interface RulerConfig {
  /** Rule files, made absolute against the config file's directory; globs expanded by the caller ({@link expandRuleFiles}). */
  rules: string[];
  alertmanager: string[];
  'remote-write': string[];
  'external-label': string[];
  'default-interval'?: string;
  'query-offset'?: string;
  state?: string;
  'external-url'?: string;
  'resend-delay'?: string;
  'sample-lines'?: string;
  'repeat-interval'?: string;
  webhook: string[];
  'slack-webhook': string[];
  smtp?: string;
  'email-from'?: string;
  'email-to': string[];
  /** Top-level Prometheus sections present in the file and skipped (a ruler does not use them). */
  ignored: string[];
}

const TOP = new Set(['global', 'rule_files', 'alerting', 'remote_write', 'letheql']);
/** Sections of a full prometheus.yml that a ruler skips. */
const PROMETHEUS_ONLY = new Set(['scrape_configs', 'scrape_config_files', 'remote_read', 'storage', 'tracing', 'otlp', 'runtime']);
const GLOBAL = new Set(['evaluation_interval', 'rule_query_offset', 'external_labels', 'scrape_interval', 'scrape_timeout', 'query_log_file', 'scrape_protocols']);
const AM = new Set(['static_configs', 'scheme', 'path_prefix', 'api_version', 'timeout']);
const LETHEQL = new Set(['state_file', 'external_url', 'resend_delay', 'sample_lines', 'repeat_interval', 'webhook', 'slack_webhook', 'email']);

/**
 * Parses a ruler configuration. `file` names it in errors; `dir` is where relative rule file
 * paths start (the config file's directory). Throws {@link RuleFileError} with every problem.
 */
export function parseRulerConfig(text: string, file: string, dir: string): RulerConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new FileReader(file, text, lines);
  for (const e of doc.errors) r.issue(r.pos(e.pos[0]), `YAML: ${e.message}`);
  if (r.issues.length) throw new RuleFileError(r.issues);
  const out: RulerConfig = { rules: [], alertmanager: [], 'remote-write': [], 'external-label': [], webhook: [], 'slack-webhook': [], 'email-to': [], ignored: [] };
  const root = doc.contents as YamlNode | null;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) throw new RuleFileError([{ ...r.at(root), message: 'a ruler config must be a map (global, rule_files, alerting, remote_write, letheql)' }]);
  const duration = (node: YamlNode | null, what: string): string | undefined => {
    const ns = durationValue(r, node, what);
    return ns === null ? undefined : formatDuration(ns);
  };
  for (const p of pairsOf(root)) {
    const key = keyOf(p);
    const v = p.value;
    if (PROMETHEUS_ONLY.has(key)) {
      out.ignored.push(key);
      continue;
    }
    if (!TOP.has(key)) {
      r.issue(r.at(p.key), `field ${JSON.stringify(key)} not found in a ruler config (fields: ${[...TOP].join(', ')})`);
      continue;
    }
    if (key === 'global') {
      for (const g of fieldsOf(r, v, 'global', GLOBAL)) {
        const k = keyOf(g);
        if (k === 'evaluation_interval') out['default-interval'] = duration(g.value, 'global.evaluation_interval');
        else if (k === 'rule_query_offset') out['query-offset'] = duration(g.value, 'global.rule_query_offset');
        else if (k === 'external_labels') {
          const { values } = stringMap(r, g.value, 'global.external_labels', 'label', LABEL_NAME);
          for (const [name, value] of Object.entries(values)) out['external-label'].push(`${name}=${value}`);
        }
      }
    } else if (key === 'rule_files') {
      for (const s of strings(r, v, 'rule_files')) out.rules.push(s.startsWith('/') ? s : `${dir.replace(/\/$/, '')}/${s}`);
    } else if (key === 'remote_write') {
      for (const item of listOf(r, v, 'remote_write')) {
        const fields = fieldsOf(r, item, 'remote_write entry', new Set(['url', 'name', 'remote_timeout', 'headers', 'write_relabel_configs', 'queue_config', 'metadata_config']));
        const url = fields.find((f) => keyOf(f) === 'url');
        if (!url) r.issue(r.at(item), 'a remote_write entry needs a url');
        else {
          const u = urlValue(r, url.value, 'remote_write url');
          if (u) out['remote-write'].push(u);
        }
        for (const f of fields) if (keyOf(f) !== 'url' && keyOf(f) !== 'name') r.issue(r.at(f.key), `remote_write ${keyOf(f)} is not supported by letheql (only url and name)`);
      }
    } else if (key === 'alerting') {
      for (const a of fieldsOf(r, v, 'alerting', new Set(['alertmanagers', 'alert_relabel_configs']))) {
        if (keyOf(a) === 'alert_relabel_configs') {
          r.issue(r.at(a.key), 'alerting.alert_relabel_configs is not supported by letheql');
          continue;
        }
        for (const am of listOf(r, a.value, 'alerting.alertmanagers')) readAlertmanager(r, am, out);
      }
    } else {
      for (const f of fieldsOf(r, v, 'letheql', LETHEQL)) {
        const k = keyOf(f);
        if (k === 'state_file') {
          const s = stringValue(r, f.value, 'letheql.state_file');
          if (s !== null) out.state = s.startsWith('/') ? s : `${dir.replace(/\/$/, '')}/${s}`;
        } else if (k === 'external_url') {
          const u = urlValue(r, f.value, 'letheql.external_url');
          if (u) out['external-url'] = u;
        } else if (k === 'resend_delay') out['resend-delay'] = duration(f.value, 'letheql.resend_delay');
        else if (k === 'repeat_interval') out['repeat-interval'] = duration(f.value, 'letheql.repeat_interval');
        else if (k === 'sample_lines') {
          if (isScalar(f.value) && typeof f.value.value === 'number' && Number.isSafeInteger(f.value.value) && f.value.value >= 0) out['sample-lines'] = String(f.value.value);
          else r.issue(r.at(f.value), 'letheql.sample_lines must be a non-negative integer');
        } else if (k === 'webhook' || k === 'slack_webhook') {
          for (const s of strings(r, f.value, `letheql.${k}`)) if (checkUrl(r, f.value, s, `letheql.${k}`)) out[k === 'webhook' ? 'webhook' : 'slack-webhook'].push(s);
        } else if (k === 'email') {
          const fields = fieldsOf(r, f.value, 'letheql.email', new Set(['smtp', 'from', 'to']));
          for (const e of fields) {
            const ek = keyOf(e);
            if (ek === 'smtp') {
              const u = urlValue(r, e.value, 'letheql.email.smtp');
              if (u) out.smtp = u;
            } else if (ek === 'from') {
              const s = stringValue(r, e.value, 'letheql.email.from');
              if (s !== null) out['email-from'] = s;
            } else out['email-to'].push(...strings(r, e.value, 'letheql.email.to'));
          }
          if (fields.length > 0 && (out.smtp === undefined || out['email-from'] === undefined || out['email-to'].length === 0)) {
            r.issue(r.at(f.value), 'letheql.email needs smtp, from and to');
          }
        }
      }
    }
  }
  if (r.issues.length) throw new RuleFileError(r.issues);
  return out;
}

/** One `alertmanagers` entry: `static_configs[].targets` with `scheme` and `path_prefix`, as Prometheus builds the URLs. */
function readAlertmanager(r: FileReader, node: YamlNode, out: RulerConfig): void {
  const fields = fieldsOf(r, node, 'alertmanagers entry', AM);
  let scheme = 'http';
  let prefix = '/';
  const targets: string[] = [];
  for (const f of fields) {
    const k = keyOf(f);
    if (k === 'scheme') {
      const s = stringValue(r, f.value, 'scheme');
      if (s === 'http' || s === 'https') scheme = s;
      else if (s !== null) r.issue(r.at(f.value), `scheme must be http or https, not ${JSON.stringify(s)}`);
    } else if (k === 'path_prefix') {
      const s = stringValue(r, f.value, 'path_prefix');
      if (s !== null) prefix = s.startsWith('/') ? s : `/${s}`;
    } else if (k === 'api_version') {
      const s = stringValue(r, f.value, 'api_version');
      if (s !== null && s !== 'v2') r.issue(r.at(f.value), `api_version ${JSON.stringify(s)}: letheql speaks Alertmanager's v2 API only`);
    } else if (k === 'static_configs') {
      for (const sc of listOf(r, f.value, 'static_configs')) {
        for (const t of fieldsOf(r, sc, 'static_configs entry', new Set(['targets', 'labels']))) {
          if (keyOf(t) === 'targets') targets.push(...strings(r, t.value, 'targets'));
          else r.issue(r.at(t.key), 'static_configs labels are not supported by letheql');
        }
      }
    }
  }
  if (targets.length === 0) r.issue(r.at(node), 'an alertmanagers entry needs static_configs with targets (service discovery is not supported)');
  for (const t of targets) {
    const url = `${scheme}://${t}${prefix === '/' ? '' : prefix.replace(/\/$/, '')}`;
    if (checkUrl(r, node, url, 'alertmanager target')) out.alertmanager.push(url);
  }
}

function fieldsOf(r: FileReader, node: YamlNode | null, what: string, known: Set<string>) {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    r.issue(r.at(node), `${what} must be a map`);
    return [];
  }
  const out = [];
  for (const p of pairsOf(node)) {
    if (known.has(keyOf(p))) out.push(p);
    else r.issue(r.at(p.key), `field ${JSON.stringify(keyOf(p))} not found in ${what} (fields: ${[...known].join(', ')})`);
  }
  // Keys Prometheus has that a ruler ignores (global's scrape settings): known, but not returned as work.
  return out.filter((p) => !['scrape_interval', 'scrape_timeout', 'query_log_file', 'scrape_protocols', 'timeout'].includes(keyOf(p)));
}

function listOf(r: FileReader, node: YamlNode | null, what: string): YamlNode[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) {
    r.issue(r.at(node), `${what} must be a list`);
    return [];
  }
  return node.items as YamlNode[];
}

function strings(r: FileReader, node: YamlNode | null, what: string): string[] {
  const out: string[] = [];
  for (const item of listOf(r, node, what)) {
    const s = stringValue(r, item, `an item of ${what}`);
    if (s !== null) out.push(s);
  }
  return out;
}

function checkUrl(r: FileReader, node: YamlNode | null, text: string, what: string): boolean {
  if (URL.canParse(text) && /^(https?|smtps?):$/.test(new URL(text).protocol)) return true;
  r.issue(r.at(node), `${what} ${JSON.stringify(text)} is not a valid URL`);
  return false;
}

function urlValue(r: FileReader, node: YamlNode | null, what: string): string | null {
  const s = stringValue(r, node, what);
  return s !== null && checkUrl(r, node, s, what) ? s : null;
}

/**
 * Expands `*` and `?` in the last path segment of each rule file pattern (Prometheus's
 * `rule_files` globs, the common case), sorted; a pattern without them is kept as it is.
 * `list(dir)` lists a directory's entries (the Node face passes `readdir`).
 */
export async function expandRuleFiles(patterns: readonly string[], list: (dir: string) => Promise<string[]>): Promise<string[]> {
  const out: string[] = [];
  for (const p of patterns) {
    const slash = p.lastIndexOf('/');
    const base = p.slice(slash + 1);
    if (/[*?[]/.test(p.slice(0, Math.max(slash, 0)))) throw new LetheQLError('INVALID_OPTION', `rule_files ${JSON.stringify(p)}: wildcards are supported in the file name only`);
    if (!/[*?]/.test(base)) {
      out.push(p);
      continue;
    }
    const dir = slash < 0 ? '.' : p.slice(0, slash) || '/';
    const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    const names = (await list(dir)).filter((n) => re.test(n) && !n.startsWith('.')).sort();
    for (const n of names) out.push(slash < 0 ? n : `${p.slice(0, slash)}/${n}`);
  }
  return out;
}
