/**
 * The log viewer's static files (`dist/viewer/`, built by
 * `npx vite build --config viewer/vite.config.ts`) at `/`: `index.html` at `/` and
 * `/index.html`, the hashed bundles under `/assets/`.
 *
 * - No scope: the page itself holds no data (it asks the API for data, sending the token the
 *   user gives it), so it is served even when the server has tokens.
 * - Files are looked up when requested, so a viewer built after the server started is
 *   served; a missing `dist/viewer/index.html` makes `/` a short 404 text saying so, and an
 *   unknown file under `/assets/` is the server's usual 404 JSON.
 * - Paths are resolved inside the viewer folder only (`..` and encoded separators refused).
 * - Hashed assets are cached for a year (`immutable`); `index.html` is revalidated every time
 *   so a new build shows up at once.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody, HttpError } from './errors.js';

/** `dist/viewer/` of the package (this module is `src/server/` or `dist/server/`: both are two levels down). */
export const DEFAULT_VIEWER_DIR = fileURLToPath(new URL('../../dist/viewer/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

function notFound(reply: FastifyReply, path: string): FastifyReply {
  return reply.code(404).send(errorBody(new HttpError(404, 'not_found', `no viewer file ${path}`), false));
}

/** Registers `/`, `/index.html` and `/assets/*` serving `dir` (default {@link DEFAULT_VIEWER_DIR}). */
export function registerViewerRoute(app: FastifyInstance, dir: string = DEFAULT_VIEWER_DIR): void {
  const root = normalize(dir.endsWith(sep) ? dir : dir + sep);

  const index = async (_req: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    let body: Buffer;
    try {
      body = await readFile(join(root, 'index.html'));
    } catch {
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('the letheql viewer was not built (dist/viewer/index.html is missing): run npx vite build --config viewer/vite.config.ts\n');
    }
    return reply.type(CONTENT_TYPES['.html']!).header('cache-control', 'no-cache').send(body);
  };
  app.get('/', { config: { scope: null } }, index);
  app.get('/index.html', { config: { scope: null } }, index);

  app.get<{ Params: { '*': string } }>('/assets/*', { config: { scope: null } }, async (request, reply) => {
    const rel = request.params['*'];
    const shown = `/assets/${rel}`;
    if (rel === '' || rel.includes('\\') || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) return notFound(reply, shown);
    const path = normalize(join(root, 'assets', rel));
    if (!path.startsWith(root)) return notFound(reply, shown);
    try {
      if (!(await stat(path)).isFile()) return notFound(reply, shown);
      const body = await readFile(path);
      return reply
        .type(CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(body);
    } catch {
      return notFound(reply, shown);
    }
  });
}
