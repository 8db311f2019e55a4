/**
 * What the CLI's commands share: the usage error (exit 2 with a hint), how `--store` /
 * `--stores` name a store or a store set, and how the S3 flags (`--s3-endpoint`,
 * `--cache-dir`, `--cache-size`) open `s3://` stores, so `query`, `explain`, `targets`,
 * `patterns`, `rules` and `serve` read the same flags the same way ({@link openSpec}).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { LogStore } from '../api.js';
import { openStore, openStoreSet, type OpenStoreOptions } from '../platform/node/store.js';
import { parseSize } from '../sizes.js';
import { clusterNameProblem } from '../store/federated-source.js';
import { DEFAULT_CACHE_BYTES, DiskPageCache } from '../platform/node/page-cache.js';
import { isS3Url, S3Driver } from '../platform/node/s3.js';
import { isRemoteUrl } from '../store/remote-member.js';

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
    addCluster(dirs, name, dir === '' || isS3Url(dir) || isRemoteUrl(dir) || isAbsolute(dir) ? dir : resolve(dirname(file), dir), `--stores ${file}`);
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


/** The flags of `s3://` stores, for `parseArgs` option tables. */
export const S3_OPTIONS = {
  's3-endpoint': { type: 'string' },
  'cache-dir': { type: 'string' },
  'cache-size': { type: 'string' },
} as const;

/** Their lines in a usage text. */
export const S3_USAGE = `  --store s3://BUCKET/PREFIX   a store in S3 or S3-compatible object storage (also as NAME=s3://…);
                       credentials and region from the AWS environment (AWS_ACCESS_KEY_ID, …)
  --s3-endpoint URL    an S3-compatible endpoint (MinIO, Ceph; default $AWS_ENDPOINT_URL, else AWS)
  --cache-dir DIR      keep fetched S3 pages in DIR (by object ETag) across queries
  --cache-size SIZE    bound of --cache-dir, e.g. 10g (default 1GiB)`;

/** Values of {@link S3_OPTIONS} as `parseArgs` returns them. */
export interface S3Flags {
  's3-endpoint'?: string;
  'cache-dir'?: string;
  'cache-size'?: string;
}

/** The flags of remote store-set members (another `letheql serve`), for `parseArgs` option tables. */
export const REMOTE_OPTIONS = {
  'store-token': { type: 'string', multiple: true },
  'on-member-error': { type: 'string' },
} as const;

/** Their lines in a usage text. */
export const REMOTE_USAGE = `  --store NAME=URL     a member that is another letheql serve (http:// or https://)
  --store-token NAME=TOKEN  its bearer token (repeatable; default $LETHEQL_TOKEN_<NAME>:
                       NAME upper-cased, characters other than A-Z and 0-9 as _)
  --on-member-error fail|warn  a remote member fails: fail the query (default), or answer
                       without it and print a warning naming it`;

/** Values of {@link REMOTE_OPTIONS} as `parseArgs` returns them. */
export interface RemoteFlags {
  'store-token'?: string[];
  'on-member-error'?: string;
}

/** The environment variable that holds the token of remote member `cluster`: `LETHEQL_TOKEN_CLUSTER_B` for `cluster-b`. */
export function tokenEnvName(cluster: string): string {
  return `LETHEQL_TOKEN_${cluster.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The remote-member options of `spec` from the flags and the environment: each remote
 * member's token (`--store-token NAME=TOKEN`, else `$LETHEQL_TOKEN_<NAME>`) and the
 * partial-failure policy. Throws `UsageError` for a token of a cluster that is not a remote
 * member, a malformed `--store-token`, a bad policy, or remote flags without remote members.
 */
export function remoteOptions(spec: StoreSpec, flags: RemoteFlags, env: Record<string, string | undefined>): Pick<OpenStoreOptions, 'tokens' | 'onMemberError'> {
  const remotes = spec.kind === 'set' ? Object.keys(spec.dirs).filter((c) => isRemoteUrl(spec.dirs[c]!)) : [];
  if (spec.kind === 'dir' && isRemoteUrl(spec.dir)) throw new UsageError(`--store ${spec.dir}: a letheql serve is a member of a store set: give it a name, --store NAME=${spec.dir}`);
  const policy = flags['on-member-error'];
  if (policy !== undefined && policy !== 'fail' && policy !== 'warn') throw new UsageError(`invalid --on-member-error ${JSON.stringify(policy)}: expected fail or warn`);
  if (remotes.length === 0 && (policy !== undefined || flags['store-token'] !== undefined)) throw new UsageError('--store-token and --on-member-error apply to remote members (--store NAME=http(s)://…) only');
  const tokens: Record<string, string> = {};
  for (const text of flags['store-token'] ?? []) {
    const eq = text.indexOf('=');
    if (eq <= 0 || eq === text.length - 1) throw new UsageError('invalid --store-token: expected NAME=TOKEN');
    const name = text.slice(0, eq);
    if (!remotes.includes(name)) throw new UsageError(`--store-token ${name}=…: ${JSON.stringify(name)} is not a remote member (--store ${name}=http(s)://…)`);
    tokens[name] = text.slice(eq + 1);
  }
  for (const name of remotes) {
    const fromEnv = env[tokenEnvName(name)];
    if (tokens[name] === undefined && fromEnv !== undefined && fromEnv !== '') tokens[name] = fromEnv;
  }
  return { ...(Object.keys(tokens).length > 0 ? { tokens } : {}), ...(policy !== undefined ? { onMemberError: policy } : {}) };
}

/** Whether the spec names any `s3://` store. */
export function hasS3(spec: StoreSpec): boolean {
  return spec.kind === 'dir' ? isS3Url(spec.dir) : Object.values(spec.dirs).some(isS3Url);
}

/**
 * Opens the store or store set of `spec` with the S3 flags applied. Throws `UsageError` for
 * S3 flags without an `s3://` store or a bad `--cache-size`, `INVALID_OPTION` for a bad S3
 * URL or endpoint. With `check`, every S3 member's bucket and credentials are tried first
 * (one HeadBucket each), so a server fails at start-up rather than on its first query.
 */
export async function openSpec(spec: StoreSpec, flags: S3Flags, options: OpenStoreOptions = {}, check = false): Promise<LogStore> {
  const s3 = hasS3(spec);
  const opts: OpenStoreOptions = { ...options };
  if (!s3) {
    for (const f of ['s3-endpoint', 'cache-dir', 'cache-size'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} applies to s3:// stores only`);
  } else {
    if (flags['s3-endpoint'] !== undefined) opts.s3 = { endpoint: flags['s3-endpoint'] };
    if (flags['cache-size'] !== undefined && flags['cache-dir'] === undefined) throw new UsageError('--cache-size needs --cache-dir');
    if (flags['cache-dir'] !== undefined) {
      let size = DEFAULT_CACHE_BYTES;
      if (flags['cache-size'] !== undefined) {
        const n = parseSize(flags['cache-size'], '--cache-size');
        if (n === null) throw new UsageError('invalid --cache-size 0: omit --cache-dir for no cache');
        size = n;
      }
      opts.object = { cache: new DiskPageCache(resolve(flags['cache-dir']), size) };
    }
    if (check) {
      const urls = spec.kind === 'dir' ? [spec.dir] : Object.values(spec.dirs).filter(isS3Url);
      await Promise.all(urls.map((u) => new S3Driver(u, opts.s3).check()));
    }
  }
  return spec.kind === 'dir' ? openStore(spec.dir, opts) : openStoreSet(spec.dirs, opts);
}
