/**
 * The planner: from a parsed query and options to an explicit, printable plan.
 *
 * A plan answers, as plain JSON-serialisable data: which log type and targets, which
 * time window, which files (by target and hour), what the WASM kernel evaluates per line
 * (the {@link KernelProgram}: window, label matchers and line filters, regexes included,
 * with their literal fast paths), the log pipeline that runs after the kernel (its stages as
 * parsed, and what each parser extracts), and the limit and direction. `explain()` prints it;
 * the executor runs it without re-reading the query.
 *
 * Everything that can be rejected before reading data is rejected here, with a span into
 * the query: unknown log types and labels, a missing target matcher, invalid regexes and
 * pipelines, and metric constructs (those are the metric evaluator's: `src/metrics/`).
 *
 * Over a store set (`store/federated-source.ts`) the label `cluster` is allowed too. It is a
 * property of the member store, not of the line, so its matchers (`= != =~ !~`, regexes fully
 * anchored like every label matcher) choose member stores while files are selected, exactly
 * as target matchers choose directories; the kernel never sees them. The plan then lists the
 * clusters selected, each file's cluster, and a `cluster` result column right after `time`.
 * Over a plain store `cluster` stays an unknown label, and the plan has none of this.
 */
import { LetheQLError, QueryError, type Span } from '../errors.js';
import { CLUSTER_LABEL, fieldCount, fieldNames, labelColumns, LOG_TYPES, isLogType, selectorLabels, type LogType } from '../model.js';
import type { StagePlan } from '../pipeline/index.js';
import type { Expr, LabelMatcher, MatchOp, PipelineStage, VectorSelector } from '../query/ast.js';
import { printQuery } from '../query/tree.js';
import { formatStage } from '../query/printer.js';
import type { ParsedRegex } from '../regex/ast.js';
import { INST_WORDS } from '../regex/automaton.js';
import { RegexSyntaxError } from '../regex/errors.js';
import { compileForKernel, compileRegex } from '../regex/index.js';
import { analyseLiterals } from '../regex/prefilter.js';
import { parseRegex } from '../regex/syntax.js';
import { selectFiles } from '../store/catalog.js';
import { planIndexes, type PlanIndexSummary, type PlannedIndex } from './sidecar-plan.js';
import { isStoreSet } from '../store/federated-source.js';
import { compareNames } from '../store/paths.js';
import type { ChunkSource } from '../store/types.js';
import { formatRfc3339, NS_PER_HOUR, NS_PER_MS, nowNs, parseDuration, parseTime, type TimeInput } from '../time.js';
import type { AutomatonSummary, KernelLabelMatcher, KernelLineFilter, KernelProgram } from './program.js';
import { unparen } from '../query/shape.js';

/** Result order: `forward` is oldest first (the default), `backward` newest first. */
export type Direction = 'forward' | 'backward';

/**
 * The time window of a query of any kind (log, metric, count). Times are RFC 3339 strings,
 * Unix-seconds strings, `Date`s or ns `bigint`s.
 */
export interface QueryWindow {
  /** Inclusive start. Default: `end - since`, or `end - 1h`. */
  start?: TimeInput;
  /** Inclusive end. Default: `now`. */
  end?: TimeInput;
  /** A duration (`15m`, `1h30m`) or nanoseconds, used when `start` is absent. */
  since?: string | bigint;
  /** The clock, frozen (tests, reproducible runs). Default: the real current time. */
  now?: TimeInput;
}

/** What a log plan takes: its window and the shape of its result (rows kept, their order). */
export interface LogPlanOptions extends QueryWindow {
  /** Maximum rows returned (a positive integer). Absent or null: no limit. */
  limit?: number | null;
  direction?: Direction;
}

/**
 * The window fields of `opts` and nothing else: what a window-only plan (a count, the lines
 * around a match) is given, so that a caller's log options (`limit`, `direction`) cannot
 * reach it even when a JavaScript caller passes them.
 */
export function windowOf(opts: QueryWindow): QueryWindow {
  const w: QueryWindow = {};
  if (opts.start !== undefined) w.start = opts.start;
  if (opts.end !== undefined) w.end = opts.end;
  if (opts.since !== undefined) w.since = opts.since;
  if (opts.now !== undefined) w.now = opts.now;
  return w;
}

