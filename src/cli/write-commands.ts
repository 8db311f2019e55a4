/**
 * The write-path commands of the `letheql` CLI: `ingest`, `collect`, `retention`.
 *
 * Same conventions as `main.ts`: exit 0 on success, 2 for bad input (a flag, a time, a
 * size, an input file whose pod cannot be told), 1 for I/O failures (including a store held
 * by another writer). Results go to stdout, problems to stderr. Malformed input lines are
 * reported on stderr as `file:line: reason` and do not change the exit code.
 *
 * The store is `--store DIR` or `$LETHEQL_STORE`; unlike the query commands there is no
 * default (never write into the bundled fixture store).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LetheQLError } from '../errors.js';
import { parseDuration, parseTime } from '../time.js';
import type { InputFormat } from '../write/decoder.js';
import { startCollector, type CollectorEvent, type NodeLogSource } from '../write/collector.js';
import { ingestFiles, type MalformedInput } from '../write/ingest.js';
import { startRetention, runRetention, type RetentionReport } from '../write/retention.js';
import { checkWritableTime } from '../write/record.js';
import { describePublishEvent } from '../write/publish.js';
import { publishOptions } from './publish-flags.js';
import { openStoreWriter, type FsyncPolicy } from '../write/store-writer.js';
import type { CliIO } from './io.js';
import { UsageError } from './stores.js';

export const WRITE_COMMANDS = ['ingest', 'collect', 'retention'] as const;
export type WriteCommand = (typeof WRITE_COMMANDS)[number];

export function isWriteCommand(name: string | undefined): name is WriteCommand {
  return (WRITE_COMMANDS as readonly string[]).includes(name ?? '');
}

/** Usage lines for `main.ts`'s help. */
export const WRITE_USAGE = `write commands (the command comes first):
  letheql ingest --store DIR --format docker|cri|raw|syslog [--namespace NS --pod P --container C]
                 [--node NODE [--process P]] [--time T] [--now T] [--utc-offset +HH:MM] [--fsync POLICY] FILE...
  letheql collect --store DIR [--from DIR]... [--from-node FILE [--node NAME] [--node-format syslog|raw]]...
                 [--poll-ms N] [--checkpoint FILE] [--fsync POLICY] [--no-follow-outside DIR]...
                 [--publish nats://HOST:PORT --subject PREFIX [--stream NAME]]
                 (runs until SIGINT/SIGTERM; --no-follow-outside: skip --from entries linking out of DIR;
                 --publish: also publish every stored line to NATS JetStream, subjects PREFIX.pod.<ns>
                 and PREFIX.node.<node>; the stream NAME (default PREFIX upper-cased) is created when
                 no stream captures PREFIX.>)
  letheql retention --store DIR|s3://BUCKET/PREFIX [--s3-endpoint URL] [--max-age 15d] [--max-size 1000GB] [--dry-run] [--interval 1h] [--now T] [--json]
  POLICY: batch (default: fsync before acknowledging), interval, none`;


const MAX_MALFORMED_PRINTED = 100;

function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

function storeDir(value: string | undefined, io: CliIO): string {
  const dir = value ?? io.env['LETHEQL_STORE'];
  if (dir === undefined || dir === '') throw new UsageError('missing --store DIR (or $LETHEQL_STORE)');
  return dir;
}

function fsyncPolicy(value: string | undefined): FsyncPolicy {
  if (value === undefined) return 'batch';
  if (value === 'batch' || value === 'interval' || value === 'none') return value;
  throw new UsageError(`invalid --fsync ${JSON.stringify(value)}: expected batch, interval or none`);
}

function utcOffsetMinutes(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(value);
  if (!m || Number(m[2]) > 23 || Number(m[3]) > 59) throw new UsageError(`invalid --utc-offset ${JSON.stringify(value)}: expected +HH:MM or -HH:MM`);
  return (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1);
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new UsageError(`invalid ${flag} ${JSON.stringify(value)}: expected a positive integer`);
  return Number(value);
}

