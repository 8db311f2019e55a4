/**
 * The S3 storage driver (Node side): a Lethe store under `s3://BUCKET/PREFIX` on Amazon S3 or
 * any S3-compatible server (MinIO, Ceph, s3rver), through the official AWS SDK for
 * JavaScript v3 (`@aws-sdk/client-s3`, Apache-2.0).
 *
 * - Configuration is the SDK's standard one: credentials from `AWS_ACCESS_KEY_ID`/
 *   `AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, `AWS_PROFILE` and the shared config files,
 *   instance roles…; region from `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile. The
 *   endpoint is `S3Options.endpoint` (the CLI's `--s3-endpoint`), else `AWS_ENDPOINT_URL_S3`,
 *   else `AWS_ENDPOINT_URL`, else AWS. A custom endpoint uses path-style addressing
 *   (`http://host:port/bucket/key`: MinIO and test servers have no per-bucket DNS names), a
 *   default region (`us-east-1`) when none is configured, and checksums only where S3
 *   requires them (the SDK's newer default CRC checksums are not understood by every
 *   S3-compatible server).
 * - Reads are ranged GETs with `If-Match` on the listed ETag; listings are ListObjectsV2 with
 *   `/` as delimiter, all pages.
 * - Writes: one PutObject with `Content-MD5` up to {@link MULTIPART_THRESHOLD}, a multipart
 *   upload above it (parts of {@link PART_BYTES}, each with its MD5, aborted on failure). Both
 *   are atomic in S3: the object appears whole when the PUT or the CompleteMultipartUpload
 *   succeeds and not at all before, so a writer killed mid-upload leaves no partial object.
 * - Every failure becomes a {@link DriverError} whose message names the bucket and key and
 *   says what to check; the SDK's own error (and its stack) never reaches a user.
 *
 * The SDK is loaded on first use (`import()`), so a query of a local store never loads it.
 */
import './crc.js'; // native CRC-32 for index checks
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { DriverError, type DriverErrorKind, type ObjectHead, type ObjectInfo, type PutRequest, type StorageDriver } from '../../store/driver.js';
import { LetheQLError } from '../../errors.js';

/** Objects above this size are uploaded in parts. */
export const MULTIPART_THRESHOLD = 64 << 20;
/** Bytes per part of a multipart upload (S3's minimum is 5 MiB but for the last part). */
export const PART_BYTES = 16 << 20;

/** Where an `s3://` store is and how to reach it. */
export interface S3Location {
  bucket: string;
  /** `''` or a prefix ending in `/`. */
  prefix: string;
}

/** Options of {@link S3Driver}: the endpoint (default from the environment, see the note at the top). */
export interface S3Options {
  endpoint?: string;
  region?: string;
  /** The environment to read `AWS_*` variables from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Whether `text` names an S3 store (`s3://…`). */
export function isS3Url(text: string): boolean {
  return /^s3:\/\//i.test(text);
}

/**
 * Parses `s3://BUCKET[/PREFIX]` (a trailing `/` optional). Throws `INVALID_OPTION` naming what
 * is wrong: not s3://, no bucket, an invalid bucket name (S3's rules: 3–63 of `a-z 0-9 . -`,
 * starting and ending with a letter or digit), or an empty segment in the prefix.
 */
export function parseS3Url(text: string): S3Location {
  const bad = (why: string): never => {
    throw new LetheQLError('INVALID_OPTION', `invalid S3 store URL ${JSON.stringify(text)}: ${why} (expected s3://BUCKET/PREFIX)`);
  };
  if (!isS3Url(text)) bad('it does not start with s3://');
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === '') bad('no bucket name');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) bad(`${JSON.stringify(bucket)} is not a valid bucket name (3–63 characters of a-z, 0-9, "." and "-")`);
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (/[?#]/.test(path)) bad('a store URL has no query or fragment');
  const segments = path === '' ? [] : path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) bad('the prefix has an empty, "." or ".." segment');
  return { bucket, prefix: segments.length === 0 ? '' : segments.join('/') + '/' };
}

/** `s3://bucket/prefix` as given back in messages (no trailing slash). */
export function formatS3Url(loc: S3Location): string {
  return `s3://${loc.bucket}${loc.prefix === '' ? '' : '/' + loc.prefix.slice(0, -1)}`;
}