export interface PlannedFile {
  /** Store sets only: the cluster (member store) the file is read from. */
  cluster?: string;
  /** Store-relative path, e.g. `pod/default/2024-09-24_13.log`; in a store set `cluster-a:pod/default/2024-09-24_13.log`. */
  path: string;
  target: string;
  name: string;
  /** The file's hour, RFC 3339. */
  hour: string;
  size: number;
  /** What the file's sidecar index proves for this query (`sidecar-plan.ts`); absent without a usable one. */
  index?: PlannedIndex;
}

/** A plan for a log query. Plain data: `JSON.stringify` it, diff it, send it to a worker. */
export interface LogQueryPlan {
  kind: 'LogQueryPlan';
  /** The query in canonical form. */
  query: string;
  logType: LogType;
  /** Result columns, in order. */
  columns: string[];
  /** Matchers on the target label, applied to directory names. */
  targetMatchers: { op: MatchOp; value: string }[];
  /** Targets with files to read, sorted (over a store set: in any selected cluster). */
  targets: string[];
  /** Store sets only: the `cluster` matchers and the clusters they select, in store order. */
  clusters?: { matchers: { op: MatchOp; value: string }[]; selected: string[] };
  window: { start: string; end: string; startNs: string; endNs: string };
  /** Files to read, in store order: (cluster,) target, hour. */
  files: PlannedFile[];
  /** Files not read: `invalid-name` ones are listed, `out-of-range` ones only counted. */
  skippedFiles: { path: string; reason: 'invalid-name' }[];
  filesOutOfRange: number;
  /** Everything the kernel tests per line: window, label matchers, line filters (regexes included). */
  program: KernelProgram;
  /**
   * The log pipeline after the kernel's line filters (`| json | status >= 500 …`), run by the
   * executor on the lines the kernel selected; null when the query has none.
   */
  pipeline: PlannedPipeline | null;
  limit: number | null;
  direction: Direction;
  /** Sidecar indexes: how many files have one, and those ignored; absent when no planned file has a sidecar. */
  index?: PlanIndexSummary;
}

/**
 * A log pipeline as planned. The stages are the parsed AST (plain data with spans): the
 * executor compiles them once per scan, here or in a worker.
 */
export interface PlannedPipeline {
  stages: PipelineStage[];
  /** The stages as printed, e.g. `| json | status >= 500`. */
  text: string;
  /** What each stage compiled to: parsers list the labels they extract (`'all'` for a log query). */
  compiled: StagePlan[];
}

/** How a log query is used, when it is not a query of its own (metric queries plan their ranges' log queries). */
export interface PlanContext {
  /** The log query is a range aggregation's argument: `| unwrap` may end its pipeline. */
  allowUnwrap?: boolean;
  /** The labels the consumer reads after the pipeline (default `'all'`: rows show every label). */
  pipelineOutput?: readonly string[] | 'all';
}

/** A window after defaults, as exact nanoseconds (both ends inclusive). */
export interface ResolvedWindow {
  startNs: bigint;
  endNs: bigint;
}

/** The window and result shape after defaults, as exact nanoseconds. */
export interface ResolvedOptions extends ResolvedWindow {
  limit: number | null;
  direction: Direction;
}

const DEFAULT_SINCE_NS = NS_PER_HOUR;

/** Applies a window's defaults and validates it. Throws `INVALID_TIME`/`INVALID_RANGE`. Other fields of `window` are not read. */
export function resolveWindow(window: QueryWindow = {}): ResolvedWindow {
  const now = window.now !== undefined ? parseTime(window.now, 'now') : nowNs();
  const endNs = window.end !== undefined ? parseTime(window.end, 'end') : now;
  let startNs: bigint;
  if (window.start !== undefined) {
    startNs = parseTime(window.start, 'start');
  } else {
    const since = window.since === undefined ? DEFAULT_SINCE_NS : typeof window.since === 'bigint' ? window.since : parseDuration(window.since, 'since');
    if (since <= 0n) throw new LetheQLError('INVALID_TIME', 'invalid since: must be a positive duration');
    startNs = endNs - since;
  }
  if (startNs > endNs) {
    throw new LetheQLError('INVALID_RANGE', `invalid range: start ${formatRfc3339(startNs)} is after end ${formatRfc3339(endNs)}`);
  }
  return { startNs, endNs };
}

