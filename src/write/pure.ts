/**
 * The platform-neutral half of the write path: record formatting and label rules, input
 * parsers (Docker json-file, CRI, syslog, kubelet file names), the line decoder and splitter,
 * and retention planning. No `node:` imports: a browser or a server can reuse these.
 */
export { DEFAULT_FRACTION_DIGITS, fractionDigitsFor, InvalidRecordError, MAX_LABEL_BYTES, measureRecord, WRITABLE_FROM, WRITABLE_TO, checkWritableTime, formatRecord, labelProblem, messageLines, recordTimeNs } from './record.js';
export type { FormattedRecord, FractionDigits, LogRecord, NodeRecord, PodRecord, RecordTime } from './record.js';
export { parseDockerLine } from './docker.js';
export type { DockerEntry, DockerParse } from './docker.js';
export { parseCriLine } from './cri.js';
export type { CriEntry, CriParse } from './cri.js';
export { parseSyslogLine } from './syslog.js';
export type { SyslogEntry, SyslogOptions, SyslogParse } from './syslog.js';
export { parseKubeLogPath } from './kube-paths.js';
export type { KubeFileMeta } from './kube-paths.js';
export { LineDecoder } from './decoder.js';
export type { DecodedRecord, DecoderOptions, InputFormat, MalformedLine, RecordTarget } from './decoder.js';
export { LineSplitter } from './line-splitter.js';
export { parseSize, planRetention } from './retention-plan.js';
export type { PlannedDeletion, RetentionLimits, RetentionPlan, StoreFileInfo } from './retention-plan.js';
