/**
 * The `letheql` command line: a thin shell over the Node entry.
 *
 * Exit codes: 0 success; 2 bad input (query, flag, time, missing store); 1 anything else
 * (an I/O failure or a bug). Errors go to stderr; results to stdout. `main()` takes its
 * streams and environment as arguments so tests can run it in-process.
 *
 * Stores: `--store DIR` (one store), `--store NAME=DIR` given once or more (a store set, one
 * store per cluster), or `--stores FILE` (a store set from a JSON object `{"NAME": "DIR"}`).
 * A `--store` value is `NAME=DIR` when it has a `=` with no `/` before it, so a directory
 * whose name holds a `=` is still reachable as `./a=b`.
 *
 * Start-up: `query`, `explain` and `targets` live here; every other command is a lazily
 * loaded subcommand (see {@link SUBCOMMANDS}), so a query never loads the HTTP server, the
 * write path or the collector. `bin/letheql.js` runs the esbuild bundle of this file
 * (`dist/bin/`, scripts/build-cli.mjs), in which each `import()` below is its own chunk.
 * Likewise Apache Arrow, the metric evaluator and the log pipeline's stages are loaded (by
 * `import()` here and in the library) only by the queries that need them: a `--count` of a
 * log query without a pipeline loads none of them. So import from the modules themselves,
 * never from `core.ts`, which re-exports all of them.
 *
 * Adding a subcommand is one line in `SUBCOMMANDS`: its name, its one-line summary for
 * `--help`, and a `load` that dynamically imports its module and returns `{ run, usage }`:
 *
 * ```ts
 * index: { summary: 'build sidecar indexes for closed hours', load: () => import('./index-command.js').then((m) => ({ run: m.runIndexCommand, usage: m.INDEX_USAGE })) },
 * ```
 * Never import a subcommand's module statically from here: that puts it (and all it
 * imports) back on every command's start-up path.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Table } from 'apache-arrow';
import { formatQueryError, LetheQLError, QueryError } from '../errors.js';
import { formatPlan, type LogQueryOptions, type LogStore, type MetricQueryOptions, type ScanOptions, type StoreTargets } from '../api.js';
import { openStore, openStoreSet } from '../platform/node/store.js';
import type { Direction } from '../plan/plan.js';
import { isMetricQuery } from '../query/shape.js';
import { parseQueryLazily } from '../query/simple.js';
import { formatMetricPlan, formatMetricText, formatRows, type OutputFormat } from './format.js';
import { prometheusDataJson } from '../metrics/result.js';
import { DEFAULT_MAX_SERIES, SeriesLimitError } from '../metrics/limits.js';
import { openSpec, REMOTE_OPTIONS, REMOTE_USAGE, remoteOptions, S3_OPTIONS, S3_USAGE, storeSpec, UsageError } from './stores.js';
import { skippedLinesNotice } from './notices.js';
import { parseSize } from '../sizes.js';
import { BUNDLED_STORE, type CliIO } from './io.js';

export type { CliIO } from './io.js';


/** A subcommand once loaded: runs with the arguments after its name; `usage` goes into `--help`. */
export interface LoadedSubcommand {
  run(argv: string[], io: CliIO): Promise<number>;
  usage: string;
}

/** A subcommand with its own flags, loaded (dynamic `import()`) only when it runs or `--help` prints. */
export interface Subcommand {
  /** The line after its name in `letheql --help`'s command list. */
  summary: string;
  load(): Promise<LoadedSubcommand>;
}

/** Subcommands with their own flags (the command comes first), in `--help` order. One line each; see the note at the top. */
export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  ingest: { summary: 'import docker/cri/raw/syslog log files into a store', load: () => import('./write-commands.js').then((m) => ({ run: (argv, io) => m.runWriteCommand('ingest', argv, io), usage: m.WRITE_USAGE })) },
  collect: { summary: 'follow container and node log files into a store (until SIGINT/SIGTERM)', load: () => import('./write-commands.js').then((m) => ({ run: (argv, io) => m.runWriteCommand('collect', argv, io), usage: m.WRITE_USAGE })) },
  retention: { summary: 'delete old files by age and size, as Lethe does', load: () => import('./write-commands.js').then((m) => ({ run: (argv, io) => m.runWriteCommand('retention', argv, io), usage: m.WRITE_USAGE })) },
  ship: { summary: 'upload closed hours (and sidecars) to an s3:// store, exactly once (letheql ship --help)', load: () => import('./ship-command.js').then((m) => ({ run: (argv, io) => m.runShipCommand(argv, io), usage: m.SHIP_USAGE })) },
  serve: { summary: "HTTP server speaking Lethe's and Loki's APIs (query, push, live tail)", load: () => import('./serve.js').then((m) => ({ run: (argv, io) => m.runServe(argv, io), usage: m.SERVE_USAGE })) },
  index: { summary: 'build sidecar indexes for closed hours (letheql index --help)', load: () => import('./index-command.js').then((m) => ({ run: m.runIndexCommand, usage: m.INDEX_USAGE })) },
  patterns: { summary: 'log templates (Drain) of the lines a query matches, with counts (letheql patterns --help)', load: () => import('./patterns-command.js').then((m) => ({ run: m.runPatternsCommand, usage: m.PATTERNS_USAGE })) },
  rules: { summary: 'alerting and recording rules: check, test, run, replay (letheql rules --help)', load: () => import('./rules-command.js').then((m) => ({ run: m.runRulesCommand, usage: m.RULES_USAGE })) },
};

