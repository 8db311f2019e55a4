/**
 * The Node scan-worker bundle, `dist/scan-worker.js` (built from `node/worker.ts`), which
 * `node/pool.ts` starts. The same file from `src/platform/` (tests), `dist/platform/` (the
 * package's modules) and `dist/bin/` (the CLI bundle): every module that finds package files
 * by `import.meta.url` sits two levels below the package root, which is why this URL lives
 * here and not beside the pool in `node/` (three levels down in `src/` and `dist/`, two in
 * the CLI bundle).
 */
export const SCAN_WORKER_BUNDLE = new URL('../../dist/scan-worker.js', import.meta.url);
