/**
 * `letheql patterns QUERY`: the log templates of the lines a log query matches, by Drain
 * (`patterns/drain.ts`), most frequent first, with counts per `--step` bucket. The lines
 * stream through in record batches; Drain's state is bounded (clusters, tokens), and
 * `--max-lines` bounds the lines read (default 100000; a cut is said on stderr), so the
 * command's memory does not grow with the store. Same conventions as `main.ts`: exit 0 on
 * success, 2 for bad input (a query error with its position), 1 for I/O failures.
 *
 * Output: `text` (default) prints `COUNT<TAB>PATTERN` lines; `--json` prints Loki's
 * `/loki/api/v1/patterns` answer (`{"status":"success","data":[{"pattern","samples"}]}`,
 * sample times in Unix seconds at the bucket start).
 */
import { parseArgs } from 'node:util';
import { formatQueryError, LetheQLError, QueryError } from '../errors.js';
import { Drain } from '../patterns/drain.js';
import { resolveOptions } from '../plan/plan.js';
import { isMetricQuery, parseQuery } from '../query/index.js';
import { NS_PER_SECOND, parseDuration } from '../time.js';
import type { CliIO } from './io.js';
import { openSpec, S3_OPTIONS, storeSpec, UsageError } from './stores.js';

export const PATTERNS_USAGE = `patterns command:
  letheql patterns --store DIR [--start T | --from T] [--end T | --to T] [--since DUR]
                   [--step DUR] [--max-lines N] [--json] QUERY
                log templates (Drain) of the lines QUERY matches, with counts; --step DUR
                counts them per bucket of DUR (with --json: Loki's /patterns answer)`;

const DEFAULT_MAX_LINES = 100_000;

function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Runs `letheql patterns ARGS` and returns the exit code. */
export async function runPatternsCommand(argv: string[], io: CliIO): Promise<number> {
  let query = '';
  try {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: {
          ...S3_OPTIONS,
          store: { type: 'string', multiple: true },
          stores: { type: 'string' },
          start: { type: 'string' },
          from: { type: 'string' },
          end: { type: 'string' },
          to: { type: 'string' },
          since: { type: 'string' },
          now: { type: 'string' },
          step: { type: 'string' },
          'max-lines': { type: 'string' },
          json: { type: 'boolean' },
          workers: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: true,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
    }
    if (values.help) {
      await write(io.stdout, PATTERNS_USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing QUERY' : `expected one QUERY, got ${positionals.length} arguments (quote the query)`);
    query = positionals[0]!;
    const expr = parseQuery(query);
    if (isMetricQuery(expr)) throw new UsageError('patterns takes a log query (a selector with filters), not a metric query');
    const maxLines = values['max-lines'] === undefined ? DEFAULT_MAX_LINES : Number(values['max-lines']);
    if (!Number.isSafeInteger(maxLines) || maxLines <= 0) throw new UsageError(`invalid --max-lines ${JSON.stringify(values['max-lines'])}: expected a positive integer`);
    const stepNs = values.step === undefined ? null : parseDuration(values.step, 'step');
    if (stepNs !== null && stepNs <= 0n) throw new UsageError('invalid --step: must be a positive duration');
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !(Number.isSafeInteger(workers) && workers >= 0)) throw new UsageError(`invalid --workers ${JSON.stringify(values.workers)}`);
    const opts = { start: values.start ?? values.from, end: values.end ?? values.to, since: values.since, now: values.now, limit: maxLines, direction: 'backward' as const };
    const { startNs } = resolveOptions(opts);
    const spec = await storeSpec(values.store, values.stores, io.env['LETHEQL_STORE']);
    const store = await openSpec(spec, values, workers !== undefined ? { workers } : {});
    const drain = new Drain();
    try {
      const s = store.stream(expr, opts);
      for await (const batch of s) {
        const time = batch.getChild('time')!.toArray() as BigInt64Array;
        const line = batch.getChild('line')!;
        for (let i = 0; i < batch.numRows; i++) drain.add(line.get(i) as string, stepNs === null ? 0 : Number((time[i]! - startNs) / stepNs));
      }
      const stats = await s.stats;
      if (stats.truncated) await write(io.stderr, `letheql: patterns of the newest ${maxLines} of ${stats.linesMatched} matching lines (--max-lines)\n`);
    } finally {
      await store.close();
    }
    const found = drain.patterns();
    if (values.json) {
      const data = found.map((p) => ({
        pattern: p.pattern,
        samples: p.buckets.map(([k, n]) => [Number((startNs + BigInt(k) * (stepNs ?? 0n)) / NS_PER_SECOND), n]),
      }));
      await write(io.stdout, JSON.stringify({ status: 'success', data }) + '\n');
    } else {
      await write(io.stdout, found.map((p) => `${p.count}\t${p.pattern}\n`).join(''));
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql: ${e.message}\nrun \`letheql patterns --help\` for usage\n`);
      return 2;
    }
    if (e instanceof QueryError) {
      await write(io.stderr, formatQueryError(e, query) + '\n');
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql: ${e.message}\n`);
      return e.code === 'IO_ERROR' ? 1 : 2;
    }
    await write(io.stderr, `letheql: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