export const DEFAULT_LIMIT = 1000;

export { BUNDLED_STORE } from './io.js';

const USAGE = `usage: letheql <command> [options] QUERY

commands:
  query     run a log query and print the matching lines
  explain   print the query plan (files, kernel program, filters) without reading logs
  targets   list the store's namespaces and nodes
${Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}\n`).join('')}
options (query, explain):
  --store DIR          store root (default: $LETHEQL_STORE, else the bundled fixture store)
  --store NAME=DIR     repeatable: a store set, one store per cluster, queried as one
                       (selectors may use cluster="NAME"; results get a cluster column)
  --stores FILE        a store set from a JSON file {"NAME": "DIR", …} (relative DIRs are
                       read from FILE's directory)
${S3_USAGE}
${REMOTE_USAGE}
  --start T, --end T   inclusive window; RFC 3339 (2024-09-24T15:00:00Z) or Unix seconds
  --since DUR          window length when --start is absent (default 1h), e.g. 15m, 1h30m, 7d
  --now T              freeze the clock (default: the real time)
  --step DUR           metric queries: evaluate every DUR over [start, end] (default: an
                       instant query at --end); jsonl prints Prometheus vector/matrix JSON
  --limit N            at most N lines (default ${DEFAULT_LIMIT}; 0 = no limit)
  --max-series N       metric queries: fail rather than return more than N series
                       (default ${DEFAULT_MAX_SERIES}; 0 = no limit)
  --max-bytes-returned SIZE  log queries: fail rather than return rows larger than SIZE in
                       total, e.g. 512m (default 256MiB; 0 = no limit)
  --direction D        forward (oldest first, default) or backward
  --format F           text (default), jsonl, or arrow (Arrow IPC stream on stdout)
  -B N, -A N, -C N     log queries: also print N lines of the same stream before (-B),
                       after (-A) or around (-C) each match, groups separated by --
                       as grep does (jsonl: "context" and "group" fields)
  --count              print only the number of matching lines
  --stats              print query statistics as JSON on stderr
  --workers N          worker threads for big scans (default: up to 4, one per core; 0 = none)
  --parallel-min-bytes SIZE
                       scan on the workers only when the plan reads at least SIZE (default 128MiB:
                       below it, starting them costs more than they save)
  --json               (explain) print the plan as JSON
  -h, --help           this help
  -V, --version        the version`;

const OPTIONS = {
  ...S3_OPTIONS,
  ...REMOTE_OPTIONS,
  store: { type: 'string', multiple: true },
  stores: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  since: { type: 'string' },
  step: { type: 'string' },
  now: { type: 'string' },
  limit: { type: 'string' },
  'max-series': { type: 'string' },
  'max-bytes-returned': { type: 'string' },
  direction: { type: 'string' },
  format: { type: 'string' },
  count: { type: 'boolean' },
  'before-context': { type: 'string', short: 'B' },
  'after-context': { type: 'string', short: 'A' },
  context: { type: 'string', short: 'C' },
  stats: { type: 'boolean' },
  workers: { type: 'string' },
  'parallel-min-bytes': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

function write(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

function parseLimit(text: string | undefined): number | null {
  if (text === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid --limit ${JSON.stringify(text)}: expected a non-negative integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`invalid --limit ${text}: too large`);
  return n === 0 ? null : n;
}

/** `-B`/`-A`/`-C` as the library's context option (`-C N` is both; `-B`/`-A` win over it), or undefined. */
function parseContext(values: { 'before-context'?: string; 'after-context'?: string; context?: string }): { before: number; after: number } | undefined {
  const count = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d{1,5}$/.test(text)) throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: expected a number of lines`);
    return Number(text);
  };
  const around = count('-C', values.context);
  const before = count('-B', values['before-context']) ?? around;
  const after = count('-A', values['after-context']) ?? around;
  if (before === undefined && after === undefined) return undefined;
  return { before: before ?? 0, after: after ?? 0 };
}

