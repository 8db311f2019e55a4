/**
 * `letheql ship`: copies the closed hours of a local store (and their sidecars) to an
 * `s3://` store, exactly once, never the current hour, safe to kill (`write/ship.ts` holds
 * the rules). Once, or every `--interval` until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { LetheQLError } from '../errors.js';
import { S3Driver, isS3Url } from '../platform/node/s3.js';
import { parseDuration, parseTime } from '../time.js';
import { shipStore, type ShipReport } from '../write/ship.js';
import type { CliIO } from './io.js';
import { UsageError } from './stores.js';

export const SHIP_USAGE = `ship (the command comes first):
  letheql ship --store DIR --to s3://BUCKET/PREFIX [--s3-endpoint URL] [--delete-after-upload]
               [--interval DUR] [--now T] [--verbose] [--json]
                uploads every closed hour file of DIR and its sidecar once (size and SHA-256
                checked, so reruns upload nothing new); never the current hour; a killed
                upload leaves no partial object. --delete-after-upload removes each local
                file once its object is verified. Runs beside collect.`;

function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((res, rej) => stream.write(data, (err) => (err ? rej(err) : res())));
}

function summary(r: ShipReport): string {
  return `shipped ${r.uploaded} file(s), ${r.bytesUploaded} bytes; ${r.present} already there; ${r.open} open hour file(s) left${r.deleted ? `; ${r.deleted} local file(s) deleted` : ''}${r.summaries ? `; ${r.summaries} target summar${r.summaries === 1 ? 'y' : 'ies'} updated` : ''}\n`;
}

/** Runs `letheql ship`; returns the exit code. */
export async function runShipCommand(argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  try {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          store: { type: 'string' },
          to: { type: 'string' },
          's3-endpoint': { type: 'string' },
          'delete-after-upload': { type: 'boolean' },
          interval: { type: 'string' },
          now: { type: 'string' },
          verbose: { type: 'boolean' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: false,
        strict: true,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
    }
    if (values.help) {
      await write(io.stdout, SHIP_USAGE + '\n');
      return 0;
    }
    const store = values.store ?? io.env['LETHEQL_STORE'];
    if (store === undefined || store === '') throw new UsageError('missing --store DIR (or $LETHEQL_STORE)');
    if (values.to === undefined) throw new UsageError('missing --to s3://BUCKET/PREFIX');
    if (!isS3Url(values.to)) throw new UsageError(`invalid --to ${JSON.stringify(values.to)}: expected s3://BUCKET/PREFIX`);
    const driver = new S3Driver(values.to, values['s3-endpoint'] !== undefined ? { endpoint: values['s3-endpoint'] } : {});
    const intervalMs = values.interval === undefined ? null : Number(parseDuration(values.interval, '--interval') / 1_000_000n);
    if (intervalMs !== null && intervalMs <= 0) throw new UsageError('invalid --interval: must be a positive duration');
    const nowNs = values.now === undefined ? undefined : parseTime(values.now, '--now');
    const once = async (): Promise<void> => {
      const r = await shipStore(store, driver, {
        ...(nowNs !== undefined ? { nowNs } : {}),
        deleteAfterUpload: values['delete-after-upload'] === true,
        ...(signal ? { signal } : {}),
        ...(values.verbose ? { onFile: (path, outcome, bytes) => void io.stderr.write(`${outcome} ${path}${outcome === 'uploading' ? ` (${bytes} bytes)` : ''}\n`) } : {}),
      });
      await write(io.stdout, values.json ? JSON.stringify(r) + '\n' : summary(r));
    };
    await once(); // the first run fails with its exit code (bad store, bucket, credentials)
    if (intervalMs === null) return 0;
    const stopped = signal ?? (() => {
      const c = new AbortController();
      process.once('SIGINT', () => c.abort());
      process.once('SIGTERM', () => c.abort());
      return c.signal;
    })();
    while (!stopped.aborted) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, intervalMs);
        stopped.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
      });
      if (stopped.aborted) break;
      await once().catch((e: unknown) => io.stderr.write(`letheql ship: ${(e as Error).message}\n`));
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql ship: ${e.message}\nrun \`letheql ship --help\` for usage\n`);
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql ship: ${e.message}\n`);
      return e.code === 'IO_ERROR' ? 1 : 2;
    }
    await write(io.stderr, `letheql ship: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
