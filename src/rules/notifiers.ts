/**
 * Direct notifiers, for teams without an Alertmanager: a webhook (Alertmanager's webhook JSON,
 * version 4), a Slack incoming webhook, and e-mail over SMTP (`nodemailer`).
 *
 * ## Grouping and repeats (kept simple, on purpose)
 * Alertmanager's routing, grouping, inhibition and silences are not reinvented. Instead:
 * - One message per group evaluation: the alerts of one `notify()` call that are due go out
 *   together (grouped by rule group, as the ruler calls `notify` once per group evaluation).
 * - An alert is due when it starts firing, when it resolves, and again every
 *   `repeatInterval` (default 4h, Alertmanager's default) while it keeps firing. The ruler's
 *   own resends (every minute, meant for Alertmanager) are not repeated to people.
 * - Delivery goes through `retry-queue.ts`, one queue per notifier: never blocking
 *   evaluation, retried with back-off, dropped on a permanent refusal (HTTP 4xx, SMTP 5xx).
 */
import { createTransport, type Transporter } from 'nodemailer';
import { formatRfc3339, NS_PER_MS } from '../time.js';
import { webhookPayload } from './alertmanager.js';
import { labelsKey, type NotifierMemory, type OutgoingAlert } from './ruler.js';
import { checkResponse, flushQueues, PermanentSendError, RetryQueue, type SendStats } from './retry-queue.js';

/** One way of telling people: delivers one message about `alerts`. */
export interface Notifier {
  /** For logs and stats: `webhook http://…`, `slack`, `email ops@…`. */
  readonly name: string;
  deliver(alerts: readonly OutgoingAlert[], nowNs: bigint): Promise<void>;
  close?(): void;
}

function isResolved(a: OutgoingAlert, nowNs: bigint): boolean {
  return a.endsAt <= formatRfc3339(nowNs, 3);
}

/** `[FIRING:2] ShopErrors` / `[RESOLVED] ShopErrors`, as Alertmanager's default titles. */
export function messageTitle(alerts: readonly OutgoingAlert[], nowNs: bigint): string {
  const firing = alerts.filter((a) => !isResolved(a, nowNs)).length;
  const names = [...new Set(alerts.map((a) => a.labels['alertname'] ?? ''))].join(', ');
  return firing ? `[FIRING:${firing}] ${names}` : `[RESOLVED] ${names}`;
}

/** A plain-text body: per alert, its state, labels, annotations (sample lines indented) and link. */
export function messageText(alerts: readonly OutgoingAlert[], nowNs: bigint): string {
  return alerts
    .map((a) => {
      const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(' ');
      const notes = Object.entries(a.annotations).map(([k, v]) => (v.includes('\n') || k === 'sample_lines' ? `${k}:\n${v.split('\n').map((l) => `    ${l}`).join('\n')}` : `${k}: ${v}`));
      return [`${isResolved(a, nowNs) ? 'RESOLVED' : 'FIRING'} since ${a.startsAt}: ${labels}`, ...notes.map((n) => `  ${n}`), ...(a.generatorURL ? [`  ${a.generatorURL}`] : [])].join('\n');
    })
    .join('\n\n');
}

async function postJson(url: string, body: unknown, timeoutMs: number): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  await checkResponse(url, res);
}

/** POSTs Alertmanager's webhook JSON (what `webhook_configs` receivers read). */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  constructor(
    readonly url: string,
    private readonly externalURL = '',
    private readonly timeoutMs = 10_000,
  ) {
    this.name = `webhook ${url}`;
  }
  deliver(alerts: readonly OutgoingAlert[], nowNs: bigint): Promise<void> {
    return postJson(this.url, webhookPayload(alerts, 'letheql', nowNs, this.externalURL), this.timeoutMs);
  }
}

/** POSTs to a Slack incoming webhook: `text` (the title) and one attachment per alert. */
export class SlackNotifier implements Notifier {
  readonly name = 'slack';
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}
  deliver(alerts: readonly OutgoingAlert[], nowNs: bigint): Promise<void> {
    return postJson(
      this.url,
      {
        text: messageTitle(alerts, nowNs),
        attachments: alerts.map((a) => {
          const resolved = isResolved(a, nowNs);
          const { sample_lines: samples, ...notes } = a.annotations;
          return {
            color: resolved ? 'good' : a.labels['severity'] === 'critical' ? 'danger' : 'warning',
            title: `${resolved ? 'RESOLVED' : 'FIRING'}: ${a.labels['alertname'] ?? ''}`,
            ...(a.generatorURL ? { title_link: a.generatorURL } : {}),
            text: [...Object.entries(notes).map(([k, v]) => `*${k}*: ${v}`), ...(samples ? ['```' + samples + '```'] : [])].join('\n'),
            fields: Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => ({ title: k, value: v, short: true })),
          };
        }),
      },
      this.timeoutMs,
    );
  }
}

