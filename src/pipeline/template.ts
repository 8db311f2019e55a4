/**
 * Evaluation of `line_format` / `label_format` templates (the syntax and the function list
 * are `src/query/template.ts`, which documents the subset).
 *
 * Values follow Go's types so that output matches Loki's: strings, booleans, Go ints
 * (JS numbers holding integers) and float64s ({@link GoFloat}), printed as Go's `fmt`
 * prints them (`%v`: floats in shortest form, `1e+06` from a million on). Functions check
 * their argument types as Go's reflection does (a string where an int is due is an error)
 * except Sprig's math functions, which convert like Sprig (`"3"` → 3, junk → 0).
 *
 * A runtime error (a type mismatch, a bad regex, a division by zero, invalid base64 or URL
 * escapes, a failed unit conversion) makes the stage set `__error__="TemplateFormatErr"`
 * with the message in `__error_details__`, and leave the line or label unchanged, as Loki.
 * Regexes given as string literals are compiled once; others on first use (cached).
 *
 * ## Output is bounded (`maxTemplateBytes`)
 * A template can amplify: `repeat 200000000 "x"`, `printf "%0100000000d"`, `alignLeft`,
 * `indent`, `replace "" …` each build a string far larger than the line. Every function that
 * can grow its output computes the result's size *before* building it, and every string a
 * function returns and the rendered output as it accumulates are checked too. The cap is
 * `maxTemplateBytes` (default {@link DEFAULT_MAX_TEMPLATE_BYTES}) or the length of the line
 * being formatted, whichever is larger — reformatting a long line is never refused, growing
 * past it is. Sizes are UTF-16 code units (= bytes for ASCII). Past the cap the query fails
 * with a {@link LimitError} naming `maxTemplateBytes` (not `__error__`: the result would be
 * silently wrong, and the caller set a budget).
 *
 * ## Alert templates
 * Alerting rules (`src/rules/`) render their labels and annotations here too: the context's
 * `alert` holds `$labels`, `$externalLabels` and `$value`, and
 * {@link ALERT_TEMPLATE_IMPLEMENTATIONS} Prometheus's functions (`humanize*` print as Go's
 * `%.4g`, exactly as Prometheus's `template.go`).
 */
import { LimitError } from '../errors.js';
import { goQuote } from '../query/literals.js';
import type { TemplateArg, TemplateCommand, TemplateNode, TemplatePipe } from '../query/template.js';
import { parseGoDuration, parseGoFloat, parseHumanBytes } from '../query/units.js';
import { compileRegex, countMatches, replaceAll } from './regex-util.js';
import { formatFloatG } from '../go-format.js';
import { detectLevel } from './detected.js';

/** A Go float64 (ints are plain numbers). */
export class GoFloat {
  constructor(readonly v: number) {}
}

export type TValue = string | boolean | number | GoFloat;

/** A runtime template error. */
export class TemplateExecError extends Error {}

/** Default `maxTemplateBytes`: 1 MiB, well above any sane formatted line, far below what exhausts a heap. */
export const DEFAULT_MAX_TEMPLATE_BYTES = 1024 * 1024;

/** What a template sees while it runs. */
export interface TemplateContext {
  labels: Readonly<Record<string, string>>;
  /** The line before the stage (`__line__`). */
  line: string;
  /** `maxTemplateBytes` (default {@link DEFAULT_MAX_TEMPLATE_BYTES}); the cap is this or the line's length, whichever is larger. */
  maxBytes?: number;
  /** Alert templates (`parseTemplate(text, 'alert')`): what `$labels`, `$externalLabels` and `$value` read. */
  alert?: AlertTemplateData;
}

/** The data of an alert template. */
export interface AlertTemplateData {
  labels: Readonly<Record<string, string>>;
  externalLabels: Readonly<Record<string, string>>;
  value: number;
}

