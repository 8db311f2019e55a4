/**
 * The Node scan-worker bundle, `dist/scan-worker.js` (built from `workers/node-worker.ts`),
 * which `workers/node-pool.ts` starts. The same file from `src/exec/` (tests), `dist/exec/`
 * (the package's modules) and `dist/bin/` (the CLI bundle): every module that finds package
 * files by `import.meta.url` sits two levels below the package root, which is why this URL
 * lives here and not beside the pool in `workers/` (three levels down in `src/` and `dist/`,
 * two in the CLI bundle).
 */
export const SCAN_WORKER_BUNDLE = new URL('../../dist/scan-worker.js', import.meta.url);
