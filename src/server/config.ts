/**
 * Server settings: the `--config FILE` JSON format, its defaults and its validation.
 *
 * One JSON object; every key optional; unknown keys are an error (a typo in a limit must not
 * silently leave the default in force). Sizes are bytes or Lethe-style strings (`10m`,
 * `1GiB`: binary units, `sizes.ts`'s `parseSize`); durations are Prometheus
 * strings (`30s`, `1m30s`). `0` turns a limit off where that makes sense (sizes, lines,
 * series, timeout).
 *
 * ```json
 * {
 *   "listen": "127.0.0.1:6060",
 *   "logLevel": "info",
 *   "workers": 2,
 *   "limits": {
 *     "queryTimeout": "60s", "maxBytesScanned": "4GiB", "maxLines": 5000,
 *     "maxConcurrentQueries": 4, "maxQueuedQueries": 32, "maxSeries": 1000,
 *     "maxPushBytes": "10MiB", "maxPushDecompressedBytes": "64MiB", "maxTailClients": 64,
 *     "maxPushLines": 100000, "maxPushWrittenBytes": "64MiB",
 *     "maxTemplateBytes": "1MiB", "maxBytesReturned": "64MiB", "maxSamples": 1000000
 *   },
 *   "auth": { "tokenFile": "/etc/letheql/tokens" },
 *   "push": { "enabled": true, "fsync": "batch", "labels": { "pod": { "from": ["service_name", "app"], "default": null } } },
 *   "serviceName": "app"
 * }
 * ```
 * `push.labels` is the push label rule (`push.ts`, {@link DEFAULT_PUSH_LABEL_RULE}).
 * `push.publish` (`{"url": "nats://…", "subject": "logs", "stream": "LOGS", "timeout": "30s"}`)
 * also publishes every pushed line to NATS JetStream (`write/publish.ts`).
 */
import { DEFAULT_PUSH_LABEL_RULE, type PushLabelRule } from './push.js';
import { labelProblem } from '../write/record.js';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LetheQLError } from '../errors.js';
import { NS_PER_MS, parseDuration } from '../time.js';
import { parseSize } from '../sizes.js';
import type { FsyncPolicy } from '../write/store-writer.js';
import { checkNatsUrl, checkSubjectPrefix, type PublishOptions } from '../write/publish.js';
import { SERVICE_NAME_RULES, type ServiceNameRule } from './service-name.js';

/**
 * `push.publish`: where pushed lines are published (see `write/publish.ts`), and how long a
 * push waits for NATS (`timeoutMs`, default 30 s) before it answers 503 — its lines are then
 * in the store but not (all) in JetStream, and the client's retry stores them again.
 */
export type PushPublishSettings = PublishOptions & { timeoutMs?: number };

/** Limits the server enforces. `null` = no limit. */
export interface ServerLimits {
  /** Wall-clock budget of one query, queue wait included, ms. */
  queryTimeoutMs: number | null;
  /** Bytes of store files a query may plan to read (checked before reading). */
  maxBytesScanned: number | null;
  /** Lines one answer may hold (a larger Loki `limit` is refused; Lethe answers are cut and warned). */
  maxLines: number | null;
  /** Queries running at once; further ones wait in a queue. */
  maxConcurrentQueries: number;
  /** Queries waiting for a slot; further ones are refused with 429. */
  maxQueuedQueries: number;
  /** Series (distinct label sets) one answer may hold: streams, `/series`, metric series. */
  maxSeries: number | null;
  /** Bytes of a push request body as received. */
  maxPushBytes: number;
  /** Bytes of a push body after snappy/gzip decompression. */
  maxPushDecompressedBytes: number;
  /** Open `/loki/api/v1/tail` WebSockets. */
  maxTailClients: number;
  /** Store lines one push may write (a message with line breaks writes one line per piece). */
  maxPushLines: number;
  /** Bytes of store lines one push may write (timestamps and labels included). */
  maxPushWrittenBytes: number;
  /** What one `line_format`/`label_format` may build (engine option of the same name; 422 past it). */
  maxTemplateBytes: number;
  /** Bytes of rows (lines, labels) one log answer may hold (engine option of the same name; 422 past it). */
  maxBytesReturned: number | null;
  /** Samples (series × points) one metric answer may hold (engine option of the same name; 422 past it). */
  maxSamples: number | null;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  queryTimeoutMs: 60_000,
  maxBytesScanned: 4 * 2 ** 30,
  maxLines: 5000,
  maxConcurrentQueries: 4,
  maxQueuedQueries: 32,
  maxSeries: 1000,
  maxPushBytes: 10 * 2 ** 20,
  maxPushDecompressedBytes: 64 * 2 ** 20,
  maxTailClients: 64,
  maxPushLines: 100_000,
  maxPushWrittenBytes: 64 * 2 ** 20,
  maxTemplateBytes: 1024 * 1024,
  maxBytesReturned: 64 * 1024 * 1024,
  maxSamples: 1_000_000,
};

