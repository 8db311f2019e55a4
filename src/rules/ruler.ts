/**
 * The ruler: evaluates rule groups over a store with Prometheus's semantics.
 *
 * ## What it owns
 * When each group evaluates, what a rule's result becomes (alerts with their state, or
 * recorded samples), the alerts it hands to notifiers, and the state that survives a
 * restart. Where alerts go is `alertmanager.ts` / `notifiers.ts`; where recorded samples go
 * is the caller's `onRecord`. The clock is an input ({@link RulerOptions.now} and `sleep`), so
 * tests step time by hand.
 *
 * ## Time
 * A group evaluates at instants aligned to its interval (`t = ⌊now / interval⌋ · interval`,
 * the same instants on every replica and after every restart) and queries at
 * `t − query_offset` (an evaluation delay for late logs; the group's `query_offset`, else
 * {@link RulerOptions.queryOffsetNs}). A tick missed while busy or down is skipped, as in
 * Prometheus; a tick already evaluated before a restart (the state file says so) is not
 * evaluated again.
 *
 * ## Alert state (Prometheus's `AlertingRule.Eval`, rules/alerting.go, followed step by step)
 * Each sample of the result is an alert keyed by its labels (sample labels without
 * `__name__`, the rule's templated labels, `alertname`): new → pending (`activeAt = t`);
 * pending for `for` → firing (`firedAt`); missing from a result → inactive with
 * `resolvedAt`, unless it was firing and `keep_firing_for` has not run out since it was
 * last seen. Pending alerts that disappear are dropped; resolved ones are kept 15 minutes so
 * notifiers hear of the resolution. More alerts than the group's `limit` fail the rule and
 * clear its alerts. A query that fails leaves its alerts as they are (and marks the rule
 * `health: err` with `lastError`); the other rules go on.
 *
 * ## What is sent (Prometheus's `sendAlerts`)
 * After each evaluation, every firing or resolved alert that was not sent within the
 * resend delay (default 1m), or was resolved since last sent, is handed to
 * {@link RulerOptions.notify}: `startsAt` = when it fired, `endsAt` = the resolve time, or
 * while firing the validity horizon `t + 4 · max(interval, resendDelay)` (Alertmanager
 * resolves it by itself if the ruler goes away). External labels are added to its labels.
 * `notify` must not block: senders queue and retry on their own.
 *
 * ## Log rules
 * A rule over one log selector (a bare log query, or a metric query with one range) gets an
 * annotation `sample_lines` (unless it sets one): up to {@link RulerOptions.sampleLines}
 * (default 3) of the newest lines of its log query in the window, those whose stream labels
 * agree with the alert's labels, each cut to {@link RulerOptions.sampleLineChars} characters.
 * `generatorURL` opens the viewer (`externalURL`, its share link: `#q=…&from=…&to=…`, as
 * `viewer/src/range.ts` encodes it) on the log query, from the alert's start minus the window
 * to the window's end (`links.ts`: the evaluation time, or where the range's `@`/`offset` puts
 * it; the sample lines come from the same window).
 *
 * ## Shared scans
 * All rules of a group evaluate at one instant through one sample source
 * ({@link SharedScans}): two rules asking for the same log range with the same grid (the
 * warning and critical thresholds of one count, say) get one scan's answer. The cache lives
 * for one group evaluation, so it never grows.
 */
import type { LogStore } from '../api.js';
import { openStoreSetFromSources } from '../api.js';
import { LetheQLError } from '../errors.js';
import type { QueryStats } from '../exec/stats.js';
import { evaluateMetricQuery } from '../metrics/evaluator.js';
import type { Labels } from '../metrics/labels.js';
import type { BucketRequest, BucketSeries, LogRange, LogRangeInfo, LogSampleSource, SampleRequest, SampleSeries } from '../metrics/source.js';
import { compileTemplate, type CompiledTemplate } from '../pipeline/template.js';
import { printQuery } from '../query/index.js';
import { templateFields, type TemplateNode } from '../query/template.js';
import { isStoreSet } from '../store/federated-source.js';
import type { ChunkSource } from '../store/types.js';
import { formatRfc3339, NS_PER_MS } from '../time.js';
import { Counter, Histogram } from '../server/metrics.js';
import { DEFAULT_INTERVAL_NS, type Rule, type RuleGroup } from './rule-file.js';
import { linkQuery, logWindowEndNs, viewerLink } from './links.js';

