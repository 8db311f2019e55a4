/**
 * LogQL log pipelines: a selector's stages after its leading line filters, compiled once
 * per query into a function from one log line (and its stream labels) to the line and
 * labels that come out, or nothing when a stage filters the line out.
 *
 * ## What it owns
 * - {@link compilePipeline}: AST stages (`src/query/ast.ts`) → a {@link Pipeline}. Regexes,
 *   templates, patterns and json paths are compiled here, once; errors that only the
 *   regex engine can see (`| regexp`, `=~` label filters, `drop a=~"…"`) are thrown here as
 *   {@link QueryError}s with spans into the query (code INVALID_REGEX).
 * - The stages' semantics, one module each: `json.ts` (`json`, `unpack`), `logfmt.ts`,
 *   `pattern.ts`, `label-filter.ts`, `template.ts` (`line_format`, `label_format`),
 *   `regex-util.ts` (`regexp`, `decolorize`), `state.ts` (labels and error labels). Each
 *   documents how it follows Loki and where it differs.
 * - Which labels each parser must extract ({@link Pipeline.stages}).
 *
 * ## Contract
 * Plain data in, plain data out: `process(line, labels)` takes the message and the
 * stream's labels (never mutated) and returns `{ line, labels, value }` or `null`. The
 * result object is reused by the next call (copy what you keep); `labels` is the input
 * object itself when no stage changed a label. A line a stage cannot read is never an
 * exception: it gets `__error__` / `__error_details__` labels and goes on (`| __error__ = ""`
 * drops it). Line filters written *before* the first stage are not part of the pipeline:
 * the scan kernel runs them; those written after a stage are (they see the current line).
 *
 * ## Extracting only what the query needs
 * The compiler walks the stages backwards from what the consumer reads
 * ({@link PipelineOptions.outputLabels}) and tells each parser which labels to
 * materialise: a label filter, `line_format`/`label_format` template fields, `keep`,
 * `unwrap` and the output labels add names; `drop`, `keep` and `label_format` remove
 * them. So `sum by (pod) (count_over_time({…} | json | status >= 500 [5m]))` makes `json`
 * extract only `status` (and `pod`'s `pod_extracted` twin, if present), and `| json` can
 * stop reading the line once it has them. When a stage reads `__error__` (or the consumer
 * asks for it), parsers still read whole lines so that errors are exact.
 * It extracts everything when the consumer reads all labels: a log query (whose rows show
 * every label), or a metric query grouped `without (…)` (pass `'all'`). Our template
 * subset always names its fields, so `line_format`/`label_format` never force that.
 *
 * ## Unwrap
 * With `| unwrap x`, `value` is `x` converted (float, `duration()`/`duration_seconds()` in
 * seconds, `bytes()`); a line whose `x` is absent or empty gives no sample (`null`); a
 * conversion error sets `__error__="SampleExtractionErr"`, value 0, and the label filters
 * after `unwrap` still run (LogQL's `| unwrap x | __error__ = ""`). The consumer decides
 * what an errored sample means (Loki fails the query) and, as Loki, should drop the
 * unwrapped label from series labels unless the aggregation groups `by` it.
 */
import { QueryError, type Span } from '../errors.js';
import type { LabelMatcher, LabelNameRef, LabelPredicate, PipelineStage, UnwrapConversion } from '../query/ast.js';
import { parseJsonPath } from '../query/json-path.js';
import { parseTemplate, templateFields } from '../query/template.js';
import { parseGoDuration, parseGoFloat, parseHumanBytes, type Conversion } from '../query/units.js';
import { RegexSyntaxError } from '../regex/errors.js';
import { JsonParamsStage, JsonStage, UnpackStage } from './json.js';
import { compileLabelFilter, labelFilterNames } from './label-filter.js';
import { LogfmtParamsStage, LogfmtStage } from './logfmt.js';
import { PatternStage } from './pattern.js';
import { lineHasIp, parseIpPattern } from './ip.js';
import { compileRegex, decolorize, firstMatchGroups, fullMatcher } from './regex-util.js';
import {
  deleteLabel,
  ERROR_DETAILS_LABEL,
  ERROR_LABEL,
  extractedName,
  newLineState,
  PipelineErrors,
  resetLineState,
  setError,
  setLabel,
  type LineState,
} from './state.js';
import { compileTemplate, TemplateExecError, type TemplateContext } from './template.js';

