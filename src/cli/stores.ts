/**
 * What the CLI's commands share: the usage error (exit 2 with a hint) and how `--store` /
 * `--stores` name a store or a store set, so `query`, `explain`, `targets` and `serve` read
 * the same flags the same way.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { clusterNameProblem } from '../store/federated-source.js';

/** A usage problem: printed with a hint, exit code 2. */
export class UsageError extends Error {}

/** Where the CLI reads: one store directory, or a store set (cluster name → directory). */
export type StoreSpec = { kind: 'dir'; dir: string } | { kind: 'set'; dirs: Record<string, string> };

/** `NAME=DIR` → [NAME, DIR] when the text before the first `=` holds no `/`; otherwise null (a plain directory). */
function splitNamedStore(text: string): [string, string] | null {
  const eq = text.indexOf('=');
  if (eq < 0 || text.slice(0, eq).includes('/')) return null;
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** Adds one cluster to a store set being read, rejecting bad names, empty directories and repeats. */
function addCluster(dirs: Record<string, string>, name: string, dir: string, from: string): void {
  const problem = clusterNameProblem(name);
  if (problem !== null) throw new UsageError(`invalid cluster name ${JSON.stringify(name)} in ${from}: ${problem}`);
  if (dir === '') throw new UsageError(`missing store directory for cluster ${JSON.stringify(name)} in ${from}`);
  if (Object.hasOwn(dirs, name)) throw new UsageError(`cluster ${JSON.stringify(name)} is given twice`);
  dirs[name] = dir;
}

/** Reads `--stores FILE`: a JSON object of cluster name → directory; relative directories are relative to FILE. */
async function readStoresFile(file: string): Promise<StoreSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --stores ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`invalid --stores ${file}: ${(e as Error).message}`);
  }
  const shape = 'expected a JSON object of cluster name → store directory, e.g. {"cluster-a": "/var/lib/lethe-a"}';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`invalid --stores ${file}: ${shape}`);
  const entries = Object.entries(json);
  if (entries.length === 0) throw new UsageError(`invalid --stores ${file}: no cluster (${shape})`);
  const dirs: Record<string, string> = {};
  for (const [name, dir] of entries) {
    if (typeof dir !== 'string') throw new UsageError(`invalid --stores ${file}: cluster ${JSON.stringify(name)}: ${shape}`);
    addCluster(dirs, name, dir === '' ? '' : resolve(dirname(file), dir), `--stores ${file}`);
  }
  return { kind: 'set', dirs };
}

/** The store the flags name: `--stores FILE`, one `--store DIR`, several `--store NAME=DIR`, else `fallback`. */
export async function storeSpec(store: string[] | undefined, stores: string | undefined, fallback: string | undefined): Promise<StoreSpec> {
  if (stores !== undefined) {
    if (store !== undefined) throw new UsageError('give either --store or --stores, not both');
    return readStoresFile(stores);
  }
  if (store === undefined) {
    if (fallback === undefined || fallback === '') throw new UsageError('missing --store DIR (or NAME=DIR, or --stores FILE)');
    return { kind: 'dir', dir: fallback };
  }
  const named = store.map(splitNamedStore);
  if (store.length === 1 && named[0] === null) return { kind: 'dir', dir: store[0]! };
  const dirs: Record<string, string> = {};
  store.forEach((text, i) => {
    const pair = named[i];
    if (!pair) throw new UsageError(`invalid --store ${JSON.stringify(text)}: with several --store flags each must be NAME=DIR (a store set)`);
    addCluster(dirs, pair[0], pair[1], `--store ${JSON.stringify(text)}`);
  });
  return { kind: 'set', dirs };
}

