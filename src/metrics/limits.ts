/**
 * The series limit of metric queries, apart from the evaluator: front ends (the CLI's usage
 * text and its error handling, the server) name the default and catch the error without
 * loading the evaluator, which a log query never needs (start-up: the CLI bundle loads the
 * evaluator in a chunk of its own, on a metric query's first use).
 */
import { LetheQLError } from '../errors.js';

/** Loki's default `max_query_series`. */
export const DEFAULT_MAX_SERIES = 500;

/** The result would have more series than `maxSeries`. */
export class SeriesLimitError extends LetheQLError {
  readonly limit: number;
  constructor(limit: number) {
    // No dedicated error code exists yet; INVALID_RANGE is the nearest ("the query asks for too much").
    super('INVALID_RANGE', `maximum of series (${limit}) reached for a single query: narrow the selector, aggregate (e.g. sum by (…)) or raise the series limit`);
    this.name = 'SeriesLimitError';
    this.limit = limit;
  }
}
