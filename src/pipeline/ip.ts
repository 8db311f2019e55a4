/**
 * LogQL's `ip("<pattern>")` (Loki's "Matching IP addresses"): in line filters
 * (`|= ip("198.51.100.0/24")`, `!= ip(…)`) and label filters (`| addr = ip(…)`, `!=`).
 *
 * A pattern is one address (`192.0.2.0`, `::1`), a range `a-b` (`192.168.0.1-192.189.10.12`,
 * `2001:db8::1-2001:db8::8`, both ends of one family, inclusive) or a CIDR block
 * (`192.51.100.0/24`, `2001:db8::/32`). Addresses are numbers (32 or 128 bits, bigint);
 * a pattern matches addresses of its own family only. Invalid patterns are query errors.
 *
 * A line filter matches a line holding at least one address in the pattern's set: the line
 * is scanned for maximal runs that look like an address (digits and dots for IPv4, hex
 * digits, colons and dots for IPv6), and each is parsed in full — so `3.180.71.3` does not
 * match inside `93.180.71.3`, which a substring filter would. `!= ip(…)` keeps lines with no
 * such address. A label filter parses the label's whole value; `!=` is the negation of `=`
 * (a value that is not an address is not in the set). One linear pass, no regex engine.
 */
import { LetheQLError } from '../errors.js';

/** A set of addresses of one family: `[lo, hi]`. */
export interface IpSet {
  v6: boolean;
  lo: bigint;
  hi: bigint;
}

/** Parses an IPv4 address (`a.b.c.d`, decimal, no leading zeros beyond one digit) or returns null. */
export function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

/** Parses an IPv6 address (RFC 4291 text forms: `::` once, an IPv4 tail; no zone) or returns null. */
export function parseIpv6(text: string): bigint | null {
  if (text.length < 2 || !text.includes(':')) return null;
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  let all: number[];
  if (double >= 0) {
    const head = groups(text.slice(0, double));
    const tail = groups(text.slice(double + 2));
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const g = groups(text);
    if (g === null || g.length !== 8) return null;
    all = g;
  }
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(g);
  return n;
}

function parseAddress(text: string): { v6: boolean; n: bigint } | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { v6: false, n: v4 };
  const v6 = parseIpv6(text);
  return v6 === null ? null : { v6: true, n: v6 };
}

/** Parses an `ip("…")` pattern; throws an `INVALID_EXPRESSION` LetheQLError whose message says what is wrong. */
export function parseIpPattern(pattern: string): IpSet {
  const text = pattern.trim();
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const addr = parseAddress(text.slice(0, slash));
    const bitsText = text.slice(slash + 1);
    const width = addr?.v6 ? 128 : 32;
    if (addr === null || !/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) {
      throw new LetheQLError('INVALID_EXPRESSION', `invalid CIDR ${JSON.stringify(pattern)}: expected address/prefix, e.g. 192.51.100.0/24 or 2001:db8::/32`);
    }
    const host = BigInt(width - Number(bitsText));
    const lo = (addr.n >> host) << host;
    return { v6: addr.v6, lo, hi: lo + (1n << host) - 1n };
  }
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = parseAddress(text.slice(0, dash));
    const b = parseAddress(text.slice(dash + 1));
    if (a === null || b === null || a.v6 !== b.v6 || a.n > b.n) {
      throw new LetheQLError('INVALID_EXPRESSION', `invalid IP range ${JSON.stringify(pattern)}: expected first-last of one family, first ≤ last, e.g. 192.168.0.1-192.189.10.12`);
    }
    return { v6: a.v6, lo: a.n, hi: b.n };
  }
  const a = parseAddress(text);
  if (a === null) throw new LetheQLError('INVALID_EXPRESSION', `invalid IP address ${JSON.stringify(pattern)}: expected an address (192.0.2.0, ::1), a range (a-b) or a CIDR block (a/n)`);
  return { v6: a.v6, lo: a.n, hi: a.n };
}

/** Whether `text` (the whole of it) is an address in `set`. */
export function ipInSet(set: IpSet, text: string): boolean {
  const a = parseAddress(text.trim());
  return a !== null && a.v6 === set.v6 && a.n >= set.lo && a.n <= set.hi;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** Whether `line` holds an address in `set` (see the module note). */
export function lineHasIp(set: IpSet, line: string): boolean {
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    const startsV4 = !set.v6 && isDigit(c);
    const startsV6 = set.v6 && (isHex(c) || c === 58);
    if (!startsV4 && !startsV6) {
      i++;
      continue;
    }
    // A maximal run of address characters.
    let j = i;
    if (startsV4) while (j < n && (isDigit(line.charCodeAt(j)) || line.charCodeAt(j) === 46)) j++;
    else while (j < n && (isHex(line.charCodeAt(j)) || line.charCodeAt(j) === 58 || line.charCodeAt(j) === 46)) j++;
    let token = line.slice(i, j);
    // A sentence may end right after an address: `from 10.0.0.1.`
    if (token.endsWith('.')) token = token.slice(0, -1);
    if (ipInSet(set, token)) return true;
    i = j;
  }
  return false;
}
