#!/usr/bin/env node
// Bundles the browser entry (src/browser.ts) into one ES module, dist/letheql.browser.js,
// with the WASM kernel embedded: a page can `import` it with no build step of its own.
//
// Also bundles the scan worker (src/platform/browser/worker.ts) into dist/letheql.worker.js, a
// classic (non-module) worker script, self-contained, with its own copy of the kernel: a
// classic worker runs in every browser that has Web Workers (module workers came to Firefox
// only in 114), and a bundler that copies the file needs no ESM support for workers. The
// main bundle starts it from `new URL('./letheql.worker.js', import.meta.url)`, so the two
// files must be served side by side unless the page passes `workerUrl`.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

await Promise.all([
  build({
    ...common,
    entryPoints: [new URL('../src/browser.ts', import.meta.url).pathname],
    outfile: new URL('../dist/letheql.browser.js', import.meta.url).pathname,
    format: 'esm',
  }),
  build({
    ...common,
    entryPoints: [new URL('../src/platform/browser/worker.ts', import.meta.url).pathname],
    outfile: new URL('../dist/letheql.worker.js', import.meta.url).pathname,
    format: 'iife',
  }),
]);
