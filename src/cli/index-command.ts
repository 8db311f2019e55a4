/**
 * `letheql index`: builds sidecar indexes (`store/sidecar.ts`) for the closed hours of a
 * store, whoever wrote it (fluent-bit, Lethe, letheql's own writers). Queries use them
 * automatically; they never change a result. Same conventions as `main.ts`: exit 0 on
 * success, 2 for bad input, 1 for I/O failures; the summary goes to stdout.
 */
import { parseArgs } from 'node:util';
import { LetheQLError } from '../errors.js';
import { parseDuration, parseTime } from '../time.js';
import { indexStore, type IndexReport } from '../write/sidecar-files.js';
import type { CliIO } from './io.js';
import { UsageError } from './stores.js';

export const INDEX_USAGE = `index command:
  letheql index --store DIR [--since DUR] [--rebuild] [--now T] [--json]
                builds sidecar indexes (.letheql/index/) for closed hours without an up-to-date
                one: --since limits it to recent hours, --rebuild rebuilds them all`;

function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

function summary(r: IndexReport, ms: number): string {
  const pct = r.fileBytes > 0 ? ` (${((100 * r.sidecarBytes) / r.fileBytes).toFixed(2)}% of ${r.fileBytes} bytes indexed)` : '';
  return `built ${r.built} sidecars, ${r.sidecarBytes} bytes${pct}; ${r.fresh} up to date; ${r.unindexable} not indexable; ${r.orphansRemoved} orphans removed; ${r.summaries} target summaries, ${r.summaryBytes} bytes; ${ms.toFixed(0)} ms\n`;
}

/** Runs `letheql index ARGS` and returns the exit code. */
export async function runIndexCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { store: { type: 'string' }, since: { type: 'string' }, rebuild: { type: 'boolean' }, now: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
    }
    if (values.help) {
      await write(io.stdout, INDEX_USAGE + '\n');
      return 0;
    }
    const store = values.store ?? io.env['LETHEQL_STORE'];
    if (store === undefined || store === '') throw new UsageError('missing --store DIR (or $LETHEQL_STORE)');
    const started = performance.now();
    const report = await indexStore(store, {
      ...(values.since !== undefined ? { sinceNs: parseDuration(values.since, 'since') } : {}),
      ...(values.now !== undefined ? { nowNs: parseTime(values.now, 'now') } : {}),
      rebuild: values.rebuild === true,
    });
    const ms = performance.now() - started;
    await write(io.stdout, values.json ? JSON.stringify({ ...report, elapsedMs: Math.round(ms) }) + '\n' : summary(report, ms));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql: ${e.message}\nrun \`letheql index --help\` for usage\n`);
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
