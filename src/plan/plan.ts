/**
 * The planner: from a parsed query and options to an explicit, printable plan.
 *
 * A plan answers, as plain JSON-serialisable data: which log type and targets, which
 * time window, which files (by target and hour), what the WASM kernel evaluates per line
 * (the {@link KernelProgram}), which filters run after the kernel (regex, in source order),
 * and the limit and direction. `explain()` prints it; the executor runs it without
 * re-reading the AST.
 *
 * Everything that can be rejected before reading data is rejected here, with a span into
 * the query: unknown log types and labels, a missing target matcher, invalid regexes, and
 * constructs that are not evaluated yet (metric queries).
 */
import { LetheQLError, QueryError, type Span } from '../errors.js';
import { fieldCount, fieldNames, LOG_TYPES, isLogType, type LogType } from '../model.js';
import type { Expr, LabelMatcher, MatchOp, VectorSelector } from '../query/ast.js';
import { printQuery } from '../query/index.js';
import { RegexSyntaxError, type RegexEngine } from '../regex/engine.js';
import { requiredLiteral } from '../regex/literals.js';
import { selectFiles } from '../store/catalog.js';
import type { ChunkSource } from '../store/types.js';
import { formatRfc3339, NS_PER_HOUR, NS_PER_MS, parseDuration, parseTime, type TimeInput } from '../time.js';
import type { KernelLabelMatcher, KernelLineFilter, KernelProgram } from './program.js';

/** Result order: `forward` is oldest first (the default), `backward` newest first. */
export type Direction = 'forward' | 'backward';

/** Options that shape a query's window and result. Times are RFC 3339 strings, Unix-seconds strings, `Date`s or ns `bigint`s. */
export interface QueryOptions {
  /** Inclusive start. Default: `end - since`, or `end - 1h`. */
  start?: TimeInput;
  /** Inclusive end. Default: `now`. */
  end?: TimeInput;
  /** A duration (`15m`, `1h30m`) or nanoseconds, used when `start` is absent. */
  since?: string | bigint;
  /** The clock, frozen (tests, reproducible runs). Default: the real current time. */
  now?: TimeInput;
  /** Maximum rows returned (a positive integer). Absent or null: no limit. */
  limit?: number | null;
  direction?: Direction;
}

/** A filter evaluated after the kernel, in the query's left-to-right order. */
export type PostFilter =
  | { kind: 'LabelRegex'; label: string; field: number; pattern: string; negate: boolean }
  | { kind: 'LineRegex'; pattern: string; negate: boolean };

export interface PlannedFile {
  /** Store-relative path, e.g. `pod/default/2024-09-24_13.log`. */
  path: string;
  target: string;
  name: string;
  /** The file's hour, RFC 3339. */
  hour: string;
  size: number;
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
  targets: string[];
  window: { start: string; end: string; startNs: string; endNs: string };
  files: PlannedFile[];
  /** Files not read: `invalid-name` ones are listed, `out-of-range` ones only counted. */
  skippedFiles: { path: string; reason: 'invalid-name' }[];
  filesOutOfRange: number;
  program: KernelProgram;
  postFilters: PostFilter[];
  regexEngine: string | null;
  limit: number | null;
  direction: Direction;
}

/** The window and result shape after defaults, as exact nanoseconds. */
export interface ResolvedOptions {
  startNs: bigint;
  endNs: bigint;
  limit: number | null;
  direction: Direction;
}

const DEFAULT_SINCE_NS = NS_PER_HOUR;