/** E-mail over SMTP: subject the title, body {@link messageText}. */
export class EmailNotifier implements Notifier {
  readonly name: string;
  private readonly transport: Transporter;
  /** `smtpUrl`: `smtp://user:pass@host:587` or `smtps://…` (nodemailer's URL form). */
  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly to: readonly string[],
  ) {
    this.name = `email ${to.join(', ')}`;
    this.transport = createTransport(smtpUrl);
  }
  async deliver(alerts: readonly OutgoingAlert[], nowNs: bigint): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, to: [...this.to], subject: messageTitle(alerts, nowNs), text: messageText(alerts, nowNs) + '\n' });
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      throw code !== undefined && code >= 500 ? new PermanentSendError(`${this.name}: ${(e as Error).message}`) : e;
    }
  }
  close(): void {
    this.transport.close();
  }
}

/** Hands due alerts to direct notifiers (see the note at the top). */
export class DirectNotifications implements NotifierMemory {
  private readonly queues: RetryQueue<{ alerts: readonly OutgoingAlert[]; nowNs: bigint }>[];
  /** Per alert (labels): the state last told, and when. */
  private readonly told = new Map<string, { resolved: boolean; atNs: bigint }>();
  private readonly repeatNs: bigint;

  constructor(
    private readonly notifiers: readonly Notifier[],
    options: { repeatIntervalNs?: bigint; now?: () => bigint; initialBackoffMs?: number; maxBackoffMs?: number; onError?: (name: string, message: string) => void } = {},
  ) {
    this.repeatNs = options.repeatIntervalNs ?? 4n * 3_600_000_000_000n;
    this.now = options.now ?? (() => BigInt(Date.now()) * NS_PER_MS);
    const opts = { maxQueue: 1000, batchSize: 1, initialBackoffMs: options.initialBackoffMs ?? 1000, maxBackoffMs: options.maxBackoffMs ?? 60_000, onError: options.onError };
    this.queues = notifiers.map((n) => new RetryQueue<{ alerts: readonly OutgoingAlert[]; nowNs: bigint }>(n.name, async ([m]) => n.deliver(m!.alerts, m!.nowNs), opts));
  }

  private readonly now: () => bigint;

  /** The ruler's `notify`: picks the alerts due as of `nowNs` (the evaluation instant; default the clock) and queues one message for each notifier. */
  send(alerts: readonly OutgoingAlert[], nowNs?: bigint): void {
    const now = nowNs ?? this.now();
    const due: OutgoingAlert[] = [];
    for (const a of alerts) {
      const key = labelsKey(a.labels);
      const resolved = isResolved(a, now);
      const last = this.told.get(key);
      if (last && last.resolved === resolved && (resolved || now - last.atNs < this.repeatNs)) continue;
      if (!last && resolved) continue; // resolved before anyone was told it fired
      this.told.set(key, { resolved, atNs: now });
      due.push(a);
    }
    // Forget resolved alerts once told (the ruler forgets them after 15 minutes too).
    for (const [k, v] of this.told) if (v.resolved && now - v.atNs > 3_600_000_000_000n) this.told.delete(k);
    if (due.length) for (const q of this.queues) q.push([{ alerts: due, nowNs: now }]);
  }

  flush(timeoutMs = 30_000): Promise<boolean> {
    return flushQueues(this.queues, timeoutMs);
  }

  /** What was told per alert, for the ruler's state file (a restart then repeats nothing early). */
  remembered(): Record<string, { resolved: boolean; atNs: string }> {
    return Object.fromEntries([...this.told].map(([k, v]) => [k, { resolved: v.resolved, atNs: v.atNs.toString() }]));
  }

  recall(told: Record<string, { resolved: boolean; atNs: string }>): void {
    for (const [k, v] of Object.entries(told)) if (typeof v?.resolved === 'boolean' && /^-?\d+$/.test(String(v.atNs))) this.told.set(k, { resolved: v.resolved, atNs: BigInt(v.atNs) });
  }

  close(): void {
    for (const q of this.queues) q.close();
    for (const n of this.notifiers) n.close?.();
  }

  get stats(): SendStats[] {
    return this.queues.map((q) => ({ ...q.stats }));
  }
}