function stripQuotes(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdkPromise: Promise<Sdk> | null = null;
/** The SDK module, loaded once on first use. */
function sdk(): Promise<Sdk> {
  return (sdkPromise ??= import('@aws-sdk/client-s3'));
}

/** A {@link StorageDriver} over one bucket and prefix; see the note at the top. */
export class S3Driver implements StorageDriver {
  readonly description: string;
  readonly location: S3Location;
  /** The endpoint in use, or null for AWS's own. */
  readonly endpoint: string | null;
  readonly #region: string | undefined;
  #client: Promise<S3Client> | null = null;

  /** Parses `url` (throws `INVALID_OPTION` on a bad one) without any request. */
  constructor(url: string, options: S3Options = {}) {
    this.location = parseS3Url(url);
    this.description = formatS3Url(this.location);
    const env = options.env ?? process.env;
    const endpoint = options.endpoint ?? env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'];
    if (endpoint !== undefined && endpoint !== '') {
      let u: URL | null = null;
      try {
        u = new URL(endpoint);
      } catch {
        /* reported below */
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
        throw new LetheQLError('INVALID_OPTION', `invalid S3 endpoint ${JSON.stringify(endpoint)}: expected http(s)://HOST[:PORT]`);
      }
      this.endpoint = endpoint;
    } else this.endpoint = null;
    this.#region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? (this.endpoint !== null ? 'us-east-1' : undefined);
  }

  #s3(): Promise<S3Client> {
    return (this.#client ??= sdk().then(
      ({ S3Client }) =>
        new S3Client({
          ...(this.#region !== undefined ? { region: this.#region } : {}),
          ...(this.endpoint !== null ? { endpoint: this.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
          maxAttempts: 3,
        }),
    ));
  }

  /** Sends one command, mapping any failure to a {@link DriverError} about `key` (or the bucket). */
  async #send<T>(make: (m: Sdk) => object, key: string | null): Promise<T> {
    const [m, client] = await Promise.all([sdk(), this.#s3()]);
    try {
      // Commands of different inputs do not unify with `send`'s overloads; the caller names the output type.
      return (await client.send(make(m) as never)) as T;
    } catch (e) {
      throw this.#error(e, key);
    }
  }

  #error(e: unknown, key: string | null): DriverError {
    const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    const name = err.name ?? '';
    const where = key === null ? this.description : `${this.description}/${key}`;
    const at = this.endpoint !== null ? ` at ${this.endpoint}` : '';
    let kind: DriverErrorKind = 'io';
    let message: string;
    if (name === 'NoSuchBucket' || (key === null && status === 404)) {
      kind = 'no-bucket';
      message = `S3 bucket not found: ${this.location.bucket}${at}`;
    } else if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError'].includes(name) || status === 403 || status === 401) {
      kind = 'auth';
      message = `S3 access denied to ${where}${at}: ${name}${err.message && err.message !== name ? ` (${err.message})` : ''}; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile`;
    } else if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      kind = 'not-found';
      message = `no such object: ${where}`;
    } else if (name === 'PreconditionFailed' || status === 412) {
      kind = 'changed';
      message = `object changed while being read: ${where} (it was replaced after it was listed)`;
    } else if (/region is missing/i.test(err.message ?? '')) {
      kind = 'bad-request';
      message = `no AWS region for ${this.description}: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile's region)`;
    } else if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
      message = `cannot reach S3${at || ' (AWS)'} for ${where}: ${err.code}${err.message ? ` (${err.message})` : ''}`;
    } else {
      message = `S3 request failed for ${where}${at}: ${name || 'error'}${status !== undefined ? ` (HTTP ${status})` : ''}${err.message && err.message !== name ? `: ${err.message}` : ''}`;
    }
    return new DriverError(kind, message);
  }

  /** Checks that the bucket exists and the credentials may list it (one HeadBucket). */
  async check(): Promise<void> {
    await this.#send((m) => new m.HeadBucketCommand({ Bucket: this.location.bucket }), null);
  }

  async listDir(dir: string): Promise<{ files: ObjectInfo[]; dirs: string[] }> {
    return this.#list(dir, '/');
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return (await this.#list(prefix, undefined)).files;
  }

  async #list(dir: string, delimiter: '/' | undefined): Promise<{ files: ObjectInfo[]; dirs: string[] }> {
    const base = this.location.prefix + dir;
    const files: ObjectInfo[] = [];
    const dirs: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send<import('@aws-sdk/client-s3').ListObjectsV2CommandOutput>(
        (m) => new m.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: base, ...(delimiter ? { Delimiter: delimiter } : {}), ...(token ? { ContinuationToken: token } : {}) }),
        null,
      );
      for (const c of page.Contents ?? []) {
        if (!c.Key || !c.Key.startsWith(base)) continue;
        files.push({ key: c.Key.slice(this.location.prefix.length), size: c.Size ?? 0, etag: stripQuotes(c.ETag), lastModifiedMs: c.LastModified?.getTime() ?? 0 });
      }
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix && p.Prefix.startsWith(base) && p.Prefix.endsWith('/')) dirs.push(p.Prefix.slice(base.length, -1));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    files.sort((a, b) => byKey(a.key, b.key));
    dirs.sort(byKey);
    return { files, dirs };
  }

  async stat(key: string): Promise<ObjectHead | null> {
    try {
      const h = await this.#send<import('@aws-sdk/client-s3').HeadObjectCommandOutput>((m) => new m.HeadObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + key }), key);
      return { key, size: h.ContentLength ?? 0, etag: stripQuotes(h.ETag), lastModifiedMs: h.LastModified?.getTime() ?? 0, metadata: h.Metadata ?? {} };
    } catch (e) {
      if (e instanceof DriverError && e.kind === 'not-found') return null;
      throw e;
    }
  }

  async read(key: string, offset: number, length: number, etag?: string): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    const out = await this.#send<import('@aws-sdk/client-s3').GetObjectCommandOutput>(
      (m) => new m.GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + key, Range: `bytes=${offset}-${offset + length - 1}`, ...(etag ? { IfMatch: `"${etag}"` } : {}) }),
      key,
    );
    // A server that ignores If-Match (some S3-compatible ones do) still tells the version it sent.
    if (etag && out.ETag && stripQuotes(out.ETag) !== etag) throw new DriverError('changed', `object changed while being read: ${this.description}/${key} (it was replaced after it was listed)`);
    try {
      return await out.Body!.transformToByteArray();
    } catch (e) {
      throw this.#error(e, key);
    }
  }

  async get(key: string): Promise<{ bytes: Uint8Array; head: ObjectHead } | null> {
    let out: import('@aws-sdk/client-s3').GetObjectCommandOutput;
    try {
      out = await this.#send((m) => new m.GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + key }), key);
    } catch (e) {
      if (e instanceof DriverError && e.kind === 'not-found') return null;
      throw e;
    }
    let bytes: Uint8Array;
    try {
      bytes = await out.Body!.transformToByteArray();
    } catch (e) {
      throw this.#error(e, key);
    }
    return { bytes, head: { key, size: bytes.length, etag: stripQuotes(out.ETag), lastModifiedMs: out.LastModified?.getTime() ?? 0, metadata: out.Metadata ?? {} } };
  }

  async put(key: string, req: PutRequest): Promise<void> {
    const Bucket = this.location.bucket;
    const Key = this.location.prefix + key;
    const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('base64');
    if (req.size <= MULTIPART_THRESHOLD) {
      const body = await req.read(0, req.size);
      await this.#send((m) => new m.PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length, ContentMD5: md5(body), Metadata: req.metadata }), key);
      return;
    }
    const created = await this.#send<import('@aws-sdk/client-s3').CreateMultipartUploadCommandOutput>((m) => new m.CreateMultipartUploadCommand({ Bucket, Key, Metadata: req.metadata }), key);
    const UploadId = created.UploadId!;
    try {
      const parts: { PartNumber: number; ETag: string }[] = [];
      for (let start = 0, n = 1; start < req.size; start += PART_BYTES, n++) {
        const body = await req.read(start, Math.min(req.size, start + PART_BYTES));
        const PartNumber = n;
        const up = await this.#send<import('@aws-sdk/client-s3').UploadPartCommandOutput>((m) => new m.UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length, ContentMD5: md5(body) }), key);
        parts.push({ PartNumber, ETag: up.ETag! });
      }
      await this.#send((m) => new m.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }), key);
    } catch (e) {
      await this.#send((m) => new m.AbortMultipartUploadCommand({ Bucket, Key, UploadId }), key).catch(() => undefined);
      throw e;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await this.#send<import('@aws-sdk/client-s3').DeleteObjectsCommandOutput>(
        (m) => new m.DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: batch.map((k) => ({ Key: this.location.prefix + k })), Quiet: true } }),
        batch.length === 1 ? batch[0]! : null,
      );
      const failed = (out.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
      if (failed.length > 0) throw new DriverError(failed[0]!.Code === 'AccessDenied' ? 'auth' : 'io', `S3 could not delete ${failed.length} object(s) of ${this.description}, first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`.trim());
    }
  }
}
