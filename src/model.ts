/**
 * The store's data model, shared by every stage (contract §1): the two log types, the
 * target label that names a store directory, and the labels each line carries in brackets.
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
