/**
 * The write path's public API (Node): the durable store writer, file import, the collector
 * and retention, plus the platform-neutral parts re-exported from `pure.ts`.
 */
export * from './pure.js';
export { StoreWriter, groupByFile, openStoreWriter } from './store-writer.js';
export type { FileAppend, FsyncPolicy, StoreWriterOptions, StoreWriterStats } from './store-writer.js';
export type { TornTailRepair } from './repair.js';
export { ingestFiles } from './ingest.js';
export type { IngestFileReport, IngestOptions, IngestReport, MalformedInput } from './ingest.js';
export { startCollector } from './collector.js';
export type { Collector, CollectorEvent, CollectorOptions, CollectorStats, NodeLogSource } from './collector.js';
export { runObjectRetention, runRetention, startRetention } from './retention.js';
export type { RetentionLoop, RetentionOptions, RetentionReport } from './retention.js';
export { subjectToken } from './publish.js';
export type { PublishEvent, PublishOptions } from './publish.js';
export { shipStore } from './ship.js';
export type { ShipOptions, ShipOutcome, ShipReport } from './ship.js';