/** The size cap for strings built while rendering against `ctx` (see the module note). */
function capOf(ctx: TemplateContext): number {
  return Math.max(ctx.maxBytes ?? DEFAULT_MAX_TEMPLATE_BYTES, ctx.line.length);
}

/** Throws the limit error when a string of `size` units would exceed the cap; call before building it. */
function checkSize(ctx: TemplateContext, fn: string, size: number): void {
  const cap = capOf(ctx);
  if (size > cap) {
    const max = ctx.maxBytes ?? DEFAULT_MAX_TEMPLATE_BYTES;
    throw new LimitError(
      'maxTemplateBytes',
      max,
      `template output too large: ${fn} would build a string of ${size} bytes, more than the limit maxTemplateBytes=${max} (or the line's own length, when longer)`,
    );
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function typeName(v: TValue): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  return 'float64';
}

/** Go's `%v`. */
export function formatValue(v: TValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return formatFloatG(v.v, -1);
}

function truth(v: TValue): boolean {
  if (typeof v === 'string') return v !== '';
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return v.v !== 0;
}

function str(v: TValue, fn: string): string {
  if (typeof v !== 'string') throw new TemplateExecError(`error calling ${fn}: wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}

function int(v: TValue, fn: string): number {
  if (typeof v !== 'number') throw new TemplateExecError(`error calling ${fn}: wrong type for value; expected int; got ${typeName(v)}`);
  return v;
}

/** Sprig's `toInt64` (via spf13/cast): strings are parsed, junk is 0. */
function toInt(v: TValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof GoFloat) return Math.trunc(v.v);
  const s = v.replace(/\.0*$/, '');
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]?0[xX]/, ''), 16);
  return 0;
}

/** Sprig's `toFloat64`. */
function toFloat(v: TValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof GoFloat) return v.v;
  const f = parseGoFloat(v);
  return f.ok ? f.value : 0;
}

function runes(s: string): string[] {
  return Array.from(s);
}

/** Code points in `s`, without building an array. */
function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** Go's `strings.Title`: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const isSep = !/[\p{L}\p{N}_']/u.test(prev);
    out += isSep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function cutsetRegex(cutset: string): (ch: string) => boolean {
  const set = new Set(runes(cutset));
  return (ch) => set.has(ch);
}

function trimLeftSet(s: string, cutset: string): string {
  const has = cutsetRegex(cutset);
  const r = runes(s);
  let i = 0;
  while (i < r.length && has(r[i]!)) i++;
  return r.slice(i).join('');
}

function trimRightSet(s: string, cutset: string): string {
  const has = cutsetRegex(cutset);
  const r = runes(s);
  let j = r.length;
  while (j > 0 && has(r[j - 1]!)) j--;
  return r.slice(0, j).join('');
}

/** Go's `strings.TrimSpace` (Unicode white space). */
function trimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
}

/** Go's `strings.Replace(s, old, new, n)`. */
function goReplace(s: string, old: string, neu: string, n: number, ctx: TemplateContext, fn: string): string {
  if (n === 0 || old === neu) return s;
  if (neu.length > old.length) {
    // The result's size before building it: count the replacements first (no allocation).
    let k = 0;
    if (old === '') k = runeCount(s) + 1;
    else for (let at = s.indexOf(old); at >= 0 && (n < 0 || k < n); at = s.indexOf(old, at + old.length)) k++;
    if (n >= 0) k = Math.min(k, n);
    checkSize(ctx, fn, s.length + k * (neu.length - old.length));
  }
  if (old === '') {
    // Go inserts `new` before each rune and at the end, up to n times.
    const r = runes(s);
    let out = '';
    let done = 0;
    for (let i = 0; i <= r.length; i++) {
      if (n < 0 || done < n) {
        out += neu;
        done++;
      }
      if (i < r.length) out += r[i];
    }
    return out;
  }
  if (n < 0) return s.split(old).join(neu);
  let out = '';
  let rest = s;
  for (let k = 0; k < n; k++) {
    const at = rest.indexOf(old);
    if (at < 0) break;
    out += rest.slice(0, at) + neu;
    rest = rest.slice(at + old.length);
  }
  return out + rest;
}

function b64enc(s: string): string {
  let bin = '';
  for (const b of encoder.encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function b64dec(s: string): string {
  try {
    const bin = atob(s);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return decoder.decode(bytes);
  } catch {
    // Sprig returns the error text as the value.
    return `illegal base64 data at input byte 0`;
  }
}

/** Go's `url.QueryEscape`. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of encoder.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's `url.QueryUnescape`. */
function queryUnescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new TemplateExecError(`error calling urldecode: invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '+') bytes.push(32);
    else for (const b of encoder.encode(c)) bytes.push(b);
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}

function alignLeft(count: number, s: string, ctx: TemplateContext): string {
  if (count > s.length) checkSize(ctx, 'alignLeft', count);
  const r = runes(s);
  return r.length > count ? r.slice(0, count).join('') : s + ' '.repeat(count - r.length);
}

function alignRight(count: number, s: string, ctx: TemplateContext): string {
  if (count > s.length) checkSize(ctx, 'alignRight', count);
  const r = runes(s);
  return r.length > count ? r.slice(r.length - count).join('') : ' '.repeat(count - r.length) + s;
}

/** Loki's `substring`. */
function substr(start: number, end: number, s: string): string {
  const r = runes(s);
  const l = r.length;
  if (end > l) end = l;
  if (start > l) start = l;
  if (start < 0) return end < 0 ? '' : r.slice(0, end).join('');
  if (end < 0) return r.slice(start).join('');
  if (start > end) return '';
  return r.slice(start, end).join('');
}

/** Loki's `trunc`. */
function trunc(c: number, s: string): string {
  const r = runes(s);
  const l = r.length;
  if (c < 0 && l + c > 0) return r.slice(l + c).join('');
  if (c >= 0 && l > c) return r.slice(0, c).join('');
  return s;
}

function indent(n: number, s: string, ctx: TemplateContext, fn: string): string {
  if (n > 0) {
    let lines = 1;
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) lines++;
    checkSize(ctx, fn, s.length + n * lines);
  }
  const pad = ' '.repeat(Math.max(0, n));
  return pad + s.split('\n').join(`\n${pad}`);
}

