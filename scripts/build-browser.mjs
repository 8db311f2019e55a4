#!/usr/bin/env node
// Bundles the browser entry (src/browser.ts) into one ES module, dist/letheql.browser.js,
// with the WASM kernel embedded: a page can `import` it with no build step of its own.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../src/browser.ts', import.meta.url).pathname],
  outfile: new URL('../dist/letheql.browser.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
