/**
 * Everything platform-neutral that both entry points export. Nothing here (or below it)
 * imports `node:` modules.
 */
export { LogStore, getStats, STATS_METADATA_KEY, formatPlan, openStoreSetFromSources } from './api.js';
export type { LogQueryOptions, LogStoreOptions, MetricQueryOptions, MetricQueryPlan, QueryOptions, QueryStream, ScanOptions, StoreTargets } from './api.js';
export { isMetricQuery, SeriesLimitError } from './metrics/evaluator.js';
export { metricTable } from './metrics/arrow.js';
export { prometheusDataJson, toPrometheusData } from './metrics/result.js';
export type { MetricResult, MetricSeries, PrometheusData } from './metrics/result.js';
export type { MemberStats, QueryStats } from './exec/stats.js';
export type { ExecOptions, ScanProgress } from './exec/options.js';
export type { LogQueryPlan, LogPlanOptions, QueryWindow, Direction, PlannedFile } from './plan/plan.js';
export type { KernelProgram, KernelLabelMatcher, KernelLineFilter, AutomatonSummary } from './plan/program.js';
export { parseQuery, safeParseQuery, printQuery } from './query/index.js';
export type * from './query/ast.js';
export { LetheQLError, QueryError, InternalError, LimitError, formatQueryError } from './errors.js';
export type { ErrorCode, Span, Position } from './errors.js';
export { LOG_TYPES, isLogType, fieldNames, CLUSTER_LABEL } from './model.js';
export type { LogType } from './model.js';
export type { ChunkSource, ChunkReader, FileEntry } from './store/types.js';
export { MemoryChunkSource } from './store/memory-source.js';
export { ObjectChunkSource, type ObjectSourceCounters, type ObjectSourceOptions, type PageCache } from './store/object-source.js';
export { DriverError, type DriverErrorKind, type ObjectHead, type ObjectInfo, type PutRequest, type StorageDriver } from './store/driver.js';
export { FederatedChunkSource, checkClusterName, isStoreSet } from './store/federated-source.js';
export type { ClusterMember } from './store/federated-source.js';
// Remote members of a store set: another `letheql serve` (issue 18).
export { RemoteMember, isRemoteUrl, type RemoteFetch, type RemoteMemberOptions } from './store/remote-member.js';
export { compileRegex } from './regex/index.js';
export type { CompiledPattern } from './regex/index.js';
export { RegexSyntaxError } from './regex/errors.js';
export { parseTime, parseDuration, formatRfc3339 } from './time.js';
export type { TimeInput } from './time.js';
export { logSchema, toArrowIPC } from './arrow/build.js';
export type { LogRow, ResultShape } from './arrow/build.js';
