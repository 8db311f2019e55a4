/**
 * Direct notifiers against receivers on 127.0.0.1: a webhook (Alertmanager's webhook JSON)
 * and a Slack incoming webhook (HTTP servers in the test), and e-mail through a real SMTP
 * server (the `smtp-server` library). A rule fires, keeps firing past the ruler's resends
 * (not repeated to people), and resolves: two messages each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { LogStore } from '../../src/api.js';
import { DirectNotifications, EmailNotifier, SlackNotifier, WebhookNotifier } from '../../src/rules/notifiers.js';
import { parseRuleFile } from '../../src/rules/rule-file.js';
import { Ruler } from '../../src/rules/ruler.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { httpReceiver } from '../support/services.js';

const T0 = Date.parse('2024-09-24T13:00:00Z');
const at = (m: number): bigint => BigInt(T0 + m * 60_000) * 1_000_000n;

describe('direct notifiers', () => {
  const mails: { from: string; to: string[]; data: string }[] = [];
  let smtp: SMTPServer;
  let smtpPort = 0;
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, done) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), data });
          done();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('tells webhook, Slack and e-mail once when an alert fires and once when it resolves', async () => {
    const hook = await httpReceiver();
    const slack = await httpReceiver();
    const lines: string[] = [];
    for (let m = 0; m < 6; m++) lines.push(`2024-09-24T13:0${m}:30.000000Z[shop|api-1|api] ERROR card ${m} declined`);
    const store = new LogStore(MemoryChunkSource.fromRecord({ 'pod/shop/2024-09-24_13.log': lines.join('\n') + '\n' }));
    let now = at(0);
    const direct = new DirectNotifications(
      [new WebhookNotifier(`${hook.url}/alerts`, 'http://letheql:3100/'), new SlackNotifier(`${slack.url}/services/T0/B0/x`), new EmailNotifier(`smtp://127.0.0.1:${smtpPort}`, 'letheql@example.org', ['oncall@example.org'])],
      { now: () => now },
    );
    const ruler = new Ruler({
      store,
      groups: parseRuleFile(`groups:\n  - name: shop\n    rules:\n      - alert: CardDeclines\n        expr: pod{namespace="shop"} |= "ERROR"\n        labels: {severity: critical}\n        annotations: {summary: '{{ $value }} declined'}\n`, 'r.yaml'),
      now: () => now,
      resendDelayNs: 60_000_000_000n,
      notify: (a, t) => direct.send(a, t),
    });
    for (let m = 1; m <= 9; m++) {
      now = at(m);
      await ruler.evaluateAll();
    }
    expect(await direct.flush(10_000)).toBe(true);
    // Fired at 1m (no `for`), re-sent by the ruler at 3m and 5m (not told again), resolved at 7m.
    const hooks = hook.received.map((r) => JSON.parse(r.body.toString()));
    expect(hooks.map((h) => [h.status, h.alerts.map((a: { status: string }) => a.status)])).toEqual([
      ['firing', ['firing']],
      ['resolved', ['resolved']],
    ]);
    expect(hooks[0]).toMatchObject({
      version: '4',
      receiver: 'letheql',
      commonLabels: { alertname: 'CardDeclines', severity: 'critical' },
      externalURL: 'http://letheql:3100/',
      alerts: [{ labels: { alertname: 'CardDeclines', severity: 'critical' }, annotations: { summary: '1 declined', sample_lines: 'ERROR card 0 declined' }, startsAt: '2024-09-24T13:01:00.000Z', endsAt: '0001-01-01T00:00:00Z' }],
    });
    expect(hooks[1].alerts[0].endsAt).toBe('2024-09-24T13:07:00.000Z');
    expect(hook.received[0]!.path).toBe('/alerts');
    const slacks = slack.received.map((r) => JSON.parse(r.body.toString()));
    expect(slacks.map((s) => s.text)).toEqual(['[FIRING:1] CardDeclines', '[RESOLVED] CardDeclines']);
    expect(slacks[0].attachments[0]).toMatchObject({ color: 'danger', title: 'FIRING: CardDeclines', text: '*summary*: 1 declined\n```ERROR card 0 declined```', fields: [{ title: 'severity', value: 'critical', short: true }] });
    expect(mails.map((m) => [m.from, m.to, /^Subject: (.*)$/m.exec(m.data)?.[1]])).toEqual([
      ['letheql@example.org', ['oncall@example.org'], '[FIRING:1] CardDeclines'],
      ['letheql@example.org', ['oncall@example.org'], '[RESOLVED] CardDeclines'],
    ]);
    // The body is quoted-printable; decode it to read it.
    const body = mails[0]!.data.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    expect(body).toContain('FIRING since 2024-09-24T13:01:00.000Z: severity=critical alertname=CardDeclines\r\n  summary: 1 declined\r\n  sample_lines:\r\n    ERROR card 0 declined\r\n  http://localhost:3100/#q=');
    direct.close();
    await hook.close();
    await slack.close();
  });

  it('repeats a firing alert after repeatInterval, and retries a failing receiver', async () => {
    const hook = await httpReceiver(500);
    let now = at(0);
    const direct = new DirectNotifications([new WebhookNotifier(hook.url)], { now: () => now, repeatIntervalNs: 10n * 60_000_000_000n, initialBackoffMs: 20, maxBackoffMs: 50 });
    const alert = { labels: { alertname: 'A' }, annotations: {}, startsAt: '2024-09-24T13:00:00.000Z', endsAt: '2024-09-24T14:00:00.000Z', generatorURL: '' };
    direct.send([alert]);
    await hook.waitFor((r) => r.length >= 2);
    hook.setStatus(200);
    expect(await direct.flush(5000)).toBe(true);
    now = at(5);
    direct.send([alert]); // within repeatInterval: not due
    now = at(11);
    direct.send([alert]); // past it: due again
    expect(await direct.flush(5000)).toBe(true);
    expect(direct.stats[0]).toMatchObject({ sent: 2, dropped: 0 });
    expect(direct.stats[0]!.failedAttempts).toBeGreaterThanOrEqual(2);
    direct.close();
    await hook.close();
  });
});
