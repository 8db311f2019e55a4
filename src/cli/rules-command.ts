/**
 * `letheql rules …`: the ruler's command-line face (`src/rules/` holds the ruler).
 *
 * - `rules check FILE…`: parse and check every rule; prints what each rule evaluates, or the
 *   positioned problems and exits 2.
 * - `rules test FILE…`: unit tests (`src/rules/unit-test.ts`); exit 1 on a failed expectation.
 * - `rules run`: evaluates until SIGINT/SIGTERM, or once (`--once`, at `--now`), sending
 *   alerts to Alertmanagers; prints each group evaluation's alerts (and recorded samples) as
 *   one JSON object a line on stdout.
 * - `rules replay --from T --to T`: evaluates every aligned tick of the range and prints each
 *   alert's transitions (pending, firing, resolved); `--alertmanager` also sends them.
 *
 * Loaded lazily (see `SUBCOMMANDS` in main.ts): the YAML library and the ruler load only here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO } from './io.js';
import { UsageError } from './stores.js';
import { describeRule, formatRuleIssue, parseRuleFile, RuleFileError, type RuleGroup } from '../rules/rule-file.js';
import { LetheQLError } from '../errors.js';
import { formatRfc3339, parseDuration, parseTime } from '../time.js';
import { openSpec, S3_OPTIONS, storeSpec } from './stores.js';
import { BUNDLED_STORE } from './io.js';
import type { LogStore } from '../api.js';
import type { OutgoingAlert, RecordedSample, Ruler as RulerType } from '../rules/ruler.js';

export const RULES_USAGE = `usage: letheql rules check FILE…
       letheql rules test FILE…
       letheql rules run --rules FILE… [--config FILE] [--store DIR|NAME=DIR…] [--alertmanager URL…] [--once] [--now T]
       letheql rules replay --rules FILE… --from T --to T [--store …] [--alertmanager URL…]
  check FILE…          parse and check rule files (Prometheus/Loki groups or Venti's
                       kind: AlertRuleFile); exit 2 with file:line:column errors
  test FILE…           unit tests in promtool's format with input_logs; exit 1 on a failure
  run                  evaluate rules until SIGINT/SIGTERM (--once: once at --now, then exit)
  replay               evaluate every tick of [--from, --to]; print alert transitions
options (run, replay):
  --rules FILE         repeatable: rule files
  --config FILE        a Prometheus-style ruler config (YAML): global (evaluation_interval,
                       rule_query_offset, external_labels), rule_files, alerting.alertmanagers,
                       remote_write, and a letheql: section for the options below; flags add
                       to its lists and win over its single values
  --store DIR, --store NAME=DIR, --stores FILE   as for queries
  --alertmanager URL   repeatable: post alerts to Alertmanager's /api/v2/alerts
  --remote-write URL   (run) repeatable: send recording rules' samples by Prometheus remote-write
  --webhook URL        repeatable: post Alertmanager's webhook JSON (no Alertmanager needed)
  --slack-webhook URL  repeatable: post to a Slack incoming webhook
  --smtp URL --email-from ADDR --email-to ADDR…   e-mail (smtp://user:pass@host:587)
  --repeat-interval DUR  direct notifiers: tell again while firing this often (default 4h);
                       one message per group evaluation, on firing and on resolving
  --state FILE         (run) alert state kept across restarts (default: none)
  --now T              (run --once) the evaluation time (default: now)
  --query-offset DUR   evaluation delay for late logs (groups' query_offset wins)
  --resend-delay DUR   resend firing alerts this often (default 1m)
  --external-url URL   the letheql server whose viewer generatorURL opens (default http://localhost:3100/)
  --external-label K=V repeatable: added to every alert sent
  --sample-lines N     sample lines per alert of a log rule (default 3; 0 = none)`;

function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Reads and parses rule files; throws {@link RuleFileError} (all files' issues) or a LetheQLError for an unreadable file. */
export async function loadRuleFiles(paths: readonly string[]): Promise<RuleGroup[]> {
  const groups: RuleGroup[] = [];
  const issues: RuleFileError['issues'][number][] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new LetheQLError('STORE_NOT_FOUND', `cannot read rule file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      groups.push(...parseRuleFile(text, path));
    } catch (e) {
      if (!(e instanceof RuleFileError)) throw e;
      issues.push(...e.issues);
    }
  }
  if (issues.length) throw new RuleFileError(issues);
  return groups;
}

async function check(files: string[], io: CliIO): Promise<number> {
  if (files.length === 0) throw new UsageError('rules check: missing FILE');
  const groups = await loadRuleFiles(files);
  let out = '';
  for (const file of files) {
    const mine = groups.filter((g) => g.file === file);
    out += `${file}: ${mine.length} group${mine.length === 1 ? '' : 's'}, ${mine.reduce((n, g) => n + g.rules.length, 0)} rules\n`;
    for (const g of mine) {
      for (const r of g.rules) out += `  ${g.name}/${r.name} (${r.kind}): ${describeRule(r)}\n`;
    }
  }
  await write(io.stdout, out);
  return 0;
}

const RUN_OPTIONS = {
  ...S3_OPTIONS,
  rules: { type: 'string', multiple: true },
  config: { type: 'string' },
  store: { type: 'string', multiple: true },
  stores: { type: 'string' },
  alertmanager: { type: 'string', multiple: true },
  'remote-write': { type: 'string', multiple: true },
  webhook: { type: 'string', multiple: true },
  'slack-webhook': { type: 'string', multiple: true },
  smtp: { type: 'string' },
  'email-from': { type: 'string' },
  'email-to': { type: 'string', multiple: true },
  'repeat-interval': { type: 'string' },
  state: { type: 'string' },
  once: { type: 'boolean' },
  now: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'query-offset': { type: 'string' },
  'resend-delay': { type: 'string' },
  'external-url': { type: 'string' },
  'external-label': { type: 'string', multiple: true },
  'sample-lines': { type: 'string' },
} as const;

function flags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: RUN_OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** Builds a ruler (and its store and sender) from `run`/`replay` flags. */
/** Direct notifiers from the flags (webhook, Slack, e-mail), or null when none is asked for. */
export async function directNotifications(values: { webhook?: string[]; 'slack-webhook'?: string[]; smtp?: string; 'email-from'?: string; 'email-to'?: string[]; 'repeat-interval'?: string; 'external-url'?: string }, io: CliIO) {
  const wantsMail = values.smtp !== undefined || values['email-to'] !== undefined || values['email-from'] !== undefined;
  if (!values.webhook?.length && !values['slack-webhook']?.length && !wantsMail) return null;
  if (wantsMail && (values.smtp === undefined || !values['email-to']?.length || values['email-from'] === undefined)) throw new UsageError('e-mail needs --smtp URL, --email-from ADDR and --email-to ADDR');
  const { DirectNotifications, WebhookNotifier, SlackNotifier, EmailNotifier } = await import('../rules/notifiers.js');
  const notifiers = [];
  try {
    for (const u of values.webhook ?? []) notifiers.push(new WebhookNotifier(new URL(u).toString(), values['external-url'] ?? ''));
    for (const u of values['slack-webhook'] ?? []) notifiers.push(new SlackNotifier(new URL(u).toString()));
    if (wantsMail) notifiers.push(new EmailNotifier(values.smtp!, values['email-from']!, values['email-to']!));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return new DirectNotifications(notifiers, {
    ...(values['repeat-interval'] !== undefined ? { repeatIntervalNs: parseDuration(values['repeat-interval'], '--repeat-interval') } : {}),
    onError: (name, msg) => io.stderr.write(`letheql: ${name}: ${msg}\n`),
  });
}

type Flags = ReturnType<typeof flags>;

/** The flags with `--config FILE` read in: the file's lists first, then the flags'; a single flag wins over the file. */
async function withConfig(values: Flags, io: CliIO): Promise<{ values: Flags; defaultInterval?: string }> {
  if (values.config === undefined) return { values };
  const { parseRulerConfig, expandRuleFiles } = await import('../rules/ruler-config.js');
  let text: string;
  try {
    text = await readFile(values.config, 'utf8');
  } catch (e) {
    throw new LetheQLError('STORE_NOT_FOUND', `cannot read config file ${values.config}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const cfg = parseRulerConfig(text, values.config, dirname(resolve(values.config)));
  if (cfg.ignored.length) await write(io.stderr, `letheql: ${values.config}: skipping ${cfg.ignored.join(', ')} (not used by a ruler)\n`);
  const rules = await expandRuleFiles(cfg.rules, async (dir) => {
    try {
      return await readdir(dir);
    } catch (e) {
      throw new LetheQLError('STORE_NOT_FOUND', `cannot list rule_files directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  const list = (a: string[], b: string[] | undefined): string[] => [...a, ...(b ?? [])];
  const merged: Flags = {
    ...values,
    rules: list(rules, values.rules),
    alertmanager: list(cfg.alertmanager, values.alertmanager),
    'remote-write': list(cfg['remote-write'], values['remote-write']),
    'external-label': list(cfg['external-label'], values['external-label']),
    webhook: list(cfg.webhook, values.webhook),
    'slack-webhook': list(cfg['slack-webhook'], values['slack-webhook']),
  };
  const emailTo = values['email-to']?.length ? values['email-to'] : cfg['email-to'];
  if (emailTo.length) merged['email-to'] = emailTo;
  for (const k of ['query-offset', 'state', 'external-url', 'resend-delay', 'sample-lines', 'repeat-interval', 'smtp', 'email-from'] as const) {
    if (merged[k] === undefined && cfg[k] !== undefined) merged[k] = cfg[k];
  }
  return { values: merged, ...(cfg['default-interval'] !== undefined ? { defaultInterval: cfg['default-interval'] } : {}) };
}

async function setup(flagValues: Flags, io: CliIO, extra: { notify?: (a: OutgoingAlert[]) => void; onRecord?: (s: RecordedSample[]) => void; state?: boolean }) {
  const { values, defaultInterval } = await withConfig(flagValues, io);
  if (!values.rules?.length) throw new UsageError(values.config !== undefined ? `no rule files: ${values.config} has no rule_files and no --rules FILE was given` : 'missing --rules FILE');
  const groups = await loadRuleFiles(values.rules);
  const spec = await storeSpec(values.store, values.stores, io.env['LETHEQL_STORE'] ?? BUNDLED_STORE);
  const store: LogStore = await openSpec(spec, values);
  const externalLabels: Record<string, string> = {};
  for (const kv of values['external-label'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --external-label ${JSON.stringify(kv)}: expected NAME=VALUE`);
    externalLabels[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const sampleLines = values['sample-lines'];
  if (sampleLines !== undefined && !/^\d+$/.test(sampleLines)) throw new UsageError(`invalid --sample-lines ${JSON.stringify(sampleLines)}: expected a non-negative integer`);
  const { AlertmanagerSender } = await import('../rules/alertmanager.js');
  let sender = null;
  try {
    sender = values.alertmanager?.length ? new AlertmanagerSender(values.alertmanager, { onError: (url, msg) => io.stderr.write(`letheql: alertmanager ${url}: ${msg} (retrying)\n`) }) : null;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let writer = null;
  if (extra.state && values['remote-write']?.length) {
    const { RemoteWriter } = await import('../rules/remote-write.js');
    try {
      writer = new RemoteWriter(values['remote-write'], { onError: (url, msg) => io.stderr.write(`letheql: remote-write ${url}: ${msg}\n`) });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else if (flagValues['remote-write']?.length) throw new UsageError('--remote-write applies to rules run');
  const direct = await directNotifications(values, io);
  const { Ruler } = await import('../rules/ruler.js');
  const { StateFile } = await import('../rules/state-file.js');
  const ruler: RulerType = new Ruler({
    store,
    groups,
    ...(values['query-offset'] !== undefined ? { queryOffsetNs: parseDuration(values['query-offset'], '--query-offset') } : {}),
    ...(defaultInterval !== undefined ? { defaultIntervalNs: parseDuration(defaultInterval, 'global.evaluation_interval') } : {}),
    ...(values['resend-delay'] !== undefined ? { resendDelayNs: parseDuration(values['resend-delay'], '--resend-delay') } : {}),
    ...(values['external-url'] !== undefined ? { externalURL: values['external-url'] } : {}),
    externalLabels,
    ...(sampleLines !== undefined ? { sampleLines: Number(sampleLines) } : {}),
    ...(extra.state && values.state ? { state: new StateFile(values.state), ...(direct ? { notifierMemory: direct } : {}) } : {}),
    notify: (alerts, t) => {
      sender?.send(alerts);
      direct?.send(alerts, t);
      extra.notify?.(alerts);
    },
    onRecord: (samples) => {
      writer?.send(samples);
      extra.onRecord?.(samples);
    },
  });
  return { ruler, store, sender, writer, direct };
}

function alertLines(ruler: RulerType, t: bigint): string {
  let out = '';
  for (const { rule, group, alert } of ruler.alerts()) {
    out += JSON.stringify({ time: formatRfc3339(t, 3), group: group.name, alert: rule.name, state: alert.state, value: alert.value, labels: alert.labels, annotations: alert.annotations, activeAt: formatRfc3339(alert.activeAtNs, 3) }) + '\n';
  }
  for (const g of ruler.groups) for (const r of g.rules) if (r.health === 'err') out += JSON.stringify({ time: formatRfc3339(t, 3), group: g.group.name, rule: r.rule.name, error: r.lastError }) + '\n';
  return out;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const values = flags(argv);
  const recorded: RecordedSample[] = [];
  const { ruler, store, sender, writer, direct } = await setup(values, io, { onRecord: (s) => recorded.push(...s), state: true });
  try {
    await ruler.restore();
    if (values.once) {
      const now = values.now !== undefined ? parseTime(values.now, '--now') : undefined;
      await ruler.evaluateAll(now);
      let out = alertLines(ruler, ruler.groups[0]?.lastEvaluationNs ?? 0n);
      for (const s of recorded) out += JSON.stringify({ time: formatRfc3339(s.timeNs, 3), record: s.labels['__name__'], labels: s.labels, value: s.value }) + '\n';
      await write(io.stdout, out);
      if (sender && !(await sender.flush(30_000))) {
        await write(io.stderr, `letheql: alerts not delivered: ${sender.stats.map((s) => `${s.url}: ${s.lastError || 'timed out'}`).join('; ')}\n`);
        return 1;
      }
      if (direct && !(await direct.flush(30_000))) {
        await write(io.stderr, `letheql: notifications not delivered: ${direct.stats.map((s) => `${s.url}: ${s.lastError || 'timed out'}`).join('; ')}\n`);
        return 1;
      }
      if (writer && (!(await writer.flush(30_000)) || writer.stats.some((s) => s.dropped > 0))) {
        await write(io.stderr, `letheql: recorded samples not delivered: ${writer.stats.map((s) => `${s.url}: ${s.lastError || 'timed out'}`).join('; ')}\n`);
        return 1;
      }
      return ruler.groups.some((g) => g.rules.some((r) => r.health === 'err')) ? 1 : 0;
    }
    if (values.now !== undefined) throw new UsageError('--now applies to --once');
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await write(io.stderr, `letheql: ruler: ${ruler.groups.length} groups, ${ruler.groups.reduce((n, g) => n + g.rules.length, 0)} rules\n`);
    try {
      await ruler.run(ac.signal);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    await Promise.all([sender?.flush(5_000), writer?.flush(5_000), direct?.flush(5_000)]);
    return 0;
  } finally {
    sender?.close();
    writer?.close();
    direct?.close();
    await store.close();
  }
}

async function replay(argv: string[], io: CliIO): Promise<number> {
  const values = flags(argv);
  if (values.from === undefined || values.to === undefined) throw new UsageError('replay needs --from T and --to T');
  const from = parseTime(values.from, '--from');
  const to = parseTime(values.to, '--to');
  if (to < from) throw new UsageError('--to is before --from');
  const { ruler, store, sender, direct } = await setup(values, io, {});
  try {
    const seen = new Map<string, string>();
    let out = '';
    // All groups tick on their own intervals; walk the instants in time order.
    const next = ruler.groups.map((g) => {
      const t = ruler.alignedTime(g, from);
      return t < from ? t + g.intervalNs : t;
    });
    for (;;) {
      let i = -1;
      for (let k = 0; k < next.length; k++) if (next[k]! <= to && (i < 0 || next[k]! < next[i]!)) i = k;
      if (i < 0) break;
      const g = ruler.groups[i]!;
      const t = next[i]!;
      await ruler.evaluateGroup(g, t);
      next[i] = t + g.intervalNs;
      for (const { rule, group, alert } of ruler.alerts()) {
        if (group !== g.group) continue;
        const key = `${group.file};${group.name};${JSON.stringify(alert.labels)}`;
        if (seen.get(key) === alert.state) continue;
        seen.set(key, alert.state);
        out += `${formatRfc3339(t, 3)} ${alert.state === 'inactive' ? 'resolved' : alert.state} ${rule.name}${JSON.stringify(alert.labels)} value=${alert.value}\n`;
      }
      for (const r of g.rules) if (r.health === 'err') out += `${formatRfc3339(t, 3)} error ${r.rule.name}: ${r.lastError}\n`;
    }
    await write(io.stdout, out);
    if (sender && !(await sender.flush(30_000))) return 1;
    if (direct && !(await direct.flush(30_000))) return 1;
    return 0;
  } finally {
    sender?.close();
    direct?.close();
    await store.close();
  }
}

async function test(files: string[], io: CliIO): Promise<number> {
  if (files.length === 0) throw new UsageError('rules test: missing FILE');
  const { runRuleTests, RuleTestFileError } = await import('../rules/unit-test.js');
  let failed = 0;
  let out = '';
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new LetheQLError('STORE_NOT_FOUND', `cannot read test file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const report = await runRuleTests(file, text, (name) => readFile(resolve(dirname(file), name), 'utf8'));
      if (report.failures.length === 0) out += `${file}: SUCCESS (${report.tests} tests)\n`;
      else {
        failed++;
        out += `${file}: FAILED\n${report.failures.map((f) => `  ${f}\n`).join('')}`;
      }
    } catch (e) {
      if (e instanceof RuleTestFileError) throw new UsageError(e.message);
      throw e;
    }
  }
  await write(failed ? io.stderr : io.stdout, out);
  return failed ? 1 : 0;
}

/** Runs `letheql rules SUBCOMMAND …`. */
export async function runRulesCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined || sub === '-h' || sub === '--help') {
      await write(sub === undefined ? io.stderr : io.stdout, RULES_USAGE + '\n');
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'check') return await check(rest, io);
    if (sub === 'test') return await test(rest, io);
    if (sub === 'run') return await run(rest, io);
    if (sub === 'replay') return await replay(rest, io);
    throw new UsageError(`unknown rules command ${JSON.stringify(sub)} (expected check, test, run or replay)`);
  } catch (e) {
    if (e instanceof RuleFileError) {
      await write(io.stderr, e.issues.map((i) => `letheql: ${formatRuleIssue(i)}\n`).join(''));
      return 2;
    }
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql: ${e.message}\nrun \`letheql rules --help\` for usage\n`);
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql: ${e.message}\n`);
      return e.code === 'IO_ERROR' ? 1 : 2;
    }
    throw e;
  }
}
