/**
 * Binary operators on two float64 values, with Go's (and so PromQL's) float semantics.
 *
 * JS and Go agree on IEEE arithmetic, on `%` (Go's `math.Mod`: the sign of the dividend,
 * NaN for a zero divisor, `x` for an infinite divisor) and on `atan2`; they differ on
 * `pow`, which {@link goPow} fixes. Comparisons return `[value, keep]` as PromQL's
 * `vectorElemBinop` does: the left value, and whether the comparison holds.
 */
import type { ArithmeticOp, BinaryOp, ComparisonOp, SetOp } from '../query/ast.js';

/** Go's `math.Pow`: `pow(x, ±0) = 1`, `pow(1, y) = 1` (even NaN y), `pow(−1, ±Inf) = 1`; JS gives NaN for the last two. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return Math.pow(x, y);
}

export function isComparison(op: BinaryOp): op is ComparisonOp {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

export function isSetOperator(op: BinaryOp): op is SetOp {
  return op === 'and' || op === 'or' || op === 'unless';
}

export function isArithmetic(op: BinaryOp): op is ArithmeticOp {
  return !isComparison(op) && !isSetOperator(op);
}

export function arithmetic(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return goPow(a, b);
    case 'atan2':
      return Math.atan2(a, b);
  }
}

export function compare(op: ComparisonOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
  }
}
