/**
 * Fan-out of stored lines to NATS JetStream: what the collector and `serve`'s push publish,
 * and under which guarantees. Node-only. The NATS client itself is in `nats-publisher.ts`,
 * loaded only when publishing is configured; this module is the plain-data part both sides
 * share (subjects, headers, message ids, the retry policy), so it can be tested without a
 * server.
 *
 * **What is published.** Every line appended to the store, after the store acknowledged it,
 * one JetStream message per store line (a message with line breaks is several lines):
 * - subject `<prefix>.pod.<namespace>` or `<prefix>.node.<node>`, the label value escaped by
 *   {@link subjectToken} (`.` `*` `>` `%`, white space, control and non-ASCII bytes as `%XX`);
 * - headers `Lethe-Kind` (`pod`/`node`), `Lethe-Namespace`, `Lethe-Pod`, `Lethe-Container` or
 *   `Lethe-Node`, `Lethe-Process` (the labels, unescaped), `Lethe-Time-Ns` (int64 nanoseconds
 *   since the epoch, decimal), `Lethe-Time` (the timestamp as stored), `Lethe-File` and
 *   `Lethe-Offset` (where the line is in the store);
 * - body: the message, as stored (UTF-8).
 *
 * **At least once, exactly once within the duplicate window.** Each message carries
 * `Nats-Msg-Id: <store id>:<store file>:<byte offset>` — the line's place in the store, which
 * never changes, prefixed by the store's random id (`.letheql/store-id`) so two stores' files
 * of the same name never collide. A batch is re-published whole after any failure; JetStream
 * drops the copies it already holds (PubAck `duplicate`) as long as they arrive within the
 * stream's `duplicate_window` (2 minutes by default) of the first copy.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { LetheQLError } from '../errors.js';
import { parseRfc3339 } from '../time.js';
import { errnoCode, metaDir, syncDir } from './layout.js';

/** Where and how to publish (`--publish nats://HOST:PORT --subject PREFIX`). */
export interface PublishOptions {
  /** `nats://HOST:PORT` (several servers: comma-separated). */
  url: string;
  /** Subject prefix: one or more subject tokens, `logs` or `lethe.cluster-a`. */
  subject: string;
  /**
   * The JetStream stream that must capture `<subject>.>`. When no stream captures it, one is
   * created with this name (default: the prefix upper-cased, `.` as `_`: `LOGS`,
   * `LETHE_CLUSTER-A`), file storage, limits retention, the default 2-minute duplicate window.
   */
  stream?: string;
  /** Milliseconds to wait for one PubAck (default 5000). */
  ackTimeoutMs?: number;
  /** First retry delay, ms (default 250); doubled after every failure up to `maxBackoffMs`. */
  minBackoffMs?: number;
  /** Longest retry delay, ms (default 10 000). */
  maxBackoffMs?: number;
}

/** What publishing reports while it runs. */
export type PublishEvent =
  | { type: 'publish-retry'; attempt: number; delayMs: number; message: string }
  | { type: 'publish-resumed'; attempts: number }
  | { type: 'publish-gave-up'; attempts: number; message: string }
  | { type: 'stream-created'; stream: string; subjects: string[] };

/** Bytes appended to one store file, and where they landed. */
export interface StoredAppend {
  /** Store-relative path, `pod/shop/2024-09-24_15.log`. */
  path: string;
  /** The file's offset of `bytes[0]`. */
  offset: number;
  /** Whole store lines. */
  bytes: Uint8Array;
}

/** Publishes stored lines; resolves when every one is acknowledged by JetStream. */
export interface LinePublisher {
  /**
   * Publishes every line of `appends`, retrying with back-off (reported through the events)
   * until all are acknowledged, or until `signal` aborts (then rejects with its reason), or,
   * with `deadlineMs`, until that many milliseconds have passed (then rejects with
   * `IO_ERROR`). Returns how many were stored and how many JetStream already held.
   */
  publish(appends: readonly StoredAppend[], options?: { signal?: AbortSignal; deadlineMs?: number }): Promise<{ stored: number; duplicates: number }>;
  /** Drains and closes the connection. */
  close(): Promise<void>;
}

/** One store line, ready to publish. */
export interface OutgoingMessage {
  subject: string;
  msgId: string;
  headers: [string, string][];
  body: Uint8Array;
}

const HEX = '0123456789ABCDEF';

/**
 * A label value as one NATS subject token: bytes that NATS gives a meaning to (`.` separates
 * tokens, `*` and `>` are wildcards), that it forbids (white space, control bytes), `%` itself,
 * and every non-ASCII byte become `%XX` (upper-case hex of the UTF-8 byte), so the token is
 * printable ASCII and `decodeURIComponent(token)` gives the value back.
 * `ip-10-0-0-1.ec2.internal` → `ip-10-0-0-1%2Eec2%2Einternal`.
 */
