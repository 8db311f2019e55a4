/**
 * Sends alerts to Alertmanagers (`POST /api/v2/alerts`, a JSON list of postable alerts), as
 * Prometheus's notifier does: every Alertmanager gets every alert; silences, inhibition,
 * grouping and deduplication are Alertmanager's business.
 *
 * ## Never blocking evaluation
 * {@link AlertmanagerSender.send} only appends to a bounded queue per Alertmanager
 * (`retry-queue.ts`) and returns; a failure (refused connection, timeout, a 5xx or 429) is
 * retried with exponential back-off while newer alerts queue behind; a 4xx is dropped (the
 * Alertmanager refused the content). A full queue drops its oldest alerts: the ruler re-sends
 * firing alerts every resend delay, so a dropped one comes back while it still fires.
 */
import { formatRfc3339 } from '../time.js';
import { checkResponse, flushQueues, RetryQueue, type SendStats } from './retry-queue.js';
import type { OutgoingAlert } from './ruler.js';
import { LetheQLError } from '../errors.js';

export interface AlertmanagerOptions {
  /** Most alerts queued per Alertmanager (default 10,000); older ones are dropped past it. */
  maxQueue?: number;
  /** Alerts per request (default 64, Prometheus's `maxBatchSize`). */
  batchSize?: number;
  /** Request timeout (default 10 s). */
  timeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called with each failed attempt (for logs). */
  onError?: (url: string, message: string) => void;
}

/** Per-Alertmanager counts. */
export type AlertmanagerStats = SendStats;

/** `http://am:9093` → `http://am:9093/api/v2/alerts` (a URL already ending so is kept). */
export function alertsEndpoint(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LetheQLError('INVALID_OPTION', `invalid Alertmanager URL ${JSON.stringify(url)}: expected http:// or https://`);
  if (!u.pathname.endsWith('/api/v2/alerts')) u.pathname = u.pathname.replace(/\/*$/, '') + '/api/v2/alerts';
  return u.toString();
}

async function postAlerts(url: string, batch: OutgoingAlert[], timeoutMs: number): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch), signal: AbortSignal.timeout(timeoutMs) });
  await checkResponse(url, res);
}

/** Sends alerts to one or more Alertmanagers; see the note at the top. */
export class AlertmanagerSender {
  private readonly targets: RetryQueue<OutgoingAlert>[];

  constructor(urls: readonly string[], options: AlertmanagerOptions = {}) {
    const opts = {
      maxQueue: options.maxQueue ?? 10_000,
      batchSize: options.batchSize ?? 64,
      timeoutMs: options.timeoutMs ?? 10_000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      onError: options.onError,
    };
    this.targets = urls.map((u) => {
      const url = alertsEndpoint(u);
      return new RetryQueue<OutgoingAlert>(url, (batch) => postAlerts(url, batch, opts.timeoutMs), opts);
    });
  }

  /** Queues alerts for every Alertmanager; returns at once. */
  send(alerts: OutgoingAlert[]): void {
    for (const t of this.targets) t.push(alerts);
  }

  /** Waits until every queue is empty, or `timeoutMs` passes; true when everything was delivered. */
  flush(timeoutMs = 30_000): Promise<boolean> {
    return flushQueues(this.targets, timeoutMs);
  }

  /** Stops retrying (queued alerts are dropped). */
  close(): void {
    for (const t of this.targets) t.close();
  }

  get stats(): AlertmanagerStats[] {
    return this.targets.map((t) => ({ ...t.stats }));
  }
}

/** Alertmanager's webhook JSON (version 4) for a batch of alerts, as direct notifiers post it. */
export function webhookPayload(alerts: readonly OutgoingAlert[], receiver: string, nowNs: bigint, externalURL: string): unknown {
  const now = formatRfc3339(nowNs, 3);
  const status = (a: OutgoingAlert): 'firing' | 'resolved' => (a.endsAt <= now ? 'resolved' : 'firing');
  const common = <K extends 'labels' | 'annotations'>(k: K): Record<string, string> => {
    const out: Record<string, string> = {};
    const first = alerts[0]?.[k] ?? {};
    for (const [n, v] of Object.entries(first)) if (alerts.every((a) => a[k][n] === v)) out[n] = v;
    return out;
  };
  const commonLabels = common('labels');
  return {
    version: '4',
    groupKey: JSON.stringify(commonLabels),
    truncatedAlerts: 0,
    status: alerts.some((a) => status(a) === 'firing') ? 'firing' : 'resolved',
    receiver,
    groupLabels: { alertname: commonLabels['alertname'] ?? '' },
    commonLabels,
    commonAnnotations: common('annotations'),
    externalURL,
    alerts: alerts.map((a) => ({ status: status(a), labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: status(a) === 'resolved' ? a.endsAt : '0001-01-01T00:00:00Z', generatorURL: a.generatorURL, fingerprint: fingerprint(a.labels) })),
  };
}

/** A stable 16-hex-digit id of a label set (FNV-1a 64 over sorted `name\xffvalue\xff`), as Alertmanager's fingerprints look. */
function fingerprint(labels: Readonly<Record<string, string>>): string {
  let h = 0xcbf29ce484222325n;
  const text = Object.keys(labels).sort().map((k) => `${k}\xff${labels[k]}\xff`).join('');
  for (const b of new TextEncoder().encode(text)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}
