/**
 * One-off import of log files into a store (`letheql ingest`). Node-only.
 *
 * Each file is read in bounded chunks, split into lines ({@link LineSplitter}), decoded
 * ({@link LineDecoder}: docker, cri, raw or syslog), formatted and appended through a
 * {@link StoreWriter} in batches, each acknowledged before the next is read (back-pressure:
 * memory stays bounded by the batch size whatever the file size). A malformed line — or a
 * record the store cannot hold (a bad label) — is counted and reported with its file and
 * line number; it never stops the import.
 *
 * Kubernetes metadata for docker/cri/raw files comes from the kubelet file name
 * ({@link parseKubeLogPath}) unless given; given fields override the name's.
 */
import { open } from 'node:fs/promises';
import { LetheQLError } from '../errors.js';
import { nowNs, parseTime, type TimeInput } from '../time.js';
import { LineDecoder, type InputFormat, type MalformedLine, type RecordTarget } from './decoder.js';
import { parseKubeLogPath } from './kube-paths.js';
import { LineSplitter } from './line-splitter.js';
import { checkWritableTime, formatRecord, InvalidRecordError, labelProblem, type FormattedRecord } from './record.js';
import { groupByFile, type StoreWriter } from './store-writer.js';

export interface IngestOptions {
  format: InputFormat;
  /** Pod labels; fields given here override those read from the file name. */
  pod?: { namespace?: string; pod?: string; container?: string };
  /**
   * Node logs: for `raw`, every line becomes a node record of `node` / `process` (default
   * `raw`); for `syslog`, `node` overrides the host of each line.
   */
  node?: { node?: string; process?: string };
  /** Time of every raw line (default: the clock when the line is read). */
  rawTime?: TimeInput;
  /** The clock (ns) for raw lines and the RFC 3164 year rule. Default: the real time. */
  now?: () => bigint;
  /** RFC 3164 local-time offset in minutes (default 0 = UTC). */
  syslogUtcOffsetMinutes?: number;
  /** Store lines per append (default 10000). */
  batchLines?: number;
  /** Called for each malformed line as it is found. */
  onMalformed?: (m: MalformedInput) => void;
}

/** A malformed input line, with its file. */
export interface MalformedInput extends MalformedLine {
  file: string;
}

export interface IngestFileReport {
  file: string;
  /** Input lines read. */
  inputLines: number;
  /** Records written (a joined partial sequence is one record). */
  records: number;
  /** Store lines written (a message with line breaks makes several). */
  storeLines: number;
  malformed: number;
}

export interface IngestReport {
  files: IngestFileReport[];
  records: number;
  storeLines: number;
  /** Total malformed lines. */
  malformed: number;
  /** The first 1000 malformed lines (all are passed to `onMalformed`). */
  malformedSamples: MalformedInput[];
}

const READ_CHUNK = 256 * 1024;
const MAX_SAMPLES = 1000;
export const realClock = nowNs;

/**
 * The target of records read from `file`, or throws `INVALID_OPTION` when it cannot be told
 * (or a given label is invalid).
 */
export function targetForFile(file: string, options: Pick<IngestOptions, 'format' | 'pod' | 'node'>): RecordTarget | undefined {
  const check = (field: string, value: string, isTarget: boolean): string => {
    const problem = labelProblem(value, isTarget);
    if (problem !== null) throw new LetheQLError('INVALID_OPTION', `invalid ${field} ${JSON.stringify(value)}: ${problem}`);
    return value;
  };
  if (options.format === 'syslog') {
    const node = options.node?.node;
    return node === undefined ? undefined : { kind: 'node', node: check('node', node, true), process: '-' };
  }
  if (options.format === 'raw' && options.node?.node !== undefined) {
    return { kind: 'node', node: check('node', options.node.node, true), process: check('process', options.node.process ?? 'raw', false) };
  }
  const meta = parseKubeLogPath(file);
  const namespace = options.pod?.namespace ?? meta?.namespace;
  const pod = options.pod?.pod ?? meta?.pod;
  const container = options.pod?.container ?? meta?.container;
  if (namespace === undefined || pod === undefined || container === undefined) {
    throw new LetheQLError(
      'INVALID_OPTION',
      `cannot tell the pod of ${file}: its name is not <pod>_<namespace>_<container>-<64 hex id>.log (or …/pods/<namespace>_<pod>_<uid>/<container>/N.log); give namespace, pod and container`,
    );
  }
  return { kind: 'pod', namespace: check('namespace', namespace, true), pod: check('pod', pod, false), container: check('container', container, false) };
}

