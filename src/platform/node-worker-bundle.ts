/**
 * The URL of the Node scan-worker bundle `dist/scan-worker.js` (built from `node/worker.ts`,
 * started by `node/pool.ts`), right from `src/platform/` (tests), `dist/platform/` and the CLI
 * bundle's `dist/bin/`: modules that find package files by `import.meta.url` sit two levels
 * below the package root, hence here, not in `node/` (three levels down, two in the bundle).
 */
export const SCAN_WORKER_BUNDLE = new URL('../../dist/scan-worker.js', import.meta.url);