export { ERROR_DETAILS_LABEL, ERROR_LABEL, PipelineErrors } from './state.js';

/** Options of {@link compilePipeline}. */
export interface PipelineOptions {
  /**
   * The labels the consumer reads from the results: `'all'` (the default) for a log query
   * or a `without (…)` aggregation; the grouping labels of a metric query otherwise (add
   * `__error__` to get exact error labels).
   */
  outputLabels?: readonly string[] | 'all';
  /** Cap on `line_format`/`label_format` output (see `template.ts`); default 1 MiB. */
  maxTemplateBytes?: number;
}

/** What comes out of a line. Reused by the next `process` call. */
export interface PipelineResult {
  line: string;
  labels: Record<string, string>;
  /** The unwrapped sample value; NaN without `| unwrap`. */
  value: number;
}

/** What the compiler decided for one stage. */
export interface StagePlan {
  kind: PipelineStage['kind'];
  /** Parsers: `'all'`, or the only labels they materialise. Other stages: null. */
  extracts: 'all' | readonly string[] | null;
  /** Parsers: whether they read whole lines (so `__error__` is exact) even after finding every wanted label. */
  readsWholeLine: boolean;
}

/** A compiled pipeline. */
export interface Pipeline {
  /** Runs the stages on one line; null when a stage filters it out (or, with unwrap, when there is no sample). */
  process(line: string, labels: Readonly<Record<string, string>>): PipelineResult | null;
  readonly stages: readonly StagePlan[];
  /** The stream labels the pipeline and the consumer read (`'all'` or names). */
  readonly inputLabels: 'all' | readonly string[];
  readonly unwrap: { label: string; conversion: UnwrapConversion } | null;
  /**
   * True when no stage can drop a line or change what the consumer reads (every stage was
   * compiled to nothing, as `| regexp` whose groups nobody reads): a count may skip the
   * pipeline, and decoding the lines for it.
   */
  readonly keepsEveryLine: boolean;
}

type StageFn = (st: LineState) => boolean;

/** A stage that has nothing to do for this consumer (see {@link Pipeline.keepsEveryLine}). */
const KEEP_LINE: StageFn = () => true;

/** Needed labels at a point of the pipeline: every label, or these. */
type Need = { all: true } | { all: false; names: Set<string> };

function needOf(out: readonly string[] | 'all'): Need {
  return out === 'all' ? { all: true } : { all: false, names: new Set(out) };
}

function addNames(need: Need, names: Iterable<string>): Need {
  if (need.all) return need;
  const next = new Set(need.names);
  for (const n of names) next.add(n);
  return { all: false, names: next };
}

function needsError(need: Need): boolean {
  return need.all || need.names.has(ERROR_LABEL) || need.names.has(ERROR_DETAILS_LABEL);
}

/**
 * Walks the stages backwards: `after[i]` is what is needed right after stage i, and the
 * result's `before` what the pipeline needs from its input.
 */