/**
 * Imports `files` into the store of `writer`, in order. Resolves with counts once every
 * line is acknowledged. Throws `INVALID_OPTION` before writing anything when a file's
 * metadata cannot be told, and `IO_ERROR` when a file cannot be read.
 */
export async function ingestFiles(writer: StoreWriter, files: readonly string[], options: IngestOptions): Promise<IngestReport> {
  const targets = files.map((f) => targetForFile(f, options));
  const now = options.now ?? realClock;
  const rawTimeNs = options.rawTime === undefined ? undefined : parseTime(options.rawTime, 'raw time');
  // Refused before a byte is written (exit 2), by the writers' one time check: every line would be unreadable.
  if (rawTimeNs !== undefined) checkWritableTime(rawTimeNs, writer.fractionDigits, 'raw time (--time)');
  const batchLines = options.batchLines ?? 10_000;
  const report: IngestReport = { files: [], records: 0, storeLines: 0, malformed: 0, malformedSamples: [] };
  const malformed = (m: MalformedInput): void => {
    report.malformed++;
    if (report.malformedSamples.length < MAX_SAMPLES) report.malformedSamples.push(m);
    options.onMalformed?.(m);
  };

  for (const [i, file] of files.entries()) {
    const fileReport: IngestFileReport = { file, inputLines: 0, records: 0, storeLines: 0, malformed: 0 };
    const decoder = new LineDecoder({ format: options.format, target: targets[i], now, rawTimeNs, syslogUtcOffsetMinutes: options.syslogUtcOffsetMinutes });
    const splitter = new LineSplitter();
    let batch: FormattedRecord[] = [];
    let batchStoreLines = 0;
    const drainDecoder = (): void => {
      const bad: MalformedInput[] = decoder.takeMalformed().map((m) => ({ ...m, file }));
      for (const { record, line } of decoder.takeRecords()) {
        try {
          const f = formatRecord(record, writer.fractionDigits);
          batch.push(f);
          batchStoreLines += f.lines;
        } catch (err) {
          if (!(err instanceof InvalidRecordError)) throw err;
          bad.push({ file, line, reason: err.message, text: record.message.slice(0, 200) });
        }
      }
      // Parse failures and records the store cannot hold, reported in line order.
      for (const m of bad.sort((a, b) => a.line - b.line)) {
        fileReport.malformed++;
        malformed(m);
      }
    };
    const commit = async (): Promise<void> => {
      if (batch.length === 0) return;
      await writer.appendFiles(groupByFile(batch));
      fileReport.records += batch.length;
      fileReport.storeLines += batchStoreLines;
      batch = [];
      batchStoreLines = 0;
    };
    let lineNo = 0;
    const sink = (text: string, end: number): void => {
      lineNo++;
      decoder.push(text, lineNo, end);
    };

    let fh;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      throw new LetheQLError('IO_ERROR', `cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      for (;;) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
        } catch (err) {
          throw new LetheQLError('IO_ERROR', `cannot read ${file}: ${(err as Error).message}`);
        }
        if (bytesRead === 0) break;
        splitter.push(buf.subarray(0, bytesRead), sink);
        drainDecoder();
        if (batch.length >= batchLines) await commit();
      }
      splitter.end(sink);
      decoder.finish(0);
      drainDecoder();
      await commit();
    } finally {
      await fh.close();
    }
    fileReport.inputLines = lineNo;
    report.files.push(fileReport);
    report.records += fileReport.records;
    report.storeLines += fileReport.storeLines;
  }
  return report;
}
