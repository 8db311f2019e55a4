/**
 * What every query fuzzer checks: a query text either parses or fails with a `QueryError`;
 * a parsed query prints to text that parses again to the same tree; evaluating it over a
 * small store (log rows, or a metric result) either succeeds or fails with a
 * `LetheQLError` (query errors, limit errors). Anything else — a `RangeError`, a
 * `TypeError`, an `InternalError` — is a bug and fails the property.
 */
import { LogStore } from '../../src/api.js';
import { isMetricQuery, LetheQLError, printQuery, QueryError, safeParseQuery, type Expr } from '../../src/core.js';
import { stripSpans } from '../../src/query/index.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';

const LINES = [
  '{"level":"error","status":500,"latency":"1.5s","msg":"boom","nested":{"a":[1,2,{"b":"c"}]}}',
  'level=info status=200 latency=12ms msg="ok fine" user=alice',
  '10.0.0.1 - - [24/Sep/2024:13:00:17 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.30"',
  'plain text with ünïcödé and emoji 🎉 and a tab\there',
  '\x1b[31mred\x1b[0m colored',
  '',
  '{"_entry":"packed line","app":"x"}',
  'key=value key=other broken="unterminated',
];

function hour(ns: string, logType: 'pod' | 'node'): string {
  return LINES.map((l, i) => `2024-01-01T00:0${i}:00Z[${logType === 'pod' ? `${ns}|${ns}-pod-${i % 3}|c${i % 2}` : `${ns}|proc${i % 2}`}] ${l}`).join('\n') + '\n';
}

/** A small store: pods `a`, `b` and node `n1`, each one hour of varied lines. */
export function fuzzStore(): LogStore {
  return new LogStore(
    MemoryChunkSource.fromRecord({
      'pod/a/2024-01-01_00.log': hour('a', 'pod'),
      'pod/b/2024-01-01_00.log': hour('b', 'pod'),
      'node/n1/2024-01-01_00.log': hour('n1', 'node'),
    }),
  );
}

const WINDOW = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' };

/** Budgets small enough that the fuzzer finds their edges quickly. */
const BUDGETS = { maxTemplateBytes: 64 * 1024, maxBytesReturned: 4 * 1024 * 1024, maxSamples: 20_000, maxSeries: 200 };

/** What the fuzzers reached (printed after each file): a generator whose queries never parse tests nothing. */
export const reached = { queries: 0, parsed: 0, evaluated: 0, errorCodes: new Map<string, number>() };

function count(code: string): void {
  reached.errorCodes.set(code, (reached.errorCodes.get(code) ?? 0) + 1);
}

function allowed(e: unknown): boolean {
  return e instanceof LetheQLError;
}

/** Throws (fails the property) when `text` makes letheql misbehave; see the module note. */
export async function checkQuery(store: LogStore, text: string, evaluate = true): Promise<void> {
  let parsed;
  try {
    parsed = safeParseQuery(text);
  } catch (e) {
    throw new Error(`parse threw a non-QueryError for ${JSON.stringify(text.slice(0, 300))}: ${(e as Error)?.stack ?? String(e)}`);
  }
  reached.queries++;
  if (!parsed.ok) {
    if (!(parsed.error instanceof QueryError)) throw new Error('safeParseQuery returned a non-QueryError');
    count(`parse:${parsed.error.code}`);
    return;
  }
  reached.parsed++;
  const expr: Expr = parsed.expr;
  const printed = printQuery(expr);
  const again = safeParseQuery(printed);
  if (!again.ok) throw new Error(`printed query does not parse: ${JSON.stringify(printed)} (from ${JSON.stringify(text)}): ${again.error.toString()}`);
  const a = JSON.stringify(stripSpans(expr), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  const b = JSON.stringify(stripSpans(again.expr), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  if (a !== b) throw new Error(`round trip changed the tree: ${JSON.stringify(text)} printed as ${JSON.stringify(printed)}`);
  if (!evaluate) return;
  try {
    if (isMetricQuery(expr)) {
      await store.queryMetric(expr, { ...WINDOW, step: '10m', ...BUDGETS });
    } else {
      await store.query(expr, { ...WINDOW, limit: 50, ...BUDGETS });
    }
    reached.evaluated++;
  } catch (e) {
    count(`eval:${(e as { code?: string }).code ?? 'other'}`);
    if (!allowed(e)) throw new Error(`evaluating ${JSON.stringify(text)} threw ${(e as Error)?.stack ?? String(e)}`);
  }
}
