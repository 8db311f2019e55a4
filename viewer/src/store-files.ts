/**
 * Turning what the user picked or dropped into store files (`pod/<ns>/<hour>.log`).
 *
 * A folder (picker or drop) keeps its layout: the store root is the shallowest folder that
 * directly holds `pod/` or `node/` (the engine's `MemoryChunkSource.fromFiles` rule), so the
 * user may pick the store, its parent, or `pod/` alone; other files are ignored. Plain log
 * files (no store layout) are placed by their first line: `[ns|pod|container]` makes a pod
 * file of that namespace, `[node|process]` a node file of that node, and a name that is not
 * an hour (`YYYY-MM-DD_HH.log`) takes the hour of the first line's timestamp. Such a file is
 * read for queries whose window overlaps that hour (contract §1), so lines of later hours in
 * one plain file are found only by windows that also touch its first hour.
 */
import type { StoreFile } from './protocol.ts';

const LOG_TYPES = new Set(['pod', 'node']);
const HOUR_NAME = /^\d{4}-\d{2}-\d{2}_\d{2}\.log$/;
const SAFE = /^[^/\\|[\]\x00-\x1f]+$/;

/** A picked file and its path relative to what was picked (`webkitRelativePath` or the drop walk). */
export interface PickedFile {
  path: string;
  file: File;
}

/** Store files among `picked`; `plain` files (outside any store tree) are placed by their first line. */
export async function toStoreFiles(picked: PickedFile[]): Promise<{ files: StoreFile[]; ignored: number; root: string }> {
  const located = picked.map((p) => ({ parts: p.path.replace(/^\.\//, '').split('/'), file: p.file }));
  let root: string[] | null = null;
  for (const { parts } of located) {
    if (parts.length < 3 || !LOG_TYPES.has(parts[parts.length - 3]!)) continue;
    const prefix = parts.slice(0, parts.length - 3);
    if (root === null || prefix.length < root.length) root = prefix;
  }
  const files: StoreFile[] = [];
  let ignored = 0;
  if (root !== null) {
    const r = root;
    for (const { parts, file } of located) {
      const rel = parts.slice(r.length);
      if (parts.length === r.length + 3 && r.every((p, i) => parts[i] === p) && LOG_TYPES.has(rel[0]!) && SAFE.test(rel[1]!) && SAFE.test(rel[2]!)) files.push({ path: rel.join('/'), file });
      else ignored++;
    }
    return { files, ignored, root: r.join('/') || '(picked folder)' };
  }
  const used = new Set<string>();
  for (const { parts, file } of located) {
    const placed = await placePlainFile(parts[parts.length - 1]!, file);
    if (placed === null) {
      ignored++;
      continue;
    }
    let path = placed;
    for (let n = 2; used.has(path); n++) path = placed.replace(/\.log$/, `.${n}.log`);
    used.add(path);
    files.push({ path, file });
  }
  return { files, ignored, root: picked.length === 1 ? picked[0]!.file.name : `${picked.length} files` };
}

/** `pod/<ns>/<hour>.log` or `node/<node>/<hour>.log` from a plain file's first line; null when it is not a Lethe log. */
async function placePlainFile(name: string, file: File): Promise<string | null> {
  const head = await file.slice(0, 4096).text();
  const first = head.split('\n', 1)[0]!.replace(/\r$/, '');
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2})[^[]*\[([^\]|]*)\|([^\]]*)\]/.exec(first);
  if (!m) return null;
  const fields = [m[2]!, ...m[3]!.split('|')];
  const logType = fields.length === 3 ? 'pod' : fields.length === 2 ? 'node' : null;
  if (logType === null || !SAFE.test(fields[0]!)) return null;
  const hour = HOUR_NAME.test(name) ? name : `${m[1]!.replace('T', '_')}.log`;
  return `${logType}/${fields[0]}/${hour}`;
}

/** Files of a drop, walking dropped folders (paths relative to the drop). */
export async function droppedFiles(dt: DataTransfer): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return [...dt.files].map((file) => ({ path: file.name, file }));
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ path, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most ~100 entries per call: read until empty.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, path);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}