/** Everything `--config` can set. */
export interface ServerConfig {
  /** `host:port`; the `--listen` flag wins. Default `127.0.0.1:6060`. */
  listen?: string;
  /** fastify/pino level: `fatal error warn info debug trace silent`. Default `info`. */
  logLevel?: string;
  /** Scan worker threads (as `letheql query --workers`). */
  workers?: number;
  limits: ServerLimits;
  /** Bearer tokens file (see `auth.ts`); absent: no authentication. Relative to the config file. */
  tokenFile?: string;
  push: { enabled: boolean; fsync: FsyncPolicy; labels?: PushLabelRule; publish?: PushPublishSettings };
  /** How the derived `service_name` label is made (`service-name.ts`); default `app`. */
  serviceName?: ServiceNameRule;
}

export const DEFAULT_LISTEN = '127.0.0.1:6060';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bad(message: string): never {
  throw new LetheQLError('INVALID_OPTION', `invalid server config: ${message}`);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) bad(`unknown key ${JSON.stringify(k)} in ${where} (allowed: ${allowed.join(', ')})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function size(v: unknown, key: string): number | null {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) bad(`limits.${key} must be a non-negative integer of bytes or a size such as "10m"`);
    return v === 0 ? null : v;
  }
  if (typeof v === 'string') return parseSize(v, `limits.${key}`);
  return bad(`limits.${key} must be bytes or a size such as "10m"`);
}

function count(v: unknown, key: string, allowZero: boolean): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (allowZero ? 0 : 1)) bad(`limits.${key} must be ${allowZero ? 'a non-negative' : 'a positive'} integer`);
  return v;
}

function durationMs(v: unknown, key: string): number | null {
  if (v === 0 || v === '0') return null;
  if (typeof v !== 'string') return bad(`limits.${key} must be a duration such as "30s" (or 0 for none)`);
  return Number(parseDuration(v, `limits.${key}`) / NS_PER_MS);
}

/** Validates a parsed config object and fills in defaults. Throws `INVALID_OPTION` naming the key. */
export function parseServerConfig(json: unknown, baseDir = process.cwd()): ServerConfig {
  if (json === undefined) json = {};
  if (!isObject(json)) bad('expected a JSON object');
  checkKeys(json, ['listen', 'logLevel', 'workers', 'limits', 'auth', 'push', 'serviceName'], 'the config');
  const out: ServerConfig = { limits: { ...DEFAULT_LIMITS }, push: { enabled: true, fsync: 'batch' } };
  if (json['listen'] !== undefined) {
    if (typeof json['listen'] !== 'string') bad('listen must be "host:port"');
    parseListen(json['listen']);
    out.listen = json['listen'];
  }
  if (json['logLevel'] !== undefined) {
    if (typeof json['logLevel'] !== 'string' || !LOG_LEVELS.includes(json['logLevel'])) bad(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
    out.logLevel = json['logLevel'];
  }
  if (json['workers'] !== undefined) {
    const w = json['workers'];
    if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 0) bad('workers must be a non-negative integer');
    out.workers = w;
  }
  const serviceName = json['serviceName'];
  if (serviceName !== undefined) {
    if (!SERVICE_NAME_RULES.includes(serviceName as ServiceNameRule)) bad(`serviceName must be one of ${SERVICE_NAME_RULES.join(', ')}`);
    out.serviceName = serviceName as ServiceNameRule;
  }
  const limits = json['limits'];
  if (limits !== undefined) {
    if (!isObject(limits)) bad('limits must be an object');
    checkKeys(limits, Object.keys(DEFAULT_LIMITS).map((k) => (k === 'queryTimeoutMs' ? 'queryTimeout' : k)), 'limits');
    const l = out.limits;
    if (limits['queryTimeout'] !== undefined) l.queryTimeoutMs = durationMs(limits['queryTimeout'], 'queryTimeout');
    if (limits['maxBytesScanned'] !== undefined) l.maxBytesScanned = size(limits['maxBytesScanned'], 'maxBytesScanned');
    if (limits['maxLines'] !== undefined) l.maxLines = count(limits['maxLines'], 'maxLines', true) || null;
    if (limits['maxSeries'] !== undefined) l.maxSeries = count(limits['maxSeries'], 'maxSeries', true) || null;
    if (limits['maxConcurrentQueries'] !== undefined) l.maxConcurrentQueries = count(limits['maxConcurrentQueries'], 'maxConcurrentQueries', false);
    if (limits['maxQueuedQueries'] !== undefined) l.maxQueuedQueries = count(limits['maxQueuedQueries'], 'maxQueuedQueries', true);
    if (limits['maxTailClients'] !== undefined) l.maxTailClients = count(limits['maxTailClients'], 'maxTailClients', true);
    if (limits['maxPushLines'] !== undefined) l.maxPushLines = count(limits['maxPushLines'], 'maxPushLines', false);
    if (limits['maxBytesReturned'] !== undefined) l.maxBytesReturned = size(limits['maxBytesReturned'], 'maxBytesReturned');
    if (limits['maxSamples'] !== undefined) l.maxSamples = count(limits['maxSamples'], 'maxSamples', true) || null;
    if (limits['maxTemplateBytes'] !== undefined) {
      const v = size(limits['maxTemplateBytes'], 'maxTemplateBytes');
      if (v === null) bad('limits.maxTemplateBytes must be positive (template output always has a size limit)');
      l.maxTemplateBytes = v;
    }
    for (const key of ['maxPushBytes', 'maxPushDecompressedBytes', 'maxPushWrittenBytes'] as const) {
      if (limits[key] === undefined) continue;
      const v = size(limits[key], key);
      if (v === null) bad(`limits.${key} must be positive (a push body always has a size limit)`);
      l[key] = v;
    }
  }
  const auth = json['auth'];
  if (auth !== undefined) {
    if (!isObject(auth)) bad('auth must be an object');
    checkKeys(auth, ['tokenFile'], 'auth');
    if (auth['tokenFile'] !== undefined) {
      if (typeof auth['tokenFile'] !== 'string' || auth['tokenFile'] === '') bad('auth.tokenFile must be a path');
      out.tokenFile = resolve(baseDir, auth['tokenFile']);
    }
  }
  const push = json['push'];
  if (push !== undefined) {
    if (!isObject(push)) bad('push must be an object');
    checkKeys(push, ['enabled', 'fsync', 'labels', 'publish'], 'push');
    if (push['publish'] !== undefined) out.push.publish = parsePublish(push['publish']);
    if (push['labels'] !== undefined) out.push.labels = parseLabelRule(push['labels']);
    if (push['enabled'] !== undefined) {
      if (typeof push['enabled'] !== 'boolean') bad('push.enabled must be true or false');
      out.push.enabled = push['enabled'];
    }
    if (push['fsync'] !== undefined) {
      if (push['fsync'] !== 'batch' && push['fsync'] !== 'interval' && push['fsync'] !== 'none') bad('push.fsync must be batch, interval or none');
      out.push.fsync = push['fsync'];
    }
  }
  return out;
}

/** `push.publish`: `{"url": "nats://HOST:PORT", "subject": "logs", "stream": "LOGS", "timeout": "30s"}`. */
function parsePublish(json: unknown): PushPublishSettings {
  if (!isObject(json)) bad('push.publish must be {"url": "nats://HOST:PORT", "subject": "PREFIX"}');
  checkKeys(json, ['url', 'subject', 'stream', 'timeout'], 'push.publish');
  const { url, subject, stream, timeout } = json;
  if (typeof url !== 'string' || typeof subject !== 'string') bad('push.publish needs "url" (nats://HOST:PORT) and "subject" (a subject prefix)');
  try {
    checkNatsUrl(url);
    checkSubjectPrefix(subject);
  } catch (e) {
    bad(`push.publish: ${(e as Error).message}`);
  }
  if (stream !== undefined && (typeof stream !== 'string' || !/^[A-Za-z0-9_-]+$/.test(stream))) bad('push.publish.stream must be a stream name (letters, digits, _ and -)');
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    if (typeof timeout !== 'string') bad('push.publish.timeout must be a duration such as "30s"');
    timeoutMs = Number(parseDuration(timeout, 'push.publish.timeout') / NS_PER_MS);
    if (!(timeoutMs > 0)) bad('push.publish.timeout must be positive');
  }
  return { url, subject, ...(stream !== undefined ? { stream: stream as string } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/**
 * `push.labels`: `{"pod": {"from": ["app"], "default": null}, …}`; fields left out keep
 * {@link DEFAULT_PUSH_LABEL_RULE}'s.
 */
function parseLabelRule(json: unknown): PushLabelRule {
  if (!isObject(json)) bad('push.labels must be an object with namespace, pod and/or container');
  checkKeys(json, ['namespace', 'pod', 'container'], 'push.labels');
  const rule: PushLabelRule = { ...DEFAULT_PUSH_LABEL_RULE };
  for (const field of ['namespace', 'pod', 'container'] as const) {
    const v = json[field];
    if (v === undefined) continue;
    const where = `push.labels.${field}`;
    if (!isObject(v)) bad(`${where} must be {"from": ["label", …], "default": "value" or null}`);
    checkKeys(v, ['from', 'default'], where);
    const from = v['from'] ?? DEFAULT_PUSH_LABEL_RULE[field].from;
    if (!Array.isArray(from) || from.some((l) => typeof l !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l))) bad(`${where}.from must be a list of label names`);
    const def = v['default'] === undefined ? DEFAULT_PUSH_LABEL_RULE[field].default : v['default'];
    if (def !== null) {
      const problem = labelProblem(def, field === 'namespace');
      if (problem !== null) bad(`${where}.default ${problem}`);
    }
    rule[field] = { from: from as string[], default: def as string | null };
  }
  return rule;
}

/** Reads and validates a config file (`--config FILE`). */
export async function loadServerConfig(file: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new LetheQLError('INVALID_OPTION', `cannot read config ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LetheQLError('INVALID_OPTION', `invalid server config ${file}: not JSON (${(e as Error).message})`);
  }
  return parseServerConfig(json, dirname(resolve(file)));
}

/** Splits `host:port` (`[::1]:6060` for IPv6). Port 0 asks the OS for a free port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[3]) > 65535) throw new LetheQLError('INVALID_OPTION', `invalid listen address ${JSON.stringify(text)}: expected host:port, e.g. 127.0.0.1:6060`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}
