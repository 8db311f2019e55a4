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
import type { LogStore } from '../node.js';
import { TokenAuthority } from '../server/auth.js';
import { DEFAULT_LISTEN, loadServerConfig, parseListen, parseServerConfig } from '../server/config.js';
import { createServer, type LetheServer } from '../server/server.js';
import type { CliIO } from './io.js';
import { hasS3, openSpec, REMOTE_OPTIONS, remoteOptions, S3_OPTIONS, storeSpec, UsageError } from './stores.js';
import { publishOptions } from './publish-flags.js';

export const SERVE_USAGE = `serve (the command comes first):
  letheql serve --store DIR [--listen HOST:PORT] [--config FILE] [--workers N]
  letheql serve --store NAME=DIR --store NAME=DIR … | --stores FILE   (a store set, read-only)
  letheql serve --store NAME=DIR --store NAME=http(s)://HOST:PORT [--store-token NAME=TOKEN] [--on-member-error fail|warn]
                (a store set with members that are other letheql serves; see letheql --help)
  letheql serve --store s3://BUCKET/PREFIX [--s3-endpoint URL] [--cache-dir DIR --cache-size SIZE]
                (read-only; see letheql --help for the S3 flags)
                HTTP server speaking Lethe's and Loki's APIs (default --listen ${DEFAULT_LISTEN});
                --config: a JSON file of limits, auth token file and push settings (see README)
  letheql serve --store DIR … --publish nats://HOST:PORT --subject PREFIX [--stream NAME]
                also publishes every pushed line to NATS JetStream before answering the push
                (as collect --publish; config key push.publish)
  letheql serve … --rules FILE… [--alertmanager URL…] [--remote-write URL…] [--rules-state FILE] [--external-url URL]
                [--webhook URL…] [--slack-webhook URL…] [--smtp URL --email-from A --email-to A…]
                also evaluates alerting and recording rules (see letheql rules --help), with
                Prometheus's GET /api/v1/rules and /api/v1/alerts and ruler metrics on /metrics`;


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

