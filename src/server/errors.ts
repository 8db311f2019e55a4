/**
 * Errors at the HTTP edge: every failure becomes one JSON body and one status code.
 *
 * Body (both dialects, Prometheus' error shape): `{"status":"error","errorType":T,"error":M}`.
 * Loki answers errors as plain text; Grafana's Loki data source reads a JSON body's `message`
 * field, so Loki routes add `"message": M` as well.
 *
 * | cause | status | errorType |
 * |---|---|---|
 * | bad query, time, parameter, push body | 400 | `bad_data` |
 * | missing/invalid token | 401 | `unauthorized` |
 * | token without the scope | 403 | `forbidden` |
 * | unknown route | 404 | `not_found` |
 * | push body over `maxPushBytes`/`maxPushDecompressedBytes`, a push writing over `maxPushLines`/`maxPushWrittenBytes` | 413 | `bad_data` |
 * | unsupported Content-Type/-Encoding | 415 | `bad_data` |
 * | `maxBytesScanned`, `maxSeries`, `maxTemplateBytes`, `maxBytesReturned`, `maxSamples` | 422 | `execution` |
 * | `maxConcurrentQueries` + `maxQueuedQueries` full, `maxTailClients` | 429 | `unavailable` |
 * | `queryTimeout` | 503 | `timeout` |
 * | shutting down, push disabled or the store locked by another writer | 503 | `unavailable` |
 * | a remote member of a store set failed (`REMOTE_ERROR`, `--on-member-error fail`) | 502 | `unavailable` |
 * | a store file that cannot be read, a bug | 500 | `internal` |
 *
 * Lethe itself answers 500 `queryError` for every error; the contract (§4) says we do not.
 *
 * **What a client may see.** 4xx messages are about the client's own input (its query, its
 * parameters, its labels), written by us. Anything else — an I/O error, a bug, a message
 * that may hold the server's paths (`ENAMETOOLONG … /var/lib/lethe/pod/…`), a stack — never
 * reaches the client: a 500 answers `internal error (id 3f9c…)`, and the server logs the id
 * with the full error and stack ({@link internalError}). A store held by another writer
 * answers 503 without the lock's path or holder.
 */
import { randomBytes } from 'node:crypto';
import { LetheQLError, LimitError, QueryError } from '../errors.js';
import { SeriesLimitError } from '../metrics/evaluator.js';
import { DriverError } from '../store/driver.js';
import { InvalidRecordError } from '../write/record.js';
import { PushError, PushTooLargeError, UnsupportedMediaError } from './push.js';

export type ErrorType = 'bad_data' | 'unauthorized' | 'forbidden' | 'not_found' | 'execution' | 'unavailable' | 'timeout' | 'canceled' | 'internal';

/** An error with its HTTP answer. Thrown anywhere in a handler; the error handler renders it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: ErrorType,
    message: string,
    /** The limit that was hit, for the `letheql_limit_hits_total` metric. */
    readonly limit?: string,
    /** The underlying error, for the server log only (never sent). */
    readonly internalCause?: unknown,
    /** Id of an internal error, logged with {@link internalCause} and sent to the client. */
    readonly errorId?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A bad request parameter (400). */
export function badData(message: string): HttpError {
  return new HttpError(400, 'bad_data', message);
}

/** A limit from the config was hit; `status` 413/422/429/503 by kind (see the module table). */
export function limitError(status: number, limit: string, message: string): HttpError {
  const type: ErrorType = status === 503 ? 'timeout' : status === 429 ? 'unavailable' : status === 413 ? 'bad_data' : 'execution';
  return new HttpError(status, type, message, limit);
}

/** The reason a query's signal carries when its client went away (nobody reads the answer). */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/** Maps any thrown value to an {@link HttpError}. Unknown errors are 500 `internal` (a bug or I/O). */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof QueryError) return badData(e.toString());
  // The engine's per-query budgets (maxTemplateBytes, maxBytesReturned, maxSamples): the query asks for too much.
  if (e instanceof LimitError) return limitError(422, e.limit, e.message);
  if (e instanceof SeriesLimitError) return limitError(422, 'maxSeries', `${e.message} (limit maxSeries=${e.limit})`);
  if (e instanceof InvalidRecordError) return badData(`cannot store pushed entry: ${e.message}`);
  if (e instanceof PushTooLargeError) return limitError(413, e.limit, e.message);
  if (e instanceof PushError) return badData(e.message);
  if (e instanceof UnsupportedMediaError) return new HttpError(415, 'bad_data', e.message);
  // An object store failing mid-query (bucket gone, credentials expired, network): the
  // server's trouble, not the request's, and its message names the bucket and endpoint.
  if (e instanceof DriverError) return internalError(e);
  if (e instanceof LetheQLError) {
    // Store-side failures name server paths: the client gets an id (see the module note).
    if (e.code === 'IO_ERROR' || e.code === 'STORE_NOT_FOUND') return internalError(e);
    if (e.code === 'STORE_LOCKED') return new HttpError(503, 'unavailable', 'push unavailable: the store is being written by another process (one writer per store); retry later', undefined, e);
    if (e.code === 'ABORTED') return new HttpError(503, 'canceled', e.message);
    // A member server failed, not the client's query: a gateway error naming the member (its
    // message holds the member's URL and answer, never a token or a path of this server).
    if (e.code === 'REMOTE_ERROR') return new HttpError(502, 'unavailable', e.message, undefined, e);
    return badData(e.message);
  }
  // fastify's own errors (body parsing, content type) carry a 4xx statusCode.
  const fe = e as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError(415, 'bad_data', String(fe.message));
    return new HttpError(fe.statusCode, 'bad_data', String(fe.message));
  }
  return internalError(e);
}

/**
 * A 500 whose message is safe to send: `internal error (id …)`. The id and the original
 * error (`cause`, with its stack) go to the server log, never to the client.
 */
export function internalError(cause: unknown): HttpError {
  const id = randomBytes(6).toString('hex');
  return new HttpError(500, 'internal', `internal error (id ${id}); the server log has the details`, undefined, cause, id);
}

/** The JSON body of an error; `loki` adds Grafana's `message` field. */
export function errorBody(err: HttpError, loki: boolean): Record<string, string> {
  const body: Record<string, string> = { status: 'error', errorType: err.errorType, error: err.message };
  if (loki) body['message'] = err.message;
  return body;
}
