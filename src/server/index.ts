/**
 * `letheql serve` as a library: build a server over any {@link LogStore}, in-process.
 *
 * @example
 * import { openStore } from 'letheql';
 * import { createServer } from 'letheql/dist/server/index.js';
 * const store = openStore('/var/lib/lethe');
 * const server = await createServer({ store, storeDir: '/var/lib/lethe' });
 * console.log(await server.listen('127.0.0.1', 6060));
 */
export { createServer } from './server.js';
export type { LetheServer, ServerOptions } from './server.js';
export { DEFAULT_LIMITS, DEFAULT_LISTEN, loadServerConfig, parseListen, parseServerConfig } from './config.js';
export type { ServerConfig, ServerLimits } from './config.js';
export { TokenAuthority } from './auth.js';
export type { Scope } from './auth.js';
export type { Evaluation, MetricEvaluator, MetricQuery, MetricResult } from './evaluate.js';
export { decodePushRequest, encodePushRequest } from './protobuf.js';
export type { PushEntry, PushStream } from './protobuf.js';
