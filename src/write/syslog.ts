/**
 * Syslog-style text lines, as node log files (`/var/log/syslog`, `/var/log/messages`) hold them.
 *
 * Three shapes are read; the process label is the syslog tag without its `[pid]`:
 * - RFC 3164 / BSD file format: `[<PRI>]Sep 24 15:00:01 host proc[123]: message`.
 *   The year is not written. **Year rule**: the year of the reference time (the collector's
 *   clock, or `--now` for an import), unless that puts the line more than 7 days after the
 *   reference time — then the previous year (a December line read in January). The time is
 *   local time of the writer with no zone; it is read as UTC plus `utcOffsetMinutes`
 *   (default 0, i.e. UTC, which is what nodes normally run in).
 * - RFC 3339 file format (rsyslog's high-precision default on current distributions):
 *   `2024-09-24T15:00:01.123456+00:00 host proc[123]: message`.
 * - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD…] message`; process = APP-NAME
 *   (`-` when nil). A nil TIMESTAMP is malformed (the store needs a time).
 * A line without a `tag:` keeps the whole rest as message and gets process `-`.
 *
 * Pure: no `node:` imports.
 */
import { NS_PER_DAY, NS_PER_SECOND, civilFromDays, daysFromCivil, daysInMonth, parseRfc3339 } from '../time.js';

/** One syslog line. */
export interface SyslogEntry {
  timeNs: bigint;
  host: string;
  process: string;
  message: string;
}

export type SyslogParse = { ok: true; entry: SyslogEntry } | { ok: false; reason: string };

export interface SyslogOptions {
  /** Reference instant for the RFC 3164 year rule (nanoseconds). */
  referenceNs: bigint;
  /** Offset of RFC 3164 local times from UTC, in minutes (e.g. 540 for +09:00). Default 0. */
  utcOffsetMinutes?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const BSD = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\S+) ?(.*)$/;
const ISO = /^(?:<\d{1,3}>)?(\d{4}-\d{2}-\d{2}T\S+) (\S+) ?(.*)$/;
const RFC5424 = /^<\d{1,3}>\d{1,2} (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/;
const TAG = /^([^\s:[\]]+)(?:\[[^\]]*\])?: ?(.*)$/;
/** A 3164 date may not be more than this far after the reference time. */
const FUTURE_SLACK_NS = 7n * NS_PER_DAY;

function splitTag(rest: string): { process: string; message: string } {
  const t = TAG.exec(rest);
  return t ? { process: t[1]!, message: t[2]! } : { process: '-', message: rest };
}

/** Parses one syslog line (without its line break). */
export function parseSyslogLine(line: string, options: SyslogOptions): SyslogParse {
  if (line.startsWith('<')) {
    const r = RFC5424.exec(line);
    if (r) return parse5424(r);
  }
  const b = BSD.exec(line);
  if (b) return parse3164(b, options);
  const iso = ISO.exec(line);
  if (iso) {
    const timeNs = parseRfc3339(iso[1]!);
    if (timeNs === null) return { ok: false, reason: `invalid time ${JSON.stringify(iso[1])}` };
    return { ok: true, entry: { timeNs, host: iso[2]!, ...splitTag(iso[3]!) } };
  }
  return { ok: false, reason: 'not a syslog line (expected "Sep 24 15:00:01 host proc[pid]: msg", RFC 3339 or RFC 5424)' };
}

function parse3164(m: RegExpExecArray, options: SyslogOptions): SyslogParse {
  const month = MONTHS.indexOf(m[1]!) + 1;
  const day = Number(m[2]!.trim());
  const [hour, minute, second] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (month === 0) return { ok: false, reason: `invalid month ${JSON.stringify(m[1])}` };
  if (hour > 23 || minute > 59 || second > 59 || day < 1 || day > 31) return { ok: false, reason: 'invalid date or time of day' };
  const offsetNs = BigInt(options.utcOffsetMinutes ?? 0) * 60n * NS_PER_SECOND;
  const refDays = Number((options.referenceNs - mod(options.referenceNs, NS_PER_DAY)) / NS_PER_DAY);
  const refYear = civilFromDays(refDays).year;
  const at = (year: number): bigint | null => {
    if (day > daysInMonth(year, month)) return null; // Feb 29 of a common year
    const secs = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return BigInt(secs) * NS_PER_SECOND - offsetNs;
  };
  let timeNs = at(refYear);
  if (timeNs === null || timeNs > options.referenceNs + FUTURE_SLACK_NS) timeNs = at(refYear - 1);
  if (timeNs === null) return { ok: false, reason: `invalid date ${m[1]} ${day}` };
  return { ok: true, entry: { timeNs, host: m[6]!, ...splitTag(m[7]!) } };
}

function parse5424(m: RegExpExecArray): SyslogParse {
  const timeNs = parseRfc3339(m[1]!);
  if (timeNs === null) return { ok: false, reason: m[1] === '-' ? 'RFC 5424 line without a timestamp' : `invalid time ${JSON.stringify(m[1])}` };
  const sdAndMsg = m[6]!;
  const msgStart = skipStructuredData(sdAndMsg);
  if (msgStart < 0) return { ok: false, reason: 'invalid RFC 5424 structured data' };
  let message = sdAndMsg.slice(msgStart);
  if (message.startsWith(' ')) message = message.slice(1);
  if (message.startsWith('\ufeff')) message = message.slice(1); // RFC 5424's UTF-8 BOM marker
  return { ok: true, entry: { timeNs, host: m[2]!, process: m[3]!, message } };
}

/** Index just past the STRUCTURED-DATA field (`-` or `[id k="v" …]…`), or -1 when it is malformed. */
function skipStructuredData(s: string): number {
  if (s.startsWith('-')) return 1;
  let i = 0;
  if (s[0] !== '[') return -1;
  while (s[i] === '[') {
    i++;
    let inQuote = false;
    for (; i < s.length; i++) {
      const c = s[i];
      if (inQuote) {
        if (c === '\\') i++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') inQuote = true;
      else if (c === ']') break;
    }
    if (i >= s.length) return -1;
    i++;
  }
  return i;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}
