/**
 * What Loki "detects" in a line at query time, for Grafana's Drilldown: the line's level
 * (`detected_level`) and its fields (logfmt or JSON keys, with types). Plain functions of a
 * line, no I/O, platform-neutral: the template function `__detected_level__` (`template.ts`)
 * and the server's Drilldown routes (`server/drilldown-routes.ts`) both use them.
 *
 * **Level**, as Loki's level discovery: the value of the first level key present
 * (`level`, `LEVEL`, `Level`, `lvl`, `LVL`, `Lvl`, `severity`, `SEVERITY`, `Severity`) in a JSON
 * object line or a logfmt line; else the first level word in the line (`trace`, `debug`,
 * `info`, `warn`/`warning`, `error`/`err`, `critical`, `fatal`/`panic`, any case, as a whole
 * word). Values are normalised to `trace debug info warn error critical fatal`; anything else
 * found under a level key is kept lower-cased; nothing found is `unknown`.
 *
 * **Fields**: a line that is a JSON object gives its keys (nested objects flattened with `_`,
 * as LogQL's `| json`), a line with at least one `key=value` pair its logfmt keys (as
 * `| logfmt`). Each value is typed as Loki types detected fields: `int`, `float`,
 * `boolean`, `duration` (Go durations: `150ms`, `1h2m`), `bytes` (`12KB`, `3 MiB`),
 * else `string` ({@link fieldType}); a field seen as `int` and `float` is `float`, with other
 * mixes `string` ({@link mergeTypes}). Logfmt keys must look like identifiers
 * (`[A-Za-z_][A-Za-z0-9_.-]*`), so `GET /x?a=1` yields no field.
 */
import { parseGoDuration, parseHumanBytes } from '../query/units.js';

export const LEVEL_KEYS = ['level', 'LEVEL', 'Level', 'lvl', 'LVL', 'Lvl', 'severity', 'SEVERITY', 'Severity'] as const;
export const DETECTED_LEVEL = 'detected_level';
export const UNKNOWN_LEVEL = 'unknown';

/** The type of a detected field. */
export type FieldType = 'string' | 'int' | 'float' | 'boolean' | 'duration' | 'bytes';
/** Which parser found a field. */
export type FieldParser = 'json' | 'logfmt';

const LEVEL_WORDS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  dbg: 'debug',
  info: 'info',
  inf: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  error: 'error',
  err: 'error',
  eror: 'error',
  critical: 'critical',
  crit: 'critical',
  fatal: 'fatal',
  panic: 'fatal',
};
const WORD = /[A-Za-z]+/g;
const LOGFMT_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A level value normalised (see the module note). */
export function normaliseLevel(v: string): string {
  const l = v.trim().toLowerCase();
  return LEVEL_WORDS[l] ?? (l === '' ? UNKNOWN_LEVEL : l);
}

/** The line's fields: parser and key → raw value (first occurrence), or null when neither parser reads it. */
export function lineFields(line: string): { parser: FieldParser; fields: Map<string, string> } | null {
  const t = line.trimStart();
  if (t.startsWith('{')) {
    try {
      const v = JSON.parse(line) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const fields = new Map<string, string>();
        flatten(v as Record<string, unknown>, '', fields);
        return { parser: 'json', fields };
      }
    } catch {
      // not JSON: maybe logfmt
    }
  }
  const fields = logfmt(line);
  return fields.size > 0 ? { parser: 'logfmt', fields } : null;
}

function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = sanitize(prefix === '' ? k : `${prefix}_${k}`);
    if (key === '') continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else if (!out.has(key)) out.set(key, v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  }
}

/** A label name as LogQL's parsers make it: characters outside `[A-Za-z0-9_]` become `_`. */
function sanitize(k: string): string {
  return k.replace(/[^A-Za-z0-9_]/g, '_');
}

/** `key=value` pairs (values bare or double-quoted with escapes); bare words are no field. */
function logfmt(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && line[i] === ' ') i++;
    const ks = i;
    while (i < n && line[i] !== '=' && line[i] !== ' ' && line[i] !== '"') i++;
    const key = line.slice(ks, i);
    if (i >= n || line[i] !== '=' || key === '') {
      // a bare word or junk: skip to the next space
      while (i < n && line[i] !== ' ') i++;
      continue;
    }
    i++; // '='
    let value = '';
    if (line[i] === '"') {
      i++;
      let esc = false;
      let buf = '';
      for (; i < n; i++) {
        const c = line[i]!;
        if (esc) {
          buf += c === 'n' ? '\n' : c === 't' ? '\t' : c;
          esc = false;
        } else if (c === '\\') esc = true;
        else if (c === '"') break;
        else buf += c;
      }
      i++;
      value = buf;
    } else {
      const vs = i;
      while (i < n && line[i] !== ' ') i++;
      value = line.slice(vs, i);
    }
    // Keys are identifiers (`ts`, `http.status`, `user-id`); `GET /x?a=1` holds no field.
    if (!LOGFMT_KEY.test(key)) continue;
    const k = sanitize(key);
    if (!out.has(k)) out.set(k, value);
  }
  return out;
}

/** The detected level of a line (see the module note); `fields`: the line's fields when already parsed. */
export function detectLevel(line: string, fields?: Map<string, string> | null): string {
  const f = fields === undefined ? lineFields(line)?.fields : fields;
  if (f) {
    for (const k of LEVEL_KEYS) {
      const v = f.get(k);
      if (v !== undefined && v !== '') return normaliseLevel(v);
    }
  }
  WORD.lastIndex = 0;
  for (let m = WORD.exec(line); m !== null; m = WORD.exec(line)) {
    const w = m[0];
    if (w.length < 3 || w.length > 8) continue;
    const l = LEVEL_WORDS[w.toLowerCase()];
    // Three-letter abbreviations count only in capitals (`ERR`), not inside prose ("err on the side").
    if (l !== undefined && (w.length > 3 || w === w.toUpperCase())) return l;
  }
  return UNKNOWN_LEVEL;
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

/** The type of one field value. */
export function fieldType(v: string): FieldType {
  if (INT.test(v)) return 'int';
  if (FLOAT.test(v)) return 'float';
  if (v === 'true' || v === 'false') return 'boolean';
  if (/^[+-]?(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(v) && parseGoDuration(v).ok) return 'duration';
  if (/^\d+(?:\.\d+)?\s?(?:[kKMGTPE]i?B|B)$/.test(v) && parseHumanBytes(v).ok) return 'bytes';
  return 'string';
}

/** One type for a field seen with `types`: the one type, `float` for ints and floats, else `string`. */
export function mergeTypes(types: ReadonlySet<FieldType>): FieldType {
  if (types.size === 1) return [...types][0]!;
  if (types.size === 2 && types.has('int') && types.has('float')) return 'float';
  return 'string';
}
