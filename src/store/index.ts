/**
 * The store layer's public face: hour file names, the platform-neutral sources and the
 * catalog. The Node filesystem source (`platform/node/fs-source.ts`) is deliberately absent: it
 * imports `node:` modules, so only the Node entry point imports it, directly.
 */
export type { ChunkReader, ChunkSource, FileEntry, LogType, SidecarBytes } from './types.js';
export { HOUR_NS, formatHourFileName, formatHourRfc3339, hourFloor, hourOverlaps, parseHourFileName } from './hours.js';
export { compareNames, isSafeName, storePath } from './paths.js';
export { MemoryChunkSource, type MemoryContent, type MemorySourceOptions } from './memory-source.js';
export {
  compareStoreOrder,
  describeStore,
  listTargets,
  selectFiles,
  type FileSelection,
  type SelectedFile,
  type SkipReason,
  type SkippedFile,
  type StoreDescription,
  type TargetSummary,
} from './catalog.js';
export {
  CLUSTER_LABEL,
  checkClusterName,
  clusterNameProblem,
  clusterPath,
  FederatedChunkSource,
  isStoreSet,
  memberHandle,
  type ClusterMember,
} from './federated-source.js';
export { DriverError, type DriverErrorKind, type ObjectHead, type ObjectInfo, type PutRequest, type StorageDriver } from './driver.js';
export { ObjectChunkSource, MTIME_METADATA, SHA256_METADATA, type ObjectSourceCounters, type ObjectSourceOptions, type PageCache } from './object-source.js';
