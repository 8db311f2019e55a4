/**
 * The store's data model, shared by every stage (contract §1): the two log types, the
 * target label that names a store directory, and the labels each line carries in brackets.
 *
 * A store set (several stores, one per cluster: `store/federated-source.ts`) adds one more
 * label, `cluster`, that comes from the store a line was read from, never from the line.
 */

/** Log types, their target label (the directory level) and their line labels (bracket fields after the first). */
export const LOG_TYPES = {
  pod: { target: 'namespace', lineLabels: ['pod', 'container'] },
  node: { target: 'node', lineLabels: ['process'] },
} as const;

export type LogType = keyof typeof LOG_TYPES;

export function isLogType(name: string | null | undefined): name is LogType {
  return name === 'pod' || name === 'node';
}

/** Number of `|`-separated fields inside a line's brackets: pod `[ns|pod|container]`, node `[node|process]`. */
export function fieldCount(logType: LogType): 2 | 3 {
  return logType === 'pod' ? 3 : 2;
}

/** Column names of a log type's bracket fields, in order (the first is the target label). */
export function fieldNames(logType: LogType): readonly string[] {
  const t = LOG_TYPES[logType];
  return [t.target, ...t.lineLabels];
}

/** The label naming a store set's member: usable in selectors over a store set, and a result column there. */
export const CLUSTER_LABEL = 'cluster';

/** Label names a selector of `logType` may use: the bracket fields, plus `cluster` over a store set. */
export function selectorLabels(logType: LogType, storeSet: boolean): readonly string[] {
  return storeSet ? [...fieldNames(logType), CLUSTER_LABEL] : fieldNames(logType);
}

/** Label columns of a result, in order: `cluster` first over a store set (right after `time`), then the bracket fields. */
export function labelColumns(logType: LogType, storeSet: boolean): readonly string[] {
  return storeSet ? [CLUSTER_LABEL, ...fieldNames(logType)] : fieldNames(logType);
}
