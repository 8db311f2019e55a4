/**
 * Go's float formatting, in one place: what Go (`strconv.FormatFloat`, `fmt`'s `%v`/`%g`) and
 * Prometheus (sample values in its JSON) print for a float64, so that letheql's answers are
 * byte-identical with the systems it stands in for.
 *
 * - {@link formatFloatF}: `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits,
 *   never an exponent (`count_values` labels).
 * - {@link formatFloatG}: `strconv.FormatFloat(v, 'g', prec, 64)` as `fmt` uses it for `%v`
 *   and `%g` (templates: `line_format`, `label_format`, rule annotations).
 * - {@link formatPromValue}: a sample value in the Prometheus HTTP API's JSON.
 *
 * All three print `NaN`, `+Inf`, `-Inf` and keep the sign of `-0`. JS's `String(number)` is
 * the shortest round-trip form, as Go's `-1` precision is; what differs is where each switches
 * to an exponent and how the exponent is written.
 */

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, never an exponent. */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const text = String(v);
  if (!text.includes('e')) return text;
  const negative = v < 0;
  const [mantissa, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = 1 + Number(exp); // position of the decimal point in `digits`
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** Go's `strconv.FormatFloat(v, 'g', prec, 64)` as `fmt` uses it for `%v` (prec -1: shortest, exponent from 1e+06 up / below 1e-4). */
export function formatFloatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // JS's toExponential/toPrecision stop at 100 digits (RangeError past it); Go's %g would print more exact digits.
  if (prec > 100) prec = 100;
  const exp = prec < 0 ? v.toExponential() : v.toExponential(Math.max(prec, 1) - 1);
  const [mant, e] = exp.split('e') as [string, string];
  const x = Number(e);
  const eprec = prec < 0 ? 6 : Math.max(prec, 1);
  if (x < -4 || x >= eprec) {
    const m = prec < 0 ? mant : mant.replace(/\.?0+$/, '');
    return `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  if (prec < 0) return String(v);
  return String(Number(v.toPrecision(Math.max(prec, 1))));
}

/**
 * A float as Go's `strconv.FormatFloat(v, 'f' or 'e', -1, 64)` writes it in Prometheus'
 * JSON: shortest round-trip digits, exponent form below 1e-6 and from 1e21 (the same
 * thresholds as JS), at least two exponent digits, `+Inf`/`-Inf`/`NaN`, and `-0`.
 */
export function formatPromValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Object.is(value, -0)) return '-0';
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const sign = text[e + 1]!;
  const digits = text.slice(e + 2);
  return `${text.slice(0, e)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
}
