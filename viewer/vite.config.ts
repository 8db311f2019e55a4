/**
 * Vite build of the log viewer: `npx vite build --config viewer/vite.config.ts`.
 *
 * The root is this folder (index.html), the output `dist/viewer/` of the project. `base: './'`
 * makes every asset URL relative, so the same build works served by `letheql serve` at `/`,
 * from any sub-path of a static host, or from a `file:` URL's folder. The engine runs in a
 * module worker (`engine-worker.ts`), bundled with its own copy of the library and kernel.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  clearScreen: false,
  build: {
    outDir: here('../dist/viewer'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false, // the package ships dist/viewer for `letheql serve`: 5 MB with maps, 1.3 MB without
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
});
