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
 * | push body over `maxPushBytes`/`maxPushDecompressedBytes` | 413 | `bad_data` |
 * | unsupported Content-Type/-Encoding | 415 | `bad_data` |
 * | `maxBytesScanned`, `maxSeries`, `maxTemplateBytes`, `maxBytesReturned`, `maxSamples` | 422 | `execution` |
 * | `maxConcurrentQueries` + `maxQueuedQueries` full, `maxTailClients` | 429 | `unavailable` |
 * | `queryTimeout` | 503 | `timeout` |
 * | shutting down, push disabled or the store locked by another writer | 503 | `unavailable` |
 * | a store file that cannot be read | 500 | `internal` |
 *
 * Lethe itself answers 500 `queryError` for every error; the contract (§4) says we do not.
 */
import { LetheQLError, LimitError, QueryError } from '../errors.js';
import { SeriesLimitError } from '../metrics/evaluator.js';
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
  if (e instanceof LetheQLError) {
    if (e.code === 'IO_ERROR') return new HttpError(500, 'internal', e.message);
    if (e.code === 'STORE_LOCKED') return new HttpError(503, 'unavailable', `push unavailable: ${e.message}`);
    if (e.code === 'ABORTED') return new HttpError(503, 'canceled', e.message);
    return badData(e.message);
  }
  // fastify's own errors (body parsing, content type) carry a 4xx statusCode.
  const fe = e as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError(415, 'bad_data', String(fe.message));
    return new HttpError(fe.statusCode, 'bad_data', String(fe.message));
  }
  return new HttpError(500, 'internal', `internal error: ${(e as Error)?.message ?? String(e)}`);
}

/** The JSON body of an error; `loki` adds Grafana's `message` field. */
export function errorBody(err: HttpError, loki: boolean): Record<string, string> {
  const body: Record<string, string> = { status: 'error', errorType: err.errorType, error: err.message };
  if (loki) body['message'] = err.message;
  return body;
}