function planNeeds(stages: readonly PipelineStage[], output: readonly string[] | 'all'): { after: Need[]; before: Need } {
  const after: Need[] = new Array<Need>(stages.length);
  let need = needOf(output);
  for (let i = stages.length - 1; i >= 0; i--) {
    after[i] = need;
    const s = stages[i]!;
    switch (s.kind) {
      case 'LabelFilterStage':
        need = addNames(need, labelFilterNames(s.filter));
        break;
      case 'UnwrapStage':
        need = addNames(need, [s.label]);
        break;
      case 'LineFormatStage':
        need = addNames(need, templateFields(parseTemplate(s.template)));
        break;
      case 'LabelFormatStage': {
        for (let k = s.items.length - 1; k >= 0; k--) {
          const item = s.items[k]!;
          if (!need.all) {
            const names = new Set(need.names);
            names.delete(item.dst);
            need = { all: false, names };
          }
          need = addNames(need, item.kind === 'LabelRename' ? [item.src] : templateFields(parseTemplate(item.template)));
        }
        break;
      }
      case 'DropStage': {
        if (!need.all) {
          const names = new Set(need.names);
          for (const l of s.labels) if (l.kind === 'LabelName') names.delete(l.name);
          need = { all: false, names };
        }
        need = addNames(need, s.labels.filter((l) => l.kind === 'LabelMatcher').map((l) => l.name));
        break;
      }
      case 'KeepStage': {
        const kept = new Set(s.labels.map((l) => l.name));
        kept.add(ERROR_LABEL);
        kept.add(ERROR_DETAILS_LABEL);
        const names = new Set<string>();
        for (const k of kept) if (need.all || need.names.has(k)) names.add(k);
        for (const l of s.labels) if (l.kind === 'LabelMatcher') names.add(l.name);
        need = { all: false, names };
        break;
      }
      default:
        // Parsers, line filters, decolorize: what is needed after is needed before (a
        // parser may not find a label that an earlier stage or the stream provides).
        break;
    }
  }
  return { after, before: need };
}

/** Compiles AST stages into a {@link Pipeline}. Throws {@link QueryError} (INVALID_REGEX, INVALID_EXPRESSION) with spans. */
export function compilePipeline(stages: readonly PipelineStage[], opts: PipelineOptions = {}): Pipeline {
  const output = opts.outputLabels ?? 'all';
  const { after, before } = planNeeds(stages, output);
  const plans: StagePlan[] = [];
  const fns: StageFn[] = [];
  let unwrapAt = -1;
  stages.forEach((stage, i) => {
    const need = after[i]!;
    const want = need.all ? null : need.names;
    const wholeLine = needsError(need);
    const isParser = stage.kind === 'JsonStage' || stage.kind === 'LogfmtStage' || stage.kind === 'RegexpStage' || stage.kind === 'PatternStage' || stage.kind === 'UnpackStage';
    plans.push({ kind: stage.kind, extracts: isParser ? (want === null ? 'all' : [...want].sort()) : null, readsWholeLine: isParser && wholeLine });
    if (stage.kind === 'UnwrapStage') {
      unwrapAt = i;
      fns.push(() => true);
      return;
    }
    fns.push(compileStage(stage, want, wholeLine, opts.maxTemplateBytes));
  });

  const unwrapStage = unwrapAt >= 0 ? (stages[unwrapAt] as Extract<PipelineStage, { kind: 'UnwrapStage' }>) : null;
  const pre = unwrapAt >= 0 ? fns.slice(0, unwrapAt) : fns;
  const post = unwrapAt >= 0 ? fns.slice(unwrapAt + 1) : [];
  const convert = unwrapStage ? unwrapConverter(unwrapStage.conversion) : null;
  const st = newLineState();
  const result: PipelineResult = { line: '', labels: {}, value: NaN };

  const process = (line: string, labels: Readonly<Record<string, string>>): PipelineResult | null => {
    resetLineState(st, line, labels);
    for (let k = 0; k < pre.length; k++) if (!pre[k]!(st)) return null;
    let value = NaN;
    if (unwrapStage && convert) {
      const raw = st.labels[unwrapStage.label];
      if (raw === undefined || raw === '') return null;
      const c = convert(raw);
      if (c.ok) value = c.value;
      else {
        value = 0;
        setError(st, PipelineErrors.sampleExtraction, c.error);
      }
      for (let k = 0; k < post.length; k++) if (!post[k]!(st)) return null;
    }
    result.line = st.line;
    result.labels = st.labels;
    result.value = value;
    return result;
  };

  return {
    process,
    stages: plans,
    inputLabels: before.all ? 'all' : [...before.names].sort(),
    unwrap: unwrapStage ? { label: unwrapStage.label, conversion: unwrapStage.conversion } : null,
    keepsEveryLine: unwrapStage === null && fns.every((f) => f === KEEP_LINE),
  };
}

function unwrapConverter(conversion: UnwrapConversion): (s: string) => Conversion {
  switch (conversion) {
    case 'float':
      return parseGoFloat;
    case 'bytes':
      return parseHumanBytes;
    default:
      return (s) => {
        const d = parseGoDuration(s);
        return d.ok ? { ok: true, value: d.value / 1e9 } : d;
      };
  }
}

