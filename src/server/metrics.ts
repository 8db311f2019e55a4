/**
 * The server's own metrics, exposed at `/metrics` in the Prometheus text format (0.0.4).
 *
 * A few counters, gauges and one histogram do not justify a client library: this module
 * holds them as plain maps keyed by their label values and renders the exposition text.
 * Label values are escaped as the format requires (`\\`, `\"`, `\n`); label *sets* are
 * bounded by construction (routes are fastify's route patterns, never raw URLs; codes are
 * HTTP codes; limits are the config's key names).
 */

type Labels = Readonly<Record<string, string>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** Go-style float text: `+Inf`, `-Inf`, `NaN`, else the shortest JS form. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface Metric {
  render(): string;
}

/** A monotonically increasing value per label set. */
export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.values.get(keyOf(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    // A label-less counter is always present, at 0 before its first increment.
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${num(value)}`);
    return lines.join('\n');
  }
}

/** A value that goes up and down (read through a callback, so it is never stale). */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${num(this.read())}`].join('\n');
  }
}

/** Cumulative buckets per label set, as Prometheus histograms are. */
export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(s.labels, ['le', num(b)])} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** Query latency buckets, seconds: from a cached one-file query to a timed-out scan. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Every metric the server exports. Gauges read live state through callbacks. */
export class ServerMetrics {
  readonly requests = new Counter('letheql_http_requests_total', 'HTTP requests by route pattern, method and status code.');
  readonly queryDuration = new Histogram('letheql_query_duration_seconds', 'Wall-clock time of queries (queue wait included), by endpoint.', LATENCY_BUCKETS);
  readonly bytesScanned = new Counter('letheql_query_bytes_scanned_total', 'Bytes of store files scanned by queries.');
  readonly linesScanned = new Counter('letheql_query_lines_scanned_total', 'Lines scanned by queries.');
  readonly linesReturned = new Counter('letheql_query_lines_returned_total', 'Lines returned to clients by queries.');
  readonly filesRead = new Counter('letheql_query_files_read_total', 'Store files read by queries.');
  readonly limitHits = new Counter('letheql_limit_hits_total', 'Requests refused or cut by a limit, by limit name.');
  readonly aborted = new Counter('letheql_requests_aborted_total', 'Requests whose client went away before the answer (their queries are cancelled).');
  readonly ingestLines = new Counter('letheql_ingest_lines_total', 'Lines written to the store through /loki/api/v1/push.');
  readonly ingestBytes = new Counter('letheql_ingest_bytes_total', 'Bytes written to the store through /loki/api/v1/push.');
  readonly pushEntriesRefused = new Counter('letheql_push_entries_refused_total', 'Pushed entries not stored, by reason (labels, label_value, time); the rest of their push is stored.');
  readonly pushLabelsDropped = new Counter('letheql_push_labels_dropped_total', 'Pushed stream labels that a Lethe line cannot keep (counted once per stream and label).');
  readonly pushMetadataDropped = new Counter('letheql_push_metadata_dropped_total', 'Pushed entries stored without their structured metadata (a Lethe line has no place for it).');
  readonly pushStreamsMapped = new Counter('letheql_push_streams_mapped_total', 'Pushed streams stored through the push label rule (push.labels).');
  readonly publishLines = new Counter('letheql_publish_lines_total', 'Pushed lines published to NATS JetStream (push.publish), by outcome: stored, or duplicate (JetStream already had it: a retry).');
  readonly publishFailures = new Counter('letheql_publish_failed_attempts_total', 'Failed attempts to publish pushed lines to NATS JetStream (retried after a back-off until push.publish.timeout, then the push answers 503).');
  readonly tailLines = new Counter('letheql_tail_lines_sent_total', 'Lines sent to live-tail clients.');
  private readonly gauges: Gauge[] = [];

  /** Registers the live gauges (active and queued queries, tail clients). */
  addGauge(name: string, help: string, read: () => number): void {
    this.gauges.push(new Gauge(name, help, read));
  }

  /** The exposition text. */
  render(): string {
    const all: Metric[] = [
      this.requests,
      this.queryDuration,
      this.bytesScanned,
      this.linesScanned,
      this.linesReturned,
      this.filesRead,
      this.limitHits,
      this.aborted,
      this.ingestLines,
      this.ingestBytes,
      this.pushEntriesRefused,
      this.pushLabelsDropped,
      this.pushStreamsMapped,
      this.pushMetadataDropped,
      this.publishLines,
      this.publishFailures,
      this.tailLines,
      ...this.gauges,
    ];
    return all.map((m) => m.render()).join('\n') + '\n';
  }
}