/** Applies a log plan's defaults and validates its options. Throws `INVALID_TIME`/`INVALID_RANGE`/`INVALID_OPTION`. */
export function resolveOptions(opts: LogPlanOptions = {}): ResolvedOptions {
  const { startNs, endNs } = resolveWindow(opts);
  const limit = opts.limit ?? null;
  if (limit !== null && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new LetheQLError('INVALID_OPTION', `invalid limit ${String(limit)}: expected a positive integer`);
  }
  const direction = opts.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'backward') {
    throw new LetheQLError('INVALID_OPTION', `invalid direction ${JSON.stringify(direction)}: expected forward or backward`);
  }
  return { startNs, endNs, limit, direction };
}

/** The part of a log query that does not depend on the store's contents. */
export interface LogicalLogQuery {
  selector: VectorSelector;
  logType: LogType;
  /** Extra window restriction from `selector[range]`, in ns, or null. */
  rangeNs: bigint | null;
  offsetNs: bigint;
}

function notSupported(what: string, span: Span): QueryError {
  return new QueryError('NOT_SUPPORTED', `not supported in a log query: ${what} (a metric query: evaluate it with queryMetric() or explainMetric(), as the CLI and server do)`, span);
}

/** Names the construct at the top of `expr` for "not supported" messages. */
function describe(expr: Expr): string {
  switch (expr.kind) {
    case 'Call':
      return `function ${expr.func}()`;
    case 'AggregateExpr':
      return `aggregation ${expr.op}`;
    case 'BinaryExpr':
      return `binary operator ${expr.op}`;
    case 'UnaryExpr':
      return `unary ${expr.op}`;
    case 'NumberLiteral':
      return 'number literal';
    case 'StringLiteral':
      return 'string literal';
    case 'SubqueryExpr':
      return 'subquery';
    default:
      return expr.kind;
  }
}

/**
 * Checks that `expr` is a log query and extracts its selector. `storeSet`: the query runs
 * over a store set, so `cluster` is an allowed label. `allowUnwrap`: the log query is a range
 * aggregation's argument, where `| unwrap` may end its pipeline.
 */
export function toLogicalLogQuery(expr: Expr, storeSet = false, opts: { allowUnwrap?: boolean } = {}): LogicalLogQuery {
  const e = unparen(expr);
  let selector: VectorSelector;
  let rangeNs: bigint | null = null;
  let offsetMs = 0;
  if (e.kind === 'MatrixSelector') {
    selector = e.selector;
    rangeNs = BigInt(e.range.ms) * NS_PER_MS;
    if (e.at) throw new QueryError('NOT_SUPPORTED', 'not supported yet: the @ modifier on a log query', e.at.span);
    if (e.offset) offsetMs += e.offset.ms;
  } else if (e.kind === 'VectorSelector') {
    selector = e;
  } else {
    throw notSupported(describe(e), e.span);
  }
  if (selector.at) throw new QueryError('NOT_SUPPORTED', 'not supported yet: the @ modifier on a log query', selector.at.span);
  if (selector.offset) offsetMs += selector.offset.ms;
  const name = selector.name;
  if (!isLogType(name)) {
    const msg =
      name === null
        ? 'a log query needs a log type: pod{namespace="…"} or node{node="…"}'
        : `unknown log type ${JSON.stringify(name)}, expected pod or node`;
    throw new QueryError('UNKNOWN_LOG_TYPE', msg, selector.span, ['pod', 'node']);
  }
  const allowed = selectorLabels(name, storeSet);
  for (const m of selector.matchers) {
    if (!allowed.includes(m.name)) {
      throw new QueryError(
        'UNKNOWN_LABEL',
        `unknown label ${JSON.stringify(m.name)} for log type ${name}, expected one of: ${allowed.join(', ')}`,
        m.span,
        allowed,
      );
    }
  }
  const target = LOG_TYPES[name].target;
  if (!selector.matchers.some((m) => m.name === target)) {
    throw new QueryError(
      'MISSING_TARGET_LABEL',
      `log type ${name} needs a matcher on its target label ${JSON.stringify(target)}, e.g. ${name}{${target}="…"}`,
      selector.span,
      [target],
    );
  }
  if (!opts.allowUnwrap) {
    const unwrap = selector.pipeline.find((s) => s.kind === 'UnwrapStage');
    if (unwrap) {
      throw new QueryError(
        'INVALID_EXPRESSION',
        'unwrap outside a range aggregation: it turns lines into values, so use it inside one, e.g. sum_over_time(pod{namespace="x"} | json | unwrap latency [5m])',
        unwrap.span,
      );
    }
  }
  return { selector, logType: name, rangeNs, offsetNs: BigInt(offsetMs) * NS_PER_MS };
}