/** Sprig's `round(a, p, roundOn=.5)`. */
function round(a: TValue, p: number, roundOn: number): number {
  const pow = 10 ** p;
  const digit = pow * toFloat(a);
  const frac = digit - Math.trunc(digit);
  return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
}

function isEmpty(v: TValue): boolean {
  return !truth(v);
}

/** Go template `eq`/`lt`… operands: same basic kind required. */
function basicCompare(a: TValue, b: TValue, fn: string): number {
  const ka = typeof a === 'number' ? 'int' : typeName(a);
  const kb = typeof b === 'number' ? 'int' : typeName(b);
  if (ka !== kb) throw new TemplateExecError(`error calling ${fn}: incompatible types for comparison`);
  const x = a instanceof GoFloat ? a.v : a;
  const y = b instanceof GoFloat ? b.v : b;
  if (typeof x === 'boolean') {
    if (fn !== 'eq' && fn !== 'ne') throw new TemplateExecError(`error calling ${fn}: invalid type for comparison`);
    return x === y ? 0 : 1;
  }
  return x === y ? 0 : (x as number | string) < (y as number | string) ? -1 : 1;
}

const regexCache = new Map<string, ReturnType<typeof compileRegex>>();
function regex(pattern: string, fn: string): ReturnType<typeof compileRegex> {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = compileRegex(pattern);
    } catch (e) {
      throw new TemplateExecError(`error calling ${fn}: ${(e as Error).message}`);
    }
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

// ---------------------------------------------------------------------------
// printf: Go's fmt verbs v s d q f F e g x X t %, flags - + 0 space, width, precision.
// ---------------------------------------------------------------------------

