#!/usr/bin/env node
// Bundles the `letheql` command line (src/cli/main.ts) for a fast start: dist/bin/main.js,
// which `bin/letheql.js` imports, plus one chunk per lazily loaded subcommand and the code
// they share (esbuild code splitting, ESM). Loading hundreds of ESM files from node_modules
// (chevrotain and its lodash-es, apache-arrow) was most of a query's start-up; one bundled,
// tree-shaken file is read and compiled much faster. A query loads the main chunk only: the
// HTTP server, the write path and the collector sit behind `import()` in main.ts.
//
// What stays external, and why:
// - fastify, @fastify/*, ws and snappyjs: only the `serve` chunk loads them (and @nats-io/*,
//   loaded only by `--publish`); they resolve
//   from node_modules as dependencies (bundling fastify's plugin loading and pino's worker
//   transports is fragile, and costs nothing at a query's start-up).
// - @aws-sdk/*: loaded with import() by the S3 driver on the first s3:// request only; a
//   dependency, resolved from node_modules (bundling it would only grow a lazy chunk).
// - Node's built-ins.
//
// Paths: modules that find package files by `import.meta.url` (the fixture store, the scan
// worker, package.json, the viewer) all sit two levels below the package root (`src/x/`,
// `dist/x/`); so do these chunks (`dist/bin/`), so the same relative URLs hold in all three.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const outdir = new URL('dist/bin/', root).pathname;

// One start-up chunk. esbuild puts code into one chunk per set of entry points that reach it,
// and every `import()` target is an entry point: the code a query runs at start-up was spread
// over ~18 chunks (what main shares with serve, with serve and write, with the parser, …),
// and Node's ESM loader pays per file (resolve, read, compile, link; ~30 ms of CPU over one
// file of the same code, measured). So every lazily loaded module is wrapped in a module
// that also imports main.ts: then everything main.ts reaches is reached by every entry point
// and lands in one shared chunk, which main.js re-exports. Lazy chunks keep only their own code.
const mainPath = new URL('src/cli/main.ts', root).pathname;
const oneStartChunk = {
  name: 'one-start-chunk',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.namespace === 'lazy') return undefined;
      const real = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, importer: args.importer });
      if (real.errors.length > 0 || real.external) return undefined;
      return { path: real.path, namespace: 'lazy' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: `export { main as __letheqlMain } from ${JSON.stringify(mainPath)};\nexport * from ${JSON.stringify(args.path)};\n`,
      loader: 'js',
      resolveDir: new URL('.', root).pathname,
    }));
  },
};

/** The esbuild options of the CLI bundle (test/cli-bundle.test.ts builds with them too). */
export const cliBuildOptions = {
  entryPoints: { main: new URL('src/cli/main.ts', root).pathname },
  outdir,
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['fastify', '@fastify/*', 'ws', 'snappyjs', '@nats-io/*', '@aws-sdk/*'],
  // Bundled CommonJS (if any) may call require(); give ESM chunks one.
  banner: { js: "import { createRequire as __letheqlCreateRequire } from 'node:module'; const require = __letheqlCreateRequire(import.meta.url);" },
  // Less text to read and pre-parse (about a tenth of a query's start-up CPU time). Names are
  // kept, so a stack trace still names its functions; the source maps have the rest
  // (node --enable-source-maps bin/letheql.js …).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [oneStartChunk],
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Chunk names carry content hashes: start empty, or the package would ship every old chunk.
  await rm(outdir, { recursive: true, force: true });
  await build(cliBuildOptions);
}