/**
 * Parses a pattern (RE2 syntax, `src/regex/syntax.ts`), turning syntax errors into query
 * errors. The span points at the offending part of the pattern when the string literal has
 * no escapes (so pattern offsets are query columns), and at the whole literal otherwise.
 */
function parsePattern(pattern: string, valueSpan: Span): ParsedRegex {
  try {
    return parseRegex(pattern);
  } catch (e) {
    if (!(e instanceof RegexSyntaxError)) throw e;
    let span = valueSpan;
    const width = valueSpan.end.offset - valueSpan.start.offset;
    if (e.offset !== null && valueSpan.start.line === valueSpan.end.line && width === pattern.length + 2) {
      const at = (k: number) => ({ offset: valueSpan.start.offset + 1 + k, line: valueSpan.start.line, column: valueSpan.start.column + 1 + k });
      span = { start: at(e.offset), end: at(pattern.length) };
    }
    throw new QueryError('INVALID_REGEX', `invalid regex ${JSON.stringify(pattern)}: ${e.message}`, span);
  }
}

/** How the kernel will run a pattern (for `explain()`); the encoder compiles it again, from cache. */
function automatonSummary(pattern: string, fullMatch: boolean): AutomatonSummary {
  const a = compileForKernel(pattern, { fullMatch });
  return a.kind === 'dfa' ? { engine: 'dfa', size: a.dfa.stateCount } : { engine: 'pike', size: a.prog.insts.length / INST_WORDS };
}

/** Shorter required literals filter too little to pay for an extra kernel pass. */
const MIN_PREFILTER_BYTES = 3;

/** `=~` and `!~` label matchers are fully anchored (contract §2.1). */
export function anchored(pattern: string): string {
  return `^(?:${pattern})$`;
}

interface Compiled {
  program: KernelProgram;
  targetMatchers: LabelMatcher[];
  /** Matchers on `cluster` (store sets only; the logical check rejects them otherwise). */
  clusterMatchers: LabelMatcher[];
}

/**
 * Relative cost of a kernel test, for ordering: bytes compare, then literal search, then
 * ASCII-folded search, then a DFA, then the Pike VM. All tests are conjunctive and pure, so
 * any order selects exactly the lines that left-to-right evaluation selects; running the
 * cheap ones first means the expensive ones see fewer lines.
 */
function matcherCost(m: KernelLabelMatcher): number {
  return !('automaton' in m) ? 0 : m.automaton.engine === 'dfa' ? 1 : 2;
}
function filterCost(f: KernelLineFilter): number {
  if (!('automaton' in f)) return f.caseInsensitive ? 1 : 0;
  return f.automaton.engine === 'dfa' ? 2 : 3;
}
function byCost<T>(items: T[], cost: (t: T) => number): T[] {
  return items.map((item, i) => ({ item, i, c: cost(item) })).sort((a, b) => a.c - b.c || a.i - b.i).map((x) => x.item);
}

