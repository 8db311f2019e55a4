/** Types of `hostile-workload.mjs` (see its module note). */
import type { PushStream } from '../src/server/protobuf.js';

export interface HostileStoreInfo {
  /** Window of ordinary queries, ns since the epoch as strings. */
  start: string;
  end: string;
  /** A namespace whose files exceed the server's maxBytesScanned. */
  bigNamespace: string;
  /** The server's maxLines. */
  maxLines: number;
}

export interface HostileLoadOptions {
  url: string;
  encodePushRequest: (streams: readonly PushStream[]) => Uint8Array;
  storeInfo: HostileStoreInfo;
  clients?: number;
  requestsPerClient?: number;
  durationMs?: number;
  seed?: number;
  includePending?: boolean;
  probeMs?: number;
  onSample?: () => void;
}

export interface HostileLoadReport {
  requests: number;
  hostile: number;
  hostileShare: number;
  fiveXX: number;
  seconds: number;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  healthy: { probes: number; failed: number; maxMs: number };
  linesPushed: number;
  byKind: Record<string, { n: number; statuses: Record<string, number>; p50ms: number; p99ms: number }>;
}

export function runHostileLoad(options: HostileLoadOptions): Promise<{ pushed: Set<string>; failures: { kind: string; status: number; expected: number[]; detail: string }[]; report: HostileLoadReport }>;
export function countIds(texts: Iterable<string>): Map<string, number>;
