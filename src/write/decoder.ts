/**
 * Input lines → log records, for one input file: the stage shared by `ingest` and the collector.
 *
 * It owns the per-file state that spans lines: joining Docker/CRI partial entries until the
 * entry that ends the line, and the **record boundary** — the byte offset just after the
 * last input line that completed (or was skipped as) a record with nothing pending. A
 * follower checkpoints only boundaries, so a restart re-reads a half-joined record from its
 * first piece instead of losing the pieces already read.
 *
 * Rules:
 * - Blank lines are skipped in every format (not counted as malformed).
 * - A line that does not parse is reported as {@link MalformedLine} with its 1-based line
 *   number and skipped; it never stops the file. A partial that is followed by a malformed
 *   line stays pending (the malformed line is not part of it).
 * - A joined record longer than `maxRecordChars` is written as it stands and the rest
 *   continues as a new record, so memory stays bounded on a runaway partial sequence.
 * - The time of a joined record is the time of its first piece.
 *
 * Pure: no `node:` imports.
 */
import type { LogRecord } from './record.js';
import { parseCriLine } from './cri.js';
import { parseDockerLine } from './docker.js';
import { parseSyslogLine } from './syslog.js';
import { LetheQLError } from '../errors.js';

/** Input formats. `auto` picks docker when a file's first line starts with `{`, else cri. */
export type InputFormat = 'docker' | 'cri' | 'raw' | 'syslog';

/** Where records of one input go (the labels a record cannot carry itself). */
export type RecordTarget =
  | { kind: 'pod'; namespace: string; pod: string; container: string }
  | { kind: 'node'; node: string; process: string };

export interface DecoderOptions {
  format: InputFormat | 'auto';
  /**
   * Labels for docker/cri/raw records (pod, or node for raw node logs). For syslog, a node
   * target overrides the host of each line (`process` is ignored: it comes from the tag);
   * without one, the line's host is the node.
   */
  target?: RecordTarget;
  /** The current time (ns): the time of raw lines without `rawTimeNs`, and the syslog year reference. */
  now: () => bigint;
  /** A fixed time for every raw line. */
  rawTimeNs?: bigint;
  /** RFC 3164 local-time offset in minutes. */
  syslogUtcOffsetMinutes?: number;
  /** Longest joined record before it is cut (default 1 MiB of characters). */
  maxRecordChars?: number;
}

/** A record and the 1-based input line where it started. */
export interface DecodedRecord {
  record: LogRecord;
  line: number;
}

/** An input line that was not read. */
export interface MalformedLine {
  line: number;
  reason: string;
  /** The start of the line (at most 200 characters), for the report. */
  text: string;
}

export const DEFAULT_MAX_RECORD_CHARS = 1 << 20;

interface Pending {
  timeNs: bigint;
  line: number;
  message: string;
}

/** Decodes the lines of one input file, in order. */
export class LineDecoder {
  private format: InputFormat | 'auto';
  private pending: Pending | null = null;
  private records: DecodedRecord[] = [];
  private malformed: MalformedLine[] = [];
  private readonly maxChars: number;
  /** Byte offset after the last line that left nothing pending (see the module note). */
  boundary: number;

  constructor(
    private readonly options: DecoderOptions,
    startOffset = 0,
  ) {
    this.format = options.format;
    this.maxChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
    this.boundary = startOffset;
    if ((this.format === 'docker' || this.format === 'cri' || this.format === 'raw') && options.target === undefined) {
      throw new LetheQLError('INVALID_OPTION', `decoder: format ${this.format} needs a target`);
    }
  }

  /** The format in use (`auto` until the first non-blank line decided it). */
  get resolvedFormat(): InputFormat | 'auto' {
    return this.format;
  }

  /** True while a partial record waits for its end. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /**
   * Feeds one input line (without its line break; a trailing `\r` is dropped here) that
   * ends at byte `endOffset` of the file.
   */
  push(text: string, lineNo: number, endOffset: number): void {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') {
      if (this.pending === null) this.boundary = endOffset;
      return;
    }
    if (this.format === 'auto') this.format = line.startsWith('{') ? 'docker' : 'cri';
    switch (this.format) {
      case 'docker': {
        const r = parseDockerLine(line);
        if (!r.ok) return this.bad(lineNo, r.reason, line, endOffset);
        this.piece(r.entry.timeNs, r.entry.message, r.entry.partial, lineNo);
        break;
      }
      case 'cri': {
        const r = parseCriLine(line);
        if (!r.ok) return this.bad(lineNo, r.reason, line, endOffset);
        this.piece(r.entry.timeNs, r.entry.message, r.entry.partial, lineNo);
        break;
      }
      case 'raw':
        this.emit(this.options.rawTimeNs ?? this.options.now(), line, lineNo);
        break;
      case 'syslog': {
        const r = parseSyslogLine(line, { referenceNs: this.options.now(), utcOffsetMinutes: this.options.syslogUtcOffsetMinutes ?? 0 });
        if (!r.ok) return this.bad(lineNo, r.reason, line, endOffset);
        const t = this.options.target;
        const node = t?.kind === 'node' ? t.node : r.entry.host;
        this.records.push({ line: lineNo, record: { kind: 'node', time: r.entry.timeNs, node, process: r.entry.process, message: r.entry.message } });
        break;
      }
    }
    if (this.pending === null) this.boundary = endOffset;
  }

  /** Ends the input: a partial record still pending is emitted as it stands (the file is over). */
  finish(endOffset: number): void {
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      this.emit(p.timeNs, p.message, p.line);
    }
    this.boundary = endOffset;
  }

  /** Records decoded since the last call. */
  takeRecords(): DecodedRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  /** Malformed lines seen since the last call. */
  takeMalformed(): MalformedLine[] {
    const out = this.malformed;
    this.malformed = [];
    return out;
  }

  private bad(line: number, reason: string, text: string, endOffset: number): void {
    this.malformed.push({ line, reason, text: text.length > 200 ? text.slice(0, 200) + '…' : text });
    if (this.pending === null) this.boundary = endOffset;
  }

  private piece(timeNs: bigint, message: string, partial: boolean, lineNo: number): void {
    if (this.pending !== null) {
      this.pending.message += message;
    } else {
      this.pending = { timeNs, line: lineNo, message };
    }
    const p = this.pending;
    if (!partial) {
      this.pending = null;
      this.emit(p.timeNs, p.message, p.line);
    } else if (p.message.length >= this.maxChars) {
      this.pending = null;
      this.emit(p.timeNs, p.message, p.line);
    }
  }

  private emit(timeNs: bigint, message: string, line: number): void {
    const t = this.options.target!;
    const record: LogRecord =
      t.kind === 'pod'
        ? { kind: 'pod', time: timeNs, namespace: t.namespace, pod: t.pod, container: t.container, message }
        : { kind: 'node', time: timeNs, node: t.node, process: t.process, message };
    this.records.push({ record, line });
  }
}
