/**
 * What the viewer reads out of one log line, on the page, without asking the engine: the
 * fields `| json` or `| logfmt` would extract (the engine's own pipeline stages, so names
 * are exactly the query's: nested JSON keys joined with `_`, keys sanitised, a key that is a
 * stream label suffixed `_extracted`), the line's level, a pretty-printed form of a JSON
 * line, and ANSI colour escapes turned into spans (or stripped).
 *
 * Level (as Loki's `detected_level`, from its documentation): a `level`, `lvl`, `loglevel`,
 * `severity` (any case) stream label or parsed field; else a klog header (`I0924 …`,
 * `W…`, `E…`, `F…`); else the first level word in the line (`error`, `warn`, `info`, …,
 * as whole words, any case); else `unknown`. Values are normalised (`warning` → `warn`,
 * `err` → `error`, `crit` → `critical`, `panic` → `fatal`, …).
 *
 * Everything here runs per line on demand (the open row, the rows in view, or one pass over
 * the loaded rows for the level filter); nothing re-runs a query.
 */
import { JsonStage } from '../../src/pipeline/json.js';
import { LogfmtStage } from '../../src/pipeline/logfmt.js';
import { newLineState, resetLineState } from '../../src/pipeline/state.js';

export type Parser = 'json' | 'logfmt';

/** Fields of a line and the parser that found them (null: neither JSON nor logfmt). */
export interface ParsedFields {
  parser: Parser | null;
  fields: [name: string, value: string][];
}

const json = new JsonStage(null, false);
const logfmt = new LogfmtStage(false, false, null);
const st = newLineState();

/** The fields `| json` (a line that is a JSON object) or `| logfmt` (one with `key=value` pairs) gives `line`. */
export function parseFields(line: string, streamLabels: Readonly<Record<string, string>> = {}): ParsedFields {
  const trimmed = line.trimStart();
  if (trimmed.startsWith('{')) {
    resetLineState(st, line, streamLabels);
    json.run(st);
    if (!Object.hasOwn(st.labels, '__error__')) return { parser: 'json', fields: added(streamLabels) };
  }
  if (line.includes('=')) {
    resetLineState(st, line, streamLabels);
    logfmt.run(st);
    const fields = added(streamLabels);
    if (fields.length > 0) return { parser: 'logfmt', fields };
  }
  return { parser: null, fields: [] };
}

function added(base: Readonly<Record<string, string>>): [string, string][] {
  const out: [string, string][] = [];
  if (st.labels === base) return out;
  for (const k in st.labels) if (!Object.hasOwn(base, k) || st.labels[k] !== base[k]) out.push([k, st.labels[k]!]);
  return out;
}

export const LEVELS = ['critical', 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'unknown'] as const;
export type Level = (typeof LEVELS)[number];

const LEVEL_KEYS = new Set(['level', 'lvl', 'loglevel', 'log_level', 'severity', 'detected_level']);
const NORMAL: Record<string, Level> = {
  critical: 'critical',
  crit: 'critical',
  fatal: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  alert: 'critical',
  error: 'error',
  err: 'error',
  eror: 'error',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  info: 'info',
  inf: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  debug: 'debug',
  dbg: 'debug',
  trace: 'trace',
  trc: 'trace',
};
const KLOG = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}/;
const KLOG_LEVEL: Record<string, Level> = { I: 'info', W: 'warn', E: 'error', F: 'fatal' };
const WORD = /\b(critical|fatal|panic|error|err|warning|warn|info|debug|trace)\b/i;

/** A level value as one of {@link LEVELS} (`unknown` when it is not a level word). */
export function normalLevel(value: string): Level {
  return NORMAL[value.trim().toLowerCase()] ?? 'unknown';
}

/** The level of a line with these stream labels; `fields` when already parsed (saves a parse). */
export function detectLevel(line: string, streamLabels: Readonly<Record<string, string>> = {}, fields?: ParsedFields): Level {
  for (const k in streamLabels) if (LEVEL_KEYS.has(k.toLowerCase())) return normalLevel(streamLabels[k]!);
  const f = fields ?? (line.includes('=') || line.includes('"') ? parseFields(line, streamLabels) : null);
  if (f) for (const [k, v] of f.fields) if (LEVEL_KEYS.has(k.toLowerCase())) return normalLevel(v);
  const klog = KLOG.exec(line);
  if (klog) return KLOG_LEVEL[klog[1]!]!;
  const m = WORD.exec(line);
  return m ? normalLevel(m[1]!) : 'unknown';
}

/**
 * A JSON line indented two spaces, every token as written (numbers keep their digits: no
 * round trip through doubles); null when the line is not valid JSON.
 */
export function prettyJson(line: string): string | null {
  const t = line.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return null;
  try {
    JSON.parse(t);
  } catch {
    return null;
  }
  let out = '';
  let depth = 0;
  const nl = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '"') {
      let j = i + 1;
      while (t[j] !== '"') j += t[j] === '\\' ? 2 : 1;
      out += t.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      let j = i + 1;
      while (j < t.length && /\s/.test(t[j]!)) j++;
      if (t[j] === close) {
        out += c + close;
        i = j;
      } else {
        depth++;
        out += c + nl();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += nl() + c;
    } else if (c === ',') out += `,${nl()}`;
    else if (c === ':') out += ': ';
    else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/** ANSI SGR sequences and the other CSI/OSC escapes (stripped, never shown raw). */
const ANSI = /\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x9b[0-9;]*m/g;

/** `line` without ANSI escape sequences. */
export function stripAnsi(line: string): string {
  return line.includes('\x1b') || line.includes('\x9b') ? line.replace(ANSI, '') : line;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
const ANSI_COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

/** HTML of `line` with SGR colours as `<span class="ansi-…">` (bold, foreground colours); other escapes dropped. */
export function ansiHtml(line: string): string {
  if (!line.includes('\x1b') && !line.includes('\x9b')) return escapeHtml(line);
  let out = '';
  let at = 0;
  let open = false;
  ANSI.lastIndex = 0;
  for (let m = ANSI.exec(line); m !== null; m = ANSI.exec(line)) {
    out += escapeHtml(line.slice(at, m.index));
    at = m.index + m[0].length;
    if (m[1] === undefined) continue;
    if (open) out += '</span>';
    open = false;
    const classes: string[] = [];
    for (const code of m[1].split(';').map(Number)) {
      if (code === 1) classes.push('ansi-bold');
      else if (code >= 30 && code <= 37) classes.push(`ansi-${ANSI_COLOURS[code - 30]}`);
      else if (code >= 90 && code <= 97) classes.push(`ansi-${ANSI_COLOURS[code - 90]}`);
    }
    if (classes.length) {
      out += `<span class="${classes.join(' ')}">`;
      open = true;
    }
  }
  out += escapeHtml(line.slice(at));
  return open ? `${out}</span>` : out;
}

export const DEDUP_MODES = ['none', 'exact', 'numbers', 'signature'] as const;
export type DedupMode = (typeof DEDUP_MODES)[number];

const ISO_TIME = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;

/**
 * What consecutive lines are compared on when deduplicating (Grafana's modes): `exact`, the
 * line without its ISO dates; `numbers`, without any digits (durations, ids, addresses);
 * `signature`, only its whitespace and punctuation (letters and digits removed).
 */
export function dedupKey(line: string, mode: Exclude<DedupMode, 'none'>): string {
  const l = stripAnsi(line);
  if (mode === 'exact') return l.replace(ISO_TIME, '');
  if (mode === 'numbers') return l.replace(/\d+/g, '');
  return l.replace(/[\p{L}\p{N}]+/gu, '');
}
