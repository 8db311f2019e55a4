/**
 * Sends alerts to Alertmanagers (`POST /api/v2/alerts`, a JSON list of postable alerts), as
 * Prometheus's notifier does: every Alertmanager gets every alert; silences, inhibition,
 * grouping and deduplication are Alertmanager's business.
 *
 * ## Never blocking evaluation
 * {@link AlertmanagerSender.send} only appends to a bounded queue per Alertmanager and
 * returns. One loop per Alertmanager posts what is queued (at most `batchSize` alerts a
 * request); a failure (refused connection, timeout, a non-2xx answer) is retried with
 * exponential back-off (`initialBackoffMs` doubling to `maxBackoffMs`) while newer alerts
 * keep queueing behind. A full queue drops its oldest alerts and counts them: the ruler
 * re-sends firing alerts every resend delay, so a dropped one comes back while it still fires.
 */
import { formatRfc3339 } from '../time.js';
import type { OutgoingAlert } from './ruler.js';

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
export interface AlertmanagerStats {
  url: string;
  sent: number;
  failedAttempts: number;
  dropped: number;
  queued: number;
  lastError: string;
}

/** `http://am:9093` → `http://am:9093/api/v2/alerts` (a URL already ending so is kept). */
export function alertsEndpoint(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`invalid Alertmanager URL ${JSON.stringify(url)}: expected http:// or https://`);
  if (!u.pathname.endsWith('/api/v2/alerts')) u.pathname = u.pathname.replace(/\/*$/, '') + '/api/v2/alerts';
  return u.toString();
}

class Target {
  queue: OutgoingAlert[] = [];
  readonly stats: AlertmanagerStats;
  private running: Promise<void> | null = null;
  private idle: (() => void)[] = [];
  /** Set while waiting out a back-off, to cut it short on close. */
  private wake: (() => void) | null = null;
  closed = false;

  constructor(
    readonly url: string,
    private readonly opts: Required<Omit<AlertmanagerOptions, 'onError'>> & Pick<AlertmanagerOptions, 'onError'>,
  ) {
    this.stats = { url, sent: 0, failedAttempts: 0, dropped: 0, queued: 0, lastError: '' };
  }

  push(alerts: OutgoingAlert[]): void {
    this.queue.push(...alerts);
    const over = this.queue.length - this.opts.maxQueue;
    if (over > 0) {
      this.queue.splice(0, over);
      this.stats.dropped += over;
    }
    this.stats.queued = this.queue.length;
    this.running ??= this.loop().finally(() => {
      this.running = null;
      for (const f of this.idle.splice(0)) f();
    });
  }

  /** Resolves when the queue is empty (or the target closed). */
  drained(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = this.opts.initialBackoffMs;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, this.opts.batchSize);
      try {
        await this.post(batch);
        // Alerts pushed meanwhile sit behind the batch; only the batch leaves.
        this.queue.splice(0, batch.length);
        this.stats.sent += batch.length;
        this.stats.queued = this.queue.length;
        backoff = this.opts.initialBackoffMs;
      } catch (e) {
        this.stats.failedAttempts++;
        this.stats.lastError = (e as Error).message;
        this.opts.onError?.(this.url, this.stats.lastError);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
      }
    }
  }

  private async post(batch: OutgoingAlert[]): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    if (!res.ok) throw new Error(`${this.url}: HTTP ${res.status} ${(await res.text()).slice(0, 200).trim()}`);
    await res.arrayBuffer();
  }
}

/** Sends alerts to one or more Alertmanagers; see the note at the top. */
export class AlertmanagerSender {
  private readonly targets: Target[];

  constructor(urls: readonly string[], options: AlertmanagerOptions = {}) {
    const opts = {
      maxQueue: options.maxQueue ?? 10_000,
      batchSize: options.batchSize ?? 64,
      timeoutMs: options.timeoutMs ?? 10_000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      onError: options.onError,
    };
    this.targets = urls.map((u) => new Target(alertsEndpoint(u), opts));
  }

  /** Queues alerts for every Alertmanager; returns at once. */
  send(alerts: OutgoingAlert[]): void {
    for (const t of this.targets) t.push(alerts);
  }

  /** Waits until every queue is empty, or `timeoutMs` passes; true when everything was delivered. */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const done = await Promise.race([Promise.all(this.targets.map((t) => t.drained())).then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    return done === 'done' && this.targets.every((t) => t.queue.length === 0);
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
