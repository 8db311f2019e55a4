/**
 * Bearer-token authentication with `read` and `write` scopes.
 *
 * Token file format (UTF-8, one token per line):
 * ```
 * # comments and blank lines are ignored
 * 3f9c1e0d8a7b4c2e9f1a6b5d4c3e2f1a   read
 * 7d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a   read,write
 * ```
 * A line is the token, whitespace, then a comma-separated list of scopes (`read`: queries,
 * labels, series, tail, metadata, targets, `/metrics`; `write`: push). Tokens are at least 16
 * characters with no whitespace; a malformed line fails start-up naming its line number (never
 * echoing the token). Health and readiness endpoints are always open.
 *
 * Comparison is constant-time: the presented token and every stored token are hashed with
 * SHA-256 and the digests compared with `crypto.timingSafeEqual`, against every stored token
 * without an early exit, so neither the position of a match nor a shared prefix shows in the
 * timing. Only the digests are kept in memory after loading. Tokens never reach a log line:
 * the request logger writes no headers, and redacts `access_token` from logged URLs.
 *
 * **Live tail from a browser.** Browsers cannot set headers on a WebSocket, so the tail route
 * (and only it) also takes the token from
 * - the `Sec-WebSocket-Protocol` header: offer `letheql` and
 *   {@link TOKEN_PROTOCOL_PREFIX}`<base64url(token)>` (Kubernetes' scheme; the viewer does
 *   this); the server selects `letheql`, never echoing the token; or
 * - an `access_token` query parameter (for `websocat` and the like; it is redacted from the
 *   request log, but proxies may log URLs: prefer the header).
 * An `Authorization` header, when present, wins.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LetheQLError } from '../errors.js';

export type Scope = 'read' | 'write';

const SCOPES: readonly Scope[] = ['read', 'write'];
const MIN_TOKEN_LENGTH = 16;

interface StoredToken {
  digest: Buffer;
  scopes: ReadonlySet<Scope>;
}

/** Why a request was refused: 401 (no or unknown token) or 403 (token without the scope). */
export interface AuthFailure {
  status: 401 | 403;
  message: string;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The stored tokens; `check()` decides per request. */
export class TokenAuthority {
  private constructor(private readonly tokens: readonly StoredToken[]) {}

  /** Parses a token file's text (see the module note). Throws `INVALID_OPTION` naming the line. */
  static parse(text: string, source = 'token file'): TokenAuthority {
    const tokens: StoredToken[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const parts = line.split(/\s+/);
      const where = `${source}:${i + 1}`;
      if (parts.length !== 2) throw new LetheQLError('INVALID_OPTION', `${where}: expected "TOKEN SCOPE[,SCOPE]" (scopes: read, write)`);
      const [token, scopeList] = parts as [string, string];
      if (token.length < MIN_TOKEN_LENGTH) throw new LetheQLError('INVALID_OPTION', `${where}: token shorter than ${MIN_TOKEN_LENGTH} characters`);
      const scopes = new Set<Scope>();
      for (const s of scopeList.split(',')) {
        if (!(SCOPES as readonly string[]).includes(s)) throw new LetheQLError('INVALID_OPTION', `${where}: unknown scope ${JSON.stringify(s)} (scopes: read, write)`);
        scopes.add(s as Scope);
      }
      tokens.push({ digest: sha256(token), scopes });
    });
    if (tokens.length === 0) throw new LetheQLError('INVALID_OPTION', `${source}: no tokens (an empty token file would lock every client out)`);
    return new TokenAuthority(tokens);
  }

  /** Reads a token file. */
  static async load(file: string): Promise<TokenAuthority> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new LetheQLError('INVALID_OPTION', `cannot read token file ${file}: ${(e as Error).message}`);
    }
    return TokenAuthority.parse(text, file);
  }

  /** Number of tokens loaded. */
  get size(): number {
    return this.tokens.length;
  }

  /**
   * Checks an `Authorization` header for `scope`. Returns null when allowed, else why not.
   * Every stored digest is compared (no early exit).
   */
  check(authorization: string | undefined, scope: Scope): AuthFailure | null {
    if (authorization === undefined || authorization === '') return { status: 401, message: 'missing bearer token (Authorization: Bearer <token>)' };
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!m) return { status: 401, message: 'malformed Authorization header: expected "Bearer <token>"' };
    const presented = sha256(m[1]!);
    let found: StoredToken | null = null;
    for (const t of this.tokens) {
      // timingSafeEqual over equal-length digests; keep scanning after a match.
      if (timingSafeEqual(t.digest, presented) && found === null) found = t;
    }
    if (found === null) return { status: 401, message: 'invalid bearer token' };
    if (!found.scopes.has(scope)) return { status: 403, message: `this token lacks the ${scope} scope` };
    return null;
  }
}

/** The subprotocol the tail route selects when a client offers it (the viewer does). */
export const TAIL_PROTOCOL = 'letheql';

/** Prefix of the subprotocol that carries a bearer token, base64url-encoded after it. */
export const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.authorization.letheql.';

/**
 * The credentials of a tail request as an `Authorization` value: the header itself when
 * given, else a token from `Sec-WebSocket-Protocol` or the `access_token` query parameter
 * (see the module note). Undefined when none was given.
 */
export function tailAuthorization(headers: Readonly<Record<string, string | string[] | undefined>>, query: unknown): string | undefined {
  const header = headers['authorization'];
  if (typeof header === 'string' && header !== '') return header;
  const protocols = headers['sec-websocket-protocol'];
  for (const p of (Array.isArray(protocols) ? protocols.join(',') : (protocols ?? '')).split(',')) {
    const v = p.trim();
    if (v.startsWith(TOKEN_PROTOCOL_PREFIX)) return `Bearer ${Buffer.from(v.slice(TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString('utf8')}`;
  }
  const q = query !== null && typeof query === 'object' ? (query as Record<string, unknown>)['access_token'] : undefined;
  const token = Array.isArray(q) ? q[0] : q;
  return typeof token === 'string' && token !== '' ? `Bearer ${token}` : undefined;
}

/** A URL with the value of any `access_token` parameter replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1REDACTED');
}
