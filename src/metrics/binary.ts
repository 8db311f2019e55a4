/**
 * Binary operators: arithmetic, comparisons (filtering, or 0/1 with `bool`), the set
 * operators `and`/`or`/`unless`, and vector matching (`on`/`ignoring`,
 * `group_left`/`group_right`), with PromQL's type rules and error messages.
 *
 * ## Semantics (Prometheus `promql/engine.go`: VectorBinop, VectorAnd/Or/Unless, resultMetric)
 * - scalar op scalar: a scalar; comparisons need `bool`.
 * - vector op scalar (either side): per sample; arithmetic and `bool` drop `__name__`; a
 *   filtering comparison keeps the sample with the vector's value.
 * - vector op vector: samples match when their signatures are equal (`on(l…)`: those
 *   labels; `ignoring(l…)` or nothing: all labels but those and `__name__`). The "one" side
 *   (the right, or the left with `group_right`) must have unique signatures, else "found
 *   duplicate series for the match group … many-to-many matching not allowed". Result
 *   labels are the "many" side's; one-to-one keeps only the `on` labels (or drops the
 *   `ignoring` ones); `group_x(l…)` copies `l…` from the "one" side. Two results with the same
 *   signature (one-to-one) or the same labels (many-to-one) are errors. A filtering
 *   comparison's value is the left operand's.
 * - set operators ignore values: `a and b` keeps `a`'s samples that match some `b`;
 *   `a unless b` those that match none; `a or b` is `a` plus `b`'s samples matching nothing
 *   in `a`.
 */
import type { BinaryExpr, VectorMatching } from '../query/ast.js';
import { arithmetic, compare, isArithmetic, isComparison, isSetOperator } from './arithmetic.js';
import { formatLabels, matchSignature, METRIC_NAME, signatureLabels, type Series } from './labels.js';
import { nameDropper, queryError, typeName, type CompileContext, type EvalNode, type Sample, type ScalarNode, type VectorNode } from './nodes.js';
import { InternalError } from '../errors.js';

const DEFAULT_MATCHING: VectorMatching = { on: false, labels: [], card: 'one-to-one', include: [] };

export function compileBinary(expr: BinaryExpr, ctx: CompileContext): EvalNode {
  const lhs = ctx.compile(expr.lhs);
  const rhs = ctx.compile(expr.rhs);
  const op = expr.op;
  if (lhs.kind === 'string' || rhs.kind === 'string') {
    throw queryError('INVALID_EXPRESSION', `binary expression must contain only scalar and instant vector types, got ${typeName(lhs.kind === 'string' ? lhs : rhs)}`, expr.span);
  }
  if (isSetOperator(op) && (lhs.kind === 'scalar' || rhs.kind === 'scalar')) {
    throw queryError('INVALID_EXPRESSION', `set operator "${op}" not allowed in binary scalar expression`, expr.span);
  }
  if (expr.matching !== null && (lhs.kind === 'scalar' || rhs.kind === 'scalar')) {
    throw queryError('INVALID_EXPRESSION', 'vector matching only allowed between instant vectors', expr.span);
  }
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    if (isComparison(op) && !expr.returnBool) {
      throw queryError('INVALID_EXPRESSION', 'comparisons between scalars must use BOOL modifier', expr.span);
    }
    return scalarScalar(expr, lhs, rhs);
  }
  if (lhs.kind === 'scalar' || rhs.kind === 'scalar') {
    return vectorScalar(expr, ctx, lhs.kind === 'vector' ? lhs : (rhs as VectorNode), lhs.kind === 'scalar' ? lhs : (rhs as ScalarNode), lhs.kind === 'scalar');
  }
  const matching = expr.matching ?? (isSetOperator(op) ? { ...DEFAULT_MATCHING, card: 'many-to-many' as const } : DEFAULT_MATCHING);
  if (isSetOperator(op)) {
    if (matching.card === 'many-to-one' || matching.card === 'one-to-many') {
      throw queryError('INVALID_EXPRESSION', `no grouping allowed for "${op}" operation`, expr.span);
    }
    return setOperation(expr, lhs, rhs as VectorNode, matching);
  }
  if (matching.on) {
    for (const name of matching.include) {
      if (matching.labels.includes(name)) {
        throw queryError('INVALID_EXPRESSION', `label "${name}" must not occur in ON and GROUP clause at once`, expr.span);
      }
    }
  }
  return vectorVector(expr, ctx, lhs, rhs as VectorNode, matching);
}

function scalarScalar(expr: BinaryExpr, lhs: ScalarNode, rhs: ScalarNode): ScalarNode {
  const op = expr.op;
  if (isArithmetic(op)) return { kind: 'scalar', at: (k) => arithmetic(op, lhs.at(k), rhs.at(k)) };
  if (isComparison(op)) return { kind: 'scalar', at: (k) => (compare(op, lhs.at(k), rhs.at(k)) ? 1 : 0) };
  throw new InternalError('unreachable: set operator on scalars');
}