export { viewerLink };

export type AlertState = 'pending' | 'firing' | 'inactive';

/** One alert of an alerting rule (Prometheus's `rules.Alert`). Times are ns since the epoch. */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  activeAtNs: bigint;
  firedAtNs: bigint | null;
  resolvedAtNs: bigint | null;
  lastSentAtNs: bigint | null;
  validUntilNs: bigint | null;
  keepFiringSinceNs: bigint | null;
  generatorURL: string;
}

/** An alert as notifiers get it (Alertmanager's v2 `postableAlert`). */
export interface OutgoingAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** A recorded sample of a recording rule. */
export interface RecordedSample {
  labels: Record<string, string>;
  timeNs: bigint;
  value: number;
}

/** What `letheql rules run` and the server build a ruler from. */
export interface RulerOptions {
  store: LogStore;
  groups: readonly RuleGroup[];
  /** The clock, ns since the epoch (default: the real time). */
  now?: () => bigint;
  /** Waits `ms` or until `signal` aborts (default: a real timer). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Default evaluation delay for groups without `query_offset` (default 0). */
  queryOffsetNs?: bigint;
  /** Default group interval (default 1m). */
  defaultIntervalNs?: bigint;
  /** Resend delay of firing alerts (default 1m). */
  resendDelayNs?: bigint;
  externalLabels?: Record<string, string>;
  /** Where the viewer is (the server's URL): `generatorURL` is its share link. Default `http://localhost:3100/`. */
  externalURL?: string;
  /** Sample lines per alert of a log rule (default 3; 0 = none). */
  sampleLines?: number;
  /** Characters kept of each sample line (default 300). */
  sampleLineChars?: number;
  /** Share scans between the rules of a group (default true; false measures the gain). */
  shareScans?: boolean;
  /** Alerts to send (see the note at the top), with the evaluation instant they are as of; must not block. */
  notify?: (alerts: OutgoingAlert[], evaluatedAtNs: bigint) => void;
  /** Recorded samples of one group evaluation; must not block. */
  onRecord?: (samples: RecordedSample[]) => void;
  /** Persists alert state (see `state-file.ts`); saved after every group evaluation. */
  state?: RulerStateStore;
  /** Saved and restored with {@link state}: what the direct notifiers told. */
  notifierMemory?: NotifierMemory;
}

/** Loads and saves the ruler's state (a small JSON document). */
export interface RulerStateStore {
  load(): Promise<RulerSnapshot | null>;
  save(snapshot: RulerSnapshot): Promise<void>;
}

/** The ruler's state as plain JSON (bigints as decimal strings). */
export interface RulerSnapshot {
  version: 1;
  groups: Record<string, { lastEvaluationNs: string; rules: Record<string, SavedAlert[]> }>;
  /** What the direct notifiers last told per alert ({@link NotifierMemory}); absent in older files. */
  notified?: Record<string, { resolved: boolean; atNs: string }>;
}

/**
 * Notifiers with memory of what they told (the direct notifiers' repeat interval), kept in the
 * state file beside the alerts so a restart does not tell a firing alert again early.
 */
export interface NotifierMemory {
  remembered(): Record<string, { resolved: boolean; atNs: string }>;
  recall(told: Record<string, { resolved: boolean; atNs: string }>): void;
}

type SavedAlert = Omit<Alert, 'activeAtNs' | 'firedAtNs' | 'resolvedAtNs' | 'lastSentAtNs' | 'validUntilNs' | 'keepFiringSinceNs'> & Record<'activeAtNs' | 'firedAtNs' | 'resolvedAtNs' | 'lastSentAtNs' | 'validUntilNs' | 'keepFiringSinceNs', string | null>;

/** Prometheus keeps resolved alerts this long, so notifiers hear of the resolution. */
export const RESOLVED_RETENTION_NS = 15n * 60_000_000_000n;
const DEFAULT_RESEND_DELAY_NS = 60_000_000_000n;

/** A rule's runtime state. */
export interface RuleStatus {
  rule: Rule;
  health: 'unknown' | 'ok' | 'err';
  lastError: string;
  lastEvaluationNs: bigint | null;
  evaluationSeconds: number;
  /** Alerting rules: keyed by their labels. */
  active: Map<string, Alert>;
}