function parseMaxSeries(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`invalid --max-series ${JSON.stringify(text)}: expected a non-negative integer`);
  return Number(text) === 0 ? Infinity : Number(text);
}

function parseWorkers(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`invalid --workers ${JSON.stringify(text)}: expected a non-negative integer`);
  return Number(text);
}

function parseDirection(text: string | undefined): Direction {
  if (text === undefined || text === 'forward' || text === 'backward') return text ?? 'forward';
  throw new UsageError(`invalid --direction ${JSON.stringify(text)}: expected forward or backward`);
}

function parseFormat(text: string | undefined): OutputFormat {
  if (text === undefined) return 'text';
  if (text === 'text' || text === 'jsonl' || text === 'arrow') return text;
  throw new UsageError(`invalid --format ${JSON.stringify(text)}: expected text, jsonl or arrow`);
}

/** `letheql targets` as text: the union of targets, then each cluster's own (store sets). */
function formatTargets(targets: StoreTargets, byCluster: Record<string, StoreTargets> | null): string {
  const list = (names: string[]): string => names.join(' ') || '(none)';
  let out = `pod namespaces: ${list(targets.pod)}\nnodes: ${list(targets.node)}\n`;
  if (byCluster) {
    out += 'clusters:\n';
    for (const [cluster, t] of Object.entries(byCluster)) out += `  ${cluster}: pod namespaces: ${list(t.pod)}; nodes: ${list(t.node)}\n`;
  }
  return out;
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The usage texts of all subcommands, each once (several commands may share one text), in `SUBCOMMANDS` order. */
async function subcommandUsages(): Promise<string[]> {
  const loaded = await Promise.all(Object.values(SUBCOMMANDS).map((c) => c.load()));
  return [...new Set(loaded.map((c) => c.usage))];
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  // Subcommands (ingest, collect, retention, serve, …) have their own flags and modules.
  const sub = argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) return (await sub.load()).run(argv.slice(1), io);
  let query = '';
  let store: LogStore | null = null;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      await write(io.stdout, USAGE + '\n\n' + (await subcommandUsages()).join('\n\n') + '\n');
      return 0;
    }
    if (values.version) {
      await write(io.stdout, `letheql ${await version()}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (command === undefined) throw new UsageError('missing command');
    if (command !== 'query' && command !== 'explain' && command !== 'targets') throw new UsageError(`unknown command ${JSON.stringify(command)}`);

    const spec = await storeSpec(values.store, values.stores, io.env['LETHEQL_STORE'] ?? BUNDLED_STORE);
    const workers = parseWorkers(values.workers);
    const minBytes = values['parallel-min-bytes'] !== undefined ? (parseSize(values['parallel-min-bytes'], '--parallel-min-bytes') ?? 0) : undefined;
    store = await openSpec(spec, values, { workers, ...(minBytes !== undefined ? { parallelMinBytes: minBytes } : {}), syncReads: true, ...remoteOptions(spec, values, io.env) });
    if (command === 'targets') {
      if (rest.length > 0) throw new UsageError('targets takes no query');
      const targets = await store.targets();
      const byCluster = await store.targetsByCluster();
      const json = byCluster ? { ...targets, clusters: byCluster } : targets;
      await write(io.stdout, values.json ? JSON.stringify(json) + '\n' : formatTargets(targets, byCluster));
      return 0;
    }
    if (rest.length === 0) throw new UsageError('missing QUERY');
    if (rest.length > 1) throw new UsageError(`expected one QUERY, got ${rest.length} arguments (quote the query)`);
    query = rest[0]!;
    const expr = await parseQueryLazily(query);
    // The window and budgets every query takes; a log query adds its limit and direction, a metric query its step.
    const scanOpts: ScanOptions = {
      start: values.start,
      end: values.end,
      since: values.since,
      now: values.now,
      // parseSize: bytes or 10m/1GiB; 0 (null) = no limit.
      ...(values['max-bytes-returned'] !== undefined ? { maxBytesReturned: parseSize(values['max-bytes-returned'], '--max-bytes-returned') ?? Infinity } : {}),
    };
    const opts: LogQueryOptions = { ...scanOpts, limit: parseLimit(values.limit), direction: parseDirection(values.direction) };
    const format = parseFormat(values.format);

    if (isMetricQuery(expr)) {
      // Metric queries: an instant query at --end, or a range query with --step.
      const maxSeries = parseMaxSeries(values['max-series']);
      const metricOpts: MetricQueryOptions = { ...scanOpts, ...(values.step !== undefined ? { step: values.step } : {}), ...(maxSeries !== undefined ? { maxSeries } : {}) };
      if (command === 'explain') {
        const plan = await store.explainMetric(expr, metricOpts);
        await write(io.stdout, (values.json ? JSON.stringify(plan, null, 2) : formatMetricPlan(plan)) + '\n');
        return 0;
      }
      if (values.count) throw new UsageError('--count applies to log queries; a metric query already returns numbers');
      if (parseContext(values) !== undefined) throw new UsageError('-A/-B/-C apply to log queries (the lines around each match)');
      const { result, stats } = await store.queryMetric(expr, metricOpts);
      if (format === 'arrow') {
        const [{ toArrowIPC }, { metricTable }] = await Promise.all([import('../arrow/build.js'), import('../metrics/arrow.js')]);
        await write(io.stdout, toArrowIPC(metricTable(result)));
      } else if (format === 'jsonl') await write(io.stdout, prometheusDataJson(result) + '\n');
      else await write(io.stdout, formatMetricText(result));
      for (const w of stats.warnings ?? []) await write(io.stderr, `letheql: warning: ${w}\n`);
      if (values.stats) await write(io.stderr, JSON.stringify(stats) + '\n');
      else await write(io.stderr, skippedLinesNotice(stats) ?? '');
      return 0;
    }
    if (values.step !== undefined) throw new UsageError('--step applies to metric queries (count_over_time, rate, sum by …)');
    if (values['max-series'] !== undefined) throw new UsageError('--max-series applies to metric queries (count_over_time, rate, sum by …)');

    if (command === 'explain') {
      const plan = await store.explain(expr, opts);
      await write(io.stdout, (values.json ? JSON.stringify(plan, null, 2) : formatPlan(plan)) + '\n');
      return 0;
    }
    const context = parseContext(values);
    if (context !== undefined) {
      if (values.count) throw new UsageError('--count counts matches; -A/-B/-C add the lines around them, so they do not go together');
      opts.context = context;
    }
    if (values.count) {
      const { count, stats } = await store.count(expr, scanOpts);
      await write(io.stdout, `${count}\n`);
      for (const w of stats.warnings ?? []) await write(io.stderr, `letheql: warning: ${w}\n`);
      if (values.stats) await write(io.stderr, JSON.stringify(stats) + '\n');
      else await write(io.stderr, skippedLinesNotice(stats) ?? '');
      return 0;
    }
    const { table, stats } = await store.result(expr, opts);
    if (format === 'arrow') {
      const { toArrowIPC } = await import('../arrow/build.js');
      await write(io.stdout, toArrowIPC(table));
    } else {
      const color = format === 'text' && io.stdout.isTTY === true && !io.env['NO_COLOR'];
      for (const chunk of formatRows(table, format, color)) await write(io.stdout, chunk);
    }
    // A remote member left out (--on-member-error warn) is said even with --stats.
    for (const w of stats?.warnings ?? []) await write(io.stderr, `letheql: warning: ${w}\n`);
    if (values.stats) await write(io.stderr, JSON.stringify(stats) + '\n');
    else if (stats?.truncated && format === 'text') {
      await write(io.stderr, `letheql: showing the first ${stats.rowsReturned} of ${stats.linesMatched} matching lines (use --limit N or --limit 0 for all)\n`);
    }
    if (!values.stats) await write(io.stderr, skippedLinesNotice(stats) ?? '');
    return 0;
  } catch (e) {
    if (e instanceof QueryError) {
      await write(io.stderr, `letheql: query error [${e.code}]\n${formatQueryError(e, query)}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql: ${e.message}\n${'run `letheql --help` for usage'}\n`);
      return 2;
    }
    if (e instanceof SeriesLimitError) {
      await write(io.stderr, `letheql: ${e.message} (--max-series N; 0 = no limit)\n`);
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql: ${e.message}\n`);
      // Bad input exits 2; a store that cannot be read, or a remote member that fails, is not the user's input.
      return e.code === 'IO_ERROR' || e.code === 'REMOTE_ERROR' ? 1 : 2;
    }
    if ((e as NodeJS.ErrnoException)?.code === 'EPIPE') return 0;
    await write(io.stderr, `letheql: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  } finally {
    await store?.close(); // stops the scan workers, if any started
  }
}
