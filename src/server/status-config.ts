/**
 * The effective server configuration as YAML, for the Prometheus dialect's
 * `/api/v1/status/config` (Prometheus answers `{"status":"success","data":{"yaml":"…"}}`,
 * its loaded configuration with secrets shown as `<secret>`).
 *
 * What is shown: the `--config` file's keys (`config.ts`) with every default filled in, in the
 * units the file takes (durations as `60s`, sizes as bytes, `0` for a limit that is off), the
 * address listened on and the scan workers, and the ruler's flags when `--rules` is given.
 * Secrets never leave the server: the passwords in URLs (`https://user:<secret>@host/…`),
 * Slack webhook URLs whole (the URL is the credential), and the bearer tokens (only the token
 * file's path is shown, as Prometheus shows `bearer_token_file`).
 */
import { stringify } from 'yaml';
import type { ServerConfig, ServerLimits } from './config.js';

/** What Prometheus writes in place of a secret. */
export const SECRET = '<secret>';

/** The ruler's settings (`letheql serve --rules …` flags). */
export interface RulerSettings {
  ruleFiles: string[];
  alertmanagers?: string[];
  remoteWrite?: string[];
  webhooks?: string[];
  slackWebhooks?: string[];
  smtp?: string;
  emailFrom?: string;
  emailTo?: string[];
  repeatInterval?: string;
  stateFile?: string;
  externalUrl?: string;
}

/** Everything `/api/v1/status/config` shows. */
export interface EffectiveConfig {
  config: ServerConfig;
  /** `host:port` listened on. */
  listen?: string;
  rules?: RulerSettings;
}

/** `url` with the password of its user info replaced by {@link SECRET}; a value that is not a URL is shown as a secret whole (it may be one). */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return SECRET;
  }
  if (u.password === '') return url;
  // Rebuilt by hand: the URL setter would percent-encode `<secret>`.
  return `${u.protocol}//${u.username}:${SECRET}@${u.host}${u.pathname}${u.search}${u.hash}`;
}

function duration(ms: number | null): string {
  if (ms === null) return '0';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Limits as the config file writes them (`queryTimeout`, bytes, `0` = off). */
function limitsForFile(l: ServerLimits): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(l) as [keyof ServerLimits, number | null][]) {
    if (k === 'queryTimeoutMs') out['queryTimeout'] = duration(v);
    else out[k] = v ?? 0;
  }
  return out;
}

/** The YAML of the effective configuration (see the module note). */
export function configYaml(e: EffectiveConfig): string {
  const c = e.config;
  const doc: Record<string, unknown> = {
    listen: e.listen ?? c.listen ?? null,
    logLevel: c.logLevel ?? 'info',
    workers: c.workers ?? null,
    limits: limitsForFile(c.limits),
    auth: c.tokenFile !== undefined ? { tokenFile: c.tokenFile } : null,
    push: { enabled: c.push.enabled, fsync: c.push.fsync, ...(c.push.labels ? { labels: c.push.labels } : {}) },
    serviceName: c.serviceName ?? 'app',
  };
  const r = e.rules;
  if (r) {
    doc['rules'] = {
      ruleFiles: r.ruleFiles,
      alertmanagers: (r.alertmanagers ?? []).map(redactUrl),
      remoteWrite: (r.remoteWrite ?? []).map(redactUrl),
      webhooks: (r.webhooks ?? []).map(redactUrl),
      slackWebhooks: (r.slackWebhooks ?? []).map(() => SECRET),
      smtp: r.smtp === undefined ? null : redactUrl(r.smtp),
      emailFrom: r.emailFrom ?? null,
      emailTo: r.emailTo ?? [],
      repeatInterval: r.repeatInterval ?? null,
      stateFile: r.stateFile ?? null,
      externalUrl: r.externalUrl === undefined ? null : redactUrl(r.externalUrl),
    };
  }
  return stringify(doc);
}