function printf(format: string, args: TValue[], ctx: TemplateContext): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    const m = /^%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])?/.exec(format.slice(pct))!;
    i = pct + m[0].length;
    const flags = m[1]!;
    const width = m[2] === undefined ? -1 : Number(m[2]);
    const prec = m[3] === undefined ? -1 : Number(m[3] || '0');
    // Widths and precisions are what a format can amplify with: check them before padding or formatting.
    if (width > 0) checkSize(ctx, 'printf', out.length + width);
    if (prec > 0 && m[4] !== 's') checkSize(ctx, 'printf', out.length + prec);
    const verb = m[4];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++]!;
    out += pad(formatVerb(verb, arg, prec, flags), width, flags, verb);
    checkSize(ctx, 'printf', out.length);
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(a)}=${formatValue(a)}`).join(', ')})`;
  return out;
}

function bad(verb: string, arg: TValue): string {
  return `%!${verb}(${typeName(arg)}=${formatValue(arg)})`;
}

function formatVerb(verb: string, arg: TValue, prec: number, flags: string): string {
  const sign = (s: string, n: number): string => (n >= 0 && flags.includes('+') ? `+${s}` : n >= 0 && flags.includes(' ') ? ` ${s}` : s);
  switch (verb) {
    case 'v':
      return arg instanceof GoFloat ? sign(formatFloatG(arg.v, prec), arg.v) : typeof arg === 'number' ? sign(String(arg), arg) : formatValue(arg);
    case 's':
      if (typeof arg !== 'string') return bad(verb, arg);
      return prec >= 0 ? runes(arg).slice(0, prec).join('') : arg;
    case 'q':
      return typeof arg === 'string' ? goQuote(arg) : bad(verb, arg);
    case 'd':
      return typeof arg === 'number' ? sign(String(arg), arg) : bad(verb, arg);
    case 't':
      return typeof arg === 'boolean' ? String(arg) : bad(verb, arg);
    case 'x':
    case 'X': {
      let s: string;
      if (typeof arg === 'number') s = (arg < 0 ? '-' : '') + Math.abs(arg).toString(16);
      else if (typeof arg === 'string') s = Array.from(encoder.encode(arg), (b) => b.toString(16).padStart(2, '0')).join('');
      else return bad(verb, arg);
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'g': {
      if (!(arg instanceof GoFloat)) return bad(verb, arg);
      const v = arg.v;
      if (!Number.isFinite(v)) return sign(formatFloatG(v, -1), v);
      if (verb === 'g') return sign(formatFloatG(v, prec), v);
      if (verb === 'e') {
        // JS stops at 100 digits (RangeError past it); Go goes on. Past 100 the digits are padded with zeros.
        const p = prec < 0 ? 6 : prec;
        const [m, e] = v.toExponential(Math.min(p, 100)).split('e') as [string, string];
        const x = Number(e);
        return sign(`${m}${p > 100 ? '0'.repeat(p - 100) : ''}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`, v);
      }
      return sign(prec > 100 ? exactFixed(v, prec) : v.toFixed(prec < 0 ? 6 : prec), v);
    }
    default:
      return bad(verb, arg);
  }
}

/**
 * `v` with `prec` fraction digits, exactly (Go's `%.Nf` past JS's 100-digit `toFixed`):
 * the double's exact binary value scaled in BigInt, rounded half to even. A double has at
 * most 1,074 fraction digits, so digits past that are zeros and not computed.
 */
function exactFixed(v: number, prec: number): string {
  const p = Math.min(prec, 1100);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, Math.abs(v));
  const hi = dv.getUint32(0);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(dv.getUint32(4));
  let e2 = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    e2 = expBits - 1075;
  }
  let num = mant * 10n ** BigInt(p);
  let den = 1n;
  if (e2 >= 0) num <<= BigInt(e2);
  else den <<= BigInt(-e2);
  let q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) q++;
  const digits = q.toString().padStart(p + 1, '0');
  const int = digits.slice(0, digits.length - p);
  const frac = digits.slice(digits.length - p) + '0'.repeat(prec - p);
  return `${v < 0 ? '-' : ''}${int}${prec > 0 ? `.${frac}` : ''}`;
}

