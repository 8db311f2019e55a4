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
  /** The effective configuration as YAML, secrets redacted (`status-config.ts`). */
  configYaml?: () => string;
}

/** The Arrow IPC stream media type (either dialect answers with it when asked). */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** The media types a query answer offers, the default (JSON) first. */
const QUERY_TYPES = ['application/json', ARROW_STREAM] as const;

/**
 * Content negotiation (RFC 9110 §12.5.1): the offered type with the highest `q` among the
 * ranges that match it — the most specific range decides a type's `q` (`type/sub` over
 * `type/*` over `*\/*`). Ties go to the type the client named first, and to `offered[0]`
 * when neither is named (a wildcard, or no `Accept`). When nothing is acceptable (every
 * match has `q=0`, or `Accept: text/html`), `offered[0]`: the dialects' APIs have always
 * answered JSON regardless, and a 406 would break clients that send browser defaults.
 */
export function negotiate<T extends string>(accept: string | undefined, offered: readonly T[]): T {
  if (accept === undefined || accept.trim() === '') return offered[0]!;
  const ranges = accept.split(',').flatMap((part, position) => {
    const [range = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (!/^[^/\s]+\/[^/\s]+$/.test(range)) return [];
    let q = 1;
    for (const p of params) {
      const m = /^q=([01](?:\.\d{0,3})?)$/.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
    }
    return [{ range, q, position }];
  });
  let best: { type: T; q: number; position: number } | null = null;
  for (const type of offered) {
    const [major] = type.split('/');
    let match: { q: number; position: number; specificity: number } | null = null;
    for (const r of ranges) {
      const specificity = r.range === type ? 2 : r.range === `${major}/*` ? 1 : r.range === '*/*' ? 0 : -1;
      if (specificity < 0 || (match !== null && specificity <= match.specificity)) continue;
      match = { q: r.q, position: specificity === 2 ? r.position : Infinity, specificity };
    }
    if (match === null || match.q === 0) continue;
    if (best === null || match.q > best.q || (match.q === best.q && match.position < best.position)) best = { type, q: match.q, position: match.position };
  }
  return best?.type ?? offered[0]!;
}

/** Whether the client prefers an Arrow IPC stream to JSON ({@link negotiate}). */
export function wantsArrow(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return negotiate(Array.isArray(accept) ? accept.join(',') : accept, QUERY_TYPES) === ARROW_STREAM;
}
