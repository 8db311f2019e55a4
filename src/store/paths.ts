/**
 * Store-relative paths and the names allowed in them.
 *
 * Every source addresses a file as `(logType, target, name)` and prints it as the
 * store-relative path `<logType>/<target>/<name>` (`pod/shop/2024-09-24_13.log`), the form
 * used in plans and statistics. A target or file name is one path segment: it may never
 * contain a separator, a NUL or `..`, so no name can lead a source outside its root.
 */
import { LetheQLError } from '../errors.js';
import { isLogType, type LogType } from '../model.js';

/**
 * Whether `name` is usable as one segment of a store path: not empty, not `.`, and free of
 * `/`, `\`, NUL and `..` (the last is stricter than needed, and no Kubernetes namespace,
 * node or hour file name contains it).
 */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name !== '.' && !name.includes('/') && !name.includes('\\') && !name.includes('\0') && !name.includes('..');
}

/** Throws `INVALID_OPTION` unless `logType` is `pod` or `node` (callers from plain JS may pass anything). */
export function assertLogType(logType: LogType): void {
  if (!isLogType(logType)) throw new LetheQLError('INVALID_OPTION', `invalid log type ${JSON.stringify(logType)}: expected pod or node`);
}

/** Throws `INVALID_OPTION` unless `logType` is a log type and `target`/`name` (when given) are {@link isSafeName safe}. */
export function assertStoreName(logType: LogType, target: string, name?: string): void {
  assertLogType(logType);
  if (!isSafeName(target)) throw new LetheQLError('INVALID_OPTION', `invalid target name ${JSON.stringify(target)}: must be one path segment`);
  if (name !== undefined && !isSafeName(name)) {
    throw new LetheQLError('INVALID_OPTION', `invalid file name ${JSON.stringify(name)}: must be one path segment`);
  }
}

/** The store-relative path of a file: `pod/shop/2024-09-24_13.log`. */
export function storePath(logType: LogType, target: string, name: string): string {
  return `${logType}/${target}/${name}`;
}

/** Code-unit order, the one sort order of names everywhere in the store layer (locale-independent). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