export function subjectToken(value: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(value)) {
    if (b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x2a && b !== 0x3e && b !== 0x25) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Checks a subject prefix (tokens of printable ASCII without wildcards); throws `INVALID_OPTION`. */
export function checkSubjectPrefix(prefix: string): string {
  const tokens = prefix.split('.');
  if (prefix === '' || tokens.some((t) => t === '' || !/^[\x21-\x7e]+$/.test(t) || t === '*' || t === '>' || /[*>]/.test(t))) {
    throw new LetheQLError('INVALID_OPTION', `invalid subject prefix ${JSON.stringify(prefix)}: expected NATS subject tokens separated by dots, without wildcards or spaces (e.g. logs or lethe.cluster-a)`);
  }
  return prefix;
}

/** Checks a `nats://HOST:PORT[,…]` URL list; throws `INVALID_OPTION`. */
export function checkNatsUrl(url: string): string {
  for (const u of url.split(',')) {
    if (!/^(nats|tls):\/\/[^\s/]+(:\d+)?\/?$/.test(u.trim())) throw new LetheQLError('INVALID_OPTION', `invalid NATS url ${JSON.stringify(u)}: expected nats://HOST:PORT`);
  }
  return url;
}

/** The stream created when none captures `<prefix>.>`, unless named. */
export function defaultStreamName(prefix: string): string {
  return prefix.toUpperCase().replace(/[^A-Z0-9_-]/g, '_');
}

const decoder = new TextDecoder();

/**
 * The messages of stored lines (see the module note). Lines come from this package's own
 * writer, so every one has its time and labels; one that does not (a bug) is an error rather
 * than a message without them.
 */
export function messagesOf(storeId: string, prefix: string, appends: readonly StoredAppend[]): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (const a of appends) {
    const kind = a.path.startsWith('pod/') ? 'pod' : a.path.startsWith('node/') ? 'node' : null;
    let start = 0;
    while (start < a.bytes.length) {
      let end = a.bytes.indexOf(10, start);
      if (end < 0) end = a.bytes.length;
      const line = a.bytes.subarray(start, end);
      const open = line.indexOf(0x5b); // '['
      const close = open < 0 ? -1 : line.indexOf(0x5d, open); // ']'
      const timeText = open < 0 ? '' : decoder.decode(line.subarray(0, open));
      const timeNs = parseRfc3339(timeText);
      const labels = close < 0 ? [] : decoder.decode(line.subarray(open + 1, close)).split('|');
      if (kind === null || timeNs === null || labels.length !== (kind === 'pod' ? 3 : 2)) {
        throw new LetheQLError('IO_ERROR', `cannot publish ${a.path} at offset ${a.offset + start}: not a store line`);
      }
      const names = kind === 'pod' ? ['Namespace', 'Pod', 'Container'] : ['Node', 'Process'];
      const offset = a.offset + start;
      out.push({
        subject: `${prefix}.${kind}.${subjectToken(labels[0]!)}`,
        msgId: `${storeId}:${a.path}:${offset}`,
        headers: [['Lethe-Kind', kind], ...names.map((n, i): [string, string] => [`Lethe-${n}`, labels[i]!]), ['Lethe-Time-Ns', String(timeNs)], ['Lethe-Time', timeText], ['Lethe-File', a.path], ['Lethe-Offset', String(offset)]],
        // The separator byte after ']' is not part of the message.
        body: line.subarray(Math.min(close + 2, line.length)),
      });
      start = end + 1;
    }
  }
  return out;
}


/** The retry delay after `failures` consecutive failures. */
export function backoffMs(failures: number, min: number, max: number): number {
  return Math.min(max, min * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

/** One line of text for a publish event (the CLI's stderr). */
export function describePublishEvent(e: PublishEvent): string {
  switch (e.type) {
    case 'publish-retry':
      return `${e.message}; publish not acknowledged, retrying in ${(e.delayMs / 1000).toFixed(e.delayMs < 1000 ? 2 : 1)}s (attempt ${e.attempt}; nothing is lost: lines wait until NATS takes them)`;
    case 'publish-resumed':
      return `NATS publishing resumed (acknowledged after ${e.attempts} attempts)`;
    case 'publish-gave-up':
      return `${e.message}; publish not acknowledged after ${e.attempts} attempts, giving up (the push is answered 503)`;
    case 'stream-created':
      return `created JetStream stream ${e.stream} for subjects ${e.subjects.join(', ')}`;
  }
}