/** Applies defaults and validates options. Throws `INVALID_TIME`/`INVALID_RANGE`/`INVALID_OPTION`. */
export function resolveOptions(opts: QueryOptions = {}): ResolvedOptions {
  const now = opts.now !== undefined ? parseTime(opts.now, 'now') : BigInt(Date.now()) * NS_PER_MS;
  const endNs = opts.end !== undefined ? parseTime(opts.end, 'end') : now;
  let startNs: bigint;
  if (opts.start !== undefined) {
    startNs = parseTime(opts.start, 'start');
  } else {
    const since = opts.since === undefined ? DEFAULT_SINCE_NS : typeof opts.since === 'bigint' ? opts.since : parseDuration(opts.since, 'since');
    if (since <= 0n) throw new LetheQLError('INVALID_TIME', 'invalid since: must be a positive duration');
    startNs = endNs - since;
  }
  if (startNs > endNs) {
    throw new LetheQLError('INVALID_RANGE', `invalid range: start ${formatRfc3339(startNs)} is after end ${formatRfc3339(endNs)}`);
  }
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
  return new QueryError('NOT_SUPPORTED', `not supported yet: ${what} (metric queries arrive in a later release)`, span);
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

/** Checks that `expr` is a log query and extracts its selector. */
export function toLogicalLogQuery(expr: Expr): LogicalLogQuery {
  let e: Expr = expr;
  while (e.kind === 'ParenExpr') e = e.expr;
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
  const allowed = fieldNames(name);
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
  return { selector, logType: name, rangeNs, offsetNs: BigInt(offsetMs) * NS_PER_MS };
}

/** Compiles a pattern with the engine to validate it, turning syntax errors into spanned query errors. */
function validateRegex(engine: RegexEngine | null, pattern: string, valueSpan: Span, what: string): void {
  if (!engine) {
    throw new QueryError('NOT_SUPPORTED', `not supported yet: ${what} in this build (no regex engine is loaded)`, valueSpan);
  }
  try {
    engine.compile(pattern);
  } catch (e) {
    if (e instanceof RegexSyntaxError) {
      throw new QueryError('INVALID_REGEX', `invalid regex ${JSON.stringify(pattern)}: ${e.message}`, valueSpan);
    }
    throw e;
  }
}

/** A pattern with no RE2 metacharacter is a plain literal (flags need `(`, classes `[`, escapes `\\`). */
const PLAIN_LITERAL = /^[^\\.+*?()|[\]{}^$]+$/;

/** Shorter required literals filter too little to pay for an extra kernel pass. */
const MIN_PREFILTER_BYTES = 3;

/** `=~` and `!~` label matchers are fully anchored (contract §2.1). */
export function anchored(pattern: string): string {
  return `^(?:${pattern})$`;
}

interface Compiled {
  program: KernelProgram;
  postFilters: PostFilter[];
  targetMatchers: LabelMatcher[];
}

function compileSelector(q: LogicalLogQuery, win: { startNs: bigint; endNs: bigint }, engine: RegexEngine | null): Compiled {
  const names = fieldNames(q.logType);
  const target = names[0]!;
  const labelMatchers: KernelLabelMatcher[] = [];
  const postFilters: PostFilter[] = [];
  const targetMatchers: LabelMatcher[] = [];
  for (const m of q.selector.matchers) {
    if (m.op === '=~' || m.op === '!~') validateRegex(engine, anchored(m.value), m.valueSpan, 'regex label matchers');
    if (m.name === target) {
      targetMatchers.push(m);
      continue;
    }
    const field = names.indexOf(m.name);
    if (m.op === '=' || m.op === '!=') labelMatchers.push({ field, op: m.op === '=' ? 'eq' : 'neq', value: m.value });
    else postFilters.push({ kind: 'LabelRegex', label: m.name, field, pattern: m.value, negate: m.op === '!~' });
  }
  const lineFilters: KernelLineFilter[] = [];
  for (const f of q.selector.lineFilters) {
    if (f.op === '|=' || f.op === '!=') {
      lineFilters.push({ op: f.op === '|=' ? 'contains' : 'notContains', needle: f.value });
      continue;
    }
    validateRegex(engine, f.value, f.valueSpan, 'regex line filters');
    if (PLAIN_LITERAL.test(f.value)) {
      // A regex without metacharacters matches exactly the lines that contain it.
      lineFilters.push({ op: f.op === '|~' ? 'contains' : 'notContains', needle: f.value, fromRegex: f.value });
      continue;
    }
    postFilters.push({ kind: 'LineRegex', pattern: f.value, negate: f.op === '!~' });
    const required = f.op === '|~' ? requiredLiteral(f.value, MIN_PREFILTER_BYTES) : null;
    // Every match contains `required` (literals.ts's no-false-negative contract), so the
    // kernel may drop lines without it before RE2 sees them; RE2 still decides on the rest.
    if (required !== null) lineFilters.push({ op: 'contains', needle: required, fromRegex: f.value });
  }
  // All filters are conjunctive, so running the literal ones in the kernel before the
  // regex ones after it selects exactly the lines that left-to-right evaluation selects.
  const program: KernelProgram = {
    version: 1,
    fieldCount: fieldCount(q.logType),
    startNs: win.startNs.toString(),
    endNs: win.endNs.toString(),
    labelMatchers,
    lineFilters,
  };
  return { program, postFilters, targetMatchers };
}

/** Tests a directory name against the target matchers. */
function targetFilter(matchers: LabelMatcher[], engine: RegexEngine | null): (t: string) => boolean {
  const tests = matchers.map((m) => {
    if (m.op === '=') return (t: string) => t === m.value;
    if (m.op === '!=') return (t: string) => t !== m.value;
    const re = engine!.compile(anchored(m.value));
    return m.op === '=~' ? (t: string) => re.test(t) : (t: string) => !re.test(t);
  });
  return (t) => tests.every((f) => f(t));
}

/**
 * Builds the full plan of a log query: validates it, resolves the window, and lists the
 * files to read from `source`. Throws {@link QueryError} for query problems and
 * {@link LetheQLError} for option problems.
 */
export async function planLogQuery(
  expr: Expr,
  opts: QueryOptions,
  source: ChunkSource,
  engine: RegexEngine | null,
): Promise<LogQueryPlan> {
  const logical = toLogicalLogQuery(expr);
  const resolved = resolveOptions(opts);
  let { startNs, endNs } = resolved;
  if (logical.rangeNs !== null && endNs - logical.rangeNs > startNs) startNs = endNs - logical.rangeNs;
  startNs -= logical.offsetNs;
  endNs -= logical.offsetNs;
  const compiled = compileSelector(logical, { startNs, endNs }, engine);
  const selection = await selectFiles(source, logical.logType, targetFilter(compiled.targetMatchers, engine), startNs, endNs);
  const targets = [...new Set(selection.files.map((f) => f.target))];
  return {
    kind: 'LogQueryPlan',
    query: printQuery(expr),
    logType: logical.logType,
    columns: ['time', ...fieldNames(logical.logType), 'line', 'time_raw'],
    targetMatchers: compiled.targetMatchers.map((m) => ({ op: m.op, value: m.value })),
    targets,
    window: { start: formatRfc3339(startNs), end: formatRfc3339(endNs), startNs: startNs.toString(), endNs: endNs.toString() },
    files: selection.files.map((f) => ({ path: f.path, target: f.target, name: f.name, hour: formatRfc3339(f.hourNs, 0), size: f.size })),
    skippedFiles: selection.skipped.filter((s) => s.reason === 'invalid-name').map((s) => ({ path: s.path, reason: 'invalid-name' as const })),
    filesOutOfRange: selection.skipped.filter((s) => s.reason === 'out-of-range').length,
    program: compiled.program,
    postFilters: compiled.postFilters,
    regexEngine: engine?.name ?? null,
    limit: resolved.limit,
    direction: resolved.direction,
  };
}

/** Renders a plan for people (`letheql explain`, `--explain`). The JSON form is the plan itself. */
export function formatPlan(plan: LogQueryPlan): string {
  const out: string[] = [];
  out.push(`query:      ${plan.query}`);
  out.push(`log type:   ${plan.logType}   columns: ${plan.columns.join(', ')}`);
  out.push(`window:     [${plan.window.start}, ${plan.window.end}]`);
  out.push(`targets:    ${plan.targetMatchers.map((m) => `${LOG_TYPES[plan.logType].target}${m.op}${JSON.stringify(m.value)}`).join(', ')} -> ${plan.targets.length ? plan.targets.join(', ') : '(none)'}`);
  const bytes = plan.files.reduce((a, f) => a + f.size, 0);
  out.push(`files:      ${plan.files.length} to read (${bytes} bytes), ${plan.filesOutOfRange} outside the window, ${plan.skippedFiles.length} with invalid names`);
  for (const f of plan.files) out.push(`  ${f.path}  ${f.size} B`);
  for (const f of plan.skippedFiles) out.push(`  skip ${f.path}  (${f.reason})`);
  out.push('kernel:');
  out.push(`  time in [${plan.program.startNs}, ${plan.program.endNs}] ns, ${plan.program.fieldCount} bracket fields`);
  const names = fieldNames(plan.logType);
  for (const m of plan.program.labelMatchers) out.push(`  label ${names[m.field]} ${m.op === 'eq' ? '==' : '!='} ${JSON.stringify(m.value)}`);
  for (const f of plan.program.lineFilters) {
    out.push(`  line ${f.op} ${JSON.stringify(f.needle)}${f.fromRegex === undefined ? '' : f.fromRegex === f.needle ? '  (the regex is a plain literal)' : `  (prefilter for ${JSON.stringify(f.fromRegex)})`}`);
  }
  out.push(`after kernel (${plan.regexEngine ?? 'no regex engine'}):`);
  if (plan.postFilters.length === 0) out.push('  (nothing)');
  for (const f of plan.postFilters) {
    out.push(f.kind === 'LabelRegex' ? `  label ${f.label} ${f.negate ? '!~' : '=~'} ${JSON.stringify(f.pattern)} (anchored)` : `  line ${f.negate ? '!~' : '|~'} ${JSON.stringify(f.pattern)}`);
  }
  out.push(`order:      ${plan.direction}, ties in store order; limit ${plan.limit ?? 'none'}`);
  return out.join('\n');
}