function compileSelector(q: LogicalLogQuery, win: { startNs: bigint; endNs: bigint }): Compiled {
  const names = fieldNames(q.logType);
  const target = names[0]!;
  const labelMatchers: KernelLabelMatcher[] = [];
  const targetMatchers: LabelMatcher[] = [];
  const clusterMatchers: LabelMatcher[] = [];
  for (const m of q.selector.matchers) {
    if (m.op === '=~' || m.op === '!~') parsePattern(anchored(m.value), m.valueSpan);
    if (m.name === target) {
      targetMatchers.push(m);
      continue;
    }
    if (m.name === CLUSTER_LABEL) {
      clusterMatchers.push(m);
      continue;
    }
    const field = names.indexOf(m.name);
    if (m.op === '=' || m.op === '!=') labelMatchers.push({ field, op: m.op === '=' ? 'eq' : 'neq', value: m.value });
    else labelMatchers.push({ field, op: m.op === '=~' ? 'regex' : 'notRegex', pattern: m.value, automaton: automatonSummary(m.value, true) });
  }
  const lineFilters: KernelLineFilter[] = [];
  for (const f of q.selector.lineFilters) {
    // The parser puts ip("…") filters in the pipeline; a hand-built tree must too.
    if (f.ip) throw new QueryError('INVALID_EXPRESSION', 'ip("…") line filters run in the pipeline: put them in the selector\'s pipeline, not its lineFilters', f.span);
    if (f.op === '|=' || f.op === '!=') {
      lineFilters.push({ op: f.op === '|=' ? 'contains' : 'notContains', needle: f.value });
      continue;
    }
    const positive = f.op === '|~';
    const lit = analyseLiterals(parsePattern(f.value, f.valueSpan), MIN_PREFILTER_BYTES);
    if (lit.exact !== null) {
      // The regex matches exactly the lines that contain this literal.
      lineFilters.push({ op: positive ? 'contains' : 'notContains', needle: lit.exact, fromRegex: f.value });
      continue;
    }
    if (lit.foldedAscii !== null) {
      lineFilters.push({ op: positive ? 'contains' : 'notContains', needle: lit.foldedAscii, caseInsensitive: true, fromRegex: f.value });
      continue;
    }
    // Every match contains `required` (prefilter.ts's no-false-negative contract), so the
    // kernel may drop lines without it before the automaton runs; the automaton decides the rest.
    if (positive && lit.required !== null) lineFilters.push({ op: 'contains', needle: lit.required, fromRegex: f.value });
    lineFilters.push({ op: positive ? 'regex' : 'notRegex', pattern: f.value, automaton: automatonSummary(f.value, false) });
  }
  const program: KernelProgram = {
    version: 2,
    fieldCount: fieldCount(q.logType),
    startNs: win.startNs.toString(),
    endNs: win.endNs.toString(),
    labelMatchers: byCost(labelMatchers, matcherCost),
    lineFilters: byCost(lineFilters, filterCost),
  };
  return { program, targetMatchers, clusterMatchers };
}

/** Tests a name (a target directory, a cluster) against label matchers on it; no matcher accepts every name. */
export function nameFilter(matchers: LabelMatcher[]): (t: string) => boolean {
  const tests = matchers.map((m) => {
    if (m.op === '=') return (t: string) => t === m.value;
    if (m.op === '!=') return (t: string) => t !== m.value;
    const re = compileRegex(anchored(m.value));
    return m.op === '=~' ? (t: string) => re.test(t) : (t: string) => !re.test(t);
  });
  return (t) => tests.every((f) => f(t));
}

/**
 * Compiles a selector's pipeline once to validate it (regex errors in `| regexp`, label
 * filters and templates surface here, before any file is read) and to describe it.
 */
async function planPipeline(stages: readonly PipelineStage[], output: readonly string[] | 'all'): Promise<PlannedPipeline | null> {
  if (stages.length === 0) return null;
  // Loaded here, not with this module: most queries have no pipeline (start-up).
  const { compilePipeline } = await import('../pipeline/index.js');
  const compiled = compilePipeline(stages, { outputLabels: output });
  return { stages: stages.slice(), text: stages.map(formatStage).join(' '), compiled: compiled.stages.slice() };
}

/**
 * Builds the full plan of a log query: validates it, resolves the window, and lists the
 * files to read from `source`. Throws {@link QueryError} for query problems and
 * {@link LetheQLError} for option problems.
 */