/** Loads the rule files and builds the ruler, its Alertmanager sender and state file. */
async function startRules(values: { rules?: string[]; alertmanager?: string[]; 'remote-write'?: string[]; 'rules-state'?: string; 'external-url'?: string } & Parameters<typeof import('./rules-command.js').directNotifications>[0], store: LogStore, listen: { host: string; port: number }, io: CliIO) {
  const [{ loadRuleFiles, directNotifications }, { Ruler }, { AlertmanagerSender }, { StateFile }, { RuleFileError }, { RemoteWriter }] = await Promise.all([
    import('./rules-command.js'),
    import('../rules/ruler.js'),
    import('../rules/alertmanager.js'),
    import('../rules/state-file.js'),
    import('../rules/rule-file.js'),
    import('../rules/remote-write.js'),
  ]);
  let groups;
  try {
    groups = await loadRuleFiles(values.rules!);
  } catch (e) {
    if (e instanceof RuleFileError) throw new UsageError(`bad rule file:\n${e.message}`);
    throw e;
  }
  let sender: InstanceType<typeof AlertmanagerSender> | null;
  let writer: InstanceType<typeof RemoteWriter> | null;
  try {
    sender = values.alertmanager?.length ? new AlertmanagerSender(values.alertmanager, { onError: (url, msg) => io.stderr.write(`letheql serve: alertmanager ${url}: ${msg} (retrying)\n`) }) : null;
    writer = values['remote-write']?.length ? new RemoteWriter(values['remote-write'], { onError: (url, msg) => io.stderr.write(`letheql serve: remote-write ${url}: ${msg}\n`) }) : null;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const direct = await directNotifications(values, io);
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const ruler = new Ruler({
    store,
    groups,
    externalURL: values['external-url'] ?? `http://${host}:${listen.port}/`,
    notify: (alerts, t) => {
      sender?.send(alerts);
      direct?.send(alerts, t);
    },
    onRecord: (samples) => writer?.send(samples),
    ...(values['rules-state'] ? { state: new StateFile(values['rules-state']), ...(direct ? { notifierMemory: direct } : {}) } : {}),
  });
  await ruler.restore();
  const ac = new AbortController();
  return {
    ruler,
    start: () => ruler.run(ac.signal),
    async stop(running: Promise<void>) {
      ac.abort();
      await running;
      await Promise.all([sender?.flush(5_000), writer?.flush(5_000), direct?.flush(5_000)]);
      sender?.close();
      writer?.close();
      direct?.close();
    },
  };
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
        options: {
          ...S3_OPTIONS,
          ...REMOTE_OPTIONS,
          store: { type: 'string', multiple: true },
          stores: { type: 'string' },
          listen: { type: 'string' },
          config: { type: 'string' },
          workers: { type: 'string' },
          rules: { type: 'string', multiple: true },
          alertmanager: { type: 'string', multiple: true },
          'remote-write': { type: 'string', multiple: true },
          webhook: { type: 'string', multiple: true },
          'slack-webhook': { type: 'string', multiple: true },
          smtp: { type: 'string' },
          'email-from': { type: 'string' },
          'email-to': { type: 'string', multiple: true },
          'repeat-interval': { type: 'string' },
          'rules-state': { type: 'string' },
          'external-url': { type: 'string' },
          publish: { type: 'string' },
          subject: { type: 'string' },
          stream: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
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
    // --publish wins over push.publish of the config (keeping its timeout).
    const publish = publishOptions(values);
    if (publish) config.push.publish = { ...(config.push.publish?.timeoutMs !== undefined ? { timeoutMs: config.push.publish.timeoutMs } : {}), ...publish };
    if (config.push.publish && spec.kind !== 'dir') throw new UsageError('--publish (push.publish) needs a single --store DIR: a store set takes no pushes');
    const listen = parseListen(values.listen ?? config.listen ?? DEFAULT_LISTEN);
    let workers = config.workers;
    if (values.workers !== undefined) {
      if (!/^\d+$/.test(values.workers)) throw new UsageError(`invalid --workers ${JSON.stringify(values.workers)}: expected a non-negative integer`);
      workers = Number(values.workers);
    }
    const auth = config.tokenFile !== undefined ? await TokenAuthority.load(config.tokenFile) : null;
    const opts = { ...(workers === undefined ? {} : { workers }), ...remoteOptions(spec, values, io.env) };
    // A store set is served read-only: push needs one store directory to write to (503 otherwise).
    // An s3:// store is tried now (bucket, credentials): a bad one stops the server at start-up.
    store = await openSpec(spec, values, opts, true);
    // The ruler (optional): loaded only when --rules is given; runs from listen to shutdown.
    const rules = values.rules?.length ? await startRules(values, store, listen, io) : null;
    if (!rules && (values.alertmanager || values['rules-state'] || values['remote-write'])) throw new UsageError('--alertmanager, --remote-write and --rules-state need --rules FILE');
    server = await createServer({
      store,
      ...(rules ? { ruler: rules.ruler } : {}),
      // Push writes to a local directory; a store set or an s3:// store is served read-only.
      ...(spec.kind === 'dir' && !hasS3(spec) ? { storeDir: resolve(spec.dir) } : {}),
      limits: config.limits,
      push: config.push,
      ...(config.serviceName !== undefined ? { serviceName: config.serviceName } : {}),
      auth,
      log: { level: config.logLevel ?? 'info', stream: io.stderr },
      effectiveConfig: {
        config: { ...config, ...(workers !== undefined ? { workers } : {}) },
        listen: `${listen.host}:${listen.port}`,
        ...(values.rules?.length
          ? {
              rules: {
                ruleFiles: values.rules,
                ...(values.alertmanager ? { alertmanagers: values.alertmanager } : {}),
                ...(values['remote-write'] ? { remoteWrite: values['remote-write'] } : {}),
                ...(values.webhook ? { webhooks: values.webhook } : {}),
                ...(values['slack-webhook'] ? { slackWebhooks: values['slack-webhook'] } : {}),
                ...(values.smtp !== undefined ? { smtp: values.smtp } : {}),
                ...(values['email-from'] !== undefined ? { emailFrom: values['email-from'] } : {}),
                ...(values['email-to'] ? { emailTo: values['email-to'] } : {}),
                ...(values['repeat-interval'] !== undefined ? { repeatInterval: values['repeat-interval'] } : {}),
                ...(values['rules-state'] !== undefined ? { stateFile: values['rules-state'] } : {}),
                ...(values['external-url'] !== undefined ? { externalUrl: values['external-url'] } : {}),
              },
            }
          : {}),
      },
    });
    let url: string;
    try {
      url = await server.listen(listen.host, listen.port);
    } catch (e) {
      await write(io.stderr, `letheql serve: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`);
      return 1;
    }
    await write(io.stderr, `letheql serve: listening on ${url} (${spec.kind === 'dir' ? `store ${hasS3(spec) ? spec.dir : resolve(spec.dir)}` : `store set ${Object.keys(spec.dirs).join(', ')}`}${auth ? `, ${auth.size} bearer tokens` : ', no authentication'})\n`);
    // The default external URL names the listen address; port 0 is known only now.
    if (rules && values['external-url'] === undefined && listen.port === 0) rules.ruler.setExternalURL(`${url}/`);
    onListening?.(url);
    const running = rules?.start();
    const why = await untilStopped(signal);
    await write(io.stderr, `letheql serve: ${why === 'abort' ? 'stopping' : `${why} received`}: finishing in-flight requests\n`);
    await rules?.stop(running!);
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