type FlagValues = Record<string, string | string[] | boolean | undefined>;

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as FlagValues, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

const malformedLine = (m: MalformedInput | (CollectorEvent & { type: 'malformed' })): string =>
  `${'file' in m ? m.file : m.path}:${m.line}: ${m.reason}${m.text ? `: ${m.text}` : ''}`;

/**
 * Runs one write command and returns its exit code. `signal` stops `collect` and a
 * `retention --interval` loop; without it, SIGINT/SIGTERM do.
 */
export async function runWriteCommand(command: WriteCommand, argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  try {
    if (command === 'ingest') return await ingest(argv, io);
    if (command === 'collect') return await collect(argv, io, signal);
    return await retention(argv, io, signal);
  } catch (e) {
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql ${command}: ${e.message}\nrun \`letheql --help\` for usage\n`);
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql ${command}: ${e.message}\n`);
      return e.code === 'IO_ERROR' || e.code === 'STORE_LOCKED' ? 1 : 2;
    }
    await write(io.stderr, `letheql ${command}: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

async function ingest(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    store: { type: 'string' },
    format: { type: 'string' },
    namespace: { type: 'string' },
    pod: { type: 'string' },
    container: { type: 'string' },
    node: { type: 'string' },
    process: { type: 'string' },
    time: { type: 'string' },
    now: { type: 'string' },
    'utc-offset': { type: 'string' },
    fsync: { type: 'string' },
  });
  if (values.help) return help(io);
  const store = storeDir(values.store as string | undefined, io);
  const format = values.format as string | undefined;
  if (format !== 'docker' && format !== 'cri' && format !== 'raw' && format !== 'syslog') {
    throw new UsageError(format === undefined ? 'missing --format docker|cri|raw|syslog' : `invalid --format ${JSON.stringify(format)}: expected docker, cri, raw or syslog`);
  }
  if (positionals.length === 0) throw new UsageError('missing FILE to ingest');
  const podFlags = { namespace: values.namespace as string | undefined, pod: values.pod as string | undefined, container: values.container as string | undefined };
  const hasPodFlags = Object.values(podFlags).some((v) => v !== undefined);
  const node = values.node as string | undefined;
  if (node !== undefined && hasPodFlags) throw new UsageError('give either --node (node logs) or --namespace/--pod/--container (container logs), not both');
  if (node !== undefined && (format === 'docker' || format === 'cri')) throw new UsageError(`--node is for raw or syslog input, not ${format}`);
  if (format === 'syslog' && hasPodFlags) throw new UsageError('syslog input is node logs: use --node, not --namespace/--pod/--container');
  const nowNs = values.now === undefined ? undefined : parseTime(values.now as string, '--now');
  if (nowNs !== undefined) checkWritableTime(nowNs, 9, '--now'); // raw lines would carry it
  const { statSync } = await import('node:fs');
  for (const f of positionals) {
    try {
      statSync(f);
    } catch {
      throw new UsageError(`no such input file: ${f}`);
    }
  }
  const fsync = fsyncPolicy(values.fsync as string | undefined);
  const writer = await openStoreWriter(store, { fsync });
  let printed = 0;
  try {
    for (const r of writer.repairs) await write(io.stderr, `letheql ingest: cut a torn last line of ${r.path} (${r.cutBytes} bytes kept in ${r.quarantinePath})\n`);
    const lines: string[] = [];
    const report = await ingestFiles(writer, positionals, {
      format: format as InputFormat,
      pod: hasPodFlags ? podFlags : undefined,
      node: node === undefined ? undefined : { node, process: values.process as string | undefined },
      rawTime: values.time as string | undefined,
      now: nowNs === undefined ? undefined : () => nowNs,
      syslogUtcOffsetMinutes: utcOffsetMinutes(values['utc-offset'] as string | undefined),
      onMalformed: (m) => {
        if (printed++ < MAX_MALFORMED_PRINTED) lines.push(`letheql ingest: malformed ${malformedLine(m)}\n`);
      },
    });
    for (const l of lines) await write(io.stderr, l);
    if (report.malformed > MAX_MALFORMED_PRINTED) await write(io.stderr, `letheql ingest: … and ${report.malformed - MAX_MALFORMED_PRINTED} more malformed lines\n`);
    await write(
      io.stdout,
      `ingested ${report.records} records (${report.storeLines} lines) from ${report.files.length} file${report.files.length === 1 ? '' : 's'} into ${writer.root}; ${report.malformed} malformed line${report.malformed === 1 ? '' : 's'} skipped\n`,
    );
  } finally {
    await writer.close();
  }
  return 0;
}

