/**
 * What every route module gets from the server: the query context, the clock, per-request
 * cancellation, and a way to add fields to the request's log line. Kept apart from
 * `server.ts` so the dialect modules depend on this small interface, not on each other.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from './auth.js';
import type { QueryContext } from './evaluate.js';
import type { ServiceNameRule } from './service-name.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope a bearer token needs for this route; absent or null: open (health, readiness). */
    scope?: Scope | null;
    /** Loki routes answer errors with Grafana's `message` field too. */
    loki?: boolean;
  }
}

/** A request's cancellation: aborted by the query timeout or by the client going away. */
export interface RequestSignal {
  signal: AbortSignal;
  /** Stops the timeout timer; call when the answer is ready. */
  done(): void;
}

export interface RouteEnv {
  ctx: QueryContext;
  /** The clock, ns (frozen in tests). */
  now(): bigint;
  /** A signal for one request's work (see {@link RequestSignal}). */
  signalFor(request: FastifyRequest, reply: FastifyReply): RequestSignal;
  /** Adds fields to the request's one log line (bytes scanned, lines returned, …). */
  note(request: FastifyRequest, fields: Record<string, unknown>): void;
  /** True once shutdown has begun (readiness answers 503). */
  draining(): boolean;
  /** How the derived `service_name` label is made (`service-name.ts`); default `app`. */
  serviceName?: ServiceNameRule;
}

/** The Arrow IPC stream media type (either dialect answers with it when asked). */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** Whether the client asked for an Arrow IPC stream. */
export function wantsArrow(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes(ARROW_STREAM);
}