function pad(s: string, width: number, flags: string, verb: string): string {
  const n = runes(s).length;
  if (width <= n) return s;
  if (flags.includes('-')) return s + ' '.repeat(width - n);
  if (flags.includes('0') && 'dfFegxX'.includes(verb) && !s.startsWith('%!')) {
    const neg = /^[+\- ]/.test(s) ? s[0]! : '';
    return neg + '0'.repeat(width - n) + s.slice(neg.length);
  }
  return ' '.repeat(width - n) + s;
}

// ---------------------------------------------------------------------------
// Function table.
// ---------------------------------------------------------------------------

type Impl = (args: TValue[], ctx: TemplateContext) => TValue;

const s1 = (fn: string, f: (s: string) => TValue): Impl => (a) => f(str(a[0]!, fn));
const s2 = (fn: string, f: (x: string, y: string) => TValue): Impl => (a) => f(str(a[0]!, fn), str(a[1]!, fn));

/** Implementations of every function in `TEMPLATE_FUNCTIONS` (a test keeps the two lists equal). */
export const TEMPLATE_IMPLEMENTATIONS: Readonly<Record<string, Impl>> = {
  ToLower: s1('ToLower', (s) => s.toLowerCase()),
  ToUpper: s1('ToUpper', (s) => s.toUpperCase()),
  Title: s1('Title', title),
  TrimSpace: s1('TrimSpace', trimSpace),
  Trim: s2('Trim', (s, c) => trimRightSet(trimLeftSet(s, c), c)),
  TrimLeft: s2('TrimLeft', (s, c) => trimLeftSet(s, c)),
  TrimRight: s2('TrimRight', (s, c) => trimRightSet(s, c)),
  TrimPrefix: s2('TrimPrefix', (s, p) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s)),
  TrimSuffix: s2('TrimSuffix', (s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  Replace: (a, ctx) => goReplace(str(a[0]!, 'Replace'), str(a[1]!, 'Replace'), str(a[2]!, 'Replace'), int(a[3]!, 'Replace'), ctx, 'Replace'),
  lower: s1('lower', (s) => s.toLowerCase()),
  upper: s1('upper', (s) => s.toUpperCase()),
  title: s1('title', title),
  trim: s1('trim', trimSpace),
  trimAll: s2('trimAll', (c, s) => trimRightSet(trimLeftSet(s, c), c)),
  trimPrefix: s2('trimPrefix', (p, s) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: s2('trimSuffix', (p, s) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  replace: (a, ctx) => goReplace(str(a[2]!, 'replace'), str(a[0]!, 'replace'), str(a[1]!, 'replace'), -1, ctx, 'replace'),
  repeat: (a, ctx) => {
    const s = str(a[1]!, 'repeat');
    const n = Math.max(0, int(a[0]!, 'repeat'));
    checkSize(ctx, 'repeat', s.length * n);
    return s.repeat(n);
  },
  substr: (a) => substr(int(a[0]!, 'substr'), int(a[1]!, 'substr'), str(a[2]!, 'substr')),
  trunc: (a) => trunc(int(a[0]!, 'trunc'), str(a[1]!, 'trunc')),
  contains: s2('contains', (sub, s) => s.includes(sub)),
  hasPrefix: s2('hasPrefix', (p, s) => s.startsWith(p)),
  hasSuffix: s2('hasSuffix', (p, s) => s.endsWith(p)),
  indent: (a, ctx) => indent(int(a[0]!, 'indent'), str(a[1]!, 'indent'), ctx, 'indent'),
  nindent: (a, ctx) => `\n${indent(int(a[0]!, 'nindent'), str(a[1]!, 'nindent'), ctx, 'nindent')}`,
  alignLeft: (a, ctx) => alignLeft(int(a[0]!, 'alignLeft'), str(a[1]!, 'alignLeft'), ctx),
  alignRight: (a, ctx) => alignRight(int(a[0]!, 'alignRight'), str(a[1]!, 'alignRight'), ctx),
  default: (a) => (isEmpty(a[1]!) ? a[0]! : a[1]!),
  b64enc: s1('b64enc', b64enc),
  b64dec: s1('b64dec', b64dec),
  urlencode: s1('urlencode', queryEscape),
  urldecode: s1('urldecode', queryUnescape),
  regexReplaceAll: (a, ctx) =>
    replaceAll(regex(str(a[0]!, 'regexReplaceAll'), 'regexReplaceAll'), str(a[1]!, 'regexReplaceAll'), str(a[2]!, 'regexReplaceAll'), false, growth(ctx, 'regexReplaceAll')),
  regexReplaceAllLiteral: (a, ctx) =>
    replaceAll(regex(str(a[0]!, 'regexReplaceAllLiteral'), 'regexReplaceAllLiteral'), str(a[1]!, 'regexReplaceAllLiteral'), str(a[2]!, 'regexReplaceAllLiteral'), true, growth(ctx, 'regexReplaceAllLiteral')),
  count: (a) => countMatches(regex(str(a[0]!, 'count'), 'count'), str(a[1]!, 'count')),
  add: (a) => a.reduce<number>((acc, v) => acc + toInt(v), 0),
  sub: (a) => toInt(a[0]!) - toInt(a[1]!),
  mul: (a) => a.reduce<number>((acc, v) => acc * toInt(v), 1),
  div: (a) => {
    const d = toInt(a[1]!);
    if (d === 0) throw new TemplateExecError('error calling div: runtime error: integer divide by zero');
    return Math.trunc(toInt(a[0]!) / d);
  },
  mod: (a) => {
    const d = toInt(a[1]!);
    if (d === 0) throw new TemplateExecError('error calling mod: runtime error: integer divide by zero');
    return toInt(a[0]!) % d;
  },
  max: (a) => Math.max(...a.map(toInt)),
  min: (a) => Math.min(...a.map(toInt)),
  addf: (a) => new GoFloat(a.reduce<number>((acc, v) => acc + toFloat(v), 0)),
  subf: (a) => new GoFloat(a.slice(1).reduce<number>((acc, v) => acc - toFloat(v), toFloat(a[0]!))),
  mulf: (a) => new GoFloat(a.slice(1).reduce<number>((acc, v) => acc * toFloat(v), toFloat(a[0]!))),
  divf: (a) => new GoFloat(a.slice(1).reduce<number>((acc, v) => acc / toFloat(v), toFloat(a[0]!))),
  maxf: (a) => new GoFloat(Math.max(...a.map(toFloat))),
  minf: (a) => new GoFloat(Math.min(...a.map(toFloat))),
  ceil: (a) => new GoFloat(Math.ceil(toFloat(a[0]!))),
  floor: (a) => new GoFloat(Math.floor(toFloat(a[0]!))),
  round: (a) => new GoFloat(round(a[0]!, int(a[1]!, 'round'), a.length > 2 ? toFloat(a[2]!) : 0.5)),
  int: (a) => toInt(a[0]!),
  float64: (a) => new GoFloat(toFloat(a[0]!)),
  bytes: (a) => {
    const b = parseHumanBytes(str(a[0]!, 'bytes'));
    if (!b.ok) throw new TemplateExecError(`error calling bytes: ${b.error}`);
    return new GoFloat(b.value);
  },
  duration: (a) => durationSeconds(a, 'duration'),
  duration_seconds: (a) => durationSeconds(a, 'duration_seconds'),
  printf: (a, ctx) => printf(str(a[0]!, 'printf'), a.slice(1), ctx),
  len: (a) => {
    const v = a[0]!;
    if (typeof v !== 'string') throw new TemplateExecError(`error calling len: len of type ${typeName(v)}`);
    return encoder.encode(v).length;
  },
  eq: (a) => a.slice(1).some((b) => basicCompare(a[0]!, b, 'eq') === 0),
  ne: (a) => basicCompare(a[0]!, a[1]!, 'ne') !== 0,
  lt: (a) => basicCompare(a[0]!, a[1]!, 'lt') < 0,
  le: (a) => basicCompare(a[0]!, a[1]!, 'le') <= 0,
  gt: (a) => basicCompare(a[0]!, a[1]!, 'gt') > 0,
  ge: (a) => basicCompare(a[0]!, a[1]!, 'ge') >= 0,
  and: (a) => a.find((v) => !truth(v)) ?? a[a.length - 1]!,
  or: (a) => a.find((v) => truth(v)) ?? a[a.length - 1]!,
  not: (a) => !truth(a[0]!),
  __line__: (_a, ctx) => ctx.line,
  __detected_level__: (_a, ctx) => detectLevel(ctx.line),
};

// ---------------------------------------------------------------------------
// Prometheus's alert template functions (template/template.go).
// ---------------------------------------------------------------------------

/** Prometheus's `convertToFloat`: numbers, and strings parsed as floats (an error otherwise). */
function promFloat(v: TValue, fn: string): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return v.v;
  if (typeof v === 'string') {
    const f = parseGoFloat(v);
    if (f.ok) return f.value;
    throw new TemplateExecError(`error calling ${fn}: strconv.ParseFloat: parsing ${goQuote(v)}: invalid syntax`);
  }
  throw new TemplateExecError(`error calling ${fn}: can't convert bool to float`);
}

/** Go's `fmt.Sprintf("%.4g", v)`. */
function g4(v: number): string {
  return formatFloatG(v, 4);
}

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const d = Math.trunc(v);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Go's `time.Time.String()` in UTC: `2024-09-24 15:00:00.5 +0000 UTC`. */
function humanizeTimestamp(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  const ms = Math.floor(v * 1000);
  const iso = new Date(ms).toISOString(); // 2024-09-24T15:00:00.500Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** Implementations of {@link ALERT_TEMPLATE_FUNCTIONS} (a test keeps the two lists equal). */
export const ALERT_TEMPLATE_IMPLEMENTATIONS: Readonly<Record<string, Impl>> = {
  humanize: (a) => humanize(promFloat(a[0]!, 'humanize')),
  humanize1024: (a) => humanize1024(promFloat(a[0]!, 'humanize1024')),
  humanizeDuration: (a) => humanizeDuration(promFloat(a[0]!, 'humanizeDuration')),
  humanizePercentage: (a) => `${g4(promFloat(a[0]!, 'humanizePercentage') * 100)}%`,
  humanizeTimestamp: (a) => humanizeTimestamp(promFloat(a[0]!, 'humanizeTimestamp')),
  reReplaceAll: (a, ctx) => replaceAll(regex(str(a[0]!, 'reReplaceAll'), 'reReplaceAll'), str(a[2]!, 'reReplaceAll'), str(a[1]!, 'reReplaceAll'), false, growth(ctx, 'reReplaceAll')),
  toUpper: s1('toUpper', (s) => s.toUpperCase()),
  toLower: s1('toLower', (s) => s.toLowerCase()),
  match: (a) => countMatches(regex(str(a[0]!, 'match'), 'match'), str(a[1]!, 'match')) > 0,
  stripPort: s1('stripPort', (s) => {
    const m = /^\[([^\]]*)\]:\d*$/.exec(s) ?? /^([^:]*):\d*$/.exec(s);
    return m ? m[1]! : s;
  }),
  stripDomain: s1('stripDomain', (s) => {
    const port = /:\d*$/.exec(s)?.[0] ?? '';
    const host = s.slice(0, s.length - port.length);
    if (/^[\d.]+$/.test(host) || host.includes(':')) return s;
    const dot = host.indexOf('.');
    return dot < 0 ? s : host.slice(0, dot) + port;
  }),
};

/** The implementation of a template function (the parser has checked the name for the template's dialect). */
function implOf(fn: string): Impl {
  return TEMPLATE_IMPLEMENTATIONS[fn] ?? ALERT_TEMPLATE_IMPLEMENTATIONS[fn]!;
}

/** A size check for `replaceAll`, which builds its result piece by piece. */
function growth(ctx: TemplateContext, fn: string): (size: number) => void {
  return (size) => checkSize(ctx, fn, size);
}

function durationSeconds(a: TValue[], fn: string): TValue {
  const d = parseGoDuration(str(a[0]!, fn));
  if (!d.ok) throw new TemplateExecError(`error calling ${fn}: ${d.error}`);
  return new GoFloat(d.value / 1e9);
}

// ---------------------------------------------------------------------------
// Execution.
// ---------------------------------------------------------------------------

function arg(a: TemplateArg, ctx: TemplateContext): TValue {
  switch (a.kind) {
    case 'field':
      return ctx.labels[a.name] ?? '';
    case 'string':
      return a.value;
    case 'int':
      return a.value;
    case 'float':
      return new GoFloat(a.value);
    case 'bool':
      return a.value;
    case 'pipe':
      return pipe(a.pipe, ctx);
    case 'call':
      return implOf(a.fn)([], ctx);
    case 'alertLabel':
      return ctx.alert?.[a.map][a.name] ?? '';
    case 'alertValue':
      return new GoFloat(ctx.alert?.value ?? 0);
  }
}

function command(c: TemplateCommand, ctx: TemplateContext, piped: TValue | undefined): TValue {
  if (c.fn === null) return arg(c.args[0]!, ctx);
  const args = c.args.map((a) => arg(a, ctx));
  if (piped !== undefined) args.push(piped);
  const v = implOf(c.fn)(args, ctx);
  // Growth by a bounded factor (urlencode, b64enc, %q, %x) is caught here, before it compounds.
  if (typeof v === 'string') checkSize(ctx, c.fn, v.length);
  return v;
}

function pipe(p: TemplatePipe, ctx: TemplateContext): TValue {
  let v: TValue | undefined;
  for (const c of p) v = command(c, ctx, v);
  return v!;
}

/** Rendered pieces and their total size (checked as they accumulate, not after joining). */
interface Output {
  parts: string[];
  size: number;
}

function emit(out: Output, s: string, ctx: TemplateContext): void {
  out.size += s.length;
  checkSize(ctx, 'the template', out.size);
  out.parts.push(s);
}

function exec(nodes: readonly TemplateNode[], ctx: TemplateContext, out: Output): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        emit(out, node.text, ctx);
        break;
      case 'output':
        emit(out, formatValue(pipe(node.pipe, ctx)), ctx);
        break;
      case 'if': {
        const branch = node.branches.find((b) => truth(pipe(b.cond, ctx)));
        exec(branch ? branch.body : node.otherwise, ctx, out);
        break;
      }
    }
  }
}

/** A compiled template. */
export interface CompiledTemplate {
  /** Label names the template reads. */
  readonly fields: readonly string[];
  /** Renders; throws {@link TemplateExecError} on a runtime error, {@link LimitError} past `maxTemplateBytes`. */
  render(ctx: TemplateContext): string;
}

/** Compiles parsed template nodes. A template that is one text node renders without work. */
export function compileTemplate(nodes: readonly TemplateNode[], fields: readonly string[]): CompiledTemplate {
  if (nodes.length === 0) return { fields, render: () => '' };
  if (nodes.length === 1 && nodes[0]!.kind === 'text') {
    const text = nodes[0].text;
    return { fields, render: () => text };
  }
  return {
    fields,
    render(ctx) {
      const out: Output = { parts: [], size: 0 };
      exec(nodes, ctx, out);
      return out.parts.join('');
    },
  };
}
