/**
 * `letheql serve`: the HTTP server (`src/server/`) as a command.
 *
 * ```
 * letheql serve --store DIR | --store NAME=DIR… | --stores FILE [--listen 127.0.0.1:6060] [--config FILE] [--workers N]
 * ```
 * Runs until SIGINT/SIGTERM (or `signal`, for in-process tests), then shuts down
 * gracefully: readiness turns 503, in-flight requests finish, the push writer is flushed
 * and closed, the scan workers stop; exit 0. Exit 2 for bad flags or config, 1 when the
 * server cannot start (address in use, unreadable store). The request log (JSON lines) goes
 * to stderr; the listening address is printed to stderr once bound.
 *
 * Unlike `query`, `serve` has no default store: it may write pushed lines, and must never
 * write into the bundled fixture store.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { LetheQLError } from '../errors.js';
import { openStore, openStoreSet, type LogStore } from '../node.js';
import { TokenAuthority } from '../server/auth.js';
import { DEFAULT_LISTEN, loadServerConfig, parseListen, parseServerConfig } from '../server/config.js';
import { createServer, type LetheServer } from '../server/server.js';
import type { CliIO } from './main.js';
import { storeSpec, UsageError } from './stores.js';

export const SERVE_USAGE = `serve (the command comes first):
  letheql serve --store DIR [--listen HOST:PORT] [--config FILE] [--workers N]
  letheql serve --store NAME=DIR --store NAME=DIR … | --stores FILE   (a store set, read-only)
                HTTP server speaking Lethe's and Loki's APIs (default --listen ${DEFAULT_LISTEN});
                --config: a JSON file of limits, auth token file and push settings (see README)`;


function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((res, rej) => stream.write(data, (err) => (err ? rej(err) : res())));
}

/** Resolves on `signal`, or on the first SIGINT/SIGTERM when there is none. */
function untilStopped(signal: AbortSignal | undefined): Promise<string> {
  if (signal) return signal.aborted ? Promise.resolve('abort') : new Promise((res) => signal.addEventListener('abort', () => res('abort'), { once: true }));
  return new Promise((res) => {
    const on = (name: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      res(name);
    };
    const onInt = () => on('SIGINT');
    const onTerm = () => on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/**
 * Runs `letheql serve` and returns its exit code. `onListening` receives the base URL once
 * bound (tests use it with `--listen 127.0.0.1:0`).
 */
export async function runServe(argv: string[], io: CliIO, signal?: AbortSignal, onListening?: (url: string) => void): Promise<number> {
  let store: LogStore | null = null;
  let server: LetheServer | null = null;
  try {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { store: { type: 'string', multiple: true }, stores: { type: 'string' }, listen: { type: 'string' }, config: { type: 'string' }, workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        allowPositionals: false,
        strict: true,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
    }
    if (values.help) {
      await write(io.stdout, SERVE_USAGE + '\n');
      return 0;
    }
    // No default store: serve may write pushed lines, so it must be told where.
    const spec = await storeSpec(values.store, values.stores, io.env['LETHEQL_STORE']);
    const config = values.config !== undefined ? await loadServerConfig(values.config) : parseServerConfig({});
    const listen = parseListen(values.listen ?? config.listen ?? DEFAULT_LISTEN);
    let workers = config.workers;
    if (values.workers !== undefined) {
      if (!/^\d+$/.test(values.workers)) throw new UsageError(`invalid --workers ${JSON.stringify(values.workers)}: expected a non-negative integer`);
      workers = Number(values.workers);
    }
    const auth = config.tokenFile !== undefined ? await TokenAuthority.load(config.tokenFile) : null;
    const opts = workers === undefined ? {} : { workers };
    // A store set is served read-only: push needs one store directory to write to (503 otherwise).
    store = spec.kind === 'dir' ? openStore(spec.dir, opts) : openStoreSet(spec.dirs, opts);
    server = await createServer({
      store,
      ...(spec.kind === 'dir' ? { storeDir: resolve(spec.dir) } : {}),
      limits: config.limits,
      push: config.push,
      ...(config.serviceName !== undefined ? { serviceName: config.serviceName } : {}),
      auth,
      log: { level: config.logLevel ?? 'info', stream: io.stderr },
    });
    let url: string;
    try {
      url = await server.listen(listen.host, listen.port);
    } catch (e) {
      await write(io.stderr, `letheql serve: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`);
      return 1;
    }
    await write(io.stderr, `letheql serve: listening on ${url} (${spec.kind === 'dir' ? `store ${resolve(spec.dir)}` : `store set ${Object.keys(spec.dirs).join(', ')}`}${auth ? `, ${auth.size} bearer tokens` : ', no authentication'})\n`);
    onListening?.(url);
    const why = await untilStopped(signal);
    await write(io.stderr, `letheql serve: ${why === 'abort' ? 'stopping' : `${why} received`}: finishing in-flight requests\n`);
    await server.close();
    server = null;
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql serve: ${e.message}\nrun \`letheql serve --help\` for usage\n`);
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql serve: ${e.message}\n`);
      return e.code === 'IO_ERROR' ? 1 : 2;
    }
    await write(io.stderr, `letheql serve: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  } finally {
    await server?.close().catch(() => undefined);
    await store?.close();
  }
}