/**
 * A regex error as a query error pointing into the pattern's string literal (exactly when
 * the literal has no escapes, else the whole literal), as the planner does for line filters.
 */
function regexError(pattern: string, valueSpan: Span, e: RegexSyntaxError, what = 'regex'): QueryError {
  let span = valueSpan;
  const width = valueSpan.end.offset - valueSpan.start.offset;
  if (e.offset !== null && valueSpan.start.line === valueSpan.end.line && width === pattern.length + 2) {
    const at = (k: number) => ({ offset: valueSpan.start.offset + 1 + k, line: valueSpan.start.line, column: valueSpan.start.column + 1 + k });
    span = { start: at(e.offset), end: at(pattern.length) };
  }
  return new QueryError('INVALID_REGEX', `invalid ${what} ${JSON.stringify(pattern)}: ${e.message}`, span);
}

function compileRegexAt(pattern: string, valueSpan: Span): ReturnType<typeof compileRegex> {
  try {
    return compileRegex(pattern);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw regexError(pattern, valueSpan, e);
    throw e;
  }
}

function fullMatcherAt(pattern: string, valueSpan: Span): (value: string) => boolean {
  try {
    return fullMatcher(pattern);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw regexError(pattern, valueSpan, e);
    throw e;
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function compileStage(stage: Exclude<PipelineStage, { kind: 'UnwrapStage' }>, want: ReadonlySet<string> | null, wholeLine: boolean, maxTemplateBytes: number | undefined): StageFn {
  switch (stage.kind) {
    case 'LineFilter': {
      const needle = stage.value;
      if (stage.ip) {
        const set = parseIpPattern(needle);
        return stage.op === '|=' ? (st) => lineHasIp(set, st.line) : (st) => !lineHasIp(set, st.line);
      }
      switch (stage.op) {
        case '|=':
          return (st) => st.line.includes(needle);
        case '!=':
          return (st) => !st.line.includes(needle);
        default: {
          const re = compileRegexAt(needle, stage.valueSpan);
          return stage.op === '|~' ? (st) => re.test(st.line) : (st) => !re.test(st.line);
        }
      }
    }
    case 'JsonStage': {
      if (stage.params.length > 0) {
        const s = new JsonParamsStage(stage.params.map((p) => ({ label: p.label, path: parseJsonPath(p.path) })));
        return (st) => s.run(st);
      }
      const s = new JsonStage(want, wholeLine);
      return (st) => s.run(st);
    }
    case 'LogfmtStage': {
      if (stage.params.length > 0) {
        const s = new LogfmtParamsStage(stage.strict, stage.params.map((p) => ({ label: p.label, key: p.path })));
        return (st) => s.run(st);
      }
      const s = new LogfmtStage(stage.strict, stage.keepEmpty, want);
      return (st) => s.run(st);
    }
    case 'RegexpStage': {
      const re = compileRegexAt(stage.pattern, stage.valueSpan);
      const groups: { index: number; name: string }[] = [];
      const seen = new Set<string>();
      re.names.forEach((name, index) => {
        if (name === null || index === 0) return;
        if (!LABEL_NAME.test(name)) throw new QueryError('INVALID_REGEX', `invalid extracted label name '${name}' in regexp ${JSON.stringify(stage.pattern)}`, stage.valueSpan);
        if (seen.has(name)) throw new QueryError('INVALID_REGEX', `duplicate extracted label name '${name}' in regexp ${JSON.stringify(stage.pattern)}`, stage.valueSpan);
        seen.add(name);
        groups.push({ index, name });
      });
      if (groups.length === 0) throw new QueryError('INVALID_REGEX', `regexp ${JSON.stringify(stage.pattern)} needs at least one named capture, e.g. (?P<status>\\d{3})`, stage.valueSpan);
      // Fast path: `| regexp` never drops a line, so when nothing after it reads one of its
      // groups (a `--count`, a `count_over_time` without `by` on them) it need not run at all.
      const wanted = groups.filter((g) => want === null || want.has(g.name) || want.has(`${g.name}_extracted`));
      if (wanted.length === 0) return KEEP_LINE;
      const out: string[] = [];
      return (st) => {
        if (!firstMatchGroups(re, st.line, out)) return true;
        for (const g of wanted) {
          const label = extractedName(st, g.name);
          if (want === null || want.has(label)) setLabel(st, label, out[g.index]!);
        }
        return true;
      };
    }
    case 'PatternStage': {
      const s = new PatternStage(stage.pattern, want);
      return (st) => s.run(st);
    }
    case 'UnpackStage': {
      const s = new UnpackStage(want);
      return (st) => s.run(st);
    }
    case 'DecolorizeStage':
      return (st) => {
        st.line = decolorize(st.line);
        return true;
      };
    case 'LabelFilterStage':
      return compileLabelFilter(stage.filter, (p: LabelPredicate) => fullMatcherAt(p.value.type === 'string' ? p.value.value : '', p.valueSpan));
    case 'LineFormatStage': {
      const nodes = parseTemplate(stage.template);
      const t = compileTemplate(nodes, templateFields(nodes));
      const ctx: TemplateContext = { labels: {}, line: '', maxBytes: maxTemplateBytes };
      return (st) => {
        ctx.labels = st.labels;
        ctx.line = st.line;
        try {
          st.line = t.render(ctx);
        } catch (e) {
          if (!(e instanceof TemplateExecError)) throw e;
          setError(st, PipelineErrors.template, e.message);
        }
        return true;
      };
    }
    case 'LabelFormatStage': {
      const items = stage.items.map((item) => {
        if (item.kind === 'LabelRename') return { dst: item.dst, src: item.src, template: null };
        const nodes = parseTemplate(item.template);
        return { dst: item.dst, src: null, template: compileTemplate(nodes, templateFields(nodes)) };
      });
      const ctx: TemplateContext = { labels: {}, line: '', maxBytes: maxTemplateBytes };
      return (st) => {
        // Templates see the labels as they were at the first template (Loki's `data`).
        let snapshot: Readonly<Record<string, string>> | null = null;
        for (const item of items) {
          if (item.src !== null) {
            const v = st.labels[item.src];
            if (v !== undefined) {
              setLabel(st, item.dst, v);
              if (item.src !== item.dst) deleteLabel(st, item.src);
            }
            continue;
          }
          snapshot ??= st.owned ? { ...st.labels } : st.labels;
          ctx.labels = snapshot;
          ctx.line = st.line;
          try {
            setLabel(st, item.dst, item.template!.render(ctx));
          } catch (e) {
            if (!(e instanceof TemplateExecError)) throw e;
            setError(st, PipelineErrors.template, e.message);
          }
        }
        return true;
      };
    }
    case 'DropStage': {
      const items = stage.labels.map((l) => namedMatcher(l));
      return (st) => {
        for (const item of items) {
          const v = st.labels[item.name];
          if (v === undefined) continue;
          if (item.matches === null || item.matches(v)) deleteLabel(st, item.name);
        }
        return true;
      };
    }
    case 'KeepStage': {
      const items = stage.labels.map((l) => namedMatcher(l));
      return (st) => {
        for (const name of Object.keys(st.labels)) {
          if (name === ERROR_LABEL || name === ERROR_DETAILS_LABEL) continue;
          const v = st.labels[name]!;
          const keep = items.some((item) => item.name === name && (item.matches === null || item.matches(v)));
          if (!keep) deleteLabel(st, name);
        }
        return true;
      };
    }
  }
}

function namedMatcher(l: LabelNameRef | LabelMatcher): { name: string; matches: ((v: string) => boolean) | null } {
  if (l.kind === 'LabelName') return { name: l.name, matches: null };
  const value = l.value;
  switch (l.op) {
    case '=':
      return { name: l.name, matches: (v) => v === value };
    case '!=':
      return { name: l.name, matches: (v) => v !== value };
    case '=~': {
      const m = fullMatcherAt(value, l.valueSpan);
      return { name: l.name, matches: m };
    }
    default: {
      const m = fullMatcherAt(value, l.valueSpan);
      return { name: l.name, matches: (v) => !m(v) };
    }
  }
}