function describeEvent(e: CollectorEvent): string | null {
  switch (e.type) {
    case 'malformed':
      return `malformed ${malformedLine(e)}`;
    case 'rotated':
    case 'truncated':
    case 'deleted':
      return `${e.path}: ${e.type}`;
    case 'resumed-rotated':
      return `${e.path}: finishing the rotated file ${e.from}`;
    case 'lost':
    case 'skipped':
      return `${e.path}: ${e.type}: ${e.reason}`;
    case 'replayed':
      return `completed an interrupted batch (${e.files} files, ${e.bytes} bytes)`;
    case 'repaired':
      return `cut a torn last line of ${e.path} (${e.cutBytes} bytes kept in ${e.quarantinePath})`;
    case 'error':
      return `error: ${e.message} (retrying)`;
    case 'publish-retry':
    case 'publish-resumed':
    case 'publish-gave-up':
    case 'stream-created':
      return describePublishEvent(e);
    default:
      return null;
  }
}

/** Resolves when `signal` aborts, or on SIGINT/SIGTERM when there is no signal. */
function untilStopped(signal: AbortSignal | undefined): { done: Promise<void>; dispose: () => void } {
  if (signal) {
    return {
      done: signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      dispose: () => undefined,
    };
  }
  let handler: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    handler = () => resolve();
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
  return { done, dispose: () => (process.off('SIGINT', handler), process.off('SIGTERM', handler)) };
}

