/**
 * Request parameters of both dialects: where they come from, and how times, durations,
 * limits and directions are read. Every problem is a 400 naming the parameter.
 *
 * - Parameters are the URL query merged with an `application/x-www-form-urlencoded` body
 *   (the body wins, as Go's `Request.FormValue` does); a repeated single-valued parameter
 *   uses its first value. Unknown parameters are ignored, as Prometheus and Loki ignore them
 *   (clients add their own, e.g. Grafana's `refId`).
 * - Lethe/Prometheus times: Unix seconds (fraction allowed) or RFC 3339.
 * - Loki times (`loghttp.parseTimestamp`): an integer of at most 10 digits is Unix seconds,
 *   a longer one nanoseconds; a number with a `.` is fractional Unix seconds; otherwise
 *   RFC 3339 (any fraction). We also accept `now` and `now-15m`/`now+1h` (Grafana-style
 *   relative times). Fractions are read exactly, never through a float.
 */
import { LetheQLError } from '../errors.js';
import type { Direction } from '../plan/plan.js';
import { NS_PER_SECOND, parseDuration, parseRfc3339, parseTime } from '../time.js';
import { badData } from './errors.js';

/** The parameters of one request: name → values in order. */
export type Params = ReadonlyMap<string, readonly string[]>;

function addAll(out: Map<string, string[]>, source: unknown): void {
  if (source === null || typeof source !== 'object') return;
  for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
    const values = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    if (values.length === 0) continue;
    const cur = out.get(k);
    if (cur) cur.push(...values);
    else out.set(k, [...values]);
  }
}

/** Merges a parsed query string and a parsed form body (body first). */
export function collectParams(query: unknown, body: unknown): Params {
  const out = new Map<string, string[]>();
  addAll(out, body);
  addAll(out, query);
  return out;
}

/** The first value of `name`, or undefined. */
export function param(p: Params, name: string): string | undefined {
  return p.get(name)?.[0];
}

/** Every value of `name` (for `match[]`). */
export function params(p: Params, name: string): readonly string[] {
  return p.get(name) ?? [];
}

/** The required, non-empty `query` parameter. */
export function requireQuery(p: Params, name = 'query'): string {
  const q = param(p, name);
  if (q === undefined || q.trim() === '') throw badData(`missing parameter "${name}"`);
  return q;
}

function wrapTime(name: string, fn: () => bigint): bigint {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LetheQLError) throw badData(`invalid parameter "${name}": ${e.message.replace(/^invalid \S+ /, '')}`);
    throw e;
  }
}

/** A Lethe/Prometheus time (Unix seconds or RFC 3339), or `fallback` when absent. */
export function promTime(p: Params, name: string, fallback?: bigint): bigint {
  const v = param(p, name);
  if (v === undefined || v === '') {
    if (fallback === undefined) throw badData(`missing parameter "${name}"`);
    return fallback;
  }
  return wrapTime(name, () => parseTime(v, name));
}

const LOKI_INT = /^-?\d+$/;
const LOKI_DECIMAL = /^(-?)(\d+)\.(\d*)$/;
const RELATIVE = /^now(?:([+-])(.+))?$/;

/** Parses one Loki timestamp (see the module note). */
export function parseLokiTime(text: string, nowNs: bigint, name = 'time'): bigint {
  const v = text.trim();
  const rel = RELATIVE.exec(v);
  if (rel) {
    if (rel[1] === undefined) return nowNs;
    const d = wrapTime(name, () => parseDuration(rel[2]!, name));
    return rel[1] === '-' ? nowNs - d : nowNs + d;
  }
  const dec = LOKI_DECIMAL.exec(v);
  if (dec) {
    const frac = dec[3]!.slice(0, 9).padEnd(9, '0');
    const ns = BigInt(dec[2]!) * NS_PER_SECOND + BigInt(frac);
    return dec[1] === '-' ? -ns : ns;
  }
  if (LOKI_INT.test(v)) {
    const digits = v.replace('-', '');
    const n = BigInt(v);
    if (digits.length <= 10) return n * NS_PER_SECOND;
    if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw badData(`invalid parameter "${name}": ${v} is out of range`);
    return n;
  }
  const ns = parseRfc3339(v);
  if (ns === null) {
    throw badData(
      `invalid parameter "${name}": cannot parse ${JSON.stringify(text)}: expected nanoseconds or seconds since the epoch, RFC 3339, or now-<duration>`,
    );
  }
  return ns;
}

/** A Loki time parameter, or `fallback` when absent. */
export function lokiTime(p: Params, name: string, nowNs: bigint, fallback: bigint): bigint {
  const v = param(p, name);
  if (v === undefined || v === '') return fallback;
  return parseLokiTime(v, nowNs, name);
}

/** A duration parameter: Prometheus duration (`5m`) or (fractional) seconds; null when absent. */
export function durationParam(p: Params, name: string): bigint | null {
  const v = param(p, name);
  if (v === undefined || v === '') return null;
  const dec = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v.trim());
  let ns: bigint;
  if (dec) ns = BigInt(dec[1]!) * NS_PER_SECOND + BigInt((dec[2] ?? '').padEnd(9, '0'));
  else ns = wrapTime(name, () => parseDuration(v, name));
  if (ns <= 0n) throw badData(`invalid parameter "${name}": zero or negative durations are not accepted, try a positive duration`);
  return ns;
}

/** A positive integer parameter, or `fallback` when absent. */
export function positiveInt(p: Params, name: string, fallback: number): number {
  const v = param(p, name);
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v)) || Number(v) <= 0) {
    throw badData(`invalid parameter "${name}": ${JSON.stringify(v)} is not a positive integer`);
  }
  return Number(v);
}

/** `forward` or `backward` (any case, as Loki), or `fallback` when absent. */
export function directionParam(p: Params, fallback: Direction): Direction {
  const v = param(p, 'direction');
  if (v === undefined || v === '') return fallback;
  const d = v.trim().toLowerCase();
  if (d !== 'forward' && d !== 'backward') throw badData(`invalid parameter "direction": ${JSON.stringify(v)}, expected forward or backward`);
  return d;
}