/** A group's runtime state. */
export interface GroupStatus {
  group: RuleGroup;
  intervalNs: bigint;
  queryOffsetNs: bigint;
  lastEvaluationNs: bigint | null;
  evaluationSeconds: number;
  rules: RuleStatus[];
  store: LogStore;
}

/**
 * A {@link LogSampleSource} that answers a repeated request from the first one's scan (see
 * the note at the top). `scans` counts the scans made, `shared` the requests answered without one.
 */
export class SharedScans implements LogSampleSource {
  private readonly cache = new Map<string, Promise<unknown>>();
  scans = 0;
  shared = 0;
  constructor(
    private readonly inner: LogSampleSource,
    private readonly enabled = true,
  ) {}

  describe(range: LogRange): LogRangeInfo {
    return this.inner.describe(range);
  }

  private key(r: BucketRequest | SampleRequest): string {
    const grid = r.kind === 'buckets' ? `${r.grid.edgesNs.join(',')}|${r.measures.join(',')}` : '';
    return `${r.kind}|${printQuery(r.range.selector)}|${grid}|${r.readIntervals.map((i) => `${i.startNs}-${i.endNs}`).join(',')}`;
  }

  private once<T>(r: BucketRequest | SampleRequest, run: () => Promise<T>): Promise<T> {
    if (!this.enabled) {
      this.scans++;
      return run();
    }
    const k = this.key(r);
    const hit = this.cache.get(k);
    if (hit) {
      this.shared++;
      return hit as Promise<T>;
    }
    this.scans++;
    const p = run();
    this.cache.set(k, p);
    return p;
  }

  buckets(request: BucketRequest): Promise<BucketSeries[]> {
    // Consumers only read the arrays; sharing them is safe.
    return this.once(request, () => this.inner.buckets(request));
  }

  samples(request: SampleRequest): Promise<SampleSeries[]> {
    return this.once(request, () => this.inner.samples(request));
  }
}

/** The labels of an alert as one string key (sorted pairs). */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

function groupKey(g: RuleGroup): string {
  return `${g.file};${g.name}`;
}

function ruleKey(r: Rule): string {
  return `${r.kind}:${r.name}:${r.expr}`;
}

const bigOrNull = (s: string | null): bigint | null => (s === null ? null : BigInt(s));
const strOrNull = (b: bigint | null): string | null => (b === null ? null : b.toString());

function nsSeconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** Ruler metrics, exposed on `/metrics` by the server (names after Prometheus's `prometheus_rule_*`). */
export class RulerMetrics {
  readonly evaluations = new Counter('letheql_rule_evaluations_total', 'Rule evaluations, by rule group.');
  readonly failures = new Counter('letheql_rule_evaluation_failures_total', 'Rule evaluations that failed, by rule group.');
  readonly duration = new Histogram('letheql_rule_group_duration_seconds', 'Wall-clock time of a group evaluation.', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
  readonly scans = new Counter('letheql_rule_scans_total', 'Log scans made by rule evaluations.');
  readonly sharedScans = new Counter('letheql_rule_scans_shared_total', 'Range reads answered from a scan another rule of the group made.');
  readonly notifications = new Counter('letheql_rule_alerts_sent_total', 'Alerts handed to notifiers (firing and resolved).');
  constructor(private readonly alertsByState: () => Record<AlertState, number>) {}

  render(): string {
    const by = this.alertsByState();
    const alerts = ['# HELP letheql_rule_alerts Alerts of alerting rules, by state.', '# TYPE letheql_rule_alerts gauge', ...(['pending', 'firing', 'inactive'] as const).map((s) => `letheql_rule_alerts{state="${s}"} ${by[s]}`)].join('\n');
    return [this.evaluations, this.failures, this.duration, this.scans, this.sharedScans, this.notifications].map((m) => m.render()).join('\n') + '\n' + alerts + '\n';
  }
}

/** Evaluates rule groups; see the note at the top. */
export class Ruler {
  readonly groups: GroupStatus[];
  readonly metrics: RulerMetrics;
  private readonly now: () => bigint;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly templates = new Map<Rule, { labels: [string, CompiledTemplate][]; annotations: [string, CompiledTemplate][] }>();
  private readonly resendDelayNs: bigint;
  private externalURL: string;

  constructor(private readonly opts: RulerOptions) {
    this.now = opts.now ?? (() => BigInt(Date.now()) * NS_PER_MS);
    this.sleep = opts.sleep ?? realSleep;
    this.resendDelayNs = opts.resendDelayNs ?? DEFAULT_RESEND_DELAY_NS;
    this.externalURL = opts.externalURL ?? 'http://localhost:3100/';
    this.metrics = new RulerMetrics(() => this.alertCounts());
    this.groups = opts.groups.map((group) => ({
      group,
      intervalNs: group.intervalNs ?? opts.defaultIntervalNs ?? DEFAULT_INTERVAL_NS,
      queryOffsetNs: group.queryOffsetNs ?? opts.queryOffsetNs ?? 0n,
      lastEvaluationNs: null,
      evaluationSeconds: 0,
      store: storeFor(opts.store, group),
      rules: group.rules.map((rule) => ({ rule, health: 'unknown', lastError: '', lastEvaluationNs: null, evaluationSeconds: 0, active: new Map() })),
    }));
    const compile = (nodes: Record<string, TemplateNode[]>): [string, CompiledTemplate][] => Object.entries(nodes).map(([k, n]) => [k, compileTemplate(n, templateFields(n))]);
    for (const g of opts.groups) for (const r of g.rules) this.templates.set(r, { labels: compile(r.labelTemplates), annotations: compile(r.annotationTemplates) });
  }

  private alertCounts(): Record<AlertState, number> {
    const out = { pending: 0, firing: 0, inactive: 0 };
    for (const g of this.groups) for (const r of g.rules) for (const a of r.active.values()) out[a.state]++;
    return out;
  }

  /** Sets where the viewer is (`letheql serve --listen HOST:0` knows its port only once bound). */
  setExternalURL(url: string): void {
    this.externalURL = url;
  }

  /** Restores alert state and last evaluation times from the state store, if any. */
  async restore(): Promise<void> {
    const snap = await this.opts.state?.load();
    if (!snap) return;
    if (snap.notified) this.opts.notifierMemory?.recall(snap.notified);
    for (const g of this.groups) {
      const saved = snap.groups[groupKey(g.group)];
      if (!saved) continue;
      g.lastEvaluationNs = BigInt(saved.lastEvaluationNs);
      for (const r of g.rules) {
        for (const a of saved.rules[ruleKey(r.rule)] ?? []) {
          const alert: Alert = {
            ...a,
            activeAtNs: BigInt(a.activeAtNs!),
            firedAtNs: bigOrNull(a.firedAtNs),
            resolvedAtNs: bigOrNull(a.resolvedAtNs),
            lastSentAtNs: bigOrNull(a.lastSentAtNs),
            validUntilNs: bigOrNull(a.validUntilNs),
            keepFiringSinceNs: bigOrNull(a.keepFiringSinceNs),
          };
          r.active.set(labelsKey(alert.labels), alert);
        }
      }
    }
  }

  /** The state as plain JSON. */
  snapshot(): RulerSnapshot {
    const groups: RulerSnapshot['groups'] = {};
    for (const g of this.groups) {
      if (g.lastEvaluationNs === null) continue;
      const rules: Record<string, SavedAlert[]> = {};
      for (const r of g.rules) {
        if (r.active.size === 0) continue;
        rules[ruleKey(r.rule)] = [...r.active.values()].map((a) => ({
          ...a,
          activeAtNs: a.activeAtNs.toString(),
          firedAtNs: strOrNull(a.firedAtNs),
          resolvedAtNs: strOrNull(a.resolvedAtNs),
          lastSentAtNs: strOrNull(a.lastSentAtNs),
          validUntilNs: strOrNull(a.validUntilNs),
          keepFiringSinceNs: strOrNull(a.keepFiringSinceNs),
        }));
      }
      groups[groupKey(g.group)] = { lastEvaluationNs: g.lastEvaluationNs.toString(), rules };
    }
    const notified = this.opts.notifierMemory?.remembered();
    return { version: 1, groups, ...(notified && Object.keys(notified).length ? { notified } : {}) };
  }

  /** The evaluation instant of `g` at or before `nowNs` (aligned to its interval). */
  alignedTime(g: GroupStatus, nowNs: bigint): bigint {
    const r = ((nowNs % g.intervalNs) + g.intervalNs) % g.intervalNs;
    return nowNs - r;
  }

  /** Evaluates every group once at its aligned instant at or before `nowNs` (default: the clock). */
  async evaluateAll(nowNs: bigint = this.now()): Promise<void> {
    for (const g of this.groups) await this.evaluateGroup(g, this.alignedTime(g, nowNs));
  }

  /**
   * Runs until `signal` aborts: each group evaluates at every aligned tick (the current one
   * first, unless the state file says it was evaluated already).
   */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(
      this.groups.map(async (g) => {
        while (!signal.aborted) {
          const now = this.now();
          let t = this.alignedTime(g, now);
          if (g.lastEvaluationNs !== null && t <= g.lastEvaluationNs) t += g.intervalNs;
          if (t > now) await this.sleep(Number((t - now) / NS_PER_MS) + 1, signal);
          if (signal.aborted) break;
          // A tick missed while busy is skipped: evaluate the latest one. A failure outside
          // the rules (the state file cannot be written) is kept for the API and retried next tick.
          try {
            await this.evaluateGroup(g, this.alignedTime(g, this.now()));
            this.lastRunError = '';
          } catch (e) {
            this.lastRunError = (e as Error).message;
            g.lastEvaluationNs = this.alignedTime(g, this.now());
          }
        }
      }),
    );
  }

  /** Evaluates one group at instant `t` (queries at `t − query_offset`), sends its alerts and saves state. */
  async evaluateGroup(g: GroupStatus, t: bigint): Promise<void> {
    const started = performance.now();
    const inner = await g.store.metricSource();
    const source = new SharedScans(inner, this.opts.shareScans ?? true);
    const queryTime = t - g.queryOffsetNs;
    const gl = { rule_group: groupKey(g.group) };
    const lines = new Map<string, Promise<Record<string, unknown>[]>>();
    const recorded: RecordedSample[] = [];
    for (const r of g.rules) {
      const ruleStarted = performance.now();
      this.metrics.evaluations.inc(gl);
      try {
        const result = await evaluateMetricQuery(r.rule.query, { startNs: queryTime, endNs: queryTime, stepNs: 0n }, source);
        const samples = result.series.map((s) => ({ labels: s.labels, value: s.samples[s.samples.length - 1]?.[1] ?? NaN }));
        if (r.rule.kind === 'record') recorded.push(...this.record(r, g, samples, queryTime));
        else await this.alerting(r, g, samples, t, queryTime, lines);
        r.health = 'ok';
        r.lastError = '';
      } catch (e) {
        r.health = 'err';
        r.lastError = (e as Error).message;
        this.metrics.failures.inc(gl);
      }
      r.lastEvaluationNs = t;
      r.evaluationSeconds = (performance.now() - ruleStarted) / 1000;
    }
    g.lastEvaluationNs = t;
    g.evaluationSeconds = (performance.now() - started) / 1000;
    this.metrics.duration.observe(g.evaluationSeconds);
    this.metrics.scans.inc(gl, source.scans);
    this.metrics.sharedScans.inc(gl, source.shared);
    this.lastScans = { scans: source.scans, shared: source.shared, stats: (inner as { stats?: QueryStats }).stats ?? null };
    if (recorded.length) this.opts.onRecord?.(recorded);
    this.send(g, t);
    await this.opts.state?.save(this.snapshot());
  }

  /** Why the last group evaluation of `run()` failed outside its rules ('' when it did not). */
  lastRunError = '';

  /** The scans of the last group evaluation (for benchmarks and tests). */
  lastScans: { scans: number; shared: number; stats: QueryStats | null } = { scans: 0, shared: 0, stats: null };

  private record(r: RuleStatus, g: GroupStatus, samples: { labels: Labels; value: number }[], queryTime: bigint): RecordedSample[] {
    const seen = new Set<string>();
    const out: RecordedSample[] = [];
    for (const s of samples) {
      const labels: Record<string, string> = { ...s.labels, ...r.rule.labels, __name__: r.rule.name };
      const k = labelsKey(labels);
      if (seen.has(k)) throw new LetheQLError('INVALID_EXPRESSION', 'vector contains metrics with the same labelset after applying rule labels');
      seen.add(k);
      out.push({ labels, timeNs: queryTime, value: s.value });
    }
    if (g.group.limit > 0 && out.length > g.group.limit) throw new LetheQLError('LIMIT_EXCEEDED', `exceeded limit ${g.group.limit} with ${out.length} series`);
    return out;
  }

  private async alerting(r: RuleStatus, g: GroupStatus, samples: { labels: Labels; value: number }[], t: bigint, queryTime: bigint, lines: Map<string, Promise<Record<string, unknown>[]>>): Promise<void> {
    const tpl = this.templates.get(r.rule)!;
    const external = this.opts.externalLabels ?? {};
    const found = new Map<string, { labels: Record<string, string>; annotations: Record<string, string>; value: number }>();
    for (const s of samples) {
      const data = { labels: withoutName(s.labels), externalLabels: external, value: s.value };
      const expand = (t: CompiledTemplate): string => {
        try {
          return t.render({ labels: {}, line: '', alert: data });
        } catch (e) {
          return `<error expanding template: ${(e as Error).message}>`;
        }
      };
      const labels: Record<string, string> = { ...data.labels };
      for (const [k, t] of tpl.labels) labels[k] = expand(t);
      labels['alertname'] = r.rule.name;
      const annotations: Record<string, string> = {};
      for (const [k, t] of tpl.annotations) annotations[k] = expand(t);
      const key = labelsKey(labels);
      if (found.has(key)) throw new LetheQLError('INVALID_EXPRESSION', 'vector contains metrics with the same labelset after applying alert labels');
      found.set(key, { labels, annotations, value: s.value });
    }

    for (const [key, f] of found) {
      const a = r.active.get(key);
      if (a && a.state !== 'inactive') {
        a.value = f.value;
        a.annotations = f.annotations;
        continue;
      }
      r.active.set(key, { labels: f.labels, annotations: f.annotations, state: 'pending', value: f.value, activeAtNs: t, firedAtNs: null, resolvedAtNs: null, lastSentAtNs: null, validUntilNs: null, keepFiringSinceNs: null, generatorURL: '' });
    }

    let activeCount = 0;
    for (const [key, a] of r.active) {
      if (!found.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && r.rule.keepFiringForNs > 0n) {
          a.keepFiringSinceNs ??= t;
          if (t - a.keepFiringSinceNs < r.rule.keepFiringForNs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAtNs !== null && t - a.resolvedAtNs > RESOLVED_RETENTION_NS)) r.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAtNs = t;
        }
        if (!keepFiring) continue;
      } else a.keepFiringSinceNs = null;
      activeCount++;
      if (a.state === 'pending' && t - a.activeAtNs >= r.rule.forNs) {
        a.state = 'firing';
        a.firedAtNs = t;
      }
    }
    if (g.group.limit > 0 && activeCount > g.group.limit) {
      r.active.clear();
      throw new LetheQLError('LIMIT_EXCEEDED', `exceeded limit of ${g.group.limit} with ${activeCount} alerts`);
    }

    // What an alert carries: the viewer link (from its start minus the window to the window's
    // end), and for log rules the sample lines of that window.
    const q = r.rule.logQuery;
    const text = linkQuery(r.rule);
    const end = logWindowEndNs(r.rule, queryTime);
    const n = this.opts.sampleLines ?? 3;
    for (const a of r.active.values()) {
      if (a.state === 'inactive') continue;
      a.generatorURL = viewerLink(this.externalURL, text, end - (t - a.activeAtNs) - r.rule.windowNs, end);
      if (q && n > 0 && !('sample_lines' in a.annotations)) {
        const rows = await this.recentLines(g, r.rule, end, lines);
        a.annotations['sample_lines'] = sampleLines(rows, a.labels, n, this.opts.sampleLineChars ?? 300);
      }
    }
  }

  /** The newest lines of a rule's log query in its window ending at `endNs` (one query per query text and window per group evaluation). */
  private recentLines(g: GroupStatus, rule: Rule, endNs: bigint, cache: Map<string, Promise<Record<string, unknown>[]>>): Promise<Record<string, unknown>[]> {
    const text = linkQuery(rule);
    const key = `${text}|${rule.windowNs}|${endNs}`;
    let p = cache.get(key);
    if (!p) {
      p = g.store.query(text, { start: endNs - rule.windowNs + 1n, end: endNs, limit: 200, direction: 'backward' }).then((t) => t.toArray().map((row) => (row as { toJSON(): Record<string, unknown> }).toJSON()));
      cache.set(key, p);
    }
    return p;
  }

  /** Hands the group's alerts that need sending to `notify` (Prometheus's `sendAlerts`). */
  private send(g: GroupStatus, t: bigint): void {
    const out: OutgoingAlert[] = [];
    const delta = g.intervalNs > this.resendDelayNs ? g.intervalNs : this.resendDelayNs;
    const external = this.opts.externalLabels ?? {};
    for (const r of g.rules) {
      for (const a of r.active.values()) {
        if (a.state === 'pending') continue;
        const resolvedSinceSent = a.resolvedAtNs !== null && (a.lastSentAtNs === null || a.resolvedAtNs > a.lastSentAtNs);
        if (!resolvedSinceSent && a.lastSentAtNs !== null && !(a.lastSentAtNs + this.resendDelayNs < t)) continue;
        a.lastSentAtNs = t;
        a.validUntilNs = t + 4n * delta;
        out.push({
          labels: { ...external, ...a.labels },
          annotations: { ...a.annotations },
          startsAt: formatRfc3339(a.firedAtNs ?? a.activeAtNs, 3),
          endsAt: formatRfc3339(a.resolvedAtNs ?? a.validUntilNs, 3),
          generatorURL: a.generatorURL,
        });
      }
    }
    if (out.length && this.opts.notify) {
      this.metrics.notifications.inc({}, out.length);
      this.opts.notify(out, t);
    }
  }

  /**
   * The viewer link of a rule (`/api/v1/rules`' `viewerURL`): its query over its window and
   * `for`, ending where its last evaluation's window ended (before the first one: the current tick's).
   */
  ruleLink(g: GroupStatus, r: RuleStatus): string {
    const t = r.lastEvaluationNs ?? this.alignedTime(g, this.now());
    const end = logWindowEndNs(r.rule, t - g.queryOffsetNs);
    const windowNs = r.rule.windowNs > 0n ? r.rule.windowNs : g.intervalNs;
    return viewerLink(this.externalURL, linkQuery(r.rule), end - windowNs - r.rule.forNs, end);
  }

  /** Every alert of every alerting rule, with its rule (for `/api/v1/alerts` and `rules replay`). */
  alerts(): { rule: Rule; group: RuleGroup; alert: Alert }[] {
    const out: { rule: Rule; group: RuleGroup; alert: Alert }[] = [];
    for (const g of this.groups) for (const r of g.rules) for (const a of r.active.values()) out.push({ rule: r.rule, group: g.group, alert: a });
    return out;
  }
}