function vectorScalar(expr: BinaryExpr, ctx: CompileContext, vector: VectorNode, scalar: ScalarNode, scalarLeft: boolean): VectorNode {
  const op = expr.op;
  const dropName = nameDropper(ctx.table);
  if (isArithmetic(op)) {
    return {
      kind: 'vector',
      at: (k) => {
        const s = scalar.at(k);
        return vector.at(k).map((x) => ({ series: dropName(x.series), value: scalarLeft ? arithmetic(op, s, x.value) : arithmetic(op, x.value, s) }));
      },
    };
  }
  if (!isComparison(op)) throw new InternalError('unreachable: set operator with a scalar');
  const returnBool = expr.returnBool;
  return {
    kind: 'vector',
    at: (k) => {
      const s = scalar.at(k);
      const out: Sample[] = [];
      for (const x of vector.at(k)) {
        const keep = scalarLeft ? compare(op, s, x.value) : compare(op, x.value, s);
        if (returnBool) out.push({ series: dropName(x.series), value: keep ? 1 : 0 });
        else if (keep) out.push(x);
      }
      return out;
    },
  };
}

/** Match signatures, cached per series. */
function signatureOf(matching: VectorMatching): (series: Series) => string {
  const cache = new Map<Series, string>();
  return (series) => {
    let sig = cache.get(series);
    if (sig === undefined) {
      sig = matchSignature(series.labels, matching.on, matching.labels);
      cache.set(series, sig);
    }
    return sig;
  };
}

function setOperation(expr: BinaryExpr, lhs: VectorNode, rhs: VectorNode, matching: VectorMatching): VectorNode {
  const sig = signatureOf(matching);
  switch (expr.op) {
    case 'and':
      return {
        kind: 'vector',
        at: (k) => {
          const left = lhs.at(k);
          if (left.length === 0) return left;
          const present = new Set(rhs.at(k).map((x) => sig(x.series)));
          return left.filter((x) => present.has(sig(x.series)));
        },
      };
    case 'unless':
      return {
        kind: 'vector',
        at: (k) => {
          const present = new Set(rhs.at(k).map((x) => sig(x.series)));
          return lhs.at(k).filter((x) => !present.has(sig(x.series)));
        },
      };
    case 'or':
      return {
        kind: 'vector',
        at: (k) => {
          const left = lhs.at(k);
          const present = new Set(left.map((x) => sig(x.series)));
          return [...left, ...rhs.at(k).filter((x) => !present.has(sig(x.series)))];
        },
      };
    default:
      throw new InternalError(`unreachable: ${expr.op} is not a set operator`);
  }
}

function vectorVector(expr: BinaryExpr, ctx: CompileContext, lhs: VectorNode, rhs: VectorNode, matching: VectorMatching): VectorNode {
  const op = expr.op;
  const returnBool = expr.returnBool;
  const swapped = matching.card === 'one-to-many';
  const oneSideName = swapped ? 'left' : 'right';
  const sig = signatureOf(matching);
  const dropsName = isArithmetic(op);
  // Result labels depend only on the (many, one) pair of series.
  const resultCache = new Map<Series, Map<Series, Series>>();
  const resultSeries = (many: Series, one: Series): Series => {
    let row = resultCache.get(many);
    if (row === undefined) resultCache.set(many, (row = new Map()));
    let out = row.get(one);
    if (out === undefined) {
      out = ctx.table.derive(many, (l) => {
        if (dropsName || returnBool) delete l[METRIC_NAME];
        if (matching.card === 'one-to-one') {
          for (const name of Object.keys(l)) {
            if (matching.on ? !matching.labels.includes(name) : matching.labels.includes(name)) delete l[name];
          }
        }
        for (const name of matching.include) {
          const v = one.labels[name];
          if (v !== undefined) l[name] = v;
          else delete l[name];
        }
      });
      row.set(one, out);
    }
    return out;
  };
  return {
    kind: 'vector',
    at: (k) => {
      const left = lhs.at(k);
      const right = rhs.at(k);
      const [manySide, oneSide] = swapped ? [right, left] : [left, right];
      const ones = new Map<string, Sample>();
      for (const x of oneSide) {
        const s = sig(x.series);
        const dup = ones.get(s);
        if (dup !== undefined) {
          throw queryError(
            'INVALID_EXPRESSION',
            `found duplicate series for the match group ${formatLabels(signatureLabels(x.series.labels, matching.on, matching.labels))} on the ${oneSideName} hand-side of the operation: [${formatLabels(x.series.labels)}, ${formatLabels(dup.series.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
            expr.span,
          );
        }
        ones.set(s, x);
      }
      const out: Sample[] = [];
      const matched = new Map<string, Set<Series>>();
      for (const x of manySide) {
        const s = sig(x.series);
        const one = ones.get(s);
        if (one === undefined) continue;
        // Operands in the query's order, whichever side is "many".
        const [a, b] = swapped ? [one.value, x.value] : [x.value, one.value];
        let value: number;
        if (isArithmetic(op)) value = arithmetic(op, a, b);
        else if (isComparison(op)) {
          const keep = compare(op, a, b);
          if (returnBool) value = keep ? 1 : 0;
          else if (keep) value = a;
          else continue;
        } else throw new InternalError('unreachable: set operator in vectorVector');
        const series = resultSeries(x.series, one.series);
        let group = matched.get(s);
        if (matching.card === 'one-to-one') {
          if (group !== undefined) {
            throw queryError('INVALID_EXPRESSION', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)', expr.span);
          }
          matched.set(s, new Set());
        } else {
          if (group === undefined) matched.set(s, (group = new Set()));
          else if (group.has(series)) {
            throw queryError('INVALID_EXPRESSION', 'multiple matches for labels: grouping labels must ensure unique matches', expr.span);
          }
          group.add(series);
        }
        out.push({ series, value });
      }
      return out;
    },
  };
}