async function collect(argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parse(argv, {
    store: { type: 'string' },
    from: { type: 'string', multiple: true },
    'from-node': { type: 'string', multiple: true },
    node: { type: 'string' },
    'node-format': { type: 'string' },
    process: { type: 'string' },
    'poll-ms': { type: 'string' },
    checkpoint: { type: 'string' },
    fsync: { type: 'string' },
    'utc-offset': { type: 'string' },
    'no-follow-outside': { type: 'string', multiple: true },
    publish: { type: 'string' },
    subject: { type: 'string' },
    stream: { type: 'string' },
  });
  if (values.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const publish = publishOptions(values);
  const followOnlyUnder = values['no-follow-outside'] as string[] | undefined;
  const store = storeDir(values.store as string | undefined, io);
  const from = (values.from as string[] | undefined) ?? [];
  const fromNode = (values['from-node'] as string[] | undefined) ?? [];
  if (from.length === 0 && fromNode.length === 0) throw new UsageError('nothing to collect: give --from DIR and/or --from-node FILE');
  const nodeFormat = (values['node-format'] as string | undefined) ?? 'syslog';
  if (nodeFormat !== 'syslog' && nodeFormat !== 'raw') throw new UsageError(`invalid --node-format ${JSON.stringify(nodeFormat)}: expected syslog or raw`);
  const node = values.node as string | undefined;
  if (node !== undefined && fromNode.length === 0) throw new UsageError('--node names the node of --from-node files; there are none');
  const nodeFiles: NodeLogSource[] = fromNode.map((path) => ({ path, node, format: nodeFormat, process: values.process as string | undefined }));
  const stop = untilStopped(signal);
  const collector = await startCollector({
    store,
    containerDirs: from,
    nodeFiles,
    pollMs: positiveInt(values['poll-ms'] as string | undefined, '--poll-ms'),
    checkpointPath: values.checkpoint as string | undefined,
    fsync: fsyncPolicy(values.fsync as string | undefined),
    syslogUtcOffsetMinutes: utcOffsetMinutes(values['utc-offset'] as string | undefined),
    ...(followOnlyUnder !== undefined ? { followOnlyUnder } : {}),
    ...(publish ? { publish } : {}),
    onEvent: (e) => {
      const text = describeEvent(e);
      if (text !== null) io.stderr.write(`letheql collect: ${text}\n`);
    },
  }).catch((err: unknown) => {
    stop.dispose();
    throw err;
  });
  await stop.done;
  stop.dispose();
  const s = await collector.stop();
  await write(io.stdout, `collected ${s.records} records (${s.storeLines} lines, ${s.bytesRead} input bytes); ${s.malformed} malformed, ${s.rotations} rotations, ${s.truncations} truncations, ${s.errors} errors${publish ? `; published ${s.published} lines (${s.publishDuplicates} already in JetStream)` : ''}\n`);
  return 0;
}

function formatReport(r: RetentionReport): string {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  const out: string[] = [];
  for (const d of r.deleted) out.push(`${verb} ${d.path}  ${d.size} B  (${d.reason})`);
  for (const d of r.removedDirs) out.push(`${r.dryRun ? 'would remove' : 'removed'} empty directory ${d}`);
  for (const f of r.removedStrays) out.push(`${r.dryRun ? 'would remove' : 'removed'} stray file ${f}`);
  for (const k of r.keptCurrentHour) out.push(`kept ${k} (current hour)`);
  for (const k of r.keptOutside) out.push(`kept ${k} (read through a link that leaves the store: never deleted)`);
  const freed = r.bytesBefore - r.bytesAfter;
  out.push(
    `${r.dryRun ? 'dry run: ' : ''}${r.deleted.length} file${r.deleted.length === 1 ? '' : 's'} (${freed} B) ${verb}; store ${r.bytesBefore} B -> ${r.bytesAfter} B${r.underSizeLimit ? '' : ' (still over the size limit)'} at ${r.now}`,
  );
  return out.join('\n') + '\n';
}

async function retention(argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parse(argv, {
    store: { type: 'string' },
    's3-endpoint': { type: 'string' },
    'max-age': { type: 'string' },
    'max-size': { type: 'string' },
    'dry-run': { type: 'boolean' },
    interval: { type: 'string' },
    now: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const store = storeDir(values.store as string | undefined, io);
  const maxAge = values['max-age'] as string | undefined;
  const maxSize = values['max-size'] as string | undefined;
  if (maxAge === undefined && maxSize === undefined) throw new UsageError('give --max-age and/or --max-size');
  const endpoint = values['s3-endpoint'] as string | undefined;
  if (endpoint !== undefined && !/^s3:\/\//i.test(store)) throw new UsageError('--s3-endpoint applies to s3:// stores only');
  const options = { maxAge, maxSize, dryRun: values['dry-run'] === true, now: values.now as string | undefined, ...(endpoint !== undefined ? { s3: { endpoint } } : {}) };
  const print = (r: RetentionReport): Promise<void> =>
    write(io.stdout, values.json ? JSON.stringify(r) + '\n' : formatReport(r));
  const interval = values.interval as string | undefined;
  if (interval === undefined) {
    await print(await runRetention(store, options));
    return 0;
  }
  const intervalMs = Number(parseDuration(interval, '--interval') / 1_000_000n);
  await runRetention(store, { ...options, dryRun: true }); // fail early (bad store, bad limits) with the right exit code
  const stop = untilStopped(signal);
  const loop = startRetention(store, {
    ...options,
    intervalMs,
    onReport: (r) => void print(r),
    onError: (e) => io.stderr.write(`letheql retention: ${(e as Error).message}\n`),
  });
  await stop.done;
  stop.dispose();
  await loop.stop();
  return 0;
}

async function help(io: CliIO): Promise<number> {
  await write(io.stdout, WRITE_USAGE + '\n');
  return 0;
}