function withoutName(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== '__name__') out[k] = v;
  return out;
}

/** Up to `n` lines of `rows` whose labels agree with the alert's, each cut to `chars` characters. */
export function sampleLines(rows: readonly Record<string, unknown>[], labels: Readonly<Record<string, string>>, n: number, chars: number): string {
  const out: string[] = [];
  for (const row of rows) {
    if (out.length >= n) break;
    if (Object.entries(labels).some(([k, v]) => typeof row[k] === 'string' && row[k] !== v)) continue;
    const line = String(row['line'] ?? '');
    out.push(line.length > chars ? `${line.slice(0, chars)}…` : line);
  }
  return out.join('\n');
}

/** The store a group reads: Venti's `datasourceSelector` picks store-set members. */
function storeFor(store: LogStore, group: RuleGroup): LogStore {
  if (group.clusters === null) return store;
  const source: ChunkSource = store.source;
  if (!isStoreSet(source)) throw new LetheQLError('INVALID_OPTION', `${group.file}: group ${JSON.stringify(group.name)}: datasourceSelector picks clusters, but the store is not a store set (use --store NAME=DIR …)`);
  const picked: Record<string, ChunkSource> = {};
  for (const c of group.clusters) {
    const m = source.members.find((x) => x.cluster === c);
    if (!m) throw new LetheQLError('INVALID_OPTION', `${group.file}: group ${JSON.stringify(group.name)}: datasourceSelector names cluster ${JSON.stringify(c)}, which the store set does not have (it has ${source.clusters.join(', ')})`);
    picked[c] = m.source;
  }
  return openStoreSetFromSources(picked);
}

function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export { nsSeconds };
