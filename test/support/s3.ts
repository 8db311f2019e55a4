/**
 * A real S3-compatible server for tests: s3rver (npm devDependency, MIT), started in this
 * process on 127.0.0.1 with its data in a temporary directory, plus helpers to ship a
 * local store to it. s3rver accepts the fixed credentials S3RVER/S3RVER
 * and rejects others. What it lacks of S3 (README "S3 stores"): it ignores If-Match and
 * does not verify Content-MD5.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { S3Driver } from '../../src/platform/node/s3.js';
import { shipStore, type ShipReport } from '../../src/write/ship.js';

export interface S3Server {
  endpoint: string;
  /** The AWS environment that reaches it (for child processes and the SDK in this process). */
  env: Record<string, string>;
  /** Creates a bucket. */
  bucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** Starts s3rver, or returns the reason it cannot (the tests then skip with it). */
export async function startS3(): Promise<S3Server | string> {
  let S3rver: new (opts: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  try {
    S3rver = (await import('s3rver')).default as never;
  } catch (e) {
    return `s3rver cannot be loaded (npm ci installs it): ${(e as Error).message}`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'letheql-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `s3rver did not start on 127.0.0.1: ${(e as Error).message}`;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { ...S3_CREDENTIALS, AWS_ENDPOINT_URL: endpoint };
  Object.assign(process.env, S3_CREDENTIALS);
  return {
    endpoint,
    env,
    async bucket(name) {
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      await c.send(new CreateBucketCommand({ Bucket: name }));
      c.destroy();
    },
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether an object key is a target summary (`ship` derives it for the object store: it mirrors no local file). */
export const isSummaryKey = (key: string): boolean => key.endsWith('/summary.lqts');

/** Every regular file under `root`, store-relative, sorted; but target summaries (`summary.lqts`: a local cache of the sidecars that `ship` does not upload and object stores do not read). */
export function storeFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name !== 'summary.lqts') out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/**
 * Ships every hour of the local store at `root` (all closed: the clock is far ahead) to `url`.
 * Ship keeps its state in the store (`.letheql/ship*`), so a store outside the temporary
 * directory (the repository's fixtures) is shipped from a copy.
 */
export async function shipTo(root: string, url: string, endpoint: string): Promise<ShipReport> {
  const driver = new S3Driver(url, { endpoint });
  if (resolve(root).startsWith(resolve(tmpdir()) + sep)) return shipStore(root, driver, { nowNs: FAR_FUTURE_NS });
  const copy = mkdtempSync(join(tmpdir(), 'letheql-ship-copy-'));
  try {
    cpSync(root, copy, { recursive: true });
    return await shipStore(copy, driver, { nowNs: FAR_FUTURE_NS });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** 2100-01-01T00:00:00Z: every hour file of a test store is closed. */
export const FAR_FUTURE_NS = 4_102_444_800_000_000_000n;