export async function planLogQuery(
  expr: Expr,
  opts: LogPlanOptions & PlanContext,
  source: ChunkSource,
): Promise<LogQueryPlan> {
  const storeSet = isStoreSet(source);
  const logical = toLogicalLogQuery(expr, storeSet, { allowUnwrap: opts.allowUnwrap });
  const resolved = resolveOptions(opts);
  let { startNs, endNs } = resolved;
  if (logical.rangeNs !== null && endNs - logical.rangeNs > startNs) startNs = endNs - logical.rangeNs;
  startNs -= logical.offsetNs;
  endNs -= logical.offsetNs;
  const compiled = compileSelector(logical, { startNs, endNs });
  const clusterFilter = nameFilter(compiled.clusterMatchers);
  const selection = await selectFiles(source, logical.logType, nameFilter(compiled.targetMatchers), startNs, endNs, clusterFilter);
  // Files are in store order; over a store set targets repeat per cluster, so sort them again.
  const targets = [...new Set(selection.files.map((f) => f.target))];
  if (storeSet) targets.sort(compareNames);
  const files: PlannedFile[] = selection.files.map((f) => ({
    ...(f.cluster !== undefined ? { cluster: f.cluster } : {}),
    path: f.path,
    target: f.target,
    name: f.name,
    hour: formatRfc3339(f.hourNs, 0),
    size: f.size,
  }));
  const pipeline = await planPipeline(logical.selector.pipeline, opts.pipelineOutput ?? 'all');
  const sidecars = await planIndexes(selection.files, (cluster) => (cluster !== undefined && isStoreSet(source) ? source.member(cluster) : source), logical.logType, compiled.program, pipeline !== null);
  sidecars.indexes.forEach((ix, i) => {
    if (ix) files[i]!.index = ix;
  });
  const index = sidecars.summary;
  return {
    kind: 'LogQueryPlan',
    query: printQuery(expr),
    logType: logical.logType,
    columns: ['time', ...labelColumns(logical.logType, storeSet), 'line', 'time_raw'],
    targetMatchers: compiled.targetMatchers.map((m) => ({ op: m.op, value: m.value })),
    targets,
    ...(storeSet
      ? { clusters: { matchers: compiled.clusterMatchers.map((m) => ({ op: m.op, value: m.value })), selected: source.clusters.filter(clusterFilter) } }
      : {}),
    window: { start: formatRfc3339(startNs), end: formatRfc3339(endNs), startNs: startNs.toString(), endNs: endNs.toString() },
    files,
    skippedFiles: selection.skipped.filter((s) => s.reason === 'invalid-name').map((s) => ({ path: s.path, reason: 'invalid-name' as const })),
    filesOutOfRange: selection.skipped.filter((s) => s.reason === 'out-of-range').length,
    program: compiled.program,
    pipeline,
    limit: resolved.limit,
    direction: resolved.direction,
    ...(index !== null ? { index } : {}),
  };
}

/** One file's use of its sidecar, for `explain`. */
function describeIndex(ix: PlannedIndex): string {
  if (ix.fromSummary) return ix.fileSkippedByTime ? '[summary: no line in the window, not read]' : `[summary: a literal's 4-gram is not in the file, ${ix.blocks} blocks not read]`;
  if (ix.fileSkippedByTime) return '[sidecar: no line in the window, not read]';
  const read = ix.runs.reduce((a, r) => a + r.blocks, 0);
  const parts = [`${read}/${ix.blocks} blocks to read`];
  if (ix.blocksSkippedByTime) parts.push(`${ix.blocksSkippedByTime} skipped by time`);
  if (ix.blocksSkippedByBloom) parts.push(`${ix.blocksSkippedByBloom} by bloom`);
  if (ix.count !== null) parts.push(`a count is answered from its streams (${ix.count} lines)`);
  return `[sidecar: ${parts.join(', ')}]`;
}

/** Renders a plan for people (`letheql explain`, `--explain`). The JSON form is the plan itself. */
export function formatPlan(plan: LogQueryPlan): string {
  const out: string[] = [];
  out.push(`query:      ${plan.query}`);
  out.push(`log type:   ${plan.logType}   columns: ${plan.columns.join(', ')}`);
  out.push(`window:     [${plan.window.start}, ${plan.window.end}]`);
  if (plan.clusters) {
    const ms = plan.clusters.matchers.map((m) => `${CLUSTER_LABEL}${m.op}${JSON.stringify(m.value)}`).join(', ');
    out.push(`clusters:   ${ms || '(all)'} -> ${plan.clusters.selected.length ? plan.clusters.selected.join(', ') : '(none)'}`);
  }
  out.push(`targets:    ${plan.targetMatchers.map((m) => `${LOG_TYPES[plan.logType].target}${m.op}${JSON.stringify(m.value)}`).join(', ')} -> ${plan.targets.length ? plan.targets.join(', ') : '(none)'}`);
  const bytes = plan.files.reduce((a, f) => a + f.size, 0);
  out.push(`files:      ${plan.files.length} to read (${bytes} bytes), ${plan.filesOutOfRange} outside the window, ${plan.skippedFiles.length} with invalid names`);
  if (plan.index) {
    const ix = plan.index;
    out.push(`index:      ${ix.used} files with a sidecar${ix.fromSummary > 0 ? ` (${ix.fromSummary} skipped on their target summary)` : ''}, ${ix.missing} without, ${ix.problems.length} ignored${ix.unneeded > 0 ? `, ${ix.unneeded} not opened (their sidecar cannot narrow this query)` : ''}`);
    for (const p of [...ix.summaryProblems, ...ix.problems]) out.push(`  ignore ${p.path}  (${p.problem}: ${p.detail})`);
  }
  for (const f of plan.files) out.push(`  ${f.path}  ${f.size} B${f.index ? `  ${describeIndex(f.index)}` : ''}`);
  for (const f of plan.skippedFiles) out.push(`  skip ${f.path}  (${f.reason})`);
  out.push('kernel:');
  out.push(`  time in [${plan.program.startNs}, ${plan.program.endNs}] ns, ${plan.program.fieldCount} bracket fields`);
  const names = fieldNames(plan.logType);
  const auto = (a: AutomatonSummary): string => (a.engine === 'dfa' ? `DFA, ${a.size} states` : `Pike VM, ${a.size} instructions`);
  for (const m of plan.program.labelMatchers) {
    const name = names[m.field];
    if (!('automaton' in m)) out.push(`  label ${name} ${m.op === 'eq' ? '==' : '!='} ${JSON.stringify(m.value)}`);
    else out.push(`  label ${name} ${m.op === 'regex' ? '=~' : '!~'} ${JSON.stringify(m.pattern)}  (anchored; ${auto(m.automaton)})`);
  }
  const regexes = new Set(plan.program.lineFilters.flatMap((f) => ('automaton' in f ? [f.pattern] : [])));
  for (const f of plan.program.lineFilters) {
    if ('automaton' in f) {
      out.push(`  line ${f.op === 'regex' ? '|~' : '!~'} ${JSON.stringify(f.pattern)}  (${auto(f.automaton)})`);
      continue;
    }
    const how = f.caseInsensitive ? ' (ASCII case-insensitive)' : '';
    const why = f.fromRegex === undefined ? '' : regexes.has(f.fromRegex) ? `  (prefilter for ${JSON.stringify(f.fromRegex)})` : `  (the regex ${JSON.stringify(f.fromRegex)} is this literal)`;
    out.push(`  line ${f.op}${how} ${JSON.stringify(f.needle)}${why}`);
  }
  if (plan.pipeline) {
    out.push(`pipeline:   ${plan.pipeline.text}  (on the kernel's matches, in order)`);
    plan.pipeline.compiled.forEach((st, i) => {
      if (st.extracts === null) return;
      const what = st.extracts === 'all' ? 'every label' : st.extracts.length ? st.extracts.join(', ') : 'no label';
      out.push(`  ${formatStage(plan.pipeline!.stages[i]!)}  extracts ${what}${st.readsWholeLine ? ' (reads whole lines)' : ''}`);
    });
  }
  out.push(`order:      ${plan.direction}, ties in store order; limit ${plan.limit ?? 'none'}`);
  return out.join('\n');
}

